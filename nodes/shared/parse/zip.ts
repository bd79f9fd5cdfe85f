import { BrokenFileError } from './errors';
import JSZip from 'jszip';

import type { ByteChunks } from '../types';

export interface ZipEntry {
	name: string;
	chunks: AsyncIterable<Uint8Array>;
}

export interface ZipOptions {
	/** The most bytes one entry may inflate to (the node's Max File Size). */
	maxEntryBytes?: number;
	/** The order to read entries in (default: as the zip lists them). */
	orderEntries?: (names: string[]) => string[];
}

/** An entry inflating to more than this many times its compressed size, and to more than... */
const MAX_RATIO = 200;
/** ...this, is a zip bomb, not data: CSV and JSON compress 5 to 20 times. */
const RATIO_CHECK_FROM_BYTES = 64 * 1024 * 1024;

/**
 * The files inside a zip, in the zip's order, each streamed as it is inflated. A zip's index
 * sits at its end, so the compressed archive itself is held in memory. Names are only read:
 * nothing is written to disk, so `../` in a name cannot reach anywhere.
 */
export async function* zipEntries(chunks: ByteChunks, options: ZipOptions = {}): AsyncGenerator<ZipEntry> {
	const parts: Uint8Array[] = [];
	for await (const chunk of chunks) parts.push(chunk);
	const zip = await JSZip.loadAsync(Buffer.concat(parts), { createFolders: false });
	const files = Object.values(zip.files).filter((file) => !file.dir && !isMacMetadata(file.name));
	const order = options.orderEntries?.(files.map((file) => file.name));
	if (order) files.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
	for (const file of files) {
		const limits = entryLimits(file, options);
		yield { name: file.name, chunks: limited(entryContent(file), file.name, limits) };
	}
}

interface EntryLimits {
	maxBytes?: number;
	compressedBytes?: number;
}

function entryLimits(file: JSZip.JSZipObject, options: ZipOptions): EntryLimits {
	const stored = (file as unknown as { _data?: StoredEntry })._data;
	const compressedBytes = typeof stored?.compressedSize === 'number' ? stored.compressedSize : undefined;
	const declared = stored?.uncompressedSize;
	const limits = { maxBytes: options.maxEntryBytes, compressedBytes };
	// What the zip declares is checked before inflating anything; what inflates is counted as it comes.
	if (typeof declared === 'number') checkSize(declared, file.name, limits);
	return limits;
}

async function* limited(chunks: AsyncIterable<Uint8Array>, name: string, limits: EntryLimits): AsyncGenerator<Uint8Array> {
	let inflated = 0;
	for await (const chunk of chunks) {
		inflated += chunk.length;
		checkSize(inflated, name, limits);
		yield chunk;
	}
}

function checkSize(bytes: number, name: string, limits: EntryLimits): void {
	checkInflated(`The zip entry ${name}`, bytes, limits.compressedBytes, limits.maxBytes);
}

/** Compressed data that inflates beyond the Max File Size, or far beyond what data compresses to, stops here. */
export function checkInflated(what: string, inflated: number, compressed: number | undefined, maxBytes: number | undefined): void {
	if (maxBytes !== undefined && inflated > maxBytes) {
		throw new BrokenFileError(`${what} inflates to more than the Max File Size of ${maxBytes} bytes`);
	}
	if (compressed && inflated > RATIO_CHECK_FROM_BYTES && inflated > compressed * MAX_RATIO) {
		throw new BrokenFileError(`${what} inflates to more than ${MAX_RATIO} times its compressed size (${compressed} bytes): a zip bomb, not an export`);
	}
}

/** What jszip keeps of an entry it read from an archive (its `_data`, a CompressedObject). */
interface StoredEntry {
	compression?: { magic?: string };
	compressedContent?: unknown;
	compressedSize?: number;
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
