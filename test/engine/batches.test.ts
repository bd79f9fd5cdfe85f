/**
 * Output "Rows in Batches to a Sub-workflow" in the runner (nodes/shared/batches.ts), run by a
 * node through n8n's engine against a scripted provider whose files come over HTTP; each batch
 * runs a sub-workflow the way n8n runs one (test/helpers/n8n.ts subWorkflowRunner).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import type { IExecuteFunctions } from 'n8n-workflow';

import { collectJob, runExport, type OutputSpec, type RunOptions } from '../../nodes/shared/exportJob';
import { setNetworkTimeout } from '../../nodes/shared/http';
import { executeNode, type ExecuteNodeOptions } from '../helpers/n8n';
import { runnerTestNode, ScriptedProvider, type TestRequest } from '../helpers/scriptedProvider';
import { batchRecorder, recordedRows, recordingSubWorkflow, type BatchRecorder } from '../helpers/subWorkflows';

const failWhenBusy: RunOptions = { whenBusy: 'fail', retryFailedOnce: false };

function batchesOutput(size: number, extra: Partial<OutputSpec> = {}, addBatchFields = false): OutputSpec {
	return {
		mode: 'batches',
		binaryPropertyName: 'data',
		download: {},
		pairedItem: { item: 0 },
		batches: { workflow: { id: 'sub-1' }, size, addBatchFields },
		...extra,
	};
}

describe('export-job runner: rows in batches to a sub-workflow', () => {
	const provider = new ScriptedProvider();
	before(() => provider.open());
	after(() => provider.close());
	beforeEach(() => provider.reset());

	const rowsOf = (count: number) => (request: TestRequest) => Array.from({ length: count }, (_, n) => ({ page: request.page ?? 1, n: n + 1 }));
	const labels = (rows: Array<Record<string, unknown>>) => rows.map((row) => `${row.page}.${row.n}`);

	function run(request: TestRequest, output: OutputSpec, recorder: BatchRecorder, extra: Partial<ExecuteNodeOptions> = {}) {
		return executeNode({
			node: runnerTestNode((ctx: IExecuteFunctions) => runExport(ctx, provider.job(), request, failWhenBusy, output)),
			subWorkflows: [recordingSubWorkflow('sub-1', recorder)],
			...extra,
		});
	}

	it('hands a chain on in batches that never span two jobs, and outputs one summary', async () => {
		provider.rowsFor = rowsOf(5);
		const recorder = batchRecorder();
		const result = await run({ page: 1, pages: 3 }, batchesOutput(2), recorder);
		assert.equal(result.error, undefined, result.error?.message);
		assert.deepEqual(recorder.batches.map((batch) => batch.length), [2, 2, 1, 2, 2, 1, 2, 2, 1]);
		assert.deepEqual(labels(recordedRows(recorder)), ['1.1', '1.2', '1.3', '1.4', '1.5', '2.1', '2.2', '2.3', '2.4', '2.5', '3.1', '3.2', '3.3', '3.4', '3.5']);
		assert.equal(result.items.length, 1);
		const summary = result.items[0].json;
		assert.equal(summary.jobId, 'job-3');
		assert.deepEqual(summary.jobIds, ['job-1', 'job-2', 'job-3']);
		assert.equal(summary.batches, 9);
		assert.equal(summary.rows, 15);
		assert.equal(summary.files, 3);
		assert.equal(summary.subWorkflowId, 'sub-1');
		assert.equal(summary.lastSubExecutionId, result.subExecutions.at(-1)?.executionId);
		assert.deepEqual(result.items[0].pairedItem, { item: 0 });
		assert.equal(result.subExecutions.length, 9);
		assert.ok(result.subExecutions.every((execution) => execution.status === 'success' && execution.mode === 'manual'));
	});

	it('puts the batch number and the job id on every row when asked', async () => {
		provider.rowsFor = rowsOf(3);
		const recorder = batchRecorder();
		const result = await run({ page: 1 }, batchesOutput(2, {}, true), recorder);
		assert.equal(result.error, undefined, result.error?.message);
		assert.deepEqual(recordedRows(recorder), [
			{ page: 1, n: 1, _batch: 1, _jobId: 'job-1' },
			{ page: 1, n: 2, _batch: 1, _jobId: 'job-1' },
			{ page: 1, n: 3, _batch: 2, _jobId: 'job-1' },
		]);
	});

	it('stops at Max Rows, the last batch cut to fit', async () => {
		provider.rowsFor = rowsOf(5);
		const recorder = batchRecorder();
		const result = await run({ page: 1, pages: 3 }, batchesOutput(4, { rowLimit: 7 }), recorder);
		assert.equal(result.error, undefined, result.error?.message);
		assert.deepEqual(recorder.batches.map((batch) => batch.length), [4, 1, 2]);
		assert.equal(result.items[0].json.rows, 7);
		assert.deepEqual(provider.starts.map((request) => request.page), [1, 2], 'no third job for rows nobody wants');
	});

	it('stops at a failed batch, saying which rows, how many went on, and where to start again', async () => {
		provider.rowsFor = rowsOf(7);
		const recorder = batchRecorder({ failBatch: 2 });
		const result = await run({ page: 1, pages: 3 }, batchesOutput(3), recorder);
		assert.ok(result.error, 'the node fails');
		assert.equal(result.error.message, 'The sub-workflow failed on batch 2 (rows 4–6 of Scripted export job-1)');
		assert.match(String(result.error.description), /It said: "The database refused batch 2 \(test\)"/);
		assert.match(String(result.error.description), /Before it, 3 rows went to the sub-workflow in 1 batch \(3 of them from Scripted export job-1\)/);
		assert.match(String(result.error.description), /Resume the scripted export job-1 later\. Set the option Start at Row to 4\./);
		assert.deepEqual(labels(recordedRows(recorder)), ['1.1', '1.2', '1.3']);
		assert.equal(provider.jobs.length, 1, 'the chain stops at the failed batch');
	});

	it('reads a finished job again from Start at Row: the rest arrives, nothing twice', async () => {
		provider.rowsFor = rowsOf(7);
		const first = batchRecorder({ failBatch: 2 });
		await run({ page: 1 }, batchesOutput(3), first);
		const second = batchRecorder();
		const result = await executeNode({
			node: runnerTestNode((ctx: IExecuteFunctions) => collectJob(ctx, provider.job(), 'job-1', batchesOutput(3, { skipRows: 3 }))),
			subWorkflows: [recordingSubWorkflow('sub-1', second)],
		});
		assert.equal(result.error, undefined, result.error?.message);
		assert.deepEqual(labels([...recordedRows(first), ...recordedRows(second)]), ['1.1', '1.2', '1.3', '1.4', '1.5', '1.6', '1.7']);
		assert.equal(result.items[0].json.rows, 4);
		assert.equal(provider.jobs.length, 1, 'no new job');
	});

	it('reads a file whose link expired halfway again, handing on only the rows after those already sent', async () => {
		provider.rowsFor = rowsOf(3000);
		provider.script.breakFirstDownloadAt = 20_000;
		const recorder = batchRecorder();
		const result = await run({ page: 1 }, batchesOutput(250), recorder);
		assert.equal(result.error, undefined, result.error?.message);
		const rows = labels(recordedRows(recorder));
		assert.equal(rows.length, 3000);
		assert.deepEqual(rows, rowsOf(3000)({ page: 1 }).map((row) => `${row.page}.${row.n}`));
		assert.ok(provider.downloads.length >= 3, `the broken download, the refused resume and the fresh link (${provider.downloads.length})`);
		assert.ok(result.logs.some((line) => /links were refused/.test(line.message)));
	});

	it('as items too: a file read again after its link expired halfway gives each row once', async () => {
		provider.rowsFor = rowsOf(3000);
		provider.script.breakFirstDownloadAt = 20_000;
		const result = await executeNode({
			node: runnerTestNode((ctx: IExecuteFunctions) =>
				runExport(ctx, provider.job(), { page: 1 }, failWhenBusy, { mode: 'rows', binaryPropertyName: 'data', download: {}, pairedItem: { item: 0 } }),
			),
		});
		assert.equal(result.error, undefined, result.error?.message);
		assert.deepEqual(labels(result.items.map((item) => item.json)), rowsOf(3000)({ page: 1 }).map((row) => `${row.page}.${row.n}`));
	});

	it('holds the download while a batch takes longer than the network timeout, without breaking it', async () => {
		// Larger than what the engine reads ahead (4 MB) plus socket buffers, so the download must wait.
		provider.rowsFor = (request) => Array.from({ length: 150_000 }, (_, n) => ({ page: request.page ?? 1, n: n + 1, text: 'x'.repeat(100) }));
		const sentAtBatch: number[] = [];
		const recorder = batchRecorder({
			onBatch: async (batch) => {
				sentAtBatch.push(provider.sentBytes);
				if (batch === 1) await new Promise((resolve) => setTimeout(resolve, 1000));
			},
		});
		const result = await executeNode({
			node: runnerTestNode((ctx: IExecuteFunctions) => {
				setNetworkTimeout(ctx, 250);
				return runExport(ctx, provider.job(), { page: 1 }, failWhenBusy, batchesOutput(10_000));
			}),
			subWorkflows: [recordingSubWorkflow('sub-1', recorder)],
		});
		assert.equal(result.error, undefined, result.error?.message);
		assert.equal(recordedRows(recorder).length, 150_000);
		assert.deepEqual(result.logs.filter((line) => /broke after/.test(line.message)), [], 'no stall, no resume');
		assert.equal(provider.downloads.length, 1);
		const fileBytes = provider.sentBytes;
		assert.ok(sentAtBatch[0] < fileBytes / 2, `while batch 1 ran, ${sentAtBatch[0]} of ${fileBytes} bytes had been sent: the download waits`);
	});

	it('refuses a sub-workflow that is not published outside manual runs, as n8n does', async () => {
		provider.rowsFor = rowsOf(2);
		const recorder = batchRecorder();
		const result = await executeNode({
			node: runnerTestNode((ctx: IExecuteFunctions) => runExport(ctx, provider.job(), { page: 1 }, failWhenBusy, batchesOutput(10))),
			subWorkflows: [recordingSubWorkflow('sub-1', recorder, { published: false })],
			mode: 'webhook',
		});
		assert.equal(result.error?.message, 'The sub-workflow failed on batch 1 (rows 1–2 of Scripted export job-1)');
		assert.match(String(result.error?.description), /Workflow is not active and cannot be executed/);
		assert.match(String(result.error?.description), /No batch had been handed on before/);
		assert.deepEqual(recorder.batches, []);
	});

	it('names a sub-workflow that does not exist', async () => {
		provider.rowsFor = rowsOf(2);
		const result = await run({ page: 1 }, { ...batchesOutput(10), batches: { workflow: { id: 'gone' }, size: 10, addBatchFields: false } }, batchRecorder());
		assert.match(String(result.error?.description), /Workflow does not exist/);
	});
});
