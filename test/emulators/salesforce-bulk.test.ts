/**
 * Tests of the Salesforce Bulk API 2.0 query-job emulator itself, over real HTTP.
 * Run: node --import tsx --test test/emulators/salesforce-bulk.test.ts
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { after, afterEach, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { caseSafeId, startSalesforceBulkEmulator, type SalesforceBulkEmulator } from './salesforce-bulk';

type Json = Record<string, any>;

interface Answer {
	status: number;
	headers: Headers;
	text: string;
	json: any;
}

async function call(emu: SalesforceBulkEmulator, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
	const res = await fetch(`${emu.instanceUrl}${path}`, {
		method,
		headers: { Authorization: `Bearer ${emu.accessToken}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
		body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
	});
	const text = await res.text();
	let json: any;
	try {
		json = text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : undefined;
	} catch {
		json = undefined;
	}
	return { status: res.status, headers: res.headers, text, json };
}

const jobsPath = (emu: SalesforceBulkEmulator, version = emu.apiVersion) => `/services/data/v${version}/jobs/query`;

async function createJob(emu: SalesforceBulkEmulator, body: Json, version = emu.apiVersion): Promise<Json> {
	const res = await call(emu, 'POST', jobsPath(emu, version), body);
	assert.equal(res.status, 200, res.text);
	return res.json as Json;
}

async function pollToEnd(emu: SalesforceBulkEmulator, id: string, version = emu.apiVersion): Promise<{ states: string[]; last: Json }> {
	const states: string[] = [];
	for (let i = 0; i < 30; i++) {
		const res = await call(emu, 'GET', `${jobsPath(emu, version)}/${id}`);
		assert.equal(res.status, 200, res.text);
		states.push(res.json.state);
		if (['JobComplete', 'Failed', 'Aborted'].includes(res.json.state)) return { states, last: res.json as Json };
	}
	throw new Error(`job ${id} did not finish: ${states.join(',')}`);
}

/** A minimal RFC 4180 reader (quoted cells, doubled quotes, line breaks inside quotes). */
function parseCsv(text: string, delimiter = ',', lineEnding = '\n'): string[][] {
	const rows: string[][] = [];
	let row: string[] = [];
	let cell = '';
	let quoted = false;
	for (let i = 0; i < text.length; i++) {
		const c = text[i];
		if (quoted) {
			if (c === '"' && text[i + 1] === '"') {
				cell += '"';
				i++;
			} else if (c === '"') quoted = false;
			else cell += c;
		} else if (c === '"') quoted = true;
		else if (c === delimiter) {
			row.push(cell);
			cell = '';
		} else if (text.startsWith(lineEnding, i)) {
			row.push(cell);
			rows.push(row);
			row = [];
			cell = '';
			i += lineEnding.length - 1;
		} else cell += c;
	}
	if (cell !== '' || row.length > 0) rows.push([...row, cell]);
	return rows;
}

/** Raw GET without automatic decompression, to see Content-Encoding as sent. */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
	return new Promise((resolve, reject) => {
		const req = http.get(url, { headers }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (chunk: Buffer) => chunks.push(chunk));
			res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
			res.on('error', reject);
		});
		req.on('error', reject);
	});
}

