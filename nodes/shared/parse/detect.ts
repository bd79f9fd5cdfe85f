import type { FileFormat } from '../types';

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const EMPTY_ZIP_MAGIC = [0x50, 0x4b, 0x05, 0x06];

export interface FormatClues {
	/** The first bytes of the file. */
	head?: Uint8Array;
	contentType?: string;
	fileName?: string;
	/** What the provider says the format is; content that contradicts it wins. */
	declared?: FileFormat;
}

/**
 * The format of a downloaded file, from its first bytes, its content type and its name.
 * Magic bytes decide zip (providers name a one-type export `export.zip` and vice versa).
 */
export function detectFormat({ head, contentType = '', fileName = '', declared }: FormatClues): FileFormat {
	const type = contentType.toLowerCase();
	const name = fileName.toLowerCase().replace(/\.gz$/, '');
	const byName = formatOfName(name);
	if (head && (startsWith(head, ZIP_MAGIC) || startsWith(head, EMPTY_ZIP_MAGIC))) {
		return byName === 'xlsx' || declared === 'xlsx' || type.includes('spreadsheetml') ? 'xlsx' : 'zip';
	}
	if (declared && declared !== 'unknown' && declared !== 'zip' && declared !== 'xlsx') return declared;
	if (type.includes('ndjson') || type.includes('jsonl') || type.includes('json-seq')) return 'jsonl';
	if (byName !== 'unknown' && byName !== 'zip' && byName !== 'xlsx') return byName;
	if (type.includes('csv')) return 'csv';
	if (type.includes('json')) return head ? formatOfJsonText(head) : 'json';
	if (head) return formatOfText(head);
	return byName;
}

export function formatOfName(name: string): FileFormat {
	const extension = name.toLowerCase().split('.').pop() ?? '';
	switch (extension) {
		case 'csv':
		case 'tsv':
		case 'txt':
			return 'csv';
		case 'jsonl':
		case 'ndjson':
			return 'jsonl';
		case 'json':
			return 'json';
		case 'zip':
			return 'zip';
		case 'xlsx':
			return 'xlsx';
		default:
			return 'unknown';
	}
}

function formatOfText(head: Uint8Array): FileFormat {
	const text = leadingText(head);
	if (text.startsWith('{') || text.startsWith('[')) return formatOfJsonText(head);
	return 'csv';
}

/** `[` opens a JSON document; `{` opens either a document or the first of JSON Lines. */
function formatOfJsonText(head: Uint8Array): FileFormat {
	const text = leadingText(head);
	if (text.startsWith('[')) return 'json';
	const lines = text.split('\n', 2);
	// A single line is a whole document; JSON Lines have a complete object on line one.
	if (lines.length < 2) return 'json';
	try {
		JSON.parse(lines[0].trim());
		return 'jsonl';
	} catch {
		return 'json';
	}
}

function leadingText(head: Uint8Array): string {
	return new TextDecoder('utf-8').decode(head).replace(/^\uFEFF/, '').trimStart();
}

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
	return magic.every((byte, index) => bytes[index] === byte);
}
