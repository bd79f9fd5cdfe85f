import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';

import type { IDataObject } from 'n8n-workflow';

import { startRebillyEmulator, type RebillyEmulator } from '../emulators/rebilly';
import { callRebilly, pollRebilly, RebillyTrigger } from './rebilly';

const DAY = 24 * 60 * 60_000;
const iso = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');
const STAMPED = /^n8n trigger \d{4}-\d{2}-\d{2}T\d{2}:\d{2} /;

/** The Records the trigger lets the user choose. */
function offeredResources(): string[] {
	const field = new RebillyTrigger().description.properties.find((property) => property.name === 'dataResource');
	return (field?.options ?? []).map((option) => String((option as { value: unknown }).value));
}

describe('Rebilly Trigger', () => {
	let emulator: RebillyEmulator;

	before(async () => {
		emulator = await startRebillyEmulator({ pollsUntilDone: 1, seed: false, rateLimit: false });
	});
	after(() => emulator.close());
	beforeEach(() => emulator.faults.reset());

	const nodeState = (data: IDataObject) => (data['node:Rebilly Trigger'] ?? {}) as IDataObject;
	const ids = (items: Array<{ json: IDataObject }> | null) => (items ?? []).map((item) => String(item.json.id)).sort();

	describe('changed records', () => {
		it('starts from now, then emits the records updated between polls, each change once', async () => {
			const state: IDataObject = {};
			assert.equal((await pollRebilly(emulator, { dataResource: 'customers' }, state)).items, null);
			assert.ok(nodeState(state).watermark);

			const changed = emulator.records.upsert('customers', { email: 'ada@example.com' });
			const added = emulator.records.upsert('customers', { email: 'grace@example.com' });
			const second = await pollRebilly(emulator, { dataResource: 'customers' }, state);
			assert.deepEqual(ids(second.items), [changed.id, added.id].sort());
			const range = emulator.exports.at(-1)!.dateRange!;
			assert.equal(range.field, 'updatedTime');
			assert.equal(emulator.exports.at(-1)!.format, 'json');

			const third = await pollRebilly(emulator, { dataResource: 'customers' }, state);
			assert.equal(third.items, null, 'the overlap brings them back; they are not emitted twice');

			emulator.records.upsert('customers', { id: changed.id, email: 'ada@lovelace.org' });
			const fourth = await pollRebilly(emulator, { dataResource: 'customers' }, state);
			assert.deepEqual(ids(fourth.items), [changed.id]);
			assert.equal(fourth.items?.[0].json.email, 'ada@lovelace.org');
		});

		it('emits everything updated since a date on the first poll', async () => {
			const made = emulator.records.generate('subscriptions', 6);
			const since = new Date(Date.now() - 60 * DAY).toISOString();
			const state: IDataObject = {};
			const first = await pollRebilly(emulator, { dataResource: 'subscriptions', startWith: 'since', since }, state);
			const expected = emulator.records.list('subscriptions').filter((record) => Date.parse(String(record.updatedTime)) >= Date.parse(since));
			assert.ok(expected.length >= made.length - 1);
			assert.deepEqual(ids(first.items), expected.map((record) => record.id).sort());
		});

		it('resumes an export still running when the poll ends, never starting a second one', async () => {
			const state: IDataObject = {};
			await pollRebilly(emulator, { dataResource: 'invoices' }, state);
			const changed = emulator.records.upsert('invoices', { currency: 'EUR' });
			emulator.faults.pollsUntilDone(60);
			const before = emulator.exports.length;
			const short = await pollRebilly(emulator, { dataResource: 'invoices', options: { maxWaitMinutes: 0.005 } }, state);
			assert.equal(short.items, null);
			assert.ok((nodeState(state).pendingJob as IDataObject | undefined)?.id);
			const exportRecord = emulator.exports.at(-1)!;
			exportRecord.polls = 59;
			const resumed = await pollRebilly(emulator, { dataResource: 'invoices' }, state);
			assert.ok(ids(resumed.items).includes(changed.id));
			assert.equal(emulator.exports.length - before, 1, 'one export for both polls');
		});

		it('names each export within Rebilly\'s 50 characters, for every resource offered, keeping the time of the poll (parts too)', async () => {
			const since = new Date(Date.now() - DAY).toISOString();
			for (const resource of offeredResources()) {
				await pollRebilly(emulator, { dataResource: resource, startWith: 'since', since }, {});
				const sent = emulator.exports.at(-1)!;
				assert.equal(sent.resource, resource);
				assert.ok(sent.name.length <= 50, `${sent.name} (${sent.name.length})`);
				assert.match(sent.name, STAMPED);
			}

			const tight = await startRebillyEmulator({ maxRecords: 2, pollsUntilDone: 1, seed: false, rateLimit: false });
			try {
				tight.records.generate('payoutRequestAllocations', 6, { since: new Date(Date.now() - DAY / 2), until: new Date(Date.now() - 60_000) });
				const split = await pollRebilly(tight, { dataResource: 'payoutRequestAllocations', startWith: 'since', since }, {});
				assert.equal(split.items?.length, 6);
				const names = tight.exports.map((sent) => sent.name);
				assert.ok(names.length >= 3 && names.some((name) => name.endsWith(' (part 2)')), names.join('\n'));
				for (const name of names) {
					assert.ok(name.length <= 50, `${name} (${name.length})`);
					assert.match(name, STAMPED);
				}
			} finally {
				await tight.close();
			}
		});

		it('"Fetch Test Event" shows a few recently updated records and leaves the state alone', async () => {
			emulator.records.generate('transactions', 8, { since: new Date(Date.now() - 3 * DAY), until: new Date(Date.now() - 60_000) });
			for (const record of emulator.records.list('transactions').slice(0, 5)) emulator.records.upsert('transactions', { id: record.id });
			const state: IDataObject = {};
			const sample = await pollRebilly(emulator, { dataResource: 'transactions', options: { sampleSize: 3 } }, state, 'manual');
			assert.equal(sample.items?.length, 3);
			assert.deepEqual(state, {});
		});
	});

	describe('completed exports', () => {
		const make = async (name: string) => {
			const made = await callRebilly<IDataObject>(emulator, 'POST', '/experimental/data-exports', { name, resource: 'disputes', format: 'csv' });
			assert.equal(made.status, 201, JSON.stringify(made.body));
			// Rebilly's own app polls it to completion (a recurring export runs by itself).
			await callRebilly(emulator, 'GET', `/experimental/data-exports/${String(made.body.id)}`);
			await callRebilly(emulator, 'GET', `/experimental/data-exports/${String(made.body.id)}`);
			return String(made.body.id);
		};

		it('emits the rows of each export that completed since the last poll, each export once', async () => {
			emulator.records.generate('disputes', 4);
			const state: IDataObject = {};
			const watch = { watch: 'completedExports', dataResource: 'disputes', nameContains: 'monthly' };
			assert.equal((await pollRebilly(emulator, watch, state)).items, null);

			await make('Monthly disputes 1');
			await make('Ad hoc disputes');
			await make('Monthly disputes 2');
			const first = await pollRebilly(emulator, watch, state);
			assert.equal(first.items?.length, 2 * emulator.records.count('disputes'), 'the rows of both monthly exports');
			assert.equal((await pollRebilly(emulator, watch, state)).items, null, 'each export once');

			await make('Monthly disputes 3');
			const next = await pollRebilly(emulator, watch, state);
			assert.equal(next.items?.length, emulator.records.count('disputes'));
		});

		describe('past pages of exports that do not match', () => {
			let many: RebillyEmulator;
			const since = Date.now() - 3 * 60 * 60_000;
			const second = (n: number) => new Date(since + n * 1000);
			const watch = { watch: 'completedExports', dataResource: 'disputes', nameContains: 'monthly', startWith: 'since', since: new Date(since).toISOString() };
			const lists = () => many.requests.filter((request) => request.method === 'GET' && request.path.endsWith('/experimental/data-exports'));

			beforeEach(async () => {
				many = await startRebillyEmulator({ pollsUntilDone: 1, seed: false, rateLimit: false });
				many.records.generate('disputes', 3);
			});
			afterEach(() => many.close());

			it('reads on to a matching export after more than a page of others, the formats left to Rebilly to filter', async () => {
				// Two a second, so that pages end inside a second.
				await many.addCompletedExports({ name: 'Ad hoc disputes', resource: 'disputes', format: 'csv' }, 2500, (index) => second(1 + Math.floor(index / 2)));
				await many.addCompletedExports({ name: 'Monthly disputes', resource: 'disputes', format: 'xml' }, 1500, (index) => second(1 + Math.floor(index / 2)));
				const [monthly] = await many.addCompletedExports({ name: 'Monthly disputes', resource: 'disputes', format: 'csv' }, 1, () => second(1300));
				const state: IDataObject = {};
				const first = await pollRebilly(many, watch, state);
				assert.equal(first.items?.length, 3);
				assert.equal(nodeState(state).watermark, `${iso(second(1300))}|${monthly.id}`);
				assert.ok(lists().length >= 3, `${lists().length} pages`);
				const filter = new URL(lists()[0].url, many.apiOrigin).searchParams.get('filter') ?? '';
				assert.match(filter, /(^|;)format:csv,detailed-csv,json,json-api(;|$)/);
			});

			it('moves the position past the exports looked at when a poll finds none, never past one not yet listed', async () => {
				await many.addCompletedExports({ name: 'Ad hoc disputes', resource: 'disputes', format: 'csv' }, 6000, (index) => second(1 + Math.floor(index / 2)));
				const state: IDataObject = {};
				const first = await pollRebilly(many, watch, state);
				assert.equal(first.items, null);
				assert.equal(lists().length, 5, 'a few pages a poll');
				const position = String(nodeState(state).watermark);
				const [passed] = position.split('|');
				assert.ok(Date.parse(passed) > since + 2000_000, position);
				assert.ok(position.endsWith('|'), 'the second it stopped in is read again');

				// Listed late, in that very second (and with an ID before the others'): still emitted.
				await many.addCompletedExports({ name: 'Monthly disputes', resource: 'disputes', format: 'csv' }, 1, () => new Date(passed));
				const [later] = await many.addCompletedExports({ name: 'Monthly disputes', resource: 'disputes', format: 'json' }, 1, () => second(3100));
				const next = await pollRebilly(many, watch, state);
				assert.equal(next.items?.length, 6, 'the rows of both');
				assert.equal(nodeState(state).watermark, `${iso(second(3100))}|${later.id}`);
			});
		});
	});
});
