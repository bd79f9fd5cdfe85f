/**
 * Bodies the fault proxy answers with instead of the real ones: error pages, broken JSON,
 * hostile zips (a bomb, traversal names), damaged CSV / JSON Lines and a huge field. Large
 * payloads are made lazily, chunk by chunk: nothing big is held in memory or written to disk.
 */
import { crc32, constants as zlibConstants, deflateRawSync } from 'node:zlib';

export type FileKind = 'csv' | 'jsonl';

/** What nginx answers when its upstream is down, word for word. */
export const NGINX_502_PAGE =
	'<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n';

/** JSON cut off in the middle, as a proxy that gave up would pass it on. */
export const INVALID_JSON = '{"state":"processing","token":"abc';

// ---------------------------------------------------------------------------------------------
// Zip archives

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

interface ZipEntrySpec {
	name: string;
	data: Buffer;
}

/** A zip with deflated entries, names written exactly as given (no clean-up of `..` or `/`). */
export function buildZip(entries: ZipEntrySpec[]): Buffer {
	const locals: Buffer[] = [];
	const centrals: Buffer[] = [];
	let offset = 0;
	for (const entry of entries) {
		const name = Buffer.from(entry.name, 'utf8');
		const compressed = deflateRawSync(entry.data);
		const crc = crc32(entry.data);
		const local = localHeader(name, { crc, compressed: compressed.length, size: entry.data.length, descriptor: false });
		locals.push(local, compressed);
		centrals.push(centralHeader(name, { crc, compressed: compressed.length, size: entry.data.length, descriptor: false, offset }));
		offset += local.length + compressed.length;
	}
	const central = Buffer.concat(centrals);
	return Buffer.concat([...locals, central, endOfCentralDirectory(entries.length, central.length, offset)]);
}

interface EntrySizes {
	crc: number;
	compressed: number;
	size: number;
	/** Sizes and CRC follow the data (general purpose bit 3), as a streaming writer does. */
	descriptor: boolean;
}

const DOS_TIME = 0x6000; // 12:00
const DOS_DATE = 0x5a21; // 2025-01-01

function localHeader(name: Buffer, sizes: EntrySizes): Buffer {
	const header = Buffer.alloc(30);
	header.writeUInt32LE(0x04034b50, 0);
	header.writeUInt16LE(20, 4);
	header.writeUInt16LE(sizes.descriptor ? 0x0008 : 0, 6);
	header.writeUInt16LE(8, 8); // deflate
	header.writeUInt16LE(DOS_TIME, 10);
	header.writeUInt16LE(DOS_DATE, 12);
	header.writeUInt32LE(sizes.descriptor ? 0 : sizes.crc, 14);
	header.writeUInt32LE(sizes.descriptor ? 0 : sizes.compressed, 18);
	header.writeUInt32LE(sizes.descriptor ? 0 : sizes.size, 22);
	header.writeUInt16LE(name.length, 26);
	header.writeUInt16LE(0, 28);
	return Buffer.concat([header, name]);
}

function centralHeader(name: Buffer, sizes: EntrySizes & { offset: number }): Buffer {
	const header = Buffer.alloc(46);
	header.writeUInt32LE(0x02014b50, 0);
	header.writeUInt16LE(20, 4);
	header.writeUInt16LE(20, 6);
	header.writeUInt16LE(sizes.descriptor ? 0x0008 : 0, 8);
	header.writeUInt16LE(8, 10);
	header.writeUInt16LE(DOS_TIME, 12);
	header.writeUInt16LE(DOS_DATE, 14);
	header.writeUInt32LE(sizes.crc >>> 0, 16);
	header.writeUInt32LE(sizes.compressed, 20);
	header.writeUInt32LE(sizes.size, 24);
	header.writeUInt16LE(name.length, 28);
	header.writeUInt32LE(sizes.offset, 42);
	return Buffer.concat([header, name]);
}

function endOfCentralDirectory(entries: number, size: number, offset: number): Buffer {
	const end = Buffer.alloc(22);
	end.writeUInt32LE(0x06054b50, 0);
	end.writeUInt16LE(entries, 8);
	end.writeUInt16LE(entries, 10);
	end.writeUInt32LE(size, 12);
	end.writeUInt32LE(offset, 16);
	return end;
}

