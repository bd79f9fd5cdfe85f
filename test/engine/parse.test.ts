import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { gzipSync } from 'node:zlib';

import JSZip from 'jszip';

import { parseCsv } from '../../nodes/shared/parse/csv';
import { detectFormat } from '../../nodes/shared/parse/detect';
import { parseFile } from '../../nodes/shared/parse';
import type { Row } from '../../nodes/shared/types';

async function collect(batches: AsyncIterable<Row[]>): Promise<Row[]> {
	const rows: Row[] = [];
	for await (const batch of batches) rows.push(...batch);
	return rows;
}

/** The bytes cut into pieces of `size`, as a network would deliver them. */
function pieces(bytes: Uint8Array, size: number): Uint8Array[] {
	const out: Uint8Array[] = [];
	for (let start = 0; start < bytes.length; start += size) out.push(bytes.subarray(start, start + size));
	return out;
}

const tricky =
	'\uFEFFid,name,note,city\r\n' +
	'1,"Smith, Jane","said ""hi""\r\nthen left",Zürich\r\n' +
	'2,日本語,"multi\nline, with comma",\r\n' +
	'3,\t=SUM(A1),\t-5,😀\r\n';

const trickyRows = [
	{ id: '1', name: 'Smith, Jane', note: 'said "hi"\r\nthen left', city: 'Zürich' },
	{ id: '2', name: '日本語', note: 'multi\nline, with comma', city: '' },
	{ id: '3', name: '=SUM(A1)', note: '-5', city: '😀' },
];

describe('CSV parser', () => {
	it('reads BOM, CRLF, quoted commas, quotes and line breaks, unicode, and removes the formula guard', async () => {
		const rows = await collect(parseCsv([Buffer.from(tricky)], { stripInjectionGuard: true }));
		assert.deepEqual(rows, trickyRows);
	});

	it('gives the same rows however the bytes are cut (quotes, CRLF and multi-byte characters split)', async () => {
		const bytes = Buffer.from(tricky);
		for (let size = 1; size <= bytes.length; size++) {
			// Each piece's text to papaparse as it comes (by default it gathers 32 Ki characters first).
			const rows = await collect(parseCsv(pieces(bytes, size), { stripInjectionGuard: true }, 1));
			assert.deepEqual(rows, trickyRows, `cut into pieces of ${size} bytes`);
		}
	});

	it('keeps the guard tab when asked to', async () => {
		const rows = await collect(parseCsv([Buffer.from('a,b\n\t=1,\t@x\n')], { stripInjectionGuard: false }));
		assert.deepEqual(rows, [{ a: '\t=1', b: '\t@x' }]);
	});

	it('removes the tab only before = + - @', async () => {
		const rows = await collect(parseCsv([Buffer.from('a,b\n\tplain,\t+1\n')], { stripInjectionGuard: true }));
		assert.deepEqual(rows, [{ a: '\tplain', b: '+1' }]);
	});

	it('gives no rows for a file with only a header, or an empty file', async () => {
		assert.deepEqual(await collect(parseCsv([Buffer.from('id,name\r\n')])), []);
		assert.deepEqual(await collect(parseCsv([Buffer.from('')])), []);
	});

	it('reads a last line without a line break, and names blank and repeated headers', async () => {
		const rows = await collect(parseCsv([Buffer.from('a,,a\n1,2,3')]));
		assert.deepEqual(rows, [{ a: '1', column_2: '2', a_2: '3' }]);
	});

	it('keys columns by header name whatever their order', async () => {
		const one = await collect(parseCsv([Buffer.from('id,name\n1,x\n')]));
		const two = await collect(parseCsv([Buffer.from('name,id\nx,1\n')]));
		assert.deepEqual(one[0], { id: '1', name: 'x' });
		assert.equal(two[0].id, one[0].id);
		assert.equal(two[0].name, one[0].name);
	});

	it('fails clearly on a quote that is never closed', async () => {
		await assert.rejects(collect(parseCsv([Buffer.from('a,b\n1,"open\n2,3\n')])), /ends inside a quoted value/);
	});

	it('detects semicolon and tab delimiters when none is given', async () => {
		assert.deepEqual(await collect(parseCsv([Buffer.from('a;b\n1;2\n')])), [{ a: '1', b: '2' }]);
		assert.deepEqual(await collect(parseCsv([Buffer.from('a\tb\n1\t2\n')])), [{ a: '1', b: '2' }]);
	});

	it('puts tags first in every row', async () => {
		const rows = await collect(parseCsv([Buffer.from('id\n7\n')], { tags: { _recordType: 'sites' } }));
		assert.deepEqual(Object.keys(rows[0]), ['_recordType', 'id']);
	});
});

