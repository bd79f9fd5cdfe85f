/**
 * Self-test of the n8n harness: toy nodes and credentials, defined here, run through n8n's
 * real engine against a tiny HTTP server on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';

import { NodeApiError, NodeConnectionTypes, VersionedNodeType, sleep } from 'n8n-workflow';
import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IPollFunctions,
	JsonObject,
} from 'n8n-workflow';

import { executeNode, findLeakedFields, findSecrets, pollTrigger, readBinary, redactSecrets, testCredential } from './n8n';

// ---------------------------------------------------------------------------------------------
// A tiny API: POST /login, GET /me (credential test), /items, /missing (404), /events?since=N
// ---------------------------------------------------------------------------------------------

const GOOD_TOKEN = 'tok-secret-1234567890';
const SESSION_TOKEN = 'session-42';

interface ReceivedRequest {
	method: string;
	url: string;
	headers: http.IncomingHttpHeaders;
}

const received: ReceivedRequest[] = [];
const events = [
	{ id: 1, name: 'first' },
	{ id: 2, name: 'second' },
];

async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
	received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
	const url = new URL(req.url ?? '/', 'http://127.0.0.1');
	const reply = (status: number, body: unknown) => {
		res.writeHead(status, { 'content-type': 'application/json' });
		res.end(JSON.stringify(body));
	};
	if (req.method === 'POST' && url.pathname === '/login') {
		const { apiKey } = JSON.parse(await readBody(req)) as { apiKey?: string };
		return apiKey === GOOD_TOKEN ? reply(200, { token: SESSION_TOKEN }) : reply(403, {});
	}
	const authorized =
		req.headers.authorization === `Bearer ${GOOD_TOKEN}` ||
		req.headers.authorization === `Session ${SESSION_TOKEN}` ||
		req.headers['x-api-key'] === GOOD_TOKEN;
	if (!authorized) return reply(401, { message: 'Invalid token' });
	if (url.pathname === '/me') return reply(200, { user: 'ada' });
	if (url.pathname === '/items') return reply(200, { ok: true, query: url.searchParams.get('q') });
	if (url.pathname === '/events') {
		const since = Number(url.searchParams.get('since') ?? 0);
		return reply(200, events.filter((event) => event.id > since));
	}
	return reply(404, { message: 'No such thing' });
}

async function readBody(req: http.IncomingMessage): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks).toString();
}

const server = http.createServer((req, res) => void handle(req, res));
let baseUrl = '';

before(async () => {
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
	server.closeAllConnections();
	server.close();
});
beforeEach(() => {
	received.length = 0;
});

// ---------------------------------------------------------------------------------------------
// Toy credentials
// ---------------------------------------------------------------------------------------------

/** Generic (object) authenticate, with n8n expressions. */
const toyBearerApi: ICredentialType = {
	name: 'toyBearerApi',
	displayName: 'Toy Bearer API',
	properties: [
		{ displayName: 'Base URL', name: 'baseUrl', type: 'string', default: '' },
		{
			displayName: 'Token',
			name: 'token',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
		// Left out of the test data: n8n must fill in the default.
		{ displayName: 'Tenant', name: 'tenant', type: 'string', default: 'default-tenant' },
	],
	authenticate: {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '=Bearer {{$credentials.token}}',
				'X-Tenant': '={{$credentials.tenant}}',
			},
		},
	},
	test: { request: { baseURL: '={{$credentials.baseUrl}}', url: '/me' } },
};

/** Function-form authenticate. */
const toyKeyApi: ICredentialType = {
	name: 'toyKeyApi',
	displayName: 'Toy Key API',
	properties: [
		{ displayName: 'Base URL', name: 'baseUrl', type: 'string', default: '' },
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
	],
	authenticate: async (credentials: ICredentialDataDecryptedObject, options: IHttpRequestOptions) => ({
		...options,
		headers: { ...options.headers, 'X-Api-Key': credentials.apiKey as string },
	}),
};

