// The CSV parser streams text into one papaparse stream, which keeps a record cut across network
// chunks until its end arrives: these cut files at every position and check the rows do not change.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseCsv, type CsvOptions } from '../../nodes/shared/parse/csv';
import type { Row } from '../../nodes/shared/types';

/**
 * The rows (or the error), with each chunk's text handed to papaparse as it comes (parseCsv
 * gathers 32 Ki characters first, and these files are smaller); the same with that default.
 */
async function rowsOf(chunks: Uint8Array[], options: CsvOptions = {}): Promise<Row[]> {
	const read = async (minFeedChars?: number) => {
		const rows: Row[] = [];
		try {
			for await (const batch of parseCsv(chunks, options, minFeedChars)) rows.push(...batch);
		} catch (error) {
			return { error: (error as Error).message };
		}
		return { rows };
	};
	const fed = await read(1);
	assert.deepEqual(await read(), fed, 'the same outcome with chunks gathered');
	if ('error' in fed) throw new Error(fed.error);
	return fed.rows;
}

/** The bytes cut at the given positions. */
function cut(bytes: Uint8Array, ...at: number[]): Uint8Array[] {
	const bounds = [0, ...at, bytes.length];
	return bounds.slice(1).map((end, index) => bytes.subarray(bounds[index], end));
}

// CRLF, a quoted CRLF and LF, an escaped quote at a value's start and end, a quoted comma, 2-, 3-
// and 4-byte characters, an empty quoted value, and a last line without a line break.
const file = 'id,"na""me",note\r\n1,"""q"" a","x\r\ny"\r\n2,Zoë 日本,"a,b\nc"""\r\n3,😀,""\r\n4,"",last';
const expected = [
	{ id: '1', 'na"me': '"q" a', note: 'x\r\ny' },
	{ id: '2', 'na"me': 'Zoë 日本', note: 'a,b\nc"' },
	{ id: '3', 'na"me': '😀', note: '' },
	{ id: '4', 'na"me': '', note: 'last' },
];

describe('CSV records cut across chunks', () => {
	it('gives the same rows for a cut at every byte position', async () => {
		const bytes = Buffer.from(file);
		assert.deepEqual(await rowsOf([bytes]), expected);
		for (let at = 0; at <= bytes.length; at++) {
			assert.deepEqual(await rowsOf(cut(bytes, at)), expected, `cut at byte ${at}`);
		}
	});

	it('gives the same rows for two cuts at every pair of byte positions', async () => {
		const bytes = Buffer.from(file);
		for (let first = 1; first < bytes.length; first++) {
			for (let second = first; second < bytes.length; second++) {
				assert.deepEqual(await rowsOf(cut(bytes, first, second)), expected, `cut at bytes ${first} and ${second}`);
			}
		}
	});

	it('reads a CRLF split between chunks, and a multi-byte character split in every way', async () => {
		const crlf = Buffer.from('a,b\r\n1,2\r\n3,4\r\n');
		const at = crlf.indexOf('\r\n3') + 1;
		assert.deepEqual(await rowsOf(cut(crlf, at)), [
			{ a: '1', b: '2' },
			{ a: '3', b: '4' },
		]);
		const emoji = Buffer.from('a\n😀\n');
		for (let first = 3; first <= 6; first++) {
			for (let second = first; second <= 6; second++) assert.deepEqual(await rowsOf(cut(emoji, first, second)), [{ a: '😀' }], `cut at ${first}, ${second}`);
		}
	});

	it('reads a header line that arrives a byte at a time', async () => {
		const bytes = Buffer.from('id;name\n1;Ada\n');
		assert.deepEqual(await rowsOf(cut(bytes, ...Array.from({ length: bytes.length - 1 }, (_, index) => index + 1))), [{ id: '1', name: 'Ada' }]);
	});

	it('reads a quoted value of megabytes that arrives in small chunks', async () => {
		const long = 'x"y\n'.repeat(512 * 1024);
		const bytes = Buffer.from(`id,text\n1,"${long.replace(/"/g, '""')}"\n2,short\n`);
		const chunks = cut(bytes, ...Array.from({ length: Math.floor(bytes.length / 4096) }, (_, index) => (index + 1) * 4096));
		const rows = await rowsOf(chunks);
		assert.equal(rows.length, 2);
		assert.equal(rows[0].text, long);
		assert.deepEqual(rows[1], { id: '2', text: 'short' });
	});

	it('skips blank lines, counting only data rows in its messages', async () => {
		assert.deepEqual(await rowsOf([Buffer.from('\n\na,b\n\n1,2\n\n3,4\n\n')]), [
			{ a: '1', b: '2' },
			{ a: '3', b: '4' },
		]);
		await assert.rejects(rowsOf([Buffer.from('a,b\n\n1,2\n\n3\n')]), /Data row 2 of the CSV file has 1 values/);
	});

	it('names the data row after which a quote is never closed, however the file is cut', async () => {
		const bytes = Buffer.from('a,b\n1,2\n3,"open\n4,5\n');
		for (let at = 0; at <= bytes.length; at++) {
			await assert.rejects(rowsOf(cut(bytes, at)), /ends inside a quoted value \(a quote is never closed after data row 1\)/, `cut at byte ${at}`);
		}
		await assert.rejects(rowsOf([Buffer.from('a,"b\n1,2\n')]), /a quote is never closed after data row 0/);
	});

	it('reads a quote inside an unquoted value as text, as papaparse does', async () => {
		assert.deepEqual(await rowsOf([Buffer.from('a,b\n1,5" screen\n2,x\n')]), [
			{ a: '1', b: '5" screen' },
			{ a: '2', b: 'x' },
		]);
	});

	it('gives the same rows with values not shared between rows', async () => {
		const bytes = Buffer.from(file);
		assert.deepEqual(await rowsOf(cut(bytes, 20, 41), { shareValues: false }), expected);
		const guarded = Buffer.from('a,b\n\t=1,x\n\t=1,y\n');
		assert.deepEqual(await rowsOf([guarded], { shareValues: false, stripInjectionGuard: true }), [
			{ a: '=1', b: 'x' },
			{ a: '=1', b: 'y' },
		]);
		// Rows with too few or too many values keep the same shape either way.
		const ragged = [Buffer.from('a,b,c\n1\n1,2,3,4,5\n')];
		const shared = await rowsOf(ragged, { raggedRows: 'keep' });
		assert.deepEqual(shared, [
			{ a: '1', b: '', c: '' },
			{ a: '1', b: '2', c: '3', _extra: ['4', '5'] },
		]);
		assert.deepEqual(await rowsOf(ragged, { raggedRows: 'keep', shareValues: false }), shared);
	});
});
