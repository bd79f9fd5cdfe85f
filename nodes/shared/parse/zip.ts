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
		yield { name: file.name, chunks: file.nodeStream('nodebuffer') as AsyncIterable<Uint8Array> };
	}
}

function isMacMetadata(name: string): boolean {
	return name.startsWith('__MACOSX/') || name.split('/').pop()?.startsWith('._') === true;
}

/** True when the archive is an Office Open XML document (xlsx) rather than a zip of data files. */
export function looksLikeXlsx(entryNames: string[]): boolean {
	return entryNames.includes('[Content_Types].xml') && entryNames.some((name) => name.startsWith('xl/'));
}