/** Logs in with an API key for a session token (preAuthentication with an expirable field). */
const toySessionApi: ICredentialType = {
	name: 'toySessionApi',
	displayName: 'Toy Session API',
	properties: [
		{ displayName: 'Base URL', name: 'baseUrl', type: 'string', default: '' },
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
		{
			displayName: 'Session Token',
			name: 'sessionToken',
			type: 'hidden',
			typeOptions: { expirable: true },
			default: '',
		},
	],
	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject) {
		const { token } = (await this.helpers.httpRequest({
			method: 'POST',
			url: `${credentials.baseUrl as string}/login`,
			body: { apiKey: credentials.apiKey },
			json: true,
		})) as { token: string };
		return { sessionToken: token };
	},
	authenticate: {
		type: 'generic',
		properties: { headers: { Authorization: '=Session {{$credentials.sessionToken}}' } },
	},
	test: { request: { baseURL: '={{$credentials.baseUrl}}', url: '/me' } },
};

const bearer = (token = GOOD_TOKEN) => ({
	toyBearerApi: { type: toyBearerApi, data: { baseUrl, token } },
});

// ---------------------------------------------------------------------------------------------
// Toy nodes
// ---------------------------------------------------------------------------------------------

function description(name: string, extra: Partial<INodeTypeDescription> = {}): INodeTypeDescription {
	return {
		displayName: name,
		name,
		group: ['transform'],
		version: 1,
		description: name,
		defaults: { name },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties: [],
		...extra,
	};
}

/** GETs `path` for every item, authenticated with the chosen credential. */
class ToyHttp implements INodeType {
	description = description('toyHttp', {
		credentials: [
			{ name: 'toyBearerApi', required: true, displayOptions: { show: { auth: ['bearer'] } } },
			{ name: 'toyKeyApi', required: true, displayOptions: { show: { auth: ['key'] } } },
			{ name: 'toySessionApi', required: true, displayOptions: { show: { auth: ['session'] } } },
		],
		properties: [
			{
				displayName: 'Authentication',
				name: 'auth',
				type: 'options',
				options: [
					{ name: 'Bearer', value: 'bearer' },
					{ name: 'Key', value: 'key' },
					{ name: 'Session', value: 'session' },
				],
				default: 'bearer',
			},
			{ displayName: 'Path', name: 'path', type: 'string', default: '/items' },
		],
	});

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const auth = this.getNodeParameter('auth', 0) as 'bearer' | 'key' | 'session';
		const credentialType = { bearer: 'toyBearerApi', key: 'toyKeyApi', session: 'toySessionApi' }[auth];
		const { baseUrl } = await this.getCredentials<{ baseUrl: string }>(credentialType);
		const items = this.getInputData();
		const output: INodeExecutionData[] = [];
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			const path = this.getNodeParameter('path', itemIndex) as string;
			this.logger.info(`GET ${path}`, { itemIndex });
			const body = (await this.helpers.httpRequestWithAuthentication.call(this, credentialType, {
				method: 'GET',
				url: `${baseUrl}${path}`,
				qs: { q: items[itemIndex].json.q as string },
				json: true,
			})) as IDataObject;
			output.push({ json: body, pairedItem: { item: itemIndex } });
		}
		return [output];
	}
}

/** Works until the execution is cancelled, then returns (or rethrows the abort). */
class ToySleep implements INodeType {
	description = description('toySleep', {
		properties: [
			{
				displayName: 'On Cancel',
				name: 'onCancel',
				type: 'options',
				options: [
					{ name: 'Return', value: 'return' },
					{ name: 'Throw', value: 'throw' },
				],
				default: 'return',
			},
		],
	});

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const signal = this.getExecutionCancelSignal();
		// Whether the cancel came before the node ran (the cancel tests want it while it runs).
		const abortedAtStart = signal?.aborted === true;
		let ticks = 0;
		try {
			for (;;) {
				await sleep(50, signal);
				ticks++;
			}
		} catch (error) {
			if (!signal?.aborted || this.getNodeParameter('onCancel', 0) === 'throw') throw error;
			this.logger.info('cancelled', { ticks });
		}
		return [[{ json: { ticks, abortedAtStart }, pairedItem: { item: 0 } }]];
	}
}

