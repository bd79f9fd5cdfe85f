import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { forEachFileWithFreshLinks } from '../../../shared/links';
import { filesToBinary, filesToRows, type RowsOutputOptions } from '../../../shared/output';
import type { DoneJobState, EngineContext, ExportFile } from '../../../shared/types';
import { exportState, getExport, LINK_VALIDITY_MS, resumeHint } from '../../helpers/exportJob';
import { readDownloadOptions } from './common';

export interface FinishedExport {
	id: string;
	done: DoneJobState;
}

/**
 * The rows or files of a finished export, as the node's Output parameter asks.
 * `rowLimit`: rows still wanted (0: all).
 */
export async function emitExport(
	ctx: IExecuteFunctions,
	itemIndex: number,
	finished: FinishedExport,
	rowLimit = 0,
): Promise<INodeExecutionData[]> {
	const output = ctx.getNodeParameter('output', itemIndex) as string;
	const options = ctx.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const download = readDownloadOptions(options, resumeHint(finished.id));
	const pairedItem = { item: itemIndex };
	if (output !== 'file') return readExportRows(ctx, finished, { download, limit: rowLimit, pairedItem });
	return forEachFileWithFreshLinks(ctx, finished.done.files, freshLinks(ctx, finished.id), async (file) =>
		filesToBinary(ctx, [file], {
			download,
			pairedItem,
			binaryPropertyName: ctx.getNodeParameter('binaryPropertyName', itemIndex) as string,
			json: { exportId: finished.id, expiresUtc: finished.done.expiresAt ?? null },
			mimeTypeOf: () => 'application/x-ndjson',
		}),
	);
}

/**
 * Every line of a finished export's files as an item. The files are read one after another
 * right away, and their links renewed when they run out (10 minutes after getAll gave them).
 */
export async function readExportRows(
	ctx: EngineContext,
	finished: FinishedExport,
	options: Pick<RowsOutputOptions, 'download' | 'limit' | 'pairedItem'>,
): Promise<INodeExecutionData[]> {
	let rowsLeft = options.limit && options.limit > 0 ? options.limit : Infinity;
	return forEachFileWithFreshLinks(ctx, finished.done.files, freshLinks(ctx, finished.id), async (file) => {
		if (rowsLeft <= 0) return [];
		const rows = await filesToRows(ctx, [file], { ...options, parse: {}, limit: rowsLeft === Infinity ? 0 : rowsLeft });
		rowsLeft -= rows.length;
		return rows;
	});
}

/** Renews an export's file links by asking exports/getAll again (each answer signs them anew). */
export function freshLinks(ctx: EngineContext, exportId: string) {
	return {
		validityMs: LINK_VALIDITY_MS,
		refresh: async (): Promise<ExportFile[]> => {
			const state = exportState(await getExport(ctx, exportId, resumeHint(exportId)), exportId);
			if (state.phase === 'failed' || state.phase === 'expired') {
				throw new NodeOperationError(ctx.getNode(), state.reason, { description: state.description });
			}
			if (state.phase !== 'done') throw new NodeOperationError(ctx.getNode(), `The Mews export ${exportId} is ${state.phase} again`);
			return state.files;
		},
	};
}

