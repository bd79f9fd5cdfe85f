/**
 * Self-test of the fault matrix's tools, so that a case fails because of the node, never
 * because of the harness: the proxy's rules and actions, the payloads, and the model of n8n's
 * static-data persistence (memory / durable cursors, kills).
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { inflateRawSync } from 'node:zlib';

import JSZip from 'jszip';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import type { IDataObject, INodeExecutionData, INodeType, INodeTypeDescription, IPollFunctions } from 'n8n-workflow';

import { ActiveWorkflowStaticData, pollTrigger } from '../helpers/n8n';
import { buildZip, damage, withHugeField, zipBomb } from './payloads';
import { fourMeProfile, startRun } from './profiles';
import { FaultProxy, REDIRECT_MARKER, otherHostOf, sinkOf } from './proxy';
import { describeLeak, leaksIn, redactRecord, type CaseRecord } from './runner';

// ---------------------------------------------------------------------------------------------
// A tiny upstream: an API that points at its storage, and the storage

const FILE = Buffer.from(
	'id,name,team,remarks\n1,Ada,"Engines, analytical",none\n2,Grace,Compilers,none\n3,Edsger,Algorithms,none\n4,Barbara,Languages,none\n5,Donald,Typesetting,none\n6,Frances,Compilers,fine\n',
);

describe('fault proxy', () => {
	let api: http.Server;
	let storage: http.Server;
	let proxy: FaultProxy;
	const upstreamSeen: string[] = [];

	before(async () => {
		storage = http.createServer((req, res) => {
			upstreamSeen.push(`storage ${req.url}`);
			res.writeHead(200, { 'content-type': 'text/csv', 'content-length': FILE.length });
			res.end(FILE);
		});
		await new Promise<void>((resolve) => storage.listen(0, '127.0.0.1', resolve));
		const storageOrigin = `http://localhost:${(storage.address() as AddressInfo).port}`;
		api = http.createServer((req, res) => {
			upstreamSeen.push(`api ${req.method} ${req.url}`);
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ state: 'done', url: `${storageOrigin}/exports/file.csv?sig=abc` }));
		});
		await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
		proxy = await FaultProxy.start({ api: `http://127.0.0.1:${(api.address() as AddressInfo).port}`, storage: storageOrigin });
	});
	after(async () => {
		await proxy.close();
		api.close();
		storage.close();
	});

	const status = async () => (await (await fetch(`${proxy.apiOrigin}/status`)).json()) as { url: string };

	it('points the API answers at its own storage side, and forwards downloads', async () => {
		const { url } = await status();
		assert.ok(url.startsWith(`${proxy.storageOrigin}/exports/file.csv?sig=abc`), url);
		assert.deepEqual(Buffer.from(await (await fetch(url)).arrayBuffer()), FILE);
		const download = proxy.records.at(-1);
		assert.equal(download?.side, 'storage');
		assert.equal(download?.toApiOrigin, false);
		assert.equal(proxy.records.at(-2)?.toApiOrigin, true);
	});

	it('applies a rule after `skip` matches, `times` times, and counts hits', async () => {
		const name = proxy.addRule({ side: 'api', path: /^\/status$/, skip: 1, times: 2, action: { kind: 'respond', status: 503, body: 'busy' } });
		const statuses = [];
		for (let index = 0; index < 4; index++) statuses.push((await fetch(`${proxy.apiOrigin}/status`)).status);
		assert.deepEqual(statuses, [200, 503, 503, 200]);
		assert.equal(proxy.hits(name), 2);
		assert.equal(proxy.count({ side: 'api', path: /^\/status$/, status: [500, 599] }), 2);
		proxy.clearRules();
	});

	it('resets, truncates, stalls and keeps silent as asked', async () => {
		const { url } = await status();
		proxy.addRule({ side: 'storage', times: 1, action: { kind: 'reset' } });
		await assert.rejects(fetch(url));
		proxy.addRule({ side: 'storage', times: 1, action: { kind: 'truncate', afterBytes: 10 } });
		await assert.rejects(fetch(url).then((response) => response.arrayBuffer()));
		proxy.addRule({ side: 'storage', times: 1, action: { kind: 'resetMidBody', afterBytes: 10 } });
		await assert.rejects(fetch(url).then((response) => response.arrayBuffer()));
		const stall = proxy.addRule({ side: 'storage', times: 1, action: { kind: 'stall', afterBytes: 10 } });
		const stalled = await fetch(url, { signal: AbortSignal.timeout(800) });
		assert.equal(stalled.headers.get('content-length'), String(FILE.length));
		await assert.rejects(stalled.arrayBuffer(), /abort|timeout/i);
		assert.equal(proxy.hits(stall), 1);
		proxy.addRule({ side: 'api', times: 1, action: { kind: 'noAnswer' } });
		await assert.rejects(fetch(`${proxy.apiOrigin}/status`, { signal: AbortSignal.timeout(500) }), /abort|timeout/i);
		proxy.clearRules();
	});

	it('marks redirect targets, and tells the API origin from another host name', async () => {
		proxy.addRule({ side: 'api', times: 1, action: { kind: 'redirect', status: 307, location: otherHostOf } });
		const redirected = await fetch(`${proxy.apiOrigin}/status`, { redirect: 'manual' });
		const location = redirected.headers.get('location') ?? '';
		assert.match(location, new RegExp(`^http://localhost:\\d+/status\\?${REDIRECT_MARKER}=`));
		await fetch(location);
		const target = proxy.records.at(-1);
		assert.equal(target?.redirected, true);
		assert.equal(target?.host, 'localhost');
		assert.equal(target?.toApiOrigin, false);

		proxy.addRule({ side: 'storage', times: 1, action: { kind: 'redirect', status: 302, location: sinkOf } });
		const { url } = await status();
		assert.deepEqual(Buffer.from(await (await fetch(url)).arrayBuffer()), FILE, 'the sink forwards to the side it came from');
		assert.equal(proxy.records.at(-1)?.side, 'sink');
		proxy.clearRules();
	});

	it('answers with an echo of the request, headers and body', async () => {
		proxy.addRule({ side: 'api', times: 1, action: { kind: 'echo', status: 400 } });
		const response = await fetch(`${proxy.apiOrigin}/status`, { method: 'POST', headers: { authorization: 'Bearer very-secret' }, body: '{"AccessToken":"also-secret"}' });
		const text = await response.text();
		assert.equal(response.status, 400);
		assert.match(text, /very-secret/);
		assert.match(text, /also-secret/);
	});

	it('on restart, drops the old origins and opens new ones', async () => {
		const oldOrigin = proxy.apiOrigin;
		const held = proxy.addRule({ side: 'api', times: 1, action: { kind: 'noAnswer' } });
		const inflight = fetch(`${oldOrigin}/status`).then(
			() => 'answered',
			() => 'failed',
		);
		await proxy.waitForHit(held);
		await proxy.restart();
		assert.equal(await inflight, 'failed');
		assert.notEqual(proxy.apiOrigin, oldOrigin);
		await assert.rejects(fetch(`${oldOrigin}/status`));
		assert.equal((await fetch(`${proxy.apiOrigin}/status`)).status, 200);
		assert.equal(proxy.records.at(-1)?.generation, 1);
	});
});

// ---------------------------------------------------------------------------------------------
// Payloads

describe('fault payloads', () => {
	it('streams a zip bomb that jszip reads and that inflates to what it says', async () => {
		const parts: Buffer[] = [];
		for await (const chunk of zipBomb({ entryName: 'export.csv', inflatedBytes: 8 * 1024 * 1024 })) parts.push(chunk);
		const zip = Buffer.concat(parts);
		assert.ok(zip.length < 16 * 1024, `${zip.length} bytes`);
		const loaded = await JSZip.loadAsync(zip);
		const content = await loaded.file('export.csv')!.async('nodebuffer');
		assert.equal(content.length, 8 * 1024 * 1024);
		assert.ok(content.every((byte) => byte === 0));
	});

	it('writes zip entry names as given, traversal included', () => {
		const zip = buildZip([{ name: '../../etc/x.csv', data: Buffer.from('a\n1\n') }]);
		const nameLength = zip.readUInt16LE(26);
		assert.equal(zip.subarray(30, 30 + nameLength).toString(), '../../etc/x.csv');
		assert.equal(inflateRawSync(zip.subarray(30 + nameLength, 30 + nameLength + zip.readUInt32LE(18))).toString(), 'a\n1\n');
	});

	const jsonl = Buffer.from(
		Array.from({ length: 8 }, (_, index) => JSON.stringify({ Id: `id-${index}`, Name: `Name ${index}`, Notes: 'plain, text', Count: index })).join('\n') + '\n',
	);

	it('damages a file where it says, keeping its size', () => {
		for (const what of ['invalid-utf8', 'nul', 'unterminated-quote', 'broken-line'] as const) {
			assert.equal(damage(jsonl, 'jsonl', what).length, jsonl.length, what);
			assert.equal(damage(FILE, 'csv', what).length, FILE.length, what);
		}
		assert.equal(damage(jsonl, 'jsonl', 'ragged').length, jsonl.length);
		assert.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(damage(FILE, 'csv', 'invalid-utf8')));
		assert.ok(damage(FILE, 'csv', 'nul').includes(0));
		const lines = damage(jsonl, 'jsonl', 'broken-line').toString().trim().split('\n');
		assert.equal(lines.length, 9);
		assert.throws(() => JSON.parse(damage(jsonl, 'jsonl', 'unterminated-quote').toString().trim().split('\n').at(-1)!));
		assert.ok(Array.isArray(JSON.parse(damage(jsonl, 'jsonl', 'ragged').toString().split('\n')[3])));
		const ragged = damage(FILE, 'csv', 'ragged').toString().split('\n');
		assert.equal(ragged[3].split(',').length, 5);
		assert.equal(ragged[5].split(',').length, 3);
		assert.equal(damage(FILE, 'csv', 'unterminated-quote').toString().trim().split('\n').at(-1), '6,Frances,Compilers,"ine');
		assert.equal(damage(FILE, 'csv', 'broken-line').toString().split('\n')[3], '3,Edsger');
	});

	it('makes a huge field lazily', async () => {
		const huge = withHugeField(FILE, 'csv', 3 * 1024 * 1024 + 5);
		let size = 0;
		let chunks = 0;
		for await (const chunk of huge.chunks) {
			size += chunk.length;
			chunks++;
		}
		assert.equal(size, FILE.length + 3 * 1024 * 1024 + 5 + 'huge-1,"'.length + '",,\n'.length);
		assert.ok(chunks > 4);
	});
});

// ---------------------------------------------------------------------------------------------
// n8n's static-data persistence, with a toy trigger: it counts its polls in static data, then
// emits, returns null or throws as its parameter says.

class ToyCounter implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Toy Counter',
		name: 'toyCounter',
		group: ['trigger'],
		version: 1,
		description: 'Counts polls',
		defaults: { name: 'Toy Counter' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		properties: [{ displayName: 'Outcome', name: 'outcome', type: 'string', default: 'emit' }],
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const state = this.getWorkflowStaticData('node');
		state.count = ((state.count as number | undefined) ?? 0) + 1;
		const outcome = this.getNodeParameter('outcome') as string;
		if (outcome === 'throw') throw new NodeOperationError(this.getNode(), 'toy failure');
		return outcome === 'null' ? null : [[{ json: { count: state.count } }]];
	}
}

const countOf = (data: IDataObject) => (data['node:Toy Counter'] as IDataObject | undefined)?.count;

describe('static-data persistence (n8n 2.41)', () => {
	const poll = (persistence: ActiveWorkflowStaticData, outcome: string) => pollTrigger({ node: new ToyCounter(), parameters: { outcome }, persistence });

	it('memory: a throw keeps its change in memory, unsaved; an emit saves', async () => {
		const store = new ActiveWorkflowStaticData('memory');
		assert.equal((await poll(store, 'null')).saved, 'none');
		assert.equal(countOf(store.live), 1);
		assert.equal(countOf(store.saved), undefined, 'a null return writes nothing');
		await assert.rejects(poll(store, 'throw'));
		assert.equal(countOf(store.live), 2, 'not rolled back');
		assert.equal((await poll(store, 'emit')).saved, 'saved');
		assert.equal(countOf(store.saved), 3);
		store.restart();
		assert.equal(countOf(store.live), 3);
	});

	it('durable: a throw is discarded, a null return and an emit are committed and saved', async () => {
		const store = new ActiveWorkflowStaticData('durable');
		await assert.rejects(poll(store, 'throw'));
		assert.equal(countOf(store.live), undefined, 'the staged copy was dropped');
		assert.equal((await poll(store, 'null')).saved, 'saved');
		assert.equal(countOf(store.saved), 1);
		assert.equal((await poll(store, 'emit')).saved, 'saved');
		assert.equal(countOf(store.saved), 2);
	});

	it('a kill before the save loses the emitted change; a failed save keeps it in memory', async () => {
		for (const mode of ['memory', 'durable'] as const) {
			const store = new ActiveWorkflowStaticData(mode);
			await poll(store, 'emit');
			store.interruptNextSave('kill');
			const killed = await poll(store, 'emit');
			assert.equal(killed.saved, 'killed');
			assert.equal(killed.items?.length, 1, 'the rows were emitted');
			assert.equal(countOf(store.live), 1, `${mode}: the restarted process has the saved count`);
			store.interruptNextSave('fail');
			assert.equal((await poll(store, 'emit')).saved, 'failed');
			assert.equal(countOf(store.live), 2);
			assert.equal(countOf(store.saved), 1);
		}
	});

	it('a poll of a killed process keeps its own copy and commits nothing', async () => {
		const store = new ActiveWorkflowStaticData('memory');
		await poll(store, 'emit');
		const inflight = poll(store, 'emit');
		store.restart();
		const abandoned = await inflight;
		assert.equal(abandoned.abandoned, true);
		assert.equal(countOf(store.live), 1);
		assert.equal(countOf(store.saved), 1);
	});
});

// ---------------------------------------------------------------------------------------------
// Leak detection, on a real profile

describe('leak detection', () => {
	it('reports a credential sent anywhere but the API origin, or found in what the node produced', async () => {
		const run = await startRun(fourMeProfile);
		try {
			const token = String(run.credentials().fourMeApi.data.token);
			const headers = { authorization: `Bearer ${token}` };
			await fetch(`${run.proxy.apiOrigin}/v1/me`, { headers });
			assert.deepEqual(leaksIn(run, { output: { ok: true } }), [], 'the API origin may see the token');
			await fetch(`${run.proxy.storageOrigin}/exports/x`, { headers });
			await fetch(`${run.proxy.sinkOrigin}/__api/v1/me`, { headers });
			// A path that carries the token: the record names the field instead.
			await fetch(`${run.proxy.storageOrigin}/exports/${token}`);
			const found = leaksIn(run, { 'the log': [`sent ${token}`] });
			const described = found.map(describeLeak);
			assert.equal(found.length, 4, described.join('; '));
			assert.ok(found.every((leak) => leak.fields.join() === 'token'), described.join('; '));
			assert.ok(described.includes('token in the log'), described.join('; '));
			assert.ok(described.some((place) => /storage side/.test(place)));
			assert.ok(described.some((place) => /other port/.test(place)));
			assert.ok(described.includes('token sent to GET /exports/‹token› on the storage side'), described.join('; '));
			assert.ok(!JSON.stringify(found).includes(token), 'a leak is recorded by its field, not its value');

			// What the record quotes (the error, problems, notes) is written to disk and the report.
			const record = { error: { message: `refused Bearer ${token}`, description: null }, problems: [`the error says "${token}"`], notes: [token] } as unknown as CaseRecord;
			redactRecord(record, run.credentials());
			assert.ok(!JSON.stringify(record).includes(token), JSON.stringify(record));
			assert.equal(record.error?.message, 'refused Bearer ‹token›');
			assert.deepEqual(record.problems, ['the error says "‹token›"']);
		} finally {
			await run.close();
		}
	});
});
