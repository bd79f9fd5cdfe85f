// End to end: the packed package in a real n8n, against the Anduin IDM emulator. The example
// workflow runs with n8n's CLI (a chain of several export jobs); the credential test runs through
// the REST API of a started n8n, which sends the API key in Authorization as it is.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startAnduinIdmEmulator, type AnduinIdmEmulator } from '../emulators/anduin-idm';
import { ensureN8nInstalled, itemsOf, N8nInstance, packPackage } from './n8n';

const examples = resolve(__dirname, '../../examples');
const readExample = (name: string) => JSON.parse(readFileSync(join(examples, name), 'utf8'));

describe('Anduin IDM node in a real n8n', () => {
	let emulator: AnduinIdmEmulator;
	let n8n: N8nInstance;
	const credentialData = () => ({ apiKey: emulator.apiKey, firmId: emulator.firmId, baseUrl: emulator.apiOrigin });

	before(async () => {
		await ensureN8nInstalled((line) => console.log(`# ${line}`));
		// 1,000 investment entities, 300 per job: a chain of 4 jobs.
		emulator = await startAnduinIdmEmulator({ jobSizeLimit: 300, seed: { 'investment-entities': 1_000 } });
		n8n = new N8nInstance();
		await n8n.installPackage(await packPackage(n8n.userFolder));
		await n8n.importJson('credentials', [{ id: 'anduinSandbox', name: 'Anduin sandbox', type: 'anduinIdmApi', data: credentialData() }]);
	});

	after(async () => {
		n8n?.cleanup();
		await emulator?.close();
	});

	it('runs the "high-risk entities by jurisdiction" example: Export All over a 4-job chain, Filter, Summarize', async () => {
		const workflow = readExample('anduin-high-risk-entities-by-jurisdiction.json');
		await n8n.importJson('workflow', workflow);
		const before = emulator.jobs.length;
		const run = await n8n.execute(workflow.id);
		assert.equal(run.data.resultData.error, undefined, run.data.resultData.error?.message);

		const entities = emulator.objects.list('investment-entities');
		const exported = itemsOf(run, 'Export investment entities');
		assert.deepEqual(exported.map((item) => item.json.id), entities.map((entity) => entity.id), 'every entity once, in order');
		const jobs = emulator.jobs.slice(before);
		assert.equal(jobs.length, 4);
		assert.equal(jobs[3].cursorIn, jobs[2].nextCursor);

		const highRisk = entities.filter((entity) => entity.riskLevel === 'High');
		assert.equal(itemsOf(run, 'High risk').length, highRisk.length);
		const counted = itemsOf(run, 'Count per jurisdiction');
		assert.equal(counted.reduce((sum, item) => sum + Number(item.json.count_id), 0), highRisk.length);
		for (const item of counted) {
			assert.equal(item.json.count_id, highRisk.filter((entity) => entity.jurisdiction === item.json.jurisdiction).length, String(item.json.jurisdiction));
		}
		for (const request of emulator.requestsTo('storage')) assert.equal(request.refused, undefined, 'no key reaches the file host');
	});

	it('tests the credential in n8n: the key as it is in Authorization, checked with the firm', async () => {
		const running = await n8n.start();
		try {
			await running.setUpOwner();
			const ok = await running.testCredential({ name: 'Anduin', type: 'anduinIdmApi', data: credentialData() });
			assert.equal(ok.status, 'OK', ok.message);
			const badKey = await running.testCredential({ name: 'Anduin', type: 'anduinIdmApi', data: { ...credentialData(), apiKey: 'anduin_api_key_wrong' } });
			assert.equal(badKey.status, 'Error');
			const badFirm = await running.testCredential({ name: 'Anduin', type: 'anduinIdmApi', data: { ...credentialData(), firmId: 'fdfnotmyfirm' } });
			assert.equal(badFirm.status, 'Error');
		} finally {
			await running.stop();
		}
	});
});