let zeroSegment: Buffer | undefined;
let zeroCrc: { bytes: number; crc: number } | undefined;

/**
 * One MiB of zeros as a non-final deflate block sequence ending on a full flush: the deflater
 * starts afresh after it, so the same bytes repeated are the deflate stream of more zeros.
 */
function deflatedZeroMiB(): Buffer {
	zeroSegment ??= deflateRawSync(Buffer.alloc(MIB), { level: 9, finishFlush: zlibConstants.Z_FULL_FLUSH });
	return zeroSegment;
}

function crcOfZeros(bytes: number): number {
	if (zeroCrc?.bytes === bytes) return zeroCrc.crc;
	const block = Buffer.alloc(MIB);
	let crc = 0;
	for (let done = 0; done < bytes; done += MIB) crc = crc32(block.subarray(0, Math.min(MIB, bytes - done)), crc);
	zeroCrc = { bytes, crc };
	return crc;
}

export interface ZipBombOptions {
	entryName: string;
	/** How much the entry inflates to (default 1 GiB). */
	inflatedBytes?: number;
	/** The directory claims this uncompressed size instead of the real one (a lying archive). */
	claimedBytes?: number;
}

/**
 * A ~1 MiB zip whose one entry inflates to 1 GiB of zeros, streamed: the deflate stream is a
 * repeated block of deflated zeros, so neither the archive nor its content is ever built whole.
 */
export async function* zipBomb(options: ZipBombOptions): AsyncGenerator<Buffer> {
	const inflated = options.inflatedBytes ?? GIB;
	const segment = deflatedZeroMiB();
	const segments = Math.ceil(inflated / MIB);
	const finalBlock = Buffer.from([0x03, 0x00]); // an empty final block
	const compressed = segments * segment.length + finalBlock.length;
	const name = Buffer.from(options.entryName, 'utf8');
	const sizes: EntrySizes = { crc: crcOfZeros(segments * MIB), compressed, size: segments * MIB, descriptor: true };
	const local = localHeader(name, sizes);
	yield local;
	// 64 segments per chunk: ~64 KiB writes.
	const batch = Buffer.concat(Array.from({ length: 64 }, () => segment));
	let left = segments;
	while (left >= 64) {
		yield batch;
		left -= 64;
	}
	if (left > 0) yield Buffer.concat(Array.from({ length: left }, () => segment));
	yield finalBlock;
	const descriptor = Buffer.alloc(16);
	descriptor.writeUInt32LE(0x08074b50, 0);
	descriptor.writeUInt32LE(sizes.crc >>> 0, 4);
	descriptor.writeUInt32LE(compressed, 8);
	descriptor.writeUInt32LE(sizes.size >>> 0, 12);
	yield descriptor;
	const claimed = { ...sizes, size: options.claimedBytes ?? sizes.size, offset: 0 };
	const central = centralHeader(name, claimed);
	yield central;
	yield endOfCentralDirectory(1, central.length, local.length + compressed + descriptor.length);
}

export interface TraversalZip {
	zip: Buffer;
	/** Where traversal entries would land if a client wrote entries to disk naively: must not exist after the run. */
	escapes: string[];
	/** Keys of the planted rows: none may come out. */
	plantedIds: string[];
}

/**
 * The real file as a safe entry, plus entries named `../../etc/passwd`, `../../…/tmp/…`, `/tmp/…`
 * (absolute) and `..\\…`, holding planted rows of the same shape (ids starting "planted-").
 */
export function traversalZip(real: Buffer, kind: FileKind, entryName: string, tag: string): TraversalZip {
	const planted = plantedRows(real, kind, 2);
	const escapeName = `fault-matrix-traversal-${tag}.${kind}`;
	const entries = [
		{ name: entryName, data: real },
		{ name: '../../etc/passwd', data: planted.data },
		{ name: `../../../../../../../../tmp/${escapeName}`, data: planted.data },
		{ name: `/tmp/abs-${escapeName}`, data: planted.data },
		{ name: `..\\..\\..\\win-${escapeName}`, data: planted.data },
	];
	return { zip: buildZip(entries), escapes: [`/tmp/${escapeName}`, `/tmp/abs-${escapeName}`], plantedIds: planted.ids };
}

