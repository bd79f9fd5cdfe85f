/**
 * Tests of the 4me emulator itself, over real HTTP with the global fetch.
 * Run: node --import tsx --test test/emulators/fourme.test.ts
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { after, afterEach, before, describe, it } from 'node:test';
import JSZip from 'jszip';
import { parseFourMeFrom, startFourMeEmulator, type FourMeEmulator } from './fourme';
import { parseByteRange, parseMultipart } from './http';

type Json = Record<string, unknown>;

interface CallOptions {
	body?: string | FormData | URLSearchParams;
	headers?: Record<string, string>;
	/** null: no Authorization header. */
	token?: string | null;
	account?: string;
}

function call(emu: FourMeEmulator, method: string, path: string, options: CallOptions = {}): Promise<Response> {
	const headers: Record<string, string> = { ...options.headers };
	if (options.token !== null) headers.Authorization = `Bearer ${options.token ?? emu.token}`;
	if (options.account !== undefined) headers['X-4me-Account'] = options.account;
	return fetch(`${emu.apiUrl}${path}`, { method, headers, body: options.body });
}

function form(fields: Record<string, string>): FormData {
	const data = new FormData();
	for (const [name, value] of Object.entries(fields)) data.append(name, value);
	return data;
}

async function createExport(emu: FourMeEmulator, fields: Record<string, string>, options: CallOptions = {}): Promise<string> {
	const res = await call(emu, 'POST', '/export', { body: form(fields), ...options });
	assert.equal(res.status, 200, await res.clone().text());
	const body = (await res.json()) as Json;
	assert.match(String(body.token), /^[0-9a-f]{32}$/);
	return String(body.token);
}

async function poll(emu: FourMeEmulator, token: string, options: CallOptions = {}): Promise<{ status: number; raw: string; body: Json }> {
	const res = await call(emu, 'GET', `/export/${token}`, options);
	const raw = await res.text();
	return { status: res.status, raw, body: raw ? (JSON.parse(raw) as Json) : {} };
}

/** Polls until a final state; returns every answer body and the raw text of the last one. */
async function pollToEnd(emu: FourMeEmulator, token: string, options: CallOptions = {}): Promise<{ states: string[]; last: Json; raw: string }> {
	const states: string[] = [];
	for (let i = 0; i < 20; i++) {
		const { status, raw, body } = await poll(emu, token, options);
		assert.equal(status, 200, raw);
		states.push(String(body.state));
		if (body.state !== 'queued' && body.state !== 'processing') return { states, last: body, raw };
	}
	throw new Error(`job ${token} did not finish: ${states.join(',')}`);
}

async function exportAndDownload(emu: FourMeEmulator, fields: Record<string, string>): Promise<{ url: string; res: Response; bytes: Buffer }> {
	const token = await createExport(emu, fields);
	const { last } = await pollToEnd(emu, token);
	assert.equal(last.state, 'done', JSON.stringify(last));
	const url = String(last.url);
	const res = await fetch(url);
	assert.equal(res.status, 200);
	return { url, res, bytes: Buffer.from(await res.arrayBuffer()) };
}

