// Queue mode (issue #18): one n8n main, two `n8n worker`s, Redis as the queue, PostgreSQL as the
// database, binary data in the database; the packed package in the one user folder they share.
// Everything is started here from the machine's packages (see queue.ts) and talks over real HTTP
// to the emulators. What it checks:
//   - 20 export workflows of the four providers, started together through production webhooks:
//     every row arrives exactly once, and both workers ran executions (their own logs say which);
//   - the providers' concurrency rules across workers: Mews runs one export per entity type,
//     Anduin one job per user; the node's "If an Export Is Already Running" (Wait / Fail);
//   - rows in batches to a sub-workflow, run in the worker that runs the export;
//   - the 4me Trigger: polled by the main only; its position survives a SIGKILL of the main, with
//     n8n's default static data and with durable poll cursors (N8N_POLLER_DURABLE_CURSORS_ENABLED).
// Waits are bounded and scaled by E2E_TIMEOUT_SCALE; E2E_KEEP_LOGS=1 keeps the processes' logs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startAnduinIdmEmulator, type AnduinIdmEmulator, type AnduinObjectType } from '../emulators/anduin-idm';
import { startFourMeEmulator, type FourMeEmulator } from '../emulators/fourme';
import { startMewsEmulator, type MewsEmulator, type MewsEntityType } from '../emulators/mews';
import { startRebillyEmulator, type RebillyEmulator, type RebillyResource } from '../emulators/rebilly';
import { ensureN8nInstalled } from './n8n';
import { QueueCluster, seconds, waitUntil, type Proc } from './queue';

const DAY = 24 * 60 * 60_000;
const HOUR = 60 * 60_000;
// Status checks a little apart, so that waits are short and the emulators' logs stay small.
const FAST = { firstPollSeconds: 0.3, maxPollSeconds: 1, timeoutMinutes: 3 };
const DURABLE_CURSORS = { N8N_SCHEDULER_ENABLED: 'true', N8N_SCHEDULER_POLL_TRIGGERS_ENABLED: 'true', N8N_POLLER_DURABLE_CURSORS_ENABLED: 'true' };

type Row = Record<string, unknown>;
interface NodeSpec {
	type: string;
	parameters: Row;
	credentials: Row;
}

let nodeIds = 0;
const nodeId = () => `0b5e1d2c-7a3f-4c1e-9d2a-${String(++nodeIds).padStart(12, '0')}`;
const webhookPaths = new Set<string>();

/** Webhook (POST /webhook/<path>, answers with every item of the last node) → the export node (→ more nodes). */
function webhookWorkflow(id: string, path: string, exportNode: NodeSpec, more: Array<Omit<NodeSpec, 'credentials'> & { name: string }> = []) {
	// n8n registers one workflow per production path: a second one would silently not be called.
	assert.ok(!webhookPaths.has(path), `webhook path ${path} used twice`);
	webhookPaths.add(path);
	const names = ['Export', ...more.map((node) => node.name)];
	const connections: Row = { Webhook: { main: [[{ node: 'Export', type: 'main', index: 0 }]] } };
	names.slice(1).forEach((name, index) => (connections[names[index]] = { main: [[{ node: name, type: 'main', index: 0 }]] }));
	return {
		id,
		name: `queue e2e ${path}`,
		active: false,
		settings: { executionOrder: 'v1' },
		connections,
		nodes: [
			{ id: nodeId(), name: 'Webhook', type: 'n8n-nodes-base.webhook', typeVersion: 2, position: [0, 0], webhookId: nodeId(), parameters: { httpMethod: 'POST', path, responseMode: 'lastNode', responseData: 'allEntries', options: {} } },
			{ id: nodeId(), name: 'Export', typeVersion: 1, position: [220, 0], ...exportNode },
			...more.map((node, index) => ({ id: nodeId(), typeVersion: 1, position: [440 + 220 * index, 0], ...node })),
		],
	};
}

const sortedIds = (rows: Row[], field: string) => rows.map((row) => String(row[field])).sort();

/** A sub-workflow that posts the batch it gets (its number and ids) to `url`, once per batch. */
function countBatchWorkflow(id: string, url: string) {
	return {
		id,
		name: `queue e2e ${id}`,
		active: false,
		settings: { executionOrder: 'v1' },
		nodes: [
			{ id: nodeId(), name: 'When Executed by Another Workflow', type: 'n8n-nodes-base.executeWorkflowTrigger', typeVersion: 1.1, position: [0, 0], parameters: { inputSource: 'passthrough' } },
			{
				id: nodeId(),
				name: 'Post the batch',
				type: 'n8n-nodes-base.httpRequest',
				typeVersion: 4.2,
				position: [220, 0],
				executeOnce: true,
				parameters: { method: 'POST', url, sendBody: true, specifyBody: 'json', jsonBody: '={{ JSON.stringify({ batch: $json._batch, ids: $input.all().map((item) => item.json.id) }) }}', options: {} },
			},
		],
		connections: { 'When Executed by Another Workflow': { main: [[{ node: 'Post the batch', type: 'main', index: 0 }]] } },
	};
}

