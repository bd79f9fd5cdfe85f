import type { IBinaryData, IDataObject, IExecuteFunctions, INodeExecutionData, IPairedItemData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { asNodeError, isNodeError } from './errors';
import { openDownload, type DownloadOptions } from './download';
import { BrokenFileError, MarkupError, parseFile, RECORD_TYPE_KEY, UnreadableFormatError, type ParseOptions } from './parse';
import type { EngineContext, ExportFile, Row } from './types';
import { hostOf } from './urls';

export interface RowsOutputOptions {
	download: DownloadOptions;
	parse: ParseOptions;
	/** Stop after this many rows (0 or undefined: all). */
	limit?: number;
	pairedItem: IPairedItemData;
}

/**
 * Where rows go as they are read: the node's items, or a batch for a sub-workflow. It is awaited,
 * so a busy consumer holds the download back instead of rows piling up in memory.
 */
export type RowSink = (rows: Row[]) => void | Promise<void>;

/**
 * The rows of an export a run wants, by their position in the export: the first `skip` are passed
 * over ("Start at Row"), then at most `limit` are handed on. A file read again (its link was
 * refused halfway) hands on only the rows after those it already handed on.
 */
export class RowWindow {
	handedOn = 0;
	/** Rows up to this position are skipped or handed on already. */
	private passed: number;

	constructor(
		readonly skip = 0,
		readonly limit = Infinity,
	) {
		this.passed = skip;
	}

	/** A consumer that has what it wants (a trigger counts the rows it did not emit before). */
	stopped = false;

	get full(): boolean {
		return this.stopped || this.handedOn >= this.limit;
	}

	/** The wanted ones of `rows`, the export's rows from position `first` (0-based) on. */
	take(first: number, rows: Row[]): Row[] {
		const from = Math.max(0, this.passed - first);
		if (from >= rows.length) return [];
		const to = Math.min(rows.length, from + (this.limit - this.handedOn));
		this.passed = first + to;
		this.handedOn += to - from;
		return from === 0 && to === rows.length ? rows : rows.slice(from, to);
	}
}

/**
 * Downloads the files of a finished export one after another and hands the rows `window` wants
 * to `sink`, starting at position `first` of the export. Stops downloading as soon as the window
 * is full. Returns the position after the last row read.
 */
export async function streamFileRows(
	ctx: EngineContext,
	files: ExportFile[],
	options: Omit<RowsOutputOptions, 'limit' | 'pairedItem'>,
	window: RowWindow,
	first: number,
	sink: RowSink,
): Promise<number> {
	let position = first;
	// Paged results add their next page as each page is read.
	const queue = [...files];
	for (let file = queue.shift(); file && !window.full; file = queue.shift()) {
		const download = await openDownload(ctx, file.url, { ...options.download, expectedBytes: file.size, auth: file.auth });
		const parse: ParseOptions = {
			...options.parse,
			maxEntryBytes: options.parse.maxEntryBytes ?? options.download.maxBytes,
			declared: file.format ?? options.parse.declared,
			tags: file.recordType ? { ...options.parse.tags, [RECORD_TYPE_KEY]: file.recordType } : options.parse.tags,
		};
		const mapRow = parse.mapRow;
		try {
			for await (const rows of parseFile(
				{ chunks: download.chunks, contentType: download.contentType, fileName: file.name ?? download.fileName },
				parse,
			)) {
				const wanted = window.take(position, rows);
				position += rows.length;
				if (wanted.length) await sink(mapRow ? wanted.map(mapRow) : wanted);
				if (window.full) break;
			}
		} catch (error) {
			throw fileError(ctx, error, file, download.fileName, options.download.errorContext);
		} finally {
			download.cancel();
		}
		const next = file.next?.(download.headers);
		if (next) queue.unshift(next);
	}
	if (window.full && window.limit !== Infinity) ctx.logger.info(`Stopped at the row limit of ${window.limit} rows`);
	return position;
}

/** Every row of the files as an n8n item (up to `limit`). */
export async function filesToRows(
	ctx: EngineContext,
	files: ExportFile[],
	options: RowsOutputOptions,
): Promise<INodeExecutionData[]> {
	const items: INodeExecutionData[] = [];
	// One pairedItem object for all rows of an input item: large exports make millions of items.
	const pairedItem = options.pairedItem;
	const window = new RowWindow(0, options.limit && options.limit > 0 ? options.limit : Infinity);
	await streamFileRows(ctx, files, options, window, 0, (rows) => {
		for (const row of rows) items.push({ json: row as IDataObject, pairedItem });
	});
	return items;
}

/** A file that could not be read as rows: what is wrong, which file from which host, the job. */
function fileError(ctx: EngineContext, error: unknown, file: ExportFile, downloadedName: string | undefined, errorContext?: string) {
	if (isNodeError(error)) return error;
	const xlsxHint =
		error instanceof UnreadableFormatError && error.format === 'xlsx'
			? 'Set "Output" to "File" to get the file, then read it with the Extract From File node.'
			: undefined;
	if (!(error instanceof BrokenFileError) && !(error instanceof UnreadableFormatError)) {
		return asNodeError(ctx.getNode(), error, [xlsxHint, errorContext].filter(Boolean).join(' '));
	}
	const name = file.name ?? downloadedName;
	const where = `(${name ? `file ${name}` : 'the export file'} from ${hostOf(file.url)})`;
	const markupHint = error instanceof MarkupError ? 'A proxy, gateway or login page answered instead of the file host; try again later.' : undefined;
	return new NodeOperationError(ctx.getNode(), `${error.message} ${where}`, {
		description: [xlsxHint, markupHint, errorContext].filter(Boolean).join(' ') || undefined,
	});
}


export interface FileOutputOptions {
	download: DownloadOptions;
	binaryPropertyName: string;
	pairedItem: IPairedItemData;
	/** Fields of the job put on every file item. */
	json?: IDataObject;
	mimeTypeOf?: (file: ExportFile, contentType: string | undefined) => string | undefined;
}

const WHOLE_FILE_ATTEMPTS = 3;

/**
 * One item per export file, with the file as n8n binary data. The download is handed to n8n's
 * binary data store as it arrives, so memory stays flat however large the file is; a broken
 * transfer is resumed, and a file that still fails is downloaded again from the start.
 */
export async function filesToBinary(
	ctx: IExecuteFunctions,
	files: ExportFile[],
	options: FileOutputOptions,
): Promise<INodeExecutionData[]> {
	const items: INodeExecutionData[] = [];
	const queue = [...files];
	for (let file = queue.shift(); file; file = queue.shift()) {
		const { binary, headers } = await storeFile(ctx, file, options);
		const next = file.next?.(headers);
		if (next) queue.unshift(next);
		items.push({
			json: {
				...options.json,
				fileName: binary.fileName,
				...(file.recordType ? { recordType: file.recordType } : {}),
				fileSize: binary.fileSize,
				mimeType: binary.mimeType,
			},
			binary: { [options.binaryPropertyName]: binary },
			pairedItem: options.pairedItem,
		});
	}
	return items;
}

async function storeFile(ctx: IExecuteFunctions, file: ExportFile, options: FileOutputOptions): Promise<{ binary: IBinaryData; headers: Record<string, unknown> }> {
	for (let attempt = 1; ; attempt++) {
		const download = await openDownload(ctx, file.url, { ...options.download, expectedBytes: file.size, auth: file.auth });
		const fileName = file.name ?? download.fileName ?? 'export';
		const mimeType = options.mimeTypeOf?.(file, download.contentType) ?? download.contentType;
		try {
			const stream = download.readable() as Parameters<typeof ctx.helpers.prepareBinaryData>[0];
			const binary = await ctx.helpers.prepareBinaryData(stream, fileName, mimeType);
			return { binary, headers: download.headers };
		} catch (error) {
			download.cancel();
			// Our own errors (too large, a refused link, a size that does not match) will not mend.
			if (isNodeError(error)) throw asNodeError(ctx.getNode(), error);
			if (attempt >= WHOLE_FILE_ATTEMPTS) {
				throw new NodeOperationError(ctx.getNode(), `The export file ${fileName} could not be stored: ${(error as Error).message}`, {
					description: options.download.errorContext,
				});
			}
			ctx.logger.info(`Storing ${fileName} failed (${(error as Error).message}), downloading it again`);
		}
	}
}
