// End to end: the packed package installed into a real n8n, the example workflows imported and
// run with n8n's CLI against the 4me emulator, their output checked against what it served.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startFourMeEmulator, type FourMeEmulator } from '../emulators/fourme';
import { ensureN8nInstalled, itemsOf, n8nWithFourMeSandbox, type N8nInstance } from './n8n';

const examples = resolve(__dirname, '../../examples');
const readExample = (name: string) => JSON.parse(readFileSync(join(examples, name), 'utf8'));

describe('4me node in a real n8n', () => {
	let emulator: FourMeEmulator;
	let n8n: N8nInstance;

	before(async () => {
		await ensureN8nInstalled((line) => console.log(`# ${line}`));
		emulator = await startFourMeEmulator();
		emulator.records.generate('requests', 2_000);
		n8n = await n8nWithFourMeSandbox(emulator);
	});

	after(async () => {
		n8n?.cleanup();
		await emulator?.close();
	});

	it('loads the package: the node type is known to n8n', async () => {
		const names = (await n8n.nodeTypes()).map((type) => type.name);
		assert.ok(names.includes('n8n-nodes-bulk-export.fourMe'), 'n8n-nodes-bulk-export.fourMe is loaded');
	});

	it('runs the "requests to Excel" example: export, filter, convert to xlsx', async () => {
		const workflow = readExample('4me-export-requests-to-excel.json');
		await n8n.importJson('workflow', workflow);
		const run = await n8n.execute(workflow.id);
		assert.equal(run.data.resultData.error, undefined, run.data.resultData.error?.message);

		const exported = itemsOf(run, 'Export requests');
		assert.equal(exported.length, emulator.records.count('requests'));
		assert.deepEqual(exported.map((item) => item.json), emulator.records.list('requests'));

		const expectedOpenHigh = emulator.records.list('requests').filter((row) => row.impact === 'high' && row.status !== 'completed');
		const filtered = itemsOf(run, 'Open and high impact');
		assert.equal(filtered.length, expectedOpenHigh.length);

		const [file] = itemsOf(run, 'Convert to Excel');
		assert.equal(file.binary?.data.fileName, 'open-high-impact-requests.xlsx');
	});

	it('runs the "people, sites and teams" example: one zip, rows tagged with their type, counted', async () => {
		const workflow = readExample('4me-export-people-and-teams.json');
		await n8n.importJson('workflow', workflow);
		const run = await n8n.execute(workflow.id);
		assert.equal(run.data.resultData.error, undefined, run.data.resultData.error?.message);
		const counts = Object.fromEntries(itemsOf(run, 'Count per record type').map((item) => [item.json._recordType, item.json.count_id]));
		assert.deepEqual(counts, {
			people: emulator.records.count('people'),
			sites: emulator.records.count('sites'),
			teams: emulator.records.count('teams'),
		});
	});
});
