import { BrokenFileError, MAX_RECORD_CHARS, recordTooLong, Utf8Text } from './errors';
import Papa from 'papaparse';

import type { ByteChunks, Row } from '../types';

export interface CsvOptions {
	/** Remove the TAB some providers (4me) put before values starting with = + - @. */
	stripInjectionGuard?: boolean;
	/** Column delimiter; detected from the header line when not given. */
	delimiter?: string;
	/** Fields put first in every row, e.g. the record type of a zip entry. */
	tags?: Row;
	/** Rows with more or fewer values than the header: an error (default), or kept (extra values in `_extra`). */
	raggedRows?: 'fail' | 'keep';
}

const TAB = 9;
const GUARDED = new Set(['=', '+', '-', '@']);

/**
 * Streams CSV text into row objects keyed by the header row, in batches (one per chunk of
 * complete records). Only complete records are handed to papaparse: a chunk is cut after
 * the last line break that lies outside quotes, so quoted line breaks and quotes that span
 * network chunks are safe. The UTF-8 BOM is dropped by the decoder.
 */
export async function* parseCsv(chunks: ByteChunks, options: CsvOptions = {}): AsyncGenerator<Row[]> {
	const decoder = new Utf8Text();
	const records = new RowBuilder(options);
	// The text after the last complete record, kept as pieces: only new text is scanned, and a long
	// record is joined once, when it ends (joining or slicing it on every chunk was quadratic).
	let pieces: string[] = [];
	let pendingChars = 0;
	let inQuotes = false;
	for await (const chunk of chunks) {
		const text = decoder.decode(chunk);
		const cut = lastRecordEnd(text, 0, inQuotes);
		inQuotes = cut.inQuotes;
		if (cut.end < 0) {
			pieces.push(text);
			pendingChars += text.length;
			if (pendingChars > MAX_RECORD_CHARS) throw recordTooLong('a record (a line, or a quoted value)');
			continue;
		}
		pieces.push(text.slice(0, cut.end + 1));
		const complete = pieces.join('');
		const rest = text.slice(cut.end + 1);
		pieces = [rest];
		pendingChars = rest.length;
		const rows = records.parse(complete);
		if (rows.length) yield rows;
	}
	let pending = pieces.join('');
	pending += decoder.decode();
	if (inQuotes) {
		throw new BrokenFileError(`The CSV file ends inside a quoted value (a quote is never closed after data row ${records.count})`);
	}
	const rows = records.parse(pending);
	if (rows.length) yield rows;
}

/** Index of the last line feed outside quotes (-1 if none), and the quote state at the end. */
function lastRecordEnd(text: string, from: number, inQuotes: boolean): { end: number; inQuotes: boolean } {
	let end = -1;
	let i = from;
	while (i < text.length) {
		const quote = text.indexOf('"', i);
		if (inQuotes) {
			if (quote < 0) break;
			inQuotes = false;
			i = quote + 1;
			continue;
		}
		const stop = quote < 0 ? text.length : quote;
		const lineFeed = text.lastIndexOf('\n', stop - 1);
		if (lineFeed >= i) end = lineFeed;
		if (quote < 0) break;
		inQuotes = true;
		i = quote + 1;
	}
	return { end, inQuotes };
}

class RowBuilder {
	private header: string[] | undefined;
	private delimiter: string | undefined;
	private newline: '\n' | '\r\n' = '\n';
	/** An empty row (tags first, then every column as ''), copied for each record. */
	private emptyRow: Row = {};
	private columns: ColumnValues[] = [];
	count = 0;

	constructor(private readonly options: CsvOptions) {
		this.delimiter = options.delimiter;
	}

