import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import type { IDataObject } from 'n8n-workflow';

import { startRebillyEmulator, type RebillyEmulator } from '../emulators/rebilly';
import { findSecrets, readBinary, testCredential } from '../helpers/n8n';
import { callRebilly, credentialsFor, Rebilly, RebillyApi, runRebilly } from './rebilly';

const DAY = 24 * 60 * 60_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('Rebilly node: data exports', () => {
	let emulator: RebillyEmulator;
	const now = Date.now();
	const from = iso(now - 30 * DAY);
	const to = iso(now - DAY);

	before(async () => {
		emulator = await startRebillyEmulator({ pollsUntilDone: 2, maxRecordsPerFile: 10, seed: false, rateLimit: false });
		emulator.records.generate('transactions', 45, { since: new Date(now - 40 * DAY), until: new Date(now - 2 * 60_000) });
		emulator.records.generate('customers', 12, { since: new Date(now - 20 * DAY), until: new Date(now - 2 * DAY) });
	});
	after(() => emulator.close());
	beforeEach(() => emulator.faults.reset());

	const inRange = (resource: 'transactions' | 'customers', field: string, start: string, end: string) =>
		emulator.records
			.list(resource)
			.filter((record) => Date.parse(String(record[field])) >= Date.parse(start) && Date.parse(String(record[field])) < Date.parse(end))
			.map((record) => record.id)
			.sort();
	const idsOf = (items: Array<{ json: IDataObject }>) => items.map((item) => String(item.json.id)).sort();
	const exportParameters = (extra: IDataObject = {}) => ({ dataResource: 'transactions', format: 'csv', rangeStart: from, rangeEnd: to, ...extra });

	it('exports the transactions of a date range as rows, by processed time, with the credential only on the API', async () => {
		const result = await runRebilly(emulator, exportParameters());
		assert.equal(result.error, undefined, result.error?.message);
		assert.deepEqual(idsOf(result.items), inRange('transactions', 'processedTime', from, to));
		const created = emulator.exports.at(-1)!;
		assert.deepEqual(created.dateRange, { start: from, end: to, field: 'processedTime' }, 'the default field of transactions');
		assert.match(created.name, /^n8n transactions \d{4}-\d{2}-\d{2}$/);
		const storage = emulator.requests.filter((request) => request.host === 'storage');
		assert.ok(storage.length > 0);
		assert.ok(storage.every((request) => !request.refused && request.headers['reb-apikey'] === undefined && request.headers.authorization === undefined));
		assert.deepEqual(findSecrets(result, credentialsFor(emulator)), []);
	});

	it('reads a zip of numbered parts in part order (part10 after part9) through the authenticated download, redirected to storage', async () => {
		emulator.faults.omitSignedLink();
		const result = await runRebilly(emulator, exportParameters({ format: 'csv', withDateRange: 'all' }));
		assert.equal(result.error, undefined, result.error?.message);
		const file = emulator.file(String(emulator.exports.at(-1)!.fileId))!;
		assert.ok(file.entries.length >= 5, `${file.entries.length} parts`);
		assert.equal(result.items.length, emulator.records.count('transactions'));
		const byProcessed = emulator.records.list('transactions').map((record) => record.id);
		assert.deepEqual(result.items.map((item) => item.json.id), byProcessed.slice().sort((a, b) => {
			const time = (id: string) => Date.parse(String(emulator.records.get('transactions', id)!.processedTime));
			return time(a) - time(b) || a.localeCompare(b);
		}), 'rows of every part, in part order');
		const download = emulator.requests.filter((request) => request.host === 'api' && /\/files\/.+\/download$/.test(request.path));
		assert.equal(download.length, 1);
		assert.equal(download[0].headers['reb-apikey'], emulator.apiKey, 'the API host gets the key');
		const storage = emulator.requests.filter((request) => request.host === 'storage');
		assert.ok(storage.length >= 1 && storage.every((request) => request.headers['reb-apikey'] === undefined && !request.refused), 'storage never does');
	});

	it('downloads a file the API serves itself, and reads JSON and JSON:API exports as rows', async () => {
		emulator.faults.omitSignedLink();
		emulator.faults.serveDownloadFromApi();
		const json = await runRebilly(emulator, { dataResource: 'customers', format: 'json', withDateRange: 'all' });
		assert.equal(json.error, undefined, json.error?.message);
		assert.deepEqual(idsOf(json.items), emulator.records.list('customers').map((record) => record.id).sort());
		assert.equal(typeof json.items[0].json.email, 'string');
		emulator.faults.reset();
		const jsonApi = await runRebilly(emulator, { dataResource: 'customers', format: 'json-api', withDateRange: 'all' });
		assert.equal(jsonApi.error, undefined, jsonApi.error?.message);
		assert.deepEqual(idsOf(jsonApi.items), idsOf(json.items));
		assert.equal(jsonApi.items[0].json.attributes, undefined, 'the attributes are the row');
		assert.equal(typeof jsonApi.items[0].json.email, 'string');
	});

	it('splits an export that is too large into halves of its date range, each part once, in order', async () => {
		const tight = await startRebillyEmulator({ maxRecords: 8, seed: false, rateLimit: false, pollsUntilDone: 1 });
		try {
			tight.records.generate('transactions', 30, { since: new Date(now - 30 * DAY), until: new Date(now - 2 * DAY) });
			const start = iso(now - 31 * DAY);
			const end = iso(now - DAY);
			const result = await runRebilly(tight, { dataResource: 'transactions', format: 'json', rangeStart: start, rangeEnd: end });
			assert.equal(result.error, undefined, result.error?.message);
			const expected = tight.records.list('transactions').sort((a, b) => Date.parse(String(a.processedTime)) - Date.parse(String(b.processedTime)));
			assert.deepEqual(result.items.map((item) => item.json.id), expected.map((record) => record.id), 'every record once, in time order');
			const parts = tight.exports.filter((exp) => exp.status === 'completed');
			assert.ok(parts.length >= 4, `${parts.length} parts`);
			assert.match(parts[1].name, /\(part 2\)$/);
			assert.ok(result.logs.some((line) => /matches \d+ records \(at most 8 per export\): exporting .* first/.test(line.message)));

			const unsplit = await runRebilly(tight, { dataResource: 'transactions', format: 'json', rangeStart: start, rangeEnd: end, options: { splitTooLarge: false } });
			assert.match(unsplit.error?.message ?? '', /too large for Rebilly: it matches 30 records, at most 8 fit in one export/);
			assert.match(unsplit.error?.description ?? '', /shorter date range, or a filter/);
			const allTime = await runRebilly(tight, { dataResource: 'transactions', format: 'json', withDateRange: 'all' });
			assert.match(allTime.error?.message ?? '', /matches 30 records/, 'without a date range there is nothing to split');
		} finally {
			await tight.close();
		}
	});

	it('waits out a rate limit whose X-RateLimit-Retry-After is an epoch time', async () => {
		emulator.faults.rateLimitCreates(1, 2);
		const result = await runRebilly(emulator, exportParameters());
		assert.equal(result.error, undefined, result.error?.message);
		assert.ok(result.logs.some((line) => /rate limited \(HTTP 429\), Rebilly asks to wait \d seconds?/.test(line.message)));
	});

	it('renews an expired signed link by getting the export again', async () => {
		emulator.faults.pollsUntilDone(1);
		const created = await runRebilly(emulator, { operation: 'create', dataResource: 'customers', format: 'csv', withDateRange: 'all' });
		const id = String(created.items[0].json.id);
		await runRebilly(emulator, { operation: 'get', exportId: id });
		await runRebilly(emulator, { operation: 'get', exportId: id });
		emulator.faults.expireSignedLinks();
		emulator.faults.storageForbidden(1);
		const result = await runRebilly(emulator, { operation: 'download', exportId: id });
		assert.equal(result.error, undefined, result.error?.message);
		assert.equal(result.items.length, emulator.records.count('customers'));
		assert.ok(result.logs.some((line) => /links were refused, asking for new ones/.test(line.message)));
	});

	it('fails clearly on a failed export, and retries it once when Rebilly gave up after retries', async () => {
		emulator.faults.failExport('record-limit-exceeded');
		const failed = await runRebilly(emulator, exportParameters());
		assert.match(failed.error?.message ?? '', /Rebilly could not complete the data export exp_\w+ \(transactions: record-limit-exceeded\)/);
		assert.match(failed.error?.description ?? '', /more records than one export may hold/);

		emulator.faults.failExport('max-retries-reached');
		const retried = await runRebilly(emulator, exportParameters({ options: { retryFailed: true } }));
		assert.equal(retried.error, undefined, retried.error?.message);
		assert.ok(retried.items.length > 0);
	});

	it('names each export within Rebilly\'s 50 characters, for every resource offered', async () => {
		const field = new Rebilly().description.properties.find((property) => property.name === 'dataResource');
		const offered = (field?.options ?? []).map((option) => String((option as { value: unknown }).value));
		assert.equal(offered.length, 11);
		for (const resource of offered) {
			const result = await runRebilly(emulator, { operation: 'create', dataResource: resource, format: 'csv', withDateRange: 'all' });
			assert.equal(result.error, undefined, `${resource}: ${result.error?.message}`);
			const sent = emulator.exports.at(-1)!;
			assert.equal(sent.resource, resource);
			assert.ok(sent.name.length <= 50, `${sent.name} (${sent.name.length})`);
		}
	});

	it('checks the fields before asking Rebilly, naming them', async () => {
		const longName = await runRebilly(emulator, exportParameters({ options: { exportName: 'x'.repeat(51) } }));
		assert.match(longName.error?.message ?? '', /"Export Name" has 51 characters; Rebilly takes at most 50/);
		const xmlRows = await runRebilly(emulator, exportParameters({ format: 'xml' }));
		assert.match(xmlRows.error?.message ?? '', /XML \(File\) exports come as a file, not as rows/);
		const noEnd = await runRebilly(emulator, exportParameters({ rangeEnd: '={{ "" }}' }));
		assert.match(noEnd.error?.message ?? '', /"To" is empty/);
		const usersXml = await runRebilly(emulator, { dataResource: 'users', format: 'xml', withDateRange: 'all', output: 'file' });
		assert.match(usersXml.error?.message ?? '', /"Format" xml is not one Rebilly exports Users in/);
		const refused = await runRebilly(emulator, exportParameters({ rangeStart: 'whenever' }));
		assert.match(refused.error?.message ?? '', /Rebilly refused the data export: .*dateRange/);
	});

	it('returns XML and PDF exports as files, and relative dates as Rebilly reads them', async () => {
		const result = await runRebilly(emulator, { dataResource: 'customers', format: 'xml', rangeStart: '-30 days', rangeEnd: 'now', output: 'file' });
		assert.equal(result.error, undefined, result.error?.message);
		assert.equal(result.items.length, 1);
		// 12 records in files of at most 10: a zip of XML parts.
		const bytes = await readBinary(result.items[0]);
		assert.ok(bytes.subarray(0, 2).toString() === 'PK' || bytes.toString('utf8').startsWith('<?xml'));
		assert.deepEqual(emulator.exports.at(-1)!.dateRange, { start: '-30 days', end: 'now', field: 'createdTime' });
	});

	it('creates, gets, lists, updates and deletes data exports', async () => {
		emulator.faults.neverFinish();
		const created = await runRebilly(emulator, { operation: 'create', dataResource: 'customers', format: 'json', exportName: 'Monthly customers', withDateRange: 'all', options: { recurringInstruction: 'FREQ=MONTHLY;BYMONTHDAY=1' } });
		assert.equal(created.error, undefined, created.error?.message);
		const id = String(created.items[0].json.id);
		assert.deepEqual(created.items[0].json.recurring, { instruction: 'FREQ=MONTHLY;BYMONTHDAY=1' });

		// Still pending (nothing asked for its status yet): it can be changed.
		const updated = await runRebilly(emulator, { operation: 'update', exportId: id, dataResource: 'customers', format: 'csv', exportName: 'Renamed', withDateRange: 'all' });
		assert.equal(updated.error, undefined, updated.error?.message);
		assert.equal(updated.items[0].json.name, 'Renamed');

		const got = await runRebilly(emulator, { operation: 'get', exportId: id });
		assert.equal(got.items[0].json.name, 'Renamed');
		assert.notEqual(got.items[0].json.status, 'pending');
		const refused = await runRebilly(emulator, { operation: 'update', exportId: id, dataResource: 'customers', format: 'csv', withDateRange: 'all' });
		assert.match(refused.error?.message ?? '', new RegExp(`only while it is pending; ${id} is (queued|processing)`));

		const listed = await runRebilly(emulator, { operation: 'getAll', limit: 2, options: { sort: '-createdTime' } });
		assert.equal(listed.items.length, 2);
		assert.equal(listed.items[0].json.id, id);
		const all = await runRebilly(emulator, { operation: 'getAll', returnAll: true });
		assert.equal(all.items.length, emulator.exports.length);


		const deleted = await runRebilly(emulator, { operation: 'delete', exportId: id });
		assert.deepEqual(deleted.items[0].json, { id, deleted: true });
		const gone = await runRebilly(emulator, { operation: 'get', exportId: id });
		assert.match(gone.error?.message ?? '', new RegExp(`Rebilly does not know the data export ${id}`));
	});

	it('downloads a data export created elsewhere, by its id, waiting while it runs', async () => {
		const made = await callRebilly<IDataObject>(emulator, 'POST', '/experimental/data-exports', { name: 'From the Rebilly app', resource: 'customers', format: 'csv' });
		assert.equal(made.status, 201);
		const result = await runRebilly(emulator, { operation: 'download', exportId: String(made.body.id) });
		assert.equal(result.error, undefined, result.error?.message);
		assert.equal(result.items.length, emulator.records.count('customers'));
	});

	it('works with a JWT too, explains a refused key without showing it, and tests the credential', async () => {
		const jwt = await runRebilly(emulator, exportParameters(), { credentialOverrides: { authType: 'jwt', jwtToken: emulator.jwt, apiKey: '' } });
		assert.equal(jwt.error, undefined, jwt.error?.message);
		const bad = await runRebilly(emulator, exportParameters(), { credentialOverrides: { apiKey: 'sk_sandbox_wrong_key_123' } });
		assert.match(bad.error?.message ?? '', /Rebilly did not accept the credential \(HTTP 401\)/);
		assert.deepEqual(findSecrets(bad, credentialsFor(emulator, { apiKey: 'sk_sandbox_wrong_key_123' })), []);
		const noAccess = await runRebilly(emulator, exportParameters(), { credentialOverrides: { apiKey: emulator.apiKeyWithoutExportAccess } });
		assert.match(noAccess.error?.message ?? '', /Rebilly refused access/);

		assert.equal((await testCredential(new RebillyApi(), credentialsFor(emulator).rebillyApi.data)).status, 'OK');
		assert.equal((await testCredential(new RebillyApi(), { ...credentialsFor(emulator).rebillyApi.data, apiKey: 'sk_sandbox_nope_nope' })).status, 'Error');
	});
});
