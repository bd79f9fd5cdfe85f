/**
 * The Anduin IDM Trigger polled through n8n's TriggersAndPollers against the emulator: full passes
 * as cursor chains, a pass longer than one poll's budget, the remembered first pass and the
 * changes after it, failures, the busy slot, refused cursors and expired file URLs.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';

import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { startAnduinIdmEmulator, type AnduinIdmEmulator } from '../emulators/anduin-idm';
import { findSecrets } from '../helpers/n8n';
import { credentialsFor, expireOnNextDownload, freeUser, pollAnduin, startOutside, whenJobs } from './anduin';

describe('Anduin IDM Trigger', () => {
	let emulator: AnduinIdmEmulator;

	before(async () => {
		emulator = await startAnduinIdmEmulator({ jobSizeLimit: 5 });
	});
	after(() => emulator.close());
	afterEach(() => {
		emulator.faults.reset();
		freeUser(emulator);
	});

	// n8n keeps a node's static data under "node:<node name>".
	const nodeState = (data: IDataObject) => (data['node:Anduin IDM Trigger'] ?? {}) as IDataObject;
	const ids = (items: INodeExecutionData[] | null) => (items ?? []).map((item) => String(item.json.id));
	const allIds = (type: 'clients' | 'contacts' | 'investments') => emulator.objects.list(type).map((object) => String(object.id));
	const jobsFrom = (index: number, type: string) => emulator.jobs.slice(index).filter((job) => job.objectType === type);

	it('"Only changes from now on": the first pass is remembered, later passes emit what is new or changed', async () => {
		emulator.objects.generate('clients', 12);
		const state: IDataObject = {};
		const first = await pollAnduin(emulator, { objectType: 'clients' }, state);
		assert.equal(first.items, null, 'the first pass is the starting point');
		assert.equal(nodeState(state).cursor, '1:', 'the pass ended: the next one starts from the beginning');
		assert.ok(first.logs.some((line) => /5 records remembered as the starting point, not emitted/.test(line.message)));

		assert.equal((await pollAnduin(emulator, { objectType: 'clients' }, state)).items, null, 'nothing changed');
		assert.equal(nodeState(state).cursor, '2:');

		const [, second, third] = emulator.objects.list('clients');
		emulator.objects.upsert('clients', { id: second.id, name: 'Renamed Capital' });
		const added = emulator.objects.upsert('clients', { name: 'New Family Office' });
		const changed = await pollAnduin(emulator, { objectType: 'clients' }, state);
		assert.deepEqual(ids(changed.items), [String(second.id), String(added.id)]);
		assert.equal(changed.items?.[0].json.name, 'Renamed Capital');

		assert.equal((await pollAnduin(emulator, { objectType: 'clients' }, state)).items, null, 'unchanged objects are not emitted again, pass after pass');
		emulator.objects.upsert('clients', { id: third.id, note: 'Called on Monday' });
		assert.deepEqual(ids((await pollAnduin(emulator, { objectType: 'clients' }, state)).items), [String(third.id)]);
		emulator.objects.upsert('clients', { id: second.id, name: 'Renamed Again' });
		assert.deepEqual(ids((await pollAnduin(emulator, { objectType: 'clients' }, state)).items), [String(second.id)], 'a second change of the same object');
		const last = await pollAnduin(emulator, { objectType: 'clients' }, state);
		assert.equal(last.items, null);
		assert.deepEqual(findSecrets([state, first.logs, changed.items, changed.logs, last.logs], credentialsFor(emulator)), [], 'no key in the state, the output or the log');
		for (const request of emulator.requestsTo('storage')) assert.equal(request.refused, undefined, 'no key reaches the file host');
	});

	it('"A full export first" emits every object once, then only changes', async () => {
		emulator.objects.generate('investments', 11);
		const state: IDataObject = {};
		const first = await pollAnduin(emulator, { objectType: 'investments', startWith: 'full' }, state);
		assert.deepEqual(ids(first.items), allIds('investments'));
		assert.equal((await pollAnduin(emulator, { objectType: 'investments', startWith: 'full' }, state)).items, null);
	});

	it('goes on with the stored cursor over several polls when a pass is longer than a poll, never restarting it', async () => {
		emulator.objects.generate('contacts', 32); // 7 jobs of 5
		const start = emulator.jobs.length;
		const state: IDataObject = {};
		const parameters = { objectType: 'contacts', startWith: 'full', options: { maxWaitMinutes: 0.005 } };
		const emitted: string[] = [];
		const positions: string[] = [];
		let polls = 0;
		while (nodeState(state).cursor !== '1:' && polls < 100) {
			const result = await pollAnduin(emulator, parameters, state);
			polls++;
			emitted.push(...ids(result.items));
			positions.push(String(nodeState(state).cursor));
		}
		assert.ok(polls >= 2, `the pass took ${polls} polls`);
		assert.deepEqual(emitted, allIds('contacts'), 'every object once, in order');
		const jobs = jobsFrom(start, 'contacts');
		assert.equal(jobs.length, 7, 'one job per cursor: none started twice, the pass never restarted');
		assert.equal(jobs[0].cursorIn, null);
		for (let n = 1; n < jobs.length; n++) assert.equal(jobs[n].cursorIn, jobs[n - 1].nextCursor);
		// Between polls the position is the cursor of the next job of the pass.
		const cursors = new Set(jobs.map((job) => `0:${job.nextCursor}`));
		for (const position of positions.slice(0, -1)) assert.ok(position === '0:' || cursors.has(position), position);
		assert.ok(positions.some((position) => position !== '0:' && cursors.has(position)), 'a poll ended in the middle of the pass');

		const next = await pollAnduin(emulator, { ...parameters, options: {} }, state);
		assert.equal(next.items, null, 'the next pass finds nothing new');
		assert.equal(jobsFrom(start, 'contacts')[7].cursorIn, null, 'a new pass starts from the beginning');
	});

	it('a job that fails in the middle of a pass: its rows so far are emitted, the next poll goes on from the same cursor', async () => {
		emulator.objects.generate('clients', 12);
		const start = emulator.jobs.length;
		const state: IDataObject = {};
		emulator.faults.pollsUntilDone(6);
		const polling = pollAnduin(emulator, { objectType: 'clients', startWith: 'full' }, state);
		await whenJobs(emulator, start + 1);
		emulator.faults.failNextJob('The export worker stopped.');
		const first = await polling;
		assert.deepEqual(ids(first.items), allIds('clients').slice(0, 5));
		assert.ok(first.logs.some((line) => line.level === 'warn' && /The export worker stopped/.test(line.message)));
		const [job1] = jobsFrom(start, 'clients');
		assert.equal(nodeState(state).cursor, `0:${job1.nextCursor}`);

		// The stored cursor is refused now (Anduin may let cursors expire): the pass starts again,
		// and what it emitted already is not emitted twice.
		emulator.faults.invalidateCursors();
		const second = await pollAnduin(emulator, { objectType: 'clients', startWith: 'full' }, state);
		assert.deepEqual(ids(second.items), allIds('clients').slice(5));
		assert.ok(second.logs.some((line) => /Anduin refused the stored cursor \(cursor: Invalid\): the pass over the clients starts again from the beginning/.test(line.message)));
		assert.equal(nodeState(state).cursor, '1:');
	});

	it('a failed job with nothing emitted fails the poll and leaves the position', async () => {
		emulator.objects.generate('clients', 12);
		const state: IDataObject = { 'node:Anduin IDM Trigger': { cursor: '4:' } };
		emulator.faults.failNextJob('No capacity.');
		await assert.rejects(pollAnduin(emulator, { objectType: 'clients' }, state), /Anduin could not complete the export export-[0-9a-f-]+: No capacity\./);
		assert.equal(nodeState(state).cursor, '4:');
		assert.equal(nodeState(state).pendingJob, undefined);
	});

	it('when another export holds the user\'s slot, the poll waits for the next one', async () => {
		emulator.objects.generate('clients', 12);
		const outside = await startOutside(emulator, 'contacts');
		const state: IDataObject = {};
		const busy = await pollAnduin(emulator, { objectType: 'clients', startWith: 'full' }, state);
		assert.equal(busy.items, null);
		assert.ok(busy.logs.some((line) => /Anduin is busy with another export/.test(line.message)));
		assert.equal(nodeState(state).cursor, '0:');
		emulator.finishJob(String(outside.body.requestId));
		const next = await pollAnduin(emulator, { objectType: 'clients', startWith: 'full' }, state);
		assert.deepEqual(ids(next.items), allIds('clients'));
	});

	it('a file URL that has expired: the job is run again for the same cursor', async () => {
		emulator.objects.generate('clients', 12);
		const start = emulator.jobs.length;
		const state: IDataObject = {};
		const restore = expireOnNextDownload(emulator, 2);
		const result = await pollAnduin(emulator, { objectType: 'clients', startWith: 'full' }, state);
		restore();
		assert.deepEqual(ids(result.items), allIds('clients'));
		const jobs = jobsFrom(start, 'clients');
		assert.equal(jobs.length, 4);
		assert.equal(jobs[2].cursorIn, jobs[1].cursorIn);
	});

	it('"Fetch Test Event" shows a few objects of the first job and leaves the state alone', async () => {
		emulator.objects.generate('clients', 12);
		const state: IDataObject = { 'node:Anduin IDM Trigger': { cursor: '3:' } };
		const result = await pollAnduin(emulator, { objectType: 'clients', options: { sampleSize: 3 } }, state, 'manual');
		assert.deepEqual(ids(result.items), allIds('clients').slice(0, 3));
		assert.deepEqual(nodeState(result.staticData), { cursor: '3:' });
	});
});

describe('Anduin IDM Trigger: static data per object', () => {
	let emulator: AnduinIdmEmulator;
	before(async () => {
		emulator = await startAnduinIdmEmulator({ jobSizeLimit: 1000, seed: { 'investment-entities': 3000 } });
	});
	after(() => emulator.close());

	it('keeps about 20 bytes per object (a 16-character fingerprint each)', async (t) => {
		const state: IDataObject = {};
		await pollAnduin(emulator, { objectType: 'investment-entities' }, state);
		const afterFirst = JSON.stringify(nodeStateOf(state)).length;
		emulator.objects.upsert('investment-entities', { id: String(emulator.objects.list('investment-entities')[5].id), note: 'changed' });
		const changed = await pollAnduin(emulator, { objectType: 'investment-entities' }, state);
		assert.equal(changed.items?.length, 1);
		const afterSecond = JSON.stringify(nodeStateOf(state)).length;
		const keys = JSON.stringify(nodeStateOf(state).recent).length;
		const started = JSON.stringify(nodeStateOf(state).startedJobs ?? []).length;
		const perObject = afterFirst / 3000;
		t.diagnostic(
			`static data: ${afterFirst} bytes after the first pass of 3,000 objects (${perObject.toFixed(1)} per object, ${((perObject * 100_000) / 1e6).toFixed(2)} MB per 100,000); ` +
				`${afterSecond} after a second pass with one change (keys ${keys}, the jobs this node started ${started})`,
		);
		assert.ok(perObject < 22, `${perObject} bytes per object`);
		// A pass adds the key of each changed object and a small entry per job; the list of started
		// jobs (for the busy rule) holds at most 20.
		assert.ok(afterSecond - afterFirst < 2_000, `${afterSecond - afterFirst} bytes more`);
	});

	const nodeStateOf = (data: IDataObject) => (data['node:Anduin IDM Trigger'] ?? {}) as IDataObject;
});
