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
		yield { name: file.name, chunks: inflate(file) };
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

/** An entry's content as it is inflated, pausing jszip while the consumer is behind. */
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
