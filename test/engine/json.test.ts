import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseJsonDocument } from '../../nodes/shared/parse/json';
import { parseJsonLines } from '../../nodes/shared/parse/jsonl';
import type { Row } from '../../nodes/shared/types';

async function collect(batches: AsyncIterable<Row[]>): Promise<Row[]> {
	const rows: Row[] = [];
	for await (const batch of batches) rows.push(...batch);
	return rows;
}

function pieces(bytes: Uint8Array, size: number): Uint8Array[] {
	const out: Uint8Array[] = [];
	for (let start = 0; start < bytes.length; start += size) out.push(bytes.subarray(start, start + size));
	return out;
}

/** The text cut in two at every byte (UTF-8 characters split too), and in 1-byte pieces. */
async function readAtEveryCut(text: string): Promise<Row[]> {
	const bytes = Buffer.from(text, 'utf8');
	const whole = await collect(parseJsonDocument([bytes]));
	for (let cut = 1; cut < bytes.length; cut++) {
		assert.deepEqual(await collect(parseJsonDocument([bytes.subarray(0, cut), bytes.subarray(cut)])), whole, `cut at byte ${cut}`);
	}
	assert.deepEqual(await collect(parseJsonDocument(pieces(bytes, 1))), whole, 'one byte at a time');
	return whole;
}

const tricky = [
	{ id: 1, name: 'Smith, Jane', note: 'brackets ] } [ { and "quotes" \\ inside', tags: ['a', 'b'] },
	{ id: 2, name: '日本語 😀', nested: { list: [[1, 2], { deep: '}' }], empty: {} } },
	{ id: 3, amount: '1,250,000.00', code: '000123', none: null, yes: true },
];

describe('JSON documents, record by record', () => {
	it('reads a top-level array, wherever the network cuts it', async () => {
		const text = `\uFEFF [\n ${tricky.map((record) => JSON.stringify(record, null, 2)).join(' ,\r\n')} \n]\n`;
		assert.deepEqual(await readAtEveryCut(text), tricky);
	});

	it('reads the records of {"data": [...]} and skips the other members', async () => {
		const text = JSON.stringify({ meta: { note: '[not records]' }, data: tricky, links: [{ next: null }], total: 3 });
		assert.deepEqual(await readAtEveryCut(text), tricky);
	});

	it('turns an array of scalars into { value } rows, and an empty array into no rows', async () => {
		assert.deepEqual(await readAtEveryCut('["a", 2, null, "x,y"]'), [{ value: 'a' }, { value: 2 }, { value: null }, { value: 'x,y' }]);
		assert.deepEqual(await readAtEveryCut('[ ]'), []);
		assert.deepEqual(await readAtEveryCut('{"data": []}'), []);
		assert.deepEqual(await collect(parseJsonDocument([Buffer.from('  \n')])), []);
	});

	it('makes an object without an array one row', async () => {
		assert.deepEqual(await readAtEveryCut('{"id": 7, "name": "only {one}", "sub": {"a": 1}}'), [{ id: 7, name: 'only {one}', sub: { a: 1 } }]);
	});

	it('reads JSON Lines whose first line was too long to recognise from the first bytes', async () => {
		const long = { id: 1, text: 'x'.repeat(5000) };
		const text = `${JSON.stringify(long)}\n{"id":2}\n{"id":3}\n`;
		assert.deepEqual(await collect(parseJsonDocument(pieces(Buffer.from(text), 700))), [long, { id: 2 }, { id: 3 }]);
	});

	it('hands records on before the file has ended', async () => {
		const records = Array.from({ length: 2000 }, (_, id) => ({ id, name: `record ${id}` }));
		const bytes = Buffer.from(JSON.stringify(records));
		const chunks = pieces(bytes, 4096);
		let delivered = 0;
		let rowsSeenBeforeLastChunk = 0;
		async function* slowly() {
			for (const chunk of chunks) {
				delivered++;
				yield chunk;
			}
		}
		const rows: Row[] = [];
		for await (const batch of parseJsonDocument(slowly())) {
			if (delivered < chunks.length) rowsSeenBeforeLastChunk += batch.length;
			rows.push(...batch);
		}
		assert.deepEqual(rows, records);
		assert.ok(rowsSeenBeforeLastChunk > 1900, `${rowsSeenBeforeLastChunk} rows came before the last chunk`);
	});

	it('says what is wrong with a broken file', async () => {
		await assert.rejects(collect(parseJsonDocument([Buffer.from('[{"id":1},{"id":2}')])), /ends before its data does \(after 1 records\)/);
		await assert.rejects(collect(parseJsonDocument([Buffer.from('[{"id":1},{"id":}]')])), /Record 2 of the JSON file is not valid JSON/);
		await assert.rejects(collect(parseJsonDocument([Buffer.from('[{"id":1}] trailing')])), /more text after the end of its data/);
		await assert.rejects(collect(parseJsonDocument([Buffer.from('<!DOCTYPE html><html>')])), /does not start with an array or an object/);
	});
});

describe('JSON Lines', () => {
	it('reads a 24 MB line arriving in 64 KB chunks, and refuses a line beyond 32 MB', async () => {
		// Searching the whole pending text per chunk made long lines quadratic (a 100 MB line took 79 s).
		const line = JSON.stringify({ id: 1, text: 'y'.repeat(24 * 1024 * 1024) });
		const rows = await collect(parseJsonLines(pieces(Buffer.from(`${line}\n{"id":2}\n`), 64 * 1024)));
		assert.equal(rows.length, 2);
		assert.equal((rows[0].text as string).length, 24 * 1024 * 1024);
		const endless = (function* () {
			for (let i = 0; i < 600; i++) yield Buffer.alloc(64 * 1024, 0x7a);
		})();
		await assert.rejects(collect(parseJsonLines(endless)), /a line longer than 32 MB/);
	});

	it('reads lines cut at every byte', async () => {
		const text = '{"a":"ü,\\n"}\r\n\n{"b":[1,{"c":2}]}\n';
		const bytes = Buffer.from(text);
		for (let cut = 1; cut < bytes.length; cut++) {
			assert.deepEqual(await collect(parseJsonLines([bytes.subarray(0, cut), bytes.subarray(cut)])), [{ a: 'ü,\n' }, { b: [1, { c: 2 }] }]);
		}
	});
});
