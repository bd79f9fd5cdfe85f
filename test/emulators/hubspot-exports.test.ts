/**
 * Tests of the HubSpot CRM Exports emulator itself, over real HTTP with the global fetch.
 * Run: node --import tsx --test test/emulators/hubspot-exports.test.ts
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import JSZip from 'jszip';
import { startHubSpotExportsEmulator, type HubSpotExportsEmulator, type HubSpotExportsEmulatorOptions, type HubSpotRecord } from './hubspot-exports';

type Json = Record<string, any>;

const SECOND = 1000;
const DAY = 24 * 3600 * SECOND;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const START = '/crm/v3/exports/export/async';

interface Answer {
	status: number;
	headers: Headers;
	body: Json;
	text: string;
}

interface CallOptions {
	/** null: no Authorization header. Default: the emulator's bearer token. */
	auth?: string | null;
	body?: unknown;
	raw?: string;
	contentType?: string;
}

async function call(emu: HubSpotExportsEmulator, method: string, pathOrUrl: string, options: CallOptions = {}): Promise<Answer> {
	const headers: Record<string, string> = {};
	const auth = options.auth === undefined ? `Bearer ${emu.accessToken}` : options.auth;
	if (auth !== null) headers.Authorization = auth;
	const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
	if (body !== undefined) headers['Content-Type'] = options.contentType ?? 'application/json';
	const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${emu.apiOrigin}${pathOrUrl}`;
	const res = await fetch(url, { method, headers, body });
	const text = await res.text();
	let parsed: Json = {};
	try {
		parsed = text ? (JSON.parse(text) as Json) : {};
	} catch {
		parsed = {};
	}
	return { status: res.status, headers: res.headers, body: parsed, text };
}

const contactsView = (extra: Json = {}): Json => ({
	exportType: 'VIEW',
	format: 'CSV',
	exportName: 'All contacts',
	objectType: 'CONTACT',
	objectProperties: ['email', 'firstname', 'lastname', 'lifecyclestage', 'message', 'createdate'],
	...extra,
});

async function start(emu: HubSpotExportsEmulator, body: Json = contactsView(), path = START): Promise<string> {
	const res = await call(emu, 'POST', path, { body });
	assert.equal(res.status, 202, res.text);
	assert.match(res.body.id, /^\d+$/);
	return res.body.id as string;
}

const statusPath = (id: string) => `/crm/v3/exports/export/async/tasks/${id}/status`;

async function pollToEnd(emu: HubSpotExportsEmulator, id: string): Promise<{ statuses: string[]; last: Json }> {
	const statuses: string[] = [];
	for (let i = 0; i < 40; i++) {
		const res = await call(emu, 'GET', statusPath(id));
		assert.equal(res.status, 200, res.text);
		statuses.push(res.body.status);
		if (res.body.status !== 'PENDING' && res.body.status !== 'PROCESSING') return { statuses, last: res.body };
	}
	throw new Error(`export ${id} did not finish: ${statuses.join(',')}`);
}

async function download(url: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
	const res = await fetch(url, init);
	return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

async function runExport(emu: HubSpotExportsEmulator, body: Json = contactsView()): Promise<{ id: string; last: Json; file: { status: number; headers: Headers; bytes: Buffer } }> {
	const id = await start(emu, body);
	const { last } = await pollToEnd(emu, id);
	assert.equal(last.status, 'COMPLETE', JSON.stringify(last));
	return { id, last, file: await download(last.result) };
}

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
		} else if (c === '\r' && text[i + 1] === '\n') {
			i++;
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
	for (const row of rows) assert.equal(row.length, header.length, `ragged row ${JSON.stringify(row)}`);
	return rows.map((row) => Object.fromEntries(header.map((name, k) => [name, row[k]])));
}

const STAGE_LABELS: Record<string, string> = {
	subscriber: 'Subscriber',
	lead: 'Lead',
	marketingqualifiedlead: 'Marketing Qualified Lead',
	salesqualifiedlead: 'Sales Qualified Lead',
	opportunity: 'Opportunity',
	customer: 'Customer',
};

/** The guide's "human-readable dates", as the emulator writes them (UTC). */
const humanDate = (isoText: string) => `${isoText.slice(0, 10)} ${isoText.slice(11, 16)}`;

// ---------------------------------------------------------------------------------------------

describe('HubSpot exports emulator: start, poll, download (default options)', () => {
	let emu: HubSpotExportsEmulator;
	before(async () => {
		emu = await startHubSpotExportsEmulator();
	});
	after(() => emu.close());
	afterEach(() => emu.faults.reset());

	it('answers 202 {id, links.status}, then PENDING → PROCESSING → COMPLETE with a presigned result URL', async () => {
		const res = await call(emu, 'POST', START, { body: contactsView() });
		assert.equal(res.status, 202);
		assert.deepEqual(Object.keys(res.body), ['id', 'links']);
		const id = res.body.id as string;
		assert.equal(res.body.links.status, `${emu.apiOrigin}${statusPath(id)}`);
		const { statuses, last } = await pollToEnd(emu, id);
		assert.deepEqual(statuses, ['PENDING', 'PROCESSING', 'COMPLETE']);
		const url = new URL(last.result);
		assert.equal(url.origin, emu.storageOrigin);
		assert.match(url.pathname, new RegExp(`/${emu.portalId}/${id}/All-contacts\\.csv$`));
		assert.equal(url.searchParams.get('X-Amz-Expires'), '300', 'five minutes (guide)');
		assert.equal(url.searchParams.get('X-Amz-Algorithm'), 'AWS4-HMAC-SHA256');
		assert.ok(Date.parse(last.requestedAt) <= Date.parse(last.startedAt));
		assert.ok(Date.parse(last.startedAt) <= Date.parse(last.completedAt));
		assert.equal(last.numErrors, undefined);
		const record = emu.exports.find((e) => e.id === id);
		assert.equal(record?.status, 'COMPLETE');
		assert.equal(record?.exportState, 'DONE');
		assert.equal(record?.recordCount, 40);
		assert.equal(record?.polls, 3);
	});

	it('writes the CSV with label headers, label values, human-readable dates and the awkward values intact', async () => {
		const { file } = await runExport(emu);
		assert.equal(file.status, 200);
		assert.match(file.headers.get('content-type') ?? '', /^text\/csv/);
		assert.match(file.headers.get('content-disposition') ?? '', /^attachment; filename="All contacts\.csv"/);
		const text = file.bytes.toString('utf8');
		assert.ok(text.includes('\r\n'), 'CRLF line breaks');
		assert.notEqual(text.charCodeAt(0), 0xfeff, 'no BOM by default');
		const [header] = parseCsv(text);
		assert.deepEqual(header, ['Record ID', 'Email', 'First Name', 'Last Name', 'Lifecycle Stage', 'Message', 'Create Date']);
		const rows = csvObjects(text);
		const contacts = emu.data.list('contacts');
		assert.equal(rows.length, 40);
		assert.deepEqual(
			rows,
			contacts.map((c) => ({
				'Record ID': c.id,
				Email: c.properties.email ?? '',
				'First Name': c.properties.firstname ?? '',
				'Last Name': c.properties.lastname ?? '',
				'Lifecycle Stage': STAGE_LABELS[c.properties.lifecyclestage as string],
				Message: c.properties.message ?? '',
				'Create Date': humanDate(c.properties.createdate as string),
			})),
		);
		// The seed really is awkward: the round trip above covered these.
		const messages = contacts.map((c) => c.properties.message);
		assert.ok(messages.some((m) => m?.includes('\n') && m.includes('"') && m.includes(',')));
		assert.ok(messages.some((m) => m?.includes('😀')));
		assert.ok(contacts.some((c) => c.properties.email === null));
		assert.ok(contacts.some((c) => c.properties.lastname === "O'Connor"));
	});

	it('exports internal names (NAMES) and internal values (VALUES: option values, timestamps in ms)', async () => {
		const { file } = await runExport(emu, contactsView({ exportInternalValuesOptions: ['NAMES', 'VALUES'], objectProperties: ['lifecyclestage', 'createdate', 'hs_object_id'] }));
		const [header] = parseCsv(file.bytes.toString('utf8'));
		assert.deepEqual(header, ['hs_object_id', 'lifecyclestage', 'createdate'], 'Record ID first, not repeated');
		const rows = csvObjects(file.bytes.toString('utf8'));
		const contacts = emu.data.list('contacts');
		assert.deepEqual(rows[0], { hs_object_id: contacts[0].id, lifecyclestage: contacts[0].properties.lifecyclestage, createdate: String(Date.parse(contacts[0].properties.createdate as string)) });
		const namesOnly = await runExport(emu, contactsView({ exportInternalValuesOptions: ['NAMES'], objectProperties: ['lifecyclestage'] }));
		assert.deepEqual(csvObjects(namesOnly.file.bytes.toString('utf8'))[0], { hs_object_id: contacts[0].id, lifecyclestage: 'Subscriber' });
	});

	it('filters a VIEW: filterGroups OR, filters AND within a group, top-level filters, query, sorts', async () => {
		const contacts = emu.data.list('contacts');
		const body = contactsView({
			objectProperties: ['email', 'lifecyclestage', 'firstname'],
			exportInternalValuesOptions: ['NAMES', 'VALUES'],
			publicCrmSearchRequest: {
				filterGroups: [
					{ filters: [{ propertyName: 'lifecyclestage', operator: 'EQ', value: 'customer' }] },
					// The guide's example writes "property" instead of "propertyName".
					{ filters: [{ property: 'lifecyclestage', operator: 'EQ', value: 'lead' }, { propertyName: 'email', operator: 'HAS_PROPERTY' }] },
				],
				filters: [{ propertyName: 'firstname', operator: 'NEQ', value: 'Mei' }],
				sorts: [{ propertyName: 'email', order: 'DESC' }],
			},
		});
		const rows = csvObjects((await runExport(emu, body)).file.bytes.toString('utf8'));
		const expected = contacts
			.filter((c) => c.properties.lifecyclestage === 'customer' || (c.properties.lifecyclestage === 'lead' && c.properties.email !== null))
			.filter((c) => c.properties.firstname !== 'Mei')
			.sort((a, b) => {
				if (a.properties.email === null) return 1;
				if (b.properties.email === null) return -1;
				return (b.properties.email as string).localeCompare(a.properties.email as string);
			});
		assert.ok(expected.length >= 5 && expected.length < 40, `a meaningful subset (${expected.length})`);
		assert.deepEqual(rows.map((r) => r.hs_object_id), expected.map((c) => c.id));

		const queried = csvObjects((await runExport(emu, contactsView({ objectProperties: ['email'], publicCrmSearchRequest: { query: 'MÜLLER' } }))).file.bytes.toString('utf8'));
		const expectedQuery = contacts.filter((c) => ['firstname', 'lastname', 'email', 'phone', 'company'].some((p) => (c.properties[p] ?? '').toLowerCase().includes('müller')));
		assert.ok(expectedQuery.length > 0);
		assert.deepEqual(queried.map((r) => r['Record ID']), expectedQuery.map((c) => c.id));

		const pivot = contacts[29].properties.createdate as string;
		const ranged = csvObjects(
			(await runExport(emu, contactsView({ objectProperties: ['createdate'], publicCrmSearchRequest: { filterGroups: [{ filters: [{ propertyName: 'createdate', operator: 'GTE', value: String(Date.parse(pivot)) }, { propertyName: 'hs_object_id', operator: 'IN', values: contacts.slice(0, 35).map((c) => c.id) }] }] } }))).file.bytes.toString('utf8'),
		);
		assert.deepEqual(ranged.map((r) => r['Record ID']), contacts.slice(0, 35).filter((c) => Date.parse(c.properties.createdate as string) >= Date.parse(pivot)).map((c) => c.id));
	});

	it('adds associated record IDs and the primary display property (one associated object)', async () => {
		const { file } = await runExport(emu, contactsView({ objectProperties: ['email'], associatedObjectType: ['COMPANY'] }));
		const rows = csvObjects(file.bytes.toString('utf8'));
		assert.deepEqual(Object.keys(rows[0]), ['Record ID', 'Email', 'Associated Company IDs', 'Associated Company']);
		const companies = new Map(emu.data.list('companies').map((c) => [c.id, c]));
		const contacts = emu.data.list('contacts');
		assert.ok(contacts.some((c) => (c.associations.companies ?? []).length > 1), 'some contacts have two companies');
		assert.ok(contacts.some((c) => c.associations.companies === undefined), 'some have none');
		assert.deepEqual(
			rows.map((r) => [r['Associated Company IDs'], r['Associated Company']]),
			contacts.map((c) => [(c.associations.companies ?? []).join(';'), (c.associations.companies ?? []).map((id) => companies.get(id)?.properties.name).join(';')]),
		);
		const two = csvObjects((await runExport(emu, contactsView({ objectProperties: ['email'], associatedObjectType: ['COMPANY', 'DEAL'] }))).file.bytes.toString('utf8'));
		assert.deepEqual(Object.keys(two[0]), ['Record ID', 'Email', 'Associated Company IDs', 'Associated Deal IDs'], 'no display names by default with two types');
	});

	it('exports a LIST: the ILS list members only', async () => {
		const list = emu.data.lists().find((l) => l.objectType === 'contacts');
		assert.ok(list);
		const rows = csvObjects((await runExport(emu, { exportType: 'LIST', listId: Number(list.listId), exportName: 'Newsletter', format: 'CSV', language: 'EN', objectType: 'CONTACT', objectProperties: ['email'] })).file.bytes.toString('utf8'));
		assert.deepEqual(rows.map((r) => r['Record ID']), list.recordIds);
		const missing = await call(emu, 'POST', START, { body: { exportType: 'LIST', listId: '999999', exportName: 'x', format: 'CSV', objectType: 'CONTACT', objectProperties: ['email'] } });
		assert.equal(missing.status, 400);
		assert.equal(missing.body.category, 'VALIDATION_ERROR');
		const noList = await call(emu, 'POST', START, { body: { exportType: 'LIST', exportName: 'x', format: 'CSV', objectType: 'CONTACT', objectProperties: ['email'] } });
		assert.equal(noList.status, 400);
	});

	it('validates the request synchronously with the HubSpot error shape', async () => {
		const cases: Array<[Json, RegExp]> = [
			[contactsView({ exportName: undefined }), /exportName/],
			[contactsView({ format: 'PDF' }), /format/],
			[contactsView({ exportType: 'REPORT' }), /exportType/],
			[contactsView({ objectType: 'UNICORN' }), /object type/i],
			[contactsView({ language: 'KLINGON' }), /language/],
			[contactsView({ objectProperties: [] }), /objectProperties/],
			[contactsView({ associatedObjectType: ['COMPANY', 'DEAL', 'COMPANY', 'DEAL', 'COMPANY'] }), /four/],
			[contactsView({ publicCrmSearchRequest: { filterGroups: [1, 2, 3, 4].map(() => ({ filters: [{ propertyName: 'email', operator: 'HAS_PROPERTY' }] })) } }), /three filterGroups/],
			[contactsView({ publicCrmSearchRequest: { filterGroups: [{ filters: [1, 2, 3, 4].map(() => ({ propertyName: 'email', operator: 'HAS_PROPERTY' })) }] } }), /three filters/],
			[contactsView({ publicCrmSearchRequest: { filterGroups: [{ filters: [{ propertyName: 'email', operator: 'LIKE', value: 'x' }] }] } }), /operator/],
			[contactsView({ publicCrmSearchRequest: { filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ' }] }] } }), /value/],
		];
		for (const [body, message] of cases) {
			const res = await call(emu, 'POST', START, { body });
			assert.equal(res.status, 400, `${JSON.stringify(body)} → ${res.text}`);
			assert.equal(res.body.status, 'error');
			assert.equal(res.body.category, 'VALIDATION_ERROR');
			assert.match(res.body.correlationId, UUID);
			assert.equal(res.headers.get('x-hubspot-correlation-id'), res.body.correlationId);
			assert.match(res.body.message, message);
		}
		const unknown = await call(emu, 'POST', START, { body: contactsView({ objectProperties: ['email', 'favorite_food'] }) });
		assert.equal(unknown.status, 400);
		assert.deepEqual(unknown.body.errors, [{ message: 'Property "favorite_food" does not exist', code: 'PROPERTY_DOESNT_EXIST', context: { propertyName: ['favorite_food'] } }]);
		assert.equal((await call(emu, 'POST', START, { raw: '{"exportType":' })).status, 400);
		assert.equal((await call(emu, 'POST', START, { raw: 'a=b', contentType: 'application/x-www-form-urlencoded' })).status, 415);
		// Accepted spellings: lower-case format (the guide's examples), objectTypeId, single associated type as a string.
		assert.equal((await call(emu, 'POST', START, { body: contactsView({ format: 'csv', objectType: '0-1', associatedObjectType: 'COMPANY' }) })).status, 202);
		const before = emu.exports.length;
		await call(emu, 'POST', START, { body: contactsView({ format: 'PDF' }) });
		assert.equal(emu.exports.length, before, 'a refused request is no export');
		for (const record of emu.exports) if (!record.completedAt) emu.faults.cancel(record.id);
	});

	it('refuses a missing or wrong token with 401 INVALID_AUTHENTICATION', async () => {
		for (const auth of [null, 'Bearer pat-na1-00000000-0000-0000-0000-000000000000', emu.accessToken]) {
			const res = await call(emu, 'POST', START, { body: contactsView(), auth });
			assert.equal(res.status, 401);
			assert.equal(res.body.status, 'error');
			assert.equal(res.body.category, 'INVALID_AUTHENTICATION');
			assert.match(res.body.message, /^Authentication credentials not found/);
			assert.match(res.body.correlationId, UUID);
			assert.equal(res.headers.get('x-hubspot-auth-failure'), '401 Unauthorized');
			assert.equal(res.headers.get('x-hubspot-ratelimit-max'), null);
		}
		assert.match(emu.accessToken, /^pat-na1-[0-9a-f-]{36}$/);
	});

	it('sends X-HubSpot-RateLimit-* headers and answers the rate-limit fault like HubSpot (429, RATE_LIMIT, policyName)', async () => {
		const plain = await call(emu, 'GET', '/crm/v3/exports/export/123');
		assert.equal(plain.status, 404);
		assert.equal(plain.headers.get('x-hubspot-ratelimit-max'), '100');
		assert.equal(plain.headers.get('x-hubspot-ratelimit-interval-milliseconds'), '10000');
		assert.equal(plain.headers.get('x-hubspot-ratelimit-daily'), '250000');
		emu.faults.rateLimit(2);
		for (let i = 0; i < 2; i++) {
			const limited = await call(emu, 'POST', START, { body: contactsView() });
			assert.equal(limited.status, 429);
			assert.equal(limited.body.status, 'error');
			assert.equal(limited.body.errorType, 'RATE_LIMIT');
			assert.equal(limited.body.policyName, 'TEN_SECONDLY_ROLLING');
			assert.equal(limited.body.message, 'You have reached your ten_secondly_rolling limit.');
			assert.match(limited.body.correlationId, UUID);
			assert.equal(limited.headers.get('x-hubspot-ratelimit-remaining'), '0');
			assert.equal(limited.headers.get('retry-after'), null, 'HubSpot documents no Retry-After');
		}
		emu.faults.rateLimit(1, { policy: 'DAILY', retryAfterSeconds: 1 });
		const daily = await call(emu, 'GET', statusPath('1'));
		assert.equal(daily.body.policyName, 'DAILY');
		assert.equal(daily.body.message, 'You have reached your daily limit.');
		assert.equal(daily.headers.get('x-hubspot-ratelimit-daily-remaining'), '0');
		assert.equal(daily.headers.get('retry-after'), '1');
		const id = await start(emu);
		await pollToEnd(emu, id);
	});

	it('answers the server-error fault with the common error body, then recovers', async () => {
		emu.faults.serverError(1);
		const res = await call(emu, 'POST', START, { body: contactsView() });
		assert.equal(res.status, 500);
		assert.equal(res.body.status, 'error');
		assert.match(res.body.correlationId, UUID);
		emu.faults.serverError(1, 503, { retryAfterSeconds: 2 });
		const busy = await call(emu, 'GET', statusPath('1'));
		assert.equal(busy.status, 503);
		assert.equal(busy.headers.get('retry-after'), '2');
		await pollToEnd(emu, await start(emu));
	});

	it('ends a failed export CANCELED with numErrors and errors, no result; details say FAILED', async () => {
		emu.faults.failJob('The export timed out.');
		const id = await start(emu);
		const { statuses, last } = await pollToEnd(emu, id);
		assert.deepEqual(statuses, ['PENDING', 'PROCESSING', 'CANCELED']);
		assert.equal(last.result, undefined);
		assert.equal(last.numErrors, 1);
		assert.equal(last.errors[0].message, 'The export timed out.');
		assert.deepEqual(Object.keys(last.errors[0]).sort(), ['category', 'context', 'errors', 'id', 'links', 'message', 'status']);
		const details = await call(emu, 'GET', `/crm/v3/exports/export/${id}`);
		assert.equal(details.body.exportState, 'FAILED');
		assert.equal(details.body.recordCount, undefined);
	});

	it('keeps a neverFinish export PROCESSING, queues the next one behind it, and cancel(id) releases the queue', async () => {
		emu.faults.neverFinish();
		const stuck = await start(emu);
		for (let i = 0; i < 5; i++) await call(emu, 'GET', statusPath(stuck));
		assert.equal((await call(emu, 'GET', statusPath(stuck))).body.status, 'PROCESSING');
		const next = await start(emu);
		for (let i = 0; i < 5; i++) assert.equal((await call(emu, 'GET', statusPath(next))).body.status, 'PENDING', 'one export at a time');
		emu.faults.cancel(stuck);
		const canceled = await call(emu, 'GET', statusPath(stuck));
		assert.equal(canceled.body.status, 'CANCELED');
		assert.equal(canceled.body.errors, undefined);
		assert.ok(canceled.body.completedAt);
		assert.equal((await pollToEnd(emu, next)).last.status, 'COMPLETE');
		emu.faults.cancel();
		assert.equal((await pollToEnd(emu, await start(emu))).last.status, 'CANCELED', 'cancel() without an id: the next export');
	});

	it('runs one export at a time: polling a queued export moves the one ahead of it', async () => {
		const a = await start(emu);
		const b = await start(emu);
		const seen: string[] = [];
		for (let i = 0; i < 6; i++) seen.push((await call(emu, 'GET', statusPath(b))).body.status);
		// A: PENDING, PROCESSING, COMPLETE on B's first three polls; B then starts its own two steps.
		assert.deepEqual(seen, ['PENDING', 'PENDING', 'PENDING', 'PENDING', 'PROCESSING', 'COMPLETE']);
		const first = await call(emu, 'GET', statusPath(a));
		assert.equal(first.body.status, 'COMPLETE');
		assert.ok(Date.parse(first.body.completedAt) <= Date.parse((await call(emu, 'GET', statusPath(b))).body.startedAt));
	});

	it('serves the details endpoint (PublicExportResponse) and the dated API path', async () => {
		const id = await start(emu, contactsView({ objectProperties: ['email', 'firstname'] }), '/crm/exports/2026-03/export/async');
		const queued = await call(emu, 'GET', `/crm/exports/2026-03/export/${id}`);
		assert.equal(queued.status, 200);
		assert.deepEqual(queued.body, {
			id,
			exportName: 'All contacts',
			exportType: 'VIEW',
			objectType: '0-1',
			objectProperties: ['hs_object_id', 'email', 'firstname'],
			createdAt: queued.body.createdAt,
			updatedAt: queued.body.updatedAt,
			exportState: 'ENQUEUED',
		});
		const { last } = await pollToEnd(emu, id);
		assert.equal(last.status, 'COMPLETE');
		const done = await call(emu, 'GET', `/crm/v3/exports/export/${id}`);
		assert.equal(done.body.exportState, 'DONE');
		assert.equal(done.body.recordCount, 40);
		assert.equal(emu.exports.find((e) => e.id === id)?.apiVersion, '2026-03');
		const created = await call(emu, 'POST', '/crm/exports/2026-09/export/async', { body: contactsView() });
		assert.match(created.body.links.status, /\/crm\/exports\/2026-09\/export\/async\/tasks\/\d+\/status$/);
		await pollToEnd(emu, created.body.id);
		assert.equal((await call(emu, 'GET', statusPath('999'))).status, 404);
		assert.equal((await call(emu, 'GET', statusPath('abc'))).status, 400);
		assert.equal((await call(emu, 'GET', START)).status, 405);
	});

	it('hands out a new URL on every COMPLETE answer; the file host needs no auth and refuses an Authorization header', async () => {
		const id = await start(emu);
		const { last } = await pollToEnd(emu, id);
		const again = await call(emu, 'GET', statusPath(id));
		assert.notEqual(again.body.result, last.result, 'a new unique URL');
		const storageBefore = emu.storageRequests.length;
		const apiBefore = emu.requests.length;
		for (const url of [last.result, again.body.result]) assert.equal((await download(url)).status, 200);
		const withAuth = await download(last.result, { headers: { Authorization: `Bearer ${emu.accessToken}` } });
		assert.equal(withAuth.status, 400);
		assert.match(withAuth.bytes.toString('utf8'), /<Code>InvalidArgument<\/Code>/);
		assert.match(emu.storageRequests[emu.storageRequests.length - 1].refused ?? '', /Authorization header \(with the HubSpot token\)/);
		const leaked = await download(`${last.result}&token=${emu.accessToken}`);
		assert.equal(leaked.status, 403);
		assert.equal(emu.storageRequests[emu.storageRequests.length - 1].refused, 'request carries the access token in the URL');
		const tampered = new URL(last.result);
		tampered.searchParams.set('X-Amz-Signature', '0'.repeat(64));
		assert.match((await download(tampered.toString())).bytes.toString('utf8'), /SignatureDoesNotMatch/);
		assert.equal(emu.storageRequests.length, storageBefore + 5, 'storage requests logged separately');
		assert.equal(emu.requests.length, apiBefore, 'not in the API log');
		assert.equal(emu.exports.find((e) => e.id === id)?.urlsIssued, 2);
		const ranged = await download(last.result, { headers: { Range: 'bytes=0-9' } });
		assert.equal(ranged.status, 206);
		assert.equal(ranged.bytes.toString('utf8'), 'Record ID,');
		assert.deepEqual(emu.exportFile(id)?.bytes, (await download(again.body.result)).bytes);
	});

	it('can cut a download short, answer it expired, or answer S3 SlowDown', async () => {
		const { last } = await runExport(emu);
		emu.faults.truncateDownload(1, 50);
		await assert.rejects(async () => {
			const res = await fetch(last.result);
			await res.arrayBuffer();
		});
		emu.faults.expireUrls(1);
		const expired = await download(last.result);
		assert.equal(expired.status, 403);
		assert.match(expired.bytes.toString('utf8'), /Request has expired/);
		emu.faults.storageError(1);
		assert.equal((await download(last.result)).status, 503);
		assert.equal((await download(last.result)).status, 200);
	});

	it('reflects data changes: upsert, associations, clear', async () => {
		const added = emu.data.upsert('contacts', { properties: { email: 'new,person@example.com', firstname: 'Nüll "New"', lastname: null }, associations: { companies: [emu.data.list('companies')[2].id] } });
		const rows = csvObjects((await runExport(emu, contactsView({ objectProperties: ['email', 'firstname', 'lastname'], associatedObjectType: ['COMPANY'] }))).file.bytes.toString('utf8'));
		assert.equal(rows.length, 41);
		const mine = rows.find((r) => r['Record ID'] === added.id) as Json;
		assert.deepEqual(mine, { 'Record ID': added.id, Email: 'new,person@example.com', 'First Name': 'Nüll "New"', 'Last Name': '', 'Associated Company IDs': emu.data.list('companies')[2].id, 'Associated Company': emu.data.list('companies')[2].properties.name });
		assert.throws(() => emu.data.upsert('contacts', { properties: { favorite_food: 'x' } }), /no property/);
	});
});

describe('HubSpot exports emulator: files, limits and timing', () => {
	const withEmu = async (options: HubSpotExportsEmulatorOptions, body: (emu: HubSpotExportsEmulator) => Promise<void>) => {
		const emu = await startHubSpotExportsEmulator(options);
		try {
			await body(emu);
		} finally {
			await emu.close();
		}
	};

	it('zips a CSV larger than the threshold (one entry holding every row)', () =>
		withEmu({ zipAboveBytes: 1000 }, async (emu) => {
			const { id, last, file } = await runExport(emu);
			assert.match(new URL(last.result).pathname, /\.zip$/);
			assert.equal(file.headers.get('content-type'), 'application/zip');
			const zip = await JSZip.loadAsync(file.bytes);
			assert.deepEqual(Object.keys(zip.files), ['All contacts.csv']);
			assert.equal(csvObjects((await zip.file('All contacts.csv')?.async('string')) ?? '').length, 40);
			const record = emu.exports.find((e) => e.id === id);
			assert.equal(record?.zipped, true);
			assert.equal(record?.fileName, 'All contacts.zip');
		}));

	it('splits rows over several files in a zip (rowsPerFile), each with the header', () =>
		withEmu({ rowsPerFile: 15 }, async (emu) => {
			const { file } = await runExport(emu);
			const zip = await JSZip.loadAsync(file.bytes);
			const names = Object.keys(zip.files);
			assert.deepEqual(names, ['All contacts-1.csv', 'All contacts-2.csv', 'All contacts-3.csv']);
			const parts = await Promise.all(names.map(async (name) => csvObjects((await zip.file(name)?.async('string')) ?? '')));
			assert.deepEqual(parts.map((p) => p.length), [15, 15, 10]);
			assert.deepEqual(parts.flat().map((r) => r['Record ID']), emu.data.list('contacts').map((c) => c.id));
		}));

	it('writes XLSX as a valid workbook, and XLS split at xlsRowsPerFile', () =>
		withEmu({ xlsRowsPerFile: 12 }, async (emu) => {
			const xlsx = await runExport(emu, contactsView({ format: 'XLSX', exportName: 'Sheet test' }));
			assert.equal(xlsx.file.headers.get('content-type'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
			const book = await JSZip.loadAsync(xlsx.file.bytes);
			assert.ok(book.file('[Content_Types].xml'));
			const sheet = (await book.file('xl/worksheets/sheet1.xml')?.async('string')) ?? '';
			assert.match(sheet, /<c r="A1" t="inlineStr"><is><t xml:space="preserve">Record ID<\/t><\/is><\/c>/);
			assert.equal((sheet.match(/<row /g) ?? []).length, 41);
			assert.ok(sheet.includes('Met at &quot;Inbound&quot;\nFollow up, please'));
			const xls = await runExport(emu, contactsView({ format: 'XLS', exportName: 'Old' }));
			const zip = await JSZip.loadAsync(xls.file.bytes);
			assert.deepEqual(Object.keys(zip.files), ['Old-1.xls', 'Old-2.xls', 'Old-3.xls', 'Old-4.xls']);
			assert.match((await zip.file('Old-4.xls')?.async('string')) ?? '', /urn:schemas-microsoft-com:office:spreadsheet/);
		}));

	it('expires a download URL five minutes after the status answer; a new status request gives a working URL', () =>
		withEmu({ frozenClock: true }, async (emu) => {
			const id = await start(emu);
			const { last } = await pollToEnd(emu, id);
			emu.clock.advance(299 * SECOND);
			assert.equal((await download(last.result)).status, 200);
			emu.clock.advance(2 * SECOND);
			const expired = await download(last.result);
			assert.equal(expired.status, 403);
			assert.match(expired.bytes.toString('utf8'), /<Message>Request has expired<\/Message>/);
			const fresh = await call(emu, 'GET', statusPath(id));
			assert.notEqual(fresh.body.result, last.result);
			assert.equal((await download(fresh.body.result)).status, 200);
		}));

	it('accepts dailyExportLimit exports per rolling 24 hours, then 429 until the oldest leaves the window', () =>
		withEmu({ frozenClock: true, dailyExportLimit: 2, pollsUntilDone: 0 }, async (emu) => {
			await pollToEnd(emu, await start(emu));
			emu.clock.advance(3600 * SECOND);
			await pollToEnd(emu, await start(emu));
			const refused = await call(emu, 'POST', START, { body: contactsView() });
			assert.equal(refused.status, 429);
			assert.equal(refused.body.category, 'RATE_LIMITS');
			assert.match(refused.body.message, /up to 2 exports within a rolling 24 hour window/);
			emu.clock.advance(DAY - 3600 * SECOND + SECOND);
			assert.equal((await call(emu, 'POST', START, { body: contactsView() })).status, 202);
			assert.equal(emu.exports.length, 3);
		}));

	it('time-driven mode: each export finishes completeAfterMs after it starts, one at a time', () =>
		withEmu({ frozenClock: true, completeAfterMs: 10_000 }, async (emu) => {
			const a = await start(emu);
			const b = await start(emu);
			const state = async (id: string) => (await call(emu, 'GET', statusPath(id))).body;
			assert.equal((await state(a)).status, 'PROCESSING');
			for (let i = 0; i < 5; i++) assert.equal((await state(b)).status, 'PENDING', 'polls do not count');
			emu.clock.advance(10_000);
			const doneA = await state(a);
			assert.equal(doneA.status, 'COMPLETE');
			const runningB = await state(b);
			assert.equal(runningB.status, 'PROCESSING');
			assert.equal(runningB.startedAt, doneA.completedAt);
			emu.clock.advance(9_999);
			assert.equal((await state(b)).status, 'PROCESSING');
			emu.clock.advance(1);
			assert.equal((await state(b)).status, 'COMPLETE');
		}));

	it('oneAtATime: false lets every export progress on its own polls', () =>
		withEmu({ oneAtATime: false, pollsUntilDone: 1 }, async (emu) => {
			const a = await start(emu);
			const b = await start(emu);
			assert.deepEqual((await pollToEnd(emu, b)).statuses, ['PROCESSING', 'COMPLETE']);
			assert.equal(emu.exports.find((e) => e.id === a)?.status, 'PENDING');
		}));

	it('answers 403 MISSING_SCOPES for a token without crm.export', () =>
		withEmu({ grantedScopes: ['crm.objects.contacts.read'] }, async (emu) => {
			const res = await call(emu, 'POST', START, { body: contactsView() });
			assert.equal(res.status, 403);
			assert.equal(res.body.category, 'MISSING_SCOPES');
			assert.deepEqual(res.body.errors[0].context.requiredGranularScopes, ['crm.export']);
		}));

	it('counts requests in the rolling window for X-HubSpot-RateLimit-Remaining and the day for -Daily-Remaining', () =>
		withEmu({ frozenClock: true }, async (emu) => {
			const remaining = async () => {
				const res = await call(emu, 'GET', '/crm/v3/exports/export/1');
				return [res.headers.get('x-hubspot-ratelimit-remaining'), res.headers.get('x-hubspot-ratelimit-daily-remaining')];
			};
			emu.clock.set(new Date('2026-03-02T12:00:00Z'));
			assert.deepEqual(await remaining(), ['99', '249999']);
			assert.deepEqual(await remaining(), ['98', '249998']);
			emu.clock.advance(10_001);
			assert.deepEqual(await remaining(), ['99', '249997'], 'the 10 s window rolled, the day did not');
			emu.clock.set(new Date('2026-03-03T00:00:01Z'));
			assert.deepEqual(await remaining(), ['99', '249999'], 'the daily count starts again at midnight');
		}));

	it('enforces the rate limits when asked, on the emulator clock', () =>
		withEmu({ frozenClock: true, enforceRateLimits: true, rateLimits: { max: 3, intervalMs: 10_000, daily: 1000 } }, async (emu) => {
			const statuses: number[] = [];
			for (let i = 0; i < 4; i++) statuses.push((await call(emu, 'GET', '/crm/v3/exports/export/1')).status);
			assert.deepEqual(statuses, [404, 404, 404, 429]);
			emu.clock.advance(10_001);
			assert.equal((await call(emu, 'GET', '/crm/v3/exports/export/1')).status, 404);
		}));

	it('failedStatus, csvBom, an empty data set and the seed switch', () =>
		withEmu({ failedStatus: 'FAILED', csvBom: true, seed: false }, async (emu) => {
			assert.deepEqual(emu.data.list('contacts'), []);
			emu.faults.failJob();
			const failed = await pollToEnd(emu, await start(emu));
			assert.equal(failed.last.status, 'FAILED');
			const { file } = await runExport(emu);
			const text = file.bytes.toString('utf8');
			assert.equal(text.charCodeAt(0), 0xfeff);
			assert.deepEqual(parseCsv(text.slice(1)), [['Record ID', 'Email', 'First Name', 'Last Name', 'Lifecycle Stage', 'Message', 'Create Date']]);
			emu.data.generate('companies', 3);
			const companies: HubSpotRecord[] = emu.data.list('companies');
			assert.deepEqual(companies.map((c) => c.id), ['20001', '20002', '20003']);
		}));
});
