// End to end: the packed package in a real n8n, against the Mews emulator. The example workflow
// runs with n8n's CLI; the credential test runs through the REST API of a started n8n, because
// Mews reads its tokens from the request body, which n8n's credential test must send too.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startMewsEmulator, type MewsEmulator } from '../emulators/mews';
import { ensureN8nInstalled, itemsOf, N8nInstance, packPackage } from './n8n';

const examples = resolve(__dirname, '../../examples');
const readExample = (name: string) => JSON.parse(readFileSync(join(examples, name), 'utf8'));
const DAY = 24 * 60 * 60_000;

describe('Mews node in a real n8n', () => {
	let emulator: MewsEmulator;
	let n8n: N8nInstance;
	const credentialData = () => ({ platform: 'custom', platformAddress: emulator.platformAddress, clientToken: emulator.clientToken, accessToken: emulator.accessToken });

	before(async () => {
		await ensureN8nInstalled((line) => console.log(`# ${line}`));
		emulator = await startMewsEmulator({ linesPerFile: 300 });
		emulator.entities.generate('Reservation', 1_000, { since: new Date(Date.now() - 60 * DAY), until: new Date(Date.now() - 10 * 60_000) });
		n8n = new N8nInstance();
		await n8n.installPackage(await packPackage(n8n.userFolder));
		await n8n.importJson('credentials', [{ id: 'mewsSandbox', name: 'Mews sandbox', type: 'mewsConnectorApi', data: credentialData() }]);
	});

	after(async () => {
		n8n?.cleanup();
		await emulator?.close();
	});

	it('runs the "reservations by state" example: export the last 30 days, count per state', async () => {
		const workflow = readExample('mews-reservations-by-state.json');
		await n8n.importJson('workflow', workflow);
		const run = await n8n.execute(workflow.id);
		assert.equal(run.data.resultData.error, undefined, run.data.resultData.error?.message);

		const since = Date.now() - 30 * DAY;
		const expected = emulator.entities.list('Reservation').filter((entity) => Date.parse(String(entity.UpdatedUtc)) >= since - 60_000);
		const exported = itemsOf(run, 'Export reservations');
		assert.ok(Math.abs(exported.length - expected.length) <= 2, `${exported.length} rows for ${expected.length} records`);
		assert.ok(emulator.exports.at(-1)!.Files.length >= 2, 'several files');

		const counted = itemsOf(run, 'Count per state').reduce((sum, item) => sum + Number(item.json.count_Id), 0);
		assert.equal(counted, exported.length);
	});

	it('tests the credential in n8n: tokens go in the request body', async () => {
		const running = await n8n.start();
		try {
			await running.setUpOwner();
			const ok = await running.testCredential({ name: 'Mews', type: 'mewsConnectorApi', data: credentialData() });
			assert.equal(ok.status, 'OK', ok.message);
			const bad = await running.testCredential({ name: 'Mews', type: 'mewsConnectorApi', data: { ...credentialData(), accessToken: 'wrong' } });
			assert.equal(bad.status, 'Error');
		} finally {
			await running.stop();
		}
	});
});
