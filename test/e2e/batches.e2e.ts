// End to end: Output "Rows in Batches to a Sub-Workflow" in a real n8n. The example pair (4me
// requests in batches of 1,000 → a sub-workflow that writes each batch to a CSV file) is imported,
// the sub-workflow published, and the parent run with n8n's CLI; the files the sub-workflow wrote
// must hold every exported row exactly once.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

import Papa from 'papaparse';

import { startFourMeEmulator, type FourMeEmulator } from '../emulators/fourme';
import { ensureN8nInstalled, itemsOf, n8nWithFourMeSandbox, type N8nInstance } from './n8n';

const examples = resolve(__dirname, '../../examples');
const readExample = (name: string) => JSON.parse(readFileSync(join(examples, name), 'utf8'));

describe('rows in batches to a sub-workflow, in a real n8n', () => {
	let emulator: FourMeEmulator;
	let n8n: N8nInstance;
	const outputDir = mkdtempSync(join(tmpdir(), 'n8n-e2e-batches-'));

	before(async () => {
		await ensureN8nInstalled((line) => console.log(`# ${line}`));
		emulator = await startFourMeEmulator();
		emulator.records.generate('requests', 4_321);
		// The sub-workflow writes its files here; `n8n execute` runs the version saved as published
		// without the publication service (which only `n8n start` sets up).
		n8n = await n8nWithFourMeSandbox(emulator, { N8N_RESTRICT_FILE_ACCESS_TO: outputDir, N8N_USE_WORKFLOW_PUBLICATION_SERVICE: 'false' });
	});

	after(async () => {
		n8n?.cleanup();
		rmSync(outputDir, { recursive: true, force: true });
		await emulator?.close();
	});

	it('runs the example pair: every request once, in batches of 1,000, one summary item', async () => {
		const sub = readExample('4me-batch-to-csv-file.json');
		const write = sub.nodes.find((node: { name: string }) => node.name === 'Write the file');
		write.parameters.fileName = `=${outputDir}/{{ $binary.data.fileName }}`;
		await n8n.importJson('workflow', sub);
		await n8n.activate(sub.id);
		const parent = readExample('4me-requests-in-batches.json');
		await n8n.importJson('workflow', parent);

		const run = await n8n.execute(parent.id);
		assert.equal(run.data.resultData.error, undefined, run.data.resultData.error?.message);
		const [summary, ...more] = itemsOf(run, 'Export requests in batches');
		assert.equal(more.length, 0, 'one summary item');
		assert.equal(summary.json.batches, 5);
		assert.equal(summary.json.rows, 4_321);
		assert.equal(summary.json.subWorkflowId, sub.id);
		assert.ok(summary.json.lastSubExecutionId, 'n8n gave each batch an execution');

		const files = readdirSync(outputDir).sort();
		assert.deepEqual(files, ['requests-batch-00001.csv', 'requests-batch-00002.csv', 'requests-batch-00003.csv', 'requests-batch-00004.csv', 'requests-batch-00005.csv']);
		const rows = files.flatMap((file) => Papa.parse<Record<string, string>>(readFileSync(join(outputDir, file), 'utf8'), { header: true, skipEmptyLines: true }).data);
		assert.deepEqual(rows.map((row) => row.id), emulator.records.list('requests').map((row) => String(row.id)));
		assert.deepEqual([...new Set(rows.map((row) => row._batch))], ['1', '2', '3', '4', '5']);
		assert.ok(rows.every((row) => row._jobId === summary.json.jobId));
	});

	it('names the batch and the rows when the sub-workflow is not published', async () => {
		const sub = readExample('4me-batch-to-csv-file.json');
		sub.id = 'ex4meBatchUnpublished';
		await n8n.importJson('workflow', sub);
		const parent = readExample('4me-requests-in-batches.json');
		parent.id = 'ex4meBatchesToUnpublished';
		parent.nodes[1].parameters.workflowId.value = sub.id;
		await n8n.importJson('workflow', parent);
		const run = await n8n.execute(parent.id);
		const error = run.data.resultData.error;
		assert.match(String(error?.message), /^The sub-workflow failed on batch 1 \(rows 1–1000 of 4me export /);
		assert.match(String(error?.description), /not active/);
	});
});
