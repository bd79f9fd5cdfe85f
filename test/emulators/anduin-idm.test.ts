/**
 * Tests of the Anduin IDM emulator itself, over real HTTP with the global fetch.
 * Run: node --import tsx --test test/emulators/anduin-idm.test.ts
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import JSZip from 'jszip';
import {
	ANDUIN_FILE_FORMATS,
	ANDUIN_OBJECT_TYPES,
	startAnduinIdmEmulator,
	type AnduinFileFormat,
	type AnduinIdmEmulator,
	type AnduinIdmEmulatorOptions,
	type AnduinObjectType,
} from './anduin-idm';

type Json = Record<string, any>;

const SECOND = 1000;
const DAY = 24 * 60 * 60 * SECOND;
const REQUEST_ID = /^export-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface CallOptions {
	/** null: no Authorization header. Default: the emulator's first key, as it is. */
	auth?: string | null;
	body?: unknown;
	raw?: string;
	contentType?: string;
}

interface Answer {
	status: number;
	headers: Headers;
	body: Json;
	text: string;
}

async function call(emu: AnduinIdmEmulator, method: string, path: string, options: CallOptions = {}): Promise<Answer> {
	const headers: Record<string, string> = {};
	const auth = options.auth === undefined ? emu.apiKey : options.auth;
	if (auth !== null) headers.Authorization = auth;
	let body: string | undefined;
	if (options.raw !== undefined) body = options.raw;
	else if (options.body !== undefined) body = JSON.stringify(options.body);
	if (body !== undefined) headers['Content-Type'] = options.contentType ?? 'application/json';
	const res = await fetch(`${emu.apiOrigin}${path}`, { method, headers, body });
	const text = await res.text();
	let parsed: Json = {};
	try {
		parsed = text ? (JSON.parse(text) as Json) : {};
	} catch {
		parsed = {};
	}
	return { status: res.status, headers: res.headers, body: parsed, text };
}

const exportPath = (emu: AnduinIdmEmulator, type: string, query = '') => `/api/v1/idm/${emu.firmId}/${type}/export${query}`;

async function start(emu: AnduinIdmEmulator, type: AnduinObjectType, body?: unknown, auth?: string, query = ''): Promise<string> {
	const res = await call(emu, 'POST', exportPath(emu, type, query), { body, auth });
	assert.equal(res.status, 200, res.text);
	assert.deepEqual(Object.keys(res.body), ['requestId']);
	assert.match(res.body.requestId, REQUEST_ID);
	return res.body.requestId as string;
}

async function status(emu: AnduinIdmEmulator, requestId: string, auth?: string): Promise<Answer> {
	return call(emu, 'GET', `/api/v1/request/${requestId}`, { auth });
}

async function pollToEnd(emu: AnduinIdmEmulator, requestId: string, auth?: string): Promise<{ statuses: string[]; last: Json }> {
	const statuses: string[] = [];
	for (let i = 0; i < 30; i++) {
		const res = await status(emu, requestId, auth);
		assert.equal(res.status, 200, res.text);
		statuses.push(res.body.status);
		if (res.body.status === 'Completed' || res.body.status === 'Failed') return { statuses, last: res.body };
	}
	throw new Error(`job ${requestId} did not finish: ${statuses.join(',')}`);
}

/** RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF). */
function parseCsv(text: string): string[][] {
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
		else if (c === ',') {
			row.push(cell);
			cell = '';
		} else if (c === '\n' || c === '\r') {
			if (c === '\r' && text[i + 1] === '\n') i++;
			row.push(cell);
			rows.push(row);
			row = [];
			cell = '';
		} else cell += c;
	}
	if (cell !== '' || row.length > 0) {
		row.push(cell);
		rows.push(row);
	}
	return rows;
}

function csvObjects(text: string): Json[] {
	const [header, ...rows] = parseCsv(text);
	return rows.map((row) => Object.fromEntries(header.map((name, k) => [name, row[k]])));
}

