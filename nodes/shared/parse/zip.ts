import { BrokenFileError } from './errors';
import JSZip from 'jszip';

import type { ByteChunks } from '../types';

export interface ZipEntry {
	name: string;
	chunks: AsyncIterable<Uint8Array>;
}

/**
 * The files inside a zip, in name order, each streamed as it is inflated. A zip's index
 * sits at its end, so the compressed archive itself is held in memory.
 */
export async function* zipEntries(chunks: ByteChunks): AsyncGenerator<ZipEntry> {
	const parts: Uint8Array[] = [];
	for await (const chunk of chunks) parts.push(chunk);
	const zip = await JSZip.loadAsync(Buffer.concat(parts), { createFolders: false });
	const files = Object.values(zip.files)
		.filter((file) => !file.dir && !isMacMetadata(file.name))
		.sort((a, b) => a.name.localeCompare(b.name));
	for (const file of files) {
		yield { name: file.name, chunks: entryContent(file) };
	}
}

/** What jszip keeps of an entry it read from an archive (its `_data`, a CompressedObject). */
interface StoredEntry {
	compression?: { magic?: string };
	compressedContent?: unknown;
	uncompressedSize?: number;
}

const DEFLATE = '\x08\x00';
const INFLATE_INPUT_BYTES = 64 * 1024;

/**
 * jszip inflates in JavaScript (pako); the runtime's DecompressionStream is zlib, several times
 * faster (node code may not import node:zlib). jszip still reads the archive's directory, and
 * inflates anything but a plain deflated entry.
 */
function entryContent(file: JSZip.JSZipObject): AsyncIterable<Uint8Array> {
	const stored = (file as unknown as { _data?: StoredEntry })._data;
	if (stored?.compression?.magic === DEFLATE && stored.compressedContent instanceof Uint8Array) {
		return inflateNatively(stored.compressedContent, stored.uncompressedSize, file.name);
	}
	return inflate(file);
}

async function* inflateNatively(compressed: Uint8Array, expectedBytes: number | undefined, name: string): AsyncGenerator<Uint8Array> {
	let offset = 0;
	// Fed a slice at a time on demand, so an entry is never inflated ahead of the parser.
	const input = new ReadableStream<Uint8Array>(
		{
			pull(controller) {
				if (offset >= compressed.length) return controller.close();
				controller.enqueue(compressed.subarray(offset, (offset += INFLATE_INPUT_BYTES)));
			},
		},
		{ highWaterMark: 0 },
	);
	let inflatedBytes = 0;
	for await (const chunk of input.pipeThrough(new DecompressionStream('deflate-raw'))) {
		inflatedBytes += chunk.length;
		yield chunk;
	}
	if (expectedBytes !== undefined && inflatedBytes !== expectedBytes) {
		throw new BrokenFileError(`The zip entry ${name} inflated to ${inflatedBytes} bytes, but the zip says ${expectedBytes}`);
	}
}

interface StreamHelper {
	on(event: 'data', callback: (chunk: Uint8Array) => void): StreamHelper;
	on(event: 'end', callback: () => void): StreamHelper;
	on(event: 'error', callback: (error: Error) => void): StreamHelper;
	pause(): StreamHelper;
	resume(): StreamHelper;
}

const HIGH_WATER_CHUNKS = 8;

/** An entry's content as jszip inflates it, pausing jszip while the consumer is behind. */
async function* inflate(file: JSZip.JSZipObject): AsyncGenerator<Uint8Array> {
	// jszip's own stream (its nodeStream is an old stream without async iteration).
	const stream = (file as unknown as { internalStream(type: 'uint8array'): StreamHelper }).internalStream('uint8array');
	const queue: Uint8Array[] = [];
	let finished = false;
	let failure: Error | undefined;
	let wake: (() => void) | undefined;
	const notify = () => {
		wake?.();
		wake = undefined;
	};
	stream
		.on('data', (chunk) => {
			queue.push(chunk);
			if (queue.length >= HIGH_WATER_CHUNKS) stream.pause();
			notify();
		})
		.on('end', () => {
			finished = true;
			notify();
		})
		.on('error', (error) => {
			failure = error;
			notify();
		})
		.resume();
	for (;;) {
		if (failure) throw failure;
		const chunk = queue.shift();
		if (chunk) {
			if (queue.length < HIGH_WATER_CHUNKS / 2) stream.resume();
			yield chunk;
			continue;
		}
		if (finished) return;
		await new Promise<void>((resolve) => (wake = resolve));
	}
}

function isMacMetadata(name: string): boolean {
	return name.startsWith('__MACOSX/') || name.split('/').pop()?.startsWith('._') === true;
}

/** True when the archive is an Office Open XML document (xlsx) rather than a zip of data files. */
export function looksLikeXlsx(entryNames: string[]): boolean {
	return entryNames.includes('[Content_Types].xml') && entryNames.some((name) => name.startsWith('xl/'));
}
