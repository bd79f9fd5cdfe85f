// The 4me Trigger in an active workflow of a real n8n: n8n polls it every minute; the workflow
// posts each emitted row to a sink server here. Two polls with a change in between must deliver
// exactly the changes, each once.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startFourMeEmulator, type FourMeEmulator } from '../emulators/fourme';
import { ensureN8nInstalled, itemsOf, n8nWithFourMeSandbox, type N8nInstance, type RunningN8n } from './n8n';

const HOUR = 60 * 60 * 1000;

describe('4me Trigger in a real n8n', () => {
	let emulator: FourMeEmulator;
	let n8n: N8nInstance;
	let server: RunningN8n;
	let sink: Server;
	const example = () => JSON.parse(readFileSync(join(resolve(__dirname, '../../examples'), '4me-trigger-post-changed-requests.json'), 'utf8'));
	const received: Array<{ at: number; body: Record<string, unknown> }> = [];

	before(async () => {
		await ensureN8nInstalled((line) => console.log(`# ${line}`));
		emulator = await startFourMeEmulator();
		sink = createServer((request, response) => {
			let body = '';
			request.on('data', (chunk) => (body += chunk));
			request.on('end', () => {
				received.push({ at: Date.now(), body: JSON.parse(body || '{}') });
				response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
			});
		});
		await new Promise<void>((resolvePromise) => sink.listen(0, '127.0.0.1', resolvePromise));
		n8n = await n8nWithFourMeSandbox(emulator);
	});

	after(async () => {
		await server?.stop();
		n8n?.cleanup();
		sink?.close();
		await emulator?.close();
	});

	async function waitFor(condition: () => boolean, what: string, timeoutMs = 150_000) {
		const deadline = Date.now() + timeoutMs;
		while (!condition()) {
			if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received ${JSON.stringify(received)}`);
			await new Promise((resolvePromise) => setTimeout(resolvePromise, 500));
		}
	}

	it('"Fetch Test Event" in the editor: a small sample of recent changes', async () => {
		const workflow = example();
		workflow.id = 'e2eTriggerSample';
		workflow.nodes = workflow.nodes.filter((node: { name: string }) => node.name === '4me Trigger');
		workflow.connections = {};
		await n8n.importJson('workflow', workflow);
		server = await n8n.start();
		await server.setUpOwner();
		const run = await server.fetchTestEvent(workflow.id, '4me Trigger');
		assert.equal(run.data.resultData.error, undefined, run.data.resultData.error?.message);
		const sample = itemsOf(run, '4me Trigger');
		assert.ok(sample.length > 0 && sample.length <= 10, `${sample.length} rows`);
		const weekAgo = Date.now() - 7 * 24 * 60 * 60 * 1000;
		for (const item of sample) assert.ok(Date.parse(String(item.json.updated_at)) > weekAgo);
		await server.stop();
	});

	it('in an active workflow: emits the changes since the start date on the first poll, then only what changed', async () => {
		const workflow = example();
		const trigger = workflow.nodes.find((node: { name: string }) => node.name === '4me Trigger');
		trigger.parameters.startWith = 'since';
		trigger.parameters.since = new Date(Date.now() - 36 * HOUR).toISOString();
		const post = workflow.nodes.find((node: { name: string }) => node.name === 'Post the change');
		post.parameters.url = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/changed-requests`;
		await n8n.importJson('workflow', workflow);
		await n8n.activate(workflow.id);

		const since = Date.parse(trigger.parameters.since);
		const firstExpected = emulator.records
			.list('requests')
			.filter((row) => Date.parse(String(row.updated_at)) > since)
			.map((row) => row.id)
			.sort();
		assert.ok(firstExpected.length > 0);

		server = await n8n.start();
		try {
			await waitFor(() => received.length >= firstExpected.length, 'the first poll');
			assert.deepEqual(received.map((entry) => entry.body.id).sort(), firstExpected);

			emulator.records.upsert('requests', { id: '53', subject: 'VPN down since 9:00 — fixed', category: 'incident', impact: 'top', status: 'completed', team: 'Network' });
			const afterFirst = received.length;
			await waitFor(() => received.length > afterFirst, 'the poll after the change');
			// Give a further poll the chance to (wrongly) emit again.
			await new Promise((resolvePromise) => setTimeout(resolvePromise, 65_000));
			const later = received.slice(afterFirst).map((entry) => entry.body);
			assert.deepEqual(later.map((body) => body.id), ['53']);
			assert.equal(later[0].subject, 'VPN down since 9:00 — fixed');
		} finally {
			await server.stop();
		}
	});
});
