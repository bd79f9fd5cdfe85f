import type { ByteChunks, FileFormat, Row } from '../types';
import { parseCsv, type CsvOptions } from './csv';
import { detectFormat } from './detect';
import { parseJsonDocument } from './json';
import { parseJsonLines } from './jsonl';
import { BrokenFileError, MarkupError } from './errors';
import { inflating, zipEntries } from './zip';

export { detectFormat } from './detect';
export { BrokenFileError, MarkupError } from './errors';

export const RECORD_TYPE_KEY = '_recordType';

export interface ParseOptions {
	csv?: Omit<CsvOptions, 'tags'>;
	/** What the provider says the format is (content that contradicts it wins). */
	declared?: FileFormat;
	/** Names the record type of a zip entry (4me puts the type in each entry's name). */
	recordTypeOfEntry?: (entryName: string) => string | undefined;
	/** Fields put first in every row. */
	tags?: Row;
	/** The most bytes a zip entry may inflate to (the node's Max File Size). */
	maxEntryBytes?: number;
	/** The order to read a zip's entries in (default: the zip's own). */
	orderEntries?: (names: string[]) => string[];
	/** Turns each record into the row the node outputs (Rebilly: a JSON:API resource's attributes). */
	mapRow?: (row: Row) => Row;
	/** Why an empty file is wrong for this provider ("4me's CSV files always have a header row"); default: empty means no rows. */
	emptyIsBroken?: string;
}

export interface FileToParse {
	chunks: ByteChunks;
	contentType?: string;
	fileName?: string;
}

/** Thrown for files that hold no rows we can read (xlsx, unknown formats). */
export class UnreadableFormatError extends Error {
	constructor(
		readonly format: FileFormat,
		fileName: string | undefined,
	) {
		super(
			format === 'xlsx'
				? `${fileName ?? 'The export'} is an Excel (xlsx) file: it is returned as a file, not as rows`
				: `The format of ${fileName ?? 'the export file'} is not recognised (expected CSV, JSON Lines, JSON or zip)`,
		);
	}
}

/** Rows of a downloaded file in batches, whatever its format; zip entries are parsed one by one. */
export async function* parseFile(file: FileToParse, options: ParseOptions = {}): AsyncGenerator<Row[]> {
	const { head, chunks } = await peek(file.chunks);
	// A gzip file (a `.gz` export, or a server that compressed the body anyway) is read inflated.
	if (head && head[0] === 0x1f && head[1] === 0x8b) {
		const inflated = inflating(chunks, 'gzip', 'The gzip file', options.maxEntryBytes);
		yield* parseFile({ ...file, chunks: inflated, fileName: file.fileName?.replace(/\.gz$/i, '') }, options);
		return;
	}
	if (!head) {
		if (options.emptyIsBroken) throw new BrokenFileError(`The export file ${file.fileName ?? ''} is empty (0 bytes), but ${options.emptyIsBroken}`.replace('  ', ' '));
		return;
	}
	const format = detectFormat({ head, contentType: file.contentType, fileName: file.fileName, declared: options.declared });
	if (format !== 'zip' && format !== 'xlsx') checkNotMarkup(head);
	switch (format) {
		case 'csv':
			yield* parseCsv(chunks, { ...options.csv, tags: options.tags });
			return;
		case 'jsonl':
			yield* parseJsonLines(chunks, options.tags);
			return;
		case 'json':
			yield* parseJsonDocument(chunks, options.tags);
			return;
		case 'zip':
			for await (const entry of zipEntries(chunks, { maxEntryBytes: options.maxEntryBytes, orderEntries: options.orderEntries })) {
				const recordType = options.recordTypeOfEntry?.(entry.name);
				yield* parseFile(
					{ chunks: entry.chunks, fileName: entry.name },
					{
						...options,
						declared: undefined,
						tags: recordType ? { ...options.tags, [RECORD_TYPE_KEY]: recordType } : options.tags,
					},
				);
			}
			return;
		default:
			throw new UnreadableFormatError(format, file.fileName);
	}
}

const MARKUP = /^(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<\?xml)/i;

/** An HTML page (a proxy's error page, a login page) where CSV or JSON was due. */
function checkNotMarkup(head: Uint8Array): void {
	const text = new TextDecoder('utf-8').decode(head.subarray(0, 4096)).replace(/^\uFEFF/, '').trimStart();
	if (!MARKUP.test(text)) return;
	throw new MarkupError(/<title>([^<]{1,120})<\/title>/i.exec(text)?.[1]?.trim());
}

// Enough of the start of a file to tell its format (gzip and zip magic, the first JSON line, an
// HTML page) even when the network hands it over a few bytes at a time.
const PEEK_BYTES = 4096;

/** The file's first bytes (up to PEEK_BYTES, however they arrive), and the chunks again from the start. */
async function peek(source: ByteChunks): Promise<{ head?: Uint8Array; chunks: AsyncIterable<Uint8Array> }> {
	const iterator = (Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : toAsync(source));
	const gathered: Uint8Array[] = [];
	let size = 0;
	let ended = false;
	// A transfer that fails after the first bytes (cut short, too short for its announced size):
	// its start is still looked at first, so that an error page is named as one.
	let failure: unknown;
	while (size < PEEK_BYTES) {
		const read = await iterator.next().then(
			(result) => ({ result }),
			(error: unknown) => ({ error }),
		);
		if ('error' in read) {
			if (size === 0) throw read.error;
			failure = read.error;
			break;
		}
		const next = read.result;
		if (next.done) {
			ended = true;
			break;
		}
		if (next.value.length === 0) continue;
		gathered.push(next.value);
		size += next.value.length;
	}
	if (size === 0) return { chunks: (async function* () {})() };
	const head = gathered.length === 1 ? gathered[0] : Buffer.concat(gathered);
	return {
		head,
		chunks: (async function* () {
			yield head;
			if (failure !== undefined) throw failure;
			if (ended) return;
			for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
		})(),
	};
}

async function* toAsync(source: Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
	yield* source;
}
