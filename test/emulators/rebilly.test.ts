/**
 * Tests of the Rebilly data-exports emulator itself, over real HTTP with the global fetch.
 * Responses are checked against schemas/rebilly-data-exports.schema.json (hand-transcribed from
 * Rebilly/api-definitions) with ajv.
 * Run: node --import tsx --test test/emulators/rebilly.test.ts
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import JSZip from 'jszip';
import {
	parseRebillyDate,
	REBILLY_DEFAULT_DATE_FIELD,
	REBILLY_FORMATS_BY_RESOURCE,
	REBILLY_RESOURCES,
	startRebillyEmulator,
	type RebillyEmulator,
	type RebillyEmulatorOptions,
	type RebillyFormat,
} from './rebilly';
import schema from './schemas/rebilly-data-exports.schema.json';

// ajv ships CommonJS with a default export; require keeps the types simple here.
const Ajv2020 = require('ajv/dist/2020').default as new (options: object) => AjvLike;
const addFormats = require('ajv-formats').default as (ajv: AjvLike) => void;

interface ValidateFn {
	(data: unknown): boolean;
	errors?: unknown[] | null;
}
interface AjvLike {
	addSchema(schema: object): unknown;
	getSchema(ref: string): ValidateFn | undefined;
}

type Json = Record<string, any>;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const EXPORT_ID = /^exp_[0-9A-HJKMNP-TV-Z]{26}$/;
const FILE_ID = /^file_[0-9A-HJKMNP-TV-Z]{26}$/;
const ALL_FORMATS: RebillyFormat[] = ['csv', 'json', 'json-api', 'xml', 'detailed-csv', 'pdf'];

const ajv = new Ajv2020({ allErrors: true });
addFormats(ajv);
ajv.addSchema(schema);

function assertSchema(definition: string, data: unknown): void {
	const validate = ajv.getSchema(`${schema.$id}#/$defs/${definition}`);
	assert.ok(validate, `no schema ${definition}`);
	assert.ok(validate(data), `${definition}: ${JSON.stringify(validate.errors?.slice(0, 5))}\n${JSON.stringify(data).slice(0, 800)}`);
}

interface CallOptions {
	/** 'key' (default): REB-APIKEY; 'jwt': Authorization Bearer; 'none'; or headers of your own. */
	auth?: 'key' | 'jwt' | 'none' | Record<string, string>;
	body?: unknown;
	raw?: string;
	organizationId?: string;
	headers?: Record<string, string>;
}

interface Answer {
	status: number;
	headers: Headers;
	body: any;
	text: string;
}

function authHeaders(emu: RebillyEmulator, auth: CallOptions['auth']): Record<string, string> {
	if (auth === 'none') return {};
	if (auth === 'jwt') return { Authorization: `Bearer ${emu.jwt}` };
	if (auth === undefined || auth === 'key') return { 'REB-APIKEY': emu.apiKey };
	return auth;
}

async function call(emu: RebillyEmulator, method: string, path: string, options: CallOptions = {}): Promise<Answer> {
	const org = options.organizationId ?? emu.organizationId;
	const hasBody = options.body !== undefined || options.raw !== undefined;
	const res = await fetch(`${emu.apiOrigin}/organizations/${org}${path}`, {
		method,
		redirect: 'manual',
		headers: { ...authHeaders(emu, options.auth), ...(hasBody ? { 'Content-Type': 'application/json' } : {}), ...options.headers },
		body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
	});
	const text = await res.text();
	let body: any = undefined;
	try {
		body = text ? JSON.parse(text) : undefined;
	} catch {
		body = undefined;
	}
	return { status: res.status, headers: res.headers, body, text };
}

async function create(emu: RebillyEmulator, body: Json, options: CallOptions = {}): Promise<Json> {
	const res = await call(emu, 'POST', '/experimental/data-exports', { ...options, body });
	assert.equal(res.status, 201, res.text);
	return res.body as Json;
}

async function getExport(emu: RebillyEmulator, id: string, query = ''): Promise<Json> {
	const res = await call(emu, 'GET', `/experimental/data-exports/${id}${query}`);
	assert.equal(res.status, 200, res.text);
	return res.body as Json;
}

async function pollToEnd(emu: RebillyEmulator, id: string, query = ''): Promise<{ statuses: string[]; last: Json }> {
	const statuses: string[] = [];
	for (let i = 0; i < 30; i++) {
		const exp = await getExport(emu, id, query);
		statuses.push(exp.status);
		if (exp.status === 'completed' || exp.status === 'failed') return { statuses, last: exp };
	}
	throw new Error(`export ${id} did not finish: ${statuses.join(',')}`);
}

function link(exp: Json, rel: string): string | undefined {
	return (exp._links as Array<{ rel: string; href: string }>).find((item) => item.rel === rel)?.href;
}

/** Downloads a completed export's file through /files/{id}/download and the 302, with no credentials on storage. */
async function downloadFile(emu: RebillyEmulator, exp: Json): Promise<{ bytes: Buffer; headers: Headers }> {
	const res = await call(emu, 'GET', `/files/${exp.fileId}/download`);
	assert.equal(res.status, 302, res.text);
	const location = res.headers.get('location') ?? '';
	const stored = await fetch(location);
	assert.equal(stored.status, 200, await stored.clone().text());
	return { bytes: Buffer.from(await stored.arrayBuffer()), headers: stored.headers };
}

async function exportAndDownload(emu: RebillyEmulator, body: Json): Promise<{ exp: Json; bytes: Buffer; headers: Headers }> {
	const created = await create(emu, body);
	const { last } = await pollToEnd(emu, created.id);
	assert.equal(last.status, 'completed', JSON.stringify(last));
	return { exp: last, ...(await downloadFile(emu, last)) };
}