describe('format detection and parseFile', () => {
	it('tells zip by its magic bytes whatever the name says', () => {
		const zipHead = Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0, 0]);
		assert.equal(detectFormat({ head: zipHead, fileName: 'export.csv' }), 'zip');
		assert.equal(detectFormat({ head: zipHead, fileName: 'report.xlsx' }), 'xlsx');
		assert.equal(detectFormat({ head: Buffer.from('id,name\n'), fileName: 'export.zip' }), 'csv');
	});

	it('tells JSON Lines from a JSON document', () => {
		assert.equal(detectFormat({ head: Buffer.from('{"a":1}\n{"a":2}\n') }), 'jsonl');
		assert.equal(detectFormat({ head: Buffer.from('[{"a":1}]') }), 'json');
		assert.equal(detectFormat({ head: Buffer.from('{\n "a": 1\n}') }), 'json');
		assert.equal(detectFormat({ head: Buffer.from('x'), contentType: 'application/x-ndjson' }), 'jsonl');
		assert.equal(detectFormat({ head: Buffer.from('a,b'), fileName: 'data.jsonl' }), 'jsonl');
	});

	it('reads JSON Lines and JSON documents into rows', async () => {
		const lines = await collect(parseFile({ chunks: pieces(Buffer.from('{"Id":"a","n":1}\r\n\n{"Id":"b","n":2}'), 3) }));
		assert.deepEqual(lines, [{ Id: 'a', n: 1 }, { Id: 'b', n: 2 }]);
		const document = await collect(parseFile({ chunks: [Buffer.from('{"data":[{"id":1},{"id":2}],"total":2}')], fileName: 'x.json' }));
		assert.deepEqual(document, [{ id: 1 }, { id: 2 }]);
	});

	it('names the line of broken JSON Lines', async () => {
		await assert.rejects(collect(parseFile({ chunks: [Buffer.from('{"a":1}\n{"a":\n')], fileName: 'x.jsonl' })), /Line 2/);
	});

	it('tells the format of a file the network hands over a byte at a time (zip, gzip, JSON Lines)', async () => {
		const zip = new JSZip();
		zip.file('rows.csv', 'id,name\n1,Ann\n2,Bob\n');
		const zipped = await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' });
		// No name that says what it is: only the bytes can.
		assert.deepEqual(await collect(parseFile({ chunks: pieces(zipped, 1), fileName: 'download' }, {})), [
			{ id: '1', name: 'Ann' },
			{ id: '2', name: 'Bob' },
		]);
		const gzipped = gzipSync(Buffer.from('{"id":1}\n{"id":2}\n'));
		assert.deepEqual(await collect(parseFile({ chunks: pieces(gzipped, 1), fileName: 'download' }, {})), [{ id: 1 }, { id: 2 }]);
		assert.deepEqual(await collect(parseFile({ chunks: pieces(Buffer.from('{"id":1}\n{"id":2}\n'), 3), fileName: 'download' }, {})), [{ id: 1 }, { id: 2 }]);
	});

	it('reads every entry of a zip, tagging rows with the record type of their entry', async () => {
		const zip = new JSZip();
		zip.file('20211108-people-wdc.csv', 'id,name\n1,Ann\n');
		zip.file('20211108-people_contact_details-wdc.csv', 'id,email\n1,ann@example.com\n');
		zip.file('notes.jsonl', '{"id":9}\n');
		const bytes = await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' });
		const types = ['people', 'people_contact_details'];
		const rows = await collect(
			parseFile(
				{ chunks: pieces(bytes, 100), fileName: 'export.zip' },
				{ recordTypeOfEntry: (name) => [...types].sort((a, b) => b.length - a.length).find((t) => name.includes(`-${t}-`)) },
			),
		);
		assert.equal(rows.length, 3);
		assert.deepEqual(rows.find((row) => row.id === 9), { id: 9 });
		assert.deepEqual(
			rows.map((row) => row._recordType ?? 'untagged').sort(),
			['people', 'people_contact_details', 'untagged'],
		);
		assert.ok(rows.some((row) => row.email === 'ann@example.com' && row._recordType === 'people_contact_details'));
		assert.ok(rows.some((row) => row.name === 'Ann' && row._recordType === 'people'));
	});

	it('inflates large deflated entries and stored ones alike, row for row', async () => {
		const csv = (count: number, label: string) =>
			'id,subject\n' + Array.from({ length: count }, (_, i) => `${i},"${label} ${i * 7919}, line ""${i % 13}""\nsecond line"`).join('\n') + '\n';
		const zip = new JSZip();
		zip.file('a-deflated.csv', csv(60_000, 'deflated'), { compression: 'DEFLATE' });
		zip.file('b-stored.csv', csv(2_000, 'stored'), { compression: 'STORE' });
		const bytes = await zip.generateAsync({ type: 'uint8array' });
		const rows = await collect(parseFile({ chunks: pieces(bytes, 64 * 1024), fileName: 'export.zip' }));
		assert.equal(rows.length, 62_000);
		assert.deepEqual(rows[59_999], { id: '59999', subject: `deflated ${59_999 * 7919}, line "${59_999 % 13}"\nsecond line` });
		assert.deepEqual(rows[61_999], { id: '1999', subject: `stored ${1_999 * 7919}, line "${1_999 % 13}"\nsecond line` });
	});

	it('fails on a damaged deflated entry instead of giving partial rows', async () => {
		const zip = new JSZip();
		const name = 'requests.csv';
		zip.file(name, 'id,subject\n' + Array.from({ length: 20_000 }, (_, i) => `${i},subject ${i * 31}`).join('\n'), { compression: 'DEFLATE' });
		const bytes = await zip.generateAsync({ type: 'uint8array' });
		// The entry's data starts after the 30-byte local header and its name.
		const damaged = Uint8Array.from(bytes);
		damaged.fill(0xff, 30 + name.length + 2000, 30 + name.length + 2400);
		await assert.rejects(collect(parseFile({ chunks: [damaged], fileName: 'export.zip' })));
	});

	it('refuses xlsx as rows with a clear message', async () => {
		const zip = new JSZip();
		zip.file('[Content_Types].xml', '<Types/>');
		const bytes = await zip.generateAsync({ type: 'uint8array' });
		await assert.rejects(collect(parseFile({ chunks: [bytes], fileName: 'requests.xlsx' })), /Excel \(xlsx\) file/);
	});
});