describe('4me emulator: export flow', () => {
	let emu: FourMeEmulator;
	before(async () => {
		emu = await startFourMeEmulator();
	});
	after(() => emu.close());
	afterEach(() => emu.faults.reset());

	it('creates, polls (queued, processing, done) and downloads a one-type CSV', async () => {
		const create = await call(emu, 'POST', '/export', { body: form({ type: 'sites' }), account: emu.account });
		assert.equal(create.status, 200);
		assert.equal(create.headers.get('x-ratelimit-limit'), '3600');
		assert.match(create.headers.get('x-ratelimit-remaining') ?? '', /^\d+$/);
		assert.ok(Number(create.headers.get('x-ratelimit-reset')) > Date.now() / 1000);
		const { token } = (await create.json()) as { token: string };

		assert.deepEqual((await poll(emu, token)).body, { state: 'queued' });
		const processing = (await poll(emu, token)).body;
		assert.equal(processing.state, 'processing');
		assert.equal(processing.type, 'sites');
		assert.equal(typeof processing.line, 'number');
		const done = await poll(emu, token);
		assert.equal(done.body.state, 'done');
		// The doc: "The ampersand & character is encoded as \u0026".
		assert.ok(done.raw.includes('\\u0026Expires='), done.raw);
		assert.ok(!done.raw.includes('&'), done.raw);
		const url = new URL(String(done.body.url));
		assert.equal(url.hostname, 'localhost');
		assert.notEqual(url.port, new URL(emu.apiUrl).port);
		assert.match(url.pathname, /^\/exports\/[0-9a-f]{32}\/\d{8}-sites-wdc\.csv$/);
		assert.deepEqual([...url.searchParams.keys()], ['AWSAccessKeyId', 'Expires', 'Signature']);
		const job = emu.jobs.find((j) => j.token === token);
		assert.ok(job?.completedAt && job.expiresAt);
		assert.equal(job.expiresAt.getTime() - job.completedAt.getTime(), 2 * 24 * 3600 * 1000);
		assert.match(String(done.body.expires_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
		assert.equal(job.bodyEncoding, 'multipart');

		const file = await fetch(String(done.body.url));
		assert.equal(file.status, 200);
		assert.equal(file.headers.get('content-type'), 'text/csv');
		const text = await file.text();
		assert.equal(Number(file.headers.get('content-length')), Buffer.byteLength(text));
		assert.ok(text.startsWith('id,name,address,remarks,created_at,updated_at\n'));
		assert.ok(text.includes('21,Houston,"Main Street 1\nHouston, TX","Line one\r\nLine two",'), 'embedded LF and CRLF quoted');
		assert.ok(text.includes('22,Amsterdam,"Damrak 1, Amsterdam","Café ""De Kroon"" ☕",'), 'comma and doubled quotes');
		assert.ok(text.includes('23,東京,,\t=1+1,'), 'TAB guard before =');
		assert.ok(text.endsWith('\n'));
		// The storage host never saw a token.
		const storageRequests = emu.requests.filter((r) => r.host === 'storage');
		assert.ok(storageRequests.length > 0);
		assert.ok(storageRequests.every((r) => r.headers.authorization === undefined));
	});

	it('answers the same done body on later polls within 5 minutes', async () => {
		const token = await createExport(emu, { type: 'teams' });
		const { last } = await pollToEnd(emu, token);
		assert.deepEqual((await poll(emu, token)).body, last);
	});

	it('guards every value starting with = + - @ with a TAB, and quotes per RFC 4180', async () => {
		const { bytes } = await exportAndDownload(emu, { type: 'people' });
		const text = bytes.toString('utf8');
		assert.ok(text.includes('"\t=HYPERLINK(""http://example.com"",""click"")"'), 'guarded and quoted');
		assert.ok(text.includes(',\t+81 team lead,'));
		assert.ok(text.includes(',\t-Contractor,\t@external,'));
		assert.ok(text.includes('"Ellen ""The Fixer"" Brown"'));
		assert.ok(text.includes('Zoë 🚀 Smith,,'), 'unicode and an empty value');
		assert.ok(text.includes('"Analyst\nLevel 2","Org A\r\nOrg B"'));
	});

	it('zips several types, one CSV per type, names carrying the type', async () => {
		const { url, res, bytes } = await exportAndDownload(emu, { type: 'people,people_contact_details' });
		assert.match(new URL(url).pathname, /-export-wdc\.zip$/);
		assert.equal(res.headers.get('content-type'), 'application/zip');
		assert.equal(bytes.subarray(0, 4).toString('latin1'), 'PK\u0003\u0004');
		const zip = await JSZip.loadAsync(bytes);
		const names = Object.keys(zip.files).sort();
		assert.equal(names.length, 2);
		assert.match(names[0], /^\d{8}-people-wdc\.csv$/);
		assert.match(names[1], /^\d{8}-people_contact_details-wdc\.csv$/);
		const details = await zip.file(names[1])?.async('string');
		assert.ok(details?.startsWith('id,person,label,telephone,email,created_at,updated_at\n'));
		assert.ok(details?.includes('"home, private",\t@home: 03-1234,'));
	});

	it('accepts JSON (Ruby SDK) and url-encoded bodies, and X-Xurrent-Account', async () => {
		const json = await call(emu, 'POST', '/export', {
			body: JSON.stringify({ type: 'sites', from: '2000-01-01T00:00:00+00:00' }),
			headers: { 'Content-Type': 'application/json', 'X-Xurrent-Account': emu.otherAccount },
		});
		assert.equal(json.status, 200);
		const encoded = await call(emu, 'POST', '/export', { body: new URLSearchParams({ type: 'teams', line_separator: 'crlf' }) });
		assert.equal(encoded.status, 200);
		const [first, second] = emu.jobs.slice(-2);
		assert.equal(first.bodyEncoding, 'json');
		assert.equal(first.account, 'wna-it');
		assert.equal(second.bodyEncoding, 'urlencoded');
		assert.equal(second.lineSeparator, 'crlf');
	});

	it('parses a hand-written multipart body with a preamble and quoted names', async () => {
		const boundary = 'XyZ-"b"';
		const body =
			'ignored preamble\r\n' +
			`--XyZ-"b"\r\n` +
			'Content-Disposition: form-data; name="type"\r\n\r\nsites\r\n' +
			`--XyZ-"b"   \r\n` + // transport padding
			'Content-Disposition: form-data; name="line_separator"\r\nContent-Type: text/plain\r\n\r\ncrlf\r\n' +
			`--XyZ-"b"--\r\nepilogue`;
		const res = await call(emu, 'POST', '/export', {
			body,
			headers: { 'Content-Type': `multipart/form-data; boundary="${boundary.replace(/"/g, '\\"')}"` },
		});
		assert.equal(res.status, 200, await res.clone().text());
		const job = emu.jobs[emu.jobs.length - 1];
		assert.deepEqual(job.types, ['sites']);
		assert.equal(job.lineSeparator, 'crlf');

		const broken = await call(emu, 'POST', '/export', {
			body: '--b\ncontent-disposition: form-data; name="type"\n\nsites\n--b--\n',
			headers: { 'Content-Type': 'multipart/form-data; boundary=b' },
		});
		assert.equal(broken.status, 400);
		assert.match(String(((await broken.json()) as Json).message), /multipart/);
	});

	it('writes CRLF line separators when asked', async () => {
		const { bytes } = await exportAndDownload(emu, { type: 'teams', line_separator: 'crlf' });
		const text = bytes.toString('utf8');
		assert.ok(text.startsWith('id,name,coordinator,remarks,created_at,updated_at\r\n'));
		assert.equal(text.split('\r\n').length, 4); // header, 2 rows, trailing empty
	});

	it('returns an xlsx file (opaque zip) with the xlsx content type', async () => {
		const { url, res, bytes } = await exportAndDownload(emu, { type: 'sites', export_format: 'xlsx' });
		assert.match(url, /-sites-wdc\.xlsx\?/);
		assert.equal(res.headers.get('content-type'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
		const zip = await JSZip.loadAsync(bytes);
		assert.ok(zip.file('[Content_Types].xml'));
	});

	it('rejects unknown types (422 with errors), bad formats and bad from (400)', async () => {
		const unknown = await call(emu, 'POST', '/export', { body: form({ type: 'sites,changes' }) });
		assert.equal(unknown.status, 422);
		const body = (await unknown.json()) as Json;
		assert.match(String(body.message), /changes/);
		assert.deepEqual(body.errors, [['type', "'changes' is not a valid export type"]]);

		const missing = await call(emu, 'POST', '/export', { body: form({ from: '20200101' }) });
		assert.equal(missing.status, 422);
		const format = await call(emu, 'POST', '/export', { body: form({ type: 'sites', export_format: 'pdf' }) });
		assert.equal(format.status, 422);
		const from = await call(emu, 'POST', '/export', { body: form({ type: 'sites', from: 'yesterday' }) });
		assert.equal(from.status, 400);
		assert.match(String(((await from.json()) as Json).message), /from/);
	});

	it('reads from in every documented format', () => {
		assert.equal(parseFourMeFrom('20130524')?.toISOString(), '2013-05-24T00:00:00.000Z');
		assert.equal(parseFourMeFrom('20130524T00:00:00')?.toISOString(), '2013-05-24T00:00:00.000Z');
		assert.equal(parseFourMeFrom('20130501T23:00:00-10:00')?.toISOString(), '2013-05-02T09:00:00.000Z');
		assert.equal(parseFourMeFrom('20130501T00:00:00Z')?.toISOString(), '2013-05-01T00:00:00.000Z');
		assert.equal(parseFourMeFrom('2013-05-01T00:00:00Z')?.toISOString(), '2013-05-01T00:00:00.000Z');
		assert.equal(parseFourMeFrom('2013-05-01T02:00:00+02:00')?.toISOString(), '2013-05-01T00:00:00.000Z');
		assert.equal(parseFourMeFrom('20130231'), undefined);
		assert.equal(parseFourMeFrom('2013-05-01T25:00:00Z'), undefined);
		assert.equal(parseFourMeFrom('May 1st'), undefined);
	});

	it('answers GET /me and guards auth: 401, 404 unknown account, 403 without export right', async () => {
		const me = await call(emu, 'GET', '/me');
		assert.equal(me.status, 200);
		assert.equal(((await me.json()) as Json).name, 'Howard Tanner');

		const anonymous = await call(emu, 'GET', '/me', { token: null });
		assert.equal(anonymous.status, 401);
		assert.deepEqual(await anonymous.json(), { message: 'Unauthorized' });
		assert.equal(anonymous.headers.get('x-ratelimit-limit'), '3600');
		assert.equal((await call(emu, 'GET', '/me', { token: 'wrong' })).status, 401);

		const account = await call(emu, 'GET', '/me', { account: 'nope' });
		assert.equal(account.status, 404);
		assert.deepEqual(await account.json(), { message: "Account 'nope' not found" });

		const forbidden = await call(emu, 'POST', '/export', { body: form({ type: 'sites' }), token: emu.tokenWithoutExportScope });
		assert.equal(forbidden.status, 403);
		assert.equal(typeof ((await forbidden.json()) as Json).message, 'string');
		assert.equal((await call(emu, 'GET', '/me', { token: emu.tokenWithoutExportScope })).status, 200);
		assert.equal((await call(emu, 'GET', '/nothing-here')).status, 404);
	});

	it('keeps jobs per account: unknown token and another account get 404', async () => {
		const token = await createExport(emu, { type: 'sites' });
		assert.equal((await poll(emu, token, { account: emu.otherAccount })).status, 404);
		const unknown = await poll(emu, '0'.repeat(32));
		assert.equal(unknown.status, 404);
		assert.deepEqual(unknown.body, { message: 'Not Found' });
		assert.equal((await poll(emu, token, { account: emu.account })).status, 200);
	});
});

describe('4me emulator: partial exports and limits', () => {
	let emu: FourMeEmulator;
	before(async () => {
		emu = await startFourMeEmulator({ pollsUntilDone: 0 });
	});
	after(() => emu.close());

	it('answers 204 with no body and creates no job when nothing changed since from', async () => {
		const jobs = emu.jobs.length;
		const res = await call(emu, 'POST', '/export', { body: form({ type: 'sites,teams', from: '20991231T00:00:00Z' }) });
		assert.equal(res.status, 204);
		assert.equal(await res.text(), '');
		assert.equal(emu.jobs.length, jobs);
	});

	it('exports only records updated after from', async () => {
		const from = new Date(emu.clock.now().getTime() - 60 * 1000);
		emu.records.upsert('teams', { id: '99', name: 'New team', coordinator: 'Zoë', remarks: '' });
		const stamp = from.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/-/g, ''); // 20251123T10:00:00Z
		const { bytes } = await exportAndDownload(emu, { type: 'teams', from: stamp });
		const lines = bytes.toString('utf8').trimEnd().split('\n');
		assert.equal(lines.length, 2);
		assert.ok(lines[1].startsWith('99,New team,Zoë,'));
		assert.equal(emu.jobs[emu.jobs.length - 1].from?.getTime(), Math.floor(from.getTime() / 1000) * 1000);
	});

	it('fails a partial export whose from is more than 2 months back', async () => {
		const now = emu.clock.now();
		const tooOld = new Date(now);
		tooOld.setUTCMonth(tooOld.getUTCMonth() - 2);
		tooOld.setUTCDate(tooOld.getUTCDate() - 1);
		const token = await createExport(emu, { type: 'sites', from: tooOld.toISOString() });
		assert.deepEqual((await pollToEnd(emu, token)).last, { state: 'failed', rate_limit_exceeded: 'requests' });

		const recent = new Date(now.getTime() - 50 * 24 * 3600 * 1000);
		const ok = await createExport(emu, { type: 'sites', from: recent.toISOString() });
		assert.equal((await pollToEnd(emu, ok)).last.state, 'done');
	});

	it('allows a full export of more than 10,000 records once per day per type', async () => {
		emu.records.generate('requests', 10001);
		assert.equal(emu.records.count('requests'), 10001);
		const first = await createExport(emu, { type: 'requests' });
		assert.equal((await pollToEnd(emu, first)).last.state, 'done');
		const second = await createExport(emu, { type: 'requests' });
		assert.deepEqual((await pollToEnd(emu, second)).last, { state: 'failed', rate_limit_exceeded: 'requests' });
		// Small types stay unlimited; the other account has its own allowance.
		for (let i = 0; i < 3; i++) assert.equal((await pollToEnd(emu, await createExport(emu, { type: 'sites' }))).last.state, 'done');
		const other = await createExport(emu, { type: 'requests' }, { account: emu.otherAccount });
		assert.equal((await pollToEnd(emu, other, { account: emu.otherAccount })).last.state, 'done');
		// Partial exports are not limited; the next day the full export works again.
		const partial = await createExport(emu, { type: 'requests', from: new Date(emu.clock.now().getTime() - 3600e3).toISOString() });
		assert.equal((await pollToEnd(emu, partial)).last.state, 'done');
		emu.clock.advance(24 * 3600 * 1000);
		const nextDay = await createExport(emu, { type: 'requests' });
		assert.equal((await pollToEnd(emu, nextDay)).last.state, 'done');
	});

	it('forgets a finished job 5 minutes after it completed (404), the URL still works', async () => {
		const token = await createExport(emu, { type: 'sites' });
		const { last } = await pollToEnd(emu, token);
		emu.clock.advance(5 * 60 * 1000 - 2000); // the emulated clock keeps ticking in real time
		assert.equal((await poll(emu, token)).status, 200);
		emu.clock.advance(3000);
		const gone = await poll(emu, token);
		assert.equal(gone.status, 404);
		assert.deepEqual(gone.body, { message: 'Not Found' });
		assert.equal((await fetch(String(last.url))).status, 200);
	});

	it('refuses expired, tampered, HEAD and Authorization-carrying downloads like S3', async () => {
		const token = await createExport(emu, { type: 'sites' });
		const url = String((await pollToEnd(emu, token)).last.url);

		const withAuth = await fetch(url, { headers: { Authorization: `Bearer ${emu.token}` } });
		assert.equal(withAuth.status, 400);
		assert.match(await withAuth.text(), /<Code>InvalidArgument<\/Code>/);

		const tampered = await fetch(url.replace(/Signature=[^&]+/, 'Signature=abc'));
		assert.equal(tampered.status, 403);
		assert.match(await tampered.text(), /SignatureDoesNotMatch/);
		assert.equal((await fetch(url, { method: 'HEAD' })).status, 403); // signed for GET only
		assert.equal((await fetch(url.split('?')[0])).status, 403);

		emu.clock.advance(2 * 24 * 3600 * 1000 + 1000);
		const expired = await fetch(url);
		assert.equal(expired.status, 403);
		assert.match(await expired.text(), /Request has expired/);
	});
});

describe('4me emulator: faults', () => {
	let emu: FourMeEmulator;
	before(async () => {
		emu = await startFourMeEmulator({ pollsUntilDone: 0 });
	});
	after(() => emu.close());
	afterEach(() => emu.faults.reset());

	it('rateLimit: 429 with Retry-After and the documented body, n times', async () => {
		emu.faults.rateLimit(2, 7);
		for (let i = 0; i < 2; i++) {
			const res = await call(emu, 'GET', '/me');
			assert.equal(res.status, 429);
			assert.equal(res.headers.get('retry-after'), '7');
			assert.deepEqual(await res.json(), { message: 'Too Many Requests', documentation_url: 'https://developer.4me.com/v1/#rate-limiting' });
		}
		assert.equal((await call(emu, 'GET', '/me')).status, 200);
	});

	it('serverError: the given status with a message body', async () => {
		emu.faults.serverError(1, 503);
		const res = await call(emu, 'POST', '/export', { body: form({ type: 'sites' }) });
		assert.equal(res.status, 503);
		assert.equal(typeof ((await res.json()) as Json).message, 'string');
		assert.equal((await call(emu, 'GET', '/me')).status, 200);
	});

	it('failJob: failed or error state with the given fields', async () => {
		emu.faults.failJob({ rate_limit_exceeded: 'requests' });
		const failed = await createExport(emu, { type: 'sites' });
		assert.deepEqual((await pollToEnd(emu, failed)).last, { state: 'failed', rate_limit_exceeded: 'requests' });
		emu.faults.failJob({ state: 'error', message: 'Export crashed' });
		const errored = await createExport(emu, { type: 'sites' });
		assert.deepEqual((await pollToEnd(emu, errored)).last, { state: 'error', message: 'Export crashed' });
		assert.equal((await pollToEnd(emu, await createExport(emu, { type: 'sites' }))).last.state, 'done');
	});

	it('pollsUntilDone and neverFinish shape the poll sequence', async () => {
		emu.faults.pollsUntilDone(3);
		const slow = await createExport(emu, { type: 'sites' });
		assert.deepEqual((await pollToEnd(emu, slow)).states, ['queued', 'processing', 'processing', 'done']);
		emu.faults.neverFinish();
		const stuck = await createExport(emu, { type: 'sites' });
		const states: string[] = [];
		for (let i = 0; i < 6; i++) states.push(String((await poll(emu, stuck)).body.state));
		assert.deepEqual(states, ['queued', 'processing', 'processing', 'processing', 'processing', 'processing']);
	});

	it('releaseJobs: running jobs (held by neverFinish, or by their count of polls) finish on their next poll', async () => {
		emu.faults.neverFinish();
		const held = await createExport(emu, { type: 'sites' });
		emu.faults.pollsUntilDone(50);
		const slow = await createExport(emu, { type: 'sites' });
		assert.equal(String((await poll(emu, held)).body.state), 'queued');
		assert.equal(String((await poll(emu, held)).body.state), 'processing');
		assert.equal(String((await poll(emu, slow)).body.state), 'queued');
		emu.releaseJobs();
		assert.equal(String((await poll(emu, held)).body.state), 'done');
		assert.equal(String((await poll(emu, slow)).body.state), 'done');
	});

	it('bom and shuffleColumns change the file', async () => {
		emu.faults.bom(true);
		emu.faults.shuffleColumns(true);
		const { bytes } = await exportAndDownload(emu, { type: 'sites' });
		assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
		const header = bytes.subarray(3).toString('utf8').split('\n')[0].split(',');
		assert.deepEqual([...header].sort(), ['address', 'created_at', 'id', 'name', 'remarks', 'updated_at']);
		assert.notDeepEqual(header, ['id', 'name', 'address', 'remarks', 'created_at', 'updated_at']);
	});

	it('truncateDownload: full Content-Length, connection dropped after atBytes', async () => {
		const token = await createExport(emu, { type: 'people' });
		const url = String((await pollToEnd(emu, token)).last.url);
		emu.faults.truncateDownload(1, 100);
		const received = await rawGet(url);
		assert.equal(received.status, 200);
		assert.ok(received.contentLength > 100);
		assert.equal(received.body.length, 100);
		assert.equal(received.aborted, true);
		const whole = await fetch(url);
		assert.equal((await whole.arrayBuffer()).byteLength, received.contentLength);
	});

	it('truncateDownload makes fetch fail while reading the body', async () => {
		const token = await createExport(emu, { type: 'people' });
		const url = String((await pollToEnd(emu, token)).last.url);
		emu.faults.truncateDownload(1);
		const res = await fetch(url);
		await assert.rejects(res.arrayBuffer());
	});

	it('storageServerError: 503 SlowDown, then the download works', async () => {
		const token = await createExport(emu, { type: 'sites' });
		const url = String((await pollToEnd(emu, token)).last.url);
		emu.faults.storageServerError(1);
		const slow = await fetch(url);
		assert.equal(slow.status, 503);
		assert.match(await slow.text(), /<Code>SlowDown<\/Code>/);
		assert.equal((await fetch(url)).status, 200);
	});

	it('serves byte ranges (206) and refuses unsatisfiable ones (416)', async () => {
		const { url, bytes } = await exportAndDownload(emu, { type: 'people' });
		const partial = await fetch(url, { headers: { Range: 'bytes=10-' } });
		assert.equal(partial.status, 206);
		assert.equal(partial.headers.get('content-range'), `bytes 10-${bytes.length - 1}/${bytes.length}`);
		assert.deepEqual(Buffer.from(await partial.arrayBuffer()), bytes.subarray(10));
		const beyond = await fetch(url, { headers: { Range: `bytes=${bytes.length}-` } });
		assert.equal(beyond.status, 416);
		assert.equal(beyond.headers.get('content-range'), `bytes */${bytes.length}`);
		await beyond.arrayBuffer();
	});
});

/** Records of a CSV text (line breaks outside quotes; the text ends with one). */
function csvRecordCount(text: string): number {
	let quoted = false;
	let records = 0;
	for (let at = 0; at < text.length; at++) {
		const char = text.charCodeAt(at);
		if (char === 34) quoted = !quoted;
		else if (char === 10 && !quoted) records++;
	}
	return records;
}

describe('4me emulator: volume', () => {
	it('generates and exports 100,000 rows (partial and full)', async () => {
		const emu = await startFourMeEmulator({ pollsUntilDone: 0, seed: false });
		try {
			emu.records.generate('requests', 100000);
			emu.records.upsert('requests', { id: '5', subject: 'Changed, by hand' });
			assert.equal(emu.records.count('requests'), 100000);
			const first = await exportAndDownload(emu, { type: 'requests', from: new Date(emu.clock.now().getTime() - 24 * 3600e3).toISOString() });
			const lines = first.bytes.toString('utf8').split('\n');
			assert.equal(lines[0], 'id,subject,category,impact,status,team,created_at,updated_at');
			assert.ok(lines.some((line) => line.startsWith('5,"Changed, by hand",')));
			// How fast this goes is no test's business (speed targets live in bench/): only what is exported.
			const full = await exportAndDownload(emu, { type: 'requests' });
			assert.ok(full.bytes.length > 5000000);
			assert.equal(csvRecordCount(full.bytes.toString('utf8')), 1 + 100000, 'the header and every row');
		} finally {
			await emu.close();
		}
	});
});

describe('http helpers', () => {
	it('parseMultipart keeps binary data and escaped names', () => {
		const body = Buffer.concat([
			Buffer.from('--b\r\nContent-Disposition: form-data; name="a%22b"; filename="x \\"y\\".csv"\r\nContent-Type: text/csv\r\n\r\n'),
			Buffer.from([0, 1, 2, 0x0d, 0x0a, 3]),
			Buffer.from('\r\n--b--'),
		]);
		const [part] = parseMultipart(body, 'b');
		assert.equal(part.name, 'a"b');
		assert.equal(part.filename, 'x "y".csv');
		assert.equal(part.contentType, 'text/csv');
		assert.deepEqual([...part.data], [0, 1, 2, 0x0d, 0x0a, 3]);
	});

	it('parseByteRange handles open, closed, suffix and bad ranges', () => {
		assert.deepEqual(parseByteRange('bytes=5-', 10), { kind: 'range', start: 5, end: 9 });
		assert.deepEqual(parseByteRange('bytes=2-3', 10), { kind: 'range', start: 2, end: 3 });
		assert.deepEqual(parseByteRange('bytes=-4', 10), { kind: 'range', start: 6, end: 9 });
		assert.deepEqual(parseByteRange('bytes=10-', 10), { kind: 'unsatisfiable' });
		assert.deepEqual(parseByteRange('bytes=1-2,4-5', 10), { kind: 'none' });
	});
});

/** A GET with node:http, to see exactly how many body bytes arrived before the connection dropped. */
function rawGet(url: string): Promise<{ status: number; contentLength: number; body: Buffer; aborted: boolean }> {
	return new Promise((resolve, reject) => {
		const request = http.get(url, (res) => {
			const chunks: Buffer[] = [];
			let aborted = false;
			res.on('data', (chunk: Buffer) => chunks.push(chunk));
			res.on('aborted', () => {
				aborted = true;
			});
			res.on('error', () => {
				aborted = true;
			});
			res.on('close', () =>
				resolve({ status: res.statusCode ?? 0, contentLength: Number(res.headers['content-length']), body: Buffer.concat(chunks), aborted }),
			);
		});
		request.on('error', reject);
	});
}
