/**
 * Tests of the "202 Accepted + Location" export-job emulator itself, over real HTTP.
 * Run: node --import tsx --test test/emulators/location-jobs.test.ts
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { startLocationJobsEmulator, type LocationJobsEmulator } from './location-jobs';

type Json = Record<string, any>;

interface Answer {
	status: number;
	headers: Headers;
	body: Json;
}

async function call(emu: LocationJobsEmulator, method: string, pathOrUrl: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
	const url = pathOrUrl.startsWith('http') ? pathOrUrl : new URL(pathOrUrl, emu.baseUrl).toString();
	const res = await fetch(url, {
		method,
		redirect: 'manual',
		headers: { [emu.authHeader]: emu.authValue, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await res.text();
	return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Json) : {} };
}

async function start(emu: LocationJobsEmulator, body: Json = { dataset: 'contacts' }, headers: Record<string, string> = {}): Promise<{ location: string; answer: Answer }> {
	const answer = await call(emu, 'POST', '/exports', body, headers);
	assert.equal(answer.status, 202, JSON.stringify(answer.body));
	const location = answer.headers.get('location') ?? answer.headers.get('operation-location');
	assert.ok(location, 'the 202 names the status monitor');
	return { location, answer };
}

async function pollToEnd(emu: LocationJobsEmulator, location: string): Promise<{ statuses: string[]; last: Answer }> {
	const statuses: string[] = [];
	for (let i = 0; i < 30; i++) {
		const res = await call(emu, 'GET', location);
		statuses.push(res.body.status);
		if (res.status !== 200 || !['notStarted', 'running', 'NotStarted', 'Running'].includes(res.body.status)) return { statuses, last: res };
	}
	throw new Error(`export at ${location} did not finish: ${statuses.join(',')}`);
}

describe('Location-jobs emulator: default shape (relative Location, rows inline)', () => {
	let emu: LocationJobsEmulator;
	before(async () => {
		emu = await startLocationJobsEmulator();
	});
	after(() => emu.close());
	afterEach(() => emu.faults.reset());

	it('answers 202 with a relative Location and Retry-After, then notStarted → running → succeeded with rows inline', async () => {
		const { location, answer } = await start(emu);
		assert.match(location, /^\/exports\/[0-9a-f-]{36}$/);
		assert.equal(answer.headers.get('retry-after'), '1');
		assert.equal(answer.body.status, 'notStarted');
		assert.equal(answer.body.percentComplete, 0);
		const { statuses, last } = await pollToEnd(emu, location);
		assert.deepEqual(statuses, ['notStarted', 'running', 'succeeded']);
		assert.equal(last.status, 200);
		assert.equal(last.headers.get('retry-after'), null, 'no Retry-After once terminal');
		assert.equal(last.body.percentComplete, 100);
		assert.match(last.body.createdDateTime, /Z$/);
		const rows = last.body.result.rows as Json[];
		assert.equal(rows.length, 40);
		assert.equal(last.body.result.rowCount, 40);
		assert.equal(last.body.result.nextLink, undefined);
		assert.deepEqual(Object.keys(rows[0]), ['id', 'email', 'firstName', 'lastName', 'company', 'lifecycleStage', 'notes', 'createdAt', 'updatedAt']);
		assert.deepEqual(rows, emu.data.list('contacts'));
	});

	it('sends Retry-After and a growing percentComplete while running', async () => {
		emu.faults.pollsUntilDone(4);
		const { location } = await start(emu);
		const percents: number[] = [];
		for (let i = 0; i < 4; i++) {
			const res = await call(emu, 'GET', location);
			assert.equal(res.headers.get('retry-after'), '1');
			percents.push(res.body.percentComplete);
		}
		assert.deepEqual([...percents].sort((a, b) => a - b), percents);
		assert.ok(percents[3] > 0 && percents[3] < 100);
		assert.equal((await call(emu, 'GET', location)).body.status, 'succeeded');
	});

	it('selects properties and filters by updatedAfter', async () => {
		const all = emu.data.list('deals');
		const pivot = String(all[9].updatedAt);
		const { location } = await start(emu, { dataset: 'deals', properties: ['name', 'amount'], filter: { updatedAfter: pivot } });
		const { last } = await pollToEnd(emu, location);
		assert.deepEqual(last.body.result.rows, all.filter((deal) => String(deal.updatedAt) > pivot).map((deal) => ({ id: deal.id, name: deal.name, amount: deal.amount })));
	});

	it('reports failed with error {code, message}', async () => {
		emu.faults.failJob('Source timed out', 'Timeout');
		const { location } = await start(emu);
		const { last } = await pollToEnd(emu, location);
		assert.equal(last.body.status, 'failed');
		assert.deepEqual(last.body.error, { code: 'Timeout', message: 'Source timed out' });
		assert.equal(last.body.result, undefined);
	});

	it('cancels with DELETE (idempotent), and keeps running forever when told to', async () => {
		emu.faults.neverFinish();
		const { location } = await start(emu);
		for (let i = 0; i < 5; i++) assert.equal((await call(emu, 'GET', location)).body.status, 'running');
		const canceled = await call(emu, 'DELETE', location);
		assert.equal(canceled.status, 200);
		assert.equal(canceled.body.status, 'canceled');
		assert.equal((await call(emu, 'DELETE', location)).body.status, 'canceled');
		assert.equal((await call(emu, 'GET', location)).body.status, 'canceled');
	});

	it('validates the request synchronously with {error: {code, message, target}}', async () => {
		const bad = await call(emu, 'POST', '/exports', { dataset: 'invoices' });
		assert.equal(bad.status, 400);
		assert.equal(bad.body.error.code, 'InvalidRequest');
		assert.equal(bad.body.error.target, 'dataset');
		const badProperty = await call(emu, 'POST', '/exports', { dataset: 'contacts', properties: ['nope'] });
		assert.equal(badProperty.status, 400);
		assert.equal((await call(emu, 'GET', '/exports/does-not-exist')).status, 404);
	});

	it('refuses a missing or wrong bearer token with 401 and WWW-Authenticate', async () => {
		const res = await call(emu, 'POST', '/exports', { dataset: 'contacts' }, { Authorization: 'Bearer wrong' });
		assert.equal(res.status, 401);
		assert.equal(res.body.error.code, 'Unauthorized');
		assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
	});

	it('answers bursts of 429 (seconds or HTTP date) and 503 with Retry-After, then recovers', async () => {
		emu.faults.rateLimit(1, 2);
		const limited = await call(emu, 'POST', '/exports', { dataset: 'contacts' });
		assert.equal(limited.status, 429);
		assert.equal(limited.headers.get('retry-after'), '2');
		emu.faults.rateLimit(1, 'http-date');
		const dated = await call(emu, 'POST', '/exports', { dataset: 'contacts' });
		assert.ok(!Number.isNaN(Date.parse(dated.headers.get('retry-after') ?? '')));
		emu.faults.serverError(1);
		const busy = await call(emu, 'POST', '/exports', { dataset: 'contacts' });
		assert.equal(busy.status, 503);
		assert.equal(busy.headers.get('retry-after'), '1');
		emu.faults.serverError(1, 500);
		assert.equal((await call(emu, 'POST', '/exports', { dataset: 'contacts' })).status, 500);
		await start(emu);
	});

	it('honours Operation-Id: a retry returns the same operation, a different request is refused', async () => {
		const first = await start(emu, { dataset: 'contacts' }, { 'Operation-Id': 'nightly-contacts-1' });
		assert.equal(first.location, '/exports/nightly-contacts-1');
		const retry = await start(emu, { dataset: 'contacts' }, { 'Operation-Id': 'nightly-contacts-1' });
		assert.equal(retry.location, first.location);
		const clash = await call(emu, 'POST', '/exports', { dataset: 'deals' }, { 'Operation-Id': 'nightly-contacts-1' });
		assert.equal(clash.status, 400);
	});

	it('can cut an answer with rows short after announcing the full length', async () => {
		const { location } = await start(emu);
		await call(emu, 'GET', location);
		await call(emu, 'GET', location);
		emu.faults.truncateDownload(1, 40);
		await assert.rejects(async () => {
			const res = await fetch(new URL(location, emu.baseUrl), { headers: { Authorization: emu.authValue } });
			await res.text();
		});
		assert.equal((await call(emu, 'GET', location)).body.result.rows.length, 40);
	});

	it('forgets finished jobs after the retention period (404)', async () => {
		const { location } = await start(emu);
		await pollToEnd(emu, location);
		emu.clock.advance(24 * 3600 * 1000 + 1000);
		const gone = await call(emu, 'GET', location);
		assert.equal(gone.status, 404);
		assert.equal(gone.body.error.code, 'NotFound');
	});

	it('logs requests with their headers', async () => {
		const before = emu.requests.length;
		await start(emu);
		assert.equal(emu.requests[before].headers.authorization, emu.authValue);
		assert.match(emu.requests[before].body ?? '', /contacts/);
	});
});

describe('Location-jobs emulator: variants', () => {
	it('absolute Operation-Location, API-key header and PascalCase statuses', async () => {
		const emu = await startLocationJobsEmulator({ location: 'absolute', locationHeader: 'Operation-Location', auth: { kind: 'api-key', header: 'X-API-Key' }, statusStyle: 'pascal', retryAfterSeconds: null });
		try {
			assert.equal(emu.authHeader, 'X-API-Key');
			const { location, answer } = await start(emu);
			assert.equal(answer.headers.get('location'), null);
			assert.ok(location.startsWith(`${emu.baseUrl}/exports/`));
			assert.equal(answer.headers.get('retry-after'), null);
			const { statuses } = await pollToEnd(emu, location);
			assert.deepEqual(statuses, ['NotStarted', 'Running', 'Succeeded']);
			const noKey = await fetch(location);
			assert.equal(noKey.status, 401);
			const bearerInstead = await fetch(location, { headers: { Authorization: `Bearer ${emu.token}` } });
			assert.equal(bearerInstead.status, 401);
		} finally {
			await emu.close();
		}
	});

	it('resourceLocation: the finished status links the result resource', async () => {
		const emu = await startLocationJobsEmulator({ result: 'resourceLocation' });
		try {
			const { location } = await start(emu);
			const early = await call(emu, 'GET', `${location}/result`);
			assert.equal(early.status, 409);
			const { last } = await pollToEnd(emu, location);
			assert.equal(last.body.result, undefined);
			assert.equal(last.body.resourceLocation, `${emu.baseUrl}${location}/result`);
			const result = await call(emu, 'GET', last.body.resourceLocation);
			assert.equal(result.body.rows.length, 40);
		} finally {
			await emu.close();
		}
	});

	it('see-other: the finished status answers 303 to the result', async () => {
		const emu = await startLocationJobsEmulator({ result: 'see-other' });
		try {
			const { location } = await start(emu);
			const { last } = await pollToEnd(emu, location);
			assert.equal(last.status, 303);
			assert.equal(last.headers.get('location'), `${location}/result`);
			const result = await call(emu, 'GET', last.headers.get('location') as string);
			assert.equal(result.status, 200);
			assert.equal(result.body.rows.length, 40);
			// A client that follows redirects lands on the rows directly.
			const followed = await fetch(new URL(location, emu.baseUrl), { headers: { Authorization: emu.authValue } });
			assert.equal(((await followed.json()) as Json).rows.length, 40);
		} finally {
			await emu.close();
		}
	});

	it('pages large results with an absolute nextLink, omitted on the last page', async () => {
		const emu = await startLocationJobsEmulator({ rowsPerPage: 15 });
		try {
			const { location } = await start(emu);
			const { last } = await pollToEnd(emu, location);
			const rows: Json[] = [...last.body.result.rows];
			let next: string | undefined = last.body.result.nextLink;
			let pages = 1;
			while (next) {
				assert.ok(next.startsWith(emu.baseUrl));
				const page = await call(emu, 'GET', next);
				rows.push(...page.body.rows);
				next = page.body.nextLink;
				pages++;
			}
			assert.equal(pages, 3);
			assert.deepEqual(rows.map((row) => row.id), emu.data.list('contacts').map((row) => row.id));
		} finally {
			await emu.close();
		}
	});

	it('time-driven: finishes when the clock passes completeAfterMs', async () => {
		const emu = await startLocationJobsEmulator({ completeAfterMs: 20_000, frozenClock: true });
		try {
			const { location } = await start(emu);
			for (let i = 0; i < 3; i++) assert.equal((await call(emu, 'GET', location)).body.status, 'notStarted');
			emu.clock.advance(10_000);
			const half = await call(emu, 'GET', location);
			assert.equal(half.body.status, 'running');
			assert.equal(half.body.percentComplete, 50);
			emu.clock.advance(10_000);
			assert.equal((await call(emu, 'GET', location)).body.status, 'succeeded');
		} finally {
			await emu.close();
		}
	});
});
