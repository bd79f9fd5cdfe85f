/**
 * Local emulator of Salesforce Bulk API 2.0 **query jobs**, for tests and demos.
 *
 * Behaviour follows Salesforce's public documentation ("sf" below = developer.salesforce.com,
 * Bulk API 2.0 and Bulk API Developer Guide, api_asynch), not any client code:
 *   - Create a Query Job (query_create_job.htm / query-create-job): POST /services/data/vXX.X/jobs/query,
 *     body {operation: query|queryAll, query, contentType: CSV, columnDelimiter, lineEnding}; the answer
 *     is the job info in state UploadComplete. API 47.0 and later.
 *   - Get Information About a Query Job (query_get_one_job.htm): GET …/jobs/query/{id}; state
 *     UploadComplete | InProgress | Aborted | JobComplete | Failed, jobType V2Query,
 *     numberRecordsProcessed, retries, totalProcessingTime, errorMessage.
 *   - Get Results for a Query Job (query_get_job_results.htm): GET …/jobs/query/{id}/results
 *     ?locator=&maxRecords=, CSV; headers Sforce-Locator (the string "null" when there are no more
 *     sets) and Sforce-NumberOfRecords; a locator does not change while the job exists; results must be
 *     fetched with the API version the job was created with (409 otherwise); before JobComplete the
 *     answer is 412 JOB_NOT_COMPLETE (example of the v45 page, atlas.ja-jp.222.0).
 *   - Use Compression for Bulk API 2.0 Query Responses (query_compression.htm): gzip when the client
 *     sends Accept-Encoding: gzip, `Content-Encoding: gzip`; other encodings are ignored.
 *   - Abort a Query Job (query_abort_job.htm): PATCH {"state":"Aborted"}, only from UploadComplete or
 *     InProgress; 400 INVALIDJOBSTATE "Aborting already Completed Job not allowed" otherwise.
 *   - Delete a Query Job (query_delete_job.htm): DELETE → 204; only JobComplete, Aborted or Failed,
 *     else 400 API_ERROR "…because the job is not terminated".
 *   - Get Information About All Query Jobs: GET …/jobs/query → {done, records, nextRecordsUrl}.
 *   - Limits (bulk_api_2_limits.htm): "Jobs that are older than 7 days are deleted if they are in a
 *     terminal state"; Understanding Bulk API 2.0 Query (queries.htm): no GROUP BY, OFFSET, TYPEOF,
 *     COUNT(), FIELDS()/compound fields or parent-to-child subqueries; child-to-parent fields are fine.
 *   - REST API errors: a JSON array of {message, errorCode}; 401 INVALID_SESSION_ID "Session expired or
 *     invalid"; unknown job 404 NOT_FOUND "The requested resource does not exist" (seen in
 *     simple-salesforce/simple-salesforce#699); 403 REQUEST_LIMIT_EXCEEDED for the API request limit.
 *   - Auth: `Authorization: Bearer <access token>` (older pages: `OAuth <sessionId>`, still accepted).
 * Results are served by the API host itself (there is no separate file host in this API).
 * The emulator understands a subset of SOQL: SELECT fields (and Parent.Field on Contact) FROM Account
 * or Contact, WHERE with AND-joined comparisons (=, !=, <, <=, >, >=, LIKE, IN), ORDER BY, LIMIT.
 * [I] marks a choice made where the public documentation is silent.
 */
import { randomBytes } from 'node:crypto';
import type * as http from 'node:http';
import { gzipSync } from 'node:zlib';
import { createClock, type EmulatorClock } from './clock';
import {
	BodyParseError,
	headerValue,
	logRequest,
	parseContentType,
	readBody,
	runFromCommandLine,
	sendBytes,
	sendEmpty,
	startServer,
	type LoggedRequest,
} from './http';

// ---------------------------------------------------------------------------------------------
// Public API

export type SalesforceObjectName = 'Account' | 'Contact';
export const SALESFORCE_OBJECTS: readonly SalesforceObjectName[] = ['Account', 'Contact'];

export type SalesforceJobState = 'UploadComplete' | 'InProgress' | 'Aborted' | 'JobComplete' | 'Failed';
export type SalesforceColumnDelimiter = 'BACKQUOTE' | 'CARET' | 'COMMA' | 'PIPE' | 'SEMICOLON' | 'TAB';
export type SalesforceLineEnding = 'LF' | 'CRLF';

export type SalesforceValue = string | number | boolean | null;
export type SalesforceRecord = Record<string, SalesforceValue> & { Id: string };

export interface SalesforceGenerateOptions {
	/** CreatedDate/LastModifiedDate are spread evenly over [since, until] (default: the last 30 days). */
	since?: Date;
	until?: Date;
	/** Every n-th record is in the recycle bin (IsDeleted = true, only queryAll sees it). Default: none. */
	deletedEvery?: number;
}

export interface SalesforceRecords {
	/** Replaces all records of an object with `count` deterministic ones (Contacts point at existing Accounts). */
	generate(object: SalesforceObjectName, count: number, options?: SalesforceGenerateOptions): void;
	/** Creates or updates a record by Id (fields merged onto realistic defaults); returns a copy. */
	upsert(object: SalesforceObjectName, record: Partial<SalesforceRecord>): SalesforceRecord;
	/** Moves a record to the recycle bin: `query` stops returning it, `queryAll` still does. */
	softDelete(object: SalesforceObjectName, id: string): void;
	/** Every record in Id order; deleted ones only with includeDeleted. */
	list(object: SalesforceObjectName, includeDeleted?: boolean): SalesforceRecord[];
	count(object: SalesforceObjectName, includeDeleted?: boolean): number;
	clear(object: SalesforceObjectName): void;
}

export interface SalesforceBulkFaults {
	/** The next `count` API requests answer 429 with Retry-After seconds (default 1) [I: Salesforce documents 403 REQUEST_LIMIT_EXCEEDED instead; kept for generic 429 handling]. */
	rateLimit(count: number, retryAfterSeconds?: number): void;
	/** The next `count` API requests answer 403 REQUEST_LIMIT_EXCEEDED "TotalRequests Limit exceeded." (the documented API request limit). */
	requestLimitExceeded(count: number): void;
	/** The next `count` API requests answer `status` (default 500 UNKNOWN_EXCEPTION; 503 SERVER_UNAVAILABLE). */
	serverError(count: number, status?: number): void;
	/** The next created job ends Failed with this errorMessage. */
	failJob(errorMessage?: string): void;
	/** The next created job answers `polls` status calls before its final state (poll-driven mode). */
	pollsUntilDone(polls: number): void;
	/** The next created job stays InProgress. */
	neverFinish(): void;
	/** The next `count` results downloads announce the full Content-Length, then drop the connection after `atBytes` (default: half). */
	truncateDownload(count: number, atBytes?: number): void;
	reset(): void;
}

