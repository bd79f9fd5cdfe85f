import { BrokenFileError, MAX_RECORD_CHARS, recordTooLong, Utf8Text } from './errors';
import type { ByteChunks, Row } from '../types';

/**
 * Streams JSON Lines into objects, one batch per chunk of complete lines. Only the new text of
 * each chunk is searched for line breaks, and a long line is kept as pieces until it ends, so
 * a line of any length costs its own length once.
 */
export async function* parseJsonLines(chunks: ByteChunks, tags?: Row, linesBefore = 0): AsyncGenerator<Row[]> {
	const decoder = new Utf8Text();
	let pieces: string[] = [];
	let pendingChars = 0;
	let lineNumber = linesBefore;
	const toRows = (text: string): Row[] => {
		const rows: Row[] = [];
		for (const line of text.split('\n')) {
			lineNumber++;
			const trimmed = line.trim();
			if (!trimmed) continue;
			const value = parseJson(trimmed);
			if (value === INVALID) {
				throw new BrokenFileError(`Line ${lineNumber} of the JSON Lines file is not valid JSON: ${trimmed.slice(0, 80)}`);
			}
			// Each line of a JSON Lines export is one record: an object.
			if (value === null || typeof value !== 'object' || Array.isArray(value)) {
				throw new BrokenFileError(`Line ${lineNumber} of the JSON Lines file is not a record (a JSON object) but ${Array.isArray(value) ? 'an array' : JSON.stringify(value).slice(0, 40)}`);
			}
			rows.push(toRow(value, tags));
		}
		return rows;
	};
	for await (const chunk of chunks) {
		const text = decoder.decode(chunk);
		const end = text.lastIndexOf('\n');
		if (end < 0) {
			pieces.push(text);
			pendingChars += text.length;
			if (pendingChars > MAX_RECORD_CHARS) throw recordTooLong('a line');
			continue;
		}
		pieces.push(text.slice(0, end));
		const rows = toRows(pieces.join(''));
		pieces = [text.slice(end + 1)];
		pendingChars = pieces[0].length;
		if (rows.length) yield rows;
	}
	pieces.push(decoder.decode());
	const rows = toRows(pieces.join(''));
	if (rows.length) yield rows;
}

export const INVALID = Symbol('invalid JSON');

export function parseJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return INVALID;
	}
}

/** A record as a row: objects as they are, anything else as `{ value }`; tags first. */
export function toRow(value: unknown, tags?: Row): Row {
	const record = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Row) : { value };
	return tags ? { ...tags, ...record } : record;
}