describe('Salesforce Bulk API 2.0 emulator: query job lifecycle', () => {
	let emu: SalesforceBulkEmulator;
	before(async () => {
		emu = await startSalesforceBulkEmulator();
	});
	after(() => emu.close());
	afterEach(() => emu.faults.reset());

	it('creates a job in UploadComplete, then reports InProgress and JobComplete as it is polled', async () => {
		const job = await createJob(emu, { operation: 'query', query: 'SELECT Id, Name FROM Account' });
		assert.match(job.id, /^750[0-9A-Za-z]{15}$/);
		assert.equal(job.id, caseSafeId(job.id.slice(0, 15)));
		assert.equal(job.state, 'UploadComplete');
		assert.equal(job.operation, 'query');
		assert.equal(job.object, 'Account');
		assert.equal(job.contentType, 'CSV');
		assert.equal(job.columnDelimiter, 'COMMA');
		assert.equal(job.lineEnding, 'LF');
		assert.equal(job.concurrencyMode, 'Parallel');
		assert.match(job.createdDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
		const { states, last } = await pollToEnd(emu, job.id);
		assert.deepEqual(states, ['UploadComplete', 'InProgress', 'JobComplete']);
		assert.equal(last.jobType, 'V2Query');
		assert.equal(last.numberRecordsProcessed, 25);
		assert.equal(last.retries, 0);
		assert.equal(typeof last.totalProcessingTime, 'number');
		assert.equal(last.errorMessage, undefined);
	});

	it('writes apiVersion as a number with one decimal, like the documented examples', async () => {
		const res = await call(emu, 'POST', jobsPath(emu), { operation: 'query', query: 'SELECT Id FROM Account' });
		assert.match(res.text, /"apiVersion":62\.0[,}]/);
		assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
	});

	it('pages results with maxRecords and Sforce-Locator until the locator is the string "null"', async () => {
		const job = await createJob(emu, { operation: 'query', query: 'SELECT Id, Name, Description FROM Account' });
		await pollToEnd(emu, job.id);
		const ids: string[] = [];
		let locator = '';
		const pages: number[] = [];
		for (let i = 0; i < 10; i++) {
			const query = `?maxRecords=10${locator ? `&locator=${encodeURIComponent(locator)}` : ''}`;
			const res = await call(emu, 'GET', `${jobsPath(emu)}/${job.id}/results${query}`);
			assert.equal(res.status, 200, res.text);
			assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
			const rows = parseCsv(res.text);
			assert.deepEqual(rows[0], ['Id', 'Name', 'Description'], 'every set starts with the header row');
			assert.equal(Number(res.headers.get('sforce-numberofrecords')), rows.length - 1);
			pages.push(rows.length - 1);
			for (const row of rows.slice(1)) ids.push(row[0]);
			locator = res.headers.get('sforce-locator') ?? '';
			assert.notEqual(locator, '', 'Sforce-Locator is always sent');
			if (locator === 'null') break;
		}
		assert.deepEqual(pages, [10, 10, 5]);
		assert.equal(new Set(ids).size, 25);
		// The same locator gives the same set again.
		const again = await call(emu, 'GET', `${jobsPath(emu)}/${job.id}/results?maxRecords=10&locator=${encodeLocatorForTest(10)}`);
		assert.equal(parseCsv(again.text)[1][0], ids[10]);
	});

	it('quotes every value, keeps commas, quotes and line breaks inside cells, and leaves nulls empty', async () => {
		const account = emu.records.upsert('Account', { Name: 'Quote "Inc", Ltd', Description: 'line one\nline two', Phone: null });
		const job = await createJob(emu, { operation: 'query', query: `SELECT Id, Name, Description, Phone FROM Account WHERE Id = '${account.Id}'` });
		await pollToEnd(emu, job.id);
		const res = await call(emu, 'GET', `${jobsPath(emu)}/${job.id}/results`);
		assert.equal(res.text, `"Id","Name","Description","Phone"\n"${account.Id}","Quote ""Inc"", Ltd","line one\nline two",\n`);
	});

	it('honours columnDelimiter and lineEnding', async () => {
		const job = await createJob(emu, { operation: 'query', query: 'SELECT Id, Name FROM Account LIMIT 3', columnDelimiter: 'PIPE', lineEnding: 'CRLF' });
		assert.equal(job.columnDelimiter, 'PIPE');
		await pollToEnd(emu, job.id);
		const res = await call(emu, 'GET', `${jobsPath(emu)}/${job.id}/results`);
		assert.ok(res.text.startsWith('"Id"|"Name"\r\n'), res.text);
		assert.equal(parseCsv(res.text, '|', '\r\n').length, 4);
	});

	it('filters with WHERE, orders, limits, and follows child-to-parent fields', async () => {
		const all = emu.records.list('Contact');
		const withAccount = all.filter((contact) => contact.AccountId !== null);
		const job = await createJob(emu, { operation: 'query', query: "SELECT Id, LastName, Account.Name FROM Contact WHERE AccountId != null AND LastName LIKE '%' ORDER BY LastName DESC, Id LIMIT 5" });
		await pollToEnd(emu, job.id);
		const rows = parseCsv((await call(emu, 'GET', `${jobsPath(emu)}/${job.id}/results`)).text);
		assert.deepEqual(rows[0], ['Id', 'LastName', 'Account.Name']);
		assert.equal(rows.length, 6);
		const expected = [...withAccount].sort((a, b) => (String(a.LastName) < String(b.LastName) ? 1 : String(a.LastName) > String(b.LastName) ? -1 : a.Id < b.Id ? -1 : 1)).slice(0, 5);
		assert.deepEqual(rows.slice(1).map((row) => row[0]), expected.map((contact) => contact.Id));
		const account = emu.records.list('Account').find((a) => a.Id === expected[0].AccountId);
		assert.equal(rows[1][2], account?.Name);
	});

	it('supports datetime literals for incremental queries on SystemModstamp', async () => {
		const accounts = emu.records.list('Account');
		const pivot = accounts[10].SystemModstamp as string;
		const job = await createJob(emu, { operation: 'query', query: `SELECT Id FROM Account WHERE SystemModstamp > ${pivot}` });
		const { last } = await pollToEnd(emu, job.id);
		assert.equal(last.numberRecordsProcessed, accounts.filter((a) => String(a.SystemModstamp) > pivot).length);
	});

	it('returns deleted records only for queryAll', async () => {
		const deleted = emu.records.count('Contact', true) - emu.records.count('Contact');
		assert.ok(deleted > 0);
		const plain = await createJob(emu, { operation: 'query', query: 'SELECT Id, IsDeleted FROM Contact' });
		const all = await createJob(emu, { operation: 'queryAll', query: 'SELECT Id, IsDeleted FROM Contact' });
		assert.equal((await pollToEnd(emu, plain.id)).last.numberRecordsProcessed, emu.records.count('Contact'));
		assert.equal((await pollToEnd(emu, all.id)).last.numberRecordsProcessed, emu.records.count('Contact', true));
		const rows = parseCsv((await call(emu, 'GET', `${jobsPath(emu)}/${all.id}/results`)).text);
		assert.equal(rows.filter((row) => row[1] === 'true').length, deleted);
	});

	it('gzips the results when the client sends Accept-Encoding: gzip, and only then', async () => {
		const job = await createJob(emu, { operation: 'query', query: 'SELECT Id, Name FROM Account' });
		await pollToEnd(emu, job.id);
		const url = `${emu.instanceUrl}${jobsPath(emu)}/${job.id}/results`;
		const zipped = await rawGet(url, { Authorization: `Bearer ${emu.accessToken}`, 'Accept-Encoding': 'gzip' });
		assert.equal(zipped.headers['content-encoding'], 'gzip');
		const plain = await rawGet(url, { Authorization: `Bearer ${emu.accessToken}`, 'Accept-Encoding': 'br' });
		assert.equal(plain.headers['content-encoding'], undefined);
		assert.equal(gunzipSync(zipped.body).toString('utf8'), plain.body.toString('utf8'));
		assert.equal(plain.body.toString('utf8'), emu.resultCsv(job.id));
	});

	it('answers an empty body with Sforce-NumberOfRecords 0 when nothing matched', async () => {
		const job = await createJob(emu, { operation: 'query', query: "SELECT Id FROM Account WHERE Name = 'no such account'" });
		await pollToEnd(emu, job.id);
		const res = await call(emu, 'GET', `${jobsPath(emu)}/${job.id}/results`);
		assert.equal(res.status, 200);
		assert.equal(res.text, '');
		assert.equal(res.headers.get('sforce-numberofrecords'), '0');
		assert.equal(res.headers.get('sforce-locator'), 'null');
	});

	it('orders columns alphabetically before API 50.0 and as requested from 50.0', async () => {
		const old = await createJob(emu, { operation: 'query', query: 'SELECT Name, Id FROM Account LIMIT 1' }, '49.0');
		await pollToEnd(emu, old.id, '49.0');
		assert.ok((await call(emu, 'GET', `${jobsPath(emu, '49.0')}/${old.id}/results`)).text.startsWith('"Id","Name"'));
		const current = await createJob(emu, { operation: 'query', query: 'SELECT Name, Id FROM Account LIMIT 1' });
		await pollToEnd(emu, current.id);
		assert.ok((await call(emu, 'GET', `${jobsPath(emu)}/${current.id}/results`)).text.startsWith('"Name","Id"'));
	});

	it('aborts a running job, refuses to abort a completed one, and deletes terminal jobs', async () => {
		const running = await createJob(emu, { operation: 'query', query: 'SELECT Id FROM Account' });
		const aborted = await call(emu, 'PATCH', `${jobsPath(emu)}/${running.id}`, { state: 'Aborted' });
		assert.equal(aborted.status, 200, aborted.text);
		assert.equal(aborted.json.state, 'Aborted');
		const done = await createJob(emu, { operation: 'query', query: 'SELECT Id FROM Account' });
		await pollToEnd(emu, done.id);
		const refused = await call(emu, 'PATCH', `${jobsPath(emu)}/${done.id}`, { state: 'Aborted' });
		assert.equal(refused.status, 400);
		assert.deepEqual(refused.json, [{ errorCode: 'INVALIDJOBSTATE', message: 'Aborting already Completed Job not allowed' }]);
		const fresh = await createJob(emu, { operation: 'query', query: 'SELECT Id FROM Account' });
		const notTerminated = await call(emu, 'DELETE', `${jobsPath(emu)}/${fresh.id}`);
		assert.equal(notTerminated.status, 400);
		assert.equal(notTerminated.json[0].errorCode, 'API_ERROR');
		const deleted = await call(emu, 'DELETE', `${jobsPath(emu)}/${done.id}`);
		assert.equal(deleted.status, 204);
		const gone = await call(emu, 'GET', `${jobsPath(emu)}/${done.id}`);
		assert.equal(gone.status, 404);
		assert.deepEqual(gone.json, [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);
	});

	it('lists query jobs', async () => {
		const job = await createJob(emu, { operation: 'query', query: 'SELECT Id FROM Account' });
		const res = await call(emu, 'GET', jobsPath(emu));
		assert.equal(res.status, 200);
		assert.equal(res.json.done, true);
		assert.ok((res.json.records as Json[]).some((record) => record.id === job.id));
	});
});

function encodeLocatorForTest(offset: number): string {
	return Buffer.from(String(offset)).toString('base64').replace(/=+$/, '');
}

describe('Salesforce Bulk API 2.0 emulator: errors and faults', () => {
	let emu: SalesforceBulkEmulator;
	before(async () => {
		emu = await startSalesforceBulkEmulator();
	});
	after(() => emu.close());
	afterEach(() => emu.faults.reset());

	it('refuses a missing or wrong token with 401 INVALID_SESSION_ID, and a rotated one', async () => {
		const none = await call(emu, 'GET', jobsPath(emu), undefined, { Authorization: '' });
		assert.equal(none.status, 401);
		assert.deepEqual(none.json, [{ errorCode: 'INVALID_SESSION_ID', message: 'Session expired or invalid' }]);
		const old = emu.accessToken;
		emu.rotateAccessToken();
		const stale = await call(emu, 'GET', jobsPath(emu), undefined, { Authorization: `Bearer ${old}` });
		assert.equal(stale.status, 401);
		assert.equal((await call(emu, 'GET', jobsPath(emu))).status, 200);
		assert.equal((await call(emu, 'GET', jobsPath(emu), undefined, { Authorization: `OAuth ${emu.accessToken}` })).status, 200);
	});

	it('validates the create body and the SOQL subset', async () => {
		const badOperation = await call(emu, 'POST', jobsPath(emu), { operation: 'insert', query: 'SELECT Id FROM Account' });
		assert.equal(badOperation.status, 400);
		assert.equal(badOperation.json[0].errorCode, 'INVALIDJOB');
		const badField = await call(emu, 'POST', jobsPath(emu), { operation: 'query', query: 'SELECT Id, Nope FROM Account' });
		assert.equal(badField.status, 400);
		assert.equal(badField.json[0].errorCode, 'INVALID_FIELD');
		assert.match(badField.json[0].message, /No such column 'Nope' on entity 'Account'/);
		const aggregate = await call(emu, 'POST', jobsPath(emu), { operation: 'query', query: 'SELECT COUNT() FROM Account' });
		assert.equal(aggregate.status, 400);
		const subquery = await call(emu, 'POST', jobsPath(emu), { operation: 'query', query: 'SELECT Id, (SELECT Id FROM Contacts) FROM Account' });
		assert.equal(subquery.status, 400);
		const badJson = await call(emu, 'POST', jobsPath(emu), '{"operation":');
		assert.equal(badJson.status, 400);
		assert.equal(badJson.json[0].errorCode, 'JSON_PARSER_ERROR');
		const oldVersion = await call(emu, 'POST', jobsPath(emu, '46.0'), { operation: 'query', query: 'SELECT Id FROM Account' });
		assert.equal(oldVersion.status, 404);
	});

	it('answers 412 JOB_NOT_COMPLETE before JobComplete and 409 for another API version', async () => {
		const job = await createJob(emu, { operation: 'query', query: 'SELECT Id FROM Account' });
		const early = await call(emu, 'GET', `${jobsPath(emu)}/${job.id}/results`);
		assert.equal(early.status, 412);
		assert.equal(early.json[0].errorCode, 'JOB_NOT_COMPLETE');
		await pollToEnd(emu, job.id);
		const otherVersion = await call(emu, 'GET', `${jobsPath(emu, '61.0')}/${job.id}/results`);
		assert.equal(otherVersion.status, 409);
	});

	it('fails a job with errorMessage when told to', async () => {
		emu.faults.failJob('InternalServerError: Retried more than 15 times');
		const job = await createJob(emu, { operation: 'query', query: 'SELECT Id FROM Account' });
		const { last } = await pollToEnd(emu, job.id);
		assert.equal(last.state, 'Failed');
		assert.equal(last.errorMessage, 'InternalServerError: Retried more than 15 times');
		assert.equal((await call(emu, 'GET', `${jobsPath(emu)}/${job.id}/results`)).status, 412);
	});

	it('keeps a job InProgress forever, or for as many polls as asked', async () => {
		emu.faults.neverFinish();
		const stuck = await createJob(emu, { operation: 'query', query: 'SELECT Id FROM Account' });
		for (let i = 0; i < 6; i++) assert.equal((await call(emu, 'GET', `${jobsPath(emu)}/${stuck.id}`)).json.state, 'InProgress');
		emu.faults.pollsUntilDone(4);
		const slow = await createJob(emu, { operation: 'query', query: 'SELECT Id FROM Account' });
		const { states } = await pollToEnd(emu, slow.id);
		assert.deepEqual(states, ['UploadComplete', 'InProgress', 'InProgress', 'InProgress', 'JobComplete']);
	});

	it('answers bursts of 429 (Retry-After), 403 REQUEST_LIMIT_EXCEEDED and 5xx, then recovers', async () => {
		emu.faults.rateLimit(2, 3);
		for (let i = 0; i < 2; i++) {
			const limited = await call(emu, 'GET', jobsPath(emu));
			assert.equal(limited.status, 429);
			assert.equal(limited.headers.get('retry-after'), '3');
		}
		emu.faults.requestLimitExceeded(1);
		const quota = await call(emu, 'GET', jobsPath(emu));
		assert.equal(quota.status, 403);
		assert.deepEqual(quota.json, [{ errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'TotalRequests Limit exceeded.' }]);
		emu.faults.serverError(1, 503);
		assert.equal((await call(emu, 'GET', jobsPath(emu))).status, 503);
		emu.faults.serverError(1);
		const crash = await call(emu, 'GET', jobsPath(emu));
		assert.equal(crash.status, 500);
		assert.equal(crash.json[0].errorCode, 'UNKNOWN_EXCEPTION');
		assert.equal((await call(emu, 'GET', jobsPath(emu))).status, 200);
	});

	it('can cut a results download short after announcing the full length', async () => {
		const job = await createJob(emu, { operation: 'query', query: 'SELECT Id, Name, Description FROM Account' });
		await pollToEnd(emu, job.id);
		emu.faults.truncateDownload(1, 100);
		await assert.rejects(async () => {
			const res = await fetch(`${emu.instanceUrl}${jobsPath(emu)}/${job.id}/results`, { headers: { Authorization: `Bearer ${emu.accessToken}` } });
			await res.text();
		});
		const whole = await call(emu, 'GET', `${jobsPath(emu)}/${job.id}/results`);
		assert.equal(whole.text, emu.resultCsv(job.id));
	});

	it('forgets expired jobs (404), and deletes terminal jobs after 7 days on its clock', async () => {
		const job = await createJob(emu, { operation: 'query', query: 'SELECT Id FROM Account' });
		await pollToEnd(emu, job.id);
		emu.expireJob(job.id);
		assert.equal((await call(emu, 'GET', `${jobsPath(emu)}/${job.id}/results`)).status, 404);
		const old = await createJob(emu, { operation: 'query', query: 'SELECT Id FROM Account' });
		await pollToEnd(emu, old.id);
		emu.clock.advance(7 * 24 * 3600 * 1000 + 1000);
		assert.equal((await call(emu, 'GET', `${jobsPath(emu)}/${old.id}`)).status, 404);
	});

	it('logs every request with its headers and body', async () => {
		const before = emu.requests.length;
		await createJob(emu, { operation: 'query', query: 'SELECT Id FROM Account' });
		const entry = emu.requests[before];
		assert.equal(entry.host, 'api');
		assert.equal(entry.method, 'POST');
		assert.equal(entry.headers.authorization, `Bearer ${emu.accessToken}`);
		assert.match(entry.body ?? '', /SELECT Id FROM Account/);
	});
});

describe('Salesforce Bulk API 2.0 emulator: time-driven progression', () => {
	let emu: SalesforceBulkEmulator;
	before(async () => {
		emu = await startSalesforceBulkEmulator({ completeAfterMs: 60_000, frozenClock: true, seed: false });
		emu.records.generate('Account', 1200);
	});
	after(() => emu.close());

	it('completes once the clock passes completeAfterMs, however often it is polled', async () => {
		const job = await createJob(emu, { operation: 'query', query: 'SELECT Id FROM Account' });
		for (let i = 0; i < 5; i++) assert.equal((await call(emu, 'GET', `${jobsPath(emu)}/${job.id}`)).json.state, 'UploadComplete');
		emu.clock.advance(30_000);
		assert.equal((await call(emu, 'GET', `${jobsPath(emu)}/${job.id}`)).json.state, 'InProgress');
		emu.clock.advance(30_000);
		const done = await call(emu, 'GET', `${jobsPath(emu)}/${job.id}`);
		assert.equal(done.json.state, 'JobComplete');
		assert.equal(done.json.numberRecordsProcessed, 1200);
		const first = await call(emu, 'GET', `${jobsPath(emu)}/${job.id}/results?maxRecords=1000`);
		assert.equal(first.headers.get('sforce-numberofrecords'), '1000');
		assert.equal(first.headers.get('sforce-locator'), encodeLocatorForTest(1000));
		const second = await call(emu, 'GET', `${jobsPath(emu)}/${job.id}/results?maxRecords=1000&locator=${first.headers.get('sforce-locator')}`);
		assert.equal(second.headers.get('sforce-numberofrecords'), '200');
		assert.equal(second.headers.get('sforce-locator'), 'null');
	});
});