export interface SalesforceJobRecord {
	id: string;
	operation: 'query' | 'queryAll';
	object: SalesforceObjectName;
	query: string;
	state: SalesforceJobState;
	apiVersion: string;
	columnDelimiter: SalesforceColumnDelimiter;
	lineEnding: SalesforceLineEnding;
	createdDate: Date;
	systemModstamp: Date;
	/** Status calls (GET …/jobs/query/{id}) answered so far. */
	polls: number;
	numberRecordsProcessed: number;
	errorMessage: string | null;
	/** When it reached a terminal state. */
	completedDate: Date | null;
	/** The create body as received. */
	requestBody: Record<string, unknown>;
}

export interface SalesforceLoggedRequest extends LoggedRequest<'api'> {
	/** The body text as received. */
	body?: string;
}

export interface SalesforceBulkEmulator {
	/** The instance URL, e.g. http://127.0.0.1:<port> (routes under /services/data/vXX.X/jobs/query). */
	instanceUrl: string;
	/** Send as `Authorization: Bearer <accessToken>`. */
	accessToken: string;
	/** The API version the examples use, e.g. "62.0". */
	apiVersion: string;
	clock: EmulatorClock;
	records: SalesforceRecords;
	faults: SalesforceBulkFaults;
	/** Every job in creation order (deleted ones removed). */
	readonly jobs: SalesforceJobRecord[];
	/** Forgets a job as the 7-day cleanup does: every call about it answers 404 NOT_FOUND. */
	expireJob(id: string): void;
	/** Replaces the access token (the old one answers 401 INVALID_SESSION_ID); returns the new one. */
	rotateAccessToken(): string;
	/** The CSV bytes a results call would send for this job, uncompressed, in one set. */
	resultCsv(id: string): string | undefined;
	requests: SalesforceLoggedRequest[];
	close(): Promise<void>;
}

export interface SalesforceBulkEmulatorOptions {
	port?: number;
	/** Status calls answered with UploadComplete/InProgress before the final state (default 2). */
	pollsUntilDone?: number;
	/** Time-driven mode: a job reaches its final state this long after creation (emulator clock); polls then do not count. */
	completeAfterMs?: number;
	/** Records per result set when the client sends no maxRecords [I: Salesforce picks a server default]; default 50,000. */
	defaultMaxRecords?: number;
	/** 'when-accepted' (default, per query_compression), 'never', or 'always' (the v254 "Understanding" page says results are always compressed). */
	gzip?: 'when-accepted' | 'never' | 'always';
	/** 25 Accounts and 60 Contacts with awkward values (default true). */
	seed?: boolean;
	/** See createClock: true freezes the clock except for set/advance. */
	frozenClock?: boolean;
	/** Default "62.0". */
	apiVersion?: string;
}

// ---------------------------------------------------------------------------------------------
// Constants

const SECOND = 1000;
const DAY = 24 * 60 * 60 * SECOND;
const RETENTION_MS = 7 * DAY; // bulk_api_2_limits.htm "Results lifespan"
const DEFAULT_POLLS_UNTIL_DONE = 2;
const DEFAULT_MAX_RECORDS = 50000;
const MIN_API_VERSION = 47; // "available in API version 47.0 and later"
const DELIMITERS: Record<SalesforceColumnDelimiter, string> = { BACKQUOTE: '`', CARET: '^', COMMA: ',', PIPE: '|', SEMICOLON: ';', TAB: '\t' };
const LINE_ENDINGS: Record<SalesforceLineEnding, string> = { LF: '\n', CRLF: '\r\n' };
const USER_ID = '005Dn000003XyZaIAK';
const ID_PREFIX: Record<SalesforceObjectName, string> = { Account: '001', Contact: '003' };
const JSON_TYPE = 'application/json;charset=UTF-8';

type FieldType = 'id' | 'string' | 'boolean' | 'datetime' | 'number' | 'reference';

/** The fields of each object this emulator knows, in describe order [I: a realistic subset]. */
const SCHEMA: Record<SalesforceObjectName, Record<string, FieldType>> = {
	Account: {
		Id: 'id',
		IsDeleted: 'boolean',
		Name: 'string',
		Type: 'string',
		Industry: 'string',
		BillingStreet: 'string',
		BillingCity: 'string',
		BillingCountry: 'string',
		Phone: 'string',
		Website: 'string',
		AnnualRevenue: 'number',
		NumberOfEmployees: 'number',
		Description: 'string',
		OwnerId: 'reference',
		CreatedDate: 'datetime',
		LastModifiedDate: 'datetime',
		SystemModstamp: 'datetime',
	},
	Contact: {
		Id: 'id',
		IsDeleted: 'boolean',
		AccountId: 'reference',
		FirstName: 'string',
		LastName: 'string',
		Name: 'string',
		Title: 'string',
		Email: 'string',
		Phone: 'string',
		MailingCity: 'string',
		MailingCountry: 'string',
		HasOptedOutOfEmail: 'boolean',
		OwnerId: 'reference',
		CreatedDate: 'datetime',
		LastModifiedDate: 'datetime',
		SystemModstamp: 'datetime',
	},
};

/** Child-to-parent relationships (Contact.Account.Name); queries.htm says these are supported. */
const RELATIONSHIPS: Partial<Record<SalesforceObjectName, Record<string, { object: SalesforceObjectName; via: string }>>> = {
	Contact: { Account: { object: 'Account', via: 'AccountId' } },
};

// ---------------------------------------------------------------------------------------------
// Salesforce ids: 15 characters plus the 3-character case-safe suffix.

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SUFFIX_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

function base62(n: number, width: number): string {
	let text = '';
	let rest = n;
	do {
		text = BASE62[rest % 62] + text;
		rest = Math.floor(rest / 62);
	} while (rest > 0);
	return text.padStart(width, '0');
}

/** The documented 18-character form: for each 5-character chunk, a bit per upper-case letter. */
export function caseSafeId(id15: string): string {
	let suffix = '';
	for (let chunk = 0; chunk < 3; chunk++) {
		let bits = 0;
		for (let i = 0; i < 5; i++) {
			const c = id15[chunk * 5 + i];
			if (c >= 'A' && c <= 'Z') bits |= 1 << i;
		}
		suffix += SUFFIX_CHARS[bits];
	}
	return id15 + suffix;
}

function recordId(object: SalesforceObjectName, n: number): string {
	return caseSafeId(`${ID_PREFIX[object]}Dn00000${base62(n, 5)}`);
}

// A random start per process, so ids differ between runs but never repeat within one.
let jobCounter = Math.floor(Math.random() * 100000) * 1000;
function jobId(): string {
	jobCounter++;
	return caseSafeId(`750Dn00000${base62(jobCounter, 5)}`);
}

/** `2018-12-10T17:50:19.000+0000`, the form of the documented job info examples. */
function sfJobDate(date: Date): string {
	return date.toISOString().replace('Z', '+0000');
}

// ---------------------------------------------------------------------------------------------
// Records

