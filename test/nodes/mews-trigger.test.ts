import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import type { IDataObject } from 'n8n-workflow';

import { startMewsEmulator, type MewsEmulator } from '../emulators/mews';
import { pollMews } from './mews';

const DAY = 24 * 60 * 60_000;
const MINUTE = 60_000;

describe('Mews Trigger', () => {
	let emulator: MewsEmulator;

	before(async () => {
		emulator = await startMewsEmulator({ linesPerFile: 25, frozenClock: true, rateLimits: false });
	});
	after(() => emulator.close());
	beforeEach(() => emulator.faults.reset());

	// n8n keeps a node's static data under "node:<node name>".
	const nodeState = (data: IDataObject) => (data['node:Mews Trigger'] ?? {}) as IDataObject;
	const ids = (items: Array<{ json: IDataObject }> | null) => (items ?? []).map((item) => String(item.json.Id)).sort();
	const exportsOf = (type: string) => emulator.exports.filter((exp) => exp.EntityType === type);

	it('starts from now, then emits exactly the records changed between polls', async () => {
		const state: IDataObject = {};
		const first = await pollMews(emulator, { entityType: 'Reservation' }, state);
		assert.equal(first.items, null);
		assert.equal(nodeState(state).watermark, new Date(emulator.clock.now().getTime() - 5 * MINUTE).toISOString(), 'Mews time minus 5 minutes');

		emulator.clock.advance(10 * MINUTE);
		const changed = emulator.entities.upsert('Reservation', { Number: 'R-1', State: 'Confirmed' });
		const added = emulator.entities.upsert('Reservation', { Number: 'R-2', State: 'Enquired' });
		emulator.clock.advance(6 * MINUTE);
		const second = await pollMews(emulator, { entityType: 'Reservation' }, state);
		assert.deepEqual(ids(second.items), [String(changed.Id), String(added.Id)].sort());
		const ranges = exportsOf('Reservation').map((exp) => (exp.Filters as { UpdatedUtc: { StartUtc: string; EndUtc: string } }).UpdatedUtc);
		assert.equal(Date.parse(ranges.at(-1)!.EndUtc), emulator.clock.now().getTime() - 5 * MINUTE);

		emulator.clock.advance(6 * MINUTE);
		const third = await pollMews(emulator, { entityType: 'Reservation' }, state);
		assert.equal(third.items, null, 'nothing changed');

		emulator.entities.upsert('Reservation', { Id: String(added.Id), State: 'Confirmed' });
		emulator.clock.advance(6 * MINUTE);
		const fourth = await pollMews(emulator, { entityType: 'Reservation' }, state);
		assert.deepEqual(ids(fourth.items), [String(added.Id)]);
		assert.equal(fourth.items?.[0].json.State, 'Confirmed');
		const [previous, last] = exportsOf('Reservation').slice(-2).map((exp) => (exp.Filters as unknown as { UpdatedUtc: { StartUtc: string; EndUtc: string } }).UpdatedUtc);
		assert.equal(last.StartUtc, previous.EndUtc, 'each range starts where the last ended');
	});

	it('emits everything updated since a date, 180 days per export, each record once', async () => {
		const now = emulator.clock.now().getTime();
		emulator.entities.generate('Payment', 90, { since: new Date(now - 420 * DAY), until: new Date(now - 10 * MINUTE) });
		const since = new Date(now - 400 * DAY);
		const before = exportsOf('Payment').length;
		const state: IDataObject = {};
		const result = await pollMews(emulator, { entityType: 'Payment', startWith: 'since', since: since.toISOString() }, state);
		const expected = emulator.entities.list('Payment').filter((entity) => Date.parse(String(entity.UpdatedUtc)) >= since.getTime());
		assert.deepEqual(ids(result.items), expected.map((entity) => String(entity.Id)).sort());
		assert.equal(exportsOf('Payment').length - before, 3, '400 days: 180 + 180 + 40, one after another');

		emulator.clock.advance(6 * MINUTE);
		assert.equal((await pollMews(emulator, { entityType: 'Payment', startWith: 'since', since: since.toISOString() }, state)).items, null);
	});

	it('resumes an export still running at the end of a poll, never starting a second one', async () => {
		const state: IDataObject = {};
		await pollMews(emulator, { entityType: 'Customer' }, state);
		emulator.clock.advance(10 * MINUTE);
		const changed = emulator.entities.upsert('Customer', { FirstName: 'Ada', LastName: 'Lovelace' });
		emulator.clock.advance(6 * MINUTE);

		emulator.faults.pollsUntilDone(40);
		const before = exportsOf('Customer').length;
		const short = await pollMews(emulator, { entityType: 'Customer', options: { maxWaitMinutes: 0.005 } }, state);
		assert.equal(short.items, null);
		assert.ok((nodeState(state).pendingJob as IDataObject | undefined)?.id, 'the running export is remembered');

		emulator.clock.advance(2 * MINUTE);
		const resumed = await pollMews(emulator, { entityType: 'Customer' }, state);
		assert.deepEqual(ids(resumed.items), [String(changed.Id)]);
		assert.equal(exportsOf('Customer').length - before, 1, 'one export for both polls');
		assert.equal(nodeState(state).pendingJob, undefined);
	});

	it('fails a poll on a Failed export and exports the same range again on the next one', async () => {
		const state: IDataObject = {};
		await pollMews(emulator, { entityType: 'Company' }, state);
		emulator.clock.advance(10 * MINUTE);
		const changed = emulator.entities.upsert('Company', { Name: 'Acme Hotels' });
		emulator.clock.advance(6 * MINUTE);
		const watermark = nodeState(state).watermark;

		emulator.faults.failExport();
		await assert.rejects(pollMews(emulator, { entityType: 'Company' }, state), /Mews could not complete the export/);
		assert.equal(nodeState(state).watermark, watermark);
		assert.equal(nodeState(state).pendingJob, undefined);

		const next = await pollMews(emulator, { entityType: 'Company' }, state);
		assert.deepEqual(ids(next.items), [String(changed.Id)]);
	});

	it('"Fetch Test Event" shows a few recent records and leaves the state alone', async () => {
		const now = emulator.clock.now().getTime();
		emulator.entities.generate('Bill', 30, { since: new Date(now - 3 * DAY), until: new Date(now - 10 * MINUTE) });
		const state: IDataObject = {};
		const result = await pollMews(emulator, { entityType: 'Bill', options: { sampleSize: 5 } }, state, 'manual');
		assert.equal(result.items?.length, 5);
		assert.deepEqual(nodeState(result.staticData), {});
	});
});
