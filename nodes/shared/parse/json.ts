import { BrokenFileError, MAX_RECORD_CHARS, recordTooLong, Utf8Text } from './errors';
import type { ByteChunks, Row } from '../types';
import { INVALID, parseJson, parseJsonLines, toRow } from './jsonl';

/**
 * A JSON document streamed record by record: the elements of a top-level array, or of the
 * first array member of a top-level object (`{"data": [...]}`, as JSON:API documents and
 * Rebilly's json-api exports have it). Only one record's text is held at a time, so a file of a
 * million records never sits in memory whole. An object without an array member is one row;
 * a file of several top-level objects is JSON Lines whose first line was too long to recognise.
 */
export async function* parseJsonDocument(chunks: ByteChunks, tags?: Row): AsyncGenerator<Row[]> {
	const decoder = new Utf8Text();
	const scanner = new RecordScanner();
	const source: AsyncIterator<Uint8Array> =
		Symbol.asyncIterator in chunks ? chunks[Symbol.asyncIterator]() : (async function* () { yield* chunks; })();
	for (let next = await source.next(); ; next = await source.next()) {
		const text = next.done ? decoder.decode() : decoder.decode(next.value);
		const records = scanner.push(text, next.done === true);
		if (records.length) yield records.map((record) => toRow(parseRecord(record, scanner.recordCount), tags));
		if (scanner.linesFollow) {
			// `{...}` then more: JSON Lines. The first object is a row; the rest goes to the line reader.
			yield [toRow(parseRecord(scanner.takeWholeDocument() ?? '', 1), tags)];
			yield* parseJsonLines(rest(scanner.remainder(), source), tags, 1);
			return;
		}
		if (next.done) break;
	}
	const whole = scanner.takeWholeDocument();
	if (whole !== undefined) yield [toRow(parseRecord(whole, 1), tags)];
}

async function* rest(text: string, source: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
	yield Buffer.from(text, 'utf8');
	for (let next = await source.next(); !next.done; next = await source.next()) yield next.value;
}

function parseRecord(text: string, index: number): unknown {
	const value = parseJson(text);
	if (value === INVALID) throw new BrokenFileError(`Record ${index} of the JSON file is not valid JSON: ${text.slice(0, 80)}`);
	return value;
}

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COMMA = 44;

type Mode =
	/** Before the first character of the document. */
	| 'start'
	/** Inside the records array, before a record (or its end). */
	| 'beforeRecord'
	/** Inside a record. */
	| 'record'
	/** Inside a top-level object, outside the records array: members are kept as text. */
	| 'object'
	/** After the records array or the top-level value: only whitespace (or JSON Lines) may follow. */
	| 'after';

/**
 * Finds where records start and end in JSON text that arrives in pieces, by counting brackets
 * outside strings. The scan position is kept between pieces, so every character is looked at
 * once whatever the size of a record.
 */
class RecordScanner {
	private buffer = '';
	private position = 0;
	private mode: Mode = 'start';
	private depth = 0;
	private inString = false;
	private escaped = false;
	private recordStart = -1;
	/** The top-level object as text while it has shown no array (it may be the only row). */
	private kept: string[] = [];
	private keptFrom = 0;
	private keptChars = 0;
	private arrayFound = false;
	private topLevelIsObject = false;
	recordCount = 0;
	linesFollow = false;

