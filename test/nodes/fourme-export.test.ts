import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import JSZip from 'jszip';

import { startFourMeEmulator, type FourMeEmulator } from '../emulators/fourme';
import { findSecrets, readBinary, testCredential } from '../helpers/n8n';
import { credentialData, credentialsFor, FourMeApi, runFourMe } from './fourme';

const DAY = 24 * 60 * 60 * 1000;

describe('4me node: export', () => {
	let emulator: FourMeEmulator;

	before(async () => {
		emulator = await startFourMeEmulator();
	});
	after(() => emulator.close());
	beforeEach(() => emulator.faults.reset());

	/** Everything the node returned or logged holds no token. */
	function assertNoSecrets(result: unknown) {
		assert.deepEqual(findSecrets(result, credentialsFor(emulator)), []);
	}

	function storageRequests() {
		return emulator.requests.filter((request) => request.host === 'storage');
	}

	it('passes the credential test with a valid token and fails it with a wrong one', async () => {
		assert.equal((await testCredential(new FourMeApi(), credentialData(emulator))).status, 'OK');
		const wrong = await testCredential(new FourMeApi(), credentialData(emulator, { token: 'wrong-token' }));
		assert.equal(wrong.status, 'Error');
	});

	it('exports one type in full: one item per record, keyed by header, formula guard removed', async () => {
		const result = await runFourMe(emulator, { recordTypes: ['people'] });
		assert.equal(result.error, undefined, result.error?.message);
		const expected = emulator.records.list('people');
		assert.equal(result.items.length, expected.length);
		for (const [index, item] of result.items.entries()) {
			assert.deepEqual(item.json, expected[index]);
			assert.deepEqual(item.pairedItem, { item: 0 });
		}
		const jose = result.items.find((item) => item.json.id === '3');
		assert.equal(jose?.json.job_title, '=HYPERLINK("http://example.com","click")');
		const multiLine = result.items.find((item) => item.json.id === '6');
		assert.equal(multiLine?.json.organization, 'Org A\r\nOrg B');
		const job = emulator.jobs.at(-1);
		assert.equal(job?.bodyEncoding, 'multipart');
		assert.deepEqual(job?.types, ['people']);
		assert.equal(job?.from, undefined);
		assertNoSecrets(result);
	});

	it('sends the token only to the API host, never to the storage host', async () => {
		const before = storageRequests().length;
		await runFourMe(emulator, { recordTypes: ['sites'] });
		const downloads = storageRequests().slice(before);
		assert.ok(downloads.length >= 1);
		for (const request of downloads) {
			assert.equal(request.headers.authorization, undefined);
			assert.equal(request.headers['x-4me-account'], undefined);
		}
		const api = emulator.requests.filter((request) => request.host === 'api').at(-1);
		assert.equal(api?.headers.authorization, `Bearer ${emulator.token}`);
		assert.equal(api?.headers['x-4me-account'], emulator.account);
	});

	it('keeps the guard tab when "Remove Spreadsheet Guard" is off', async () => {
		const result = await runFourMe(emulator, { recordTypes: ['sites'], options: { removeInjectionGuard: false } });
		assert.equal(result.items.find((item) => item.json.id === '23')?.json.remarks, '\t=1+1');
	});

	it('exports several types as a zip, each row tagged with its record type', async () => {
		const result = await runFourMe(emulator, { recordTypes: ['people', 'people_contact_details', 'sites'] });
		assert.equal(result.error, undefined, result.error?.message);
		const byType = (type: string) => result.items.filter((item) => item.json._recordType === type);
		assert.equal(byType('people').length, emulator.records.count('people'));
		assert.equal(byType('people_contact_details').length, emulator.records.count('people_contact_details'));
		assert.equal(byType('sites').length, emulator.records.count('sites'));
		assert.equal(result.items.length, emulator.records.count('people') + emulator.records.count('people_contact_details') + emulator.records.count('sites'));
		assert.equal(byType('people_contact_details')[0].json.telephone !== undefined, true);
		assert.match(emulator.jobs.at(-1)?.fileName ?? '', /\.zip$/);
	});

	it('exports only what changed in a partial export, and nothing (no error) when nothing changed', async () => {
		const since = new Date(emulator.clock.now().getTime() - 4 * DAY).toISOString();
		const result = await runFourMe(emulator, { recordTypes: ['requests'], exportKind: 'partial', from: since });
		assert.equal(result.error, undefined, result.error?.message);
		const changed = emulator.records.list('requests').filter((row) => Date.parse(String(row.updated_at)) > Date.parse(since));
		assert.ok(changed.length > 0 && changed.length < emulator.records.count('requests'));
		assert.deepEqual(result.items.map((item) => item.json.id).sort(), changed.map((row) => row.id).sort());
		assert.match(emulator.jobs.at(-1)?.fromParam ?? '', /^\d{8}T\d{2}:\d{2}:\d{2}Z$/);

		const jobsBefore = emulator.jobs.length;
		const future = new Date(emulator.clock.now().getTime() - 1000).toISOString();
		const nothing = await runFourMe(emulator, { recordTypes: ['requests'], exportKind: 'partial', from: future });
		assert.equal(nothing.error, undefined, nothing.error?.message);
		assert.equal(nothing.items.length, 0);
		assert.equal(emulator.jobs.length, jobsBefore, '204: no job was created');
	});

	it('refuses a partial export more than 2 months back before asking 4me', async () => {
		const requestsBefore = emulator.requests.length;
		const old = new Date(emulator.clock.now().getTime() - 70 * DAY).toISOString();
		const result = await runFourMe(emulator, { recordTypes: ['requests'], exportKind: 'partial', from: old });
		assert.match(result.error?.message ?? '', /Created or Updated Since.*more than 2 months back/);
		assert.equal(emulator.requests.length, requestsBefore);
	});

	it('names the field and the allowed values for an unknown record type or a bad date', async () => {
		const unknown = await runFourMe(emulator, { recordTypes: '={{ "people,changes" }}' });
		assert.match(unknown.error?.message ?? '', /Unknown record type in "Record Types": changes/);
		assert.match(String(unknown.error?.description), /workflows/);
		const badDate = await runFourMe(emulator, { recordTypes: ['people'], exportKind: 'partial', from: 'yesterday' });
		assert.match(badDate.error?.message ?? '', /"Created or Updated Since" is not a valid date/);
	});

	it('accepts record types from an expression as comma-separated text', async () => {
		const result = await runFourMe(emulator, { recordTypes: '={{ "teams, sites" }}' });
		assert.equal(result.error, undefined, result.error?.message);
		assert.deepEqual(emulator.jobs.at(-1)?.types, ['teams', 'sites']);
		assert.equal(result.items.length, emulator.records.count('teams') + emulator.records.count('sites'));
	});

	it('explains the once-a-day limit of a full export over 10,000 records', async () => {
		emulator.records.generate('time_entries', 10_001);
		const first = await runFourMe(emulator, { recordTypes: ['time_entries'], options: { rowLimit: 5 } });
		assert.equal(first.error, undefined, first.error?.message);
		assert.equal(first.items.length, 5);
		const second = await runFourMe(emulator, { recordTypes: ['time_entries'] });
		assert.match(second.error?.message ?? '', /full export of Time Entries.*only once per day/);
		assert.match(String(second.error?.description), /partial export/);
		assert.match(String(second.error?.description), new RegExp(emulator.jobs.at(-1)?.token ?? 'no-token'));
	});

	it('outputs the file as binary data when asked, byte for byte', async () => {
		const result = await runFourMe(emulator, { recordTypes: ['teams', 'sites'], output: 'file' });
		assert.equal(result.error, undefined, result.error?.message);
		assert.equal(result.items.length, 1);
		const [item] = result.items;
		assert.equal(item.json.token, emulator.jobs.at(-1)?.token);
		assert.equal(item.binary?.data.mimeType, 'application/zip');
		const zip = await JSZip.loadAsync(await readBinary(item, 'data'));
		assert.equal(Object.keys(zip.files).length, 2);
	});

	it('returns an Excel export as a file, and explains that it cannot become rows', async () => {
		const file = await runFourMe(emulator, { recordTypes: ['sites'], output: 'file', binaryPropertyName: 'sheet', options: { fileFormat: 'xlsx' } });
		assert.equal(file.error, undefined, file.error?.message);
		assert.equal(file.items[0].binary?.sheet.mimeType, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
		const rows = await runFourMe(emulator, { recordTypes: ['sites'], options: { fileFormat: 'xlsx' } });
		assert.match(rows.error?.message ?? '', /Excel files cannot be split into rows/);
	});

	it('reads a file with a BOM and shuffled columns', async () => {
		emulator.faults.bom(true);
		emulator.faults.shuffleColumns(true);
		const result = await runFourMe(emulator, { recordTypes: ['teams'] });
		assert.deepEqual(
			result.items.map((item) => item.json),
			emulator.records.list('teams').map((row) => Object.fromEntries(Object.keys(result.items[0].json).map((key) => [key, row[key]]))),
		);
		assert.ok(Object.keys(result.items[0].json).includes('id'), 'no BOM in the first header');
	});

	it('stops downloading at the row limit', async () => {
		const result = await runFourMe(emulator, { recordTypes: ['people'], options: { rowLimit: 2 } });
		assert.equal(result.items.length, 2);
	});
});
