import Papa from 'papaparse';

import type { ByteChunks, Row } from '../types';

export interface CsvOptions {
	/** Remove the TAB some providers (4me) put before values starting with = + - @. */
	stripInjectionGuard?: boolean;
	/** Column delimiter; detected from the header line when not given. */
	delimiter?: string;
	/** Fields put first in every row, e.g. the record type of a zip entry. */
	tags?: Row;
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
	const decoder = new TextDecoder('utf-8');
	const records = new RowBuilder(options);
	let pending = '';
	let inQuotes = false;
	for await (const chunk of chunks) {
		const text = decoder.decode(chunk, { stream: true });
		const scanFrom = pending.length;
		pending += text;
		const cut = lastRecordEnd(pending, scanFrom, inQuotes);
		inQuotes = cut.inQuotes;
		if (cut.end < 0) continue;
		const complete = pending.slice(0, cut.end + 1);
		pending = pending.slice(cut.end + 1);
		const rows = records.parse(complete);
		if (rows.length) yield rows;
	}
	pending += decoder.decode();
	if (inQuotes) {
		throw new Error(`The CSV file ends inside a quoted value (a quote is never closed after data row ${records.count})`);
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
			this.header = uniqueNames(records[0]);
			records = records.slice(1);
		}
		this.count += records.length;
		return records.map((values) => this.toRow(values));
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
		const row: Row = this.options.tags ? { ...this.options.tags } : {};
		const strip = this.options.stripInjectionGuard;
		for (let c = 0; c < header.length; c++) {
			const value = values[c];
			row[header[c]] = value === undefined ? '' : strip ? unguard(value) : value;
		}
		if (values.length > header.length) row._extra = values.slice(header.length);
		return row;
	}
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