/** RFC 4180 reader (quoted fields with commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
	const rows: string[][] = [];
	let row: string[] = [];
	let field = '';
	let quoted = false;
	for (let i = 0; i < text.length; i++) {
		const char = text[i];
		if (quoted) {
			if (char === '"' && text[i + 1] === '"') {
				field += '"';
				i++;
			} else if (char === '"') quoted = false;
			else field += char;
		} else if (char === '"') quoted = true;
		else if (char === ',') {
			row.push(field);
			field = '';
		} else if (char === '\r' && text[i + 1] === '\n') {
			row.push(field);
			rows.push(row);
			row = [];
			field = '';
			i++;
		} else if (char === '\n') {
			row.push(field);
			rows.push(row);
			row = [];
			field = '';
		} else field += char;
	}
	if (field !== '' || row.length > 0) {
		row.push(field);
		rows.push(row);
	}
	return rows;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

async function withEmulator(options: RebillyEmulatorOptions, run: (emu: RebillyEmulator) => Promise<void>): Promise<void> {
	const emu = await startRebillyEmulator(options);
	try {
		await run(emu);
	} finally {
		await emu.close();
	}
}

// ---------------------------------------------------------------------------------------------

describe('Rebilly emulator: authentication, organizations, routes', () => {
	let emu: RebillyEmulator;
	before(async () => {
		emu = await startRebillyEmulator();
	});
	after(() => emu.close());

	it('accepts REB-APIKEY and Authorization: Bearer <JWT>', async () => {
		for (const auth of ['key', 'jwt'] as const) {
			const res = await call(emu, 'GET', '/experimental/data-exports', { auth });
			assert.equal(res.status, 200, res.text);
			assert.ok(Array.isArray(res.body));
		}
		const created = await create(emu, { name: 'via jwt', resource: 'customers', format: 'csv' }, { auth: 'jwt' });
		assert.equal(created.userId, emu.userId);
	});

	it('answers 401 problem JSON without valid credentials', async () => {
		const cases: Array<CallOptions['auth']> = [
			'none',
			{ 'REB-APIKEY': 'sk_sandbox_wrong' },
			{ Authorization: 'Bearer not-the-jwt' },
			// The secret key is not a bearer token, and a JWT is not an API key.
			{ Authorization: `Bearer ${emu.apiKey}` },
			{ 'REB-APIKEY': emu.jwt },
			{ Authorization: emu.jwt },
		];
		for (const auth of cases) {
			const res = await call(emu, 'POST', '/experimental/data-exports', { auth, body: { name: 'x', resource: 'customers', format: 'csv' } });
			assert.equal(res.status, 401, `${JSON.stringify(auth)}: ${res.text}`);
			assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
			assert.equal(res.body.status, 401);
			assert.equal(res.body.title, 'Unauthorized');
			assert.equal(typeof res.body.detail, 'string');
		}
		assert.equal(emu.exports.filter((exp) => exp.name === 'x').length, 0);
	});

	it('answers 403 for an organization the credentials do not belong to, and for a key without the permission', async () => {
		const other = await call(emu, 'GET', '/experimental/data-exports', { organizationId: 'org_01HZZZZZZZZZZZZZZZZZZZZZZZ' });
		assert.equal(other.status, 403, other.text);
		assert.equal(other.body.title, 'Forbidden');
		const restricted = await call(emu, 'GET', '/experimental/data-exports', { auth: { 'REB-APIKEY': emu.apiKeyWithoutExportAccess } });
		assert.equal(restricted.status, 403, restricted.text);
	});

	it('answers 404 problems for unknown exports, files and paths', async () => {
		for (const path of ['/experimental/data-exports/exp_01HNOPE00000000000000000', '/files/file_01HNOPE0000000000000000000/download', '/nothing-here']) {
			const res = await call(emu, 'GET', path);
			assert.equal(res.status, 404, `${path}: ${res.text}`);
			assert.equal(res.body.status, 404);
		}
		const outside = await fetch(`${emu.apiOrigin}/experimental/data-exports`, { headers: { 'REB-APIKEY': emu.apiKey } });
		assert.equal(outside.status, 404, 'paths sit under /organizations/{organizationId}');
		const del = await call(emu, 'DELETE', '/experimental/data-exports/exp_01HNOPE00000000000000000');
		assert.equal(del.status, 404);
	});

	it('answers 400 for a body that is not JSON', async () => {
		const res = await call(emu, 'POST', '/experimental/data-exports', { raw: '{"name": ' });
		assert.equal(res.status, 400, res.text);
	});
});

describe('Rebilly emulator: create and validation', () => {
	let emu: RebillyEmulator;
	before(async () => {
		emu = await startRebillyEmulator();
	});
	after(() => emu.close());

	it('creates: 201, DataExport body, Location and X-RateLimit headers', async () => {
		const res = await call(emu, 'POST', '/experimental/data-exports', {
			body: {
				name: 'Daily transactions',
				resource: 'transactions',
				format: 'csv',
				dateRange: { start: 'yesterday', end: 'today' },
				arguments: { filter: 'result:approved', sort: '-processedTime' },
				fields: ['id', 'amount', 'currency'],
				emailNotification: ['ops@example.com'],
			},
		});
		assert.equal(res.status, 201, res.text);
		assertSchema('DataExport', res.body);
		const exp = res.body as Json;
		assert.match(exp.id, EXPORT_ID);
		assert.equal(res.headers.get('location'), `${emu.baseUrl}/experimental/data-exports/${exp.id}`);
		assert.equal(res.headers.get('x-ratelimit-limit'), '3000');
		assert.match(res.headers.get('x-ratelimit-remaining') ?? '', /^\d+$/);
		assert.equal(exp.status, 'pending');
		assert.equal(exp.fileId, null);
		assert.equal(exp.failureReason, null);
		assert.equal(exp.recordCount, 0);
		assert.equal(exp.userId, emu.userId);
		assert.deepEqual(exp.dateRange, { start: 'yesterday', end: 'today', field: 'processedTime' });
		assert.deepEqual(exp.arguments, { filter: 'result:approved', sort: '-processedTime' });
		assert.deepEqual(exp.fields, ['id', 'amount', 'currency']);
		assert.deepEqual(exp.emailNotification, ['ops@example.com']);
		assert.equal(link(exp, 'self'), `${emu.baseUrl}/experimental/data-exports/${exp.id}`);
		assert.equal(link(exp, 'download'), undefined, 'no download link before completion');
		for (const item of exp._links as Json[]) assert.deepEqual(Object.keys(item).sort(), ['href', 'rel']);
	});

	it('defaults dateRange.field per resource (processedTime, issuedTime, createdTime)', async () => {
		for (const resource of REBILLY_RESOURCES) {
			const exp = await create(emu, { name: `range ${resource}`, resource, format: 'csv', dateRange: { start: '-7 days', end: 'now' } });
			assert.equal(exp.dateRange.field, REBILLY_DEFAULT_DATE_FIELD[resource], resource);
		}
		assert.equal(REBILLY_DEFAULT_DATE_FIELD.transactions, 'processedTime');
		assert.equal(REBILLY_DEFAULT_DATE_FIELD.invoices, 'issuedTime');
		assert.equal(REBILLY_DEFAULT_DATE_FIELD.invoiceItems, 'issuedTime');
		assert.equal(REBILLY_DEFAULT_DATE_FIELD.customers, 'createdTime');
		const explicit = await create(emu, { name: 'by created', resource: 'transactions', format: 'json', dateRange: { start: 'yesterday', end: 'today', field: 'createdTime' } });
		assert.equal(explicit.dateRange.field, 'createdTime');
	});

	it('allows exactly the formats each resource lists', async () => {
		for (const resource of REBILLY_RESOURCES) {
			for (const format of ALL_FORMATS) {
				const res = await call(emu, 'POST', '/experimental/data-exports', { body: { name: `${resource} ${format}`, resource, format } });
				if (REBILLY_FORMATS_BY_RESOURCE[resource].includes(format)) {
					assert.equal(res.status, 201, `${resource}/${format}: ${res.text}`);
					assertSchema('DataExport', res.body);
				} else {
					assert.equal(res.status, 422, `${resource}/${format} should be refused: ${res.text}`);
					assertSchema('ValidationError', res.body);
					assertSchema('DataExportValidationError', res.body);
					assert.deepEqual(
						(res.body.invalidFields as Json[]).map((item) => item.field),
						['format'],
					);
				}
			}
		}
		assert.deepEqual(REBILLY_FORMATS_BY_RESOURCE.users, ['csv', 'json']);
		assert.ok(REBILLY_FORMATS_BY_RESOURCE.invoices.includes('pdf'));
		assert.ok(!REBILLY_FORMATS_BY_RESOURCE.disputes.includes('detailed-csv'));
	});

	it('answers 422 ValidationError naming each bad field', async () => {
		const cases: Array<[Json, string]> = [
			[{ resource: 'customers', format: 'csv' }, 'name'],
			[{ name: 'x'.repeat(51), resource: 'customers', format: 'csv' }, 'name'],
			[{ name: 'ok', format: 'csv' }, 'resource'],
			[{ name: 'ok', resource: 'orders', format: 'csv' }, 'resource'],
			[{ name: 'ok', resource: 'customers' }, 'format'],
			[{ name: 'ok', resource: 'customers', format: 'xlsx' }, 'format'],
			[{ name: 'ok', resource: 'customers', format: 'csv', dateRange: { start: 'yesterday' } }, 'dateRange.end'],
			[{ name: 'ok', resource: 'customers', format: 'csv', dateRange: { start: 'the day before the thing', end: 'now' } }, 'dateRange.start'],
			[{ name: 'ok', resource: 'customers', format: 'csv', dateRange: { start: 'yesterday', end: '2024-02-30' } }, 'dateRange.end'],
			[{ name: 'ok', resource: 'customers', format: 'csv', dateRange: { start: 'yesterday', end: 'now', field: 'processedTime' } }, 'dateRange.field'],
			[{ name: 'ok', resource: 'customers', format: 'csv', emailNotification: ['not an email'] }, 'emailNotification.0'],
			[{ name: 'ok', resource: 'customers', format: 'csv', recurring: { start: '2030-01-01T00:00:00Z' } }, 'recurring.instruction'],
			[{ name: 'ok', resource: 'customers', format: 'csv', recurring: { instruction: 'RRULE:FREQ=DAILY', start: 'tomorrow' } }, 'recurring.start'],
			[{ name: 'ok', resource: 'customers', format: 'csv', arguments: { filter: 'no-colon-here' } }, 'arguments.filter'],
			[{ name: 'ok', resource: 'customers', format: 'csv', fields: 'id' }, 'fields'],
		];
		for (const [body, field] of cases) {
			const res = await call(emu, 'POST', '/experimental/data-exports', { body });
			assert.equal(res.status, 422, `${JSON.stringify(body)}: ${res.text}`);
			assertSchema('ValidationError', res.body);
			assert.equal(res.body.status, 422);
			const fields = (res.body.invalidFields as Json[]).map((item) => item.field);
			assert.ok(fields.includes(field), `${JSON.stringify(body)} → ${JSON.stringify(fields)}`);
		}
		const longest = await call(emu, 'POST', '/experimental/data-exports', { body: { name: 'x'.repeat(50), resource: 'customers', format: 'csv' } });
		assert.equal(longest.status, 201, 'a name of 50 characters is the most *DataExport.yaml allows');
	});

	it('accepts a recurring export (RRULE) and schedules it at recurring.start', async () => {
		const exp = await create(emu, { name: 'Daily customer export', resource: 'customers', format: 'csv', recurring: { instruction: 'RRULE:FREQ=DAILY', start: '2030-01-01T06:00:00Z' }, dateRange: { start: 'yesterday', end: 'today' } });
		assert.deepEqual(exp.recurring, { instruction: 'RRULE:FREQ=DAILY', start: '2030-01-01T06:00:00Z' });
		assert.equal(exp.scheduledTime, '2030-01-01T06:00:00Z');
		assertSchema('DataExport', exp);
	});

	it('answers 422 data-export-limit-exceeded with matchedRecords and maxRecords', async () => {
		await withEmulator({ maxRecords: 4, seed: false }, async (small) => {
			small.records.generate('transactions', 6);
			const res = await call(small, 'POST', '/experimental/data-exports', { body: { name: 'too big', resource: 'transactions', format: 'csv' } });
			assert.equal(res.status, 422, res.text);
			assertSchema('DataExportLimitExceeded', res.body);
			assertSchema('DataExportValidationError', res.body);
			assert.equal(res.body.type, 'data-export-limit-exceeded');
			assert.equal(res.body.matchedRecords, 6);
			assert.equal(res.body.maxRecords, 4);
			// Narrowed by a filter, the same export fits.
			await create(small, { name: 'narrow', resource: 'transactions', format: 'csv', arguments: { filter: `id:${small.records.list('transactions')[0].id}` } });
		});
	});
});

describe('Rebilly emulator: relative dates', () => {
	// Friday 15 March 2024, 10:30:45 UTC.
	const now = new Date('2024-03-15T10:30:45.000Z');
	const cases: Array<[string, string]> = [
		['now', '2024-03-15T10:30:45.000Z'],
		['today', '2024-03-15T00:00:00.000Z'],
		['midnight', '2024-03-15T00:00:00.000Z'],
		['noon', '2024-03-15T12:00:00.000Z'],
		['yesterday', '2024-03-14T00:00:00.000Z'],
		['tomorrow', '2024-03-16T00:00:00.000Z'],
		['yesterday midnight', '2024-03-14T00:00:00.000Z'],
		['yesterday noon', '2024-03-14T12:00:00.000Z'],
		['-7 days', '2024-03-08T10:30:45.000Z'],
		['+1 day', '2024-03-16T10:30:45.000Z'],
		['-2 hours', '2024-03-15T08:30:45.000Z'],
		['+1 week 2 days', '2024-03-24T10:30:45.000Z'],
		['3 days ago midnight', '2024-03-12T00:00:00.000Z'],
		['2 hours ago', '2024-03-15T08:30:45.000Z'],
		['first day of last month midnight', '2024-02-01T00:00:00.000Z'],
		['first day of this month midnight', '2024-03-01T00:00:00.000Z'],
		['first day of this month', '2024-03-01T10:30:45.000Z'],
		['last day of last month', '2024-02-29T10:30:45.000Z'],
		['last day of next month midnight', '2024-04-30T00:00:00.000Z'],
		['first day of next month', '2024-04-01T10:30:45.000Z'],
		['last month', '2024-02-15T10:30:45.000Z'],
		['next monday', '2024-03-18T00:00:00.000Z'],
		['last friday', '2024-03-08T00:00:00.000Z'],
		['friday', '2024-03-15T00:00:00.000Z'],
		['today 14:00', '2024-03-15T14:00:00.000Z'],
		['back of 7pm', '2024-03-15T19:15:00.000Z'],
		['front of 7pm', '2024-03-15T18:45:00.000Z'],
		['2018-01-21T15:15:15Z', '2018-01-21T15:15:15.000Z'],
		['2018-01-21T15:15:15+02:00', '2018-01-21T13:15:15.000Z'],
		['2018-01-21 15:15:15', '2018-01-21T15:15:15.000Z'],
		['2024-01-05', '2024-01-05T00:00:00.000Z'],
		['2024-01-05 +1 day', '2024-01-06T00:00:00.000Z'],
		['@1700000000', '2023-11-14T22:13:20.000Z'],
		['  Yesterday  Midnight ', '2024-03-14T00:00:00.000Z'],
	];
	for (const [text, expected] of cases) {
		it(`reads "${text}"`, () => {
			assert.equal(parseRebillyDate(text, now)?.toISOString(), expected);
		});
	}
	it('refuses what it cannot read', () => {
		for (const text of ['', 'soon', 'the 5th', '2024-13-01', '2024-02-30', '25:00', 'yesterday banana']) {
			assert.equal(parseRebillyDate(text, now), undefined, text);
		}
	});

	it('filters an export by the evaluated range on the emulator clock, on the chosen field', async () => {
		await withEmulator({ seed: false, frozenClock: true, pollsUntilDone: 0 }, async (emu) => {
			emu.clock.set(new Date('2024-03-15T10:30:45Z'));
			// Processed yesterday but created the day before; processed today; processed two days ago.
			emu.records.upsert('transactions', { id: 'txn_yesterday', processedTime: '2024-03-14T09:00:00Z', createdTime: '2024-03-13T23:00:00Z' });
			emu.records.upsert('transactions', { id: 'txn_today', processedTime: '2024-03-15T01:00:00Z', createdTime: '2024-03-15T00:59:00Z' });
			emu.records.upsert('transactions', { id: 'txn_older', processedTime: '2024-03-13T12:00:00Z', createdTime: '2024-03-13T12:00:00Z' });
			const byProcessed = await exportAndDownload(emu, { name: 'yesterday', resource: 'transactions', format: 'json', dateRange: { start: 'yesterday', end: 'today' } });
			assert.deepEqual((JSON.parse(byProcessed.bytes.toString('utf8')) as Json[]).map((record) => record.id), ['txn_yesterday']);
			assert.equal(byProcessed.exp.recordCount, 1);
			const byCreated = await exportAndDownload(emu, { name: 'created', resource: 'transactions', format: 'json', dateRange: { start: 'yesterday', end: 'today', field: 'createdTime' } });
			assert.deepEqual((JSON.parse(byCreated.bytes.toString('utf8')) as Json[]).map((record) => record.id), []);
			const lastDays = await exportAndDownload(emu, { name: 'three days', resource: 'transactions', format: 'json', dateRange: { start: '3 days ago midnight', end: 'now' } });
			assert.deepEqual((JSON.parse(lastDays.bytes.toString('utf8')) as Json[]).map((record) => record.id), ['txn_older', 'txn_yesterday', 'txn_today']);
		});
	});
});

describe('Rebilly emulator: lifecycle', () => {
	let emu: RebillyEmulator;
	before(async () => {
		emu = await startRebillyEmulator();
	});
	after(() => emu.close());
	afterEach(() => emu.faults.reset());

	it('goes pending → queued → processing → completed over status GETs, then has file, links and recordCount', async () => {
		const created = await create(emu, { name: 'lifecycle', resource: 'customers', format: 'csv' });
		assert.equal(created.status, 'pending');
		const { statuses, last } = await pollToEnd(emu, created.id);
		assert.deepEqual(statuses, ['queued', 'processing', 'completed']);
		assertSchema('DataExport', last);
		assert.match(last.fileId, FILE_ID);
		assert.equal(last.recordCount, emu.records.count('customers'));
		assert.equal(last.failureReason, null);
		assert.deepEqual(
			(last._links as Json[]).map((item) => item.rel),
			['self', 'user', 'download', 'signedLink'],
		);
		assert.equal(link(last, 'download'), `${emu.baseUrl}/files/${last.fileId}/download`);
		const signed = new URL(link(last, 'signedLink') ?? '');
		assert.equal(signed.origin, emu.storageOrigin);
		assert.equal(signed.hostname, 'localhost');
		assert.ok(signed.searchParams.get('X-Amz-Expires'));
		assert.ok(Date.parse(last.updatedTime) >= Date.parse(last.createdTime));
	});

	it('embeds file and user with expand', async () => {
		const created = await create(emu, { name: 'expand', resource: 'users', format: 'json' });
		const { last } = await pollToEnd(emu, created.id, '?expand=file,user');
		assertSchema('DataExport', last);
		assert.equal(last._embedded.file.id, last.fileId);
		assert.equal(last._embedded.file.mime, 'application/json');
		assert.equal(typeof last._embedded.file.size, 'number');
		assert.equal(last._embedded.user.id, emu.userId);
		const fileSelf = (last._embedded.file._links as Json[]).find((item) => item.rel === 'self')?.href ?? '';
		const file = await fetch(fileSelf, { headers: { 'REB-APIKEY': emu.apiKey } });
		assert.equal(file.status, 200);
		assert.equal(((await file.json()) as Json).id, last.fileId);
		const plain = await getExport(emu, created.id);
		assert.equal(plain._embedded, undefined);
	});

	it('ends failed with failureReason and no file', async () => {
		for (const reason of ['record-limit-exceeded', 'max-retries-reached'] as const) {
			emu.faults.failExport(reason);
			const created = await create(emu, { name: `fail ${reason}`, resource: 'transactions', format: 'csv' });
			const { statuses, last } = await pollToEnd(emu, created.id);
			assert.deepEqual(statuses, ['queued', 'processing', 'failed']);
			assertSchema('DataExport', last);
			assert.equal(last.failureReason, reason);
			assert.equal(last.fileId, null);
			assert.equal(last.recordCount, 0);
			assert.equal(link(last, 'download'), undefined);
		}
		// failExport by id, for an export already under way.
		const created = await create(emu, { name: 'fail later', resource: 'transactions', format: 'csv' });
		await getExport(emu, created.id);
		emu.faults.failExport('max-retries-reached', created.id);
		const { last } = await pollToEnd(emu, created.id);
		assert.equal(last.status, 'failed');
	});

	it('pollsUntilDone(n) and neverFinish()', async () => {
		emu.faults.pollsUntilDone(0);
		const quick = await create(emu, { name: 'quick', resource: 'customers', format: 'json' });
		assert.equal((await getExport(emu, quick.id)).status, 'completed');
		emu.faults.pollsUntilDone(4);
		const slow = await create(emu, { name: 'slow', resource: 'customers', format: 'json' });
		assert.deepEqual((await pollToEnd(emu, slow.id)).statuses, ['queued', 'processing', 'processing', 'processing', 'completed']);
		emu.faults.neverFinish();
		const stuck = await create(emu, { name: 'stuck', resource: 'customers', format: 'json' });
		for (let i = 0; i < 6; i++) await getExport(emu, stuck.id);
		assert.equal((await getExport(emu, stuck.id)).status, 'processing');
	});

	it('also advances by time (autoCompleteAfterMs on the emulator clock)', async () => {
		await withEmulator({ frozenClock: true, pollsUntilDone: 50, autoCompleteAfterMs: 60 * SECOND }, async (timed) => {
			const created = await create(timed, { name: 'timed', resource: 'customers', format: 'csv' });
			const list = async () => ((await call(timed, 'GET', '/experimental/data-exports')).body as Json[])[0].status;
			assert.equal(await list(), 'pending');
			timed.clock.advance(61 * SECOND);
			assert.equal(await list(), 'completed', 'time alone completes it; a list GET is not a poll');
			assert.equal(timed.exports[0].polls, 0);
			assert.equal((await getExport(timed, created.id)).status, 'completed');
		});
	});
});

describe('Rebilly emulator: download, storage and signed links', () => {
	let emu: RebillyEmulator;
	let exp: Json;
	before(async () => {
		emu = await startRebillyEmulator({ frozenClock: true, pollsUntilDone: 0, signedLinkTtlMs: 5 * MINUTE });
		const created = await create(emu, { name: 'Storage test', resource: 'transactions', format: 'csv' });
		exp = (await pollToEnd(emu, created.id)).last;
	});
	after(() => emu.close());
	afterEach(() => emu.faults.reset());

	it('answers /files/{id}/download with 302 to the storage host, which serves the bytes without credentials', async () => {
		const before = emu.requests.length;
		const res = await call(emu, 'GET', `/files/${exp.fileId}/download`);
		assert.equal(res.status, 302);
		const location = new URL(res.headers.get('location') ?? '');
		assert.equal(location.origin, emu.storageOrigin);
		assert.notEqual(location.origin, emu.apiOrigin);
		const stored = await fetch(location);
		assert.equal(stored.status, 200);
		assert.equal(stored.headers.get('content-type'), 'text/csv');
		assert.match(stored.headers.get('content-disposition') ?? '', /^attachment; filename="Storage-test\.csv"/);
		const bytes = Buffer.from(await stored.arrayBuffer());
		assert.equal(Number(stored.headers.get('content-length')), bytes.length);
		assert.deepEqual(bytes, emu.file(exp.fileId)?.bytes);
		const storageRequests = emu.requests.slice(before).filter((entry) => entry.host === 'storage');
		assert.equal(storageRequests.length, 1);
		for (const entry of storageRequests) {
			assert.equal(entry.headers['reb-apikey'], undefined);
			assert.equal(entry.headers.authorization, undefined);
		}
	});

	it('catches a client that follows the 302 with its REB-APIKEY header still on', async () => {
		// fetch drops Authorization on a cross-origin redirect, but not a custom header like REB-APIKEY.
		const res = await fetch(`${emu.baseUrl}/files/${exp.fileId}/download`, { headers: { 'REB-APIKEY': emu.apiKey } });
		assert.equal(res.status, 403);
		assert.match(await res.text(), /AccessDenied/);
		const last = emu.requests[emu.requests.length - 1];
		assert.equal(last.host, 'storage');
		assert.match(last.refused ?? '', /REB-APIKEY/);
		assert.equal(last.headers['reb-apikey'], emu.apiKey, 'the log keeps the headers that arrived');
	});

	it('the signedLink works without credentials too', async () => {
		const fresh = await getExport(emu, exp.id);
		const res = await fetch(link(fresh, 'signedLink') ?? '');
		assert.equal(res.status, 200);
		assert.equal(Buffer.from(await res.arrayBuffer()).length, emu.file(exp.fileId)?.bytes.length);
	});

	it('storage refuses requests that carry REB-APIKEY or Authorization, and logs why', async () => {
		const url = emu.signedUrl(exp.fileId) ?? '';
		const withKey = await fetch(url, { headers: { 'REB-APIKEY': emu.apiKey } });
		assert.equal(withKey.status, 403);
		assert.match(await withKey.text(), /<Code>AccessDenied<\/Code>/);
		const withBearer = await fetch(url, { headers: { Authorization: `Bearer ${emu.jwt}` } });
		assert.equal(withBearer.status, 400);
		assert.match(await withBearer.text(), /<Code>InvalidArgument<\/Code>/);
		const refused = emu.requests.filter((entry) => entry.host === 'storage' && entry.refused);
		assert.ok(refused.some((entry) => /REB-APIKEY/.test(entry.refused ?? '')));
		assert.ok(refused.some((entry) => /Authorization/.test(entry.refused ?? '')));
		const unsigned = await fetch(url.split('?')[0]);
		assert.equal(unsigned.status, 403);
		const tampered = await fetch(url.replace(/X-Amz-Expires=\d+/, 'X-Amz-Expires=999999'));
		assert.equal(tampered.status, 403);
		assert.match(await tampered.text(), /SignatureDoesNotMatch/);
	});

	it('signed links expire after the TTL (403 "Request has expired") and by faults.expireSignedLinks()', async () => {
		const url = emu.signedUrl(exp.fileId) ?? '';
		assert.equal((await fetch(url)).status, 200);
		emu.clock.advance(5 * MINUTE + SECOND);
		const expired = await fetch(url);
		assert.equal(expired.status, 403);
		assert.match(await expired.text(), /<Message>Request has expired<\/Message>/);
		const renewed = emu.signedUrl(exp.fileId) ?? '';
		assert.equal((await fetch(renewed)).status, 200);
		emu.faults.expireSignedLinks();
		assert.equal((await fetch(renewed)).status, 403);
		const afterFault = emu.signedUrl(exp.fileId) ?? '';
		assert.equal((await fetch(afterFault)).status, 200, 'links issued after the fault work');
	});

	it('serves ranges on storage (206, Content-Range) and 416 past the end', async () => {
		const url = emu.signedUrl(exp.fileId) ?? '';
		const size = emu.file(exp.fileId)?.bytes.length ?? 0;
		const part = await fetch(url, { headers: { Range: 'bytes=0-9' } });
		assert.equal(part.status, 206);
		assert.equal(part.headers.get('content-range'), `bytes 0-9/${size}`);
		assert.deepEqual(Buffer.from(await part.arrayBuffer()), emu.file(exp.fileId)?.bytes.subarray(0, 10));
		const past = await fetch(url, { headers: { Range: `bytes=${size + 10}-` } });
		assert.equal(past.status, 416);
	});

	it('can serve the bytes from the API host instead (200)', async () => {
		emu.faults.serveDownloadFromApi();
		const res = await fetch(`${emu.baseUrl}/files/${exp.fileId}/download`, { headers: { 'REB-APIKEY': emu.apiKey }, redirect: 'manual' });
		assert.equal(res.status, 200);
		assert.equal(res.headers.get('content-type'), 'text/csv');
		assert.deepEqual(Buffer.from(await res.arrayBuffer()), emu.file(exp.fileId)?.bytes);
		await withEmulator({ download: 'direct', pollsUntilDone: 0 }, async (direct) => {
			const made = await create(direct, { name: 'direct', resource: 'users', format: 'csv' });
			const done = await getExport(direct, made.id);
			assert.equal((await call(direct, 'GET', `/files/${done.fileId}/download`)).status, 200);
		});
	});

	it('the download endpoint needs credentials', async () => {
		const res = await call(emu, 'GET', `/files/${exp.fileId}/download`, { auth: 'none' });
		assert.equal(res.status, 401);
	});

	it('faults: storage 403, truncated download, omitted signedLink, storage 5xx', async () => {
		emu.faults.storageForbidden(1);
		const url = emu.signedUrl(exp.fileId) ?? '';
		assert.equal((await fetch(url)).status, 403);
		assert.equal((await fetch(url)).status, 200);
		emu.faults.truncateDownload(1, 10);
		const cut = await fetch(url);
		assert.equal(cut.status, 200);
		await assert.rejects(cut.arrayBuffer());
		emu.faults.omitSignedLink();
		const without = await getExport(emu, exp.id);
		assert.equal(link(without, 'signedLink'), undefined);
		assert.ok(link(without, 'download'));
		emu.faults.serverErrors(1, { on: 'storage', status: 503 });
		assert.equal((await fetch(url)).status, 503);
		assert.equal((await fetch(url)).status, 200);
	});

	it('can leave signedLink out for good (option)', async () => {
		await withEmulator({ signedLink: false, pollsUntilDone: 0 }, async (plain) => {
			const made = await create(plain, { name: 'no signed link', resource: 'users', format: 'csv' });
			const done = await getExport(plain, made.id);
			assert.deepEqual(
				(done._links as Json[]).map((item) => item.rel),
				['self', 'user', 'download'],
			);
		});
	});
});

describe('Rebilly emulator: file content', () => {
	let emu: RebillyEmulator;
	before(async () => {
		emu = await startRebillyEmulator({ seed: false, pollsUntilDone: 0, frozenClock: true });
		const base = Date.parse('2024-05-01T00:00:00Z');
		emu.clock.set(new Date(base + 10 * DAY));
		emu.records.upsert('transactions', { id: 'txn_a', amount: 10.5, currency: 'USD', type: 'sale', description: 'Setup fee, one-time', processedTime: iso(base + HOUR) });
		emu.records.upsert('transactions', { id: 'txn_b', amount: 99, currency: 'EUR', type: 'refund', description: 'Pro plan "Gold"', processedTime: iso(base + 2 * HOUR) });
		emu.records.upsert('transactions', { id: 'txn_c', amount: 5, currency: 'GBP', type: 'sale', description: 'Line one\nLine two', processedTime: iso(base + 3 * HOUR) });
		emu.records.upsert('customers', { id: 'cus_1', email: 'a@example.com', averageValue: { currency: 'USD', amount: 12.34, amountUsd: 12.34 } });
	});
	after(() => emu.close());

	it('csv: header row, RFC 4180 quoting only where needed', async () => {
		const { bytes } = await exportAndDownload(emu, { name: 'csv', resource: 'transactions', format: 'csv', fields: ['id', 'amount', 'description'] });
		const text = bytes.toString('utf8');
		assert.ok(text.startsWith('id,amount,description\r\n'), text);
		assert.ok(text.includes('txn_a,10.5,"Setup fee, one-time"\r\n'));
		assert.ok(text.includes('txn_b,99,"Pro plan ""Gold"""\r\n'));
		assert.ok(text.includes('txn_c,5,"Line one\nLine two"\r\n'));
		assert.deepEqual(parseCsv(text), [
			['id', 'amount', 'description'],
			['txn_a', '10.5', 'Setup fee, one-time'],
			['txn_b', '99', 'Pro plan "Gold"'],
			['txn_c', '5', 'Line one\nLine two'],
		]);
	});

	it('csv options: quote every field, LF line endings', async () => {
		await withEmulator({ seed: false, pollsUntilDone: 0, csvQuoteAll: true, csvLineEnding: '\n' }, async (quoted) => {
			quoted.records.upsert('users', { id: 'usr_1', email: 'x@example.com' });
			const { bytes } = await exportAndDownload(quoted, { name: 'quoted', resource: 'users', format: 'csv', fields: ['id', 'email'] });
			assert.equal(bytes.toString('utf8'), '"id","email"\n"usr_1","x@example.com"\n');
		});
	});

	it('fields pick nested a/b paths; filter and sort apply', async () => {
		const customers = await exportAndDownload(emu, { name: 'nested', resource: 'customers', format: 'csv', fields: ['id', 'averageValue/amount'] });
		assert.deepEqual(parseCsv(customers.bytes.toString('utf8')), [
			['id', 'averageValue/amount'],
			['cus_1', '12.34'],
		]);
		const nestedJson = await exportAndDownload(emu, { name: 'nested json', resource: 'customers', format: 'json', fields: ['id', 'averageValue/amount'] });
		assert.deepEqual(JSON.parse(nestedJson.bytes.toString('utf8')), [{ id: 'cus_1', averageValue: { amount: 12.34 } }]);
		const filtered = await exportAndDownload(emu, { name: 'filtered', resource: 'transactions', format: 'json', fields: ['id'], arguments: { filter: 'currency:usd,GBP;type:sale', sort: '-amount' } });
		assert.deepEqual(JSON.parse(filtered.bytes.toString('utf8')), [{ id: 'txn_a' }, { id: 'txn_c' }]);
		const negated = await exportAndDownload(emu, { name: 'negated', resource: 'transactions', format: 'json', fields: ['id'], arguments: { filter: 'type:!sale' } });
		assert.deepEqual(JSON.parse(negated.bytes.toString('utf8')), [{ id: 'txn_b' }]);
		const ranged = await exportAndDownload(emu, { name: 'ranged', resource: 'transactions', format: 'json', fields: ['id'], arguments: { filter: 'amount:6..100', q: 'gold' } });
		assert.deepEqual(JSON.parse(ranged.bytes.toString('utf8')), [{ id: 'txn_b' }]);
	});

	it('json, json-api, xml and detailed-csv', async () => {
		const json = await exportAndDownload(emu, { name: 'json', resource: 'transactions', format: 'json' });
		assert.equal(json.headers.get('content-type'), 'application/json');
		const records = JSON.parse(json.bytes.toString('utf8')) as Json[];
		assert.deepEqual(
			records.map((record) => record.id),
			['txn_a', 'txn_b', 'txn_c'],
		);
		assert.equal(records[0].currency, 'USD');
		const api = await exportAndDownload(emu, { name: 'jsonapi', resource: 'transactions', format: 'json-api', fields: ['id', 'amount'] });
		assert.deepEqual(JSON.parse(api.bytes.toString('utf8')).data[0], { type: 'transactions', id: 'txn_a', attributes: { amount: 10.5 } });
		const xml = await exportAndDownload(emu, { name: 'xml', resource: 'transactions', format: 'xml', fields: ['id', 'description'] });
		const xmlText = xml.bytes.toString('utf8');
		assert.match(xmlText, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<transactions>\n {2}<transaction>\n {4}<id>txn_a<\/id>/);
		assert.ok(xmlText.includes('<description>Pro plan &quot;Gold&quot;</description>'));
		assert.equal((xmlText.match(/<transaction>/g) ?? []).length, 3);
		assert.ok(xmlText.trimEnd().endsWith('</transactions>'));
		const detailed = await exportAndDownload(emu, { name: 'detailed', resource: 'transactions', format: 'detailed-csv' });
		const header = parseCsv(detailed.bytes.toString('utf8'))[0];
		assert.ok(header.includes('billingAddress/firstName'), header.join(','));
		assert.ok(header.includes('processedTime'));
	});

	it('splits over maxRecordsPerFile into a ZIP of numbered parts (part10 after part9), and pdf is a ZIP of PDFs', async () => {
		await withEmulator({ seed: false, pollsUntilDone: 0, maxRecordsPerFile: 2 }, async (parts) => {
			const made = parts.records.generate('transactions', 21, { since: new Date(Date.now() - 2 * DAY), until: new Date(Date.now() - HOUR) });
			const csv = await exportAndDownload(parts, { name: 'Big export', resource: 'transactions', format: 'csv', fields: ['id', 'amount'] });
			assert.equal(csv.headers.get('content-type'), 'application/zip');
			assert.match(csv.headers.get('content-disposition') ?? '', /filename="Big-export\.zip"/);
			assert.equal(csv.exp.recordCount, 21);
			const zip = await JSZip.loadAsync(csv.bytes);
			const names = Object.keys(zip.files);
			assert.deepEqual(
				names,
				Array.from({ length: 11 }, (_, index) => `Big-export-part${index + 1}.csv`),
			);
			const all: string[] = [];
			for (const name of names) {
				const rows = parseCsv(await (zip.file(name) as JSZip.JSZipObject).async('string'));
				assert.deepEqual(rows[0], ['id', 'amount'], `${name} repeats the header`);
				assert.ok(rows.length - 1 <= 2);
				all.push(...rows.slice(1).map((row) => row[0]));
			}
			assert.deepEqual(all, made.map((record) => record.id), 'parts keep the order of the date field');
			const part10 = parseCsv(await (zip.file('Big-export-part10.csv') as JSZip.JSZipObject).async('string'));
			assert.deepEqual(
				part10.slice(1).map((row) => row[0]),
				[made[18].id, made[19].id],
			);
			const json = await exportAndDownload(parts, { name: 'Big json', resource: 'transactions', format: 'json', fields: ['id'] });
			const jsonZip = await JSZip.loadAsync(json.bytes);
			for (const name of Object.keys(jsonZip.files)) assert.ok(Array.isArray(JSON.parse(await (jsonZip.file(name) as JSZip.JSZipObject).async('string'))), name);
			parts.records.generate('invoices', 3);
			const pdf = await exportAndDownload(parts, { name: 'Invoices', resource: 'invoices', format: 'pdf' });
			assert.equal(pdf.headers.get('content-type'), 'application/zip');
			const pdfZip = await JSZip.loadAsync(pdf.bytes);
			const pdfNames = Object.keys(pdfZip.files);
			assert.equal(pdfNames.length, 3, 'one PDF per record, not split into parts');
			for (const name of pdfNames) {
				assert.match(name, /^in_[0-9A-Z]{26}\.pdf$/);
				const bytes = await (pdfZip.file(name) as JSZip.JSZipObject).async('nodebuffer');
				assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
				assert.ok(bytes.toString('latin1').trimEnd().endsWith('%%EOF'));
			}
		});
	});
});

describe('Rebilly emulator: rate limits', () => {
	it('faults.rateLimitCreates: 429 problem with X-RateLimit-Retry-After as a UTC epoch in seconds, no Retry-After', async () => {
		await withEmulator({}, async (emu) => {
			emu.faults.rateLimitCreates(1, 2);
			const beforeSeconds = Math.floor(Date.now() / SECOND);
			const res = await call(emu, 'POST', '/experimental/data-exports', { body: { name: 'limited', resource: 'customers', format: 'csv' } });
			assert.equal(res.status, 429, res.text);
			assertSchema('TooManyRequests', res.body);
			assert.equal(res.body.title, 'Rate Limit Exceeded');
			assert.equal(res.body.status, 429);
			assert.equal(res.headers.get('retry-after'), null);
			const epoch = res.headers.get('x-ratelimit-retry-after') ?? '';
			assert.match(epoch, /^\d{10}$/, 'an epoch timestamp in seconds, not a delay');
			assert.ok(Number(epoch) >= beforeSeconds + 1 && Number(epoch) <= beforeSeconds + 120, epoch);
			assert.equal(res.headers.get('x-ratelimit-remaining'), '0');
			await create(emu, { name: 'next one passes', resource: 'customers', format: 'csv' });
		});
	});

	it('limits non-GET requests per organization per window on the emulator clock', async () => {
		const otherOrg = 'org_01HSECONDORGANIZATION00000';
		await withEmulator({ frozenClock: true, rateLimit: { limit: 3, windowMs: MINUTE }, additionalOrganizationIds: [otherOrg] }, async (emu) => {
			const windowStart = emu.clock.now().getTime();
			const remaining: string[] = [];
			for (let i = 0; i < 3; i++) {
				const res = await call(emu, 'POST', '/experimental/data-exports', { body: { name: `n${i}`, resource: 'customers', format: 'csv' } });
				assert.equal(res.status, 201, res.text);
				assert.equal(res.headers.get('x-ratelimit-limit'), '3');
				remaining.push(res.headers.get('x-ratelimit-remaining') ?? '');
			}
			assert.deepEqual(remaining, ['2', '1', '0']);
			const limited = await call(emu, 'POST', '/experimental/data-exports', { body: { name: 'n3', resource: 'customers', format: 'csv' } });
			assert.equal(limited.status, 429);
			assertSchema('TooManyRequests', limited.body);
			assert.equal(limited.headers.get('x-ratelimit-retry-after'), String(Math.ceil((windowStart + MINUTE) / SECOND)));
			assert.equal((await call(emu, 'GET', '/experimental/data-exports')).status, 200, 'GETs are not limited (sandbox rule)');
			const elsewhere = await call(emu, 'POST', '/experimental/data-exports', { organizationId: otherOrg, body: { name: 'other org', resource: 'customers', format: 'csv' } });
			assert.equal(elsewhere.status, 201, 'limits apply per organization');
			emu.clock.advance(MINUTE);
			assert.equal((await call(emu, 'POST', '/experimental/data-exports', { body: { name: 'new window', resource: 'customers', format: 'csv' } })).status, 201);
			// Each organization sees only its own exports.
			const mine = (await call(emu, 'GET', '/experimental/data-exports')).body as Json[];
			assert.ok(mine.every((item) => item.name !== 'other org'));
		});
	});

	it('serverErrors bursts on create, status and download', async () => {
		await withEmulator({ pollsUntilDone: 0 }, async (emu) => {
			emu.faults.serverErrors(2, { on: 'create', status: 503 });
			const body = { name: 'flaky', resource: 'customers', format: 'csv' };
			assert.equal((await call(emu, 'POST', '/experimental/data-exports', { body })).status, 503);
			assert.equal((await call(emu, 'POST', '/experimental/data-exports', { body })).status, 503);
			const created = await create(emu, body);
			emu.faults.serverErrors(1, { on: 'status' });
			const failing = await call(emu, 'GET', `/experimental/data-exports/${created.id}`);
			assert.equal(failing.status, 500);
			assert.equal(failing.body.status, 500);
			const done = await getExport(emu, created.id);
			emu.faults.serverErrors(1, { on: ['download'], status: 502 });
			assert.equal((await call(emu, 'GET', `/files/${done.fileId}/download`)).status, 502);
			assert.equal((await call(emu, 'GET', `/files/${done.fileId}/download`)).status, 302);
		});
	});
});

describe('Rebilly emulator: collection, PUT, DELETE', () => {
	let emu: RebillyEmulator;
	before(async () => {
		emu = await startRebillyEmulator({ frozenClock: true });
		const specs: Array<[string, string, RebillyFormat]> = [
			['alpha', 'transactions', 'csv'],
			['beta', 'customers', 'json'],
			['gamma', 'transactions', 'json'],
			['delta', 'invoices', 'pdf'],
			['epsilon', 'users', 'csv'],
		];
		for (const [name, resource, format] of specs) {
			await create(emu, { name, resource, format });
			emu.clock.advance(SECOND);
		}
	});
	after(() => emu.close());

	it('pages with limit/offset and Pagination-* headers; validates against the collection schema', async () => {
		const res = await call(emu, 'GET', '/experimental/data-exports?limit=2&offset=1');
		assert.equal(res.status, 200);
		assertSchema('DataExportCollection', res.body);
		assert.equal(res.headers.get('pagination-total'), '5');
		assert.equal(res.headers.get('pagination-limit'), '2');
		assert.equal(res.headers.get('pagination-offset'), '1');
		assert.deepEqual(
			(res.body as Json[]).map((item) => item.name),
			['delta', 'gamma'],
			'newest first by default',
		);
		const all = await call(emu, 'GET', '/experimental/data-exports');
		assert.equal(all.headers.get('pagination-limit'), '100');
		assert.equal(all.headers.get('pagination-offset'), '0');
		const capped = await call(emu, 'GET', '/experimental/data-exports?limit=5000&offset=9999');
		assert.equal(capped.headers.get('pagination-limit'), '1000');
		assert.equal(capped.headers.get('pagination-offset'), '1000');
		assert.deepEqual(capped.body, []);
		const none = await call(emu, 'GET', '/experimental/data-exports?limit=0');
		assert.deepEqual(none.body, []);
		assert.equal(none.headers.get('pagination-total'), '5');
	});

	it('sorts, filters and searches', async () => {
		const names = async (query: string) => ((await call(emu, 'GET', `/experimental/data-exports?${query}`)).body as Json[]).map((item) => item.name);
		assert.deepEqual(await names('sort=createdTime'), ['alpha', 'beta', 'gamma', 'delta', 'epsilon']);
		assert.deepEqual(await names('sort=-createdTime'), ['epsilon', 'delta', 'gamma', 'beta', 'alpha']);
		assert.deepEqual(await names('sort=name'), ['alpha', 'beta', 'delta', 'epsilon', 'gamma']);
		assert.deepEqual(await names('filter=resource:transactions&sort=createdTime'), ['alpha', 'gamma']);
		assert.deepEqual(await names('filter=resource:transactions;format:json'), ['gamma']);
		assert.deepEqual(await names(`filter=${encodeURIComponent('name:beta,delta')}&sort=name`), ['beta', 'delta']);
		assert.deepEqual(await names('q=ps'), ['epsilon']);
		const alpha = ((await call(emu, 'GET', '/experimental/data-exports?filter=name:alpha')).body as Json[])[0];
		await pollToEnd(emu, alpha.id);
		emu.clock.advance(SECOND);
		assert.deepEqual(await names('filter=status:completed'), ['alpha']);
		assert.equal((await names('sort=-updatedTime'))[0], 'alpha');
		assert.deepEqual(await names('filter=status:pending&sort=name'), ['beta', 'delta', 'epsilon', 'gamma']);
	});

	it('PUT modifies a pending export (200), refuses one that is not pending (422), creates an unknown id (201)', async () => {
		const made = await create(emu, { name: 'to change', resource: 'customers', format: 'csv' });
		const put = await call(emu, 'PUT', `/experimental/data-exports/${made.id}`, { body: { name: 'changed', resource: 'customers', format: 'json', fields: ['id'] } });
		assert.equal(put.status, 200, put.text);
		assertSchema('DataExport', put.body);
		assert.equal(put.body.name, 'changed');
		assert.equal(put.body.format, 'json');
		assert.equal(put.body.id, made.id);
		assert.equal(put.body.createdTime, made.createdTime);
		assert.ok(put.headers.get('x-ratelimit-limit'));
		const badPut = await call(emu, 'PUT', `/experimental/data-exports/${made.id}`, { body: { name: 'changed', resource: 'users', format: 'xml' } });
		assert.equal(badPut.status, 422);
		await getExport(emu, made.id); // now queued
		const refused = await call(emu, 'PUT', `/experimental/data-exports/${made.id}`, { body: { name: 'too late', resource: 'customers', format: 'csv' } });
		assert.equal(refused.status, 422, refused.text);
		assertSchema('ValidationError', refused.body);
		assertSchema('DataExportValidationError', refused.body);
		assert.match(refused.body.detail, /queued/);
		const upserted = await call(emu, 'PUT', '/experimental/data-exports/my-own-export-id', { body: { name: 'upserted', resource: 'users', format: 'csv' } });
		assert.equal(upserted.status, 201, upserted.text);
		assert.equal(upserted.body.id, 'my-own-export-id');
		assert.equal(upserted.headers.get('location'), `${emu.baseUrl}/experimental/data-exports/my-own-export-id`);
	});

	it('DELETE answers 204, then the export is gone (404)', async () => {
		const made = await create(emu, { name: 'to delete', resource: 'customers', format: 'csv' });
		const del = await call(emu, 'DELETE', `/experimental/data-exports/${made.id}`);
		assert.equal(del.status, 204);
		assert.equal(del.text, '');
		const gone = await call(emu, 'GET', `/experimental/data-exports/${made.id}`);
		assert.equal(gone.status, 404);
		assert.ok(!emu.exports.some((exp) => exp.id === made.id));
	});

	it('adds many completed exports at once, at given times, listed and filtered as any others', async () => {
		await withEmulator({ seed: false }, async (own) => {
			const start = Date.parse('2026-01-01T00:00:00Z');
			const added = await own.addCompletedExports({ name: 'bulk', resource: 'disputes', format: 'csv' }, 1500, (index) => new Date(start + index * SECOND));
			assert.equal(added.length, 1500);
			assert.ok(added.every((exp) => exp.status === 'completed' && exp.fileId));
			const filter = encodeURIComponent('status:completed;format:csv,json;updatedTime:2026-01-01T00:20:00Z..');
			const res = await call(own, 'GET', `/experimental/data-exports?limit=1000&sort=updatedTime&filter=${filter}`);
			assert.equal(res.headers.get('pagination-total'), '300');
			assert.equal((res.body as Json[])[0].updatedTime, '2026-01-01T00:20:00Z');
			assertSchema('DataExport', (res.body as Json[])[0]);
		});
	});

	it('the single GET also sends Pagination-* headers (the spec lists them)', async () => {
		const first = ((await call(emu, 'GET', '/experimental/data-exports?limit=1')).body as Json[])[0];
		const res = await call(emu, 'GET', `/experimental/data-exports/${first.id}`);
		assert.equal(res.headers.get('pagination-total'), '1');
		assertSchema('DataExport', res.body);
	});
});

describe('Rebilly emulator: records', () => {
	it('upsert, generate, list, get, remove, clear; ids in Rebilly style', async () => {
		await withEmulator({ seed: false, frozenClock: true }, async (emu) => {
			const made = emu.records.generate('transactions', 4, { since: new Date('2024-01-01T00:00:00Z'), until: new Date('2024-01-04T00:00:00Z') });
			assert.deepEqual(
				made.map((record) => record.processedTime),
				['2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z', '2024-01-03T00:00:00Z', '2024-01-04T00:00:00Z'],
			);
			for (const record of made) {
				assert.match(record.id, /^txn_[0-9A-HJKMNP-TV-Z]{26}$/);
				assert.equal(typeof record.amount, 'number');
				assert.match(String(record.currency), /^[A-Z]{3}$/);
				assert.ok(record.createdTime && record.updatedTime);
			}
			const changed = emu.records.upsert('transactions', { id: made[0].id, amount: 1.23 });
			assert.equal(changed.amount, 1.23);
			assert.equal(changed.currency, made[0].currency);
			assert.equal(changed.updatedTime, new Date(emu.clock.now().getTime()).toISOString().replace(/\.\d{3}Z$/, 'Z'));
			const fresh = emu.records.upsert('customers', { email: 'new@example.com' });
			assert.match(fresh.id, /^cus_/);
			assert.equal(emu.records.get('customers', fresh.id)?.email, 'new@example.com');
			assert.equal(emu.records.count('transactions'), 4);
			assert.ok(emu.records.remove('transactions', made[1].id));
			assert.equal(emu.records.list('transactions').length, 3);
			for (const resource of REBILLY_RESOURCES) {
				const [record] = emu.records.generate(resource, 1);
				assert.ok(record[REBILLY_DEFAULT_DATE_FIELD[resource]], `${resource} has its default date field`);
			}
			assert.match(emu.records.list('amlChecks')[0].id, /^aml_chk_/);
			assert.match(emu.records.list('payoutRequests')[0].id, /^pout_req_/);
			emu.records.clear();
			assert.equal(emu.records.count('customers'), 0);
		});
	});
});
