import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import type { IDataObject } from 'n8n-workflow';

import { startMewsEmulator, type MewsEmulator } from '../emulators/mews';
import { findSecrets, readBinary, testCredential } from '../helpers/n8n';
import { callMews, credentialData, credentialsFor, MewsConnectorApi, runMews } from './mews';

const DAY = 24 * 60 * 60_000;
const MINUTE = 60_000;

describe('Mews node: exports', () => {
	let emulator: MewsEmulator;

	before(async () => {
		emulator = await startMewsEmulator({ linesPerFile: 40 });
		emulator.entities.generate('Reservation', 100, { since: new Date(Date.now() - 30 * DAY), until: new Date(Date.now() - 10 * MINUTE) });
	});
	after(() => emulator.close());
	beforeEach(() => emulator.faults.reset());

	const ids = (items: Array<{ json: IDataObject }>) => items.map((item) => String(item.json.Id));
	const exportsOf = (type: string) => emulator.exports.filter((exp) => exp.EntityType === type);
	const apiRequests = () => emulator.requests.filter((request) => request.server === 'api');

	it('tests the credential with a cheap call, and names a bad token', async () => {
		assert.equal((await testCredential(new MewsConnectorApi(), credentialData(emulator))).status, 'OK');
		const bad = await testCredential(new MewsConnectorApi(), credentialData(emulator, { accessToken: 'not-a-token' }));
		assert.equal(bad.status, 'Error');
	});

	it('exports every record of a type, over several JSON Lines files, one item per record', async () => {
		const before = emulator.requests.length;
		const result = await runMews(emulator, { entityType: 'Reservation' });
		assert.equal(result.error, undefined, result.error?.message);
		const expected = emulator.entities.list('Reservation').map((entity) => String(entity.Id));
		assert.deepEqual(ids(result.items).sort(), [...expected].sort());
		const exp = exportsOf('Reservation').at(-1);
		assert.ok(exp && exp.Files.length >= 3, 'the export came in several files');
		assert.deepEqual(result.items[0].json, emulator.entities.get('Reservation', String(result.items[0].json.Id)), 'rows are the entities as Mews describes them');
		assert.ok(result.items.every((item) => (item.pairedItem as { item: number }).item === 0));

		// Tokens travel in the JSON body of API calls only, never to the file host.
		const requests = emulator.requests.slice(before);
		for (const request of requests.filter((r) => r.server === 'api')) {
			assert.equal(request.method, 'POST');
			const body = JSON.parse(String(request.body)) as IDataObject;
			assert.equal(body.ClientToken, emulator.clientToken);
			assert.equal(body.AccessToken, emulator.accessToken);
			assert.match(String(body.Client), /^n8n-nodes-bulk-export \d+\.\d+\.\d+$/);
		}
		const downloads = requests.filter((r) => r.server === 'storage');
		assert.ok(downloads.length >= 3);
		for (const download of downloads) {
			assert.deepEqual(findSecrets(download, credentialsFor(emulator)), [], 'no token reaches the file host');
		}
	});

	it('exports the records updated in a range, and runs one export per 180 days for a longer one', async () => {
		const now = Date.now();
		emulator.entities.generate('Customer', 60, { since: new Date(now - 400 * DAY), until: new Date(now - 10 * MINUTE) });
		const start = new Date(now - 390 * DAY);
		const end = new Date(now - 20 * DAY);
		const before = exportsOf('Customer').length;
		const result = await runMews(emulator, { entityType: 'Customer', records: 'updated', updatedAfter: start.toISOString(), updatedBefore: end.toISOString() });
		assert.equal(result.error, undefined, result.error?.message);
		const expected = emulator.entities
			.list('Customer')
			.filter((entity) => Date.parse(String(entity.UpdatedUtc)) >= start.getTime() && Date.parse(String(entity.UpdatedUtc)) < end.getTime())
			.map((entity) => String(entity.Id));
		assert.ok(expected.length > 20 && expected.length < 60);
		assert.deepEqual(ids(result.items).sort(), expected.sort());
		assert.equal(new Set(ids(result.items)).size, result.items.length, 'no record twice');

		const made = exportsOf('Customer').slice(before);
		assert.equal(made.length, 3, '390 − 20 = 370 days: 180 + 180 + 10');
		const ranges = made.map((exp) => (exp.Filters as { UpdatedUtc: { StartUtc: string; EndUtc: string } }).UpdatedUtc);
		assert.equal(Date.parse(ranges[0].StartUtc), start.getTime());
		assert.equal(ranges[0].EndUtc, ranges[1].StartUtc);
		assert.equal(ranges[1].EndUtc, ranges[2].StartUtc);
		assert.equal(Date.parse(ranges[2].EndUtc), end.getTime());
	});

	it('checks the range before asking Mews, naming the field', async () => {
		const recent = await runMews(emulator, { entityType: 'Customer', records: 'updated', updatedAfter: new Date(Date.now() - DAY).toISOString(), updatedBefore: new Date(Date.now() - 2 * MINUTE).toISOString() });
		assert.match(recent.error?.message ?? '', /"Updated Before" .* less than 5 minutes ago/);
		const reversed = await runMews(emulator, { entityType: 'Customer', records: 'updated', updatedAfter: new Date(Date.now() - DAY).toISOString(), updatedBefore: new Date(Date.now() - 2 * DAY).toISOString() });
		assert.match(reversed.error?.message ?? '', /"Updated After" .* is not before/);
		const notADate = await runMews(emulator, { entityType: 'Customer', records: 'updated', updatedAfter: 'last tuesday' });
		assert.match(notADate.error?.message ?? '', /"Updated After" is not a valid date/);
		const tooLong = await runMews(emulator, { operation: 'add', entityType: 'Customer', records: 'updated', updatedAfter: new Date(Date.now() - 200 * DAY).toISOString() });
		assert.match(tooLong.error?.message ?? '', /longer than the 180 days/);
		const both = await runMews(emulator, { entityType: 'Customer', options: { enterpriseIds: emulator.enterpriseIds[0], chainIds: emulator.chainIds[0] } });
		assert.match(both.error?.message ?? '', /"Enterprise IDs" or "Chain IDs", not both/);
		const badId = await runMews(emulator, { entityType: 'Customer', options: { enterpriseIds: 'hotel-1' } });
		assert.match(badId.error?.message ?? '', /"Enterprise IDs" holds something that is not a Mews ID: hotel-1/);
	});

	it('exports ledger entries by posting day', async () => {
		emulator.entities.generate('LedgerEntry', 80, { since: new Date(Date.now() - 40 * DAY), until: new Date(Date.now() - DAY) });
		const days = emulator.entities.list('LedgerEntry').map((entry) => String(entry.PostingDate)).sort();
		const [from, to] = [days[20], days[60]];
		const result = await runMews(emulator, { entityType: 'LedgerEntry', postedFrom: `${from}T00:00:00`, postedTo: `${to}T00:00:00` });
		assert.equal(result.error, undefined, result.error?.message);
		const expected = emulator.entities.list('LedgerEntry').filter((entry) => String(entry.PostingDate) >= from && String(entry.PostingDate) <= to);
		assert.ok(expected.length > 10);
		assert.deepEqual(ids(result.items).sort(), expected.map((entry) => String(entry.Id)).sort());
		assert.deepEqual((exportsOf('LedgerEntry').at(-1)?.Filters as IDataObject).LedgerEntryFilters, { Posting: { Start: from, End: to } });

		const reversed = await runMews(emulator, { entityType: 'LedgerEntry', postedFrom: `${to}T00:00:00`, postedTo: `${from}T00:00:00` });
		assert.match(reversed.error?.message ?? '', /"Posted From" .* is after "Posted To"/);
	});

	it('scopes an export to enterprises with a portfolio token', async () => {
		const [first, second] = emulator.enterpriseIds;
		emulator.entities.generate('Bill', 30, { enterpriseIds: [first, second], until: new Date(Date.now() - 10 * MINUTE) });
		const result = await runMews(emulator, { entityType: 'Bill', options: { enterpriseIds: second } }, { credentialOverrides: { accessToken: emulator.portfolioAccessToken } });
		assert.equal(result.error, undefined, result.error?.message);
		assert.ok(result.items.length > 0);
		assert.ok(result.items.every((item) => item.json.EnterpriseId === second));
		assert.deepEqual(exportsOf('Bill').at(-1)?.Scope, { EnterpriseIds: [second] });
	});

	it('adds an export, gets it by id, and downloads it later, as rows or as files', async () => {
		const added = await runMews(emulator, { operation: 'add', entityType: 'Reservation' });
		assert.equal(added.error, undefined, added.error?.message);
		const id = String(added.items[0].json.Id);
		assert.equal(added.items[0].json.Status, 'Pending');

		const got = await runMews(emulator, { operation: 'getAll', exportIds: `${id}, 00000000-0000-0000-0000-000000000000` });
		assert.equal(got.error, undefined, got.error?.message);
		assert.deepEqual(got.items.map((item) => item.json.Id), [id], 'an unknown id gives no item');

		const rows = await runMews(emulator, { operation: 'download', exportId: id });
		assert.equal(rows.error, undefined, rows.error?.message);
		assert.equal(rows.items.length, emulator.entities.count('Reservation'));

		const files = await runMews(emulator, { operation: 'download', exportId: id, output: 'file' });
		assert.equal(files.error, undefined, files.error?.message);
		const exp = emulator.exports.find((e) => e.Id === id);
		assert.equal(files.items.length, exp?.Files.length);
		const text = (await Promise.all(files.items.map((item) => readBinary(item, 'data')))).map((buffer) => buffer.toString('utf8')).join('');
		assert.equal(text.trim().split('\n').length, emulator.entities.count('Reservation'));
		assert.equal(files.items[0].json.exportId, id);
	});

	it('asks for more than 1000 exports in batches of 1000', async () => {
		const many = Array.from({ length: 1500 }, (_, n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`);
		const before = apiRequests().length;
		const result = await runMews(emulator, { operation: 'getAll', exportIds: many.join(',') });
		assert.equal(result.error, undefined, result.error?.message);
		const calls = apiRequests().slice(before).map((request) => JSON.parse(String(request.body)) as IDataObject);
		assert.deepEqual(calls.map((body) => (body.ExportIds as string[]).length), [1000, 500]);
	});

	it('renews expired file links and reads every file', async () => {
		emulator.faults.expireUrls(1);
		const result = await runMews(emulator, { entityType: 'Reservation' });
		assert.equal(result.error, undefined, result.error?.message);
		assert.equal(result.items.length, emulator.entities.count('Reservation'));
		assert.ok(result.logs.some((line) => /links were refused/.test(line.message)));

		emulator.faults.expireUrls(10);
		const refused = await runMews(emulator, { entityType: 'Reservation' });
		assert.match(refused.error?.message ?? '', /download link was refused/);
		assert.match(refused.error?.description ?? '', /Download Export/, 'says how to get the export later');
	});

	it('resumes a broken download and checks SizeInBytes', async () => {
		emulator.faults.truncateDownload(1);
		const result = await runMews(emulator, { entityType: 'Reservation' });
		assert.equal(result.error, undefined, result.error?.message);
		assert.equal(new Set(ids(result.items)).size, emulator.entities.count('Reservation'));
	});

	it('fails clearly on a Failed export, or retries it once when asked', async () => {
		emulator.faults.failExport();
		const failed = await runMews(emulator, { entityType: 'Payment' });
		assert.match(failed.error?.message ?? '', /Mews could not complete the export [0-9a-f-]{36} \(Payment\)/);

		emulator.faults.failExport();
		const before = exportsOf('Payment').length;
		const retried = await runMews(emulator, { entityType: 'Payment', options: { retryFailed: true } });
		assert.equal(retried.error, undefined, retried.error?.message);
		assert.equal(exportsOf('Payment').length, before + 2);
	});

	it('says an expired export has expired', async () => {
		const added = await runMews(emulator, { operation: 'add', entityType: 'Company' });
		const id = String(added.items[0].json.Id);
		await runMews(emulator, { operation: 'download', exportId: id });
		emulator.expireExport(id);
		const result = await runMews(emulator, { operation: 'download', exportId: id });
		assert.match(result.error?.message ?? '', new RegExp(`The Mews export ${id} has expired`));
	});

	it('with one export per type at a time: uses the same export it started, fails or waits for another', async () => {
		emulator.faults.neverFinish();
		const state: IDataObject = {};
		const first = await runMews(emulator, { operation: 'add', entityType: 'AvailabilityBlock' }, { mode: 'trigger', staticData: state });
		const id = String(first.items[0].json.Id);
		const again = await runMews(emulator, { operation: 'add', entityType: 'AvailabilityBlock' }, { mode: 'trigger', staticData: state });
		assert.equal(again.items[0].json.Id, id, 'the running export it started itself is used');
		assert.equal(again.items[0].json.alreadyRunning, true);

		const other = await runMews(emulator, { operation: 'add', entityType: 'AvailabilityBlock', records: 'updated', updatedAfter: new Date(Date.now() - DAY).toISOString(), options: { whenRunning: 'fail' } }, { mode: 'trigger', staticData: state });
		assert.match(other.error?.message ?? '', /already running an export of AvailabilityBlock/);
		assert.match(other.error?.description ?? '', new RegExp(`the export ${id}`));

		// Started outside n8n: the node cannot see it, and waits until Mews takes a new export.
		const outside = await callMews<{ Export: { Id: string } }>(emulator, 'exports/add', { EntityType: 'ResourceBlock' });
		assert.equal(outside.status, 200);
		const failing = await runMews(emulator, { entityType: 'ResourceBlock', options: { whenRunning: 'fail' } });
		assert.match(failing.error?.description ?? '', /started outside this node/);

		let polling = true;
		const otherClient = (async () => {
			// The other client checks its export until it is done, as a real one would.
			for (let polls = 0; polling && polls < 200; polls++) {
				await callMews(emulator, 'exports/getAll', { ExportIds: [outside.body.Export.Id] });
				await new Promise((resolve) => setTimeout(resolve, 20));
			}
		})();
		const waited = await runMews(emulator, { entityType: 'ResourceBlock' });
		polling = false;
		await otherClient;
		assert.equal(waited.error, undefined, waited.error?.message);
		assert.ok(waited.logs.some((line) => /busy with another export of ResourceBlock/.test(line.message)));
	});

	it('waits out 429 as Retry-After says, and explains a token without export access', async () => {
		emulator.faults.rateLimit(2, 1);
		const started = Date.now();
		const limited = await runMews(emulator, { entityType: 'Company' });
		assert.equal(limited.error, undefined, limited.error?.message);
		assert.ok(Date.now() - started >= 1900, 'waited about 2 × 1 s');
		emulator.faults.rateLimit(1, 'http-date');
		const dated = await runMews(emulator, { entityType: 'Company' });
		assert.equal(dated.error, undefined, dated.error?.message);
		assert.ok(dated.logs.some((line) => /rate limited \(HTTP 429\)/.test(line.message)), 'Retry-After as an HTTP date is waited out too');

		const refused = await runMews(emulator, { entityType: 'Company' }, { credentialOverrides: { accessToken: emulator.accessTokenWithoutExports } });
		assert.equal(refused.error?.httpCode, '401');
		assert.match(refused.error?.message ?? '', /Mews refused the credential/);
		assert.match(refused.error?.description ?? '', /restricted beta/);
		assert.match(refused.error?.description ?? '', /Mews request ID: [0-9a-f-]{36}/);
		assert.deepEqual(findSecrets(refused, credentialsFor(emulator, { accessToken: emulator.accessTokenWithoutExports })), []);
	});

	it('works with the older API contract too (getAll with Limitation, OrderItem only)', async () => {
		const older = await startMewsEmulator({ apiVersion: 'older', linesPerFile: 10 });
		try {
			older.entities.generate('OrderItem', 25, { until: new Date(Date.now() - 10 * MINUTE) });
			const result = await runMews(older, { entityType: 'OrderItem' });
			assert.equal(result.error, undefined, result.error?.message);
			assert.equal(result.items.length, 25);
		} finally {
			await older.close();
		}
	});
});
