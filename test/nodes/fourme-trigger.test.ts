import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { startFourMeEmulator, type FourMeEmulator } from '../emulators/fourme';
import { pollTrigger } from '../helpers/n8n';
import { credentialsFor, fastPolling, runFourMe } from './fourme';

type TriggerModule = typeof import('../../nodes/FourMe/FourMeTrigger.node');
const { FourMeTrigger } = require('../../dist/nodes/FourMe/FourMeTrigger.node.js') as TriggerModule;

const DAY = 24 * 60 * 60 * 1000;

describe('4me Trigger', () => {
	let emulator: FourMeEmulator;

	before(async () => {
		emulator = await startFourMeEmulator();
	});
	after(() => emulator.close());
	beforeEach(() => emulator.faults.reset());

	function poll(parameters: INodeParameters, staticData: IDataObject, mode: 'trigger' | 'manual' = 'trigger') {
		return pollTrigger({
			node: new FourMeTrigger(),
			parameters: { ...parameters, options: { ...fastPolling, ...((parameters.options as IDataObject) ?? {}) } as INodeParameters },
			credentials: credentialsFor(emulator),
			mode,
			staticData,
		});
	}

	// n8n keeps a node's static data under "node:<node name>".
	const NODE_KEY = 'node:4me Trigger';
	const nodeState = (data: IDataObject) => (data[NODE_KEY] ?? {}) as IDataObject;

	const ids = (items: Array<{ json: IDataObject }> | null) => (items ?? []).map((item) => item.json.id).sort();

	it('starts from now, then emits exactly the records changed between polls', async () => {
		const state: IDataObject = {};
		const first = await poll({ recordTypes: ['teams'] }, state);
		assert.equal(first.items, null);
		assert.ok(nodeState(state).watermark, 'remembers where it started');

		emulator.records.upsert('teams', { id: '31', name: 'Service Desk, Tier 1 (renamed)', coordinator: 'Ellen', remarks: '' });
		emulator.records.upsert('teams', { id: '99', name: 'New team', coordinator: 'Howard', remarks: '' });
		const second = await poll({ recordTypes: ['teams'] }, state);
		assert.deepEqual(ids(second.items), ['31', '99']);
		assert.equal(second.items?.find((item) => item.json.id === '31')?.json.name, 'Service Desk, Tier 1 (renamed)');

		const third = await poll({ recordTypes: ['teams'] }, state);
		assert.equal(third.items, null, 'the overlap brings the same rows back; they are not emitted twice');

		emulator.records.upsert('teams', { id: '99', name: 'New team, renamed again', coordinator: 'Howard', remarks: '' });
		const fourth = await poll({ recordTypes: ['teams'] }, state);
		assert.deepEqual(ids(fourth.items), ['99']);
	});

	it('starts with everything updated since a date, tagging rows of several types', async () => {
		const state: IDataObject = {};
		const since = new Date(emulator.clock.now().getTime() - 4 * DAY).toISOString();
		const result = await poll({ recordTypes: ['people', 'sites'], startWith: 'since', since }, state);
		const expected = ['people', 'sites'].flatMap((type) =>
			emulator.records.list(type).filter((row) => Date.parse(String(row.updated_at)) > Date.parse(since)).map((row) => `${type}:${row.id}`),
		);
		assert.deepEqual((result.items ?? []).map((item) => `${item.json._recordType}:${item.json.id}`).sort(), expected.sort());
	});

	it('resumes an export still running when a poll ends, never starting it twice', async () => {
		const state: IDataObject = {};
		await poll({ recordTypes: ['sites'] }, state);
		emulator.records.upsert('sites', { id: '24', name: 'Lisbon', address: '', remarks: '' });
		emulator.faults.pollsUntilDone(40);
		const jobsBefore = emulator.jobs.length;
		const slow = await poll({ recordTypes: ['sites'], options: { maxWaitMinutes: 0.005 } }, state);
		assert.equal(slow.items, null);
		assert.ok((nodeState(state).pendingJob as IDataObject | undefined)?.id, 'the running export is remembered');
		const resumed = await poll({ recordTypes: ['sites'], options: { maxWaitMinutes: 1 } }, state);
		assert.deepEqual(ids(resumed.items), ['24']);
		assert.equal(emulator.jobs.length, jobsBefore + 1, 'one export for both polls');
		assert.equal(nodeState(state).pendingJob, undefined);
	});

	it('keeps the export when its download keeps breaking, and emits its rows on the next poll (never lost)', async () => {
		const state: IDataObject = {};
		await poll({ recordTypes: ['organizations'] }, state);
		emulator.records.upsert('organizations', { id: '43', name: 'Widget Asia', parent: '', remarks: '' });
		emulator.faults.truncateDownload(20, 10);
		const broken = await poll({ recordTypes: ['organizations'] }, state);
		assert.equal(broken.items, null);
		const kept = (nodeState(state).pendingJob as IDataObject | undefined)?.id;
		assert.ok(kept, 'the export is kept for the next poll');
		assert.ok(broken.logs.some((line) => line.level === 'error' && new RegExp(`the export ${kept} is kept and the next poll picks it up`).test(line.message)));
		emulator.faults.reset();
		const jobs = emulator.jobs.length;
		const retry = await poll({ recordTypes: ['organizations'] }, state);
		assert.deepEqual(ids(retry.items), ['43']);
		assert.equal(emulator.jobs.length, jobs, 'the same export, not a new one');
	});

	it('fails a poll whose resumed export still cannot be downloaded, and keeps it', async () => {
		const state: IDataObject = {};
		await poll({ recordTypes: ['organizations'] }, state);
		emulator.records.upsert('organizations', { id: '44', name: 'Widget Africa', parent: '', remarks: '' });
		emulator.faults.truncateDownload(40, 10);
		await poll({ recordTypes: ['organizations'] }, state);
		await assert.rejects(poll({ recordTypes: ['organizations'] }, state), /could not be downloaded|transfer ended/);
		assert.ok((nodeState(state).pendingJob as IDataObject | undefined)?.id);
		emulator.faults.reset();
		assert.deepEqual(ids((await poll({ recordTypes: ['organizations'] }, state)).items), ['44']);
	});

	it('moves a watermark older than 2 months up to what 4me allows, and says so', async () => {
		const state: IDataObject = { [NODE_KEY]: { watermark: new Date(Date.now() - 90 * DAY).toISOString() } };
		const result = await poll({ recordTypes: ['requests'] }, state);
		const job = emulator.jobs.at(-1);
		const earliest = new Date();
		earliest.setUTCMonth(earliest.getUTCMonth() - 2);
		assert.ok(job?.from && Math.abs(job.from.getTime() - earliest.getTime()) < 2 * 60 * 60 * 1000, `from ${job?.from?.toISOString()}`);
		assert.ok(result.logs.some((line) => line.level === 'warn' && /changes of the last 2 months only/.test(line.message)));
		assert.equal(job?.state, 'done');
	});

	it('keeps to the full export when 4me refuses it (once a day), and runs it when 4me allows it', async () => {
		emulator.records.generate('time_entries', 10_001, { updatedSince: new Date(Date.now() - 100 * DAY), updatedUntil: new Date(Date.now() - DAY) });
		const used = await runFourMe(emulator, { recordTypes: ['time_entries'], options: { rowLimit: 1 } });
		assert.equal(used.error, undefined, used.error?.message);

		const state: IDataObject = {};
		const refused = await poll({ recordTypes: ['time_entries'], startWith: 'full' }, state);
		assert.equal(refused.items, null);
		assert.ok(refused.logs.some((line) => line.level === 'warn' && /only once per day.*tries the full export again in 60 minutes.*nothing is skipped/.test(line.message)));
		assert.equal(nodeState(state).watermark, undefined, 'never narrowed to a partial export');

		const jobs = emulator.jobs.length;
		assert.equal((await poll({ recordTypes: ['time_entries'], startWith: 'full' }, state)).items, null);
		assert.equal(emulator.jobs.length, jobs, 'no new export before the hour is over');

		// An hour later, on the next day at 4me:
		nodeState(state).waitUntil = new Date(Date.now() - 1000).toISOString();
		emulator.clock.advance(DAY);
		const full = await poll({ recordTypes: ['time_entries'], startWith: 'full' }, state);
		assert.equal(full.items?.length, emulator.records.list('time_entries').length, 'every record, old ones included');
		assert.equal(emulator.jobs.at(-1)?.from, undefined, 'a full export');
		assert.ok(nodeState(state).watermark, 'changes from then on');
	});

	it('"Fetch Test Event" shows a small sample and leaves the trigger state alone', async () => {
		const state: IDataObject = {};
		const result = await poll({ recordTypes: ['people'], options: { sampleSize: 3 } }, state, 'manual');
		assert.equal(result.items?.length, 3);
		assert.deepEqual(state, {});
	});

	it('spreads a large first export over several polls (Max Rows per Poll), one export, after 4me has forgotten its token', async () => {
		emulator.records.generate('requests', 2500);
		const state: IDataObject = {};
		const parameters = { recordTypes: ['requests'], startWith: 'full', options: { maxRowsPerPoll: 1000 } };
		const jobs = emulator.jobs.length;
		const seen: string[] = [];
		for (const expected of [1000, 1000, 500]) {
			const result = await poll(parameters, state);
			assert.equal(result.items?.length, expected);
			for (const item of result.items ?? []) seen.push(String(item.json.id));
			if (expected === 1000) assert.equal(nodeState(state).watermark, undefined, 'no position until every row is out');
			// 4me forgets a token 5 minutes after the export finished; its download link lasts 2 days.
			emulator.clock.advance(6 * 60 * 1000);
		}
		assert.deepEqual(seen, emulator.records.list('requests').map((row) => String(row.id)));
		assert.equal(emulator.jobs.length, jobs + 1, 'one export for the three polls');
		assert.ok(nodeState(state).watermark, 'the position moved once the rows were out');
		assert.equal(nodeState(state).pendingJob, undefined);
	});
});