describe('hostile files', () => {
	it('says an HTML page came back where CSV or JSON was due, whatever the name or type says', async () => {
		const page = '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>\n';
		for (const clues of [{ fileName: 'export.csv' }, { contentType: 'text/csv' }, { fileName: 'x.json' }, {}]) {
			await assert.rejects(collect(parseFile({ chunks: [Buffer.from(page)], ...clues })), /An HTML page came back instead of the export file \("502 Bad Gateway"\)/);
		}
	});

	it('fails on an empty file where the provider always sends a header, and reads it as no rows otherwise', async () => {
		await assert.rejects(collect(parseFile({ chunks: [], fileName: 'people.csv' }, { emptyIsBroken: 'a header is due' })), /people\.csv is empty \(0 bytes\), but a header is due/);
		assert.deepEqual(await collect(parseFile({ chunks: [], fileName: 'people.csv' })), []);
	});

	it('refuses a record longer than 32 MB instead of holding it', async () => {
		const noLineBreaks = (function* () {
			yield Buffer.from('id,name\n1,"');
			for (let i = 0; i < 600; i++) yield Buffer.alloc(64 * 1024, 0x61);
		})();
		await assert.rejects(collect(parseFile({ chunks: noLineBreaks, fileName: 'x.csv' })), /a record \(a line, or a quoted value\) longer than 32 MB/);
	});

	it('stops a zip bomb before it inflates, and applies Max File Size to what a zip entry inflates to', async () => {
		const zip = new JSZip();
		zip.file('bomb.csv', Buffer.alloc(200 * 1024 * 1024, 0x30), { compression: 'DEFLATE' });
		zip.file('lines.csv', Buffer.from('0\n'.repeat(20 * 1024 * 1024)), { compression: 'DEFLATE' });
		const bomb = await zip.generateAsync({ type: 'uint8array' });
		assert.ok(bomb.length < 1024 * 1024, `${bomb.length} bytes compressed`);
		await assert.rejects(collect(parseFile({ chunks: [bomb], fileName: 'x.zip' })), /inflates to more than 100 times its compressed size.*a zip bomb/);

		const small = new JSZip();
		small.file('people.csv', 'id,name\n' + '1,Ada\n'.repeat(1000));
		const bytes = await small.generateAsync({ type: 'uint8array', compression: 'DEFLATE' });
		await assert.rejects(collect(parseFile({ chunks: [bytes], fileName: 'x.zip' }, { maxEntryBytes: 1000 })), /people\.csv inflates to more than the Max File Size of 1000 bytes/);
	});

	it('reads a zip in its own order, or in the order asked for, and refuses entry names that climb out of it', async () => {
		const zip = new JSZip();
		zip.file('people_contact_details.csv', 'id\nc1\n');
		zip.file('people.csv', 'id\np1\n');
		zip.file('teams.csv', 'id\nt1\n');
		const bytes = await zip.generateAsync({ type: 'uint8array' });
		const ids = async (options = {}) => (await collect(parseFile({ chunks: [bytes], fileName: 'x.zip' }, options))).map((row) => row.id);
		assert.deepEqual(await ids(), ['c1', 'p1', 't1']);
		assert.deepEqual(await ids({ orderEntries: (names: string[]) => [...names].reverse() }), ['t1', 'p1', 'c1']);
		for (const name of ['../../etc/passwd.csv', '/tmp/x.csv', 'a\\..\\b.csv']) {
			const hostile = new JSZip();
			hostile.file('people.csv', 'id\np1\n');
			hostile.file(name, 'id\nx1\n');
			await assert.rejects(collect(parseFile({ chunks: [await hostile.generateAsync({ type: 'uint8array' })], fileName: 'x.zip' })), /a path outside the archive/);
		}
	});

	it('refuses damaged text: ragged rows, bytes that are not UTF-8, NUL characters, JSON Lines that are not records', async () => {
		await assert.rejects(collect(parseFile({ chunks: [Buffer.from('id,name\n1,Ada\n2,Grace,extra\n')], fileName: 'x.csv' })), /Data row 2 of the CSV file has 3 values, but its header has 2 columns/);
		assert.deepEqual(await collect(parseFile({ chunks: [Buffer.from('id,name\n1\n')], fileName: 'x.csv' }, { csv: { raggedRows: 'keep' } })), [{ id: '1', name: '' }]);
		await assert.rejects(collect(parseFile({ chunks: [Buffer.from([0x69, 0x64, 0x0a, 0xff, 0xfe, 0x0a])], fileName: 'x.csv' })), /not valid UTF-8/);
		await assert.rejects(collect(parseFile({ chunks: [Buffer.from('id\n1\u0000\n')], fileName: 'x.csv' })), /NUL character/);
		await assert.rejects(collect(parseFile({ chunks: [Buffer.from('{"a":1}\n[1,2]\n')], fileName: 'x.jsonl' })), /Line 2 of the JSON Lines file is not a record \(a JSON object\) but an array/);
		await assert.rejects(collect(parseFile({ chunks: [Buffer.from('[{"a":"\u0000"}]'.replace('\\u0000', '\u0000'))], fileName: 'x.json' })), /NUL character/);
	});

	it('reads a gzip file (or a body compressed anyway) inflated, and stops a gzip bomb', async () => {
		const { gzipSync } = await import('node:zlib');
		const csv = gzipSync(Buffer.from('id,name\n1,Ada\n2,Grace\n'));
		assert.deepEqual(await collect(parseFile({ chunks: [csv], fileName: 'export.csv.gz' })), [{ id: '1', name: 'Ada' }, { id: '2', name: 'Grace' }]);
		assert.deepEqual(await collect(parseFile({ chunks: [csv], contentType: 'text/csv' })), [{ id: '1', name: 'Ada' }, { id: '2', name: 'Grace' }]);
		// Short lines, so that it is the inflation that stops it, not the record length.
		const bomb = gzipSync(Buffer.from('0\n'.repeat(50 * 1024 * 1024)));
		let rows = 0;
		await assert.rejects(async () => {
			for await (const batch of parseFile({ chunks: [bomb], fileName: 'x.csv.gz' })) rows += batch.length;
		}, /The gzip file inflates to more than 100 times its compressed size/);
		assert.ok(rows < 6_000_000, `${rows} of 50 million rows before it stopped`);
	});
});
