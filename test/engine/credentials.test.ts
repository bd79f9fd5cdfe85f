import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { IHttpRequestOptions } from 'n8n-workflow';

import { FourMeApi, fourMeBaseUrl } from '../../credentials/FourMeApi.credentials';

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
