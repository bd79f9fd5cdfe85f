// End to end: the packed package in a real n8n, against the Rebilly emulator. The example
// workflow runs with n8n's CLI (relative dates as Rebilly reads them, the file behind a redirect
// to storage); the credential test runs through the REST API of a started n8n.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startRebillyEmulator, type RebillyEmulator } from '../emulators/rebilly';
import { ensureN8nInstalled, itemsOf, N8nInstance, packPackage } from './n8n';

const examples = resolve(__dirname, '../../examples');
const readExample = (name: string) => JSON.parse(readFileSync(join(examples, name), 'utf8'));
const DAY = 24 * 60 * 60_000;

describe('Rebilly node in a real n8n', () => {
	let emulator: RebillyEmulator;
	let n8n: N8nInstance;
	const credentialData = () => ({ authType: 'apiKey', apiKey: emulator.apiKey, organizationId: emulator.organizationId, environment: 'custom', baseUrl: emulator.apiOrigin });

	before(async () => {
		await ensureN8nInstalled((line) => console.log(`# ${line}`));
		emulator = await startRebillyEmulator({ seed: false, rateLimit: false, pollsUntilDone: 2, signedLink: false });
		emulator.records.generate('transactions', 400, { since: new Date(Date.now() - 70 * DAY), until: new Date(Date.now() - 60_000) });
		n8n = new N8nInstance();
		await n8n.installPackage(await packPackage(n8n.userFolder));
		await n8n.importJson('credentials', [{ id: 'rebillySandbox', name: 'Rebilly sandbox', type: 'rebillyApi', data: credentialData() }]);
	});

	after(async () => {
		n8n?.cleanup();
		await emulator?.close();
	});

	it('runs the "transactions of last month" example: export, keep approved, sum per currency', async () => {
		const workflow = readExample('rebilly-transactions-by-currency.json');
		await n8n.importJson('workflow', workflow);
		const run = await n8n.execute(workflow.id);
		assert.equal(run.data.resultData.error, undefined, run.data.resultData.error?.message);

		const exported = itemsOf(run, 'Export transactions');
		const range = emulator.exports.at(-1)!.resolvedRange!;
		const expected = emulator.records.list('transactions').filter((record) => {
			const at = Date.parse(String(record.processedTime));
			return at >= range.startMs && at < range.endMs;
		});
		assert.ok(expected.length > 0);
		assert.equal(exported.length, expected.length);
		const sums = itemsOf(run, 'Sum per currency');
		const approved = expected.filter((record) => record.result === 'approved');
		assert.equal(sums.reduce((total, item) => total + Number(item.json.count_id), 0), approved.length);
		const storage = emulator.requests.filter((request) => request.host === 'storage');
		assert.ok(storage.length > 0 && storage.every((request) => request.headers['reb-apikey'] === undefined), 'the file came from storage, without the key');
	});

	it('tests the credential in n8n', async () => {
		const running = await n8n.start();
		try {
			await running.setUpOwner();
			const ok = await running.testCredential({ name: 'Rebilly', type: 'rebillyApi', data: credentialData() });
			assert.equal(ok.status, 'OK', ok.message);
			const bad = await running.testCredential({ name: 'Rebilly', type: 'rebillyApi', data: { ...credentialData(), apiKey: 'sk_sandbox_wrong' } });
			assert.equal(bad.status, 'Error');
		} finally {
			await running.stop();
		}
	});
});
