/**
 * Tests of the Mews emulator itself, over real HTTP with the global fetch.
 * Run: node --import tsx --test test/emulators/mews.test.ts
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it, mock } from 'node:test';
import { GeneratedBlock, MEWS_ENTITY_TYPES, MEWS_RATE_LIMITS, startMewsEmulator, type MewsEmulator, type MewsEntityType } from './mews';

type Json = Record<string, any>;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface CallOptions {
	token?: string;
	clientToken?: string;
	/** null: leave Client out. */
	client?: string | null;
	/** Sent as is instead of the JSON body. */
	raw?: string;
	contentType?: string;
	method?: string;
	path?: string;
}

interface Answer {
	status: number;
	headers: Headers;
	body: Json;
	text: string;
}

async function call(emu: MewsEmulator, operation: string, body: Json = {}, options: CallOptions = {}): Promise<Answer> {
	const auth: Json = { ClientToken: options.clientToken ?? emu.clientToken, AccessToken: options.token ?? emu.accessToken };
	if (options.client !== null) auth.Client = options.client ?? 'Emulator self-test 1.0.0';
	const method = options.method ?? 'POST';
	const res = await fetch(`${emu.platformAddress}${options.path ?? `/api/connector/v1/${operation}`}`, {
		method,
		headers: { 'Content-Type': options.contentType ?? 'application/json' },
		body: method === 'GET' || method === 'HEAD' ? undefined : (options.raw ?? JSON.stringify({ ...auth, ...body })),
	});
	const text = await res.text();
	let parsed: Json = {};
	try {
		parsed = text ? (JSON.parse(text) as Json) : {};
	} catch {
		parsed = {};
	}
	return { status: res.status, headers: res.headers, body: parsed, text };
}

async function addExport(emu: MewsEmulator, body: Json, token = emu.accessToken): Promise<Json> {
	const res = await call(emu, 'exports/add', body, { token });
	assert.equal(res.status, 200, res.text);
	return res.body.Export as Json;
}

async function getOne(emu: MewsEmulator, id: string, token = emu.accessToken): Promise<Json> {
	const res = await call(emu, 'exports/getAll', { ExportIds: [id] }, { token });
	assert.equal(res.status, 200, res.text);
	assert.equal(res.body.Exports.length, 1, res.text);
	return res.body.Exports[0] as Json;
}

async function pollToEnd(emu: MewsEmulator, id: string, token = emu.accessToken): Promise<{ statuses: string[]; last: Json }> {
	const statuses: string[] = [];
	for (let i = 0; i < 30; i++) {
		const exp = await getOne(emu, id, token);
		statuses.push(exp.Status);
		if (exp.Status !== 'Pending' && exp.Status !== 'Processing') return { statuses, last: exp };
	}
	throw new Error(`export ${id} did not finish: ${statuses.join(',')}`);
}

async function downloadLines(exp: Json): Promise<Json[]> {
	const lines: Json[] = [];
	for (const file of exp.Files as Json[]) {
		const res = await fetch(file.Url);
		assert.equal(res.status, 200, await res.clone().text());
		const bytes = Buffer.from(await res.arrayBuffer());
		assert.equal(bytes.length, file.SizeInBytes, 'SizeInBytes is the exact byte length');
		const text = bytes.toString('utf8');
		assert.ok(text.endsWith('\n'));
		for (const line of text.slice(0, -1).split('\n')) lines.push(JSON.parse(line) as Json);
	}
	return lines;
}

async function exportLines(emu: MewsEmulator, body: Json, token = emu.accessToken): Promise<{ exp: Json; lines: Json[] }> {
	const added = await addExport(emu, body, token);
	const { last } = await pollToEnd(emu, added.Id, token);
	assert.equal(last.Status, 'Success', JSON.stringify(last));
	return { exp: last, lines: await downloadLines(last) };
}

const ago = (emu: MewsEmulator, ms: number) => new Date(emu.clock.now().getTime() - ms);

