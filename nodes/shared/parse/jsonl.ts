import type { ByteChunks, Row } from '../types';

/** Streams JSON Lines into objects, one batch per chunk of complete lines. */
export async function* parseJsonLines(chunks: ByteChunks, tags?: Row): AsyncGenerator<Row[]> {
	const decoder = new TextDecoder('utf-8');
	let pending = '';
	let lineNumber = 0;
	const toRows = (text: string): Row[] => {
		const rows: Row[] = [];
		for (const line of text.split('\n')) {
			lineNumber++;
			const trimmed = line.trim();
			if (!trimmed) continue;
			const value = parseJson(trimmed);
			if (value === INVALID) {
				throw new Error(`Line ${lineNumber} of the JSON Lines file is not valid JSON: ${trimmed.slice(0, 80)}`);
			}
			rows.push(toRow(value, tags));
		}
		return rows;
	};
	for await (const chunk of chunks) {
		pending += decoder.decode(chunk, { stream: true });
		const end = pending.lastIndexOf('\n');
		if (end < 0) continue;
		const rows = toRows(pending.slice(0, end));
		pending = pending.slice(end + 1);
		if (rows.length) yield rows;
	}
	const rows = toRows(pending + decoder.decode());
	if (rows.length) yield rows;
}

/** A JSON document: an array of records, or an object holding one array of records. */
export async function* parseJsonDocument(chunks: ByteChunks, tags?: Row): AsyncGenerator<Row[]> {
	const parts: Uint8Array[] = [];
	for await (const chunk of chunks) parts.push(chunk);
	const text = new TextDecoder('utf-8').decode(Buffer.concat(parts));
	if (!text.trim()) return;
	const value = parseJson(text);
	if (value === INVALID) {
		// JSON Lines whose first line was too long to recognise from the file's first bytes.
		if (text.trimStart().startsWith('{') && text.trim().includes('\n')) {
			yield* parseJsonLines([Buffer.from(text)], tags);
			return;
		}
		throw new Error('The JSON file is not valid JSON');
	}
	const records = Array.isArray(value) ? value : (singleArrayIn(value) ?? [value]);
	const batchSize = 10_000;
	for (let start = 0; start < records.length; start += batchSize) {
		yield records.slice(start, start + batchSize).map((record) => toRow(record, tags));
	}
}

const INVALID = Symbol('invalid JSON');

function parseJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return INVALID;
	}
}

function singleArrayIn(value: unknown): unknown[] | undefined {
	if (!value || typeof value !== 'object') return undefined;
	const arrays = Object.values(value).filter(Array.isArray);
	return arrays.length === 1 ? arrays[0] : undefined;
}

function toRow(value: unknown, tags?: Row): Row {
	const record = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Row) : { value };
	return tags ? { ...tags, ...record } : record;
}