class ToyFail implements INodeType {
	description = description('toyFail');

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		throw new NodeApiError(this.getNode(), { message: 'Quota exceeded' } as JsonObject, {
			message: 'The service is rate limiting you',
			description: 'Try again in 60 seconds',
			httpCode: '429',
		});
	}
}

/** Returns a file built from a stream. */
class ToyFile implements INodeType {
	description = description('toyFile', {
		properties: [{ displayName: 'Text', name: 'text', type: 'string', default: 'a,b\n1,2\n' }],
	});

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const text = this.getNodeParameter('text', 0) as string;
		const stream = Readable.from([Buffer.from(text.slice(0, 3)), Buffer.from(text.slice(3))]);
		const data = await this.helpers.prepareBinaryData(stream, 'export.csv', 'text/csv');
		return [[{ json: { fileName: 'export.csv' }, binary: { data }, pairedItem: { item: 0 } }]];
	}
}

/** Version 1 and 2 of a node; new nodes get the default version, 2. */
class ToyVersioned extends VersionedNodeType {
	constructor() {
		const version = (n: number): INodeType => ({
			description: description('toyVersioned', {
				version: n,
				properties: [{ displayName: 'Greeting', name: 'greeting', type: 'string', default: `hi v${n}` }],
			}),
			async execute(this: IExecuteFunctions) {
				return [[{ json: { greeting: this.getNodeParameter('greeting', 0) }, pairedItem: { item: 0 } }]];
			},
		});
		super(
			{ 1: version(1), 2: version(2) },
			{
				displayName: 'Toy Versioned',
				name: 'toyVersioned',
				group: ['transform'],
				description: '',
				defaultVersion: 2,
			},
		);
	}
}