describe('Mews emulator: requests, tokens and errors', () => {
	let emu: MewsEmulator;
	before(async () => {
		emu = await startMewsEmulator();
	});
	after(() => emu.close());
	afterEach(() => emu.faults.reset());

	it('answers configuration/get for every valid token, with the enterprise and NowUtc', async () => {
		for (const token of [emu.accessToken, emu.accessTokenWithoutExports]) {
			const res = await call(emu, 'configuration/get', {}, { token });
			assert.equal(res.status, 200, res.text);
			assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
			assert.match(res.headers.get('request-id') ?? '', /^[0-9a-f-]{36}$/);
			const enterprise = res.body.Enterprise as Json;
			assert.equal(enterprise.Id, emu.enterpriseIds[0]);
			assert.equal(enterprise.ChainId, emu.chainIds[0]);
			assert.equal(enterprise.IsPortfolio, false);
			assert.equal(typeof enterprise.Name, 'string');
			assert.equal(enterprise.TimeZoneIdentifier, 'Europe/London');
			assert.match(res.body.NowUtc, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$/);
			assert.ok(Math.abs(Date.parse(res.body.NowUtc) - emu.clock.now().getTime()) < 5 * SECOND);
		}
	});

	it('gives a portfolio token its dummy enterprise, or the one asked for within its scope', async () => {
		const portfolio = await call(emu, 'configuration/get', {}, { token: emu.portfolioAccessToken });
		assert.equal(portfolio.body.Enterprise.Id, emu.portfolioEnterpriseId);
		assert.equal(portfolio.body.Enterprise.IsPortfolio, true);
		const third = await call(emu, 'configuration/get', { EnterpriseId: emu.enterpriseIds[2] }, { token: emu.portfolioAccessToken });
		assert.equal(third.body.Enterprise.Id, emu.enterpriseIds[2]);
		assert.equal(third.body.Enterprise.ChainId, emu.chainIds[1]);
		assert.equal(third.body.Enterprise.TimeZoneIdentifier, 'America/New_York');
		const outside = await call(emu, 'configuration/get', { EnterpriseId: emu.enterpriseIds[1] });
		assert.equal(outside.status, 400);
		assert.match(outside.body.Message, /not within the scope/);
	});

	it('refuses bad tokens with 401 and a {Message, RequestId} body', async () => {
		const badAccess = await call(emu, 'configuration/get', {}, { token: 'not-a-token' });
		assert.equal(badAccess.status, 401);
		assert.deepEqual(Object.keys(badAccess.body), ['Message', 'RequestId']);
		assert.equal(badAccess.body.RequestId, badAccess.headers.get('request-id'));
		assert.equal((await call(emu, 'configuration/get', {}, { clientToken: 'nope' })).status, 401);
		const missing = await call(emu, 'configuration/get', {}, { raw: JSON.stringify({ Client: 'x 1.0' }) });
		assert.equal(missing.status, 401);
	});

	it('answers 400 to a malformed body or a missing Client, 415 to another content type', async () => {
		const noClient = await call(emu, 'configuration/get', {}, { client: null });
		assert.equal(noClient.status, 400);
		assert.match(noClient.body.Message, /Client/);
		assert.equal((await call(emu, 'configuration/get', {}, { client: '' })).status, 400);
		const broken = await call(emu, 'configuration/get', {}, { raw: '{"ClientToken": ' });
		assert.equal(broken.status, 400);
		assert.match(broken.body.Message, /JSON/);
		assert.equal((await call(emu, 'configuration/get', {}, { raw: '[1,2]' })).status, 400);
		assert.equal((await call(emu, 'configuration/get', {}, { raw: '' })).status, 400);
		const form = await call(emu, 'configuration/get', {}, { contentType: 'application/x-www-form-urlencoded' });
		assert.equal(form.status, 415);
		const charset = await call(emu, 'configuration/get', {}, { contentType: 'application/json; charset=utf-8' });
		assert.equal(charset.status, 200);
	});

	it('ignores unknown properties', async () => {
		const res = await call(emu, 'configuration/get', { Whatever: { nested: true }, LanguageCode: 'en-US', CultureCode: 'en-US' });
		assert.equal(res.status, 200, res.text);
	});

	it('answers 404 to other methods, addresses that differ in case or slash, and operations it does not emulate', async () => {
		const get = await call(emu, '', {}, { method: 'GET', path: '/api/connector/v1/exports/getAll' });
		assert.equal(get.status, 404);
		assert.equal(typeof get.body.Message, 'string');
		assert.equal((await call(emu, '', {}, { path: '/api/connector/v1/exports/getAll/' })).status, 404);
		assert.equal((await call(emu, '', {}, { path: '/api/connector/v1/Exports/GetAll' })).status, 404);
		assert.equal((await call(emu, 'reservations/getAll')).status, 404);
	});

	it('logs API requests with their bodies as received', async () => {
		const before = emu.requests.length;
		await call(emu, 'configuration/get', { Marker: 'log-me' });
		const entry = emu.requests[before];
		assert.equal(entry.server, 'api');
		assert.equal(entry.host, 'api');
		assert.equal(entry.method, 'POST');
		assert.equal(entry.path, '/api/connector/v1/configuration/get');
		const body = JSON.parse(String(entry.body)) as Json;
		assert.equal(body.AccessToken, emu.accessToken);
		assert.equal(body.Marker, 'log-me');
	});
});

