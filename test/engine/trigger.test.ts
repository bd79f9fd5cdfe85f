/**
 * The trigger runner itself (nodes/shared/trigger.ts), polled through n8n's TriggersAndPollers
 * against a scripted provider: first activation, the position, a pending job resumed, chains
 * within a poll's time, de-duplication, failures, busy slots and the test event.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import type { IDataObject } from 'n8n-workflow';

import type { IncrementalTrigger } from '../../nodes/shared/trigger';
import type { Row } from '../../nodes/shared/types';
import { ActiveWorkflowStaticData, pollTrigger } from '../helpers/n8n';
import { runnerTestTrigger, ScriptedProvider, type TestRequest } from '../helpers/scriptedProvider';

// A logical clock: records change at whole "moments"; positions are moments as text.
interface Change {
	id: string;
	version: number;
	at: number;
}

describe('trigger runner', () => {
	const provider = new ScriptedProvider();
	let now = 0;
	let changes: Change[] = [];
	const change = (id: string, version: number) => changes.push({ id, version, at: ++now });

	before(() => provider.open());
	after(() => provider.close());
	beforeEach(() => {
		provider.reset();
		now = 0;
		changes = [];
		// The provider exports the records changed in (since, until].
		provider.rowsFor = (request) =>
			changes.filter((c) => c.at > Number(request.since ?? -1) && c.at <= Number(request.until)).map(({ id, version }): Row => ({ id, version }));
	});

	/** Exports what changed from the position on, `overlap` moments earlier (as 4me does), up to now. */
	function scripted(overrides: Partial<IncrementalTrigger<TestRequest>> = {}, overlap = 0): IncrementalTrigger<TestRequest> {
		return {
			name: 'Scripted Trigger',
			job: provider.job(),
			positionName: 'watermark',
			firstPosition: async () => ({ position: String(now), startsNow: true }),
			requestAfter: async (position) => ({ since: String(Number(position ?? -1) - overlap), until: String(now) }),
			positionAfter: (job) => job.request.until as string,
			dedupe: {
				keyOf: (row) => `${String(row.id)}|${String(row.version)}`,
				tagOf: (job) => job.request.until as string,
				stillReturnable: (until, position) => Number(until) + overlap >= Number(position),
			},
			sampleRequest: async () => ({ since: '-1', until: String(now) }),
			sampleSize: 2,
			maxWaitMs: 3_000,
			download: {},
			retryFailedOnce: false,
			...overrides,
		};
	}

	const node = (state: IDataObject) => (state['node:runnerTestTrigger'] ?? {}) as IDataObject;
	const ids = (items: Array<{ json: IDataObject }> | null) => (items ?? []).map((item) => `${item.json.id}@${item.json.version}`);
	const poll = (trigger: IncrementalTrigger<TestRequest>, staticData: IDataObject, mode: 'trigger' | 'manual' = 'trigger') =>
		pollTrigger({ node: runnerTestTrigger(() => trigger), staticData, mode });

	it('starts from now, then emits what changed between polls, moving the position after the rows', async () => {
		const state: IDataObject = {};
		change('old', 1);
		assert.equal((await poll(scripted(), state)).items, null);
		assert.equal(node(state).watermark, '1', 'the first poll only remembers where it starts');
		assert.equal(provider.jobs.length, 0);

		change('a', 1);
		change('b', 1);
		const second = await poll(scripted(), state);
		assert.deepEqual(ids(second.items), ['a@1', 'b@1']);
		assert.equal(node(state).watermark, '3');
		assert.equal(node(state).pendingJob, undefined);

		assert.equal((await poll(scripted(), state)).items, null, 'nothing changed');
	});

	it('exports everything after a chosen start on the first poll', async () => {
		change('a', 1);
		change('b', 1);
		const state: IDataObject = {};
		const first = await poll(scripted({ firstPosition: async () => ({ position: '1' }) }), state);
		assert.deepEqual(ids(first.items), ['b@1']);
	});

	it('resumes a job still running when the poll ran out of time, never starting a second one', async () => {
		const state: IDataObject = { 'node:runnerTestTrigger': { watermark: '0' } };
		change('a', 1);
		provider.script.pollsUntilDone = 1000;
		const short = await poll(scripted({ maxWaitMs: 100 }), state);
		assert.equal(short.items, null);
		assert.equal((node(state).pendingJob as IDataObject).id, 'job-1');
		assert.equal(node(state).watermark, '0', 'the position waits for the rows');

		provider.jobs[0].pollsUntilDone = provider.jobs[0].statusChecks + 1;
		provider.script.pollsUntilDone = 1;
		change('b', 1); // after the job started: the next job's
		const resumed = await poll(scripted(), state);
		assert.deepEqual(ids(resumed.items), ['a@1']);
		assert.equal(provider.jobs.length, 1);
		assert.equal(node(state).watermark, '1', 'moved to the end of the resumed job');
		assert.deepEqual(ids((await poll(scripted(), state)).items), ['b@1']);
	});

	it('drops rows an overlapping job returns again, and forgets them once they cannot come back', async () => {
		const state: IDataObject = { 'node:runnerTestTrigger': { watermark: '0' } };
		const overlapping = () => scripted({}, 2);
		change('a', 1);
		assert.deepEqual(ids((await poll(overlapping(), state)).items), ['a@1']);
		change('b', 1);
		assert.deepEqual(ids((await poll(overlapping(), state)).items), ['b@1'], 'a@1 came again in the overlap and was dropped');
		change('a', 2);
		assert.deepEqual(ids((await poll(overlapping(), state)).items), ['a@2'], 'a new version is a change');
		const tags = () => (node(state).recent as Array<{ tag: string }>).map((entry) => entry.tag);
		assert.deepEqual(tags(), ['1', '2', '3']);
		now += 5;
		await poll(overlapping(), state);
		assert.deepEqual(tags(), ['8'], 'jobs that ended more than the overlap before the position are forgotten');
	});

	it('keeps the keys of a job that ended exactly at the position', async () => {
		// 4me's case: a job started in the same millisecond as the watermark must keep its rows' keys.
		const state: IDataObject = { 'node:runnerTestTrigger': { watermark: '0' } };
		const sameMoment = () => scripted({ dedupe: { keyOf: (row) => String(row.id), tagOf: (job) => job.request.until as string, stillReturnable: (until, position) => Number(until) >= Number(position) } });
		change('a', 1);
		await poll(sameMoment(), state);
		assert.deepEqual(node(state).recent, [{ tag: '1', keys: ['a'] }]);
	});

	it('works through a chain within the poll while it has time, and goes on from there next poll', async () => {
		const state: IDataObject = { 'node:runnerTestTrigger': { watermark: '0' } };
		for (let i = 1; i <= 6; i++) change(`r${i}`, 1);
		// One job per two moments, as a provider that exports a backlog range by range.
		const chained = (maxWaitMs: number) =>
			scripted({
				maxWaitMs,
				requestAfter: async (position) => (Number(position) < now ? { since: position, until: String(Math.min(Number(position) + 2, now)) } : undefined),
				job: provider.job({
					next: (request) => (Number(request.until) < now ? { since: request.until, until: String(Math.min(Number(request.until) + 2, now)) } : undefined),
				}),
			});
		const all = await poll(chained(3_000), state);
		assert.deepEqual(ids(all.items), ['r1@1', 'r2@1', 'r3@1', 'r4@1', 'r5@1', 'r6@1']);
		assert.equal(provider.jobs.length, 3);
		assert.equal(node(state).watermark, '6');

		for (let i = 7; i <= 10; i++) change(`r${i}`, 1);
		// A poll with 1 ms to wait: the first job is done at its first status check (which takes 5 ms), then time is up.
		provider.script.statusDelayMs = 5;
		const partial = await poll(chained(1), state);
		provider.script.statusDelayMs = 0;
		assert.deepEqual(ids(partial.items), ['r7@1', 'r8@1'], 'out of time after the first job of the backlog');
		assert.equal(node(state).watermark, '8');
		assert.deepEqual(ids((await poll(chained(3_000), state)).items), ['r9@1', 'r10@1']);
	});

	it('fails a poll on a failed job and leaves the position, so the next poll exports the same changes', async () => {
		const state: IDataObject = { 'node:runnerTestTrigger': { watermark: '0' } };
		change('a', 1);
		provider.script.failNext = 'permanent';
		await assert.rejects(poll(scripted(), state), /The scripted export job-1 failed \(permanent\)/);
		assert.equal(node(state).watermark, '0');
		assert.equal(node(state).pendingJob, undefined);
		assert.deepEqual(ids((await poll(scripted(), state)).items), ['a@1']);
	});

	it('drops a job started by an earlier poll that failed, once, even where a failing poll keeps no state', async () => {
		change('a', 1);
		for (const mode of ['memory', 'durable'] as const) {
			const persistence = new ActiveWorkflowStaticData(mode, { 'node:runnerTestTrigger': { watermark: '0' } });
			const durablePoll = (trigger: IncrementalTrigger<TestRequest>) => pollTrigger({ node: runnerTestTrigger(() => trigger), staticData: persistence.live, persistence });
			const failing = provider.jobs.length;
			provider.script.pollsUntilDone = 1000;
			provider.script.failNext = 'permanent';
			await durablePoll(scripted({ maxWaitMs: 50 }));
			const failedId = provider.jobs[failing].id;
			assert.equal((node(persistence.live).pendingJob as IDataObject).id, failedId, mode);
			provider.jobs[failing].pollsUntilDone = 0;
			provider.script.pollsUntilDone = 1;
			const failed = await durablePoll(scripted());
			assert.equal(failed.items, null, mode);
			assert.ok(failed.logs.some((line) => line.level === 'error' && line.message.includes(`${failedId} failed (permanent); the next poll exports from 0 again`)), mode);
			assert.equal(node(persistence.live).pendingJob, undefined, `${mode}: the drop is kept`);
			assert.equal(node(persistence.live).watermark, '0', `${mode}: the position waits for the rows`);
			const checksOfFailed = provider.jobs[failing].statusChecks;
			const next = await durablePoll(scripted());
			assert.deepEqual(ids(next.items), ['a@1'], mode);
			assert.equal(provider.jobs.length, failing + 2, `${mode}: one new job`);
			assert.equal(provider.jobs[failing].statusChecks, checksOfFailed, `${mode}: the failed job is never asked again`);
		}
	});

	it('tries once an hour after three jobs in a row failed after their polls', async () => {
		const state: IDataObject = { 'node:runnerTestTrigger': { watermark: '0' } };
		change('a', 1);
		for (let failure = 1; failure <= 3; failure++) {
			provider.script.pollsUntilDone = 1000;
			provider.script.failNext = 'permanent';
			await poll(scripted({ maxWaitMs: 30 }), state);
			provider.jobs.at(-1)!.pollsUntilDone = 0;
			const failed = await poll(scripted(), state);
			assert.equal(failed.items, null);
			assert.equal(node(state).failuresInARow, failure);
		}
		const waitUntil = Date.parse(String(node(state).waitUntil));
		assert.ok(waitUntil > Date.now() + 50 * 60_000, 'about an hour from now');
		const jobs = provider.jobs.length;
		assert.equal((await poll(scripted(), state)).items, null);
		assert.equal(provider.jobs.length, jobs, 'no job before the hour is up');
		node(state).waitUntil = new Date(Date.now() - 1).toISOString();
		provider.script.pollsUntilDone = 1;
		assert.deepEqual(ids((await poll(scripted(), state)).items), ['a@1']);
		assert.equal(node(state).failuresInARow, undefined, 'a success resets the count');
	});

	it('resumes the job started again after a failure, not the failed one, when it outlasts the poll', async () => {
		const state: IDataObject = { 'node:runnerTestTrigger': { watermark: '0' } };
		change('a', 1);
		provider.script.pollsUntilDone = 1000;
		const job = provider.job();
		const originalStatus = job.status;
		job.status = async (id) => (id === 'job-1' ? { phase: 'failed', code: 'transient', reason: 'job 1 broke' } : originalStatus(id));
		const first = await poll(scripted({ job, retryFailedOnce: true, maxWaitMs: 100 }), state);
		assert.equal(first.items, null);
		assert.equal(provider.jobs.length, 2, 'the failed job was started again once');
		assert.equal((node(state).pendingJob as IDataObject).id, 'job-2', 'the job kept is the one started again');
		provider.jobs[1].pollsUntilDone = 0;
		assert.deepEqual(ids((await poll(scripted({ job, retryFailedOnce: true }), state)).items), ['a@1']);
		assert.equal(provider.jobs.length, 2);
	});

	it('keeps the rows of earlier jobs of the poll when a later one fails', async () => {
		const state: IDataObject = { 'node:runnerTestTrigger': { watermark: '0' } };
		change('a', 1);
		change('b', 1);
		const job = provider.job({ next: (request) => (request.until === '1' ? { since: '1', until: '2' } : undefined) });
		const trigger = scripted({ job, requestAfter: async (position) => ({ since: position, until: String(Number(position) + 1) }) });
		const originalStatus = job.status;
		job.status = async (id) => (id === 'job-2' ? { phase: 'failed', reason: 'job 2 broke' } : originalStatus(id));
		const result = await poll(trigger, state);
		assert.deepEqual(ids(result.items), ['a@1']);
		assert.equal(node(state).watermark, '1');
		assert.ok(result.logs.some((line) => line.level === 'warn' && /job 2 broke; the next poll exports from 1 again/.test(line.message)));
	});

	it('gets past a failure the provider knows how to handle, from the position it gives', async () => {
		const state: IDataObject = {};
		change('a', 1);
		provider.script.failNext = 'once-a-day';
		const trigger = scripted({
			firstPosition: async () => ({}),
			recover: (_job, failure) => (failure.code === 'once-a-day' ? { position: '0', note: 'Going on with the changes instead.' } : undefined),
		});
		const refused = await poll(trigger, state);
		assert.equal(refused.items, null);
		assert.equal(node(state).watermark, '0');
		assert.ok(refused.logs.some((line) => line.level === 'warn' && /failed \(once-a-day\)\. Going on with the changes instead\./.test(line.message)));
	});

	it('starts again from the same position when the pending job has expired', async () => {
		const state: IDataObject = { 'node:runnerTestTrigger': { watermark: '0' } };
		change('a', 1);
		provider.script.pollsUntilDone = 1000;
		await poll(scripted({ maxWaitMs: 50 }), state);
		provider.jobs[0].expired = true;
		provider.script.pollsUntilDone = 1;
		const expired = await poll(scripted(), state);
		assert.equal(expired.items, null);
		assert.ok(expired.logs.some((line) => line.level === 'warn' && /has expired\. The next poll starts a new one/.test(line.message)));
		assert.deepEqual(ids((await poll(scripted(), state)).items), ['a@1']);
		assert.equal(provider.jobs.length, 2);
	});

	it('tries again on the next poll when the provider is busy, and moves on when there is nothing to export', async () => {
		const state: IDataObject = { 'node:runnerTestTrigger': { watermark: '0' } };
		change('a', 1);
		provider.script.busyStarts = 1;
		const busy = await poll(scripted(), state);
		assert.equal(busy.items, null);
		assert.ok(busy.logs.some((line) => line.level === 'warn' && /busy with another export \(another export is running\); trying again on the next poll/.test(line.message)));
		assert.equal(node(state).watermark, '0');

		provider.script.nothingNext = true;
		const nothing = await poll(scripted({ positionAfter: (job) => `${job.request.until}` }), state);
		assert.equal(nothing.items, null);
		assert.equal(node(state).watermark, '1', 'nothing to export still moves the position');

		provider.script.nothingNext = { since: '1', until: '5' };
		await poll(scripted({ positionAfter: (job) => `${job.request.until}` }), state);
		assert.equal(node(state).watermark, '5', 'to where the provider said to ask from next time');
	});

	it('"Fetch Test Event" shows a few rows and leaves the state alone', async () => {
		change('a', 1);
		change('b', 1);
		change('c', 1);
		const state: IDataObject = { 'node:runnerTestTrigger': { watermark: '1' } };
		const sample = await poll(scripted(), state, 'manual');
		assert.deepEqual(ids(sample.items), ['a@1', 'b@1']);
		assert.deepEqual(state, { 'node:runnerTestTrigger': { watermark: '1' } });
	});

	it('remembers a baseline without emitting it, and emits only what differs from it later', async () => {
		change('a', 1);
		change('b', 1);
		const state: IDataObject = {};
		// A provider that can only export everything: each pass is compared with the one before.
		const fullPass = () =>
			scripted({
				firstPosition: async () => ({}),
				requestAfter: async () => ({ since: '-1', until: String(now) }),
				positionAfter: (job) => `pass ${job.request.until}`,
				baseline: () => node(state).watermark === undefined,
				dedupe: { keyOf: (row) => `${String(row.id)}|${String(row.version)}`, tagOf: (job) => job.request.until as string, stillReturnable: () => true },
			});
		assert.equal((await poll(fullPass(), state)).items, null, 'the first pass is the starting point');
		change('b', 2);
		change('c', 1);
		assert.deepEqual(ids((await poll(fullPass(), state)).items), ['b@2', 'c@1']);
	});

	describe('Max Rows per Poll', () => {
		const seven = () => ['a', 'b', 'c', 'd', 'e', 'f', 'g'].forEach((id) => change(id, 1));

		it('spreads a large job over several polls: each row once, one job, the position moved after the last', async () => {
			const state: IDataObject = { 'node:runnerTestTrigger': { watermark: '0' } };
			seven();
			const trigger = () => scripted({ maxRowsPerPoll: 3 });
			assert.deepEqual(ids((await poll(trigger(), state)).items), ['a@1', 'b@1', 'c@1']);
			assert.equal(node(state).watermark, '0', 'the position waits until every row is out');
			assert.equal(((node(state).pendingJob as IDataObject).partly as IDataObject).rows, 3);
			change('h', 1); // after the job: the next job's
			assert.deepEqual(ids((await poll(trigger(), state)).items), ['d@1', 'e@1', 'f@1']);
			assert.deepEqual(ids((await poll(trigger(), state)).items), ['g@1']);
			assert.equal(node(state).watermark, '7');
			assert.equal(node(state).pendingJob, undefined);
			assert.equal(provider.jobs.length, 1, 'one job for the three polls');
			assert.deepEqual(ids((await poll(trigger(), state)).items), ['h@1']);
		});

		it('ends a job whose last rows fill a poll exactly in that poll', async () => {
			const state: IDataObject = { 'node:runnerTestTrigger': { watermark: '0' } };
			['a', 'b', 'c', 'd'].forEach((id) => change(id, 1));
			const trigger = () => scripted({ maxRowsPerPoll: 2 });
			assert.deepEqual(ids((await poll(trigger(), state)).items), ['a@1', 'b@1']);
			assert.deepEqual(ids((await poll(trigger(), state)).items), ['c@1', 'd@1']);
			assert.equal(node(state).watermark, '4');
			assert.equal(node(state).pendingJob, undefined);
			assert.equal(provider.jobs.length, 1);
		});

		it('asks for fresh links when the links kept from the last poll are refused', async () => {
			const state: IDataObject = { 'node:runnerTestTrigger': { watermark: '0' } };
			seven();
			const trigger = () => scripted({ maxRowsPerPoll: 4 });
			assert.deepEqual(ids((await poll(trigger(), state)).items), ['a@1', 'b@1', 'c@1', 'd@1']);
			provider.jobs[0].linkVersion++; // the signed link has expired meanwhile
			assert.deepEqual(ids((await poll(trigger(), state)).items), ['e@1', 'f@1', 'g@1']);
			assert.equal(provider.jobs.length, 1);
		});

		it('exports the rest again with a new job when the job and its files are gone, without emitting a row twice', async () => {
			const state: IDataObject = { 'node:runnerTestTrigger': { watermark: '0' } };
			seven();
			const trigger = () => scripted({ maxRowsPerPoll: 4 });
			assert.deepEqual(ids((await poll(trigger(), state)).items), ['a@1', 'b@1', 'c@1', 'd@1']);
			provider.jobs[0].expired = true;
			provider.jobs[0].linkVersion++;
			const gone = await poll(trigger(), state);
			assert.equal(gone.items, null);
			assert.ok(gone.logs.some((line) => line.level === 'warn' && /4 rows of export job-1 were emitted, the rest is exported again/.test(line.message)));
			assert.equal(node(state).watermark, '0');
			const again = await poll(trigger(), state);
			assert.deepEqual(ids(again.items), ['e@1', 'f@1', 'g@1']);
			assert.equal(provider.jobs.length, 2);
			assert.equal(node(state).watermark, '7');
		});

		it('emits everything at once with 0', async () => {
			const state: IDataObject = { 'node:runnerTestTrigger': { watermark: '0' } };
			seven();
			assert.equal((await poll(scripted({ maxRowsPerPoll: 0 }), state)).items?.length, 7);
		});
	});
});
