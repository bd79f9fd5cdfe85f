/**
 * The Anduin IDM node executed as n8n executes it (WorkflowExecute, n8n's real helpers) against the
 * Anduin IDM emulator over HTTP: every operation, cursor chains, resuming, the one-job-per-user
 * rule, failures, expired file URLs, file formats, and that the API key never leaves the API.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';

import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { startAnduinIdmEmulator, type AnduinFileFormat, type AnduinIdmEmulator, type AnduinIdmEmulatorOptions } from '../emulators/anduin-idm';
import { findSecrets, readBinary, testCredential } from '../helpers/n8n';
import { AnduinIdmApi, credentialData, credentialsFor, expireOnNextDownload, freeUser, runAnduin, startOutside, whenJobs, whenRefused } from './anduin';

const ids = (items: INodeExecutionData[]) => items.map((item) => String(item.json.id));

describe('Anduin IDM node', () => {
	let emulator: AnduinIdmEmulator;

	before(async () => {
		emulator = await startAnduinIdmEmulator({ jobSizeLimit: 10 });
		emulator.objects.generate('investment-entities', 25);
	});
	after(() => emulator.close());
	afterEach(() => {
		emulator.faults.reset();
		freeUser(emulator);
	});

	const jobsOf = (type: string) => emulator.jobs.filter((job) => job.objectType === type);
	/** Everything a run produced that a user (or n8n's database) could see. */
	const visible = (result: Awaited<ReturnType<typeof runAnduin>>) => [result.items, result.error, result.logs, result.runData, result.staticData];

	it('tests the credential with a cheap call that checks key and firm, and names a bad key', async () => {
		assert.equal((await testCredential(new AnduinIdmApi(), credentialData(emulator))).status, 'OK');
		const before = emulator.requestsTo('api').length;
		assert.equal((await testCredential(new AnduinIdmApi(), credentialData(emulator, { baseUrl: `${emulator.apiOrigin}/` }))).status, 'OK', 'a trailing slash is fine');
		const call = emulator.requestsTo('api').slice(before)[0];
		assert.equal(call.path, `/api/v1/idm/${emulator.firmId}/contacts`);
		assert.match(call.url, /offset=0/);
		assert.match(call.url, /first=1/);
		assert.equal(call.headers.authorization, emulator.apiKey, 'the key as it is, no Bearer');

		assert.equal((await testCredential(new AnduinIdmApi(), credentialData(emulator, { apiKey: 'anduin_api_key_wrong' }))).status, 'Error');
		assert.equal((await testCredential(new AnduinIdmApi(), credentialData(emulator, { firmId: 'fdfnotmyfirm' }))).status, 'Error', 'a firm the key cannot use');
	});

	it('Export All follows the cursors through a 3-job chain, one job after another, rows in order', async () => {
		const before = emulator.requests.length;
		const jobsBefore = jobsOf('investment-entities').length;
		const result = await runAnduin(emulator, {});
		assert.equal(result.error, undefined, result.error?.message);
		assert.deepEqual(ids(result.items), emulator.objects.list('investment-entities').map((entity) => String(entity.id)));
		assert.ok(result.items.every((item) => (item.pairedItem as { item: number }).item === 0));

		const jobs = jobsOf('investment-entities').slice(jobsBefore);
		assert.equal(jobs.length, 3);
		assert.deepEqual(jobs.map((job) => job.total), [10, 10, 5]);
		assert.equal(jobs[0].cursorIn, null);
		assert.equal(jobs[1].cursorIn, jobs[0].nextCursor);
		assert.equal(jobs[2].cursorIn, jobs[1].nextCursor);
		assert.equal(jobs[2].nextCursor, null);
		for (let n = 1; n < jobs.length; n++) assert.ok(jobs[n].createdAt >= (jobs[n - 1].completedAt as Date), 'strictly one after another');

		const requests = emulator.requests.slice(before);
		assert.ok(!requests.some((request) => request.status === 409 || request.status === 429), 'never refused: the chain waits for each job');
		for (const request of requests.filter((r) => r.host === 'api')) assert.equal(request.headers.authorization, emulator.apiKey);
		const downloads = requests.filter((r) => r.host === 'storage');
		assert.equal(downloads.length, 3);
		for (const download of downloads) {
			assert.equal(download.refused, undefined);
			assert.deepEqual(findSecrets(download, credentialsFor(emulator)), [], 'no key reaches the file host');
		}
		assert.deepEqual(findSecrets(visible(result), credentialsFor(emulator)), []);

		const messages = result.logs.map((line) => line.message);
		assert.ok(messages.some((line) => /Anduin: export 2 of the chain/.test(line)));
		assert.ok(messages.some((line) => /Anduin: export 3 of the chain/.test(line)));
		assert.ok(messages.some((line) => /objects processed/.test(line)), 'progress.processed in the log');
		assert.ok(messages.some((line) => /completed with 10 objects; a next cursor follows/.test(line)), 'result.total in the log');
		assert.ok(messages.some((line) => /completed with 5 objects; the last job of its chain/.test(line)));
	});

	it('keeps values that look numeric as text, and converts them only when asked', async () => {
		const plain = await runAnduin(emulator, { objectType: 'clients' });
		assert.equal(plain.error, undefined, plain.error?.message);
		assert.equal(plain.items[0].json.trackingId, '000001', 'zero-padded ids stay text');
		const investments = await runAnduin(emulator, { objectType: 'investments' });
		const amount = String(investments.items[0].json.commitmentAmount);
		assert.match(amount, /^\d{1,3}(,\d{3})+\.\d{2}$/, 'amounts as Anduin formats them');

		const converted = await runAnduin(emulator, { objectType: 'investments', options: { convertNumbers: true } });
		assert.equal(converted.items[0].json.commitmentAmount, Number(amount.replace(/,/g, '')));
		assert.equal(typeof converted.items[0].json.id, 'string');
		const clients = await runAnduin(emulator, { objectType: 'clients', options: { convertNumbers: true } });
		assert.equal(clients.items[0].json.trackingId, '000001', 'zero-padded ids stay text even then');
	});

	for (const format of ['csv-bom', 'json', 'jsonl', 'zip-csv', 'zip-json'] as AnduinFileFormat[]) {
		it(`reads a ${format} file by its bytes`, async () => {
			emulator.faults.format('contacts', format);
			const result = await runAnduin(emulator, { objectType: 'contacts' });
			assert.equal(result.error, undefined, result.error?.message);
			assert.deepEqual(ids(result.items), emulator.objects.list('contacts').map((contact) => String(contact.id)));
			assert.ok('firstName' in result.items[0].json, 'the first column keeps its name (no BOM in it)');
		});
	}

	it('Start Export, Get Request Status and Download, then Start Export from the reported cursor', async () => {
		const started = await runAnduin(emulator, { operation: 'start' });
		assert.equal(started.error, undefined, started.error?.message);
		const { requestId } = started.items[0].json as { requestId: string };
		assert.match(requestId, /^export-/);
		assert.deepEqual(started.items[0].json, { requestId, objectType: 'investment-entities', cursor: null, alreadyRunning: false });

		const first = await runAnduin(emulator, { operation: 'getStatus', requestId });
		assert.equal(first.error, undefined, first.error?.message);
		assert.deepEqual(first.items[0].json, { requestId, status: 'Pending' });

		const rows = await runAnduin(emulator, { operation: 'download', requestId });
		assert.equal(rows.error, undefined, rows.error?.message);
		assert.deepEqual(ids(rows.items), emulator.objects.list('investment-entities').slice(0, 10).map((entity) => String(entity.id)), 'this job only');

		const done = await runAnduin(emulator, { operation: 'getStatus', requestId });
		const result = done.items[0].json.result as IDataObject;
		assert.equal(done.items[0].json.status, 'Completed');
		assert.equal(result.total, 10);
		assert.equal(typeof result.nextCursor, 'string');

		const next = await runAnduin(emulator, { operation: 'start', options: { cursor: String(result.nextCursor) } });
		assert.equal(next.error, undefined, next.error?.message);
		assert.equal(next.items[0].json.cursor, result.nextCursor);
		const file = await runAnduin(emulator, { operation: 'download', requestId: String(next.items[0].json.requestId), output: 'file' });
		assert.equal(file.error, undefined, file.error?.message);
		assert.equal(file.items.length, 1);
		const fields = file.items[0].json;
		assert.equal(fields.requestId, next.items[0].json.requestId);
		assert.equal(fields.total, 10);
		assert.equal(typeof fields.nextCursor, 'string', 'the file item says how to go on');
		const text = (await readBinary(file.items[0], 'data')).toString('utf8');
		assert.equal(text.trim().split(/\r?\n/)[0].split(',')[0], 'id');
	});

	it('resumes a chain that failed in the middle from the cursor the error reports', async () => {
		const jobsBefore = jobsOf('investment-entities').length;
		const allBefore = emulator.jobs.length;
		emulator.faults.pollsUntilDone(6); // the first job takes a while: time to arm the failure of the second
		const failing = runAnduin(emulator, {});
		await whenJobs(emulator, allBefore + 1);
		emulator.faults.failNextJob('The export worker stopped.');
		const result = await failing;
		assert.match(result.error?.message ?? '', /^Anduin could not complete the export export-[0-9a-f-]+: The export worker stopped\.$/);
		const [first, second] = jobsOf('investment-entities').slice(jobsBefore);
		const description = result.error?.description ?? '';
		assert.match(description, new RegExp(`\\(Anduin export ${second.requestId}\\)`), 'names the failed request');
		assert.match(description, /1 export of the chain finished before this one \(10 rows\)/);
		assert.ok(description.includes(`Cursor set to: ${String(first.nextCursor)}`), 'the last good cursor');
		assert.equal(second.cursorIn, first.nextCursor);

		const resumed = await runAnduin(emulator, { options: { cursor: String(first.nextCursor) } });
		assert.equal(resumed.error, undefined, resumed.error?.message);
		assert.deepEqual(ids(resumed.items), emulator.objects.list('investment-entities').slice(10).map((entity) => String(entity.id)), 'only what was not exported yet');
		const resumedJobs = jobsOf('investment-entities').slice(jobsBefore + 2);
		assert.equal(resumedJobs.length, 2);
		assert.equal(resumedJobs[0].cursorIn, first.nextCursor);
	});

	it('a 402 on a start in the middle of the chain shows Anduin\'s message and the cursor', async () => {
		const jobsBefore = jobsOf('investment-entities').length;
		const allBefore = emulator.jobs.length;
		emulator.faults.pollsUntilDone(6);
		const failing = runAnduin(emulator, {});
		await whenJobs(emulator, allBefore + 1);
		emulator.faults.requestFailedOnStart(1);
		const result = await failing;
		assert.match(result.error?.message ?? '', /HTTP 402 Request Failed.*The parameters were valid but the request failed/);
		const [first] = jobsOf('investment-entities').slice(jobsBefore);
		assert.ok((result.error?.description ?? '').includes(String(first.nextCursor)));
		assert.match(result.error?.description ?? '', /1 export of the chain finished before this one \(10 rows\)/);
	});

	it('a job that does not finish in time names its request ID and the cursor to go on from', async () => {
		const jobsBefore = jobsOf('investment-entities').length;
		const allBefore = emulator.jobs.length;
		emulator.faults.pollsUntilDone(6);
		const slow = runAnduin(emulator, { options: { timeoutMinutes: 0.05 } });
		await whenJobs(emulator, allBefore + 1);
		emulator.faults.neverFinish();
		const result = await slow;
		const [first, second] = jobsOf('investment-entities').slice(jobsBefore);
		assert.match(result.error?.message ?? '', new RegExp(`Anduin export ${second.requestId} did not finish within`));
		assert.match(result.error?.description ?? '', new RegExp(`request ID is ${second.requestId}: use it with the operation Download`));
		assert.ok((result.error?.description ?? '').includes(String(first.nextCursor)));
	});

	it('retries a Failed job once when asked', async () => {
		emulator.faults.failNextJob('Temporary failure.');
		const before = jobsOf('clients').length;
		const result = await runAnduin(emulator, { objectType: 'clients', options: { retryFailed: true } });
		assert.equal(result.error, undefined, result.error?.message);
		assert.equal(result.items.length, emulator.objects.count('clients'));
		assert.equal(jobsOf('clients').length - before, 3, 'the failed first job, its retry, and the second job');
	});

	it('one active job per user (409): fails at once, or waits with backoff until the slot is free', async () => {
		const outside = await startOutside(emulator, 'contacts');
		assert.equal(outside.status, 200);
		const holder = String(outside.body.requestId);
		const before = jobsOf('clients').length;

		const failed = await runAnduin(emulator, { objectType: 'clients', options: { whenRunning: 'fail' } });
		assert.equal(failed.error?.message, "Anduin is already running an export for this credential's user");
		assert.match(failed.error?.description ?? '', /Anduin allows each user \(API key\) one export job in Pending or InProgress at a time/);
		assert.match(failed.error?.description ?? '', /A user can only have one export job/, "Anduin's words");
		assert.equal(jobsOf('clients').length, before);

		const waiting = runAnduin(emulator, { objectType: 'clients' });
		await whenRefused(emulator, 409, 3);
		emulator.finishJob(holder);
		const result = await waiting;
		assert.equal(result.error, undefined, result.error?.message);
		assert.equal(result.items.length, emulator.objects.count('clients'));
		assert.ok(result.logs.some((line) => /busy with another export of this credential's user, started outside this node: trying again in/.test(line.message)));
		const refusals = emulator.requestsTo('api').filter((request) => request.status === 409);
		const gaps = refusals.slice(-3).map((request, n, all) => (n ? request.receivedAt - all[n - 1].receivedAt : 0)).slice(1);
		assert.ok(gaps.every((gap) => gap >= 15), `a pause between tries: ${gaps.join(', ')} ms`);
	});

	it('one active job per user (429, no Retry-After): waited out, then a clear error at the timeout', async () => {
		emulator.faults.busyStatus(429);
		const outside = await startOutside(emulator, 'contacts');
		const holder = String(outside.body.requestId);
		// Within a short timeout, a 429 without Retry-After counts as the busy slot at once.
		const waiting = runAnduin(emulator, { objectType: 'clients', options: { timeoutMinutes: 0.1 } });
		await whenRefused(emulator, 429, 3);
		emulator.finishJob(holder);
		const result = await waiting;
		assert.equal(result.error, undefined, result.error?.message);
		assert.equal(result.items.length, emulator.objects.count('clients'));

		const stuck = await startOutside(emulator, 'contacts');
		assert.equal(stuck.status, 200);
		// Nobody asks for its status, so it stays Pending while the node waits.
		const timedOut = await runAnduin(emulator, { objectType: 'clients', options: { timeoutMinutes: 0.01 } });
		assert.equal(timedOut.error?.message, "Anduin is already running an export for this credential's user");
		assert.match(timedOut.error?.description ?? '', /did not finish within the timeout/);
	});

	it('uses the job it started itself, and names it when its settings differ (active workflow)', async () => {
		emulator.faults.neverFinish();
		const staticData: IDataObject = {};
		const first = await runAnduin(emulator, { operation: 'start' }, { mode: 'trigger', staticData });
		assert.equal(first.error, undefined, first.error?.message);
		const again = await runAnduin(emulator, { operation: 'start' }, { mode: 'trigger', staticData });
		assert.equal(again.error, undefined, again.error?.message);
		assert.equal(again.items[0].json.requestId, first.items[0].json.requestId);
		assert.equal(again.items[0].json.alreadyRunning, true);
		const other = await runAnduin(emulator, { operation: 'start', objectType: 'clients', options: { whenRunning: 'fail' } }, { mode: 'trigger', staticData });
		assert.match(other.error?.description ?? '', new RegExp(`the export ${String(first.items[0].json.requestId)}, which this node started earlier with other settings`));
		assert.deepEqual(findSecrets(staticData, credentialsFor(emulator)), [], 'static data holds no key');
	});

	it('runs a job again for the same cursor when its file URL has expired', async () => {
		const jobsBefore = jobsOf('investment-entities').length;
		const restore = expireOnNextDownload(emulator, 2); // the second job's file
		const result = await runAnduin(emulator, {});
		restore();
		assert.equal(result.error, undefined, result.error?.message);
		assert.deepEqual(ids(result.items), emulator.objects.list('investment-entities').map((entity) => String(entity.id)), 'every object once');
		const jobs = jobsOf('investment-entities').slice(jobsBefore);
		assert.equal(jobs.length, 4, 'three jobs and the re-run of the second');
		assert.equal(jobs[2].cursorIn, jobs[1].cursorIn, 'the re-run has the same cursor');
		assert.ok(result.logs.some((line) => /Anduin export \S+: its file links were refused \(expired\?\); running the same export again/.test(line.message)));

		const started = await runAnduin(emulator, { operation: 'start', objectType: 'clients' });
		const requestId = String(started.items[0].json.requestId);
		await runAnduin(emulator, { operation: 'download', requestId });
		emulator.faults.expireFileUrls();
		const expired = await runAnduin(emulator, { operation: 'download', requestId });
		assert.equal(expired.error?.message, `The file URL of the Anduin export ${requestId} was refused: it has probably expired`);
		assert.match(expired.error?.description ?? '', /keeps an export's file for 7 days/);
	});

	it('refuses a bad cursor, an unknown object type and an unknown request in words', async () => {
		const badCursor = await runAnduin(emulator, { options: { cursor: 'not-a-cursor' } });
		assert.equal(badCursor.error?.message, 'Anduin refused the cursor: cursor: Invalid');
		assert.match(badCursor.error?.description ?? '', /without a cursor/);

		const notAPath = await runAnduin(emulator, { objectType: 'Client Groups' });
		assert.match(notAPath.error?.message ?? '', /"Object Type" is not an Anduin object path: "Client Groups"/);
		const unknownType = await runAnduin(emulator, { objectType: 'client-groups' });
		assert.equal(unknownType.error?.message, 'Anduin has no export for the object type "client-groups" (HTTP 404)');

		const unknownRequest = await runAnduin(emulator, { operation: 'getStatus', requestId: 'export-00000000-0000-4000-8000-000000000000' });
		assert.equal(unknownRequest.error?.message, 'Anduin no longer has the request export-00000000-0000-4000-8000-000000000000, or never had it (HTTP 404)');
		const unknownDownload = await runAnduin(emulator, { operation: 'download', requestId: 'export-00000000-0000-4000-8000-000000000000' });
		assert.equal(unknownDownload.error?.message, 'Anduin no longer has the request export-00000000-0000-4000-8000-000000000000, or never had it (HTTP 404)');

		const badKey = await runAnduin(emulator, {}, { credentialOverrides: { apiKey: 'anduin_api_key_not_valid_at_all' } });
		assert.equal(badKey.error?.message, 'Anduin did not accept the API key (HTTP 401)');
		const badFirm = await runAnduin(emulator, {}, { credentialOverrides: { firmId: 'fdfsomeoneelse' } });
		assert.equal(badFirm.error?.message, 'The API key may not do this in firm fdfsomeoneelse (HTTP 403)');
		for (const result of [badCursor, unknownType, badKey, badFirm]) assert.deepEqual(findSecrets(visible(result), credentialsFor(emulator)), []);
	});

	it('with Continue On Fail, a failing item becomes an error item and the others go on', async () => {
		const result = await runAnduin(emulator, { operation: 'getStatus', requestId: '={{ $json.id }}' }, {
			continueOnFail: true,
			input: [{ json: { id: 'export-00000000-0000-4000-8000-000000000000' } }, { json: { id: '' } }],
		});
		assert.equal(result.items.length, 2);
		assert.match(String(result.items[0].json.error), /no longer has the request/);
		assert.match(String(result.items[1].json.error), /"Request ID" is empty/);
		assert.deepEqual(result.items.map((item) => (item.pairedItem as { item: number }).item), [0, 1]);
	});

	it('exports profiles of given investment entities through an export template', async () => {
		const entities = emulator.objects.list('profiles').slice(0, 3);
		const wanted = [String(entities[0].investmentEntityId), String(entities[2].investmentEntityTrackingId)];
		const result = await runAnduin(emulator, { objectType: 'profiles', investmentEntityIds: wanted.join(', '), exportTemplateId: emulator.exportTemplates[0].id });
		assert.equal(result.error, undefined, result.error?.message);
		assert.deepEqual(result.items.map((item) => item.json['Investment Entity ID']), [entities[0].investmentEntityId, entities[2].investmentEntityId]);
		const job = emulator.jobs.at(-1)!;
		assert.deepEqual(job.requestBody, { investmentEntityIds: wanted });
		assert.deepEqual(job.query, { exportTemplateId: emulator.exportTemplates[0].id });

		const none = await runAnduin(emulator, { objectType: 'profiles', investmentEntityIds: '={{ [] }}' });
		assert.equal(none.error?.message, '"Investment Entity IDs" is empty');
	});
});

describe('Anduin IDM node: the cursor spelled next_cursor, left out at the end, files served untyped', () => {
	let emulator: AnduinIdmEmulator;
	const options: AnduinIdmEmulatorOptions = { jobSizeLimit: 4, cursorField: 'next_cursor', omitCursorAtEnd: true, storageContentType: 'octet-stream', seed: { clients: 10 } };
	before(async () => {
		emulator = await startAnduinIdmEmulator(options);
	});
	after(() => emulator.close());

	it('follows next_cursor and stops when the field is absent', async () => {
		emulator.faults.format('clients', 'jsonl');
		const result = await runAnduin(emulator, { objectType: 'clients' });
		assert.equal(result.error, undefined, result.error?.message);
		assert.deepEqual(ids(result.items), emulator.objects.list('clients').map((client) => String(client.id)));
		assert.equal(emulator.jobs.length, 3);
		const status = await runAnduin(emulator, { operation: 'getStatus', requestId: emulator.jobs[0].requestId });
		const answer = status.items[0].json.result as IDataObject;
		assert.equal(answer.nextCursor, answer.next_cursor, 'Get Request Status gives nextCursor too');
	});
});