describe('Mews emulator: exports/add validation', () => {
	let emu: MewsEmulator;
	before(async () => {
		emu = await startMewsEmulator();
	});
	after(() => emu.close());

	it('rejects an unknown or missing EntityType with 400 naming it', async () => {
		const unknown = await call(emu, 'exports/add', { EntityType: 'Reservations' });
		assert.equal(unknown.status, 400);
		assert.match(unknown.body.Message, /"Reservations"/);
		assert.match(unknown.body.Message, /OrderItem/);
		const missing = await call(emu, 'exports/add', {});
		assert.equal(missing.status, 400);
		assert.match(missing.body.Message, /EntityType/);
	});

	it('answers 401 to exports/* for a token without export access', async () => {
		const add = await call(emu, 'exports/add', { EntityType: 'Bill' }, { token: emu.accessTokenWithoutExports });
		assert.equal(add.status, 401);
		assert.match(add.body.Message, /restricted beta/);
		const getAll = await call(emu, 'exports/getAll', { ExportIds: [emu.enterpriseIds[0]] }, { token: emu.accessTokenWithoutExports });
		assert.equal(getAll.status, 401);
	});

	it('checks Scope: 1–1000 ids, identifiers, within the token’s reach', async () => {
		const many = Array.from({ length: 1001 }, () => emu.enterpriseIds[0]);
		const tooMany = await call(emu, 'exports/add', { EntityType: 'Bill', Scope: { EnterpriseIds: many } });
		assert.equal(tooMany.status, 400);
		assert.match(tooMany.body.Message, /1000/);
		assert.equal((await call(emu, 'exports/add', { EntityType: 'Bill', Scope: { EnterpriseIds: [] } })).status, 400);
		const notId = await call(emu, 'exports/add', { EntityType: 'Bill', Scope: { EnterpriseIds: ['hotel-1'] } });
		assert.equal(notId.status, 400);
		assert.match(notId.body.Message, /hotel-1/);
		const outside = await call(emu, 'exports/add', { EntityType: 'Bill', Scope: { EnterpriseIds: [emu.enterpriseIds[1]] } });
		assert.equal(outside.status, 400);
		assert.match(outside.body.Message, /not within the scope/);
		assert.equal(emu.exports.length, 0);
	});

	it('checks Filters.UpdatedUtc: end 5 minutes back, at most 180 days, start not after end', async () => {
		const recent = await call(emu, 'exports/add', { EntityType: 'Bill', Filters: { UpdatedUtc: { StartUtc: ago(emu, DAY).toISOString(), EndUtc: ago(emu, 4 * MINUTE).toISOString() } } });
		assert.equal(recent.status, 403);
		assert.match(recent.body.Message, /5 minutes/);
		const long = await call(emu, 'exports/add', { EntityType: 'Bill', Filters: { UpdatedUtc: { StartUtc: ago(emu, 181 * DAY + 10 * MINUTE).toISOString(), EndUtc: ago(emu, 10 * MINUTE).toISOString() } } });
		assert.equal(long.status, 403);
		assert.match(long.body.Message, /180 days/);
		const reversed = await call(emu, 'exports/add', { EntityType: 'Bill', Filters: { UpdatedUtc: { StartUtc: ago(emu, DAY).toISOString(), EndUtc: ago(emu, 2 * DAY).toISOString() } } });
		assert.equal(reversed.status, 403);
		assert.match(reversed.body.Message, /StartUtc/);
		const unreadable = await call(emu, 'exports/add', { EntityType: 'Bill', Filters: { UpdatedUtc: { StartUtc: 'last tuesday', EndUtc: ago(emu, DAY).toISOString() } } });
		assert.equal(unreadable.status, 400);
		assert.match(unreadable.body.Message, /StartUtc/);
		const noEnd = await call(emu, 'exports/add', { EntityType: 'Bill', Filters: { UpdatedUtc: { StartUtc: ago(emu, DAY).toISOString() } } });
		assert.equal(noEnd.status, 400);
		// Exactly 180 days, ending 6 minutes ago: accepted.
		const end = ago(emu, 6 * MINUTE);
		const edge = await call(emu, 'exports/add', { EntityType: 'Bill', Filters: { UpdatedUtc: { StartUtc: new Date(end.getTime() - 180 * DAY).toISOString(), EndUtc: end.toISOString() } } });
		assert.equal(edge.status, 200, edge.text);
	});

	it('needs LedgerEntryFilters for LedgerEntry', async () => {
		const missing = await call(emu, 'exports/add', { EntityType: 'LedgerEntry' });
		assert.equal(missing.status, 400);
		assert.match(missing.body.Message, /LedgerEntryFilters/);
		const badDate = await call(emu, 'exports/add', { EntityType: 'LedgerEntry', Filters: { LedgerEntryFilters: { Posting: { Start: '2024-02-30', End: '2024-03-01' } } } });
		assert.equal(badDate.status, 400);
		const ok = await addExport(emu, { EntityType: 'LedgerEntry', Filters: { LedgerEntryFilters: { Posting: { Start: '2000-01-01', End: '2100-12-31' } } } });
		assert.deepEqual(ok.Filters, { UpdatedUtc: null, LedgerEntryFilters: { Posting: { Start: '2000-01-01', End: '2100-12-31' } } });
	});

	it('rejects a second export of a type already Pending or Processing (400), per token', async () => {
		const first = await addExport(emu, { EntityType: 'Payment' });
		const again = await call(emu, 'exports/add', { EntityType: 'Payment' });
		assert.equal(again.status, 400);
		assert.match(again.body.Message, /Payment.*Pending or Processing/);
		await addExport(emu, { EntityType: 'Customer' }); // another type is fine
		await addExport(emu, { EntityType: 'Payment' }, emu.portfolioAccessToken); // so is another token
		await getOne(emu, first.Id); // Pending → still running
		await getOne(emu, first.Id); // Processing
		assert.equal((await call(emu, 'exports/add', { EntityType: 'Payment' })).status, 400);
		assert.equal((await getOne(emu, first.Id)).Status, 'Success');
		await addExport(emu, { EntityType: 'Payment' }); // done: a new one may start
	});
});

