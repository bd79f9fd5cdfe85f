import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';

import { startFourMeEmulator, type FourMeEmulator } from '../emulators/fourme';
import { runFourMe } from './fourme';

describe('4me node: start, status and download operations', () => {
	let emulator: FourMeEmulator;

	before(async () => {
		emulator = await startFourMeEmulator();
	});
	after(() => emulator.close());
	beforeEach(() => emulator.faults.reset());

	it('starts an export and returns its token at once', async () => {
		const result = await runFourMe(emulator, { operation: 'start', recordTypes: ['sites'] });
		assert.equal(result.error, undefined, result.error?.message);
		const [item] = result.items;
		assert.equal(item.json.token, emulator.jobs.at(-1)?.token);
		assert.equal(item.json.state, 'queued');
		assert.deepEqual(item.json.recordTypes, ['sites']);
		assert.equal(emulator.jobs.at(-1)?.polls, 0, 'nothing was polled');
	});

	it('reports the status of an export, and the usable download URL once done', async () => {
		const started = await runFourMe(emulator, { operation: 'start', recordTypes: ['teams'] });
		const token = String(started.items[0].json.token);
		const first = await runFourMe(emulator, { operation: 'getStatus', exportJob: token });
		assert.equal(first.items[0].json.token, token);
		assert.match(String(first.items[0].json.state), /^(queued|processing)$/);
		let status = first.items[0].json;
		for (let check = 0; check < 10 && status.state !== 'done'; check++) {
			status = (await runFourMe(emulator, { operation: 'getStatus', exportJob: token })).items[0].json;
		}
		assert.equal(status.state, 'done');
		assert.ok(String(status.url).startsWith(emulator.storageOrigin));
		assert.ok(!String(status.url).includes('\\u0026'));
		assert.ok(String(status.url).includes('&'));
		assert.ok(status.expires_at);
	});

	it('downloads by token, waiting for the export to finish', async () => {
		const started = await runFourMe(emulator, { operation: 'start', recordTypes: ['organizations'] });
		const result = await runFourMe(emulator, { operation: 'download', exportJob: String(started.items[0].json.token) });
		assert.equal(result.error, undefined, result.error?.message);
		assert.equal(result.items.length, emulator.records.count('organizations'));
	});

	it('downloads by URL after 4me has forgotten the token, and says what to do with a forgotten token', async () => {
		const started = await runFourMe(emulator, { operation: 'start', recordTypes: ['people', 'sites'] });
		const token = String(started.items[0].json.token);
		const done = await runFourMe(emulator, { operation: 'download', exportJob: token, output: 'file' });
		assert.equal(done.error, undefined, done.error?.message);
		let status = (await runFourMe(emulator, { operation: 'getStatus', exportJob: token })).items[0].json;
		assert.equal(status.state, 'done');
		const url = String(status.url);

		emulator.clock.advance(6 * 60 * 1000);
		status = (await runFourMe(emulator, { operation: 'getStatus', exportJob: token })).items[0].json;
		assert.equal(status.state, 'gone');
		const byToken = await runFourMe(emulator, { operation: 'download', exportJob: token });
		assert.match(byToken.error?.message ?? '', /no longer has the status of export/);
		assert.match(String(byToken.error?.description), /download URL/);

		const byUrl = await runFourMe(emulator, { operation: 'download', exportJob: url });
		assert.equal(byUrl.error, undefined, byUrl.error?.message);
		assert.equal(byUrl.items.length, emulator.records.count('people') + emulator.records.count('sites'));
		assert.ok(byUrl.items.every((item) => item.json._recordType === 'people' || item.json._recordType === 'sites'));
	});

	it('follows a redirect from a download URL to the file, still without credentials', async () => {
		const started = await runFourMe(emulator, { operation: 'start', recordTypes: ['teams'] });
		const token = String(started.items[0].json.token);
		await runFourMe(emulator, { operation: 'download', exportJob: token });
		const status = (await runFourMe(emulator, { operation: 'getStatus', exportJob: token })).items[0].json;
		const redirector = createServer((_request, response) => {
			response.writeHead(302, { location: String(status.url) }).end();
		});
		await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
		try {
			const { port } = redirector.address() as AddressInfo;
			const result = await runFourMe(emulator, { operation: 'download', exportJob: `http://127.0.0.1:${port}/short-link` });
			assert.equal(result.error, undefined, result.error?.message);
			assert.equal(result.items.length, emulator.records.count('teams'));
			const last = emulator.requests.filter((request) => request.host === 'storage').at(-1);
			assert.equal(last?.headers.authorization, undefined);
		} finally {
			redirector.close();
		}
	});

	it('runs once per input item, pairing every row with its item', async () => {
		const result = await runFourMe(
			emulator,
			{ recordTypes: '={{ $json.type }}' },
			{ input: [{ json: { type: 'teams' } }, { json: { type: 'sites' } }] },
		);
		assert.equal(result.error, undefined, result.error?.message);
		const teams = result.items.filter((item) => (item.pairedItem as { item: number }).item === 0);
		const sites = result.items.filter((item) => (item.pairedItem as { item: number }).item === 1);
		assert.equal(teams.length, emulator.records.count('teams'));
		assert.equal(sites.length, emulator.records.count('sites'));
	});
});