/** Emits events newer than the last one it saw (kept in the node's static data). */
class ToyPoll implements INodeType {
	description = description('toyPoll', {
		group: ['trigger'],
		polling: true,
		inputs: [],
		credentials: [{ name: 'toyBearerApi', required: true }],
	});

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const state = this.getWorkflowStaticData('node');
		const since = (state.lastId as number | undefined) ?? 0;
		const { baseUrl } = await this.getCredentials<{ baseUrl: string }>('toyBearerApi');
		const found = (await this.helpers.httpRequestWithAuthentication.call(this, 'toyBearerApi', {
			url: `${baseUrl}/events`,
			qs: { since },
			json: true,
		})) as Array<{ id: number }>;
		if (found.length === 0) return null;
		state.lastId = Math.max(...found.map((event) => event.id));
		return [this.helpers.returnJsonArray(found)];
	}
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe('executeNode', () => {
	it('sends generic-authenticated requests and returns items with pairedItem', async () => {
		const result = await executeNode({
			node: new ToyHttp(),
			credentials: bearer(),
			input: [{ json: { q: 'one' } }, { json: { q: 'two' } }],
		});

		assert.equal(result.error, undefined);
		assert.equal(result.status, 'success');
		assert.deepEqual(
			result.items.map((item) => item.json),
			[
				{ ok: true, query: 'one' },
				{ ok: true, query: 'two' },
			],
		);
		assert.deepEqual(
			result.items.map((item) => item.pairedItem),
			[{ item: 0 }, { item: 1 }],
		);
		assert.deepEqual(
			received.map((request) => request.url),
			['/items?q=one', '/items?q=two'],
		);
		assert.equal(received[0].headers.authorization, `Bearer ${GOOD_TOKEN}`);
		assert.equal(received[0].headers['x-tenant'], 'default-tenant', 'credential default applied');
		assert.ok(result.logs.some((line) => line.level === 'info' && line.message === 'GET /items'));
	});

	it('applies function-form authenticate', async () => {
		const result = await executeNode({
			node: new ToyHttp(),
			parameters: { auth: 'key', path: '/me' },
			credentials: { toyKeyApi: { type: toyKeyApi, data: { baseUrl, apiKey: GOOD_TOKEN } } },
		});

		assert.equal(result.error, undefined);
		assert.deepEqual(result.items[0].json, { user: 'ada' });
		assert.equal(received[0].headers['x-api-key'], GOOD_TOKEN);
		assert.equal(received[0].headers.authorization, undefined);
	});

	it('runs preAuthentication to fill an empty expirable field', async () => {
		const result = await executeNode({
			node: new ToyHttp(),
			parameters: { auth: 'session' },
			credentials: { toySessionApi: { type: toySessionApi, data: { baseUrl, apiKey: GOOD_TOKEN } } },
		});

		assert.equal(result.error, undefined);
		assert.deepEqual(
			received.map((request) => `${request.method} ${request.url}`),
			['POST /login', 'GET /items'],
		);
		assert.equal(received[1].headers.authorization, `Session ${SESSION_TOKEN}`);
	});

	it('returns an HTTP failure as the NodeApiError n8n records, without the secret', async () => {
		const result = await executeNode({
			node: new ToyHttp(),
			parameters: { path: '/missing' },
			credentials: bearer(),
		});

		assert.equal(result.status, 'error');
		assert.equal(result.error?.name, 'NodeApiError');
		assert.equal(result.error?.httpCode, '404');
		assert.equal(result.items.length, 0);
		assert.equal(received[0].headers.authorization, `Bearer ${GOOD_TOKEN}`);
		assert.deepEqual(findSecrets(result, bearer()), [], 'the token leaked into the result');
		const leaky = new Error('wrapped', { cause: { headers: { authorization: GOOD_TOKEN } } });
		assert.deepEqual(findSecrets({ leaky }, bearer()), [GOOD_TOKEN], 'findSecrets sees causes');
		assert.deepEqual(findLeakedFields({ leaky }, bearer()), ['token'], 'findLeakedFields names the field, not the value');
		assert.deepEqual(findLeakedFields(result, bearer()), []);
		assert.equal(redactSecrets(`Bearer ${GOOD_TOKEN}, again ${GOOD_TOKEN}`, bearer()), 'Bearer ‹token›, again ‹token›');
	});

	it('returns a thrown NodeApiError with its message, description and httpCode', async () => {
		const result = await executeNode({ node: new ToyFail() });

		assert.equal(result.status, 'error');
		assert.equal(result.error?.name, 'NodeApiError');
		assert.equal(result.error?.message, 'The service is rate limiting you');
		assert.equal(result.error?.description, 'Try again in 60 seconds');
		assert.equal(result.error?.httpCode, '429');
	});

	it('passes the input through and records the error when the node continues on fail', async () => {
		const result = await executeNode({
			node: new ToyFail(),
			continueOnFail: true,
			input: [{ json: { id: 7 } }],
		});

		assert.deepEqual(result.items[0].json, { id: 7 });
		// WorkflowExecute keeps the last node's error, so the run still ends as 'error'.
		assert.equal(result.status, 'error');
		assert.equal(result.error?.message, 'The service is rate limiting you');
	});

	it('cancels through the node’s cancel signal', async () => {
		const result = await executeNode({ node: new ToySleep(), cancelAfterMs: 300 });

		assert.equal(result.cancelled, true);
		assert.equal(result.status, 'canceled');
		// Not before cancelAfterMs (a lower bound set by the schedule; no upper one: a loaded machine is slow).
		assert.ok(result.durationMs >= 290, `returned early: ${result.durationMs} ms`);
		// ToySleep only ever stops when its signal aborts: that it returned its item at all is the cancel
		// reaching it, and it was cancelled while it ran (not before it started).
		assert.ok(result.logs.some((line) => line.message === 'cancelled'));
		assert.equal(result.items[0].json.abortedAtStart, false, 'the cancel came while the node ran');
		assert.equal(typeof result.items[0].json.ticks, 'number');
	});

	it('records the abort error of a node that throws on cancel', async () => {
		const result = await executeNode({
			node: new ToySleep(),
			parameters: { onCancel: 'throw' },
			cancelAfterMs: 100,
		});

		assert.equal(result.cancelled, true);
		assert.equal(result.status, 'error');
		// The AbortError of the node's sleep: the node's signal aborted it, the only way ToySleep ends.
		assert.equal(result.error?.message, 'This operation was aborted');
		assert.ok(result.durationMs >= 90, `returned before the cancel: ${result.durationMs} ms`);
	});

	it('runs the default version of a versioned node, or the one asked for', async () => {
		const latest = await executeNode({ node: new ToyVersioned() });
		const first = await executeNode({ node: new ToyVersioned(), typeVersion: 1 });

		assert.equal(latest.items[0].json.greeting, 'hi v2');
		assert.equal(first.items[0].json.greeting, 'hi v1');
	});

	it('stores binary data that can be read back', async () => {
		const result = await executeNode({ node: new ToyFile() });

		assert.equal(result.error, undefined);
		const { binary } = result.items[0];
		assert.equal(binary?.data.fileName, 'export.csv');
		assert.equal(binary?.data.mimeType, 'text/csv');
		assert.equal((await readBinary(result.items[0], 'data')).toString(), 'a,b\n1,2\n');
	});
});