describe('Mews emulator: export flow and file storage', () => {
	let emu: MewsEmulator;
	before(async () => {
		emu = await startMewsEmulator({ linesPerFile: 10 });
	});
	after(() => emu.close());
	afterEach(() => emu.faults.reset());

	it('adds (Pending), polls (Pending, Processing, Success) and downloads JSON Lines over several files', async () => {
		emu.entities.generate('Reservation', 25, { until: ago(emu, 10 * MINUTE) });
		const res = await call(emu, 'exports/add', { EntityType: 'Reservation', Limitation: { Count: 5 } });
		assert.equal(res.status, 200, res.text);
		const added = res.body.Export as Json;
		assert.deepEqual(Object.keys(added), ['Id', 'Status', 'EntityType', 'Scope', 'Files', 'ExpiresUtc', 'Filters']);
		assert.match(added.Id, UUID);
		assert.deepEqual({ ...added, Id: 'x' }, {
			Id: 'x',
			Status: 'Pending',
			EntityType: 'Reservation',
			Scope: { EnterpriseIds: [emu.enterpriseIds[0]], ChainIds: null },
			Files: [],
			ExpiresUtc: null,
			Filters: null,
		});

		const { statuses, last } = await pollToEnd(emu, added.Id);
		assert.deepEqual(statuses, ['Pending', 'Processing', 'Success']);
		assert.equal(last.Files.length, 3);
		const record = emu.exports.find((exp) => exp.Id === added.Id);
		assert.ok(record?.completedUtc && record.ExpiresUtc);
		assert.equal(record.ExpiresUtc.getTime() - record.completedUtc.getTime(), 7 * DAY);
		assert.equal(Date.parse(last.ExpiresUtc), Math.floor(record.ExpiresUtc.getTime() / SECOND) * SECOND);
		assert.deepEqual(record.Files.map((file) => file.lines), [10, 10, 5]);
		assert.equal(record.polls, 3);
		assert.equal(record.accessToken, emu.accessToken);
		assert.equal(record.Scope, null);

		const url = new URL(last.Files[0].Url);
		assert.equal(url.hostname, 'localhost');
		assert.notEqual(url.port, new URL(emu.platformAddress).port);
		assert.equal(url.pathname, `/exports/${added.Id}-1.jsonl`);
		assert.deepEqual([...url.searchParams.keys()], ['sv', 'se', 'sr', 'sp', 'sig']);

		const lines = await downloadLines(last);
		assert.deepEqual(lines.map((line) => line.Id), emu.entities.list('Reservation').map((entity) => entity.Id));
		assert.deepEqual(lines[3], emu.entities.get('Reservation', lines[3].Id));
		// The storage host never saw a token.
		assert.ok(emu.requests.filter((r) => r.server === 'storage').every((r) => r.headers.authorization === undefined && !r.refused));
	});

	it('serves byte ranges (206), HEAD, and 416 past the end, like the storage does', async () => {
		emu.entities.generate('ResourceBlock', 4, { until: ago(emu, 10 * MINUTE) });
		const { exp } = await exportLines(emu, { EntityType: 'ResourceBlock' });
		const file = exp.Files[0] as Json;
		const full = Buffer.from(await (await fetch(file.Url)).arrayBuffer());
		const part = await fetch(file.Url, { headers: { Range: 'bytes=10-19' } });
		assert.equal(part.status, 206);
		assert.equal(part.headers.get('content-range'), `bytes 10-19/${full.length}`);
		assert.deepEqual(Buffer.from(await part.arrayBuffer()), full.subarray(10, 20));
		const head = await fetch(file.Url, { method: 'HEAD' });
		assert.equal(head.status, 200);
		assert.equal(Number(head.headers.get('content-length')), file.SizeInBytes);
		assert.equal(head.headers.get('accept-ranges'), 'bytes');
		const beyond = await fetch(file.Url, { headers: { Range: `bytes=${full.length + 5}-` } });
		assert.equal(beyond.status, 416);
		assert.equal(beyond.headers.get('content-range'), `bytes */${full.length}`);
		assert.equal(emu.exportFile(exp.Id, 1)?.length, full.length);
	});

	it('refuses credentials sent to the storage, tampered and missing signatures', async () => {
		emu.entities.generate('AvailabilityBlock', 3, { until: ago(emu, 10 * MINUTE) });
		const { exp } = await exportLines(emu, { EntityType: 'AvailabilityBlock' });
		const url = String(exp.Files[0].Url);

		const bearer = await fetch(url, { headers: { Authorization: 'Bearer abc' } });
		assert.equal(bearer.status, 403);
		assert.equal(bearer.headers.get('x-ms-error-code'), 'AuthenticationFailed');
		assert.match(await bearer.text(), /Authentication scheme Bearer is not supported/);
		assert.equal(emu.requests.at(-1)?.refused, 'request carries an Authorization header');

		const leaked = await fetch(`${url}&AccessToken=${emu.accessToken}`);
		assert.equal(leaked.status, 403);
		assert.match(String(emu.requests.at(-1)?.refused), /AccessToken in the URL/);
		const inHeader = await fetch(url, { headers: { 'X-Client-Token': emu.clientToken } });
		assert.equal(inHeader.status, 403);
		assert.match(String(emu.requests.at(-1)?.refused), /ClientToken in the x-client-token header/);

		const tampered = new URL(url);
		tampered.searchParams.set('se', new Date(Date.parse(String(tampered.searchParams.get('se'))) + DAY).toISOString().replace(/\.000Z$/, 'Z'));
		const forged = await fetch(tampered);
		assert.equal(forged.status, 403);
		assert.match(await forged.text(), /<Code>AuthenticationFailed<\/Code>.*Signature did not match/s);

		const bare = await fetch(url.split('?')[0]);
		assert.equal(bare.status, 404);
		assert.match(await bare.text(), /ResourceNotFound/);
		assert.equal((await fetch(url)).status, 200, 'the untouched link still works');
	});

	it('lets a link expire 10 minutes after the answer that gave it; getAll signs a fresh one', async () => {
		emu.entities.generate('Bill', 5, { until: ago(emu, 10 * MINUTE) });
		const { exp } = await exportLines(emu, { EntityType: 'Bill' });
		const url = String(exp.Files[0].Url);
		emu.clock.advance(10 * MINUTE - 5 * SECOND);
		assert.equal((await fetch(url)).status, 200);
		emu.clock.advance(10 * SECOND);
		const expired = await fetch(url);
		assert.equal(expired.status, 403);
		assert.equal(expired.headers.get('x-ms-error-code'), 'AuthenticationFailed');
		assert.equal(expired.headers.get('content-type'), 'application/xml');
		const xml = await expired.text();
		assert.ok(xml.startsWith('\uFEFF<?xml') || xml.startsWith('<?xml'), xml);
		assert.match(xml, /Signed expiry time \[.* GMT\] must be after signed start time \[.* GMT\]/);

		const again = await getOne(emu, exp.Id);
		assert.equal(again.Status, 'Success');
		assert.notEqual(again.Files[0].Url, url);
		assert.equal((await fetch(again.Files[0].Url)).status, 200);
	});

	it('expires the export after retention: Expired, no files, the blobs gone', async () => {
		emu.entities.generate('Company', 3, { until: ago(emu, 10 * MINUTE) });
		const { exp } = await exportLines(emu, { EntityType: 'Company' });
		emu.clock.advance(7 * DAY - MINUTE);
		const fresh = await getOne(emu, exp.Id);
		assert.equal(fresh.Status, 'Success');
		emu.clock.advance(2 * MINUTE);
		const expired = await getOne(emu, exp.Id);
		assert.equal(expired.Status, 'Expired');
		assert.deepEqual(expired.Files, []);
		assert.equal(expired.ExpiresUtc, exp.ExpiresUtc);
		const gone = await fetch(fresh.Files[0].Url);
		assert.equal(gone.status, 404);
		assert.match(await gone.text(), /BlobNotFound/);
		assert.equal(emu.exports.find((e) => e.Id === exp.Id)?.Status, 'Expired');
	});

	it('expireExport marks an export Expired at once', async () => {
		const { exp } = await exportLines(emu, { EntityType: 'OrderItem' });
		emu.expireExport(exp.Id);
		const now = await getOne(emu, exp.Id);
		assert.equal(now.Status, 'Expired');
		assert.deepEqual(now.Files, []);
		assert.equal((await fetch(exp.Files[0].Url)).status, 404);
	});

	it('filters by UpdatedUtc in [StartUtc, EndUtc), and StartUtc = EndUtc matches that instant only', async () => {
		const start = new Date(Math.floor(ago(emu, 2 * DAY).getTime() / SECOND) * SECOND);
		const end = new Date(start.getTime() + DAY);
		emu.entities.generate('Customer', 0);
		const before = emu.entities.upsert('Customer', { LastName: 'Before' }, new Date(start.getTime() - 1));
		const atStart = emu.entities.upsert('Customer', { LastName: 'AtStart' }, start);
		const inside = emu.entities.upsert('Customer', { LastName: 'Inside' }, new Date(end.getTime() - 1));
		emu.entities.upsert('Customer', { LastName: 'AtEnd' }, end);
		assert.equal(before.UpdatedUtc, formatLike(start.getTime() - 1));
		const { exp, lines } = await exportLines(emu, { EntityType: 'Customer', Filters: { UpdatedUtc: { StartUtc: start.toISOString(), EndUtc: end.toISOString() } } });
		assert.deepEqual(lines.map((line) => line.LastName), ['AtStart', 'Inside']);
		assert.deepEqual(exp.Filters, { UpdatedUtc: { StartUtc: formatLike(start.getTime()), EndUtc: formatLike(end.getTime()) }, LedgerEntryFilters: null });
		assert.deepEqual(emu.exports.at(-1)?.Filters, { UpdatedUtc: { StartUtc: start.toISOString(), EndUtc: end.toISOString() } });

		const instant = await exportLines(emu, { EntityType: 'Customer', Filters: { UpdatedUtc: { StartUtc: start.toISOString(), EndUtc: start.toISOString() } } });
		assert.deepEqual(instant.lines.map((line) => line.Id), [atStart.Id]);
		assert.ok(inside.Id);
	});

	it('scopes by enterprise with a portfolio token; customers and companies by chain', async () => {
		const [london, prague, washington] = emu.enterpriseIds;
		emu.entities.generate('Bill', 30, { enterpriseIds: [london, prague, washington], until: ago(emu, 10 * MINUTE) });
		const second = await exportLines(emu, { EntityType: 'Bill', Scope: { EnterpriseIds: [prague] } }, emu.portfolioAccessToken);
		assert.equal(second.lines.length, 10);
		assert.ok(second.lines.every((line) => line.EnterpriseId === prague));
		assert.deepEqual(second.exp.Scope, { EnterpriseIds: [prague], ChainIds: null });
		assert.deepEqual(emu.exports.at(-1)?.Scope, { EnterpriseIds: [prague] });
		const all = await exportLines(emu, { EntityType: 'Bill' }, emu.portfolioAccessToken);
		assert.equal(all.lines.length, 30);
		assert.deepEqual(all.exp.Scope, { EnterpriseIds: [london, prague, washington], ChainIds: null });
		const single = await exportLines(emu, { EntityType: 'Bill' });
		assert.ok(single.lines.length === 10 && single.lines.every((line) => line.EnterpriseId === london));

		emu.entities.generate('Company', 12, { enterpriseIds: [london, washington], until: ago(emu, 10 * MINUTE) });
		const us = await exportLines(emu, { EntityType: 'Company', Scope: { ChainIds: [emu.chainIds[1]], EnterpriseIds: [london] } }, emu.portfolioAccessToken);
		assert.equal(us.lines.length, 6);
		assert.ok(us.lines.every((line) => line.ChainId === emu.chainIds[1] && !('EnterpriseId' in line)));
		assert.deepEqual(us.exp.Scope, { EnterpriseIds: null, ChainIds: [emu.chainIds[1]] });
		const outsideChain = await call(emu, 'exports/add', { EntityType: 'Company', Scope: { ChainIds: [emu.chainIds[1]] } });
		assert.equal(outsideChain.status, 400);
	});

	it('ends an export with nothing to export as Success with no files', async () => {
		emu.entities.generate('AvailabilityAdjustment', 0);
		const { exp, lines } = await exportLines(emu, { EntityType: 'AvailabilityAdjustment' });
		assert.deepEqual(exp.Files, []);
		assert.deepEqual(lines, []);
	});

	it('getAll: ExportIds required, 1 to 1000; unknown and other tokens’ ids left out; Limitation ignored', async () => {
		const mine = await addExport(emu, { EntityType: 'ResourceBlock' });
		const theirs = await addExport(emu, { EntityType: 'ResourceBlock' }, emu.portfolioAccessToken);
		assert.equal((await call(emu, 'exports/getAll', {})).status, 400);
		assert.equal((await call(emu, 'exports/getAll', { ExportIds: [] })).status, 400);
		const notIds = await call(emu, 'exports/getAll', { ExportIds: ['nope'] });
		assert.equal(notIds.status, 400);
		assert.match(notIds.body.Message, /nope/);
		const filler = (n: number) => Array.from({ length: n }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
		const tooMany = await call(emu, 'exports/getAll', { ExportIds: [mine.Id, ...filler(1000)] });
		assert.equal(tooMany.status, 400);
		assert.match(tooMany.body.Message, /1000/);
		const max = await call(emu, 'exports/getAll', { ExportIds: [mine.Id, theirs.Id, mine.Id, ...filler(997)], Limitation: { Count: 10 } });
		assert.equal(max.status, 200, max.text);
		assert.deepEqual(max.body.Exports.map((exp: Json) => exp.Id), [mine.Id]);
		assert.equal(max.body.Cursor, undefined);
	});
});

describe('Mews emulator: faults', () => {
	let emu: MewsEmulator;
	before(async () => {
		emu = await startMewsEmulator({ linesPerFile: 3 });
	});
	after(() => emu.close());
	afterEach(() => emu.faults.reset());

	it('failExport: the next export ends Failed, with no files', async () => {
		emu.faults.failExport();
		const added = await addExport(emu, { EntityType: 'Payment' });
		const { statuses, last } = await pollToEnd(emu, added.Id);
		assert.deepEqual(statuses, ['Pending', 'Processing', 'Failed']);
		assert.deepEqual(last.Files, []);
		assert.equal(last.ExpiresUtc, null);
		const next = await exportLines(emu, { EntityType: 'Payment' });
		assert.ok(next.lines.length > 0, 'only the next export fails');
	});

	it('pollsUntilDone and neverFinish shape the next export only', async () => {
		emu.faults.pollsUntilDone(0);
		const quick = await addExport(emu, { EntityType: 'Bill' });
		assert.deepEqual((await pollToEnd(emu, quick.Id)).statuses, ['Success']);
		emu.faults.pollsUntilDone(4);
		const slow = await addExport(emu, { EntityType: 'Bill' });
		assert.deepEqual((await pollToEnd(emu, slow.Id)).statuses, ['Pending', 'Processing', 'Processing', 'Processing', 'Success']);
		emu.faults.neverFinish();
		const stuck = await addExport(emu, { EntityType: 'Bill' });
		for (let i = 0; i < 8; i++) await getOne(emu, stuck.Id);
		assert.equal((await getOne(emu, stuck.Id)).Status, 'Processing');
		assert.equal((await call(emu, 'exports/add', { EntityType: 'Bill' })).status, 400, 'it keeps blocking its type');
	});

	it('expireUrls: the next downloads answer as an expired link', async () => {
		const { exp } = await exportLines(emu, { EntityType: 'OrderItem' });
		emu.faults.expireUrls(1);
		const refused = await fetch(exp.Files[0].Url);
		assert.equal(refused.status, 403);
		assert.match(await refused.text(), /Signed expiry time/);
		assert.equal((await fetch(exp.Files[0].Url)).status, 200);
	});

	it('truncateDownload: full Content-Length announced, connection dropped after atBytes', async () => {
		const { exp } = await exportLines(emu, { EntityType: 'OrderItem' });
		emu.faults.truncateDownload(1, 100);
		const res = await fetch(exp.Files[0].Url);
		assert.equal(Number(res.headers.get('content-length')), exp.Files[0].SizeInBytes);
		await assert.rejects(res.arrayBuffer());
		const whole = await fetch(exp.Files[0].Url);
		assert.equal(Buffer.from(await whole.arrayBuffer()).length, exp.Files[0].SizeInBytes);
	});

	it('rateLimit: 429 with Retry-After in seconds or as an HTTP date', async () => {
		emu.faults.rateLimit(1, 2);
		const limited = await call(emu, 'configuration/get');
		assert.equal(limited.status, 429);
		assert.equal(limited.headers.get('retry-after'), '2');
		assert.equal(typeof limited.body.Message, 'string');
		assert.equal((await call(emu, 'configuration/get')).status, 200);
		emu.faults.rateLimit(1, 'http-date');
		const dated = await call(emu, 'exports/getAll', { ExportIds: [emu.enterpriseIds[0]] });
		assert.equal(dated.status, 429);
		const wait = Date.parse(String(dated.headers.get('retry-after'))) - Date.now();
		assert.ok(wait > 0 && wait <= 2 * SECOND, `wait ${wait}`);
	});

	it('serverError: that status with a {Message} body', async () => {
		emu.faults.serverError(2, 503);
		for (let i = 0; i < 2; i++) {
			const res = await call(emu, 'exports/add', { EntityType: 'Customer' });
			assert.equal(res.status, 503);
			assert.equal(typeof res.body.Message, 'string');
		}
		emu.faults.serverError(1);
		assert.equal((await call(emu, 'configuration/get')).status, 500);
		assert.equal((await call(emu, 'configuration/get')).status, 200);
	});
});

describe('Mews emulator: request limits', () => {
	it('limits per AccessToken and per endpoint on the emulator clock, with Retry-After', async () => {
		const emu = await startMewsEmulator({ rateLimits: { perToken: 5, perEndpoint: 3, windowMs: MINUTE } });
		try {
			for (let i = 0; i < 3; i++) assert.equal((await call(emu, 'configuration/get')).status, 200);
			const endpoint = await call(emu, 'configuration/get');
			assert.equal(endpoint.status, 429);
			const retry = Number(endpoint.headers.get('retry-after'));
			assert.ok(retry >= 1 && retry <= 60, String(retry));
			assert.equal((await call(emu, 'exports/getAll', { ExportIds: [emu.enterpriseIds[0]] })).status, 200, 'another endpoint: the 5th request of the token');
			assert.equal((await call(emu, 'exports/getAll', { ExportIds: [emu.enterpriseIds[0]] })).status, 429, 'the token has used its 5');
			assert.equal((await call(emu, 'configuration/get', {}, { token: emu.portfolioAccessToken })).status, 200, 'another token has its own');
			emu.clock.advance(MINUTE);
			assert.equal((await call(emu, 'configuration/get')).status, 200);
		} finally {
			await emu.close();
		}
	});

	it('defaults to the documented 200 requests per AccessToken per 30 seconds', async () => {
		assert.deepEqual(MEWS_RATE_LIMITS.newest, { perToken: 200, windowMs: 30 * SECOND });
		const emu = await startMewsEmulator({ seed: false });
		try {
			const answers = await Promise.all(Array.from({ length: 200 }, () => call(emu, 'configuration/get')));
			assert.ok(answers.every((answer) => answer.status === 200));
			const over = await call(emu, 'configuration/get');
			assert.equal(over.status, 429);
			assert.ok(Number(over.headers.get('retry-after')) <= 30);
		} finally {
			await emu.close();
		}
	});

	it('frozenClock: time moves only when a test moves it; NowUtc tells it to the millisecond', async () => {
		const emu = await startMewsEmulator({ seed: false, frozenClock: true });
		try {
			emu.clock.set(new Date('2025-03-01T10:00:00.123Z'));
			await new Promise((resolve) => setTimeout(resolve, 20));
			assert.equal((await call(emu, 'configuration/get')).body.NowUtc, '2025-03-01T10:00:00.123Z');
			emu.clock.advance(MINUTE);
			assert.equal(emu.clock.now().toISOString(), '2025-03-01T10:01:00.123Z');
		} finally {
			await emu.close();
		}
	});

	it('can be switched off', async () => {
		const emu = await startMewsEmulator({ seed: false, rateLimits: false });
		try {
			const answers = await Promise.all(Array.from({ length: 250 }, () => call(emu, 'configuration/get')));
			assert.ok(answers.every((answer) => answer.status === 200));
		} finally {
			await emu.close();
		}
	});
});

describe('Mews emulator: older API contract', () => {
	let emu: MewsEmulator;
	before(async () => {
		emu = await startMewsEmulator({ apiVersion: 'older', linesPerFile: 10 });
	});
	after(() => emu.close());

	it('accepts only OrderItem and answers Exports without Scope, Filters, Request-Id or RequestId', async () => {
		const payment = await call(emu, 'exports/add', { EntityType: 'Payment' });
		assert.equal(payment.status, 400);
		assert.match(payment.body.Message, /"Payment".*OrderItem/);
		assert.deepEqual(Object.keys(payment.body), ['Message']);
		assert.equal(payment.headers.get('request-id'), null);
		emu.entities.generate('OrderItem', 25, { until: ago(emu, 10 * MINUTE) });
		const res = await call(emu, 'exports/add', { EntityType: 'OrderItem', Filters: { UpdatedUtc: { StartUtc: ago(emu, DAY).toISOString(), EndUtc: ago(emu, 2 * DAY).toISOString() } }, Scope: { EnterpriseIds: ['not-checked'] } });
		assert.equal(res.status, 200, res.text);
		assert.deepEqual(res.body.Export.Files, []);
		assert.deepEqual(Object.keys(res.body.Export), ['Id', 'Status', 'EntityType', 'Files', 'ExpiresUtc']);
		assert.equal(emu.exports.at(-1)?.Filters, null, 'Filters and Scope were not part of this contract: ignored');
	});

	it('rejects any new export while one is pending', async () => {
		const again = await call(emu, 'exports/add', { EntityType: 'OrderItem' });
		assert.equal(again.status, 400);
		assert.match(again.body.Message, /Pending or Processing/);
	});

	it('getAll needs Limitation; lists Pending/Processing/Success newest first with a Cursor', async () => {
		const missing = await call(emu, 'exports/getAll', { ExportIds: [emu.exports[0].Id] });
		assert.equal(missing.status, 400);
		assert.match(missing.body.Message, /Limitation/);
		assert.equal((await call(emu, 'exports/getAll', { Limitation: { Count: 1001 } })).status, 400);

		const first = emu.exports[0];
		const polled = [];
		for (let i = 0; i < 3; i++) polled.push((await call(emu, 'exports/getAll', { ExportIds: [first.Id], Limitation: { Count: 10 } })).body);
		assert.deepEqual(polled.map((page) => page.Exports[0].Status), ['Pending', 'Processing', 'Success']);
		assert.equal(polled[2].Cursor, first.Id);
		const lines = await downloadLines(polled[2].Exports[0]);
		assert.equal(lines.length, 25, 'the filters were ignored: everything exported');

		emu.faults.failExport();
		const failed = (await call(emu, 'exports/add', { EntityType: 'OrderItem' })).body.Export as Json;
		for (let i = 0; i < 3; i++) await call(emu, 'exports/getAll', { ExportIds: [failed.Id], Limitation: { Count: 1 } });
		const second = (await call(emu, 'exports/add', { EntityType: 'OrderItem' })).body.Export as Json;
		const third = (await call(emu, 'exports/add', { EntityType: 'OrderItem' })).body;
		assert.match(third.Message, /Pending or Processing/);

		const page1 = (await call(emu, 'exports/getAll', { Limitation: { Count: 1 } })).body;
		assert.deepEqual(page1.Exports.map((exp: Json) => exp.Id), [second.Id], 'newest first; Failed left out without ExportIds');
		assert.equal(page1.Cursor, second.Id);
		const page2 = (await call(emu, 'exports/getAll', { Limitation: { Count: 1, Cursor: page1.Cursor } })).body;
		assert.deepEqual(page2.Exports.map((exp: Json) => exp.Id), [first.Id]);
		const page3 = (await call(emu, 'exports/getAll', { Limitation: { Count: 1, Cursor: page2.Cursor } })).body;
		assert.deepEqual(page3, { Exports: [], Cursor: null });
		const byId = (await call(emu, 'exports/getAll', { ExportIds: [failed.Id], EntityType: 'OrderItem', Limitation: { Count: 5 } })).body;
		assert.equal(byId.Exports[0].Status, 'Failed', 'asked by id, a Failed export is returned');
	});

	it('keeps a link working until the export expires (no 10-minute limit then)', async () => {
		const success = emu.exports.find((exp) => exp.Status === 'Success');
		assert.ok(success);
		const page = (await call(emu, 'exports/getAll', { ExportIds: [success.Id], Limitation: { Count: 1 } })).body;
		emu.clock.advance(DAY);
		assert.equal((await fetch(page.Exports[0].Files[0].Url)).status, 200);
	});
});

describe('Mews emulator: entities', () => {
	it('seeds a few entities of each type, in the documented shapes', async () => {
		const emu = await startMewsEmulator();
		try {
			for (const type of MEWS_ENTITY_TYPES) {
				assert.equal(emu.entities.count(type), 5, type);
				for (const entity of emu.entities.list(type)) {
					assert.match(String(entity.Id), UUID, type);
					assert.match(String(entity.UpdatedUtc), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, type);
					if (type !== 'AvailabilityAdjustment') assert.ok(entity.CreatedUtc, type);
				}
			}
			const customer = emu.entities.list('Customer')[0];
			assert.ok('ChainId' in customer && !('EnterpriseId' in customer));
			assert.ok(!('EnterpriseId' in emu.entities.list('Reservation')[0]), 'Reservation (ver 2023-06-06) has no EnterpriseId');
			assert.ok(!('CreatedUtc' in emu.entities.list('AvailabilityAdjustment')[0]));
			assert.ok('EnterpriseId' in emu.entities.list('OrderItem')[0] && 'Amount' in emu.entities.list('OrderItem')[0]);
			const seedNoSeed = await startMewsEmulator({ seed: false });
			assert.equal(seedNoSeed.entities.count('OrderItem'), 0);
			await seedNoSeed.close();
		} finally {
			await emu.close();
		}
	});

	it('upserts: creates with realistic defaults, merges by Id, sets UpdatedUtc and CreatedUtc', async () => {
		const emu = await startMewsEmulator({ seed: false });
		try {
			const when = new Date('2024-05-01T12:00:00Z');
			const created = emu.entities.upsert('Reservation', { Number: 'R-1', State: 'Confirmed' }, when);
			assert.match(String(created.Id), UUID);
			assert.equal(created.Number, 'R-1');
			assert.equal(created.CreatedUtc, '2024-05-01T12:00:00Z');
			assert.equal(created.UpdatedUtc, '2024-05-01T12:00:00Z');
			assert.equal(created.ServiceId !== undefined, true);
			const later = new Date('2024-05-02T08:30:00.250Z');
			const updated = emu.entities.upsert('Reservation', { Id: String(created.Id), State: 'Started' }, later);
			assert.equal(updated.State, 'Started');
			assert.equal(updated.Number, 'R-1');
			assert.equal(updated.CreatedUtc, '2024-05-01T12:00:00Z');
			assert.equal(updated.UpdatedUtc, '2024-05-02T08:30:00.25Z');
			assert.equal(emu.entities.count('Reservation'), 1);
			assert.equal(emu.entities.scopeOf('Reservation', String(created.Id)), emu.enterpriseIds[0]);
			const elsewhere = emu.entities.upsert('Customer', { LastName: 'Far' }, undefined, emu.enterpriseIds[2]);
			assert.equal(elsewhere.ChainId, emu.chainIds[1]);
			assert.throws(() => emu.entities.upsert('Guest' as MewsEntityType, {}));
		} finally {
			await emu.close();
		}
	});

	it('generates a million entities lazily; get, count and a narrow export touch only the entities they return', async () => {
		// Counted, not timed: every per-entity step (building one, its time, scope or id) goes
		// through GeneratedBlock. A pass over the million would make a million calls.
		const perEntity = (['entity', 'updatedMs', 'scopeOf', 'indexOf'] as const).map((name) => mock.method(GeneratedBlock.prototype, name));
		const calls = () => perEntity.reduce((sum, spy) => sum + spy.mock.callCount(), 0);
		const emu = await startMewsEmulator({ seed: false });
		try {
			const until = ago(emu, 10 * MINUTE);
			const since = new Date(until.getTime() - 30 * DAY);
			emu.entities.generate('OrderItem', 1_000_000, { since, until });
			assert.equal(emu.entities.count('OrderItem'), 1_000_000);
			assert.equal(calls(), 0, 'generating and counting build no entity');
			const { lines } = await exportLines(emu, {
				EntityType: 'OrderItem',
				Filters: { UpdatedUtc: { StartUtc: new Date(until.getTime() - MINUTE).toISOString(), EndUtc: until.toISOString() } },
			});
			assert.ok(lines.length > 10 && lines.length < 40, String(lines.length));
			for (const line of lines) {
				const updated = Date.parse(line.UpdatedUtc);
				assert.ok(updated >= until.getTime() - MINUTE && updated < until.getTime());
				assert.deepEqual(emu.entities.get('OrderItem', line.Id), line);
			}
			// Overriding a generated entity keeps the count, moves it to the hand-made ones.
			const one = lines[0];
			emu.entities.upsert('OrderItem', { Id: one.Id, Notes: 'changed' });
			assert.equal(emu.entities.count('OrderItem'), 1_000_000);
			assert.equal(emu.entities.get('OrderItem', one.Id)?.Notes, 'changed');
			const entitiesBuilt = perEntity[0].mock.callCount();
			assert.ok(entitiesBuilt >= lines.length, `the export's lines are built on demand (${entitiesBuilt} built)`);
			assert.ok(calls() < 10_000, `${calls()} per-entity steps for ${lines.length} lines out of a million`);
		} finally {
			for (const spy of perEntity) spy.mock.restore();
			await emu.close();
		}
	});
});

/** The emulator's time format: seconds, plus trimmed fractional digits when there are some. */
function formatLike(ms: number): string {
	const iso = new Date(ms).toISOString();
	const fraction = iso.slice(20, 23).replace(/0+$/, '');
	return `${iso.slice(0, 19)}${fraction ? `.${fraction}` : ''}Z`;
}