const COMPANY_NAMES = ['Acme Corporation', 'Globex, Inc.', 'Initech "Software"', 'Umbrella Holdings', 'Soylent & Co', 'Hooli', 'Vandelay Industries', 'Wayne Enterprises', 'Müller GmbH', '株式会社エミュレータ'];
const INDUSTRIES = ['Technology', 'Manufacturing', 'Retail', 'Finance', 'Healthcare', 'Energy'];
const CITIES = ['San Francisco', 'London', 'München', 'Tokyo', 'São Paulo', 'Zürich'];
const COUNTRIES = ['USA', 'United Kingdom', 'Germany', 'Japan', 'Brazil', 'Switzerland'];
const FIRST_NAMES = ['Jane', 'George', 'Pat', 'Zoë', 'José', 'Mei', "Conan", 'Łukasz', 'Aoife', 'Björn'];
const LAST_NAMES = ['Dunn', 'Wright', 'Wilson', 'García', "O'Brien", 'Nguyen', 'Kowalski', 'Ní Bhriain', '田中', 'Smith'];
const TITLES = ['CEO', 'VP, Sales', 'Buyer', 'Engineer', 'Head of "Ops"', null];

/** Awkward text for the CSV writer: delimiters, quotes, line breaks, non-Latin scripts. */
function awkwardDescription(n: number): string | null {
	if (n % 7 === 3) return 'Key account; renews in Q3\nSecond line, with a comma';
	if (n % 11 === 5) return 'Said "call me back" | ^caret^ `tick`';
	if (n % 13 === 2) return 'Café ☕ – 日本語のメモ 😀';
	if (n % 5 === 1) return null;
	return `Account note ${n}`;
}

function generatedRecord(object: SalesforceObjectName, n: number, createdMs: number, modifiedMs: number, accountIds: string[], deleted: boolean): SalesforceRecord {
	const created = new Date(createdMs).toISOString();
	const modified = new Date(modifiedMs).toISOString();
	if (object === 'Account') {
		return {
			Id: recordId('Account', n),
			IsDeleted: deleted,
			Name: n < COMPANY_NAMES.length ? COMPANY_NAMES[n] : `${COMPANY_NAMES[n % COMPANY_NAMES.length]} ${Math.floor(n / COMPANY_NAMES.length) + 1}`,
			Type: n % 3 === 0 ? 'Customer - Direct' : n % 3 === 1 ? 'Prospect' : null,
			Industry: INDUSTRIES[n % INDUSTRIES.length],
			BillingStreet: n % 4 === 0 ? `${100 + n} Market St\nSuite ${n % 9}` : `${100 + n} Main Street`,
			BillingCity: CITIES[n % CITIES.length],
			BillingCountry: COUNTRIES[n % COUNTRIES.length],
			Phone: n % 6 === 0 ? null : `(415) 555-${String(1000 + (n % 9000)).padStart(4, '0')}`,
			Website: n % 2 === 0 ? `https://www.account${n}.example.com` : null,
			AnnualRevenue: n % 5 === 0 ? null : 100000 * (1 + (n % 50)),
			NumberOfEmployees: 10 + ((n * 37) % 5000),
			Description: awkwardDescription(n),
			OwnerId: USER_ID,
			CreatedDate: created,
			LastModifiedDate: modified,
			SystemModstamp: modified,
		};
	}
	const first = FIRST_NAMES[n % FIRST_NAMES.length];
	const last = LAST_NAMES[Math.floor(n / FIRST_NAMES.length) % LAST_NAMES.length];
	return {
		Id: recordId('Contact', n),
		IsDeleted: deleted,
		AccountId: accountIds.length > 0 && n % 9 !== 8 ? accountIds[n % accountIds.length] : null,
		FirstName: first,
		LastName: last,
		Name: `${first} ${last}`,
		Title: TITLES[n % TITLES.length],
		Email: n % 8 === 5 ? null : `${first}.${last}.${n}@example.com`.toLowerCase().replace(/[^a-z0-9.@]/g, ''),
		Phone: n % 4 === 0 ? null : `+1 415 555 ${String(n % 10000).padStart(4, '0')}`,
		MailingCity: CITIES[(n + 2) % CITIES.length],
		MailingCountry: COUNTRIES[(n + 2) % COUNTRIES.length],
		HasOptedOutOfEmail: n % 10 === 0,
		OwnerId: USER_ID,
		CreatedDate: created,
		LastModifiedDate: modified,
		SystemModstamp: modified,
	};
}

class RecordStore implements SalesforceRecords {
	private readonly data: Record<SalesforceObjectName, Map<string, SalesforceRecord>> = { Account: new Map(), Contact: new Map() };
	private next: Record<SalesforceObjectName, number> = { Account: 0, Contact: 0 };

	constructor(private readonly clock: EmulatorClock) {}

	generate(object: SalesforceObjectName, count: number, options: SalesforceGenerateOptions = {}): void {
		assertObject(object);
		if (!Number.isInteger(count) || count < 0 || count > 1_000_000) throw new Error('records.generate: count must be an integer from 0 to 1,000,000');
		const untilMs = (options.until ?? this.clock.now()).getTime();
		const sinceMs = (options.since ?? new Date(untilMs - 30 * DAY)).getTime();
		const accountIds = object === 'Contact' ? Array.from(this.data.Account.keys()) : [];
		const map = new Map<string, SalesforceRecord>();
		for (let n = 0; n < count; n++) {
			// Whole seconds, growing with n: SystemModstamp order = Id order, handy for incremental tests.
			const modifiedMs = Math.floor((sinceMs + ((untilMs - sinceMs) * (n + 1)) / Math.max(1, count)) / SECOND) * SECOND;
			const createdMs = Math.max(sinceMs, modifiedMs - (n % 10) * DAY) - ((n * 7919) % 3600) * SECOND;
			const deleted = options.deletedEvery !== undefined && options.deletedEvery > 0 && n % options.deletedEvery === options.deletedEvery - 1;
			const record = generatedRecord(object, n, Math.floor(createdMs / SECOND) * SECOND, modifiedMs, accountIds, deleted);
			map.set(record.Id, record);
		}
		this.data[object] = map;
		this.next[object] = count;
	}

	upsert(object: SalesforceObjectName, input: Partial<SalesforceRecord>): SalesforceRecord {
		assertObject(object);
		const map = this.data[object];
		const now = this.clock.now();
		const nowText = new Date(Math.floor(now.getTime() / SECOND) * SECOND).toISOString();
		let id = typeof input.Id === 'string' && input.Id !== '' ? input.Id : undefined;
		let base = id ? map.get(id) : undefined;
		if (!base) {
			const n = this.next[object]++;
			const fresh = generatedRecord(object, n, now.getTime(), now.getTime(), Array.from(this.data.Account.keys()), false);
			id = id ?? fresh.Id;
			base = { ...fresh, Id: id, CreatedDate: nowText };
		}
		const given = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as Record<string, SalesforceValue>;
		for (const key of Object.keys(given)) if (!(key in SCHEMA[object])) throw new Error(`records.upsert: ${object} has no field ${key}`);
		const merged = { ...base, ...given, Id: id as string, LastModifiedDate: given.LastModifiedDate ?? nowText, SystemModstamp: given.SystemModstamp ?? nowText } as SalesforceRecord;
		if (object === 'Contact' && (given.FirstName !== undefined || given.LastName !== undefined) && given.Name === undefined) {
			merged.Name = [merged.FirstName, merged.LastName].filter((part) => part !== null && part !== '').join(' ');
		}
		map.set(merged.Id, merged);
		return { ...merged };
	}