/** A file of `count` rows shaped like the real file's first row, with ids planted-1…. */
function plantedRows(real: Buffer, kind: FileKind, count: number): { data: Buffer; ids: string[] } {
	const lines = real.toString('utf8').split('\n');
	const ids = Array.from({ length: count }, (_, index) => `planted-${index + 1}`);
	if (kind === 'jsonl') {
		const first = JSON.parse(lines[0]) as Record<string, unknown>;
		const idKey = Object.keys(first).find((key) => /^id$/i.test(key)) ?? 'Id';
		return { data: Buffer.from(ids.map((id) => `${JSON.stringify({ ...first, [idKey]: id })}\n`).join('')), ids };
	}
	const [header, row] = lines;
	const fields = row.split(',');
	const body = ids.map((id) => [id, ...fields.slice(1)].join(',')).join('\n');
	return { data: Buffer.from(`${header}\n${body}\n`), ids };
}

// ---------------------------------------------------------------------------------------------
// Damaged files (made from the real one; same byte size where the damage allows it, so a size
// the provider announced does not give it away)

export type Damage = 'ragged' | 'invalid-utf8' | 'nul' | 'unterminated-quote' | 'broken-line';

/** 0-based line the damage goes into (line 0 is a CSV's header). */
const DAMAGED_LINE = 3;

export function damage(real: Buffer, kind: FileKind, what: Damage): Buffer {
	const lines = real.toString('utf8').split('\n');
	const lineStart = (index: number) => lines.slice(0, index).reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);
	const bytes = Buffer.from(real);
	const at = (line: number, charIndex: number) => lineStart(line) + Buffer.byteLength(lines[line].slice(0, charIndex));
	const last = lines.length - (lines[lines.length - 1] === '' ? 2 : 1);
	switch (what) {
		case 'ragged': {
			if (kind === 'jsonl') {
				// A valid JSON value that is not an object, padded to the line's length.
				const length = Buffer.byteLength(lines[DAMAGED_LINE]);
				lines[DAMAGED_LINE] = `["ragged"${' '.repeat(Math.max(0, length - 10))}]`;
			} else {
				// One row with a field too many, another with one too few.
				lines[DAMAGED_LINE] += ',an extra field';
				const shorter = DAMAGED_LINE + 2;
				const fields = csvFields(lines[shorter]);
				lines[shorter] = lines[shorter].slice(0, fields[fields.length - 1].start - 1);
			}
			return Buffer.from(lines.join('\n'));
		}
		case 'invalid-utf8':
		case 'nul': {
			// Two bytes that are not text, inside a value.
			const offset = at(DAMAGED_LINE, plainTextOffset(lines[DAMAGED_LINE], kind));
			const replacement = what === 'nul' ? [0x00, 0x00] : [0xc3, 0x28];
			bytes[offset] = replacement[0];
			bytes[offset + 1] = replacement[1];
			return bytes;
		}
		case 'unterminated-quote': {
			// On the last line, so that no later quote can close it.
			if (kind === 'jsonl') {
				// A string value loses its closing quote.
				const match = /":"[^"\\]*"/.exec(lines[last]);
				if (!match) throw new Error('no string value to cut');
				bytes[at(last, match.index + match[0].length - 1)] = 0x20;
			} else {
				// The line's last unquoted value opens a quote.
				const field = [...csvFields(lines[last])].reverse().find((candidate) => !candidate.quoted && candidate.text.length > 0);
				if (!field) throw new Error('no unquoted value to open a quote in');
				bytes[at(last, field.start)] = 0x22;
			}
			return bytes;
		}
		case 'broken-line': {
			// A line break where a separator was: the row falls in two.
			const fields = csvFields(lines[DAMAGED_LINE]);
			const separator = kind === 'csv' ? fields[Math.min(2, fields.length - 1)].start - 1 : jsonMemberSeparator(lines[DAMAGED_LINE], 2);
			bytes[at(DAMAGED_LINE, separator)] = 0x0a;
			return bytes;
		}
	}
}

