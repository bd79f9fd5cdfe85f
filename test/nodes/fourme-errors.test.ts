import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';

import { startFourMeEmulator, type FourMeEmulator } from '../emulators/fourme';
import { findSecrets, readBinary } from '../helpers/n8n';
import { credentialsFor, runFourMe } from './fourme';

describe('4me node: errors, faults, cancellation', () => {
	let emulator: FourMeEmulator;

	before(async () => {
		emulator = await startFourMeEmulator();
	});
	after(() => emulator.close());
	beforeEach(() => emulator.faults.reset());

	function assertNoSecrets(result: unknown, overrides = {}) {
		assert.deepEqual(findSecrets(result, credentialsFor(emulator, overrides)), []);
	}

	it('says the token was not accepted (401), without showing it', async () => {
		const result = await runFourMe(emulator, { recordTypes: ['people'] }, { credentialOverrides: { token: 'wrong-secret-token' } });
		assert.equal(result.error?.name, 'NodeApiError');
		assert.equal(result.error?.httpCode, '401');
		assert.match(result.error?.message ?? '', /did not accept the personal access token/);
		assertNoSecrets(result, { token: 'wrong-secret-token' });
	});

	it('says which scope and role an export needs (403)', async () => {
		const result = await runFourMe(emulator, { recordTypes: ['people'] }, { credentialOverrides: { token: emulator.tokenWithoutExportScope } });
		assert.equal(result.error?.httpCode, '403');
		assert.match(String(result.error?.description), /Export - Create.*Account Administrator/);
	});

	it('says the account was not found (404)', async () => {
		const result = await runFourMe(emulator, { recordTypes: ['people'] }, { credentialOverrides: { account: 'nosuchaccount' } });
		assert.equal(result.error?.httpCode, '404');
		assert.match(result.error?.message ?? '', /4me account "nosuchaccount" was not found/);
	});

	it('waits out a 429 as Retry-After asks and carries on', async () => {
		emulator.faults.rateLimit(2, 1);
		const started = Date.now();
		const result = await runFourMe(emulator, { recordTypes: ['teams'] });
		assert.equal(result.error, undefined, result.error?.message);
		assert.equal(result.items.length, emulator.records.count('teams'));
		assert.ok(Date.now() - started >= 2000, 'waited the 2 x 1 s 4me asked for');
		assert.ok(result.logs.some((line) => /rate limited \(HTTP 429\)/.test(line.message)));
	});

	it('retries server errors (500) and a 503 from the storage host', async () => {
		emulator.faults.serverError(2, 500);
		emulator.faults.storageServerError(1);
		const result = await runFourMe(emulator, { recordTypes: ['teams'] });
		assert.equal(result.error, undefined, result.error?.message);
		assert.equal(result.items.length, emulator.records.count('teams'));
	});

	it('resumes a download that broke off, and gets every row exactly once', async () => {
		emulator.records.generate('requests', 20_000);
		emulator.faults.truncateDownload(2);
		const result = await runFourMe(emulator, { recordTypes: ['requests'] });
		assert.equal(result.error, undefined, result.error?.message);
		assert.equal(result.items.length, 20_000);
		assert.deepEqual(result.items.map((item) => item.json), emulator.records.list('requests'));
		assert.ok(result.logs.some((line) => /resuming/.test(line.message)));
		const ranged = emulator.requests.filter((request) => request.host === 'storage' && request.headers.range);
		assert.ok(ranged.length >= 1, 'resumed with a Range request');
	});

	it('resumes a broken download in file mode too, and stores the file byte for byte', async () => {
		// At most 10,000 records: 4me runs a larger full export once per day.
		emulator.records.generate('requests', 9_000);
		const whole = await runFourMe(emulator, { recordTypes: ['requests'], output: 'file' });
		assert.equal(whole.error, undefined, whole.error?.message);
		emulator.faults.truncateDownload(1);
		const resumed = await runFourMe(emulator, { recordTypes: ['requests'], output: 'file' });
		assert.equal(resumed.error, undefined, resumed.error?.message);
		assert.ok(emulator.requests.some((request) => request.host === 'storage' && request.headers.range), 'resumed with a Range request');
		assert.deepEqual(await readBinary(resumed.items[0]), await readBinary(whole.items[0]));
		assert.equal(resumed.items[0].binary?.data.fileSize, whole.items[0].binary?.data.fileSize);
	});

	it('reports a failed export with 4me\'s words and the token', async () => {
		emulator.faults.failJob({ state: 'failed', reason: 'disk full' });
		const failed = await runFourMe(emulator, { recordTypes: ['teams'] });
		assert.match(failed.error?.message ?? '', /The 4me export failed/);
		assert.match(String(failed.error?.description), /disk full/);
		assert.match(String(failed.error?.description), new RegExp(emulator.jobs.at(-1)?.token ?? 'x'));

		emulator.faults.failJob({ state: 'error', message: 'Export crashed on line 12' });
		const errored = await runFourMe(emulator, { recordTypes: ['teams'] });
		assert.match(errored.error?.message ?? '', /ended in state "error": Export crashed on line 12/);
	});

	it('times out with the export token so the user can fetch it later', async () => {
		emulator.faults.neverFinish();
		const result = await runFourMe(emulator, { recordTypes: ['teams'], options: { timeoutMinutes: 0.01 } });
		const token = emulator.jobs.at(-1)?.token ?? 'x';
		assert.match(result.error?.message ?? '', new RegExp(`4me export ${token} did not finish within 0.6 seconds`));
		assert.match(String(result.error?.description), /Download Export/);
	});

	it('stops polling as soon as the execution is cancelled', async () => {
		emulator.faults.neverFinish();
		const jobsBefore = emulator.jobs.length;
		// After its first status check the node waits a minute before the next one; the cancel comes
		// in that wait, at a point the emulator shows (not after a guessed number of milliseconds).
		const WAIT_MS = 60_000;
		const stop = new AbortController();
		const execution = runFourMe(
			emulator,
			{ recordTypes: ['teams'], options: { firstPollSeconds: WAIT_MS / 1000, maxPollSeconds: WAIT_MS / 1000 } },
			{ cancelSignal: stop.signal },
		);
		let settled = false;
		void execution.then(
			() => (settled = true),
			() => (settled = true),
		);
		while (!settled && (emulator.jobs[jobsBefore]?.polls ?? 0) < 1) await delay(10);
		const job = emulator.jobs[jobsBefore];
		assert.ok(job, 'the export was started');
		assert.equal(job.polls, 1, 'cancelled after the first status check');
		const requestsAtCancel = emulator.requests.length;
		stop.abort();

		// Ending is not enough: a node that sat out its wait would end too, a minute later, without
		// another check. It must end before half of that wait has passed (a bound set by the schedule).
		const waitHalfOver = delay(WAIT_MS / 2, 'sat out the wait', { ref: false });
		assert.equal(await Promise.race([execution.then(() => 'ended'), waitHalfOver]), 'ended', 'the cancel cut the wait short');
		const result = await execution;
		assert.equal(result.cancelled, true);
		assert.match(result.error?.message ?? '', /cancelled/);
		assert.match(String(result.error?.description), new RegExp(job.token), 'names the export to pick it up later');
		assert.equal(job.polls, 1, 'no status check after the cancel');
		assert.deepEqual(emulator.requests.slice(requestsAtCancel).map((request) => `${request.method} ${request.path}`), [], 'no request after the cancel');
	});

	it('gives an error item instead of failing with "Continue On Fail"', async () => {
		const result = await runFourMe(emulator, { recordTypes: '={{ "nonsense" }}' }, { continueOnFail: true });
		assert.equal(result.error, undefined);
		assert.match(String(result.items[0].json.error), /Unknown record type/);
		assert.deepEqual(result.items[0].pairedItem, { item: 0 });
	});

	it('fails before downloading a file over the size limit', async () => {
		emulator.records.generate('tasks', 5_000);
		const result = await runFourMe(emulator, { recordTypes: ['tasks'], options: { maxFileSizeMb: 0.01 } });
		assert.match(result.error?.message ?? '', /larger than the limit/);
	});
});
