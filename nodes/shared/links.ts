import { NodeApiError } from 'n8n-workflow';

import { asNodeError } from './errors';
import type { EngineContext, ExportFile } from './types';

export interface FreshLinkOptions {
	/**
	 * Asks the provider again for the files of the export, with newly signed links (same order);
	 * undefined when it has none to give (the refusal then stands).
	 */
	refresh: () => Promise<ExportFile[] | undefined>;
	/** How long a link stays valid after the provider returned it; older links are refreshed before use. */
	validityMs?: number;
}

// Links are renewed this long before they run out, so that a download does not start on a dying link.
const VALIDITY_MARGIN_MS = 60_000;

/**
 * Handles the files of an export one after another, with their signed links kept fresh:
 * a link about to run out is renewed before its file is opened, and a link the storage host
 * refuses (401/403, as expired signed URLs are) is renewed once and the file started again.
 * A file that fails halfway leaves nothing behind: `handle` returns its results only at the end.
 */
export async function forEachFileWithFreshLinks<T>(
	ctx: EngineContext,
	files: ExportFile[],
	options: FreshLinkOptions,
	handle: (file: ExportFile, index: number) => Promise<T[]>,
): Promise<T[]> {
	let current = files;
	let fetchedAt = Date.now();
	const renew = async (why: string): Promise<boolean> => {
		ctx.logger.info(`Export download links ${why}, asking for new ones`);
		const renewed = await options.refresh();
		if (!renewed) return false;
		current = renewed;
		fetchedAt = Date.now();
		return true;
	};
	const results: T[] = [];
	for (let index = 0; index < files.length; index++) {
		if (options.validityMs !== undefined && Date.now() - fetchedAt > options.validityMs - VALIDITY_MARGIN_MS) {
			await renew('are about to expire');
		}
		let fileResults: T[];
		try {
			fileResults = await handle(fileAt(current, index), index);
		} catch (error) {
			if (!isRefusedLink(error) || !(await renew('were refused'))) throw asNodeError(ctx.getNode(), error);
			fileResults = await handle(fileAt(current, index), index);
		}
		for (const result of fileResults) results.push(result);
	}
	return results;
}

function fileAt(files: ExportFile[], index: number): ExportFile {
	const file = files[index];
	// The provider listed fewer files than before: the export changed under us (e.g. expired).
	if (!file) throw new Error(`The export no longer lists file ${index + 1}`);
	return file;
}

function isRefusedLink(error: unknown): boolean {
	return error instanceof NodeApiError && (error.httpCode === '403' || error.httpCode === '401');
}