describe('pollTrigger', () => {
	it('keeps static data across scheduled polls', async () => {
		const staticData: IDataObject = {};
		const options = { node: new ToyPoll(), credentials: bearer(), staticData };

		const first = await pollTrigger(options);
		assert.deepEqual(
			first.items?.map((item) => item.json.id),
			[1, 2],
		);
		assert.equal((staticData['node:toyPoll'] as IDataObject).lastId, 2);
		assert.equal(received[0].headers.authorization, `Bearer ${GOOD_TOKEN}`);

		const second = await pollTrigger(options);
		assert.equal(second.items, null);
		assert.equal(received[1].url, '/events?since=2');
	});

	it('does not save static data after a manual "Fetch test event"', async () => {
		const staticData: IDataObject = {};
		const fetched = await pollTrigger({
			node: new ToyPoll(),
			credentials: bearer(),
			staticData,
			mode: 'manual',
		});

		assert.equal(fetched.items?.length, 2);
		assert.equal((fetched.staticData['node:toyPoll'] as IDataObject).lastId, 2);
		assert.deepEqual(staticData, {});
	});
});

describe('testCredential', () => {
	it('reports OK for a valid token', async () => {
		assert.deepEqual(await testCredential(toyBearerApi, { baseUrl, token: GOOD_TOKEN }), {
			status: 'OK',
			message: 'Connection successful!',
		});
		assert.equal(received[0].headers.authorization, `Bearer ${GOOD_TOKEN}`);
		assert.equal(received[0].url, '/me');
	});

	it('runs preAuthentication before the test request', async () => {
		const result = await testCredential(toySessionApi, { baseUrl, apiKey: GOOD_TOKEN });

		assert.equal(result.status, 'OK');
		assert.equal(received[1].headers.authorization, `Session ${SESSION_TOKEN}`);
	});

	it('reports an Error when the server answers 401', async () => {
		const result = await testCredential(toyBearerApi, { baseUrl, token: 'wrong' });

		// n8n reports the response's status text for a non-2xx answer.
		assert.deepEqual(result, { status: 'Error', message: 'Unauthorized' });
	});
});
