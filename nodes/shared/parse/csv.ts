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
	/**
	 * A column's repeated values as one shared string each (default): less memory for rows that are
	 * kept (n8n keeps a node's items until the workflow ends), at a fifth of the parsing time. Rows
	 * handed on in batches and dropped read faster without (false).
	 */
	shareValues?: boolean;
}

const TAB = 9;
const GUARDED = new Set(['=', '+', '-', '@']);

/** The least text handed to papaparse at a time (the end of the file aside; tests pass less). */
const MIN_FEED_CHARS = 32 * 1024;

/**
 * Streams CSV text into row objects keyed by the header row, in batches (about one per network
 * chunk). The text goes into one papaparse stream, which keeps a record cut across chunks (a
 * quoted line break, a quote, a CRLF or a character split between them) until its end arrives.
 * The UTF-8 BOM is dropped by the decoder.
 */
export async function* parseCsv(chunks: ByteChunks, options: CsvOptions = {}, minFeedChars = MIN_FEED_CHARS): AsyncGenerator<Row[]> {
	const decoder = new Utf8Text();
	const records = new RowBuilder(options);
	// papaparse reads the unfinished record it holds again with every text it is given, so text is
	// held back until it is at least as long as that record: a record cut across many chunks then
	// costs a few times its length, not its length per chunk. Small chunks (zlib's are 16 KB) are
	// gathered too: papaparse sets up a parser per text.
	let held: string[] = [];
	let heldChars = 0;
	for await (const chunk of chunks) {
		const text = decoder.decode(chunk);
		held.push(text);
		heldChars += text.length;
		if (heldChars >= records.pendingChars && heldChars >= minFeedChars) {
			const rows = records.parse(held.length === 1 ? held[0] : held.join(''));
			held = [];
			heldChars = 0;
			if (rows.length) yield rows;
		}
		if (records.pendingChars + heldChars > MAX_RECORD_CHARS) throw recordTooLong('a record (a line, or a quoted value)');
	}
	held.push(decoder.decode());
	const rows = records.parse(held.join(''), true);
	if (rows.length) yield rows;
}

class RowBuilder {
	private header: string[] | undefined;
	private delimiter: string | undefined;
	private newline: '\n' | '\r\n' = '\n';
	/** An empty row (tags first, then every column as ''), copied for each record. */
	private emptyRow: Row = {};
	/** Each column's shared values (undefined: values not shared, shareValues false). */
	private columns: ColumnValues[] | undefined;
	count = 0;

	constructor(private readonly options: CsvOptions) {
		this.delimiter = options.delimiter;
	}

	private papa: PapaStream | undefined;
	/** The text before the header line's end: the delimiter and line break are told from that line. */
	private start = '';
	private startComplete = false;

	/** Characters given to parse that are not rows yet (an unfinished record). */
	get pendingChars(): number {
		return this.papa ? this.papa.pendingChars : this.start.length;
	}

	/** Rows of the records the text completes (`last`: the end of the file, which ends the last record). */
	parse(text: string, last = false): Row[] {
		if (!this.papa) {
			this.start += text;
			this.startComplete ||= text.includes('\n');
			if (!this.startComplete && !last) return [];
			text = this.start;
			this.start = '';
			if (!text) return [];
			this.detectLayout(text);
			this.papa = new PapaStream(this.delimiter as string, this.newline);
		}
		const records = this.papa.parse(text, last);
		// The last record is then the one whose quote is never closed: the rows before it first.
		const complete = this.papa.quoteNeverClosed ? records.length - 1 : records.length;
		const rows: Row[] = [];
		for (let r = 0; r < complete; r++) {
			const values = records[r];
			// A blank line (papaparse's skipEmptyLines, without its copy of every batch).
			if (values.length === 1 && values[0] === '') continue;
			if (!this.header) {
				this.setHeader(uniqueNames(values));
				continue;
			}
			if (values.length !== this.width && this.options.raggedRows !== 'keep') {
				throw new BrokenFileError(
					`Data row ${this.count + 1} of the CSV file has ${values.length} values, but its header has ${this.width} columns: the file is damaged (a broken line, or a value that should have been quoted)`,
				);
			}
			rows.push(this.toRow(values));
			this.count++;
		}
		if (this.papa.quoteNeverClosed) {
			throw new BrokenFileError(`The CSV file ends inside a quoted value (a quote is never closed after data row ${this.count})`);
		}
		return rows;
	}

	private width = 0;

	private setHeader(header: string[]) {
		this.header = header;
		this.width = header.length;
		this.emptyRow = { ...this.options.tags };
		for (const name of header) this.emptyRow[name] = '';
		const strip = this.options.stripInjectionGuard === true;
		this.columns = this.options.shareValues === false ? undefined : header.map(() => new ColumnValues(strip));
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
		if (columns) for (let c = 0; c < filled; c++) row[header[c]] = columns[c].value(values[c]);
		else if (this.options.stripInjectionGuard === true) for (let c = 0; c < filled; c++) row[header[c]] = unguard(values[c]);
		else for (let c = 0; c < filled; c++) row[header[c]] = values[c];
		if (values.length > header.length) row._extra = values.slice(header.length);
		return row;
	}
}

/**
 * One papaparse stream for the whole file, fed text synchronously through a minimal stand-in for a
 * Node readable stream (the input papaparse streams from). Calling Papa.parse once per chunk
 * instead builds papaparse's parser objects anew each time; in V8 that made every chunk's records
 * outlive the young generation (twice the time, and 300 MB of heap for rows nobody kept).
 */
class PapaStream {
	private onData: (text: string) => void = () => {};
	private onEnd: () => void = () => {};
	private records: string[][] = [];
	private failure: unknown;
	private fedChars = 0;
	/** Where papaparse's last complete record ends, in characters from the start of the file. */
	private cursor = 0;
	quoteNeverClosed = false;

	constructor(delimiter: string, newline: '\n' | '\r\n') {
		const input = {
			readable: true,
			read: () => null,
			on: (event: string, listener: () => void) => {
				if (event === 'data') this.onData = listener;
				else if (event === 'end') this.onEnd = listener;
				return input;
			},
			removeListener: () => input,
			pause: () => input,
			resume: () => input,
		};
		Papa.parse<string[]>(input as unknown as NodeJS.ReadableStream, {
			header: false,
			delimiter,
			newline,
			// Called synchronously while a text is fed (once more at the end).
			chunk: (results) => {
				this.records = this.records.length ? this.records.concat(results.data) : results.data;
				this.cursor = results.meta.cursor;
				// papaparse reports it only at the end, when no later text can close the quote.
				if (results.errors.some((error) => error.code === 'MissingQuotes')) this.quoteNeverClosed = true;
			},
			complete: () => undefined,
			error: (error) => {
				this.failure = error;
			},
		});
	}

	get pendingChars(): number {
		return this.fedChars - this.cursor;
	}

	/** The records the text completes (`last`: and the one it ends with). */
	parse(text: string, last: boolean): string[][] {
		this.records = [];
		this.fedChars += text.length;
		if (text) this.onData(text);
		if (last) this.onEnd();
		if (this.failure) throw this.failure;
		return this.records;
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