	/** The records completed by `text`, as JSON text each. */
	push(text: string, last: boolean): string[] {
		this.buffer += text;
		const records: string[] = [];
		const buffer = this.buffer;
		let i = this.position;
		for (; i < buffer.length && !this.linesFollow; i++) {
			const code = buffer.charCodeAt(i);
			if (this.inString) {
				if (this.escaped) this.escaped = false;
				else if (code === BACKSLASH) this.escaped = true;
				else if (code === QUOTE) this.inString = false;
				continue;
			}
			if (isSpace(code)) continue;
			switch (this.mode) {
				case 'start':
					if (code === OPEN_BRACKET) {
						this.arrayFound = true;
						this.mode = 'beforeRecord';
					} else if (code === OPEN_BRACE) {
						this.topLevelIsObject = true;
						this.keptFrom = i;
						this.mode = 'object';
						this.depth = 1;
					} else {
						throw new BrokenFileError('The JSON file does not start with an array or an object');
					}
					break;
				case 'beforeRecord':
					if (code === CLOSE_BRACKET) {
						this.closeArray(i);
						break;
					}
					if (code === COMMA) break;
					this.mode = 'record';
					this.recordStart = i;
					this.depth = 0;
					i = this.stepRecord(buffer, i, code, records);
					break;
				case 'record':
					i = this.stepRecord(buffer, i, code, records);
					break;
				case 'object':
					if (code === QUOTE) this.inString = true;
					else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
						// An array member of the top-level object: its elements are the records.
						// (At depth 1 a bracket can only open a member's value.)
						if (code === OPEN_BRACKET && this.depth === 1 && !this.arrayFound) {
							this.kept = [];
							this.arrayFound = true;
							this.mode = 'beforeRecord';
							break;
						}
						this.depth++;
					} else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
						this.depth--;
						if (this.depth === 0) {
							this.keepUpTo(buffer, i + 1);
							this.mode = 'after';
						}
					}
					break;
				case 'after':
					if (this.topLevelIsObject && !this.arrayFound && code === OPEN_BRACE) {
						this.linesFollow = true;
						this.position = i;
						this.buffer = buffer;
						return records;
					}
					if (this.arrayFound && this.topLevelIsObject && this.depth > 0) {
						// Members after the records array: skipped.
						if (code === QUOTE) this.inString = true;
						else if (code === OPEN_BRACE || code === OPEN_BRACKET) this.depth++;
						else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) this.depth--;
						break;
					}
					throw new BrokenFileError('The JSON file has more text after the end of its data');
			}
		}
		this.compact(i, last);
		if (this.buffer.length > MAX_RECORD_CHARS) throw recordTooLong('a record');
		if (last && this.mode !== 'after' && this.mode !== 'start') {
			throw new BrokenFileError(`The JSON file ends before its data does (after ${this.recordCount} records)`);
		}
		return records;
	}

	/** One character of a record; returns the index to go on from. */
	private stepRecord(buffer: string, i: number, code: number, records: string[]): number {
		if (code === QUOTE) this.inString = true;
		else if (code === OPEN_BRACE || code === OPEN_BRACKET) this.depth++;
		else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
			if (this.depth === 0) {
				// The array closes right after a record.
				this.emit(buffer, i, records);
				this.closeArray(i);
				return i;
			}
			this.depth--;
		} else if (code === COMMA && this.depth === 0) {
			this.emit(buffer, i, records);
			this.mode = 'beforeRecord';
		}
		return i;
	}

	private emit(buffer: string, end: number, records: string[]) {
		records.push(buffer.slice(this.recordStart, end).trim());
		this.recordCount++;
		this.recordStart = -1;
	}

	private closeArray(i: number) {
		this.mode = 'after';
		// In `{"data": [...], ...}` the rest of the object still has to close.
		this.depth = this.topLevelIsObject ? 1 : 0;
		if (this.topLevelIsObject) this.keptFrom = i + 1;
	}

	private keepUpTo(buffer: string, end: number) {
		if (!this.arrayFound && this.topLevelIsObject) {
			this.kept.push(buffer.slice(this.keptFrom, end));
			this.keptChars += end - this.keptFrom;
			if (this.keptChars > MAX_RECORD_CHARS) throw recordTooLong('an object');
		}
		this.keptFrom = end;
	}

	/** Drops what was read: a record in progress, or the top-level object's text, stays. */
	private compact(scanned: number, last: boolean) {
		let keepFrom = scanned;
		if (this.recordStart >= 0) keepFrom = this.recordStart;
		else if (this.mode === 'object' && !this.arrayFound) {
			this.keepUpTo(this.buffer, scanned);
		}
		if (last) return this.finish(scanned);
		this.buffer = this.buffer.slice(keepFrom);
		this.position = scanned - keepFrom;
		if (this.recordStart >= 0) this.recordStart -= keepFrom;
		this.keptFrom = Math.max(0, this.keptFrom - keepFrom);
	}

	private finish(scanned: number) {
		this.position = scanned;
	}

	/** The top-level object, when it held no array: a single row. */
	takeWholeDocument(): string | undefined {
		if (this.arrayFound || !this.topLevelIsObject) return undefined;
		const text = this.kept.join('');
		this.kept = [];
		return text;
	}

	/** The text after the first object, when JSON Lines follow. */
	remainder(): string {
		return this.buffer.slice(this.position);
	}
}

function isSpace(code: number): boolean {
	return code === 32 || code === 10 || code === 13 || code === 9 || code === 0xfeff;
}