	softDelete(object: SalesforceObjectName, id: string): void {
		assertObject(object);
		const record = this.data[object].get(id);
		if (!record) throw new Error(`records.softDelete: no ${object} ${id}`);
		const nowText = new Date(Math.floor(this.clock.now().getTime() / SECOND) * SECOND).toISOString();
		this.data[object].set(id, { ...record, IsDeleted: true, SystemModstamp: nowText, LastModifiedDate: nowText });
	}

	list(object: SalesforceObjectName, includeDeleted = false): SalesforceRecord[] {
		assertObject(object);
		return this.sorted(object).filter((record) => includeDeleted || record.IsDeleted !== true).map((record) => ({ ...record }));
	}

	count(object: SalesforceObjectName, includeDeleted = false): number {
		assertObject(object);
		let total = 0;
		for (const record of this.data[object].values()) if (includeDeleted || record.IsDeleted !== true) total++;
		return total;
	}

	clear(object: SalesforceObjectName): void {
		assertObject(object);
		this.data[object] = new Map();
	}

	/** Records in Id order (the natural order of an unordered bulk query [I]), not copied. */
	sorted(object: SalesforceObjectName): SalesforceRecord[] {
		return Array.from(this.data[object].values()).sort((a, b) => (a.Id < b.Id ? -1 : a.Id > b.Id ? 1 : 0));
	}

	get(object: SalesforceObjectName, id: string): SalesforceRecord | undefined {
		return this.data[object].get(id);
	}
}

function assertObject(object: string): asserts object is SalesforceObjectName {
	if (!(SALESFORCE_OBJECTS as readonly string[]).includes(object)) throw new Error(`"${object}" is not an object this emulator knows (${SALESFORCE_OBJECTS.join(', ')})`);
}

function seedRecords(store: RecordStore): void {
	store.generate('Account', 25);
	store.generate('Contact', 60, { deletedEvery: 20 });
}

// ---------------------------------------------------------------------------------------------
// SOQL subset

/** A Salesforce REST error: `[{"errorCode": …, "message": …}]`. */
class SalesforceError extends Error {
	constructor(
		readonly status: number,
		readonly errorCode: string,
		message: string,
		readonly headers: Record<string, string> = {},
	) {
		super(message);
	}
}

interface SelectedField {
	/** The column header, in the schema's spelling (e.g. `Account.Name`). */
	header: string;
	read(record: SalesforceRecord): SalesforceValue;
	type: FieldType;
}