	parse(text: string): Row[] {
		if (!text) return [];
		if (!this.header) this.detectLayout(text);
		const result = Papa.parse<string[]>(text, {
			header: false,
			delimiter: this.delimiter,
			newline: this.newline,
			skipEmptyLines: true,
		});
		let records = result.data;
		if (!this.header) {
			if (!records.length) return [];
			this.setHeader(uniqueNames(records[0]));
			records = records.slice(1);
		}
		const rows = new Array<Row>(records.length);
		for (let r = 0; r < records.length; r++) {
			if (records[r].length !== this.width && this.options.raggedRows !== 'keep') {
				throw new BrokenFileError(
					`Data row ${this.count + r + 1} of the CSV file has ${records[r].length} values, but its header has ${this.width} columns: the file is damaged (a broken line, or a value that should have been quoted)`,
				);
			}
			rows[r] = this.toRow(records[r]);
		}
		this.count += records.length;
		return rows;
	}

	private width = 0;

	private setHeader(header: string[]) {
		this.header = header;
		this.width = header.length;
		this.emptyRow = { ...this.options.tags };
		for (const name of header) this.emptyRow[name] = '';
		const strip = this.options.stripInjectionGuard === true;
		this.columns = header.map(() => new ColumnValues(strip));
	}

	private detectLayout(text: string) {
		const firstLineEnd = text.indexOf('\n');
		const firstLine = firstLineEnd < 0 ? text : text.slice(0, firstLineEnd);
		if (firstLine.endsWith('\r')) this.newline = '\r\n';
		if (!this.delimiter) {
			this.delimiter = Papa.parse(firstLine, { preview: 1 }).meta.delimiter || ',';
		}
	}

	private toRow(values: string[]): Row {
		const header = this.header as string[];
		const columns = this.columns;
		// A copy of one template keeps every row in the same shape, tags and missing values included.
		const row: Row = { ...this.emptyRow };
		const filled = Math.min(values.length, header.length);
		for (let c = 0; c < filled; c++) row[header[c]] = columns[c].value(values[c]);
		if (values.length > header.length) row._extra = values.slice(header.length);
		return row;
	}
}

/** Columns with more distinct values than this (ids, dates, free text) stop sharing them. */
const SHARED_VALUES_LIMIT = 1000;

/**
 * The values of one column. n8n keeps every row until the workflow ends, so a column's repeated
 * values (status, team, person...) are one shared string each instead of a string per row.
 * Shared strings are fresh copies: papaparse's values are slices of the parsed text, which
 * would keep the whole text alive.
 */
class ColumnValues {
	private shared: Map<string, string> | undefined = new Map();

	constructor(private readonly stripInjectionGuard: boolean) {}

	value(raw: string): string {
		const shared = this.shared;
		if (!shared) return this.clean(raw);
		const known = shared.get(raw);
		if (known !== undefined) return known;
		if (shared.size >= SHARED_VALUES_LIMIT) {
			this.shared = undefined;
			return this.clean(raw);
		}
		const copy = copyOf(raw);
		const value = this.clean(copy);
		shared.set(copy, value);
		return value;
	}

	private clean(value: string): string {
		return this.stripInjectionGuard ? unguard(value) : value;
	}
}

/** V8 copies substrings shorter than this; longer ones point into the string they come from. */
const SLICE_MIN_LENGTH = 13;

/** A string that shares no memory with the one it was cut from. */
function copyOf(text: string): string {
	return text.length < SLICE_MIN_LENGTH ? text : Buffer.from(text, 'utf8').toString('utf8');
}

function unguard(value: string): string {
	return value.charCodeAt(0) === TAB && GUARDED.has(value.charAt(1)) ? value.slice(1) : value;
}

/** Header names as keys: blank ones get a column number, repeated ones a suffix. */
function uniqueNames(header: string[]): string[] {
	const seen = new Map<string, number>();
	return header.map((raw, index) => {
		const name = raw.trim() === '' ? `column_${index + 1}` : raw;
		const times = seen.get(name) ?? 0;
		seen.set(name, times + 1);
		return times === 0 ? name : `${name}_${times + 1}`;
	});
}
