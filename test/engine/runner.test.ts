/**
 * The export-job runner itself (nodes/shared/exportJob.ts), run by a node through n8n's engine
 * against a scripted provider whose files come over HTTP: chains, busy slots, retry once, the
 * deadline, fresh links.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { collectJob, runExport, startOrJoin, type ExportJob, type OutputSpec, type RunOptions } from '../../nodes/shared/exportJob';
import { executeNode } from '../helpers/n8n';
import { runnerTestNode, ScriptedProvider, type TestRequest } from '../helpers/scriptedProvider';

const rowsOutput: OutputSpec = { mode: 'rows', binaryPropertyName: 'data', download: {}, pairedItem: { item: 0 } };
const failWhenBusy: RunOptions = { whenBusy: 'fail', retryFailedOnce: false };

describe('export-job runner', () => {
	const provider = new ScriptedProvider();
	before(() => provider.open());
	after(() => provider.close());
	beforeEach(() => provider.reset());

	function run(request: TestRequest, options: RunOptions = failWhenBusy, job: Partial<ExportJob<TestRequest>> = {}, extra: Parameters<typeof executeNode>[0] extends infer O ? Partial<O> : never = {}) {
		return executeNode({
			node: runnerTestNode((ctx: IExecuteFunctions) => runExport(ctx, provider.job(job), request, options, { ...rowsOutput, rowLimit: (request.rowLimit as number) ?? 0 })),
			...extra,
		});
	}

	it('runs a chain job after job, with the rows of every job in order', async () => {
		provider.rowsFor = (request) => [{ page: request.page, n: 1 }, { page: request.page, n: 2 }];
		const result = await run({ page: 1, pages: 3 });
		assert.equal(result.error, undefined, result.error?.message);
		assert.deepEqual(result.items.map((item) => `${item.json.page}.${item.json.n}`), ['1.1', '1.2', '2.1', '2.2', '3.1', '3.2']);
		assert.deepEqual(provider.starts.map((request) => request.page), [1, 2, 3], 'each job of the chain started once, one after another');
		assert.ok(result.items.every((item) => (item.pairedItem as { item: number }).item === 0));
	});

	it('stops a chain at the row limit without starting the next job', async () => {
		provider.rowsFor = (request) => [{ page: request.page, n: 1 }, { page: request.page, n: 2 }];
		const result = await run({ page: 1, pages: 3, rowLimit: 3 });
		assert.equal(result.items.length, 3);
		assert.deepEqual(provider.starts.map((request) => request.page), [1, 2]);
	});

	it('outputs nothing when the provider has nothing to export', async () => {
		provider.script.nothingNext = true;
		const result = await run({ page: 1 });
		assert.equal(result.error, undefined);
		assert.deepEqual(result.items, []);
		assert.equal(provider.jobs.length, 0);
	});

	it('waits while another job holds the slot, then starts its own', async () => {
		provider.script.busyStarts = 2;
		const result = await run({ page: 1 }, { whenBusy: 'wait', retryFailedOnce: false });
		assert.equal(result.error, undefined, result.error?.message);
		assert.equal(provider.starts.length, 3);
		assert.equal(result.items.length, 1);
		assert.ok(result.logs.some((line) => /Scripted is busy with another export, started outside this node: trying again in/.test(line.message)));
	});

	it('fails when busy and asked to fail, naming who holds the slot', async () => {
		provider.script.busyStarts = 1;
		const result = await run({ page: 1 });
		assert.match(result.error?.message ?? '', /Scripted is already running an export/);
		assert.match(result.error?.description ?? '', /Scripted runs one export at a time; it is busy with an export started outside this node \(it lists exports only by id\)/);
		assert.match(result.error?.description ?? '', /another export is running/, "the provider's own words");
	});

	it('joins an identical job it started itself instead of starting a second one', async () => {
		const staticData: IDataObject = {};
		provider.script.pollsUntilDone = Infinity;
		const startOnly = (ctx: IExecuteFunctions) => startOrJoin(ctx, provider.job(), { page: 1, key: 'k' }, failWhenBusy).then((started) => [{ json: started as IDataObject }]);
		const first = await executeNode({ node: runnerTestNode(startOnly), mode: 'trigger', staticData });
		assert.equal(first.items[0].json.joined, false);
		provider.script.busyStarts = 1;
		const second = await executeNode({ node: runnerTestNode(startOnly), mode: 'trigger', staticData });
		assert.equal(second.error, undefined, second.error?.message);
		assert.deepEqual(second.items[0].json, { id: first.items[0].json.id, joined: true, request: { page: 1, key: 'k' } });
		assert.equal(provider.jobs.length, 1);
	});

	it('waits for a different job it started to stop before starting the new one', async () => {
		const staticData: IDataObject = {};
		provider.script.pollsUntilDone = 6;
		const startOnly = (request: TestRequest) => (ctx: IExecuteFunctions) => startOrJoin(ctx, provider.job(), request, { whenBusy: 'wait' }).then((started) => [{ json: started as IDataObject }]);
		await executeNode({ node: runnerTestNode(startOnly({ page: 1, key: 'k' })), mode: 'trigger', staticData });
		provider.script.busyStarts = 1;
		const other = await executeNode({ node: runnerTestNode(startOnly({ page: 2, key: 'k' })), mode: 'trigger', staticData });
		assert.equal(other.error, undefined, other.error?.message);
		assert.equal(other.items[0].json.joined, false);
		assert.ok(provider.jobs[0].statusChecks >= 6, 'it waited until the first job finished');
		assert.ok(other.logs.some((line) => /busy with export job-1 .*which this node started: waiting for it/.test(line.message)));
	});

	it('forgets the jobs it started once they have ended, so a busy answer asks only about live ones', async () => {
		const staticData: IDataObject = {};
		const startOnly = (request: TestRequest) => (ctx: IExecuteFunctions) => startOrJoin(ctx, provider.job(), request, failWhenBusy).then((started) => [{ json: started as IDataObject }]);
		for (const page of [1, 2, 3]) await executeNode({ node: runnerTestNode(startOnly({ page, key: 'k' })), mode: 'trigger', staticData });
		const listed = () => ((staticData['node:runnerTest'] as IDataObject | undefined)?.startedJobs as IDataObject[] | undefined)?.map((entry) => entry.id);
		assert.deepEqual(listed(), ['job-1', 'job-2', 'job-3']);
		for (const job of provider.jobs) job.pollsUntilDone = 0; // all three have ended
		provider.script.busyStarts = 2;
		const busy = await executeNode({ node: runnerTestNode(startOnly({ page: 4, key: 'k' })), mode: 'trigger', staticData });
		assert.ok(busy.error, 'busy, started elsewhere');
		const checks = provider.jobs.map((job) => job.statusChecks);
		assert.deepEqual(listed(), [], 'the ended jobs are forgotten');
		await executeNode({ node: runnerTestNode(startOnly({ page: 4, key: 'k' })), mode: 'trigger', staticData });
		assert.deepEqual(provider.jobs.slice(0, 3).map((job) => job.statusChecks), checks.slice(0, 3), 'not asked about again');
	});

	it('starts a failed job once more when asked and the provider allows it', async () => {
		provider.script.failNext = 'transient';
		const retried = await run({ page: 1 }, { whenBusy: 'fail', retryFailedOnce: true });
		assert.equal(retried.error, undefined, retried.error?.message);
		assert.equal(provider.jobs.length, 2);
		assert.equal(retried.items.length, 1);

		provider.reset();
		provider.script.failNext = 'transient';
		const notAsked = await run({ page: 1 });
		assert.match(notAsked.error?.message ?? '', /The scripted export job-1 failed \(transient\)/);
		assert.match(notAsked.error?.description ?? '', /\(Scripted export job-1\)/, 'names the job, with no resume hint for a job that has ended');

		provider.reset();
		provider.script.failNext = 'permanent';
		const notRetryable = await run({ page: 1 }, { whenBusy: 'fail', retryFailedOnce: true });
		assert.match(notRetryable.error?.message ?? '', /failed \(permanent\)/);
		assert.equal(provider.jobs.length, 1, 'a failure the provider does not retry is not started again');
	});

	it('fails at the timeout with the job and how to resume it', async () => {
		provider.script.pollsUntilDone = Infinity;
		const result = await run({ page: 1 }, failWhenBusy, { schedule: { firstIntervalMs: 5, maxIntervalMs: 20, timeoutMs: 300 } });
		assert.match(result.error?.message ?? '', /Scripted export job-1 did not finish within 0.3 seconds/);
		assert.match(result.error?.description ?? '', /still running\. Resume the scripted export job-1 later/);
	});

	it('asks for fresh links when storage refuses one, and reads the file', async () => {
		provider.script.refuseFirstDownload = true;
		const result = await run({ page: 1 });
		assert.equal(result.error, undefined, result.error?.message);
		assert.equal(result.items.length, 1);
		assert.ok(result.logs.some((line) => /links were refused, asking for new ones/.test(line.message)));
		assert.equal(provider.jobs[0].statusChecks, 2, 'one more status check gave the new link');
	});

	it('keeps the refusal when the provider has no new link', async () => {
		provider.script.refuseFirstDownload = true;
		const result = await run({ page: 1 }, failWhenBusy, { freshFiles: async () => undefined });
		assert.match(result.error?.message ?? '', /download link was refused/);
		assert.match(result.error?.description ?? '', /Resume the scripted export job-1 later/);
	});

	it('downloads a job started earlier by its id', async () => {
		provider.script.pollsUntilDone = 3;
		const started = await executeNode({ node: runnerTestNode((ctx) => startOrJoin(ctx, provider.job(), { page: 7 }, failWhenBusy).then((s) => [{ json: s as IDataObject }])) });
		const id = String(started.items[0].json.id);
		const collected = await executeNode({ node: runnerTestNode((ctx) => collectJob(ctx, provider.job(), id, rowsOutput)) });
		assert.equal(collected.error, undefined, collected.error?.message);
		assert.deepEqual(collected.items.map((item) => item.json), [{ page: 7 }]);
	});

	it('narrows a job the provider finds too large, then goes on with the rest, each part once', async () => {
		provider.script.maxRange = 2;
		provider.rowsFor = (request) => [{ from: request.since, to: request.until }];
		const result = await run({ since: '0', until: '7' });
		assert.equal(result.error, undefined, result.error?.message);
		assert.deepEqual(result.items.map((item) => `${item.json.from}-${item.json.to}`), ['0-1', '1-2', '2-4', '4-5', '5-7']);
		assert.ok(result.logs.some((line) => /7 moments are too many, trying 0 to 3/.test(line.message)));
	});

	it('says how far a chain got and how to go on when a job in the middle fails', async () => {
		provider.rowsFor = (request) => [{ page: request.page }];
		const job = provider.job({ resumeFrom: (request) => `Resume at page ${request.page}.` });
		const status = job.status;
		job.status = async (id) => (id === 'job-3' ? { phase: 'failed', reason: 'page 3 broke' } : status(id));
		const result = await executeNode({ node: runnerTestNode((ctx) => runExport(ctx, job, { page: 1, pages: 4 }, failWhenBusy, rowsOutput)) });
		assert.match(result.error?.message ?? '', /page 3 broke/);
		assert.match(result.error?.description ?? '', /2 exports of the chain finished before this one \(2 rows\)\. Resume at page 3\./);
	});
});