type Comparison = { field: SelectedField; op: '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'IN'; value: SalesforceValue | SalesforceValue[] };

interface ParsedQuery {
	object: SalesforceObjectName;
	fields: SelectedField[];
	where: Comparison[];
	orderBy: Array<{ field: SelectedField; descending: boolean }>;
	limit?: number;
}

const QUERY_SHAPE = /^\s*SELECT\s+([\s\S]+?)\s+FROM\s+([A-Za-z_][A-Za-z0-9_]*)(?:\s+WHERE\s+([\s\S]+?))?(?:\s+ORDER\s+BY\s+([\s\S]+?))?(?:\s+LIMIT\s+(\d+))?\s*$/i;

function parseSoql(query: string, store: RecordStore): ParsedQuery {
	// queries.htm: what Bulk API 2.0 refuses. [I: error code and wording]
	const unsupported: Array<[RegExp, string]> = [
		[/\bGROUP\s+BY\b/i, 'GROUP BY'],
		[/\bOFFSET\b/i, 'OFFSET'],
		[/\bTYPEOF\b/i, 'TYPEOF'],
		[/\b(COUNT|COUNT_DISTINCT|SUM|AVG|MIN|MAX)\s*\(/i, 'aggregate functions'],
		[/\bFIELDS\s*\(/i, 'FIELDS()'],
		[/\(\s*SELECT\b/i, 'parent-to-child relationship queries'],
	];
	for (const [pattern, what] of unsupported) {
		if (pattern.test(query)) throw new SalesforceError(400, 'INVALIDJOB', `Bulk API 2.0 does not support ${what} in a query job.`);
	}
	const match = QUERY_SHAPE.exec(query);
	if (!match) throw new SalesforceError(400, 'MALFORMED_QUERY', `unexpected token in query: ${query.trim().slice(0, 80)}`);
	const objectName = SALESFORCE_OBJECTS.find((name) => name.toLowerCase() === match[2].toLowerCase());
	if (!objectName) throw new SalesforceError(400, 'INVALID_TYPE', `sObject type '${match[2]}' is not supported.`);
	const fields = match[1].split(',').map((text) => resolveField(objectName, text.trim(), store));
	if (fields.some((field) => field.header === '')) throw new SalesforceError(400, 'MALFORMED_QUERY', 'unexpected token: ,');
	const where = match[3] ? parseWhere(objectName, match[3], store) : [];
	const orderBy = match[4]
		? match[4].split(',').map((part) => {
				const [name, direction] = part.trim().split(/\s+/);
				return { field: resolveField(objectName, name, store), descending: (direction ?? '').toUpperCase() === 'DESC' };
			})
		: [];
	return { object: objectName, fields, where, orderBy, limit: match[5] !== undefined ? Number(match[5]) : undefined };
}

function resolveField(object: SalesforceObjectName, text: string, store: RecordStore): SelectedField {
	if (text === '') return { header: '', read: () => null, type: 'string' };
	const parts = text.split('.');
	if (parts.length === 1) {
		const name = Object.keys(SCHEMA[object]).find((field) => field.toLowerCase() === text.toLowerCase());
		if (!name) throw noSuchColumn(text, object);
		return { header: name, read: (record) => record[name] ?? null, type: SCHEMA[object][name] };
	}
	if (parts.length === 2) {
		const relation = Object.entries(RELATIONSHIPS[object] ?? {}).find(([name]) => name.toLowerCase() === parts[0].toLowerCase());
		if (!relation) throw new SalesforceError(400, 'INVALID_FIELD', `Didn't understand relationship '${parts[0]}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name.`);
		const [relationName, { object: parent, via }] = relation;
		const name = Object.keys(SCHEMA[parent]).find((field) => field.toLowerCase() === parts[1].toLowerCase());
		if (!name) throw noSuchColumn(parts[1], parent);
		return {
			header: `${relationName}.${name}`,
			read: (record) => {
				const parentId = record[via];
				const parentRecord = typeof parentId === 'string' ? store.get(parent, parentId) : undefined;
				return parentRecord ? (parentRecord[name] ?? null) : null;
			},
			type: SCHEMA[parent][name],
		};
	}
	throw new SalesforceError(400, 'INVALID_FIELD', `This emulator supports one level of child-to-parent fields, not '${text}'.`);
}

function noSuchColumn(field: string, object: SalesforceObjectName): SalesforceError {
	// The REST API's wording for an unknown field.
	return new SalesforceError(400, 'INVALID_FIELD', `No such column '${field}' on entity '${object}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.`);
}

const CONDITION = /^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(<=|>=|!=|<>|=|<|>|\bLIKE\b|\bIN\b)\s*([\s\S]+?)\s*$/i;

function parseWhere(object: SalesforceObjectName, text: string, store: RecordStore): Comparison[] {
	if (/\bOR\b|\bNOT\b|\(/i.test(text.replace(/'(?:[^'\\]|\\.)*'/g, "''").replace(/\bIN\s*\([^)]*\)/gi, 'IN_LIST'))) {
		throw new SalesforceError(400, 'MALFORMED_QUERY', 'This emulator supports WHERE with AND-joined comparisons only.');
	}
	const parts = splitOutsideQuotes(text, /\s+AND\s+/i);
	return parts.map((part) => {
		const match = CONDITION.exec(part);
		if (!match) throw new SalesforceError(400, 'MALFORMED_QUERY', `unexpected token: '${part.trim()}'`);
		const field = resolveField(object, match[1], store);
		const op = match[2].toUpperCase() === '<>' ? '!=' : (match[2].toUpperCase() as Comparison['op']);
		if (op === 'IN') {
			const list = /^\(([\s\S]*)\)$/.exec(match[3].trim());
			if (!list) throw new SalesforceError(400, 'MALFORMED_QUERY', `unexpected token: '${match[3]}'`);
			return { field, op, value: splitOutsideQuotes(list[1], /\s*,\s*/).map((item) => parseLiteral(item, field)) };
		}
		return { field, op, value: parseLiteral(match[3], field) };
	});
}

function splitOutsideQuotes(text: string, separator: RegExp): string[] {
	const parts: string[] = [];
	let current = '';
	let quoted = false;
	for (let i = 0; i < text.length; i++) {
		const c = text[i];
		if (c === '\\' && quoted) {
			current += c + (text[i + 1] ?? '');
			i++;
			continue;
		}
		if (c === "'") quoted = !quoted;
		if (!quoted) {
			const rest = text.slice(i);
			const found = new RegExp(`^(?:${separator.source})`, separator.flags.replace('g', '')).exec(rest);
			if (found && found[0].length > 0) {
				parts.push(current);
				current = '';
				i += found[0].length - 1;
				continue;
			}
		}
		current += c;
	}
	parts.push(current);
	return parts;
}

function parseLiteral(raw: string, field: SelectedField): SalesforceValue {
	const text = raw.trim();
	if (/^'(?:[^'\\]|\\.)*'$/.test(text)) return text.slice(1, -1).replace(/\\(.)/g, '$1');
	if (/^null$/i.test(text)) return null;
	if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
	if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
	// SOQL date-time literals are unquoted: 2024-01-01T00:00:00Z, 2024-01-01T00:00:00.000+0000, dates 2024-01-01.
	const dateTime = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
	if (dateTime && field.type === 'datetime') {
		const zone = dateTime[3] ? dateTime[3].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2') : 'Z';
		const ms = Date.parse(`${dateTime[1]}${dateTime[2] ?? 'T00:00:00'}${zone}`);
		if (!Number.isNaN(ms)) return new Date(ms).toISOString();
	}
	throw new SalesforceError(400, 'MALFORMED_QUERY', `value of filter criterion for field '${field.header}' must be of type ${field.type} and should not be enclosed in quotes: ${text}`);
}

function compareValues(a: SalesforceValue, b: SalesforceValue): number {
	if (a === b) return 0;
	if (a === null) return -1;
	if (b === null) return 1;
	if (typeof a === 'number' && typeof b === 'number') return a - b;
	return String(a) < String(b) ? -1 : 1;
}

function matches(record: SalesforceRecord, condition: Comparison): boolean {
	const actual = condition.field.read(record);
	const expected = condition.value;
	switch (condition.op) {
		case '=':
			return typeof actual === 'string' && typeof expected === 'string' && condition.field.type === 'string' ? actual.toLowerCase() === expected.toLowerCase() : actual === expected;
		case '!=':
			return actual !== expected;
		case 'LIKE': {
			if (typeof actual !== 'string' || typeof expected !== 'string') return false;
			const pattern = new RegExp(`^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.')}$`, 'is');
			return pattern.test(actual);
		}
		case 'IN':
			return Array.isArray(expected) && expected.some((value) => value === actual);
		default: {
			if (actual === null || expected === null || Array.isArray(expected)) return false;
			const order = compareValues(actual, expected);
			return condition.op === '<' ? order < 0 : condition.op === '<=' ? order <= 0 : condition.op === '>' ? order > 0 : order >= 0;
		}
	}
}

function runQuery(store: RecordStore, parsed: ParsedQuery, includeDeleted: boolean): SalesforceValue[][] {
	let rows = store.sorted(parsed.object).filter((record) => (includeDeleted || record.IsDeleted !== true) && parsed.where.every((condition) => matches(record, condition)));
	if (parsed.orderBy.length > 0) {
		rows = [...rows].sort((a, b) => {
			for (const { field, descending } of parsed.orderBy) {
				const order = compareValues(field.read(a), field.read(b));
				if (order !== 0) return descending ? -order : order;
			}
			return 0;
		});
	}
	if (parsed.limit !== undefined) rows = rows.slice(0, parsed.limit);
	return rows.map((record) => parsed.fields.map((field) => field.read(record)));
}

// ---------------------------------------------------------------------------------------------
// CSV: every value quoted (the documented example quotes headers and values), nulls empty [I].

function csvCell(value: SalesforceValue): string {
	if (value === null) return '';
	const text = typeof value === 'string' ? value : String(value);
	return `"${text.replace(/"/g, '""')}"`;
}

function csvLine(values: SalesforceValue[], delimiter: string, lineEnding: string): string {
	return values.map(csvCell).join(delimiter) + lineEnding;
}

// ---------------------------------------------------------------------------------------------
// Faults

interface JobPlan {
	pollsUntilDone: number;
	neverFinish: boolean;
	failMessage?: string;
}

interface FaultState extends SalesforceBulkFaults {
	takeApiFault(): SalesforceError | undefined;
	takePlan(defaultPolls: number): JobPlan;
	takeTruncation(size: number): number | undefined;
}

function createFaults(): FaultState {
	const fresh = () => ({
		rateLimit: { count: 0, retryAfter: 1 },
		requestLimit: 0,
		serverError: { count: 0, status: 500 },
		next: {} as Partial<JobPlan>,
		truncate: { count: 0, atBytes: undefined as number | undefined },
	});
	let state = fresh();
	return {
		rateLimit: (count, retryAfterSeconds = 1) => {
			state.rateLimit = { count, retryAfter: retryAfterSeconds };
		},
		requestLimitExceeded: (count) => {
			state.requestLimit = count;
		},
		serverError: (count, status = 500) => {
			state.serverError = { count, status };
		},
		failJob: (errorMessage = 'InternalServerError: Failed to process query: QUERY_TIMEOUT: Your query request was running for too long.') => {
			state.next.failMessage = errorMessage;
		},
		pollsUntilDone: (polls) => {
			state.next.pollsUntilDone = polls;
		},
		neverFinish: () => {
			state.next.neverFinish = true;
		},
		truncateDownload: (count, atBytes) => {
			state.truncate = { count, atBytes };
		},
		reset: () => {
			state = fresh();
		},
		takeApiFault: () => {
			if (state.rateLimit.count > 0) {
				state.rateLimit.count--;
				return new SalesforceError(429, 'REQUEST_LIMIT_EXCEEDED', 'Too many requests. Retry after the time the Retry-After header says.', { 'Retry-After': String(state.rateLimit.retryAfter) });
			}
			if (state.requestLimit > 0) {
				state.requestLimit--;
				return new SalesforceError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
			}
			if (state.serverError.count > 0) {
				state.serverError.count--;
				const status = state.serverError.status;
				return status === 503
					? new SalesforceError(503, 'SERVER_UNAVAILABLE', 'Server temporarily unavailable, please try again later.', { 'Retry-After': '1' })
					: new SalesforceError(status, 'UNKNOWN_EXCEPTION', `An unexpected error occurred. Please include this ErrorId if you contact support: ${randomBytes(8).toString('hex')}-${Date.now() % 100000} (${status})`);
			}
			return undefined;
		},
		takePlan: (defaultPolls) => {
			const next = state.next;
			state.next = {};
			return { pollsUntilDone: next.pollsUntilDone ?? defaultPolls, neverFinish: next.neverFinish === true, failMessage: next.failMessage };
		},
		takeTruncation: (size) => {
			if (state.truncate.count <= 0) return undefined;
			state.truncate.count--;
			return Math.min(state.truncate.atBytes ?? Math.floor(size / 2), size);
		},
	};
}

// ---------------------------------------------------------------------------------------------
// Jobs

interface JobRuntime {
	record: SalesforceJobRecord;
	plan: JobPlan;
	parsed: ParsedQuery;
	/** Result rows, taken when the job completes [I: when the data is read]. */
	rows?: SalesforceValue[][];
}

interface EmulatorState {
	clock: EmulatorClock;
	store: RecordStore;
	faults: FaultState;
	jobs: Map<string, JobRuntime>;
	requests: SalesforceLoggedRequest[];
	accessToken: string;
	defaultPolls: number;
	completeAfterMs?: number;
	defaultMaxRecords: number;
	gzip: 'when-accepted' | 'never' | 'always';
}

const TERMINAL: ReadonlySet<SalesforceJobState> = new Set(['JobComplete', 'Failed', 'Aborted']);

function finish(state: EmulatorState, runtime: JobRuntime): void {
	const { record, plan } = runtime;
	const now = state.clock.now();
	record.completedDate = now;
	record.systemModstamp = now;
	if (plan.failMessage !== undefined) {
		record.state = 'Failed';
		record.errorMessage = plan.failMessage;
		return;
	}
	runtime.rows = runQuery(state.store, runtime.parsed, record.operation === 'queryAll');
	record.numberRecordsProcessed = runtime.rows.length;
	record.state = 'JobComplete';
}

/** One status call: poll-driven (default) or time-driven (completeAfterMs). */
function advance(state: EmulatorState, runtime: JobRuntime, countsAsPoll: boolean): void {
	const { record, plan } = runtime;
	if (TERMINAL.has(record.state)) return;
	if (countsAsPoll) record.polls++;
	if (plan.neverFinish) {
		setState(state, record, 'InProgress');
		return;
	}
	if (state.completeAfterMs !== undefined) {
		const elapsed = state.clock.now().getTime() - record.createdDate.getTime();
		if (elapsed >= state.completeAfterMs) return finish(state, runtime);
		setState(state, record, elapsed < Math.min(SECOND, state.completeAfterMs / 2) ? 'UploadComplete' : 'InProgress');
		return;
	}
	if (!countsAsPoll) return;
	if (record.polls > plan.pollsUntilDone) return finish(state, runtime);
	setState(state, record, record.polls === 1 ? 'UploadComplete' : 'InProgress');
}

function setState(state: EmulatorState, record: SalesforceJobRecord, next: SalesforceJobState): void {
	if (record.state === next) return;
	record.state = next;
	record.systemModstamp = state.clock.now();
}

/** Terminal jobs older than 7 days are deleted (bulk_api_2_limits.htm). */
function sweepRetention(state: EmulatorState): void {
	const now = state.clock.now().getTime();
	for (const [id, runtime] of state.jobs) {
		const done = runtime.record.completedDate;
		if (done && TERMINAL.has(runtime.record.state) && now - done.getTime() >= RETENTION_MS) state.jobs.delete(id);
	}
}

/** The job info JSON: the create/abort answers carry the base fields, status calls the full set. */
function jobInfo(record: SalesforceJobRecord, full: boolean): Record<string, unknown> {
	const base: Record<string, unknown> = {
		id: record.id,
		operation: record.operation,
		object: record.object,
		createdById: USER_ID,
		createdDate: sfJobDate(record.createdDate),
		systemModstamp: sfJobDate(record.systemModstamp),
		state: record.state,
		concurrencyMode: 'Parallel',
		contentType: 'CSV',
		apiVersion: Number(record.apiVersion),
		lineEnding: record.lineEnding,
		columnDelimiter: record.columnDelimiter,
	};
	if (!full) return base;
	const processed = record.state === 'InProgress' ? Math.floor(record.numberRecordsProcessed / 2) : record.numberRecordsProcessed;
	const info: Record<string, unknown> = {
		...base,
		jobType: 'V2Query',
		numberRecordsProcessed: processed,
		retries: 0,
		totalProcessingTime: record.completedDate ? Math.max(1, record.completedDate.getTime() - record.createdDate.getTime()) : 0,
		isPkChunkingSupported: true,
	};
	if (record.state === 'Failed') info.errorMessage = record.errorMessage;
	return info;
}

// ---------------------------------------------------------------------------------------------
// API server

interface Route {
	version: string;
	jobId?: string;
	results: boolean;
}

const ROUTE = /^\/services\/data\/v(\d+\.\d)\/jobs\/query(?:\/([^/]+)(\/results)?)?\/?$/;

/** The documented apiVersion is a JSON number with one decimal ("apiVersion" : 46.0). */
function writeApiVersion(json: string): string {
	return json.replace(/"apiVersion":(\d+)(?=[,}])/g, '"apiVersion":$1.0');
}

function sendSalesforceJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
	const bytes = Buffer.from(writeApiVersion(JSON.stringify(body)), 'utf8');
	res.writeHead(status, { ...headers, 'Content-Type': JSON_TYPE, 'Content-Length': bytes.length, 'Sforce-Limit-Info': 'api-usage=25/15000' });
	res.end(bytes);
}

function sendError(res: http.ServerResponse, error: SalesforceError): void {
	sendSalesforceJson(res, error.status, [{ errorCode: error.errorCode, message: error.message }], error.headers);
}

async function handleApi(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
	const base = logRequest<'api'>([], 'api', req);
	const entry: SalesforceLoggedRequest = { ...base };
	state.requests.push(entry);
	try {
		const raw = await readBody(req, 16 * 1024 * 1024);
		entry.body = raw.toString('utf8');
		const fault = state.faults.takeApiFault();
		if (fault) throw fault;
		const match = ROUTE.exec(base.path);
		if (!match || Number(match[1]) < MIN_API_VERSION) throw new SalesforceError(404, 'NOT_FOUND', 'The requested resource does not exist');
		authenticate(state, req);
		sweepRetention(state);
		const route: Route = { version: match[1], jobId: match[2] ? decodeURIComponent(match[2]) : undefined, results: match[3] !== undefined };
		const method = req.method ?? 'GET';
		if (!route.jobId) {
			if (method === 'POST') return createJob(state, req, res, route, raw);
			if (method === 'GET') return listJobs(state, res);
			throw methodNotAllowed(method, 'GET, POST');
		}
		const runtime = state.jobs.get(route.jobId);
		if (route.results) {
			if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed(method, 'GET');
			if (!runtime) throw new SalesforceError(404, 'NOT_FOUND', 'The requested resource does not exist');
			return sendResults(state, req, res, runtime, route, base.url);
		}
		if (!runtime) throw new SalesforceError(404, 'NOT_FOUND', 'The requested resource does not exist');
		if (method === 'GET') {
			advance(state, runtime, true);
			return sendSalesforceJson(res, 200, jobInfo(runtime.record, true));
		}
		if (method === 'PATCH') return abortJob(state, res, runtime, raw);
		if (method === 'DELETE') return deleteJob(state, res, runtime);
		throw methodNotAllowed(method, 'GET, PATCH, DELETE');
	} catch (error) {
		if (error instanceof SalesforceError) return sendError(res, error);
		throw error;
	}
}

function methodNotAllowed(method: string, allowed: string): SalesforceError {
	return new SalesforceError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${method}' not allowed. Allowed are ${allowed}`, { Allow: allowed });
}

function authenticate(state: EmulatorState, req: http.IncomingMessage): void {
	const header = headerValue(req, 'authorization') ?? '';
	const match = /^(?:Bearer|OAuth)\s+(\S+)\s*$/i.exec(header);
	if (!match || match[1] !== state.accessToken) throw new SalesforceError(401, 'INVALID_SESSION_ID', 'Session expired or invalid', { 'WWW-Authenticate': 'Token' });
}

function parseJsonBody(req: http.IncomingMessage, raw: Buffer): Record<string, unknown> {
	const mediaType = parseContentType(headerValue(req, 'content-type')).mediaType;
	if (mediaType !== 'application/json') {
		throw new SalesforceError(415, 'UNSUPPORTED_MEDIA_TYPE', `Content-Type '${mediaType || '(none)'}' is not supported: send application/json.`);
	}
	let body: unknown;
	try {
		body = JSON.parse(raw.toString('utf8'));
	} catch (error) {
		throw new SalesforceError(400, 'JSON_PARSER_ERROR', `Unexpected character: ${(error as Error).message}`);
	}
	if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new SalesforceError(400, 'JSON_PARSER_ERROR', 'Cannot deserialize instance of job info from a non-object.');
	return body as Record<string, unknown>;
}

function createJob(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse, route: Route, raw: Buffer): void {
	const body = parseJsonBody(req, raw);
	const operation = body.operation;
	// [I] code and wording of these validation answers.
	if (operation !== 'query' && operation !== 'queryAll') throw new SalesforceError(400, 'INVALIDJOB', `InvalidJob : Invalid operation: ${JSON.stringify(operation ?? null)}. Query jobs accept query or queryAll.`);
	if (typeof body.query !== 'string' || body.query.trim() === '') throw new SalesforceError(400, 'INVALIDJOB', 'InvalidJob : query is required.');
	const contentType = body.contentType ?? 'CSV';
	if (contentType !== 'CSV') throw new SalesforceError(400, 'INVALIDJOB', `InvalidJob : Unsupported contentType ${JSON.stringify(contentType)}: only CSV is supported.`);
	const columnDelimiter = (body.columnDelimiter ?? 'COMMA') as SalesforceColumnDelimiter;
	if (typeof columnDelimiter !== 'string' || !(columnDelimiter in DELIMITERS)) throw new SalesforceError(400, 'INVALIDJOB', `InvalidJob : Invalid columnDelimiter ${JSON.stringify(columnDelimiter)}.`);
	const lineEnding = (body.lineEnding ?? 'LF') as SalesforceLineEnding;
	if (typeof lineEnding !== 'string' || !(lineEnding in LINE_ENDINGS)) throw new SalesforceError(400, 'INVALIDJOB', `InvalidJob : Invalid lineEnding ${JSON.stringify(lineEnding)}.`);
	const parsed = parseSoql(body.query, state.store);
	// query_get_job_results note: columns in requested order from 50.0, alphabetical before.
	if (Number(route.version) < 50) parsed.fields.sort((a, b) => (a.header.toLowerCase() < b.header.toLowerCase() ? -1 : 1));
	const now = state.clock.now();
	const record: SalesforceJobRecord = {
		id: jobId(),
		operation,
		object: parsed.object,
		query: body.query,
		state: 'UploadComplete',
		apiVersion: route.version,
		columnDelimiter,
		lineEnding,
		createdDate: now,
		systemModstamp: now,
		polls: 0,
		numberRecordsProcessed: 0,
		errorMessage: null,
		completedDate: null,
		requestBody: body,
	};
	const runtime: JobRuntime = { record, plan: state.faults.takePlan(state.defaultPolls), parsed };
	state.jobs.set(record.id, runtime);
	sendSalesforceJson(res, 200, jobInfo(record, false));
}

function listJobs(state: EmulatorState, res: http.ServerResponse): void {
	const records = Array.from(state.jobs.values()).map((runtime) => {
		advance(state, runtime, false);
		return jobInfo(runtime.record, false);
	});
	// [I] one page: the emulator never holds more jobs than one page of 1000.
	sendSalesforceJson(res, 200, { done: true, records, nextRecordsUrl: null });
}

function abortJob(state: EmulatorState, res: http.ServerResponse, runtime: JobRuntime, raw: Buffer): void {
	let body: unknown;
	try {
		body = JSON.parse(raw.toString('utf8') || '{}');
	} catch (error) {
		throw new SalesforceError(400, 'JSON_PARSER_ERROR', `Unexpected character: ${(error as Error).message}`);
	}
	if ((body as Record<string, unknown> | null)?.state !== 'Aborted') throw new SalesforceError(400, 'INVALIDJOBSTATE', 'Query jobs can only be updated to state Aborted.');
	advance(state, runtime, false);
	const record = runtime.record;
	if (record.state !== 'UploadComplete' && record.state !== 'InProgress') {
		// The documented example answer; the same for Failed/Aborted jobs [I].
		throw new SalesforceError(400, 'INVALIDJOBSTATE', record.state === 'JobComplete' ? 'Aborting already Completed Job not allowed' : `Aborting already ${record.state} Job not allowed`);
	}
	record.state = 'Aborted';
	record.completedDate = state.clock.now();
	record.systemModstamp = record.completedDate;
	sendSalesforceJson(res, 200, jobInfo(record, false));
}

function deleteJob(state: EmulatorState, res: http.ServerResponse, runtime: JobRuntime): void {
	advance(state, runtime, false);
	if (!TERMINAL.has(runtime.record.state)) throw new SalesforceError(400, 'API_ERROR', 'Error encountered when deleting the job because the job is not terminated');
	state.jobs.delete(runtime.record.id);
	sendEmpty(res, 204, { 'Sforce-Limit-Info': 'api-usage=25/15000' });
}

/** `MTAwMDA` is base64 for "10000": the documented example locator, so offsets are encoded that way [I]. */
function encodeLocator(offset: number): string {
	return Buffer.from(String(offset), 'utf8').toString('base64').replace(/=+$/, '');
}

function decodeLocator(locator: string): number | undefined {
	if (!/^[A-Za-z0-9+/]+$/.test(locator)) return undefined;
	const text = Buffer.from(locator, 'base64').toString('utf8');
	return /^\d+$/.test(text) ? Number(text) : undefined;
}

function sendResults(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse, runtime: JobRuntime, route: Route, url: string): void {
	advance(state, runtime, false);
	const record = runtime.record;
	if (record.state !== 'JobComplete' || !runtime.rows) {
		const shown = record.state.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
		throw new SalesforceError(412, 'JOB_NOT_COMPLETE', `can only download query results of successfully completed bulk job with status: JOB_COMPLETE. Current status: ${shown}`);
	}
	if (route.version !== record.apiVersion) {
		// query_get_job_results note: 409 with another version [I: body].
		throw new SalesforceError(409, 'API_VERSION_MISMATCH', `Use the same API version to get query results that you used to create the query (v${record.apiVersion}).`);
	}
	const params = new URLSearchParams(url.split('?')[1] ?? '');
	const maxText = params.get('maxRecords');
	let pageSize = state.defaultMaxRecords;
	if (maxText !== null && maxText !== '') {
		if (!/^\d+$/.test(maxText) || Number(maxText) < 1) throw new SalesforceError(400, 'INVALIDJOB', `InvalidJob : maxRecords must be a positive integer, not ${JSON.stringify(maxText)}.`);
		pageSize = Number(maxText);
	}
	const locator = params.get('locator');
	let offset = 0;
	if (locator !== null && locator !== '') {
		const decoded = decodeLocator(locator);
		if (decoded === undefined || decoded > runtime.rows.length) throw new SalesforceError(400, 'INVALIDJOB', `InvalidJob : Invalid locator: ${locator}`);
		offset = decoded;
	}
	const rows = runtime.rows.slice(offset, offset + pageSize);
	const nextOffset = offset + rows.length;
	const delimiter = DELIMITERS[record.columnDelimiter];
	const lineEnding = LINE_ENDINGS[record.lineEnding];
	// Every set is a whole CSV with its header row [I: clients such as simple-salesforce save each set as its own file]; no rows at all = empty body [I].
	const text = rows.length === 0 && offset === 0 ? '' : csvLine(runtime.parsed.fields.map((field) => field.header), delimiter, lineEnding) + rows.map((row) => csvLine(row, delimiter, lineEnding)).join('');
	const plain = Buffer.from(text, 'utf8');
	const acceptsGzip = /(^|,)\s*gzip\s*(;\s*q=(?!0(\.0*)?\s*(,|$))[\d.]+)?\s*(,|$)/i.test(headerValue(req, 'accept-encoding') ?? '');
	const compress = state.gzip === 'always' || (state.gzip === 'when-accepted' && acceptsGzip);
	const body = compress ? gzipSync(plain) : plain;
	const headers: Record<string, string> = {
		'Content-Type': 'text/csv; charset=UTF-8',
		'Sforce-Locator': nextOffset < runtime.rows.length ? encodeLocator(nextOffset) : 'null',
		'Sforce-NumberOfRecords': String(rows.length),
		'Sforce-Limit-Info': 'api-usage=25/15000',
		Vary: 'Accept-Encoding',
	};
	if (compress) headers['Content-Encoding'] = 'gzip';
	const headOnly = req.method === 'HEAD';
	const cutAfterBytes = headOnly ? undefined : state.faults.takeTruncation(body.length);
	sendBytes(res, 200, body, headers, { headOnly, cutAfterBytes });
}

// ---------------------------------------------------------------------------------------------
// Start

function salesforceAccessToken(): string {
	// The shape of a session id: org id, '!', then an opaque part.
	return `00DDn00000EmuLtr!AQ8AQ${randomBytes(36).toString('base64url')}`;
}

export async function startSalesforceBulkEmulator(options: SalesforceBulkEmulatorOptions = {}): Promise<SalesforceBulkEmulator> {
	const clock = createClock(options.frozenClock === true);
	const store = new RecordStore(clock);
	if (options.seed !== false) seedRecords(store);
	const state: EmulatorState = {
		clock,
		store,
		faults: createFaults(),
		jobs: new Map(),
		requests: [],
		accessToken: salesforceAccessToken(),
		defaultPolls: options.pollsUntilDone ?? DEFAULT_POLLS_UNTIL_DONE,
		completeAfterMs: options.completeAfterMs,
		defaultMaxRecords: options.defaultMaxRecords ?? DEFAULT_MAX_RECORDS,
		gzip: options.gzip ?? 'when-accepted',
	};
	const server = await startServer(
		(req, res) =>
			handleApi(state, req, res).catch((error: unknown) => {
				if (error instanceof BodyParseError) return sendError(res, new SalesforceError(400, 'JSON_PARSER_ERROR', error.message));
				throw error;
			}),
		{ port: options.port },
	);
	const emulator: SalesforceBulkEmulator = {
		instanceUrl: server.origin,
		get accessToken() {
			return state.accessToken;
		},
		apiVersion: options.apiVersion ?? '62.0',
		clock,
		records: store,
		faults: state.faults,
		get jobs() {
			sweepRetention(state);
			return Array.from(state.jobs.values()).map((runtime) => runtime.record);
		},
		expireJob: (id) => {
			if (!state.jobs.delete(id)) throw new Error(`expireJob: no job ${id}`);
		},
		rotateAccessToken: () => {
			state.accessToken = salesforceAccessToken();
			return state.accessToken;
		},
		resultCsv: (id) => {
			const runtime = state.jobs.get(id);
			if (!runtime?.rows) return undefined;
			const delimiter = DELIMITERS[runtime.record.columnDelimiter];
			const lineEnding = LINE_ENDINGS[runtime.record.lineEnding];
			if (runtime.rows.length === 0) return '';
			return csvLine(runtime.parsed.fields.map((field) => field.header), delimiter, lineEnding) + runtime.rows.map((row) => csvLine(row, delimiter, lineEnding)).join('');
		},
		requests: state.requests,
		close: () => server.close(),
	};
	return emulator;
}

// `node --import tsx test/emulators/salesforce-bulk.ts`: run it for a demo.
if (require.main === module) {
	runFromCommandLine(
		() => startSalesforceBulkEmulator({ port: Number(process.env.PORT) || undefined }),
		(emulator) => [
			`Salesforce Bulk API 2.0 emulator instance URL: ${emulator.instanceUrl}`,
			`Create a job: POST ${emulator.instanceUrl}/services/data/v${emulator.apiVersion}/jobs/query`,
			`Authorization: Bearer ${emulator.accessToken}`,
		],
	);
}
