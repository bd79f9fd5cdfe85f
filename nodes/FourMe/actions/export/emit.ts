import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { filesToBinary, filesToRows } from '../../../shared/output';
import type { DoneJobState } from '../../../shared/types';
import { resumeHint } from '../../helpers/exportJob';
import { readDownloadOptions, readParseOptions } from './common';

const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Rows or files of a finished export, as the node's Output parameter asks. */
export async function emitFiles(
	ctx: IExecuteFunctions,
	itemIndex: number,
	done: DoneJobState,
	job: { token?: string; types?: string[]; expiresAt?: string },
): Promise<INodeExecutionData[]> {
	const output = ctx.getNodeParameter('output', itemIndex) as string;
	const options = ctx.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const errorContext = job.token ? resumeHint(job.token) : 'Start a new export to get a fresh download link.';
	const download = readDownloadOptions(options, errorContext);
	const pairedItem = { item: itemIndex };
	if (output === 'file') {
		return filesToBinary(ctx, done.files, {
			download,
			pairedItem,
			binaryPropertyName: ctx.getNodeParameter('binaryPropertyName', itemIndex) as string,
			json: { token: job.token ?? null, ...(job.types ? { recordTypes: job.types } : {}), expiresAt: job.expiresAt ?? null },
			// S3 often labels 4me's files application/octet-stream; the extension is reliable.
			mimeTypeOf: (file, contentType) =>
				file.name?.endsWith('.xlsx') ? XLSX_MIME : file.name?.endsWith('.zip') ? 'application/zip' : file.name?.endsWith('.csv') ? 'text/csv' : contentType,
		});
	}
	return filesToRows(ctx, done.files, {
		download,
		parse: readParseOptions(options, job.types),
		limit: options.rowLimit as number | undefined,
		pairedItem,
	});
}