interface CsvField {
	/** Index of the field's first character in the line. */
	start: number;
	text: string;
	quoted: boolean;
}

/** The fields of one CSV line (RFC 4180 quoting), with where each starts. */
function csvFields(line: string): CsvField[] {
	const fields: CsvField[] = [];
	let index = 0;
	for (;;) {
		const start = index;
		const quoted = line[index] === '"';
		if (quoted) {
			index++;
			while (index < line.length && !(line[index] === '"' && line[index + 1] !== '"')) index += line[index] === '"' ? 2 : 1;
			index++;
		}
		while (index < line.length && line[index] !== ',') index++;
		fields.push({ start, text: line.slice(start, index), quoted });
		if (index >= line.length) return fields;
		index++;
	}
}

/** Where two letters or digits sit inside a value (not a key, not a quote): damage goes there. */
function plainTextOffset(line: string, kind: FileKind): number {
	if (kind === 'jsonl') {
		// Past the first member (the id), so the row keeps its key and comes out wrong, not lost.
		const matches = [...line.matchAll(/":"[A-Za-z0-9]{2}/g)];
		const match = matches[1] ?? matches[0];
		if (!match) throw new Error('no string value to damage');
		return match.index + 3;
	}
	const field = csvFields(line).slice(1).find((candidate) => /^[A-Za-z0-9]{2}/.test(candidate.quoted ? candidate.text.slice(1) : candidate.text));
	if (!field) throw new Error('no value to damage');
	return field.start + (field.quoted ? 1 : 0);
}

/** Index of the nth comma between members of a JSON line (outside strings). */
function jsonMemberSeparator(line: string, n: number): number {
	let inString = false;
	let seen = 0;
	for (let index = 0; index < line.length; index++) {
		const char = line[index];
		if (inString) {
			if (char === '\\') index++;
			else if (char === '"') inString = false;
		} else if (char === '"') inString = true;
		else if (char === ',' && ++seen === n) return index;
	}
	throw new Error(`line has fewer than ${n} members`);
}

export interface HugeFieldFile {
	chunks: AsyncGenerator<Buffer>;
	/** The key of the row with the huge field. */
	id: string;
}

/**
 * The real file with one more row after the first line whose one field holds `fieldBytes`
 * (default 128 MiB) of letters, streamed lazily.
 */
export function withHugeField(real: Buffer, kind: FileKind, fieldBytes = 128 * MIB): HugeFieldFile {
	const text = real.toString('utf8');
	const firstBreak = text.indexOf('\n') + 1;
	const head = Buffer.from(text.slice(0, firstBreak));
	const rest = Buffer.from(text.slice(firstBreak));
	const id = 'huge-1';
	let open: Buffer;
	let close: Buffer;
	if (kind === 'jsonl') {
		open = Buffer.from(`{"Id":"${id}","Notes":"`);
		close = Buffer.from('"}\n');
	} else {
		const columns = text.slice(0, firstBreak).trim().split(',').length;
		open = Buffer.from(`${id},"`);
		close = Buffer.from(`"${','.repeat(Math.max(0, columns - 2))}\n`);
	}
	const letters = Buffer.alloc(MIB, 'A');
	async function* chunks(): AsyncGenerator<Buffer> {
		yield head;
		yield open;
		for (let sent = 0; sent < fieldBytes; sent += MIB) yield sent + MIB <= fieldBytes ? letters : letters.subarray(0, fieldBytes - sent);
		yield close;
		yield rest;
	}
	return { chunks: chunks(), id };
}

/**
 * A large valid file (for cancelling while rows are parsed): the real file's data lines
 * repeated until about `bytes`, made lazily.
 */
export async function* repeatedRows(real: Buffer, kind: FileKind, bytes: number): AsyncGenerator<Buffer> {
	const text = real.toString('utf8');
	const firstBreak = kind === 'csv' ? text.indexOf('\n') + 1 : 0;
	yield Buffer.from(text.slice(0, firstBreak));
	const rows = Buffer.from(text.slice(firstBreak).replace(/\n?$/, '\n'));
	for (let sent = 0; sent < bytes; sent += rows.length) yield rows;
}
