/**
 * Output "Rows in Batches to a Sub-workflow" as a user sets it up on a node (4me here; every
 * export node has the same parameters): the sub-workflow picked from the list, by ID or by URL,
 * a failed batch resumed with Download + Start at Row, and the hint on a very large row output.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import type { INodeParameters } from 'n8n-workflow';

import { startFourMeEmulator, type FourMeEmulator } from '../emulators/fourme';
import { findSecrets } from '../helpers/n8n';
import { batchRecorder, recordedRows, recordingSubWorkflow, type BatchRecorder } from '../helpers/subWorkflows';
import { credentialsFor, runFourMe } from './fourme';

const list = (value: string) => ({ __rl: true, mode: 'list', value, cachedResultName: 'Upsert requests' });

describe('export nodes: rows in batches to a sub-workflow', () => {
	let emulator: FourMeEmulator;

	before(async () => {
		emulator = await startFourMeEmulator();
	});
	after(() => emulator.close());
	beforeEach(() => emulator.faults.reset());

	function batches(recorder: BatchRecorder, parameters: INodeParameters, workflowId: unknown = list('sub-7')) {
		return runFourMe(emulator, { output: 'batches', workflowId: workflowId as INodeParameters[string], ...parameters }, { subWorkflows: [recordingSubWorkflow('sub-7', recorder)] });
	}

	it('hands every row to the sub-workflow once, in batches of the chosen size', async () => {
		emulator.records.generate('requests', 2345);
		const recorder = batchRecorder();
		const result = await batches(recorder, { recordTypes: ['requests'], batchSize: 500, options: { addBatchFields: true } });
		assert.equal(result.error, undefined, result.error?.message);
		assert.deepEqual(recorder.batches.map((batch) => batch.length), [500, 500, 500, 500, 345]);
		const expected = emulator.records.list('requests');
		const rows = recordedRows(recorder);
		assert.deepEqual(rows.map((row) => row.id), expected.map((row) => row.id));
		const token = String(result.items[0].json.jobId);
		assert.deepEqual(rows[0], { ...expected[0], _batch: 1, _jobId: token });
		assert.equal(rows.at(-1)?._batch, 5);
		assert.deepEqual({ ...result.items[0].json, seconds: undefined, lastSubExecutionId: undefined }, {
			jobId: token,
			subWorkflowId: 'sub-7',
			batches: 5,
			rows: 2345,
			files: 1,
			lastSubExecutionId: undefined,
			seconds: undefined,
		});
		assert.deepEqual(findSecrets({ result, recorder }, credentialsFor(emulator)), []);
	});

	it('takes the sub-workflow by ID, or by its URL pasted into By ID', async () => {
		emulator.records.generate('requests', 30);
		for (const workflowId of [{ __rl: true, mode: 'id', value: 'sub-7' }, { __rl: true, mode: 'id', value: 'https://n8n.example.com/workflow/sub-7?projectId=1' }]) {
			const recorder = batchRecorder();
			const result = await batches(recorder, { recordTypes: ['requests'], batchSize: 100 }, workflowId);
			assert.equal(result.error, undefined, result.error?.message);
			assert.equal(recordedRows(recorder).length, 30);
		}
	});

	it('says so when the sub-workflow given is empty or not an ID, before it starts an export', async () => {
		const jobs = emulator.jobs.length;
		const empty = await batches(batchRecorder(), { recordTypes: ['requests'] }, { __rl: true, mode: 'id', value: '={{ $json.workflow }}' });
		assert.equal(empty.error?.message, '"Sub-Workflow" is empty: choose the workflow that gets the batches');
		const junk = await batches(batchRecorder(), { recordTypes: ['requests'] }, { __rl: true, mode: 'id', value: 'my workflow' });
		assert.equal(junk.error?.message, '"Sub-Workflow" is not a workflow ID or URL: "my workflow"');
		assert.equal(emulator.jobs.length, jobs, 'no export started');
	});

	it('after a failed batch, Download with the token and Start at Row hands on the rest, nothing twice', async () => {
		emulator.records.generate('requests', 1200);
		const first = batchRecorder({ failBatch: 3 });
		const failed = await batches(first, { recordTypes: ['requests'], batchSize: 250 });
		assert.equal(failed.error?.message.startsWith('The sub-workflow failed on batch 3 (rows 501–750 of 4me export '), true, failed.error?.message);
		const token = /4me export (\S+?)\)/.exec(failed.error?.message ?? '')?.[1];
		assert.ok(token);
		const description = String(failed.error?.description);
		assert.match(description, /Before it, 500 rows went to the sub-workflow in 2 batches/);
		assert.match(description, new RegExp(`The 4me export token is ${token}: use the operation "Get Export Status" or "Download Export" with it`));
		assert.match(description, /Set the option Start at Row to 501\./);

		const second = batchRecorder();
		const resumed = await batches(second, { operation: 'download', exportJob: token, batchSize: 250, options: { startAtRow: 501 } });
		assert.equal(resumed.error, undefined, resumed.error?.message);
		assert.equal(resumed.items[0].json.rows, 700);
		const ids = [...recordedRows(first), ...recordedRows(second)].map((row) => row.id);
		assert.deepEqual(ids, emulator.records.list('requests').map((row) => row.id));
	});

	it('Start at Row and Max Rows page through the rows of an export as items too', async () => {
		emulator.records.generate('requests', 50);
		const started = await runFourMe(emulator, { operation: 'start', recordTypes: ['requests'] });
		const token = String(started.items[0].json.token);
		const page = await runFourMe(emulator, { operation: 'download', exportJob: token, options: { startAtRow: 21, rowLimit: 10 } });
		assert.equal(page.error, undefined, page.error?.message);
		assert.deepEqual(page.items.map((item) => item.json.id), emulator.records.list('requests').slice(20, 30).map((row) => row.id));
	});

	it('suggests batches or File when its row output passes 100,000 items', async () => {
		emulator.records.generate('requests', 100_001);
		const result = await runFourMe(emulator, { recordTypes: ['requests'] });
		assert.equal(result.error, undefined, result.error?.message);
		assert.equal(result.items.length, 100_001);
		const hints = Object.values(result.runData).flatMap((tasks) => tasks.flatMap((task) => task.hints ?? []));
		assert.equal(hints.length, 1);
		assert.match(hints[0].message, /100,001 items, which n8n keeps in memory .* "Rows in Batches to a Sub-Workflow"/);

		emulator.records.generate('requests', 100);
		const small = await runFourMe(emulator, { recordTypes: ['requests'] });
		assert.deepEqual(Object.values(small.runData).flatMap((tasks) => tasks.flatMap((task) => task.hints ?? [])), []);
	});
});