async function download(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
	const res = await fetch(url, init);
	return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

async function runJob(emu: AnduinIdmEmulator, type: AnduinObjectType, body?: unknown, auth?: string, query = ''): Promise<{ requestId: string; statuses: string[]; last: Json }> {
	const requestId = await start(emu, type, body, auth, query);
	const { statuses, last } = await pollToEnd(emu, requestId, auth);
	return { requestId, statuses, last };
}

async function withEmulator(options: AnduinIdmEmulatorOptions, run: (emu: AnduinIdmEmulator) => Promise<void>): Promise<void> {
	const emu = await startAnduinIdmEmulator(options);
	try {
		await run(emu);
	} finally {
		await emu.close();
	}
}

describe('Anduin IDM emulator: authentication and routes', () => {
	let emu: AnduinIdmEmulator;
	before(async () => {
		emu = await startAnduinIdmEmulator({ jobSizeLimit: 50 });
	});
	after(() => emu.close());
	afterEach(() => emu.faults.reset());

	it('accepts the API key as it is in Authorization (credential test: list contacts)', async () => {
		const res = await call(emu, 'GET', `/api/v1/idm/${emu.firmId}/contacts?offset=0&first=1`);
		assert.equal(res.status, 200, res.text);
		assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
		assert.equal(res.body.data.length, 1);
		assert.equal(res.body.total, emu.objects.count('contacts'));
		assert.equal(res.body.data[0].id, emu.objects.list('contacts')[0].id);
		const fles = await call(emu, 'GET', `/api/v1/idm/${emu.firmId}/fund-legal-entities`);
		assert.equal(fles.status, 200);
		assert.deepEqual(fles.body, { data: emu.fundLegalEntities, nextCursor: null });
		assert.equal((await call(emu, 'GET', `/api/v1/idm/${emu.firmId}/contacts?first=0`)).status, 400);
	});

	it('refuses Bearer, a missing key and a wrong key with 401 and a message', async () => {
		for (const auth of [`Bearer ${emu.apiKey}`, null, 'anduin_api_key_wrong', '']) {
			const res = await call(emu, 'GET', `/api/v1/idm/${emu.firmId}/contacts`, { auth });
			assert.equal(res.status, 401, `auth ${String(auth)}`);
			assert.equal(res.body.message, 'No valid API key provided.');
			const exp = await call(emu, 'POST', exportPath(emu, 'clients'), { auth, body: {} });
			assert.equal(exp.status, 401);
		}
		assert.equal(emu.jobs.length, 0);
	});

	it('acceptBearer lets "Bearer <key>" in', async () => {
		await withEmulator({ acceptBearer: true, seed: { clients: 1 } }, async (other) => {
			const res = await call(other, 'GET', `/api/v1/idm/${other.firmId}/clients`, { auth: `Bearer ${other.apiKey}` });
			assert.equal(res.status, 200, res.text);
		});
	});

	it('answers 403 for a firm the key cannot use (404 when so configured), 404 for unknown routes and types', async () => {
		const res = await call(emu, 'POST', '/api/v1/idm/fdfnotmyfirm00000/clients/export', { body: {} });
		assert.equal(res.status, 403);
		assert.equal(res.body.message, "The API key doesn't have permissions to perform the request.");
		await withEmulator({ unknownFirmStatus: 404, seed: false }, async (other) => {
			assert.equal((await call(other, 'POST', '/api/v1/idm/fdfnotmyfirm00000/clients/export', { body: {} })).status, 404);
		});
		assert.equal((await call(emu, 'POST', exportPath(emu, 'portfolios'), { body: {} })).status, 404);
		assert.equal((await call(emu, 'GET', exportPath(emu, 'clients'))).status, 404);
		assert.equal((await call(emu, 'GET', '/api/v1/request/export-00000000-0000-4000-8000-000000000000')).status, 404);
	});

	it('starts an export for every object type with an empty body, no body, or {"cursor": null}', async () => {
		for (const type of ANDUIN_OBJECT_TYPES) {
			const { last } = await runJob(emu, type, {});
			assert.equal(last.status, 'Completed', type);
			assert.equal(last.result.total, emu.objects.count(type), type);
		}
		const noBody = await call(emu, 'POST', exportPath(emu, 'clients'));
		assert.equal(noBody.status, 200, noBody.text);
		await pollToEnd(emu, noBody.body.requestId);
		const nullCursor = await runJob(emu, 'contacts', { cursor: null });
		assert.equal(nullCursor.last.status, 'Completed');
	});

	it('answers 400 to a body that is not a JSON object, 415 to another content type', async () => {
		assert.equal((await call(emu, 'POST', exportPath(emu, 'clients'), { raw: '{"cursor": ' })).status, 400);
		assert.equal((await call(emu, 'POST', exportPath(emu, 'clients'), { raw: '["x"]' })).status, 400);
		assert.equal((await call(emu, 'POST', exportPath(emu, 'clients'), { raw: 'cursor=x', contentType: 'application/x-www-form-urlencoded' })).status, 415);
		assert.equal((await call(emu, 'POST', exportPath(emu, 'clients'), { body: { cursor: 42 } })).status, 400);
	});

	it('logs both hosts with headers and bodies', async () => {
		const before = emu.requests.length;
		const { last } = await runJob(emu, 'clients', { marker: 'log-me' });
		await download(last.result.fileUrl, { headers: { 'X-Test': 'yes' } });
		const mine = emu.requests.slice(before);
		const startEntry = mine.find((entry) => entry.method === 'POST');
		assert.ok(startEntry);
		assert.equal(startEntry.host, 'api');
		assert.equal(startEntry.headers.authorization, emu.apiKey);
		assert.equal(JSON.parse(String(startEntry.body)).marker, 'log-me');
		assert.equal(startEntry.status, 200);
		const storage = emu.requestsTo('storage').at(-1);
		assert.ok(storage);
		assert.equal(storage.headers['x-test'], 'yes');
		assert.equal(storage.headers.authorization, undefined);
		assert.equal(storage.status, 200);
	});
});

describe('Anduin IDM emulator: jobs, cursors and results', () => {
	let emu: AnduinIdmEmulator;
	before(async () => {
		emu = await startAnduinIdmEmulator({ jobSizeLimit: 5, seed: { clients: 13 } });
	});
	after(() => emu.close());
	afterEach(() => emu.faults.reset());

	it('goes Pending → InProgress (progress.processed) → Completed with total, fileUrl and nextCursor', async () => {
		const requestId = await start(emu, 'clients');
		const first = await status(emu, requestId);
		assert.deepEqual(first.body, { requestId, status: 'Pending' });
		const second = await status(emu, requestId);
		assert.equal(second.body.status, 'InProgress');
		assert.deepEqual(Object.keys(second.body), ['requestId', 'status', 'progress']);
		assert.equal(typeof second.body.progress.processed, 'number');
		const third = await status(emu, requestId);
		assert.equal(third.body.status, 'Completed');
		assert.deepEqual(Object.keys(third.body.result), ['total', 'fileUrl', 'nextCursor']);
		assert.equal(third.body.result.total, 5);
		assert.equal(typeof third.body.result.nextCursor, 'string');
		assert.ok(third.body.result.fileUrl.startsWith(`${emu.storageOrigin}/`));
		// Polling a finished job keeps answering the same result.
		assert.deepEqual((await status(emu, requestId)).body, third.body);
	});

	it('a 3-job chain returns every object once, in order, and a null cursor at the end', async () => {
		const expected = emu.objects.list('clients').map((client) => client.id);
		const seen: string[] = [];
		const totals: number[] = [];
		let cursor: string | null = null;
		let jobs = 0;
		do {
			const { last } = await runJob(emu, 'clients', cursor === null ? {} : { cursor });
			assert.equal(last.status, 'Completed');
			totals.push(last.result.total);
			const file = await download(last.result.fileUrl);
			assert.equal(file.status, 200);
			const rows = csvObjects(file.bytes.toString('utf8'));
			assert.equal(rows.length, last.result.total);
			seen.push(...rows.map((row) => row.id));
			assert.ok('nextCursor' in last.result);
			cursor = last.result.nextCursor;
			jobs++;
		} while (cursor !== null && jobs < 10);
		assert.equal(jobs, 3);
		assert.deepEqual(totals, [5, 5, 3]);
		assert.deepEqual(seen, expected);
	});

	it('reads a chain from its snapshot: changes made meanwhile show in the next chain only', async () => {
		const before = emu.objects.list('clients').map((client) => String(client.id));
		const first = await runJob(emu, 'clients', {});
		const firstIds = csvObjects((await download(first.last.result.fileUrl)).bytes.toString('utf8')).map((row) => row.id);
		// Meanwhile: one new, one removed (from the part not yet read), one updated.
		const added = emu.objects.upsert('clients', { name: 'Late Arrival Fund' });
		emu.objects.remove('clients', before[7]);
		emu.objects.upsert('clients', { id: before[8], name: 'Renamed Holdings' });
		const ids = [...firstIds];
		let cursor: string | null = first.last.result.nextCursor;
		while (cursor !== null) {
			const { last } = await runJob(emu, 'clients', { cursor });
			const rows = csvObjects((await download(last.result.fileUrl)).bytes.toString('utf8'));
			ids.push(...rows.map((row) => row.id));
			assert.ok(!rows.some((row) => row.name === 'Renamed Holdings'));
			cursor = last.result.nextCursor;
		}
		assert.deepEqual(ids, before);
		const fresh = await runJob(emu, 'clients', {});
		assert.equal(fresh.last.result.total, 5);
		const all = emu.objects.list('clients');
		assert.equal(all.at(-1)?.id, added.id);
		assert.ok(!all.some((client) => client.id === before[7]));
		assert.equal(all.length, 13);
	});

	it('refuses forged, edited, foreign, expired and invalidated cursors with 400 and a message', async () => {
		const { last } = await runJob(emu, 'clients', {});
		const cursor = last.result.nextCursor as string;
		const edited = cursor.slice(0, -2) + (cursor.endsWith('AA') ? 'BB' : 'AA');
		for (const bad of ['not-a-cursor', Buffer.from('{"offset":5}').toString('base64'), edited, '']) {
			const res = await call(emu, 'POST', exportPath(emu, 'clients'), { body: { cursor: bad } });
			assert.equal(res.status, 400, bad);
			assert.match(res.body.message, /^cursor: /);
		}
		const otherType = await call(emu, 'POST', exportPath(emu, 'contacts'), { body: { cursor } });
		assert.equal(otherType.status, 400);
		assert.match(otherType.body.message, /clients/);
		assert.equal(emu.jobs.filter((job) => job.status !== 'Completed').length, 0, 'a refused start makes no job');
		// Still good, then expired by the clock.
		emu.clock.advance(8 * DAY);
		const expired = await call(emu, 'POST', exportPath(emu, 'clients'), { body: { cursor } });
		assert.equal(expired.status, 400);
		assert.equal(expired.body.message, 'cursor: Expired');
		emu.clock.advance(-8 * DAY);
		// invalidateCursors: every cursor issued so far is refused.
		const again = await runJob(emu, 'clients', {});
		emu.faults.invalidateCursors();
		const invalid = await call(emu, 'POST', exportPath(emu, 'clients'), { body: { cursor: again.last.result.nextCursor } });
		assert.equal(invalid.status, 400);
		assert.equal(invalid.body.message, 'cursor: Invalid');
	});

	it('allows one active job per user: 409 by default, 429 when so set, no Retry-After; free again once it completes', async () => {
		const active = await start(emu, 'clients');
		const busy = await call(emu, 'POST', exportPath(emu, 'contacts'), { body: {} });
		assert.equal(busy.status, 409);
		assert.equal(busy.headers.get('retry-after'), null);
		assert.match(busy.body.message, /one export job in a Pending or InProgress state/);
		emu.faults.busyStatus(429);
		const busy429 = await call(emu, 'POST', exportPath(emu, 'clients'), { body: {} });
		assert.equal(busy429.status, 429);
		assert.equal(busy429.headers.get('retry-after'), null);
		// Another user of the firm has a slot of its own.
		const other = await runJob(emu, 'clients', {}, emu.secondApiKey);
		assert.equal(other.last.status, 'Completed');
		// And cannot see the first user's request.
		assert.equal((await status(emu, active, emu.secondApiKey)).status, 404);
		await pollToEnd(emu, active);
		const next = await runJob(emu, 'clients', {});
		assert.equal(next.last.status, 'Completed');
	});

	it('the 429 busy mode can also be chosen at start', async () => {
		await withEmulator({ busyStatus: 429, seed: { clients: 2 } }, async (other) => {
			await start(other, 'clients');
			const busy = await call(other, 'POST', exportPath(other, 'clients'), { body: {} });
			assert.equal(busy.status, 429);
			assert.equal(busy.headers.get('retry-after'), null);
		});
	});

	it('spells the cursor next_cursor, and leaves it out at the end, when so configured', async () => {
		await withEmulator({ jobSizeLimit: 2, seed: { clients: 3 }, cursorField: 'next_cursor' }, async (other) => {
			const first = await runJob(other, 'clients', {});
			assert.deepEqual(Object.keys(first.last.result), ['total', 'fileUrl', 'next_cursor']);
			assert.equal(typeof first.last.result.next_cursor, 'string');
			const second = await runJob(other, 'clients', { cursor: first.last.result.next_cursor });
			assert.equal(second.last.result.next_cursor, null);
			assert.equal(second.last.result.total, 1);
		});
		await withEmulator({ jobSizeLimit: 2, seed: { clients: 3 }, omitCursorAtEnd: true }, async (other) => {
			const first = await runJob(other, 'clients', {});
			assert.equal(typeof first.last.result.nextCursor, 'string');
			const second = await runJob(other, 'clients', { cursor: first.last.result.nextCursor });
			assert.deepEqual(Object.keys(second.last.result), ['total', 'fileUrl']);
		});
	});

	it('an export with nothing in it completes with total 0, a header-only file and no cursor', async () => {
		await withEmulator({ seed: false }, async (other) => {
			const { last } = await runJob(other, 'clients', {});
			assert.equal(last.result.total, 0);
			assert.equal(last.result.nextCursor, null);
			const file = await download(last.result.fileUrl);
			assert.equal(parseCsv(file.bytes.toString('utf8')).length, 1);
		});
	});

	it('exactly a job of objects left: no cursor (the export holds no more)', async () => {
		await withEmulator({ jobSizeLimit: 3, seed: { clients: 6 } }, async (other) => {
			const first = await runJob(other, 'clients', {});
			const second = await runJob(other, 'clients', { cursor: first.last.result.nextCursor });
			assert.equal(second.last.result.total, 3);
			assert.equal(second.last.result.nextCursor, null);
		});
	});
});

describe('Anduin IDM emulator: faults', () => {
	let emu: AnduinIdmEmulator;
	before(async () => {
		emu = await startAnduinIdmEmulator({ jobSizeLimit: 10, fileUrlTtlMs: 60 * SECOND });
	});
	after(() => emu.close());
	afterEach(() => emu.faults.reset());

	it('failNextJob: Failed with {requestId, status, error: {message}}; the user is free again', async () => {
		emu.faults.failNextJob('Export worker crashed');
		const { requestId, last } = await runJob(emu, 'contacts', {});
		assert.deepEqual(last, { requestId, status: 'Failed', error: { message: 'Export worker crashed' } });
		assert.equal((await runJob(emu, 'contacts', {})).last.status, 'Completed');
	});

	it('the Failed body shape is configurable', async () => {
		await withEmulator({ failedBody: 'error-string', seed: { clients: 1 } }, async (other) => {
			other.faults.failNextJob('boom');
			const { last } = await runJob(other, 'clients', {});
			assert.equal(last.error, 'boom');
		});
		await withEmulator({ failedBody: 'message', seed: { clients: 1 } }, async (other) => {
			other.faults.failNextJob('boom');
			const { last } = await runJob(other, 'clients', {});
			assert.equal(last.message, 'boom');
			assert.equal(last.error, undefined);
		});
	});

	it('pollsUntilDone and neverFinish shape the next job only; finishJob ends a stuck one', async () => {
		emu.faults.pollsUntilDone(4);
		const slow = await runJob(emu, 'clients', {});
		assert.deepEqual(slow.statuses, ['Pending', 'InProgress', 'InProgress', 'InProgress', 'Completed']);
		emu.faults.pollsUntilDone(0);
		assert.deepEqual((await runJob(emu, 'clients', {})).statuses, ['Completed']);
		assert.deepEqual((await runJob(emu, 'clients', {})).statuses, ['Pending', 'InProgress', 'Completed']);
		emu.faults.neverFinish();
		const stuck = await start(emu, 'clients');
		for (let i = 0; i < 5; i++) await status(emu, stuck);
		assert.equal((await status(emu, stuck)).body.status, 'InProgress');
		assert.equal((await call(emu, 'POST', exportPath(emu, 'clients'), { body: {} })).status, 409);
		emu.finishJob(stuck);
		assert.equal((await status(emu, stuck)).body.status, 'Completed');
	});

	it('402 Request Failed on start, then a normal start', async () => {
		emu.faults.requestFailedOnStart(1);
		const res = await call(emu, 'POST', exportPath(emu, 'clients'), { body: {} });
		assert.equal(res.status, 402);
		assert.equal(res.body.message, 'The parameters were valid but the request failed.');
		assert.equal((await runJob(emu, 'clients', {})).last.status, 'Completed');
	});

	it('429 bursts with no Retry-After on start, status and download', async () => {
		emu.faults.rateLimit(2, 'start');
		for (let i = 0; i < 2; i++) {
			const res = await call(emu, 'POST', exportPath(emu, 'clients'), { body: {} });
			assert.equal(res.status, 429);
			assert.equal(res.headers.get('retry-after'), null);
			assert.match(res.body.message, /exponential backoff/);
		}
		const requestId = await start(emu, 'clients');
		emu.faults.rateLimit(1, 'status');
		const limited = await status(emu, requestId);
		assert.equal(limited.status, 429);
		assert.equal(limited.headers.get('retry-after'), null);
		const { last, statuses } = await pollToEnd(emu, requestId);
		assert.deepEqual(statuses, ['Pending', 'InProgress', 'Completed'], 'a refused poll does not count');
		emu.faults.rateLimit(1, 'download');
		const file = await download(last.result.fileUrl);
		assert.equal(file.status, 429);
		assert.equal(file.headers.get('retry-after'), null);
		assert.equal((await download(last.result.fileUrl)).status, 200);
	});

	it('5xx bursts on start, status and download', async () => {
		emu.faults.serverError(1, 503, 'start');
		assert.equal((await call(emu, 'POST', exportPath(emu, 'clients'), { body: {} })).status, 503);
		const requestId = await start(emu, 'clients');
		emu.faults.serverError(2, 502, 'status');
		assert.equal((await status(emu, requestId)).status, 502);
		const second = await status(emu, requestId);
		assert.equal(second.status, 502);
		assert.equal(second.body.message, 'Something went wrong on Anduin Server.');
		const { last } = await pollToEnd(emu, requestId);
		emu.faults.serverError(1, 500, 'download');
		const failed = await download(last.result.fileUrl);
		assert.equal(failed.status, 500);
		assert.match(failed.bytes.toString('utf8'), /<Code>InternalError<\/Code>/);
	});

	it('file URLs expire after fileUrlTtlMs (403), and at once with expireFileUrls', async () => {
		const { last } = await runJob(emu, 'clients', {});
		const url = new URL(last.result.fileUrl);
		assert.equal(url.searchParams.get('X-Amz-Algorithm'), 'AWS4-HMAC-SHA256');
		assert.equal(url.searchParams.get('X-Amz-Expires'), '60');
		assert.equal((await download(last.result.fileUrl)).status, 200);
		emu.clock.advance(61 * SECOND);
		const expired = await download(last.result.fileUrl);
		assert.equal(expired.status, 403);
		assert.match(expired.bytes.toString('utf8'), /<Message>Request has expired<\/Message>/);
		emu.clock.advance(-61 * SECOND);
		assert.equal((await download(last.result.fileUrl)).status, 200);
		const other = await runJob(emu, 'contacts', {});
		emu.faults.expireFileUrls();
		assert.equal((await download(last.result.fileUrl)).status, 403);
		assert.equal((await download(other.last.result.fileUrl)).status, 403);
		const fresh = await runJob(emu, 'contacts', {});
		assert.equal((await download(fresh.last.result.fileUrl)).status, 200, 'later URLs still work');
	});

	it('storage refuses an Authorization header, the key anywhere, and a tampered signature', async () => {
		const { last } = await runJob(emu, 'clients', {});
		const url: string = last.result.fileUrl;
		const withAuth = await download(url, { headers: { Authorization: emu.apiKey } });
		assert.equal(withAuth.status, 400);
		assert.match(withAuth.bytes.toString('utf8'), /Only one auth mechanism allowed/);
		const bearer = await download(url, { headers: { Authorization: 'Bearer something-else' } });
		assert.equal(bearer.status, 400);
		const leaked = await download(url, { headers: { 'X-Api-Key': emu.apiKey } });
		assert.equal(leaked.status, 403);
		const refused = emu.requestsTo('storage').filter((entry) => entry.refused);
		assert.ok(refused.length >= 3);
		assert.ok(refused.some((entry) => entry.headers.authorization === emu.apiKey));
		const tampered = url.replace(/X-Amz-Signature=([0-9a-f])/, (_, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`);
		assert.equal((await download(tampered)).status, 403);
		assert.equal((await download(url.split('?')[0])).status, 403);
		assert.equal((await download(url)).status, 200);
	});

	it('truncateDownload: full Content-Length announced, connection dropped after atBytes', async () => {
		const { last } = await runJob(emu, 'clients', {});
		emu.faults.truncateDownload(1, 40);
		const res = await fetch(last.result.fileUrl);
		assert.equal(res.status, 200);
		assert.ok(Number(res.headers.get('content-length')) > 40);
		await assert.rejects(res.arrayBuffer());
		assert.equal((await download(last.result.fileUrl)).status, 200);
	});
});

describe('Anduin IDM emulator: files', () => {
	let emu: AnduinIdmEmulator;
	before(async () => {
		emu = await startAnduinIdmEmulator({ seed: { clients: 12, 'investment-entities': 8, investments: 9 } });
	});
	after(() => emu.close());
	afterEach(() => emu.faults.reset());

	async function fileOf(type: AnduinObjectType, format?: AnduinFileFormat): Promise<{ bytes: Buffer; headers: Headers; total: number }> {
		if (format) emu.faults.formatNextJob(format);
		const { last } = await runJob(emu, type, {});
		const file = await download(last.result.fileUrl);
		assert.equal(file.status, 200);
		return { bytes: file.bytes, headers: file.headers, total: last.result.total };
	}

	it('CSV: quoted formatted amounts, zero-padded ids kept, awkward text round-trips', async () => {
		const { bytes, headers } = await fileOf('investments', 'csv');
		assert.match(headers.get('content-type') ?? '', /^text\/csv/);
		assert.notEqual(bytes[0], 0xef, 'no BOM');
		const text = bytes.toString('utf8');
		assert.ok(text.includes('\r\n'));
		assert.match(text, /,"\d{1,3}(,\d{3})+\.\d{2}",/);
		const rows = csvObjects(text);
		assert.deepEqual(
			rows.map((row) => row.commitmentAmount),
			emu.objects.list('investments').map((investment) => investment.commitmentAmount),
		);
		const clients = csvObjects((await fileOf('clients', 'csv')).bytes.toString('utf8'));
		assert.equal(clients[0].trackingId, '000001');
		const stored = emu.objects.list('clients');
		assert.deepEqual(
			clients.map((row) => [row.name, row.note, row.tags]),
			stored.map((client) => [client.name, client.note, (client.tags as string[]).join('; ')]),
		);
		assert.ok(clients.some((row) => row.note.includes('\n')));
		assert.ok(clients.some((row) => row.name.includes('"')));
	});

	it('CSV with a UTF-8 BOM', async () => {
		const { bytes } = await fileOf('clients', 'csv-bom');
		assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
		assert.equal(parseCsv(bytes.toString('utf8').slice(1))[0][0], 'id');
	});

	it('JSON array and JSON Lines', async () => {
		const json = await fileOf('clients', 'json');
		assert.match(json.headers.get('content-type') ?? '', /^application\/json/);
		const array = JSON.parse(json.bytes.toString('utf8')) as Json[];
		assert.deepEqual(
			array.map((row) => row.id),
			emu.objects.list('clients').map((client) => client.id),
		);
		assert.equal(array[0].trackingId, '000001');
		assert.ok(Array.isArray(array[0].tags));
		const lines = await fileOf('investments', 'jsonl');
		const text = lines.bytes.toString('utf8');
		assert.ok(text.endsWith('\n'));
		const rows = text
			.slice(0, -1)
			.split('\n')
			.map((line) => JSON.parse(line) as Json);
		assert.equal(rows.length, lines.total);
		assert.match(rows[0].commitmentAmount, /^\d{1,3}(,\d{3})*\.\d{2}$/);
	});

	it('zip holding one CSV or one JSON', async () => {
		for (const format of ['zip-csv', 'zip-json'] as const) {
			const { bytes, headers, total } = await fileOf('clients', format);
			assert.equal(headers.get('content-type'), 'application/zip');
			assert.match(headers.get('content-disposition') ?? '', /\.zip"$/);
			const zip = await JSZip.loadAsync(bytes);
			const names = Object.keys(zip.files);
			assert.deepEqual(names, [format === 'zip-csv' ? 'clients.csv' : 'clients.json']);
			const inner = await zip.file(names[0])?.async('string');
			assert.ok(inner);
			const count = format === 'zip-csv' ? csvObjects(inner).length : (JSON.parse(inner) as Json[]).length;
			assert.equal(count, total);
		}
	});

	it('format per type until reset, and per job', async () => {
		emu.faults.format('contacts', 'jsonl');
		assert.ok((await fileOf('contacts')).bytes.toString('utf8').startsWith('{'));
		assert.ok((await fileOf('contacts')).bytes.toString('utf8').startsWith('{'));
		assert.ok((await fileOf('clients')).bytes.toString('utf8').startsWith('id,'));
		emu.faults.reset();
		assert.ok((await fileOf('contacts')).bytes.toString('utf8').startsWith('id,'));
		assert.deepEqual([...ANDUIN_FILE_FORMATS].sort(), ['csv', 'csv-bom', 'json', 'jsonl', 'zip-csv', 'zip-json']);
	});

	it('serves byte ranges (206), suffix ranges, HEAD, and 416 past the end', async () => {
		const { last } = await runJob(emu, 'clients', {});
		const whole = await download(last.result.fileUrl);
		const part = await download(last.result.fileUrl, { headers: { Range: 'bytes=0-9' } });
		assert.equal(part.status, 206);
		assert.equal(part.headers.get('content-range'), `bytes 0-9/${whole.bytes.length}`);
		assert.deepEqual(part.bytes, whole.bytes.subarray(0, 10));
		const rest = await download(last.result.fileUrl, { headers: { Range: 'bytes=10-' } });
		assert.deepEqual(Buffer.concat([part.bytes, rest.bytes]), whole.bytes);
		const tail = await download(last.result.fileUrl, { headers: { Range: 'bytes=-5' } });
		assert.deepEqual(tail.bytes, whole.bytes.subarray(-5));
		const head = await fetch(last.result.fileUrl, { method: 'HEAD' });
		assert.equal(head.status, 200);
		assert.equal(Number(head.headers.get('content-length')), whole.bytes.length);
		assert.equal(head.headers.get('accept-ranges'), 'bytes');
		const past = await download(last.result.fileUrl, { headers: { Range: `bytes=${whole.bytes.length}-` } });
		assert.equal(past.status, 416);
		assert.equal(past.headers.get('content-range'), `bytes */${whole.bytes.length}`);
	});

	it('profiles: CSV with the template headers, filtered by investmentEntityIds (Anduin or tracking ids)', async () => {
		const profiles = emu.objects.list('profiles');
		const wanted = [profiles[0].investmentEntityId as string, profiles[2].investmentEntityTrackingId as string];
		const { last } = await runJob(emu, 'profiles', { investmentEntityIds: wanted });
		assert.equal(last.result.total, 2);
		const file = await download(last.result.fileUrl);
		const [header, ...rows] = parseCsv(file.bytes.toString('utf8'));
		assert.deepEqual(header, ['Investment Entity ID', 'Investment Entity Tracking ID', 'Investment Entity Name', ...emu.exportTemplates[0].fields.map((field) => field.header)]);
		assert.deepEqual(
			rows.map((row) => row[0]),
			[profiles[0].investmentEntityId, profiles[2].investmentEntityId],
		);
		const template = await runJob(emu, 'profiles', {}, undefined, `?exportTemplateId=${encodeURIComponent(emu.exportTemplates[0].id)}`);
		assert.equal(template.last.result.total, profiles.length);
		assert.equal((await call(emu, 'POST', exportPath(emu, 'profiles', '?exportTemplateId=nope'), { body: {} })).status, 400);
		const unknown = await call(emu, 'POST', exportPath(emu, 'profiles'), { body: { investmentEntityIds: ['IE-999999'] } });
		assert.equal(unknown.status, 400);
		assert.match(unknown.body.message, /^investmentEntityIds: Invalid/);
		assert.equal((await call(emu, 'POST', exportPath(emu, 'profiles'), { body: { investmentEntityIds: 'x' } })).status, 400);
	});

	it('profiles: exportTemplateId is required when the firm has several templates; a cursor keeps its query', async () => {
		const templates = [
			{ id: 'tpl-a', name: 'A', fields: [{ field: 'legalName', header: 'Legal Name' }] },
			{ id: 'tpl-b', name: 'B', fields: [{ field: 'taxId', header: 'Tax ID' }] },
		];
		await withEmulator({ exportTemplates: templates, jobSizeLimit: 4 }, async (other) => {
			const missing = await call(other, 'POST', exportPath(other, 'profiles'), { body: {} });
			assert.equal(missing.status, 400);
			assert.match(missing.body.message, /^exportTemplateId/);
			const first = await runJob(other, 'profiles', {}, undefined, '?exportTemplateId=tpl-b');
			const header = parseCsv((await download(first.last.result.fileUrl)).bytes.toString('utf8'))[0];
			assert.equal(header.at(-1), 'Tax ID');
			const switched = await call(other, 'POST', exportPath(other, 'profiles', '?exportTemplateId=tpl-a'), { body: { cursor: first.last.result.nextCursor } });
			assert.equal(switched.status, 400);
			const same = await runJob(other, 'profiles', { cursor: first.last.result.nextCursor }, undefined, '?exportTemplateId=tpl-b');
			assert.equal(same.last.status, 'Completed');
		});
	});
});

describe('Anduin IDM emulator: data and clock', () => {
	it('seeds realistic objects with references between types', async () => {
		await withEmulator({}, async (emu) => {
			const clients = emu.objects.list('clients');
			const entities = emu.objects.list('investment-entities');
			const investments = emu.objects.list('investments');
			assert.match(emu.firmId, /^fdf[a-z0-9]{13}$/);
			assert.ok(String(clients[0].id).startsWith(`${emu.firmId}.`));
			const clientIds = new Set(clients.map((client) => client.id));
			assert.ok(entities.every((entity) => clientIds.has(entity.clientId)));
			const fleIds = new Set(emu.fundLegalEntities.map((fle) => fle.id));
			assert.ok(investments.every((investment) => fleIds.has(String(investment.fundLegalEntityId)) && String(investment.id).startsWith(`${investment.fundLegalEntityId}.inv`)));
			for (const record of [...clients, ...entities]) {
				assert.ok(Date.parse(String(record.createdAt)) <= Date.parse(String(record.updatedAt)));
			}
			const matrix = emu.objects.list('communication-matrices');
			assert.equal(new Set(matrix.map((row) => emu.objects.keyOf('communication-matrices', row))).size, matrix.length);
			assert.equal(typeof matrix[0].communicationTypes, 'object');
		});
	});

	it('upsert creates with defaults and merges by key; generate replaces or appends; remove', async () => {
		await withEmulator({ seed: false, frozenClock: true }, async (emu) => {
			const made = emu.objects.generate('clients', 3);
			assert.equal(emu.objects.count('clients'), 3);
			emu.clock.advance(DAY);
			const updated = emu.objects.upsert('clients', { id: made[1].id, note: 'changed' });
			assert.equal(updated.name, made[1].name);
			assert.equal(updated.note, 'changed');
			assert.equal(updated.updatedAt, emu.clock.now().toISOString());
			assert.equal(updated.createdAt, made[1].createdAt);
			const created = emu.objects.upsert('clients', { name: 'New Co' });
			assert.equal(created.createdAt, emu.clock.now().toISOString());
			assert.notEqual(created.id, made[0].id);
			assert.deepEqual(
				emu.objects.list('clients').map((client) => client.id),
				[made[0].id, made[1].id, made[2].id, created.id],
			);
			emu.objects.generate('clients', 2, { append: true });
			assert.equal(emu.objects.count('clients'), 6);
			assert.ok(emu.objects.remove('clients', String(made[0].id)));
			assert.equal(emu.objects.get('clients', String(made[0].id)), undefined);
			emu.objects.generate('clients', 1);
			assert.equal(emu.objects.count('clients'), 1);
			assert.throws(() => emu.objects.upsert('communication-matrices', { contactId: 'x' }));
			const row = emu.objects.upsert('communication-matrices', { contactId: 'c', investmentEntityId: 'i', fundLegalEntityId: 'f' });
			assert.equal(emu.objects.keyOf('communication-matrices', row), 'c|i|f');
		});
	});

	it('time-based progression on a frozen clock', async () => {
		await withEmulator({ frozenClock: true, timing: { pendingMs: 10 * SECOND, runMs: 20 * SECOND }, seed: { clients: 10 } }, async (emu) => {
			const requestId = await start(emu, 'clients');
			assert.equal((await status(emu, requestId)).body.status, 'Pending');
			assert.equal((await status(emu, requestId)).body.status, 'Pending');
			emu.clock.advance(20 * SECOND);
			const running = await status(emu, requestId);
			assert.equal(running.body.status, 'InProgress');
			assert.equal(running.body.progress.processed, 5);
			assert.equal((await call(emu, 'POST', exportPath(emu, 'clients'), { body: {} })).status, 409);
			emu.clock.advance(10 * SECOND);
			assert.equal((await status(emu, requestId)).body.status, 'Completed');
			// The slot is free as soon as the time has passed, polled or not.
			const second = await start(emu, 'clients');
			emu.clock.advance(30 * SECOND);
			assert.equal(emu.job(second)?.status, 'Completed');
			await start(emu, 'clients');
		});
	});
});