describe('queue mode: a main, two workers, Redis and PostgreSQL', () => {
	let cluster: QueueCluster;
	let fourme: FourMeEmulator;
	let mews: MewsEmulator;
	let rebilly: RebillyEmulator;
	let anduin: AnduinIdmEmulator;
	// The triggers' own 4me accounts: a job held running there is never taken by another workflow.
	let fourmeDefault: FourMeEmulator;
	let fourmeDurable: FourMeEmulator;
	let sink: Server;
	const posted: Array<{ tag: string; body: Row }> = [];
	const since = new Date(Date.now() - 36 * HOUR).toISOString();
	const started = Date.now();

	const exportWorkflows: Array<{ id: string; path: string; expected: () => string[]; idField: string }> = [];

	before(async () => {
		await ensureN8nInstalled((line) => console.log(`# ${line}`));
		[fourme, mews, rebilly, anduin, fourmeDefault, fourmeDurable] = await Promise.all([
			startFourMeEmulator(),
			startMewsEmulator({ linesPerFile: 150, rateLimits: false }),
			startRebillyEmulator({ seed: false, rateLimit: false, pollsUntilDone: 2, signedLink: false }),
			// Jobs of 150 objects: several exports make a chain.
			startAnduinIdmEmulator({ jobSizeLimit: 150, seed: false }),
			// Its exports finish on their first status check, unless the test holds one (neverFinish).
			startFourMeEmulator({ pollsUntilDone: 0 }),
			// Its exports run until the test lets them finish (releaseJobs).
			startFourMeEmulator({ pollsUntilDone: 1_000_000 }),
		]);
		fourme.records.generate('requests', 400);
		for (const type of ['Reservation', 'Payment', 'Bill', 'OrderItem', 'AvailabilityBlock'] as MewsEntityType[]) {
			mews.entities.generate(type, type === 'Reservation' ? 400 : 250, { since: new Date(Date.now() - 40 * DAY), until: new Date(Date.now() - HOUR) });
		}
		for (const resource of ['transactions', 'customers', 'invoices', 'subscriptions'] as RebillyResource[]) {
			rebilly.records.generate(resource, 300, { since: new Date(Date.now() - 70 * DAY), until: new Date(Date.now() - 60_000) });
		}
		for (const type of ['clients', 'investment-entities', 'contacts', 'investments'] as AnduinObjectType[]) anduin.objects.generate(type, 320);

		sink = createServer((request, response) => {
			let body = '';
			request.on('data', (chunk) => (body += chunk));
			request.on('end', () => {
				posted.push({ tag: (request.url ?? '').split('/')[1], body: JSON.parse(body || '{}') });
				response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
			});
		});
		await new Promise<void>((resolvePromise) => sink.listen(0, '127.0.0.1', resolvePromise));

		cluster = new QueueCluster();
		const fourMeCredential = (id: string, emulator: FourMeEmulator) => ({ id, name: id, type: 'fourMeApi', data: { token: emulator.token, account: emulator.account, instance: 'custom', baseUrl: emulator.apiUrl } });
		await cluster.prepare([
			fourMeCredential('fourMeQueue', fourme),
			fourMeCredential('fourMeTriggerDefault', fourmeDefault),
			fourMeCredential('fourMeTriggerDurable', fourmeDurable),
			{ id: 'mewsQueue', name: 'Mews', type: 'mewsConnectorApi', data: { platform: 'custom', platformAddress: mews.platformAddress, clientToken: mews.clientToken, accessToken: mews.accessToken } },
			{ id: 'rebillyQueue', name: 'Rebilly', type: 'rebillyApi', data: { authType: 'apiKey', apiKey: rebilly.apiKey, organizationId: rebilly.organizationId, environment: 'custom', baseUrl: rebilly.apiOrigin } },
			{ id: 'anduinQueue', name: 'Anduin', type: 'anduinIdmApi', data: { apiKey: anduin.apiKey, firmId: anduin.firmId, baseUrl: anduin.apiOrigin } },
			{ id: 'anduinQueue2', name: 'Anduin, second user', type: 'anduinIdmApi', data: { apiKey: anduin.secondApiKey, firmId: anduin.firmId, baseUrl: anduin.apiOrigin } },
		]);

		const workflows: unknown[] = [];
		const add = (id: string, path: string, node: NodeSpec, expected: () => string[], idField: string, more: Parameters<typeof webhookWorkflow>[3] = []) => {
			workflows.push(webhookWorkflow(id, path, node, more));
			exportWorkflows.push({ id, path, expected, idField });
		};
		const fourMeNode = (types: string[]): NodeSpec => ({ type: 'n8n-nodes-bulk-export.fourMe', parameters: { recordTypes: types, options: FAST }, credentials: { fourMeApi: { id: 'fourMeQueue', name: 'fourMeQueue' } } });
		for (const type of ['requests', 'people', 'sites', 'teams', 'people_contact_details']) {
			add(`qFourMe_${type}`, `fourme-${type}`, fourMeNode([type]), () => sortedIds(fourme.records.list(type), 'id'), 'id');
		}
		for (const type of ['Reservation', 'Payment', 'Bill', 'OrderItem', 'AvailabilityBlock'] as MewsEntityType[]) {
			add(`qMews_${type}`, `mews-${type}`, { type: 'n8n-nodes-bulk-export.mews', parameters: { entityType: type, records: 'all', options: FAST }, credentials: { mewsConnectorApi: { id: 'mewsQueue', name: 'Mews' } } }, () => sortedIds(mews.entities.list(type), 'Id'), 'Id');
		}
		const rebillyNode = (resource: string, extra: Row = {}): NodeSpec => ({ type: 'n8n-nodes-bulk-export.rebilly', parameters: { dataResource: resource, format: 'json', withDateRange: 'all', ...extra, options: { ...FAST, ...((extra.options as Row) ?? {}) } }, credentials: { rebillyApi: { id: 'rebillyQueue', name: 'Rebilly' } } });
		for (const resource of ['transactions', 'customers', 'invoices', 'subscriptions'] as RebillyResource[]) {
			add(`qRebilly_${resource}`, `rebilly-${resource}`, rebillyNode(resource), () => sortedIds(rebilly.records.list(resource), 'id'), 'id');
		}
		// The file itself (binary data, kept in PostgreSQL in this mode), read by n8n's Extract From File.
		add('qRebilly_file', 'rebilly-file', rebillyNode('transactions', { format: 'csv', output: 'file' }), () => sortedIds(rebilly.records.list('transactions'), 'id'), 'id', [
			{ name: 'Read the file', type: 'n8n-nodes-base.extractFromFile', parameters: { operation: 'csv', options: {} } },
		]);
		const anduinNode = (objectType: string, credential = 'anduinQueue'): NodeSpec => ({ type: 'n8n-nodes-bulk-export.anduinIdm', parameters: { objectType, options: FAST }, credentials: { anduinIdmApi: { id: credential, name: credential } } });
		for (const type of ['clients', 'investment-entities', 'contacts', 'investments'] as AnduinObjectType[]) {
			add(`qAnduin_${type}`, `anduin-${type}`, anduinNode(type), () => sortedIds(anduin.objects.list(type), 'id'), 'id');
		}
		add('qAnduin_user2', 'anduin-user2-clients', anduinNode('clients', 'anduinQueue2'), () => sortedIds(anduin.objects.list('clients'), 'id'), 'id');

		// Concurrency: one node asked for other ranges at once; "If an Export Is Already Running" from the call.
		workflows.push(
			webhookWorkflow('qMewsRange', 'mews-range', {
				type: 'n8n-nodes-bulk-export.mews',
				parameters: { entityType: 'Reservation', records: 'updated', updatedAfter: '={{ $json.query.after }}', updatedBefore: '={{ $json.query.before }}', options: { ...FAST, whenRunning: '={{ $json.query.whenRunning }}' } },
				credentials: { mewsConnectorApi: { id: 'mewsQueue', name: 'Mews' } },
			}),
		);
		// (Not the object type from an expression: n8n checks required parameters, which depend on it, before the run.)
		workflows.push(webhookWorkflow('qAnduinClients', 'anduin-same', anduinNode('clients')));
		// Rows in batches to a sub-workflow, in a worker: the sub-workflow posts each batch's ids here.
		workflows.push(
			webhookWorkflow('qFourMeBatches', 'fourme-batches', {
				...fourMeNode(['requests']),
				parameters: { recordTypes: ['requests'], output: 'batches', workflowId: { __rl: true, mode: 'id', value: 'qCountBatch' }, batchSize: 100, options: { ...FAST, addBatchFields: true } },
			}),
			countBatchWorkflow('qCountBatch', `http://127.0.0.1:${(sink.address() as AddressInfo).port}/batches`),
		);

		// The trigger with n8n's default static data: active from the first start of the main.
		workflows.push(triggerWorkflow('qTriggerDefault', 'fourMeTriggerDefault', 'default', 'now'));
		await cluster.importWorkflows(workflows);
		await cluster.publish([...exportWorkflows.map((workflow) => workflow.id), 'qMewsRange', 'qAnduinClients', 'qFourMeBatches', 'qCountBatch', 'qTriggerDefault']);
		await Promise.all([cluster.startWorker(1), cluster.startWorker(2), cluster.startMain()]);
		console.log(`# queue mode up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
	});

	after(async () => {
		await cluster?.stop();
		sink?.close();
		await Promise.all([fourme, mews, rebilly, anduin, fourmeDefault, fourmeDurable].map((emulator) => emulator?.close()));
		console.log(`# queue e2e took ${((Date.now() - started) / 1000).toFixed(1)} s`);
	});

	function triggerWorkflow(id: string, credential: string, tag: string, startWith: 'now' | 'since') {
		const workflow = JSON.parse(readFileSync(join(resolve(__dirname, '../../examples'), '4me-trigger-post-changed-requests.json'), 'utf8'));
		workflow.id = id;
		workflow.name = `queue e2e trigger ${tag}`;
		const trigger = workflow.nodes.find((node: { name: string }) => node.name === '4me Trigger');
		trigger.id = nodeId();
		trigger.parameters.startWith = startWith;
		if (startWith === 'since') trigger.parameters.since = since;
		// A poll waits 6 s for the export; a longer one is resumed by the next poll.
		trigger.parameters.options = { maxWaitMinutes: 0.1, firstPollSeconds: 0.5, maxPollSeconds: 1 };
		trigger.credentials = { fourMeApi: { id: credential, name: credential } };
		const post = workflow.nodes.find((node: { name: string }) => node.name === 'Post the change');
		post.id = nodeId();
		post.parameters.url = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/${tag}`;
		return workflow;
	}

	/** POSTs to a production webhook; the main registers published workflows just after it starts, so a 404 "not registered" is asked again. */
	async function callWebhook(path: string, query: Row = {}): Promise<{ status: number; body: unknown }> {
		const url = `${cluster.url}/webhook/${path}?${new URLSearchParams(query as Record<string, string>)}`;
		const deadline = Date.now() + seconds(30);
		for (;;) {
			const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', signal: AbortSignal.timeout(seconds(240)) });
			const text = await response.text();
			if (response.status === 404 && text.includes('is not registered') && Date.now() < deadline) {
				await new Promise((resolvePromise) => setTimeout(resolvePromise, 300));
				continue;
			}
			let body: unknown = text;
			try {
				body = JSON.parse(text);
			} catch {
				// not JSON: kept as text
			}
			return { status: response.status, body };
		}
	}

	/** Execution ids of the workflows, and which worker's log says it started each. */
	async function whoRan(workflowIds: string[]): Promise<{ ids: string[]; byWorker: string[][] }> {
		const ids = (await cluster.executions(workflowIds)).map((row) => row.id);
		assert.ok(ids.length > 0, `no executions of ${workflowIds.join(', ')}`);
		await waitUntil(() => ids.every((id) => cluster.workers.some((worker) => cluster.startedBy(worker).includes(id))), 'the workers to log every execution', seconds(10));
		return { ids, byWorker: cluster.workers.map((worker) => cluster.startedBy(worker).filter((id) => ids.includes(id))) };
	}

	it('20 export workflows of four providers started together through production webhooks: every row once, run on both workers', async () => {
		assert.equal(exportWorkflows.length, 20);
		const answers = await Promise.all(exportWorkflows.map((workflow) => callWebhook(workflow.path)));
		for (const [index, workflow] of exportWorkflows.entries()) {
			const { status, body } = answers[index];
			assert.equal(status, 200, `${workflow.path}: HTTP ${status} ${JSON.stringify(body).slice(0, 500)}`);
			assert.ok(Array.isArray(body), `${workflow.path}: ${JSON.stringify(body).slice(0, 300)}`);
			const expected = workflow.expected();
			assert.ok(expected.length > 0, workflow.path);
			assert.deepEqual(sortedIds(body as Row[], workflow.idField), expected, `${workflow.path}: every row exactly once`);
		}
		const executions = await cluster.executions(exportWorkflows.map((workflow) => workflow.id));
		assert.equal(executions.length, 20);
		assert.deepEqual(new Set(executions.map((row) => `${row.mode}/${row.status}`)), new Set(['webhook/success']));
		const { ids, byWorker } = await whoRan(exportWorkflows.map((workflow) => workflow.id));
		console.log(`# executions per worker: ${byWorker.map((list) => list.length).join(' + ')}`);
		assert.equal(byWorker[0].length + byWorker[1].length, ids.length, 'each execution ran on one worker, once');
		assert.ok(byWorker[0].length > 0 && byWorker[1].length > 0, `both workers ran executions: ${byWorker.map((list) => list.length).join(' + ')}`);
		// The main ran none itself: it enqueued each and heard it finish.
		const finished = cluster.finishedOn();
		for (const id of ids) assert.ok(finished.has(id), `main log: execution ${id} finished on a worker`);

		// Anduin's one job per user held across the workers: the jobs of a user never overlapped.
		assertNoOverlap(
			anduin.jobs.filter((job) => job.apiKey === anduin.apiKey).map((job) => ({ start: job.createdAt.getTime(), end: job.completedAt?.getTime() ?? Infinity })),
			'Anduin jobs of one user',
		);
		// Mews: one export per entity type (each type once here), and no export started twice.
		for (const type of ['Reservation', 'Payment', 'Bill', 'OrderItem', 'AvailabilityBlock']) {
			assert.equal(mews.exports.filter((record) => record.EntityType === type).length, 1, `one Mews export of ${type}`);
		}
	});

	function assertNoOverlap(intervals: Array<{ start: number; end: number }>, what: string) {
		const sorted = [...intervals].sort((a, b) => a.start - b.start);
		for (let i = 1; i < sorted.length; i++) {
			assert.ok(sorted[i].start >= sorted[i - 1].end, `${what}: one started at ${new Date(sorted[i].start).toISOString()} while another ran until ${new Date(sorted[i - 1].end).toISOString()}`);
		}
	}

	const at = (days: number) => new Date(Date.now() - days * DAY).toISOString();
	const reservationsIn = (after: string, before: string) =>
		mews.entities.list('Reservation').filter((entity) => {
			const updated = Date.parse(String(entity.UpdatedUtc));
			return updated >= Date.parse(after) && updated < Date.parse(before);
		});
	const exportAdds = () => mews.requests.filter((request) => request.path.endsWith('/exports/add')).length;

	it('Mews, one export per entity type: four runs of one node for other ranges at once all get their rows, one export each, one after another', async () => {
		const before = mews.exports.length;
		const addsBefore = exportAdds();
		const ranges = [
			[at(40), at(30)],
			[at(30), at(20)],
			[at(20), at(10)],
			[at(10), at(0.5)],
		];
		const answers = await Promise.all(ranges.map(([after, before]) => callWebhook('mews-range', { after, before, whenRunning: 'wait' })));
		for (const [index, [after, before]] of ranges.entries()) {
			const { status, body } = answers[index];
			assert.equal(status, 200, `${after}..${before}: HTTP ${status} ${JSON.stringify(body).slice(0, 500)}`);
			const expected = reservationsIn(after, before);
			assert.ok(expected.length > 0);
			assert.deepEqual(sortedIds(body as Row[], 'Id'), sortedIds(expected, 'Id'), `${after}..${before}: every row once`);
		}
		const exports = mews.exports.slice(before);
		assert.equal(exports.length, 4, 'one export per request: none lost, none twice');
		assert.equal(new Set(exports.map((record) => JSON.stringify(record.Filters))).size, 4);
		assertNoOverlap(exports.map((record) => ({ start: record.createdUtc.getTime(), end: record.completedUtc?.getTime() ?? Infinity })), 'Mews exports of Reservation');
		const refused = exportAdds() - addsBefore - exports.length;
		const { byWorker } = await whoRan(['qMewsRange']);
		console.log(`# Mews: ${refused} exports/add answered "already running" while another run held the slot; runs per worker ${byWorker.map((list) => list.length).join(' + ')}`);
		assert.ok(refused > 0, 'the runs did meet the busy rule');
		// Backoff, not a loop: each waiting run asks at most about once per status-check interval.
		assert.ok(refused < 60, `${refused} refused starts`);
	});

	it('Mews, the same request from two runs at once: both get every row; the second waits for the first export and then starts its own', async () => {
		const before = mews.exports.length;
		const [after, until] = [at(25), at(15)];
		const answers = await Promise.all([0, 1].map(() => callWebhook('mews-range', { after, before: until, whenRunning: 'wait' })));
		for (const { status, body } of answers) {
			assert.equal(status, 200, JSON.stringify(body).slice(0, 500));
			assert.deepEqual(sortedIds(body as Row[], 'Id'), sortedIds(reservationsIn(after, until), 'Id'));
		}
		const exports = mews.exports.slice(before);
		// README: "Wait for It — uses the same export if this node started it". Each execution has its
		// own copy of the workflow's static data (loaded when it starts, saved when it ends), so a run
		// does not see the export another running execution started: not joined, but not lost either.
		console.log(`# Mews: two identical requests at once made ${exports.length} export(s)`);
		assert.equal(exports.length, 2);
		assert.equal(JSON.stringify(exports[0].Filters), JSON.stringify(exports[1].Filters));
		assertNoOverlap(exports.map((record) => ({ start: record.createdUtc.getTime(), end: record.completedUtc?.getTime() ?? Infinity })), 'Mews exports of Reservation');
	});

	it('Mews with "If an Export Is Already Running: Fail" while another run of the node holds the slot: fails at once, starts nothing', async () => {
		// The next export answers Pending/Processing to 12 status checks (several seconds).
		mews.faults.pollsUntilDone(12);
		const before = mews.exports.length;
		const holder = callWebhook('mews-range', { after: at(40), before: at(30), whenRunning: 'wait' });
		await waitUntil(() => mews.exports.length > before, 'the first run to start its export', seconds(30));
		const failing = await callWebhook('mews-range', { after: at(30), before: at(20), whenRunning: 'fail' });
		const stillRunning = ['Pending', 'Processing'].includes(mews.exports[before].Status);
		assert.equal(failing.status, 500, JSON.stringify(failing.body));
		assert.ok(stillRunning, 'the holder was still running when the failing run ended');
		const [execution] = (await cluster.executions(['qMewsRange'])).slice(-1);
		const error = (await cluster.executionData(execution.id)).resultData.runData.Export[0].error;
		assert.equal(error?.message, 'Mews is already running an export of Reservation');
		// The export holding the slot was started by this node, in another execution: its copy of
		// the static data does not list it, so the error cannot name it.
		assert.equal(
			error?.description,
			'Mews runs one export per entity type at a time; it is busy with an export started outside this node (Mews lists exports only by their ID, so the node cannot see which). ' +
				'Run again when it has finished, or set the option If an Export Is Already Running to Wait for It. ' +
				'Mews said: "An export of entity type Reservation with status Pending or Processing already exists. Wait until it finishes before adding another one."',
		);
		assert.equal(mews.exports.length, before + 1, 'the failing run started no export');
		const held = await holder;
		assert.equal(held.status, 200);
		assert.deepEqual(sortedIds(held.body as Row[], 'Id'), sortedIds(reservationsIn(at(40), at(30)), 'Id'));
		const { ids, byWorker } = await whoRan(['qMewsRange']);
		const [holderId, failingId] = ids.slice(-2);
		console.log(`# Mews Fail: holder ran on worker ${byWorker.findIndex((list) => list.includes(holderId)) + 1}, the failing run on worker ${byWorker.findIndex((list) => list.includes(failingId)) + 1}`);
	});

	it('Anduin, one job per user: four runs of one node at once (the same request): every object once to each, the jobs of the user one after another, none joined', async () => {
		const before = anduin.jobs.length;
		const starts = () => anduin.requestsTo('api').filter((request) => request.method === 'POST').length;
		const startsBefore = starts();
		const answers = await Promise.all([1, 2, 3, 4].map(() => callWebhook('anduin-same')));
		for (const { status, body } of answers) {
			assert.equal(status, 200, `HTTP ${status} ${JSON.stringify(body).slice(0, 500)}`);
			assert.deepEqual(sortedIds(body as Row[], 'id'), sortedIds(anduin.objects.list('clients'), 'id'), 'every object once');
		}
		const jobs = anduin.jobs.slice(before);
		// 320 objects, 150 per job: a chain of 3 jobs per run. README: "a job this node started with
		// the same settings is used instead of a new one" — not by runs going on at the same time, each
		// with its own copy of the static data: 4 chains, none joined, none lost.
		console.log(`# Anduin: four identical runs at once made ${jobs.length} jobs`);
		assert.equal(jobs.length, 12);
		assertNoOverlap(jobs.map((job) => ({ start: job.createdAt.getTime(), end: job.completedAt?.getTime() ?? Infinity })), 'Anduin jobs of one user');
		const refused = starts() - startsBefore - jobs.length;
		const { byWorker } = await whoRan(['qAnduinClients']);
		console.log(`# Anduin: ${refused} starts refused (409) while another run held the user's slot; runs per worker ${byWorker.map((list) => list.length).join(' + ')}`);
		assert.ok(refused > 0, 'the runs did meet the busy rule');
		assert.ok(refused < 150, `${refused} refused starts`);
	});

	const postedIds = (tag: string) => posted.filter((entry) => entry.tag === tag).map((entry) => String(entry.body.id));
	const pollLines = (proc: Proc) => proc.lines().filter((line) => line.message.startsWith('4me Trigger:'));
	const changed = (emulator: FourMeEmulator, ids: string[]) => {
		for (const id of ids) emulator.records.upsert('requests', { id, subject: `changed while n8n ran in queue mode (${id})`, status: 'in_progress' });
		return [...ids].sort();
	};

	async function stopMain(how: 'SIGKILL' | 'SIGTERM') {
		const main = cluster.main!;
		if (how === 'SIGKILL') main.kill('SIGKILL');
		else await main.stop();
		await main.exited;
		main.kill('SIGKILL'); // the task runner it leaves, if any
	}

	/** How long each poll of a main waited for its export ("started" to "will check again on the next poll"), in seconds. */
	/** How long each poll waited for its export: from "4me export X started" to "4me export X: still …, will check again on the next poll" (n8n may run two polls at once: paired by export). */
	function pollWaits(main: Proc): number[] {
		const waits: number[] = [];
		const startedAt = new Map<string, number>();
		for (const line of main.lines()) {
			const at = Date.parse(String(line.metadata?.timestamp));
			const started = /^4me export (\w+) started$/.exec(line.message);
			if (started) startedAt.set(started[1], at);
			const again = /^4me export (\w+): still \w+, will check again on the next poll$/.exec(line.message);
			if (again && startedAt.has(again[1])) {
				waits.push((at - startedAt.get(again[1])!) / 1000);
				startedAt.delete(again[1]);
			}
		}
		return waits;
	}


	const findings: { durableJobsBeforeKill?: number; durableWaits?: number[] } = {};

	it('rows in batches to a sub-workflow in a worker: the sub-workflow runs there once per batch, every row once', async () => {
		const { status, body } = await callWebhook('fourme-batches');
		assert.equal(status, 200, JSON.stringify(body).slice(0, 500));
		const [summary, ...more] = body as Row[];
		assert.equal(more.length, 0, 'one summary item');
		assert.equal(summary.rows, 400);
		assert.equal(summary.batches, 4);
		const batches = posted.filter((entry) => entry.tag === 'batches').map((entry) => entry.body as { batch: number; ids: unknown[] });
		assert.deepEqual(batches.map((batch) => batch.batch), [1, 2, 3, 4], 'one after another, each once');
		assert.deepEqual(batches.flatMap((batch) => batch.ids.map(String)).sort(), sortedIds(fourme.records.list('requests'), 'id'), 'every request once');
		const { byWorker } = await whoRan(['qFourMeBatches']);
		assert.equal(byWorker[0].length + byWorker[1].length, 1, 'the export ran on a worker');
		// n8n stores each batch's run as a sub-execution of the export ('integrated'), run by the same worker.
		const children = await cluster.executions(['qCountBatch']);
		assert.deepEqual(children.map((row) => `${row.mode}/${row.status}`), ['integrated/success', 'integrated/success', 'integrated/success', 'integrated/success']);
	});

	it("4me Trigger with n8n's default static data: the main polls; after a SIGKILL no row is lost or doubled, but the running export is started again", async () => {
		// The first poll (at activation) kept "from now on"; the next one (n8n's schedule, within a
		// minute) starts an export for the changes, which runs until the test lets it finish.
		await waitUntil(async () => {
			const [row] = await cluster.query<{ staticData: unknown }>(`SELECT "staticData" FROM workflow_entity WHERE id = 'qTriggerDefault'`);
			return JSON.stringify(row?.staticData ?? null).includes('watermark');
		}, 'the first poll to keep its position', seconds(30), () => cluster.main!.tail());
		const jobsBefore = fourmeDefault.jobs.length;
		fourmeDefault.faults.neverFinish();
		const expected = changed(fourmeDefault, ['51', '52', '53']);
		await waitUntil(() => fourmeDefault.jobs.length > jobsBefore, 'a poll to start an export', seconds(75), () => cluster.main!.tail());
		await waitUntil(() => pollLines(cluster.main!).some((line) => line.message === '4me Trigger: 0 changed records'), 'that poll to end', seconds(30), () => cluster.main!.tail());
		const [stored] = await cluster.query<{ staticData: unknown }>(`SELECT "staticData" FROM workflow_entity WHERE id = 'qTriggerDefault'`);
		console.log(`# default static data in the database after a poll that emitted nothing: ${JSON.stringify(stored.staticData)}`);
		assert.doesNotMatch(JSON.stringify(stored.staticData), /pendingJob/, 'n8n saves the static data of a poll only when it emits');
		await stopMain('SIGKILL');
		fourmeDefault.releaseJobs();
		const restartedAt = Date.now();
		await cluster.startMain();
		await waitUntil(() => postedIds('default').length >= expected.length, 'the rows of the trigger', seconds(90), () => cluster.logs());
		console.log(`# default: rows posted ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after the restart; exports started: ${fourmeDefault.jobs.length - jobsBefore}`);
		assert.deepEqual(postedIds('default').sort(), expected, 'every changed request once');
		// The export of the killed main's poll was known only in its memory: the new main started another.
		assert.equal(fourmeDefault.jobs.length - jobsBefore, 2, 'a second export (the first is orphaned at the provider)');
		// Polls ran on the main only; the executions they started ran on the workers.
		for (const worker of cluster.workers) assert.deepEqual(pollLines(worker), [], `${worker.name} did not poll`);
		const triggerRuns = (await cluster.executions(['qTriggerDefault'])).filter((row) => row.mode === 'trigger');
		assert.ok(triggerRuns.length > 0);
		const { byWorker } = await whoRan(['qTriggerDefault']);
		assert.equal(byWorker.flat().length, triggerRuns.length, 'every trigger execution ran on a worker');
	});

	it('4me Trigger with durable poll cursors: after a SIGKILL of the main no row is lost or doubled, and the running export is resumed, not started again', async () => {
		await stopMain('SIGTERM');
		const defaultPosted = postedIds('default').length;
		await cluster.importWorkflows([triggerWorkflow('qTriggerDurable', 'fourMeTriggerDurable', 'durable', 'since')]);
		await cluster.publish(['qTriggerDurable']);
		const expected = fourmeDurable.records
			.list('requests')
			.filter((row) => Date.parse(String(row.updated_at)) > Date.parse(since))
			.map((row) => String(row.id))
			.sort();
		assert.ok(expected.length > 0);
		// A change the other trigger must emit once, from its position carried over into a durable cursor.
		const changedForDefault = changed(fourmeDefault, ['54']);
		await cluster.startMain(DURABLE_CURSORS);
		const committedJob = async () => {
			const rows = await cluster.query<{ cursor: { 'node:4me Trigger'?: { pendingJob?: { id: string } } } | string }>(`SELECT cursor FROM poller_state WHERE "workflowId" = 'qTriggerDurable'`);
			const cursor = typeof rows[0]?.cursor === 'string' ? JSON.parse(rows[0].cursor) : rows[0]?.cursor;
			return cursor?.pendingJob?.id ?? cursor?.['node:4me Trigger']?.pendingJob?.id;
		};
		const pending = await waitUntil(committedJob, 'a poll to commit its running export to the durable cursor', seconds(75), () => cluster.main!.tail());
		findings.durableJobsBeforeKill = fourmeDurable.jobs.length;
		findings.durableWaits = pollWaits(cluster.main!);
		console.log(`# durable: export ${pending} in the cursor; exports started before the kill: ${fourmeDurable.jobs.length}; poll waits (s): ${findings.durableWaits.join(', ')}`);
		await stopMain('SIGKILL');
		const jobsAtKill = fourmeDurable.jobs.length;
		fourmeDurable.releaseJobs();
		const restartedAt = Date.now();
		await cluster.startMain(DURABLE_CURSORS);
		await waitUntil(() => postedIds('durable').length >= expected.length, 'the rows of the durable trigger', seconds(150), () => cluster.logs());
		console.log(`# durable: rows posted ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after the restart; exports started after it: ${fourmeDurable.jobs.length - jobsAtKill}`);
		assert.deepEqual(postedIds('durable').sort(), expected, 'every changed request once');
		assert.equal(fourmeDurable.jobs.length, jobsAtKill, 'the export in the cursor was resumed, none started after the restart');
		// The other trigger's position (static data, saved when it emitted) became its durable cursor:
		// the change comes once, also after a poll of the restarted main (from the cursor n8n kept).
		await waitUntil(() => postedIds('default').length > defaultPosted, 'the changed request from the other trigger', seconds(90), () => cluster.logs());
		await waitUntil(() => fourmeDefault.jobs.some((job) => job.createdAt.getTime() > restartedAt && job.completedAt), 'a poll of the other trigger after the restart', seconds(75), () => cluster.logs());
		await waitUntil(async () => (await cluster.executions(['qTriggerDefault'])).every((row) => !['new', 'running'].includes(row.status)) && pollLines(cluster.main!).length >= 2, 'its executions to end', seconds(30));
		assert.deepEqual(postedIds('default').slice(defaultPosted), changedForDefault, 'the change once, nothing else again');
		for (const worker of cluster.workers) assert.deepEqual(pollLines(worker), [], `${worker.name} did not poll`);
	});

	it('4me Trigger with durable poll cursors: its first activation starts one export', { todo: 'n8n 2.41.1 polls a newly activated workflow twice (at activation, then the scheduler with the cursor it seeded before): see the report' }, () => {
		assert.equal(findings.durableJobsBeforeKill, 1);
	});

	it('4me Trigger with the durable scheduler: a poll waits its Max Wait per Poll (6 s) for the export', () => {
		assert.ok(findings.durableWaits && findings.durableWaits.length > 0);
		for (const wait of findings.durableWaits) assert.ok(wait >= 5, `a poll waited ${wait} s`);
	});
});
