/**
 * Downloads that carry the credential (a file served by the provider's API, such as Rebilly's
 * /files/{id}/download): through n8n's own credential helper, to the API's exact origin only.
 * A redirect to storage, or to the same host on another port, arrives without it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { ICredentialType, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { filesToRows } from '../../nodes/shared/output';
import { sendText, startServer, type RunningServer } from '../emulators/http';
import { executeNode, findSecrets, type TestCredentials } from '../helpers/n8n';

const API_KEY = 'sk_test_download_4f1c9e';
const CSV = 'id,name\r\n1,Ada\r\n2,Grace\r\n';

class DownloadTestApi implements ICredentialType {
	name = 'downloadTestApi';
	displayName = 'Download Test API';
	properties = [{ displayName: 'API Key', name: 'apiKey', type: 'string' as const, typeOptions: { password: true }, default: '' }];
	authenticate = { type: 'generic' as const, properties: { headers: { 'X-Api-Key': '={{$credentials.apiKey}}' } } };
}

/** Reads the file at the `url` parameter as rows, with the credential for the API's origin. */
class DownloadTest implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Download Test',
		name: 'downloadTest',
		group: ['transform'],
		version: 1,
		description: 'Test node',
		defaults: { name: 'Download Test' },
		inputs: ['main'],
		outputs: ['main'],
		credentials: [{ name: 'downloadTestApi', required: true }],
		properties: [
			{ displayName: 'URL', name: 'url', type: 'string', default: '' },
			{ displayName: 'API Origin', name: 'apiOrigin', type: 'string', default: '' },
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const url = this.getNodeParameter('url', 0) as string;
		const origin = this.getNodeParameter('apiOrigin', 0) as string;
		const file = { url, auth: { credentialType: 'downloadTestApi', origin } };
		return [await filesToRows(this, [file], { download: {}, parse: {}, pairedItem: { item: 0 } })];
	}
}

interface Seen {
	path: string;
	apiKey?: string;
}

describe('downloads that carry the credential', () => {
	let api: RunningServer;
	let storage: RunningServer;
	let otherPort: RunningServer;
	const seen: Record<'api' | 'storage' | 'otherPort', Seen[]> = { api: [], storage: [], otherPort: [] };
	const credentials: TestCredentials = { downloadTestApi: { type: new DownloadTestApi(), data: { apiKey: API_KEY } } };

	before(async () => {
		const serveFile = (host: keyof typeof seen) => (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
			seen[host].push({ path: req.url ?? '', apiKey: req.headers['x-api-key'] as string | undefined });
			sendText(res, 200, CSV, 'text/csv');
		};
		storage = await startServer(serveFile('storage'));
		otherPort = await startServer(serveFile('otherPort'));
		api = await startServer((req, res) => {
			seen.api.push({ path: req.url ?? '', apiKey: req.headers['x-api-key'] as string | undefined });
			if (req.headers['x-api-key'] !== API_KEY) return sendText(res, 401, 'no key', 'text/plain');
			const redirect = (location: string, status = 302) => {
				res.writeHead(status, { location });
				res.end();
			};
			switch (req.url) {
				case '/files/direct/download':
					return sendText(res, 200, CSV, 'text/csv');
				// A misbehaving API (or proxy) that echoes the request's headers in its error.
				case '/files/echo/download':
					return sendText(res, 403, JSON.stringify({ error: 'forbidden', request: { headers: req.headers } }), 'application/json');
				case '/files/same-origin/download':
					return redirect('/files/direct/download');
				// Another origin: the storage host's name differs from the API's.
				case '/files/storage/download':
					return redirect(`http://localhost:${storage.port}/bucket/export.csv?X-Amz-Signature=abc`);
				// The same host name on another port is another origin too.
				case '/files/other-port/download':
					return redirect(`http://127.0.0.1:${otherPort.port}/export.csv`, 307);
				default:
					return sendText(res, 404, 'not found', 'text/plain');
			}
		});
	});
	after(async () => {
		await Promise.all([api?.close(), storage?.close(), otherPort?.close()]);
	});

	async function download(path: string) {
		for (const list of Object.values(seen)) list.length = 0;
		const result = await executeNode({
			node: new DownloadTest(),
			parameters: { url: `${api.origin}${path}`, apiOrigin: api.origin },
			credentials,
		});
		assert.equal(result.error, undefined, result.error?.message);
		assert.deepEqual(result.items.map((item) => item.json), [
			{ id: '1', name: 'Ada' },
			{ id: '2', name: 'Grace' },
		]);
		assert.deepEqual(findSecrets(result, credentials), [], 'no secret in the output, errors or logs');
		return result;
	}

	it('sends the credential to the API when the API serves the file itself', async () => {
		await download('/files/direct/download');
		assert.deepEqual(seen.api, [{ path: '/files/direct/download', apiKey: API_KEY }]);
	});

	it('masks the credential an error answer of the API echoes', async () => {
		const result = await executeNode({
			node: new DownloadTest(),
			parameters: { url: `${api.origin}/files/echo/download`, apiOrigin: api.origin },
			credentials,
		});
		assert.ok(result.error);
		assert.match(result.error.message, /403|forbidden|refused|denied/i);
		assert.deepEqual(findSecrets(result, credentials), [], 'the echoed key is not in the error, its messages or the logs');
	});

	it('keeps the credential on a redirect within the API origin', async () => {
		await download('/files/same-origin/download');
		assert.deepEqual(seen.api.map((request) => request.apiKey), [API_KEY, API_KEY]);
	});

	it('follows a redirect to storage without the credential', async () => {
		await download('/files/storage/download');
		assert.equal(seen.api[0].apiKey, API_KEY);
		assert.equal(seen.storage.length, 1);
		assert.equal(seen.storage[0].apiKey, undefined, 'the storage host never sees the key');
	});

	it('drops the credential on a redirect to the same host name on another port', async () => {
		await download('/files/other-port/download');
		assert.equal(seen.otherPort.length, 1);
		assert.equal(seen.otherPort[0].apiKey, undefined);
	});

	it('never sends the credential to a file URL on another origin', async () => {
		for (const list of Object.values(seen)) list.length = 0;
		const result = await executeNode({
			node: new DownloadTest(),
			parameters: { url: `http://localhost:${storage.port}/bucket/export.csv`, apiOrigin: api.origin },
			credentials,
		});
		assert.equal(result.error, undefined, result.error?.message);
		assert.equal(result.items.length, 2);
		assert.deepEqual(seen.api, []);
		assert.equal(seen.storage[0].apiKey, undefined);
	});
});
