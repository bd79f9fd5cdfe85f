import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import type { IHttpRequestOptions } from 'n8n-workflow';

import { FourMeApi, fourMeBaseUrl } from '../../credentials/FourMeApi.credentials';
import { DEFAULT_CLIENT_NAME, MewsConnectorApi, mewsPlatformAddress } from '../../credentials/MewsConnectorApi.credentials';

describe('4me credential', () => {
	const authenticate = new FourMeApi().authenticate as (
		credentials: Record<string, unknown>,
		request: IHttpRequestOptions,
	) => Promise<IHttpRequestOptions>;

	it('sends the token as a Bearer token and the account in X-4me-Account on 4me hosts', async () => {
		const request = await authenticate({ token: 't0k', account: 'wdc', instance: 'https://api.4me.com/v1' }, { url: '/export' });
		assert.deepEqual(request.headers, { Authorization: 'Bearer t0k', 'X-4me-Account': 'wdc' });
	});

	it('names the account header X-Xurrent-Account on Xurrent hosts', async () => {
		const request = await authenticate(
			{ token: 't0k', account: 'wdc', instance: 'https://api.uk.xurrent.com/v1' },
			{ url: '/export', headers: { Accept: 'application/json' } },
		);
		assert.deepEqual(request.headers, { Accept: 'application/json', Authorization: 'Bearer t0k', 'X-Xurrent-Account': 'wdc' });
	});

	it('uses the custom base URL without its trailing slash', () => {
		assert.equal(fourMeBaseUrl({ instance: 'custom', baseUrl: 'https://proxy.example.com/4me/v1/' }), 'https://proxy.example.com/4me/v1');
		assert.equal(fourMeBaseUrl({ instance: 'https://api.4me-demo.com/v1' }), 'https://api.4me-demo.com/v1');
	});
});

describe('Mews credential', () => {
	const authenticate = new MewsConnectorApi().authenticate as (
		credentials: Record<string, unknown>,
		request: IHttpRequestOptions,
	) => Promise<IHttpRequestOptions>;

	it('puts the tokens and the client name into the JSON body, keeping the request fields', async () => {
		const request = await authenticate(
			{ clientToken: 'ct', accessToken: 'at', client: 'My integration 2.0', platform: 'https://api.mews.com' },
			{ url: '/api/connector/v1/exports/add', method: 'POST', body: { EntityType: 'Reservation' } },
		);
		assert.deepEqual(request.body, { EntityType: 'Reservation', ClientToken: 'ct', AccessToken: 'at', Client: 'My integration 2.0' });
		assert.equal(request.headers, undefined, 'nothing in headers');
	});

	it('names the client after this package and its version by default', async () => {
		const pkg = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { name: string; version: string };
		assert.equal(DEFAULT_CLIENT_NAME, `${pkg.name} ${pkg.version}`);
		const request = await authenticate({ clientToken: 'ct', accessToken: 'at', client: '' }, { url: '/x', body: undefined });
		assert.equal((request.body as Record<string, unknown>).Client, DEFAULT_CLIENT_NAME);
	});

	it('uses the custom platform address without its trailing slash', () => {
		assert.equal(mewsPlatformAddress({ platform: 'custom', platformAddress: 'https://proxy.example.com/mews/' }), 'https://proxy.example.com/mews');
		assert.equal(mewsPlatformAddress({ platform: 'https://api.mews-demo.com' }), 'https://api.mews-demo.com');
	});
});
