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
const MAX_RATIO = 100;
/**
 * ...this, is a zip bomb, not data: CSV and JSON compress 5 to 20 times. Kept low because a bomb of
 * short lines makes a row per line: 4 MB of "0\n" are already two million rows.
 */
const RATIO_CHECK_FROM_BYTES = 4 * 1024 * 1024;

/**
 * The files inside a zip, in the zip's order, each streamed as it is inflated. A zip's index
 * sits at its end, so the compressed archive itself is held in memory. Names are only read:
 * nothing is written to disk, so `../` in a name cannot reach anywhere.
 */
export async function* zipEntries(chunks: ByteChunks, options: ZipOptions = {}): AsyncGenerator<ZipEntry> {
	const parts: Uint8Array[] = [];
	for await (const chunk of chunks) parts.push(chunk);
	const archive = Buffer.concat(parts);
	// The chunks would otherwise stay alive (a second copy of the archive) while the entries are read.
	parts.length = 0;
	const zip = await JSZip.loadAsync(archive, { createFolders: false });
	const files = Object.values(zip.files).filter((file) => !file.dir && !isMacMetadata(file.name));
	// jszip cleans `../` out of names as it reads them; the name as the archive has it tells.
	const originalName = (file: JSZip.JSZipObject) => (file as unknown as { unsafeOriginalName?: string }).unsafeOriginalName ?? file.name;
	const unsafe = files.find((file) => isUnsafeName(originalName(file)));
	if (unsafe) {
		throw new BrokenFileError(`The zip has an entry named "${originalName(unsafe).slice(0, 100)}", a path outside the archive, which an export never has: it is not read`);
	}
	const order = options.orderEntries?.(files.map((file) => file.name));
	if (order) files.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
	for (const file of files) {
		const limits = entryLimits(file, options);
		yield { name: file.name, chunks: entryContent(file, limits) };
	}
}

interface EntryLimits {
	maxBytes?: number;
	compressedBytes?: number;
	expectedBytes?: number;
}

function entryLimits(file: JSZip.JSZipObject, options: ZipOptions): EntryLimits {
	const stored = (file as unknown as { _data?: StoredEntry })._data;
	const compressedBytes = typeof stored?.compressedSize === 'number' ? stored.compressedSize : undefined;
	const declared = stored?.uncompressedSize;
	const limits = { maxBytes: options.maxEntryBytes, compressedBytes, expectedBytes: typeof declared === 'number' ? declared : undefined };
	// What the zip declares is checked before inflating anything; what inflates is counted as it comes.
	if (typeof declared === 'number') checkSize(declared, file.name, limits);
	return limits;
}

/** Entries jszip inflates itself (not deflated: stored, or another method): the Max File Size still holds. */
async function* limited(chunks: AsyncIterable<Uint8Array>, name: string, limits: EntryLimits): AsyncGenerator<Uint8Array> {
	let inflated = 0;
	for await (const chunk of chunks) {
		inflated += chunk.length;
		checkInflated(`The zip entry ${name}`, inflated, undefined, limits.maxBytes);
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
function entryContent(file: JSZip.JSZipObject, limits: EntryLimits): AsyncIterable<Uint8Array> {
	const stored = (file as unknown as { _data?: StoredEntry })._data;
	if (stored?.compression?.magic === DEFLATE && stored.compressedContent instanceof Uint8Array) {
		return inflateNatively(stored.compressedContent, limits, file.name);
	}
	return limited(inflate(file), file.name, limits);
}

async function* inflateNatively(compressed: Uint8Array, limits: EntryLimits, name: string): AsyncGenerator<Uint8Array> {
	let inflatedBytes = 0;
	for await (const chunk of inflating(single(compressed), 'deflate-raw', `The zip entry ${name}`, limits.maxBytes)) {
		inflatedBytes += chunk.length;
		yield chunk;
	}
	if (limits.expectedBytes !== undefined && inflatedBytes !== limits.expectedBytes) {
		throw new BrokenFileError(`The zip entry ${name} inflated to ${inflatedBytes} bytes, but the zip says ${limits.expectedBytes}`);
	}
}

async function* single(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
	yield bytes;
}

/**
 * Inflates compressed bytes with the runtime's zlib, fed a slice at a time on demand (never far
 * ahead of the parser). What comes out is checked as it comes against the Max File Size, and
 * against the compressed bytes read so far (zlib reads ahead a little): data that inflates far
 * beyond what data compresses to is a bomb, and stops after at most 100 times its own size.
 */
export async function* inflating(compressed: AsyncIterable<Uint8Array>, format: 'deflate-raw' | 'gzip', what: string, maxBytes?: number): AsyncGenerator<Uint8Array> {
	const iterator = compressed[Symbol.asyncIterator]();
	let rest: Uint8Array = new Uint8Array(0);
	let consumed = 0;
	const input = new ReadableStream<Uint8Array>(
		{
			async pull(controller) {
				if (!rest.length) {
					const next = await iterator.next();
					if (next.done) return controller.close();
					rest = next.value;
				}
				const slice = rest.subarray(0, INFLATE_INPUT_BYTES);
				rest = rest.subarray(slice.length);
				consumed += slice.length;
				controller.enqueue(slice);
			},
		},
		{ highWaterMark: 0 },
	);
	let inflated = 0;
	for await (const chunk of input.pipeThrough(new DecompressionStream(format))) {
		inflated += chunk.length;
		checkInflated(what, inflated, consumed, maxBytes);
		yield chunk;
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

/** `../x`, `/etc/x`, `C:\x`, `a\..\b`: names that climb out of the archive (zip-slip). */
function isUnsafeName(name: string): boolean {
	return name.startsWith('/') || name.includes('\\') || /^[a-z]:/i.test(name) || name.split('/').includes('..');
}

function isMacMetadata(name: string): boolean {
	return name.startsWith('__MACOSX/') || name.split('/').pop()?.startsWith('._') === true;
}
