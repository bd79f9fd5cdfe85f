import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import type { INodeExecutionData } from 'n8n-workflow';

import { startFourMeEmulator, type FourMeEmulator } from '../emulators/fourme';
import { runFourMe } from './fourme';

function csvItem(text: string | Buffer, fileName = 'people.csv'): INodeExecutionData {
	const data = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
	return { json: {}, binary: { data: { data: data.toString('base64'), mimeType: 'text/csv', fileName } } };
}

describe('4me node: import', () => {
	let emulator: FourMeEmulator;

	before(async () => {
		emulator = await startFourMeEmulator();
	});
	after(() => emulator.close());
	beforeEach(() => emulator.faults.reset());

	const importParameters = (extra = {}) => ({ resource: 'import', operation: 'import', importType: 'people', ...extra });

	it('imports a CSV file from a binary field and reports counts and the failing line', async () => {
		const file =
			'Name,Primary Email,Source,Source ID\r\n' +
			'Ada Lovelace,ada@widget.com,HR,1001\r\n' +
			'Grace Hopper,grace@widget.com,HR,1002\r\n' +
			'No Email,,HR,1003\r\n';
		const result = await runFourMe(emulator, importParameters(), { input: [csvItem(file)] });
		assert.equal(result.error, undefined, result.error?.message);
		const [outcome] = result.items;
		assert.equal(outcome.json.state, 'done');
		assert.equal(outcome.json.created, 2);
		assert.equal(outcome.json.failures, 1);
		assert.equal(outcome.json.succeeded, false);
		assert.deepEqual(outcome.pairedItem, { item: 0 });
		const log = outcome.json.log as Array<{ line: number | null; message: string }>;
		assert.ok(log.some((entry) => entry.line === 4), `log names line 4: ${JSON.stringify(log)}`);
		const storage = emulator.requests.filter((request) => request.host === 'storage').at(-1);
		assert.equal(storage?.headers.authorization, undefined, 'the log file is fetched without credentials');

		const exported = await runFourMe(emulator, { recordTypes: ['people'] });
		assert.ok(exported.items.some((item) => item.json.primary_email === 'grace@widget.com'), 'the import shows up in an export');
	});

	it('builds the import file from input items, columns in a stable order, quoting as needed', async () => {
		const result = await runFourMe(emulator, importParameters({ inputData: 'items', importType: 'sites' }), {
			input: [
				{ json: { Name: 'Rotterdam', Address: 'Coolsingel 40, Rotterdam' } },
				{ json: { Name: 'Lyon "Part-Dieu"', Remarks: 'line one\nline two' } },
			],
		});
		assert.equal(result.error, undefined, result.error?.message);
		assert.equal(result.items.length, 1);
		assert.equal(result.items[0].json.created, 2);
		assert.deepEqual(result.items[0].pairedItem, [{ item: 0 }, { item: 1 }]);
		const job = emulator.imports.at(-1);
		assert.deepEqual(job?.header, ['Name', 'Address', 'Remarks']);
		const sites = emulator.records.list('sites');
		assert.ok(sites.some((site) => site.name === 'Lyon "Part-Dieu"' && site.remarks === 'line one\nline two'));
	});

	it('refuses files 4me cannot import, naming the problem, before uploading', async () => {
		const before = emulator.imports.length;
		const cases: Array<[string | Buffer, RegExp]> = [
			['Name,Primary Email\r\n', /has no rows to import/],
			['Name,Name\r\nA,B\r\n', /repeats the column "Name"/],
			[' =cmd,Name\r\nA,B\r\n', /column header that is not a field name/],
			[Buffer.from([0x4e, 0x61, 0x6d, 0x65, 0x0a, 0xff, 0xfe, 0xfd, 0x0a]), /is not a UTF-8 text file/],
		];
		for (const [file, message] of cases) {
			const result = await runFourMe(emulator, importParameters(), { input: [csvItem(file)] });
			assert.match(result.error?.message ?? '', message);
		}
		assert.equal(emulator.imports.length, before, 'nothing was uploaded');
	});

	it('reports an aborted import (state error) with 4me\'s message instead of failing', async () => {
		emulator.faults.importError('Invalid byte sequence in UTF-8 on line 15');
		const result = await runFourMe(emulator, importParameters(), { input: [csvItem('Name,Primary Email\r\nA,a@b.c\r\n')] });
		assert.equal(result.error, undefined, result.error?.message);
		assert.equal(result.items[0].json.state, 'error');
		assert.equal(result.items[0].json.message, 'Invalid byte sequence in UTF-8 on line 15');
		assert.equal(result.items[0].json.succeeded, false);
	});

	it('does not upload a file again after a 5xx: the first upload may have been imported', async () => {
		emulator.faults.serverError(1, 502);
		const uploads = () => emulator.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/import')).length;
		const before = uploads();
		const result = await runFourMe(emulator, importParameters(), { input: [csvItem('Name,Primary Email\r\nOnce Only,once@widget.com\r\n')] });
		assert.ok(result.error);
		assert.equal(uploads() - before, 1, 'one upload');
		assert.match(String(result.error.description), /may have received POST \S+\/v1\/import before the failure, so it was not sent again/);
	});

	it('starts an import, then reports its status by token', async () => {
		const started = await runFourMe(emulator, { resource: 'import', operation: 'startImport', importType: 'teams' }, {
			input: [csvItem('Name\r\nField Services\r\n', 'teams.csv')],
		});
		const token = String(started.items[0].json.token);
		assert.equal(token, emulator.imports.at(-1)?.token);
		let status = (await runFourMe(emulator, { resource: 'import', operation: 'getImportStatus', importJob: token })).items[0].json;
		for (let check = 0; check < 10 && status.state !== 'done'; check++) {
			status = (await runFourMe(emulator, { resource: 'import', operation: 'getImportStatus', importJob: token })).items[0].json;
		}
		assert.equal(status.state, 'done');
		assert.equal(status.created, 1);
		assert.equal(status.succeeded, true);
	});

	it('gives each input file its own result, an error item with Continue On Fail, and checks every file before uploading one', async () => {
		const good = (name: string) => csvItem(`Name\r\n${name}\r\n`, `${name}.csv`);
		const broken = csvItem('Name,Name\r\nTwice\r\n', 'broken.csv');
		const before = emulator.imports.length;
		const refused = await runFourMe(emulator, importParameters({ importType: 'teams' }), { input: [good('Alpha'), good('Beta'), broken] });
		assert.match(refused.error?.message ?? '', /"broken\.csv" \(item 3\) repeats the column "Name"/);
		assert.equal(emulator.imports.length, before, 'nothing was uploaded: the third file was checked first');

		const each = await runFourMe(emulator, importParameters({ importType: 'teams' }), { input: [good('Gamma'), broken, good('Delta')], continueOnFail: true });
		assert.equal(each.items.length, 3);
		assert.deepEqual(each.items.map((item) => item.pairedItem), [{ item: 0 }, { item: 1 }, { item: 2 }]);
		assert.equal(each.items[0].json.created, 1);
		assert.match(String(each.items[1].json.error), /repeats the column "Name"/);
		assert.equal(each.items[2].json.created, 1);
		assert.equal(emulator.imports.length, before + 2);
	});
});
