/**
 * Local emulator of Rebilly's data-exports API (`/organizations/{organizationId}/experimental/data-exports`)
 * and the file download it leads to, for tests and demos.
 *
 * Behaviour follows Rebilly's public reference, not any client code. "ad" below is the repository
 * Rebilly/api-definitions at commit 657cabcf0a23555b2334de8ecbc336a9c3a1d607 (2026-08-21):
 *   - openapi/openapi.yaml: servers `https://api(-sandbox).rebilly.com/organizations/{organizationId}`,
 *     security `SecretApiKey` (header `REB-APIKEY`) or `JWT` (`Authorization: Bearer <JWT>`), and the
 *     mapping `/experimental/data-exports[/{id}]` and `/files/{id}/download`;
 *   - openapi/paths/data-exports.yaml, data-exports@{id}.yaml, files@{id}@download.yaml: operations,
 *     status codes and headers (Location, X-RateLimit-*, Pagination-*, 302 Found);
 *   - openapi/components/schemas/DataExport.yaml (discriminator on `resource`) and the eleven
 *     `*DataExport.yaml` (format enums, dateRange.field defaults), DataExportArguments, DataExportDateRange,
 *     DataExportFailureReason, DataExportFileId (the 1,000,000-record ZIP of numbered parts, pdf always a
 *     ZIP), DataExportRecurring, ProblemTypes/*, responses/DataExportValidationError.yaml,
 *     responses/TooManyRequests.yaml, headers/X-RateLimit-*.yaml, parameters/collection*.yaml,
 *     File.yaml, User.yaml and the resource schemas (id prefixes, field names, enums);
 *   - openapi/description.md "# Rate limits": per organization, sandbox 3000 non-GET requests per
 *     10 minutes, `X-RateLimit-Retry-After` = a UTC timestamp;
 *   - rebilly.com/docs/dev-docs/export-configuration (relative date ranges, `fields` with `a/b` paths) and
 *     rebilly.com/docs/dev-docs/search-filters (the `filter` syntax).
 * Two servers:
 *   - the API on 127.0.0.1 (`apiOrigin`);
 *   - a pretend S3 bucket (`storageOrigin`, host name `localhost`) behind the `signedLink` and the 302 of
 *     `/files/{id}/download` [I: Rebilly does not document where files live]. It refuses any request that
 *     carries `REB-APIKEY` or `Authorization`, so a client leaking credentials to the file host fails loudly.
 * [I] marks a choice made where the public reference is silent.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type * as http from 'node:http';
import JSZip from 'jszip';
import {
	headerValue,
	logRequest,
	parseByteRange,
	readBody,
	runFromCommandLine,
	sendBytes,
	sendEmpty,
	sendJson,
	sendText,
	startApiAndStorage,
	type LoggedRequest,
} from './http';
import { createClock, type EmulatorClock } from './clock';

// ---------------------------------------------------------------------------------------------
// Public API

export type RebillyResource =
	| 'customers'
	| 'subscriptions'
	| 'transactions'
	| 'invoices'
	| 'invoiceItems'
	| 'amlChecks'
	| 'disputes'
	| 'journalRecords'
	| 'payoutRequests'
	| 'payoutRequestAllocations'
	| 'users';

/** ad DataExport.yaml discriminator mapping, in its order. */
export const REBILLY_RESOURCES: readonly RebillyResource[] = [
	'customers',
	'subscriptions',
	'transactions',
	'invoices',
	'invoiceItems',
	'amlChecks',
	'disputes',
	'journalRecords',
	'payoutRequests',
	'payoutRequestAllocations',
	'users',
];

export type RebillyFormat = 'csv' | 'json' | 'json-api' | 'xml' | 'detailed-csv' | 'pdf';

const FIVE_FORMATS: readonly RebillyFormat[] = ['csv', 'json', 'json-api', 'xml', 'detailed-csv'];
const FOUR_FORMATS: readonly RebillyFormat[] = ['csv', 'json', 'json-api', 'xml'];

/** The `format` enum of each ad `*DataExport.yaml`. */
export const REBILLY_FORMATS_BY_RESOURCE: Record<RebillyResource, readonly RebillyFormat[]> = {
	customers: FIVE_FORMATS,
	subscriptions: FIVE_FORMATS,
	transactions: FIVE_FORMATS,
	invoices: [...FIVE_FORMATS, 'pdf'],
	invoiceItems: FIVE_FORMATS,
	amlChecks: FIVE_FORMATS,
	disputes: FOUR_FORMATS,
	journalRecords: FOUR_FORMATS,
	payoutRequests: FOUR_FORMATS,
	payoutRequestAllocations: FOUR_FORMATS,
	users: ['csv', 'json'],
};

/** `dateRange.field` default of each ad `*DataExport.yaml`. */
export const REBILLY_DEFAULT_DATE_FIELD: Record<RebillyResource, string> = {
	customers: 'createdTime',
	subscriptions: 'createdTime',
	transactions: 'processedTime',
	invoices: 'issuedTime',
	invoiceItems: 'issuedTime',
	amlChecks: 'createdTime',
	disputes: 'createdTime',
	journalRecords: 'createdTime',
	payoutRequests: 'createdTime',
	payoutRequestAllocations: 'createdTime',
	users: 'createdTime',
};

/**
 * [I] The fields a dateRange may apply to. The spec types `dateRange.field` as a plain string with a
 * default; this list is the date-time fields of each resource schema (plus the default). Others → 422.
 */
export const REBILLY_DATE_FIELDS: Record<RebillyResource, readonly string[]> = {
	customers: ['createdTime', 'updatedTime', 'lastPaymentTime'],
	subscriptions: ['createdTime', 'updatedTime', 'startTime', 'activationTime', 'renewalTime', 'churnTime'],
	transactions: ['processedTime', 'createdTime', 'updatedTime'],
	invoices: ['issuedTime', 'createdTime', 'updatedTime', 'dueTime', 'paidTime'],
	invoiceItems: ['issuedTime', 'createdTime', 'updatedTime', 'periodStartTime', 'periodEndTime'],
	amlChecks: ['createdTime', 'updatedTime', 'reviewTime'],
	disputes: ['createdTime', 'updatedTime', 'postedTime', 'deadlineTime', 'resolvedTime'],
	journalRecords: ['createdTime', 'updatedTime'],
	payoutRequests: ['createdTime', 'updatedTime'],
	payoutRequestAllocations: ['createdTime', 'updatedTime'],
	users: ['createdTime', 'updatedTime', 'loginTime'],
};

/** ID prefixes from the resource schemas' examples (Customer.yaml `cus_…`, AmlCheck.yaml `aml_chk_…`, …). */
export const REBILLY_ID_PREFIX: Record<RebillyResource, string> = {
	customers: 'cus',
	subscriptions: 'sub',
	transactions: 'txn',
	invoices: 'in',
	invoiceItems: 'ii',
	amlChecks: 'aml_chk',
	disputes: 'dp',
	journalRecords: 'jrn_rec',
	payoutRequests: 'pout_req',
	payoutRequestAllocations: 'pra',
	users: 'usr',
};

/** ad *DataExport.yaml `status` enum. */
export type RebillyExportStatus = 'pending' | 'queued' | 'processing' | 'completed' | 'failed';
/** ad DataExportFailureReason.yaml. */
export type RebillyFailureReason = 'record-limit-exceeded' | 'max-retries-reached';

export type { EmulatorClock };

export interface RebillyGenerateOptions {
	/** The resource's date field (processedTime, issuedTime, createdTime…) is spread evenly over [since, until]; default the last 30 days. */
	since?: Date;
	until?: Date;
}

export type RebillyRecord = Record<string, unknown> & { id: string };

export interface RebillyRecords {
	/**
	 * Creates or updates one record by `id` (shallow merge: a nested object given replaces the stored one).
	 * A new record starts from realistic generated values. `updatedTime` becomes now unless given. Returns a copy.
	 */
	upsert(resource: RebillyResource, record: Record<string, unknown>): RebillyRecord;
	/** Appends `count` generated records (deterministic per position) and returns copies of them. */
	generate(resource: RebillyResource, count: number, options?: RebillyGenerateOptions): RebillyRecord[];
	/** Copies, in insertion order. */
	list(resource: RebillyResource): RebillyRecord[];
	get(resource: RebillyResource, id: string): RebillyRecord | undefined;
	count(resource: RebillyResource): number;
	remove(resource: RebillyResource, id: string): boolean;
	/** Removes the records of one resource, or of every resource. */
	clear(resource?: RebillyResource): void;
}

/** Where a serverErrors fault strikes. `any`: every API request (not storage). */
export type RebillyFaultTarget = 'create' | 'status' | 'list' | 'update' | 'delete' | 'download' | 'storage' | 'any';

export interface RebillyFaults {
	/** The next `count` creates answer 429 with `X-RateLimit-Retry-After` = now (real time) + retryAfterSeconds (default 1), as a UTC epoch in seconds. */
	rateLimitCreates(count: number, retryAfterSeconds?: number): void;
	/** The next `count` requests of the target(s) (default 'any') answer `status` (default 500). */
	serverErrors(count: number, options?: { on?: RebillyFaultTarget | RebillyFaultTarget[]; status?: number }): void;
	/** The next created export (or the export `exportId`) ends `failed` with this reason (default max-retries-reached). */
	failExport(reason?: RebillyFailureReason, exportId?: string): void;
	/** The next created export answers `polls` status GETs with queued/processing before its final state. */
	pollsUntilDone(polls: number): void;
	/** The next created export stays `processing` for ever. */
	neverFinish(): void;
	/** The next `count` file downloads (storage, or the API when it serves bytes) announce the full Content-Length, then drop the connection after `atBytes` (default half). */
	truncateDownload(count: number, atBytes?: number): void;
	/** Every signed link issued so far answers as an expired one does. */
	expireSignedLinks(): void;
	/** The next `count` storage requests answer 403 AccessDenied. */
	storageForbidden(count: number): void;
	/** Leave the `signedLink` out of `_links` (default true). */
	omitSignedLink(omit?: boolean): void;
	/** `/files/{id}/download` answers 200 with the bytes instead of a 302 to storage (default true). */
	serveDownloadFromApi(direct?: boolean): void;
	reset(): void;
}

/** One export as the emulator holds it (live object; its status is as of the last API read or time step taken by a read). */
export interface RebillyExportRecord {
	id: string;
	organizationId: string;
	name: string;
	resource: RebillyResource;
	format: RebillyFormat;
	arguments: { filter?: string; sort?: string; q?: string };
	emailNotification: string[];
	fields: string[];
	recurring?: { instruction: string; start?: string };
	/** As sent, with `field` filled in with the resource's default. */
	dateRange?: { start: string; end: string; field: string };
	/** The dateRange evaluated on the emulator clock when the export was created (or last modified). */
	resolvedRange?: { startMs: number; endMs: number; field: string };
	userId: string;
	fileId: string | null;
	recordCount: number;
	scheduledTime: Date;
	createdTime: Date;
	updatedTime: Date;
	status: RebillyExportStatus;
	failureReason: RebillyFailureReason | null;
	/** Status GETs answered so far. */
	polls: number;
	/** The last POST/PUT body as received. */
	requestBody: Record<string, unknown>;
}

export interface RebillyStoredFile {
	id: string;
	organizationId: string;
	exportId: string;
	/** File name as the storage serves it (Content-Disposition), e.g. `my-export.csv` or `my-export.zip`. */
	name: string;
	mime: string;
	bytes: Buffer;
	createdTime: Date;
	/** Entries of a ZIP, in archive order; empty for a plain file. */
	entries: string[];
}

export interface RebillyLoggedRequest extends LoggedRequest<'api' | 'storage'> {
	/** API requests: the body text as received. */
	body?: string;
	/** Storage requests refused for carrying credentials: why. */
	refused?: string;
}

export interface RebillyRateLimit {
	/** Requests per organization per window. */
	limit: number;
	windowMs: number;
	/** Count GET requests too (default false: the sandbox limits non-GET endpoints only). */
	countGets?: boolean;
}

export interface RebillyEmulatorOptions {
	port?: number;
	storagePort?: number;
	/** Default: a generated `org_…` id. */
	organizationId?: string;
	/** More organizations the credentials may use; each has its own exports, files and rate-limit window. Records are shared [I: test convenience]. */
	additionalOrganizationIds?: string[];
	/** The secret API key (`REB-APIKEY`); default a generated `sk_sandbox_…`. */
	apiKey?: string;
	/** The JWT accepted as `Authorization: Bearer <jwt>`; default a generated one. */
	jwt?: string;
	/** Status GETs answered queued/processing before the final state (default 2). */
	pollsUntilDone?: number;
	/** Also advance by time: an export reaches its final state this long (emulator clock) after creation. Default: polls only. */
	autoCompleteAfterMs?: number;
	/** Above this many matched records a create/PUT answers 422 data-export-limit-exceeded (default 10,000,000, the spec's example). */
	maxRecords?: number;
	/** Records per file; more make a ZIP of numbered parts (default 1,000,000: DataExportFileId.yaml). */
	maxRecordsPerFile?: number;
	/** How long a signed link works from the answer that returned it (default 15 minutes [I]). */
	signedLinkTtlMs?: number;
	/** Put a `signedLink` into `_links` of completed exports (default true). */
	signedLink?: boolean;
	/** `/files/{id}/download`: 302 to storage (default) or 200 with the bytes. */
	download?: 'redirect' | 'direct';
	/** Per-organization request limit on the emulator clock, or false. Default REBILLY_SANDBOX_RATE_LIMIT. */
	rateLimit?: RebillyRateLimit | false;
	/** CSV: quote every field (default false: only fields that need it, RFC 4180). */
	csvQuoteAll?: boolean;
	/** CSV line ending (default CRLF, RFC 4180 [I]). */
	csvLineEnding?: '\r\n' | '\n';
	/** Refuse (422) `fields` the emulator does not know for the resource (default false: unknown fields give empty values [I]). */
	strictFields?: boolean;
	/** A few sample records of each resource (default true). */
	seed?: boolean;
	/** true: the clock moves only by set/advance (rate-limit windows then reset only when a test advances it). */
	frozenClock?: boolean;
}

/** ad description.md "# Rate limits": sandbox, non-GET endpoints, 3000 requests per 10 minutes. */
export const REBILLY_SANDBOX_RATE_LIMIT: RebillyRateLimit = { limit: 3000, windowMs: 10 * 60 * 1000, countGets: false };

export interface RebillyEmulator {
	/** http://127.0.0.1:<port> */
	apiOrigin: string;
	/** `${apiOrigin}/organizations/${organizationId}`: what the spec's `servers` URL is. */
	baseUrl: string;
	/** http://localhost:<port>: the file storage behind signed links. */
	storageOrigin: string;
	organizationId: string;
	/** organizationId first, then additionalOrganizationIds. */
	organizationIds: string[];
	/** `REB-APIKEY` value. */
	apiKey: string;
	/** `Authorization: Bearer <jwt>` value. */
	jwt: string;
	/** A valid secret key without the data-export permission: every export/file operation answers 403. */
	apiKeyWithoutExportAccess: string;
	/** The user both credentials belong to (`userId` of the exports). */
	userId: string;
	clock: EmulatorClock;
	records: RebillyRecords;
	faults: RebillyFaults;
	/** Every export, in creation order (deleted ones removed). */
	readonly exports: RebillyExportRecord[];
	/**
	 * `count` exports of one body (validated as a POST), completed at once, without HTTP: for lists
	 * longer than a page. `completedAt(index)`: each one's created and updated time (default now).
	 */
	addCompletedExports(body: Record<string, unknown>, count: number, completedAt?: (index: number) => Date): Promise<RebillyExportRecord[]>;
	/** The export's JSON as the API would answer it now (no status advance). */
	exportJson(id: string, expand?: string[]): Record<string, unknown> | undefined;
	/** A stored export file by its file id. */
	file(fileId: string): RebillyStoredFile | undefined;
	/** A fresh signed storage URL for a file. */
	signedUrl(fileId: string): string | undefined;
	requests: RebillyLoggedRequest[];
	close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Constants

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const DEFAULT_POLLS_UNTIL_DONE = 2;
const DEFAULT_MAX_RECORDS = 10_000_000; // ad ProblemTypes/DataExportLimitExceeded.yaml example maxRecords
const DEFAULT_MAX_RECORDS_PER_FILE = 1_000_000; // ad DataExportFileId.yaml
const DEFAULT_SIGNED_LINK_TTL_MS = 15 * MINUTE; // [I]
const DEFAULT_COLLECTION_LIMIT = 100; // [I] the spec gives no default; Pagination-Limit's example is 100
const MAX_COLLECTION_LIMIT = 1000; // ad parameters/collectionLimit.yaml
const MAX_COLLECTION_OFFSET = 1000; // ad parameters/collectionOffset.yaml
const NAME_MAX_LENGTH = 50; // ad *DataExport.yaml name maxLength
const RESOURCE_ID = /^[@~\-.\w]+$/; // ad parameters/resourceId.yaml pattern (maxLength 50)
const BUCKET = 'rebilly-data-exports'; // [I]
const S3_REGION = 'us-east-1'; // [I]
const PROBLEM_TYPE = 'about:blank'; // [I] RFC 9457 default; the spec's TooManyRequests example is about:blank
const RESOURCE_SET = new Set<string>(REBILLY_RESOURCES);
const ALL_FORMATS = new Set<string>(['csv', 'json', 'json-api', 'xml', 'detailed-csv', 'pdf']);

const SINGULAR: Record<RebillyResource, string> = {
	customers: 'customer',
	subscriptions: 'subscription',
	transactions: 'transaction',
	invoices: 'invoice',
	invoiceItems: 'invoiceItem',
	amlChecks: 'amlCheck',
	disputes: 'dispute',
	journalRecords: 'journalRecord',
	payoutRequests: 'payoutRequest',
	payoutRequestAllocations: 'payoutRequestAllocation',
	users: 'user',
};

/** [I] Columns of a csv export when `fields` is left out ("If omitted, default fields will be included": older Reports API docs). */
const DEFAULT_COLUMNS: Record<RebillyResource, string[]> = {
	customers: ['id', 'email', 'firstName', 'lastName', 'websiteId', 'averageValue/amount', 'lifetimeRevenue/amount', 'paymentCount', 'lastPaymentTime', 'createdTime', 'updatedTime'],
	subscriptions: ['id', 'customerId', 'websiteId', 'status', 'billingStatus', 'currency', 'startTime', 'activationTime', 'renewalTime', 'rebillNumber', 'createdTime', 'updatedTime'],
	transactions: ['id', 'type', 'status', 'result', 'amount', 'currency', 'customerId', 'websiteId', 'gatewayName', 'description', 'processedTime', 'createdTime', 'updatedTime'],
	invoices: ['id', 'invoiceNumber', 'customerId', 'websiteId', 'status', 'currency', 'amount', 'amountDue', 'issuedTime', 'dueTime', 'paidTime', 'createdTime', 'updatedTime'],
	invoiceItems: ['id', 'invoiceId', 'type', 'description', 'unitPrice', 'quantity', 'price', 'issuedTime', 'createdTime', 'updatedTime'],
	amlChecks: ['id', 'websiteId', 'status', 'priority', 'source', 'customer/id', 'reviewTime', 'createdTime', 'updatedTime'],
	disputes: ['id', 'customerId', 'transactionId', 'currency', 'amount', 'reasonCode', 'category', 'type', 'status', 'postedTime', 'createdTime', 'updatedTime'],
	journalRecords: ['id', 'journalEntryId', 'customerId', 'invoiceId', 'invoiceItemId', 'type', 'estimatedAmount', 'recognizedAmount', 'createdTime', 'updatedTime'],
	payoutRequests: ['id', 'websiteId', 'customerId', 'currency', 'amount', 'status', 'description', 'createdTime', 'updatedTime'],
	payoutRequestAllocations: ['id', 'payoutRequestId', 'gatewayName', 'amount', 'currency', 'status', 'transactionId', 'createdTime', 'updatedTime'],
	users: ['id', 'email', 'firstName', 'lastName', 'loginTime', 'createdTime', 'updatedTime'],
};

// ---------------------------------------------------------------------------------------------
// IDs and time

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID (10 time + 16 random Crockford base32 characters), as Rebilly's newer ids are (`sub_01HRF27…`). */
function ulid(timeMs: number, random: Buffer): string {
	let time = '';
	let t = Math.max(0, Math.floor(timeMs));
	for (let i = 0; i < 10; i++) {
		time = CROCKFORD[t % 32] + time;
		t = Math.floor(t / 32);
	}
	let rest = '';
	for (let i = 0; i < 16; i++) rest += CROCKFORD[random[i % random.length] % 32];
	return time + rest;
}

function newId(prefix: string, nowMs: number): string {
	return `${prefix}_${ulid(nowMs, randomBytes(16))}`;
}

/** Deterministic id for generated record n of a resource. */
function derivedId(prefix: string, timeMs: number, salt: string): string {
	return `${prefix}_${ulid(timeMs, createHash('sha256').update(salt).digest())}`;
}

/** ISO 8601 with seconds and Z, as the spec's examples (`2019-08-24T14:15:22Z`). */
function iso(ms: number): string {
	return new Date(Math.floor(ms / SECOND) * SECOND).toISOString().replace('.000Z', 'Z');
}

function parseIsoMs(value: unknown): number | undefined {
	if (typeof value !== 'string') return undefined;
	const ms = Date.parse(value);
	return Number.isNaN(ms) ? undefined : ms;
}

function amzDate(ms: number): string {
	return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

// ---------------------------------------------------------------------------------------------
// Dates: ISO 8601 and PHP relative formats (DataExportDateRange.yaml: "any argument in datetime format",
// php.net/manual/en/datetime.formats.php), evaluated in UTC on the emulator clock.

const UNIT_KEYS: Record<string, keyof RelativeParts> = {
	sec: 's',
	secs: 's',
	second: 's',
	seconds: 's',
	min: 'i',
	mins: 'i',
	minute: 'i',
	minutes: 'i',
	hour: 'h',
	hours: 'h',
	day: 'd',
	days: 'd',
	week: 'w',
	weeks: 'w',
	fortnight: 'f',
	fortnights: 'f',
	month: 'm',
	months: 'm',
	year: 'y',
	years: 'y',
};
const UNIT_PATTERN = Object.keys(UNIT_KEYS)
	.sort((a, b) => b.length - a.length)
	.join('|');
const WEEKDAYS: Record<string, number> = {
	sunday: 0,
	sun: 0,
	monday: 1,
	mon: 1,
	tuesday: 2,
	tue: 2,
	tues: 2,
	wednesday: 3,
	wed: 3,
	thursday: 4,
	thu: 4,
	thur: 4,
	thurs: 4,
	friday: 5,
	fri: 5,
	saturday: 6,
	sat: 6,
};
const WEEKDAY_PATTERN = Object.keys(WEEKDAYS)
	.sort((a, b) => b.length - a.length)
	.join('|');
const MONTHS: Record<string, number> = {
	january: 0,
	jan: 0,
	february: 1,
	feb: 1,
	march: 2,
	mar: 2,
	april: 3,
	apr: 3,
	may: 4,
	june: 5,
	jun: 5,
	july: 6,
	jul: 6,
	august: 7,
	aug: 7,
	september: 8,
	sep: 8,
	sept: 8,
	october: 9,
	oct: 9,
	november: 10,
	nov: 10,
	december: 11,
	dec: 11,
};
const MONTH_PATTERN = Object.keys(MONTHS)
	.sort((a, b) => b.length - a.length)
	.join('|');
const END = '(?=$|[\\s,])';

interface RelativeParts {
	y: number;
	m: number;
	w: number;
	f: number;
	d: number;
	h: number;
	i: number;
	s: number;
}

const ISO_PREFIX = /^(\d{4})-(\d{2})-(\d{2})(?:[t ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(z|[+-]\d{2}(?::?\d{2})?)?)?(?=$|\s)/;

function to24h(hour: number, meridiem: string | undefined): number | undefined {
	if (!meridiem) return hour <= 23 ? hour : undefined;
	if (hour < 1 || hour > 12) return undefined;
	return (hour % 12) + (meridiem === 'pm' ? 12 : 0);
}

/**
 * Parses a dateRange value like PHP's `new DateTime($value)` in UTC: ISO 8601 dates and date-times, `@<epoch>`,
 * and the relative words the export-configuration page lists (now, today, midnight, noon, yesterday, tomorrow,
 * `first/last day of`, `next/last/this <unit|dayname>`, `±N <unit>`, `ago`, daynames, `back of`/`front of`,
 * clock times), in any combination. Undefined when it cannot be read.
 */
export function parseRebillyDate(input: string, now: Date): Date | undefined {
	let text = input.trim().toLowerCase();
	if (text === '') return undefined;
	const epoch = /^@(-?\d+)$/.exec(text);
	if (epoch) return new Date(Number(epoch[1]) * SECOND);
	const base = new Date(now.getTime());
	let y = base.getUTCFullYear();
	let mo = base.getUTCMonth();
	let d = base.getUTCDate();
	let h = base.getUTCHours();
	let mi = base.getUTCMinutes();
	let s = base.getUTCSeconds();
	let ms = base.getUTCMilliseconds();
	let offsetMs = 0;
	const isoMatch = ISO_PREFIX.exec(text);
	if (isoMatch) {
		const [, yy, mm, dd, hh, mn, ss, frac, zone] = isoMatch;
		y = Number(yy);
		mo = Number(mm) - 1;
		d = Number(dd);
		h = hh === undefined ? 0 : Number(hh);
		mi = mn === undefined ? 0 : Number(mn);
		s = ss === undefined ? 0 : Number(ss);
		ms = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
		const check = new Date(Date.UTC(y, mo, d));
		if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 60) return undefined;
		if (zone && zone !== 'z') {
			const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
			if (!zm) return undefined;
			offsetMs = (zm[1] === '-' ? -1 : 1) * (Number(zm[2]) * HOUR + Number(zm[3] ?? 0) * MINUTE);
		}
		text = text.slice(isoMatch[0].length);
	}
	const rel: RelativeParts = { y: 0, m: 0, w: 0, f: 0, d: 0, h: 0, i: 0, s: 0 };
	let time: [number, number, number] | undefined;
	let firstLast: 'first' | 'last' | undefined;
	let month: number | undefined;
	let weekday: { day: number; direction: 'this' | 'next' | 'last' } | undefined;
	const matchers: Array<[RegExp, (m: RegExpExecArray) => boolean]> = [
		[new RegExp(`^now${END}`), () => true],
		[
			new RegExp(`^(?:today|midnight)${END}`),
			() => {
				time = [0, 0, 0];
				return true;
			},
		],
		[
			new RegExp(`^noon${END}`),
			() => {
				time = [12, 0, 0];
				return true;
			},
		],
		[
			new RegExp(`^(yesterday|tomorrow)${END}`),
			(m) => {
				rel.d += m[1] === 'yesterday' ? -1 : 1;
				time = [0, 0, 0];
				return true;
			},
		],
		[
			new RegExp(`^(first|last) day of${END}`),
			(m) => {
				firstLast = m[1] as 'first' | 'last';
				return true;
			},
		],
		[
			new RegExp(`^(next|last|previous|this)\\s+(${UNIT_PATTERN}|${WEEKDAY_PATTERN})${END}`),
			(m) => {
				const amount = m[1] === 'next' ? 1 : m[1] === 'this' ? 0 : -1;
				if (m[2] in WEEKDAYS) {
					weekday = { day: WEEKDAYS[m[2]], direction: m[1] === 'next' ? 'next' : m[1] === 'this' ? 'this' : 'last' };
					time = [0, 0, 0];
				} else rel[UNIT_KEYS[m[2]]] += amount;
				return true;
			},
		],
		[
			new RegExp(`^([+-]?)\\s*(\\d+)\\s*(${UNIT_PATTERN})${END}`),
			(m) => {
				rel[UNIT_KEYS[m[3]]] += (m[1] === '-' ? -1 : 1) * Number(m[2]);
				return true;
			},
		],
		[
			// PHP: "ago" negates every relative value read before it.
			new RegExp(`^ago${END}`),
			() => {
				for (const key of Object.keys(rel) as Array<keyof RelativeParts>) rel[key] = -rel[key];
				return true;
			},
		],
		[
			new RegExp(`^(${WEEKDAY_PATTERN})${END}`),
			(m) => {
				weekday = { day: WEEKDAYS[m[1]], direction: 'this' };
				time = [0, 0, 0];
				return true;
			},
		],
		[
			new RegExp(`^(back|front) of (\\d{1,2})\\s*(am|pm)?${END}`),
			(m) => {
				const hour = to24h(Number(m[2]), m[3]);
				if (hour === undefined) return false;
				time = m[1] === 'back' ? [hour, 15, 0] : [hour - 1, 45, 0];
				return true;
			},
		],
		[
			new RegExp(`^t?(\\d{1,2}):(\\d{2})(?::(\\d{2}))?\\s*(am|pm)?${END}`),
			(m) => {
				const hour = to24h(Number(m[1]), m[4]);
				if (hour === undefined || Number(m[2]) > 59 || Number(m[3] ?? 0) > 59) return false;
				time = [hour, Number(m[2]), Number(m[3] ?? 0)];
				return true;
			},
		],
		[
			new RegExp(`^(\\d{1,2})\\s*(am|pm)${END}`),
			(m) => {
				const hour = to24h(Number(m[1]), m[2]);
				if (hour === undefined) return false;
				time = [hour, 0, 0];
				return true;
			},
		],
		[
			new RegExp(`^(${MONTH_PATTERN})${END}`),
			(m) => {
				month = MONTHS[m[1]];
				return true;
			},
		],
	];
	for (;;) {
		text = text.replace(/^[\s,]+/, '');
		if (text === '') break;
		let matched = false;
		for (const [pattern, apply] of matchers) {
			const m = pattern.exec(text);
			if (!m) continue;
			if (!apply(m)) return undefined;
			text = text.slice(m[0].length);
			matched = true;
			break;
		}
		if (!matched) return undefined;
	}
	if (month !== undefined) mo = month;
	if (time) {
		[h, mi, s] = time;
		ms = 0;
	}
	y += rel.y;
	mo += rel.m;
	if (firstLast) {
		// "first/last day of" works on the month after the month offsets, without day overflow.
		const monthStart = new Date(Date.UTC(y, mo, 1));
		y = monthStart.getUTCFullYear();
		mo = monthStart.getUTCMonth();
		d = firstLast === 'first' ? 1 : new Date(Date.UTC(y, mo + 1, 0)).getUTCDate();
	}
	d += rel.d + 7 * rel.w + 14 * rel.f;
	let result = Date.UTC(y, mo, d, h, mi, s, ms) - offsetMs + rel.h * HOUR + rel.i * MINUTE + rel.s * SECOND;
	if (weekday) {
		const current = new Date(result).getUTCDay();
		let delta: number;
		if (weekday.direction === 'this') delta = (weekday.day - current + 7) % 7;
		else if (weekday.direction === 'next') delta = (weekday.day - current + 7) % 7 || 7;
		else delta = -((current - weekday.day + 7) % 7 || 7);
		result += delta * DAY;
	}
	return Number.isFinite(result) ? new Date(result) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Field paths, search filters (rebilly.com/docs/dev-docs/search-filters), sort, q

function isPlainObject(value: unknown): value is Record<string, unknown> {
	return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function valueAt(record: unknown, path: string[]): unknown {
	let current: unknown = record;
	for (const key of path) {
		if (!isPlainObject(current)) return undefined;
		current = current[key];
	}
	return current;
}

/** Filter and sort paths use `.` (search-filters: `billingAddress.lastName`); `/` is accepted too, like fields. */
function splitPath(path: string): string[] {
	return path.split(/[./]/).filter((part) => part !== '');
}

interface FilterClause {
	path: string[];
	negate: boolean;
	values: Array<{ kind: 'eq'; value: string } | { kind: 'range'; from?: string; to?: string }>;
}

class FilterSyntaxError extends Error {}

/**
 * `field:value` clauses joined by `;` (AND), values by `,` (OR), `!` negates the list, `a..b`, `a..`, `..b`
 * ranges; exact, case-insensitive matches.
 */
function parseFilter(text: string): FilterClause[] {
	const clauses: FilterClause[] = [];
	for (const raw of text.split(';')) {
		const part = raw.trim();
		if (part === '') continue;
		const colon = part.indexOf(':');
		const field = colon < 0 ? '' : part.slice(0, colon).trim();
		if (colon < 0 || !/^[\w.\/-]+$/.test(field)) throw new FilterSyntaxError(`"${part}" is not a field:value filter`);
		let valueText = part.slice(colon + 1).trim();
		const negate = valueText.startsWith('!');
		if (negate) valueText = valueText.slice(1);
		const values = valueText.split(',').map((value) => {
			const trimmed = value.trim();
			const range = /^(.*?)\.\.(.*)$/.exec(trimmed);
			if (range && (range[1] !== '' || range[2] !== '')) {
				return { kind: 'range' as const, from: range[1] === '' ? undefined : range[1], to: range[2] === '' ? undefined : range[2] };
			}
			return { kind: 'eq' as const, value: trimmed };
		});
		clauses.push({ path: splitPath(field), negate, values });
	}
	return clauses;
}

function compareLoose(a: unknown, b: string): number {
	if (typeof a === 'number' && b.trim() !== '' && !Number.isNaN(Number(b))) return a - Number(b);
	const aMs = typeof a === 'string' && /^\d{4}-\d{2}-\d{2}/.test(a) ? parseIsoMs(a) : undefined;
	const bMs = /^\d{4}-\d{2}-\d{2}/.test(b) ? parseIsoMs(b) : undefined;
	if (aMs !== undefined && bMs !== undefined) return aMs - bMs;
	const left = String(a).toLowerCase();
	const right = b.toLowerCase();
	return left < right ? -1 : left > right ? 1 : 0;
}

function matchesClause(record: unknown, clause: FilterClause): boolean {
	const raw = valueAt(record, clause.path);
	const candidates = Array.isArray(raw) ? raw : [raw];
	const matched = candidates.some((candidate) =>
		clause.values.some((value) => {
			if (candidate === undefined || candidate === null) return value.kind === 'eq' && (value.value === 'null' || value.value === '');
			if (value.kind === 'eq') return String(candidate).toLowerCase() === value.value.toLowerCase();
			return (value.from === undefined || compareLoose(candidate, value.from) >= 0) && (value.to === undefined || compareLoose(candidate, value.to) <= 0);
		}),
	);
	return clause.negate ? !matched : matched;
}

function parseSort(text: string): Array<{ path: string[]; descending: boolean }> {
	return text
		.split(',')
		.map((part) => part.trim())
		.filter((part) => part !== '')
		.map((part) => ({ path: splitPath(part.replace(/^[-+]/, '')), descending: part.startsWith('-') }));
}

function compareValues(a: unknown, b: unknown): number {
	// [I] nulls first in ascending order.
	if (a === b) return 0;
	if (a === undefined || a === null) return -1;
	if (b === undefined || b === null) return 1;
	if (typeof a === 'number' && typeof b === 'number') return a - b;
	const left = String(a);
	const right = String(b);
	return left < right ? -1 : left > right ? 1 : 0;
}

function sortBy<T>(items: T[], keys: Array<{ path: string[]; descending: boolean }>, view: (item: T) => unknown): T[] {
	return items
		.map((item, index) => ({ item, index }))
		.sort((x, y) => {
			for (const key of keys) {
				const order = compareValues(valueAt(view(x.item), key.path), valueAt(view(y.item), key.path));
				if (order !== 0) return key.descending ? -order : order;
			}
			return x.index - y.index;
		})
		.map((entry) => entry.item);
}

/** `q`: a partial, case-insensitive search of the text fields. */
function matchesQuery(record: unknown, q: string): boolean {
	const needle = q.toLowerCase();
	const visit = (value: unknown): boolean => {
		if (typeof value === 'string') return value.toLowerCase().includes(needle);
		if (Array.isArray(value)) return value.some(visit);
		if (isPlainObject(value)) return Object.values(value).some(visit);
		return false;
	};
	return visit(record);
}

/** Leaf paths (`a/b`) of an object: nested objects are walked, arrays are leaves. */
function leafPaths(value: Record<string, unknown>, prefix = ''): string[] {
	const paths: string[] = [];
	for (const [key, child] of Object.entries(value)) {
		const path = prefix === '' ? key : `${prefix}/${key}`;
		if (isPlainObject(child) && Object.keys(child).length > 0) paths.push(...leafPaths(child, path));
		else paths.push(path);
	}
	return paths;
}

/** `fields` as Rebilly spells them (`averageValue/amount`), kept nested in json/xml. */
function pickFields(record: Record<string, unknown>, fields: string[]): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	for (const field of fields) {
		const path = field.split('/').filter((part) => part !== '');
		if (path.length === 0) continue;
		let target = out;
		for (const key of path.slice(0, -1)) {
			if (!isPlainObject(target[key])) target[key] = {};
			target = target[key] as Record<string, unknown>;
		}
		const value = valueAt(record, path);
		target[path[path.length - 1]] = value === undefined ? null : structuredClone(value);
	}
	return out;
}

// ---------------------------------------------------------------------------------------------
// Records

interface GenContext {
	n: number;
	id: string;
	/** The resource's date field value (ms). */
	atMs: number;
}

const FIRST_NAMES = ['Anna', 'José', 'Zoë', 'Mei', 'Oluwaseun', 'Łukasz', 'Chloé', 'Björn', 'Aoife', 'Taro'];
const LAST_NAMES = ['Smith', "O'Brien", 'García', 'Müller', 'Nguyen', 'Smith, Jr.', 'Dubois', '田中', 'Kowalski', 'Ní Bhriain'];
const DESCRIPTIONS = ['Monthly plan', 'Setup fee, one-time', 'Pro plan "Gold"', 'Line one\nLine two', 'Café crème subscription', 'Renewal <annual> & more'];
const CURRENCIES = ['USD', 'EUR', 'GBP', 'CAD'];
const WEBSITE_ID = 'web_01HV7DE4Z26DQSA1AC92FBJ7SE';

function pick<T>(list: readonly T[], n: number, salt = 0): T {
	return list[(n * 7 + salt * 13 + Math.floor(n / list.length)) % list.length];
}

function amountOf(n: number, salt = 0): number {
	return Math.round((((n * 7919 + salt * 104729) % 49_000) + 100) / 10) / 10 + 0.05 * (n % 2);
}

function refId(prefix: string, n: number): string {
	return derivedId(prefix, 1_700_000_000_000 + n * 60_000, `${prefix}:${n}`);
}

function person(n: number): { firstName: string; lastName: string; email: string } {
	const firstName = pick(FIRST_NAMES, n);
	const lastName = pick(LAST_NAMES, n, 1);
	return { firstName, lastName, email: `customer${n}@example.com` };
}

function address(n: number): Record<string, unknown> {
	const p = person(n);
	return {
		firstName: p.firstName,
		lastName: p.lastName,
		organization: n % 3 === 0 ? 'Acme, Inc.' : null,
		address: `${10 + (n % 90)} Main Street`,
		city: pick(['Montréal', 'Austin', 'Berlin', 'Dublin'], n),
		region: null,
		country: pick(['CA', 'US', 'DE', 'IE'], n),
		postalCode: String(10000 + ((n * 37) % 89999)),
	};
}

const GENERATORS: Record<RebillyResource, (ctx: GenContext) => Record<string, unknown>> = {
	customers: ({ n, id, atMs }) => {
		const p = person(n);
		const currency = pick(CURRENCIES, n);
		return {
			id,
			email: p.email,
			firstName: p.firstName,
			lastName: p.lastName,
			websiteId: WEBSITE_ID,
			primaryAddress: address(n),
			averageValue: { currency, amount: amountOf(n), amountUsd: amountOf(n) },
			lifetimeRevenue: { currency, amount: amountOf(n, 3) * 4, amountUsd: amountOf(n, 3) * 4 },
			paymentCount: n % 12,
			invoiceCount: n % 9,
			lastPaymentTime: n % 4 === 0 ? null : iso(atMs + HOUR),
			tags: n % 2 === 0 ? ['vip'] : [],
			customFields: {},
			createdTime: iso(atMs),
			updatedTime: iso(atMs + 2 * HOUR),
		};
	},
	subscriptions: ({ n, id, atMs }) => ({
		id,
		orderType: 'subscription-order',
		customerId: refId('cus', n),
		websiteId: WEBSITE_ID,
		status: pick(['active', 'active', 'canceled', 'churned', 'paused'], n),
		billingStatus: pick(['paid', 'unpaid', 'past-due'], n),
		currency: pick(CURRENCIES, n),
		recurringInterval: { unit: 'month', length: 1 },
		rebillNumber: n % 7,
		startTime: iso(atMs),
		activationTime: iso(atMs + MINUTE),
		renewalTime: iso(atMs + 30 * DAY),
		churnTime: null,
		createdTime: iso(atMs),
		updatedTime: iso(atMs + HOUR),
	}),
	transactions: ({ n, id, atMs }) => ({
		id,
		type: pick(['sale', 'sale', 'authorize', 'refund'], n),
		status: 'completed',
		result: n % 5 === 4 ? 'declined' : 'approved',
		amount: amountOf(n),
		currency: pick(CURRENCIES, n),
		customerId: refId('cus', n),
		websiteId: WEBSITE_ID,
		gatewayName: 'TestProcessor',
		description: pick(DESCRIPTIONS, n),
		billingAddress: address(n),
		invoiceIds: [refId('in', n)],
		isRebill: n % 3 === 0,
		rebillNumber: n % 3,
		// processedTime is the export's default date field; created a little before.
		processedTime: iso(atMs),
		createdTime: iso(atMs - 5 * SECOND),
		updatedTime: iso(atMs + MINUTE),
	}),
	invoices: ({ n, id, atMs }) => {
		const amount = amountOf(n);
		const paid = n % 3 !== 2;
		return {
			id,
			invoiceNumber: 1000 + n,
			customerId: refId('cus', n),
			websiteId: WEBSITE_ID,
			subscriptionId: refId('sub', n),
			type: pick(['initial', 'renewal', 'one-time'], n),
			status: paid ? 'paid' : 'past-due',
			currency: pick(CURRENCIES, n),
			amount,
			amountDue: paid ? 0 : amount,
			subtotalAmount: amount,
			billingAddress: address(n),
			notes: n % 4 === 0 ? pick(DESCRIPTIONS, n) : null,
			issuedTime: iso(atMs),
			dueTime: iso(atMs + 14 * DAY),
			paidTime: paid ? iso(atMs + HOUR) : null,
			createdTime: iso(atMs - HOUR),
			updatedTime: iso(atMs + HOUR),
		};
	},
	invoiceItems: ({ n, id, atMs }) => {
		const unitPrice = amountOf(n);
		const quantity = 1 + (n % 3);
		return {
			id,
			invoiceId: refId('in', n),
			type: n % 6 === 5 ? 'credit' : 'debit',
			description: pick(DESCRIPTIONS, n),
			unitPrice,
			quantity,
			price: Math.round(unitPrice * quantity * 100) / 100,
			productId: refId('prod', n % 5),
			planId: refId('plan', n % 5),
			subscriptionId: refId('sub', n),
			periodStartTime: iso(atMs),
			periodEndTime: iso(atMs + 30 * DAY),
			// [I] InvoiceItem.yaml has no issuedTime; the export's default date field is the invoice's issue time, carried here.
			issuedTime: iso(atMs),
			createdTime: iso(atMs - HOUR),
			updatedTime: iso(atMs),
		};
	},
	amlChecks: ({ n, id, atMs }) => {
		const p = person(n);
		return {
			id,
			websiteId: WEBSITE_ID,
			status: pick(['pending-review', 'in-review', 'no-match', 'confirmed-match', 'false-positive'], n),
			priority: pick(['low', 'medium', 'high'], n),
			source: pick(['sign-up', 'recurring', 'purchase'], n),
			customer: { id: refId('cus', n), firstName: p.firstName, lastName: p.lastName },
			reviewerId: n % 2 === 0 ? refId('usr', 1) : null,
			reviewTime: n % 2 === 0 ? iso(atMs + DAY) : null,
			createdTime: iso(atMs),
			updatedTime: iso(atMs + HOUR),
		};
	},
	disputes: ({ n, id, atMs }) => ({
		id,
		customerId: refId('cus', n),
		transactionId: refId('txn', n),
		currency: pick(CURRENCIES, n),
		amount: amountOf(n),
		reasonCode: String(4800 + (n % 60)),
		category: pick(['fraud', 'authorization', 'processing-errors', 'consumer-disputes'], n),
		type: pick(['first-chargeback', 'information-request', 'second-chargeback'], n),
		status: pick(['response-needed', 'under-review', 'won', 'lost'], n),
		postedTime: iso(atMs),
		deadlineTime: iso(atMs + 10 * DAY),
		resolvedTime: null,
		createdTime: iso(atMs),
		updatedTime: iso(atMs + HOUR),
	}),
	journalRecords: ({ n, id, atMs }) => ({
		id,
		journalEntryId: refId('jrn_ent', n),
		customerId: refId('cus', n),
		invoiceId: refId('in', n),
		invoiceItemId: refId('ii', n),
		type: n % 4 === 3 ? 'manual' : 'automated',
		estimatedAmount: amountOf(n),
		recognizedAmount: n % 2 === 0 ? amountOf(n) : null,
		debitAccountId: refId('jrn_acc', 1),
		creditAccountId: refId('jrn_acc', 2),
		createdTime: iso(atMs),
		updatedTime: iso(atMs + HOUR),
	}),
	payoutRequests: ({ n, id, atMs }) => ({
		id,
		websiteId: WEBSITE_ID,
		customerId: refId('cus', n),
		paymentInstrumentId: refId('inst', n),
		currency: pick(CURRENCIES, n),
		amount: amountOf(n),
		availableAmount: amountOf(n),
		description: pick(DESCRIPTIONS, n),
		status: pick(['pending', 'ready', 'approved', 'fulfilled', 'canceled'], n),
		createdTime: iso(atMs),
		updatedTime: iso(atMs + HOUR),
	}),
	payoutRequestAllocations: ({ n, id, atMs }) => ({
		id,
		payoutRequestId: refId('pout_req', n),
		paymentInstrumentId: refId('inst', n),
		gatewayAccountId: refId('gateway', 1),
		gatewayName: 'TestProcessor',
		amount: amountOf(n),
		currency: pick(CURRENCIES, n),
		status: pick(['pending', 'queued', 'processing', 'completed', 'failed'], n),
		transactionId: n % 2 === 0 ? refId('txn', n) : null,
		createdTime: iso(atMs),
		updatedTime: iso(atMs + HOUR),
	}),
	users: ({ n, id, atMs }) => {
		const p = person(n);
		return {
			id,
			email: `user${n}@example.com`,
			firstName: p.firstName,
			lastName: p.lastName,
			businessPhone: n % 2 === 0 ? '+1 555 0100' : null,
			mobilePhone: null,
			loginTime: n % 3 === 0 ? null : iso(atMs + DAY),
			createdTime: iso(atMs),
			updatedTime: iso(atMs + HOUR),
		};
	},
};

function assertResource(resource: string): asserts resource is RebillyResource {
	if (!RESOURCE_SET.has(resource)) throw new Error(`Unknown Rebilly resource "${resource}"`);
}

class RecordStore implements RebillyRecords {
	private readonly data = new Map<RebillyResource, Map<string, RebillyRecord>>();
	/** Generated records per resource so far: keeps generated ids and values distinct. */
	private readonly generatedCount = new Map<RebillyResource, number>();

	constructor(private readonly clock: EmulatorClock) {}

	upsert(resource: RebillyResource, input: Record<string, unknown>): RebillyRecord {
		assertResource(resource);
		const map = this.mapOf(resource);
		const nowMs = this.clock.now().getTime();
		const givenId = typeof input.id === 'string' && input.id !== '' ? input.id : undefined;
		const existing = givenId ? map.get(givenId) : undefined;
		const id = givenId ?? newId(REBILLY_ID_PREFIX[resource], nowMs);
		const given = Object.fromEntries(Object.entries(structuredClone(input)).filter(([, value]) => value !== undefined));
		let base: Record<string, unknown>;
		if (existing) base = existing;
		else {
			const n = this.nextIndex(resource);
			const dateField = REBILLY_DEFAULT_DATE_FIELD[resource];
			base = GENERATORS[resource]({ n, id, atMs: parseIsoMs(given[dateField]) ?? nowMs });
		}
		const merged = { ...base, ...given, id } as RebillyRecord;
		if (input.updatedTime === undefined) merged.updatedTime = iso(nowMs);
		map.set(id, merged);
		return structuredClone(merged);
	}

	generate(resource: RebillyResource, count: number, options: RebillyGenerateOptions = {}): RebillyRecord[] {
		assertResource(resource);
		if (!Number.isInteger(count) || count < 0) throw new Error('generate: count must be a non-negative integer');
		const untilMs = options.until?.getTime() ?? this.clock.now().getTime();
		const sinceMs = options.since?.getTime() ?? untilMs - 30 * DAY;
		const span = Math.max(0, untilMs - sinceMs);
		const map = this.mapOf(resource);
		const created: RebillyRecord[] = [];
		for (let k = 0; k < count; k++) {
			const n = this.nextIndex(resource);
			// Evenly spread, whole seconds, the last one at `until`.
			const atMs = Math.floor((sinceMs + (count === 1 ? span : (span * k) / (count - 1))) / SECOND) * SECOND;
			const id = derivedId(REBILLY_ID_PREFIX[resource], atMs, `${resource}:${n}`);
			const record = GENERATORS[resource]({ n, id, atMs }) as RebillyRecord;
			// A record is never updated in the future: the last ones were updated just now.
			const nowMs = this.clock.now().getTime();
			if (typeof record.updatedTime === 'string' && Date.parse(record.updatedTime) > nowMs) record.updatedTime = iso(Math.floor(nowMs / SECOND) * SECOND);
			map.set(id, record);
			created.push(structuredClone(record));
		}
		return created;
	}

	list(resource: RebillyResource): RebillyRecord[] {
		assertResource(resource);
		return Array.from(this.mapOf(resource).values(), (record) => structuredClone(record));
	}

	/** The stored objects themselves (exports read them without copying). */
	raw(resource: RebillyResource): RebillyRecord[] {
		return Array.from(this.mapOf(resource).values());
	}

	get(resource: RebillyResource, id: string): RebillyRecord | undefined {
		assertResource(resource);
		const record = this.mapOf(resource).get(id);
		return record ? structuredClone(record) : undefined;
	}

	count(resource: RebillyResource): number {
		assertResource(resource);
		return this.mapOf(resource).size;
	}

	remove(resource: RebillyResource, id: string): boolean {
		assertResource(resource);
		return this.mapOf(resource).delete(id);
	}

	clear(resource?: RebillyResource): void {
		if (resource === undefined) this.data.clear();
		else {
			assertResource(resource);
			this.data.delete(resource);
		}
	}

	private mapOf(resource: RebillyResource): Map<string, RebillyRecord> {
		let map = this.data.get(resource);
		if (!map) {
			map = new Map();
			this.data.set(resource, map);
		}
		return map;
	}

	private nextIndex(resource: RebillyResource): number {
		const n = this.generatedCount.get(resource) ?? 0;
		this.generatedCount.set(resource, n + 1);
		return n;
	}
}

// ---------------------------------------------------------------------------------------------
// File content

interface RenderOptions {
	resource: RebillyResource;
	format: RebillyFormat;
	/** `fields` as requested (empty = defaults). */
	fields: string[];
	quoteAll: boolean;
	lineEnding: string;
}

function cellText(value: unknown): string {
	if (value === undefined || value === null) return '';
	if (typeof value === 'object') return JSON.stringify(value); // [I] arrays/objects as JSON in one cell
	return String(value);
}

/** RFC 4180: quote a field holding a comma, quote, CR or LF; double the quotes inside. */
function csvField(text: string, quoteAll: boolean): string {
	return quoteAll || /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvColumns(options: RenderOptions, records: Array<Record<string, unknown>>): string[] {
	if (options.fields.length > 0) return options.fields;
	if (options.format !== 'detailed-csv') return DEFAULT_COLUMNS[options.resource];
	// [I] detailed-csv without fields: every leaf field of the records (nested objects as `a/b` columns).
	const seen = new Set<string>();
	const sample = records.length > 0 ? records : [GENERATORS[options.resource]({ n: 0, id: '', atMs: 0 })];
	for (const record of sample) for (const path of leafPaths(record)) seen.add(path);
	return [...seen];
}

function renderCsv(records: Array<Record<string, unknown>>, columns: string[], options: RenderOptions): Buffer {
	const lines = [columns.map((column) => csvField(column, options.quoteAll)).join(',')];
	for (const record of records) {
		lines.push(columns.map((column) => csvField(cellText(valueAt(record, column.split('/'))), options.quoteAll)).join(','));
	}
	return Buffer.from(lines.join(options.lineEnding) + options.lineEnding, 'utf8');
}

function xmlName(name: string): string {
	const cleaned = name.replace(/[^A-Za-z0-9_.-]/g, '_');
	return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

function xmlText(text: string): string {
	// XML 1.0 cannot carry most control characters at all; drop them.
	return text
		.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '')
		.replace(/&/g, '&amp;')
		.replace(/</g, '&lt;')
		.replace(/>/g, '&gt;')
		.replace(/"/g, '&quot;')
		.replace(/'/g, '&apos;');
}

function xmlElement(name: string, value: unknown, indent: string): string {
	const tag = xmlName(name);
	if (value === undefined || value === null) return `${indent}<${tag}/>`;
	if (Array.isArray(value)) {
		if (value.length === 0) return `${indent}<${tag}/>`;
		return `${indent}<${tag}>\n${value.map((item) => xmlElement('item', item, `${indent}  `)).join('\n')}\n${indent}</${tag}>`;
	}
	if (isPlainObject(value)) {
		const children = Object.entries(value);
		if (children.length === 0) return `${indent}<${tag}/>`;
		return `${indent}<${tag}>\n${children.map(([key, child]) => xmlElement(key, child, `${indent}  `)).join('\n')}\n${indent}</${tag}>`;
	}
	return `${indent}<${tag}>${xmlText(String(value))}</${tag}>`;
}

/** [I] A root element named after the resource, one element per record named in the singular. */
function renderXml(records: Array<Record<string, unknown>>, resource: RebillyResource): Buffer {
	const body = records.map((record) => xmlElement(SINGULAR[resource], record, '  ')).join('\n');
	return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<${resource}>${body === '' ? '' : `\n${body}\n`}</${resource}>\n`, 'utf8');
}

function shapeRecords(records: Array<Record<string, unknown>>, fields: string[]): Array<Record<string, unknown>> {
	return fields.length > 0 ? records.map((record) => pickFields(record, fields)) : records;
}

/** One part (or the whole file) in a text format. */
function renderPart(records: Array<Record<string, unknown>>, options: RenderOptions): Buffer {
	switch (options.format) {
		case 'csv':
		case 'detailed-csv':
			return renderCsv(records, csvColumns(options, records), options);
		case 'json':
			return Buffer.from(JSON.stringify(shapeRecords(records, options.fields)), 'utf8');
		case 'json-api': {
			// [I] Rebilly does not document this format; JSON:API resource objects (jsonapi.org) in `data`.
			const data = shapeRecords(records, options.fields).map((shaped, index) => {
				const { id: _omit, ...attributes } = shaped;
				return { type: options.resource, id: String(records[index].id), attributes };
			});
			return Buffer.from(JSON.stringify({ data }), 'utf8');
		}
		case 'xml':
			return renderXml(shapeRecords(records, options.fields), options.resource);
		case 'pdf':
			throw new Error('pdf is rendered per record');
	}
}

/** A one-page PDF 1.4 with Helvetica text lines (byte offsets in the xref table are exact). */
function pdfDocument(lines: string[]): Buffer {
	const escape = (text: string) => text.replace(/[^\x20-\x7E]/g, '?').replace(/[\\()]/g, (char) => `\\${char}`);
	const stream = `BT\n/F1 11 Tf\n14 TL\n50 790 Td\n${lines.map((line) => `(${escape(line)}) Tj T*`).join('\n')}\nET\n`;
	const objects = [
		'<< /Type /Catalog /Pages 2 0 R >>',
		'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
		'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
		'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
		`<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}endstream`,
	];
	let out = '%PDF-1.4\n';
	const offsets: number[] = [];
	objects.forEach((object, index) => {
		offsets.push(Buffer.byteLength(out, 'latin1'));
		out += `${index + 1} 0 obj\n${object}\nendobj\n`;
	});
	const xrefAt = Buffer.byteLength(out, 'latin1');
	out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('')}`;
	out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`;
	return Buffer.from(out, 'latin1');
}

function invoicePdf(record: Record<string, unknown>): Buffer {
	return pdfDocument([
		`Invoice ${cellText(record.invoiceNumber ?? record.id)}`,
		`ID: ${cellText(record.id)}`,
		`Customer: ${cellText(record.customerId)}`,
		`Amount: ${cellText(record.amount)} ${cellText(record.currency)}`,
		`Status: ${cellText(record.status)}`,
		`Issued: ${cellText(record.issuedTime)}`,
	]);
}

const EXTENSION: Record<RebillyFormat, string> = { csv: 'csv', 'detailed-csv': 'csv', json: 'json', 'json-api': 'json', xml: 'xml', pdf: 'pdf' };
// File.yaml `mime` enum: text/csv, application/json, application/zip, application/pdf… [I] xml is not in it.
const MIME: Record<RebillyFormat, string> = { csv: 'text/csv', 'detailed-csv': 'text/csv', json: 'application/json', 'json-api': 'application/json', xml: 'application/xml', pdf: 'application/pdf' };

/** [I] Files are named after the export (`example-part1.csv` in DataExportFileId.yaml). */
function fileBaseName(exportRecord: RebillyExportRecord): string {
	const slug = exportRecord.name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
	return slug === '' ? exportRecord.id : slug;
}

async function zipOf(entries: Array<{ name: string; data: Buffer }>, date: Date): Promise<Buffer> {
	const zip = new JSZip();
	for (const entry of entries) zip.file(entry.name, entry.data, { date, binary: true });
	return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 6 } });
}

async function renderExportFile(
	exportRecord: RebillyExportRecord,
	records: Array<Record<string, unknown>>,
	state: EmulatorState,
): Promise<{ name: string; mime: string; bytes: Buffer; entries: string[] }> {
	const base = fileBaseName(exportRecord);
	const date = state.clock.now();
	if (exportRecord.format === 'pdf') {
		// DataExportFileId.yaml: "pdf exports are always a ZIP archive that contains one PDF per record".
		const entries = records.map((record) => ({ name: `${String(record.id)}.pdf`, data: invoicePdf(record) }));
		return { name: `${base}.zip`, mime: 'application/zip', bytes: await zipOf(entries, date), entries: entries.map((entry) => entry.name) };
	}
	const options: RenderOptions = {
		resource: exportRecord.resource,
		format: exportRecord.format,
		fields: exportRecord.fields,
		quoteAll: state.csvQuoteAll,
		lineEnding: state.csvLineEnding,
	};
	const extension = EXTENSION[exportRecord.format];
	const perFile = state.maxRecordsPerFile;
	if (records.length <= perFile) {
		return { name: `${base}.${extension}`, mime: MIME[exportRecord.format], bytes: renderPart(records, options), entries: [] };
	}
	// Over the limit: a ZIP of numbered parts, each a complete file of its own (DataExportFileId.yaml).
	const entries: Array<{ name: string; data: Buffer }> = [];
	for (let start = 0, part = 1; start < records.length; start += perFile, part++) {
		entries.push({ name: `${base}-part${part}.${extension}`, data: renderPart(records.slice(start, start + perFile), options) });
	}
	return { name: `${base}.zip`, mime: 'application/zip', bytes: await zipOf(entries, date), entries: entries.map((entry) => entry.name) };
}

// ---------------------------------------------------------------------------------------------
// Faults

interface ExportPlan {
	/** Statuses the status GETs answer before the final one. */
	intermediate: RebillyExportStatus[];
	final: 'completed' | 'failed' | 'never';
	failureReason: RebillyFailureReason | null;
}

type ServerFaultTarget = Exclude<RebillyFaultTarget, 'any'>;

interface FaultController extends RebillyFaults {
	takeCreateRateLimit(): number | undefined;
	takeServerError(target: ServerFaultTarget): number | undefined;
	takeExportPlan(defaultPolls: number): ExportPlan;
	takeTruncation(size: number): number | undefined;
	takeStorageForbidden(): boolean;
	isRevoked(signature: string): boolean;
	noteIssued(signature: string): void;
	signedLinkOmitted(): boolean | undefined;
	downloadDirect(): boolean | undefined;
	/** failExport(reason, id) for an existing export. */
	failFor(exportId: string): RebillyFailureReason | undefined;
}

function intermediateStatuses(polls: number): RebillyExportStatus[] {
	const count = Math.max(0, Math.floor(polls));
	return Array.from({ length: count }, (_, index) => (index === 0 ? 'queued' : 'processing'));
}

function createFaults(): FaultController {
	const fresh = () => ({
		createRateLimit: { count: 0, retryAfterSeconds: 1 },
		serverErrors: [] as Array<{ count: number; on: Set<RebillyFaultTarget>; status: number }>,
		nextExport: {} as { polls?: number; never?: boolean; fail?: RebillyFailureReason },
		failById: new Map<string, RebillyFailureReason>(),
		truncate: { count: 0, atBytes: undefined as number | undefined },
		storageForbidden: 0,
		omitSignedLink: undefined as boolean | undefined,
		downloadDirect: undefined as boolean | undefined,
	});
	let state = fresh();
	const issued = new Set<string>();
	const revoked = new Set<string>();
	return {
		rateLimitCreates: (count, retryAfterSeconds = 1) => {
			state.createRateLimit = { count, retryAfterSeconds };
		},
		serverErrors: (count, options = {}) => {
			const on = Array.isArray(options.on) ? options.on : [options.on ?? 'any'];
			state.serverErrors.push({ count, on: new Set(on), status: options.status ?? 500 });
		},
		failExport: (reason = 'max-retries-reached', exportId) => {
			if (exportId === undefined) state.nextExport.fail = reason;
			else state.failById.set(exportId, reason);
		},
		pollsUntilDone: (polls) => {
			state.nextExport.polls = polls;
		},
		neverFinish: () => {
			state.nextExport.never = true;
		},
		truncateDownload: (count, atBytes) => {
			state.truncate = { count, atBytes };
		},
		expireSignedLinks: () => {
			for (const signature of issued) revoked.add(signature);
		},
		storageForbidden: (count) => {
			state.storageForbidden = count;
		},
		omitSignedLink: (omit = true) => {
			state.omitSignedLink = omit;
		},
		serveDownloadFromApi: (direct = true) => {
			state.downloadDirect = direct;
		},
		reset: () => {
			state = fresh();
			revoked.clear();
		},
		takeCreateRateLimit: () => {
			if (state.createRateLimit.count <= 0) return undefined;
			state.createRateLimit.count--;
			return state.createRateLimit.retryAfterSeconds;
		},
		takeServerError: (target) => {
			const fault = state.serverErrors.find((entry) => entry.count > 0 && (entry.on.has(target) || (entry.on.has('any') && target !== 'storage')));
			if (!fault) return undefined;
			fault.count--;
			return fault.status;
		},
		takeExportPlan: (defaultPolls) => {
			const next = state.nextExport;
			state.nextExport = {};
			const final = next.never ? 'never' : next.fail ? 'failed' : 'completed';
			return { intermediate: intermediateStatuses(next.polls ?? defaultPolls), final, failureReason: next.fail ?? null };
		},
		takeTruncation: (size) => {
			if (state.truncate.count <= 0) return undefined;
			state.truncate.count--;
			return Math.min(state.truncate.atBytes ?? Math.floor(size / 2), size);
		},
		takeStorageForbidden: () => state.storageForbidden > 0 && state.storageForbidden-- > 0,
		isRevoked: (signature) => revoked.has(signature),
		noteIssued: (signature) => {
			issued.add(signature);
		},
		signedLinkOmitted: () => state.omitSignedLink,
		downloadDirect: () => state.downloadDirect,
		failFor: (exportId) => state.failById.get(exportId),
	};
}

// ---------------------------------------------------------------------------------------------
// Emulator state

interface ExportRuntime {
	record: RebillyExportRecord;
	plan: ExportPlan;
	/** Serializes the file build of concurrent polls. */
	building?: Promise<void>;
}

interface RateWindow {
	startMs: number;
	used: number;
}

interface Credentials {
	apiKey: string;
	jwt: string;
	restrictedApiKey: string;
}

interface EmulatorState {
	clock: EmulatorClock;
	records: RecordStore;
	faults: FaultController;
	credentials: Credentials;
	organizationIds: Set<string>;
	userId: string;
	userCreatedMs: number;
	exports: Map<string, ExportRuntime>;
	files: Map<string, RebillyStoredFile>;
	requests: RebillyLoggedRequest[];
	apiOrigin: string;
	storageOrigin: string;
	signingSecret: string;
	accessKeyId: string;
	defaultPolls: number;
	autoCompleteAfterMs?: number;
	maxRecords: number;
	maxRecordsPerFile: number;
	signedLinkTtlMs: number;
	signedLink: boolean;
	download: 'redirect' | 'direct';
	rateLimit: RebillyRateLimit | false;
	rateWindows: Map<string, RateWindow>;
	csvQuoteAll: boolean;
	csvLineEnding: string;
	strictFields: boolean;
}

function orgBase(state: EmulatorState, organizationId: string): string {
	return `${state.apiOrigin}/organizations/${encodeURIComponent(organizationId)}`;
}

// ---------------------------------------------------------------------------------------------
// Problems (RFC 9457 problem details; ad ProblemTypes/*.yaml)

class ProblemError extends Error {
	constructor(
		readonly status: number,
		readonly body: Record<string, unknown>,
		readonly headers: Record<string, string> = {},
	) {
		super(String(body.detail ?? body.title ?? status));
	}
}

function problem(status: number, title: string, detail: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): ProblemError {
	return new ProblemError(status, { type: PROBLEM_TYPE, title, status, detail, ...extra }, headers);
}

interface InvalidField {
	field: string;
	message: string;
}

/** ad ProblemTypes/ValidationError.yaml (title "Validation error", status 422, invalidFields). */
function validationError(invalidFields: InvalidField[], detail = 'Invalid data sent.'): ProblemError {
	return problem(422, 'Validation error', detail, { invalidFields });
}

// ---------------------------------------------------------------------------------------------
// Validation of a DataExport body (ad *DataExport.yaml and the schemas they reference)

interface ValidatedExport {
	name: string;
	resource: RebillyResource;
	format: RebillyFormat;
	arguments: { filter?: string; sort?: string; q?: string };
	emailNotification: string[];
	fields: string[];
	recurring?: { instruction: string; start?: string };
	dateRange?: { start: string; end: string; field: string };
	resolvedRange?: { startMs: number; endMs: number; field: string };
	filter: FilterClause[];
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const RRULE_FREQ = /(^|[;:])FREQ=(SECONDLY|MINUTELY|HOURLY|DAILY|WEEKLY|MONTHLY|YEARLY)(;|$)/i;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

function validateExportBody(state: EmulatorState, body: Record<string, unknown>): ValidatedExport {
	const errors: InvalidField[] = [];
	const add = (field: string, message: string) => errors.push({ field, message });
	const nowDate = state.clock.now();

	const name = body.name;
	if (name === undefined || name === null) add('name', 'name is required');
	else if (typeof name !== 'string' || name.trim() === '') add('name', 'name must be a non-empty string');
	else if (name.length > NAME_MAX_LENGTH) add('name', `name must be at most ${NAME_MAX_LENGTH} characters long`);

	const resource = body.resource;
	let knownResource: RebillyResource | undefined;
	if (resource === undefined || resource === null) add('resource', 'resource is required');
	else if (typeof resource !== 'string' || !RESOURCE_SET.has(resource)) add('resource', `resource must be one of: ${REBILLY_RESOURCES.join(', ')}`);
	else knownResource = resource as RebillyResource;

	const format = body.format;
	if (format === undefined || format === null) add('format', 'format is required');
	else if (typeof format !== 'string' || !ALL_FORMATS.has(format)) add('format', 'format must be one of: csv, json, json-api, xml, detailed-csv, pdf');
	else if (knownResource && !REBILLY_FORMATS_BY_RESOURCE[knownResource].includes(format as RebillyFormat)) {
		add('format', `format "${format}" is not available for ${knownResource}; use one of: ${REBILLY_FORMATS_BY_RESOURCE[knownResource].join(', ')}`);
	}

	const args: { filter?: string; sort?: string; q?: string } = {};
	let filter: FilterClause[] = [];
	if (body.arguments !== undefined && body.arguments !== null) {
		if (!isPlainObject(body.arguments)) add('arguments', 'arguments must be an object');
		else {
			for (const key of ['filter', 'sort', 'q'] as const) {
				const value = body.arguments[key];
				if (value === undefined || value === null) continue;
				if (typeof value !== 'string') add(`arguments.${key}`, `arguments.${key} must be a string`);
				else args[key] = value;
			}
			if (args.filter !== undefined) {
				try {
					filter = parseFilter(args.filter);
				} catch (error) {
					if (!(error instanceof FilterSyntaxError)) throw error;
					add('arguments.filter', `arguments.filter is invalid: ${error.message}`);
				}
			}
		}
	}

	const emailNotification: string[] = [];
	if (body.emailNotification !== undefined && body.emailNotification !== null) {
		if (!Array.isArray(body.emailNotification)) add('emailNotification', 'emailNotification must be an array of email addresses');
		else
			body.emailNotification.forEach((email, index) => {
				if (typeof email !== 'string' || !EMAIL.test(email)) add(`emailNotification.${index}`, 'must be a valid email address');
				else emailNotification.push(email);
			});
	}

	const fields: string[] = [];
	if (body.fields !== undefined && body.fields !== null) {
		if (!Array.isArray(body.fields)) add('fields', 'fields must be an array of strings');
		else
			body.fields.forEach((field, index) => {
				if (typeof field !== 'string' || field.trim() === '') add(`fields.${index}`, 'must be a non-empty string');
				else fields.push(field);
			});
		if (state.strictFields && knownResource) {
			const known = new Set(leafPaths(GENERATORS[knownResource]({ n: 0, id: '', atMs: 0 })));
			fields.forEach((field, index) => {
				const isKnown = known.has(field) || [...known].some((path) => path.startsWith(`${field}/`));
				if (!isKnown) add(`fields.${index}`, `unknown field "${field}" for ${knownResource}`);
			});
		}
	}

	let recurring: { instruction: string; start?: string } | undefined;
	if (body.recurring !== undefined && body.recurring !== null) {
		if (!isPlainObject(body.recurring)) add('recurring', 'recurring must be an object');
		else {
			const { instruction, start } = body.recurring;
			if (instruction === undefined || instruction === null) add('recurring.instruction', 'recurring.instruction is required');
			else if (typeof instruction !== 'string' || !RRULE_FREQ.test(instruction)) add('recurring.instruction', 'recurring.instruction must be an RFC 5545 recurrence rule, e.g. RRULE:FREQ=DAILY');
			if (start !== undefined && start !== null && (typeof start !== 'string' || !DATE_TIME.test(start) || Number.isNaN(Date.parse(start)))) {
				add('recurring.start', 'recurring.start must be a date-time');
			}
			if (typeof instruction === 'string' && RRULE_FREQ.test(instruction)) recurring = { instruction, ...(typeof start === 'string' ? { start } : {}) };
		}
	}

	let dateRange: { start: string; end: string; field: string } | undefined;
	let resolvedRange: { startMs: number; endMs: number; field: string } | undefined;
	if (body.dateRange !== undefined && body.dateRange !== null) {
		if (!isPlainObject(body.dateRange)) add('dateRange', 'dateRange must be an object');
		else {
			const { start, end, field } = body.dateRange;
			const resolved: Partial<Record<'start' | 'end', number>> = {};
			for (const [key, value] of [
				['start', start],
				['end', end],
			] as const) {
				if (value === undefined || value === null) add(`dateRange.${key}`, `dateRange.${key} is required`);
				else if (typeof value !== 'string') add(`dateRange.${key}`, `dateRange.${key} must be a string`);
				else {
					const parsed = parseRebillyDate(value, nowDate);
					if (!parsed) add(`dateRange.${key}`, `dateRange.${key} "${value}" is not a valid date or relative date format`);
					else resolved[key] = parsed.getTime();
				}
			}
			let dateField: string | undefined = knownResource ? REBILLY_DEFAULT_DATE_FIELD[knownResource] : undefined;
			if (field !== undefined && field !== null) {
				if (typeof field !== 'string') add('dateRange.field', 'dateRange.field must be a string');
				else if (knownResource && !REBILLY_DATE_FIELDS[knownResource].includes(field)) {
					add('dateRange.field', `dateRange.field "${field}" cannot be used for ${knownResource}; use one of: ${REBILLY_DATE_FIELDS[knownResource].join(', ')}`);
				} else dateField = field;
			}
			if (typeof start === 'string' && typeof end === 'string' && dateField) {
				dateRange = { start, end, field: dateField };
				if (resolved.start !== undefined && resolved.end !== undefined) resolvedRange = { startMs: resolved.start, endMs: resolved.end, field: dateField };
			}
		}
	}

	if (errors.length > 0) throw validationError(errors);
	return {
		name: name as string,
		resource: knownResource as RebillyResource,
		format: format as RebillyFormat,
		arguments: args,
		emailNotification,
		fields,
		recurring,
		dateRange,
		resolvedRange,
		filter,
	};
}

/** The records an export takes, in file order. */
function selectRecords(state: EmulatorState, spec: { resource: RebillyResource; arguments: { filter?: string; sort?: string; q?: string }; resolvedRange?: { startMs: number; endMs: number; field: string } }): RebillyRecord[] {
	const range = spec.resolvedRange;
	const clauses = spec.arguments.filter ? parseFilter(spec.arguments.filter) : [];
	const q = spec.arguments.q;
	const selected = state.records.raw(spec.resource).filter((record) => {
		if (range) {
			const at = parseIsoMs(record[range.field]);
			// [I] half-open [start, end): `yesterday`..`today` does not take today's midnight twice.
			if (at === undefined || at < range.startMs || at >= range.endMs) return false;
		}
		if (!clauses.every((clause) => matchesClause(record, clause))) return false;
		return q === undefined || q === '' || matchesQuery(record, q);
	});
	const dateField = range?.field ?? REBILLY_DEFAULT_DATE_FIELD[spec.resource];
	// [I] default order: the date field, then id.
	const keys = spec.arguments.sort ? parseSort(spec.arguments.sort) : [{ path: [dateField], descending: false }, { path: ['id'], descending: false }];
	return sortBy(selected, keys, (record) => record);
}

// ---------------------------------------------------------------------------------------------
// Export lifecycle

function planIndex(state: EmulatorState, runtime: ExportRuntime): number {
	const steps = runtime.plan.intermediate.length + 1;
	let index = Math.min(runtime.record.polls, steps);
	if (state.autoCompleteAfterMs !== undefined) {
		const age = state.clock.now().getTime() - runtime.record.createdTime.getTime();
		const byTime = state.autoCompleteAfterMs <= 0 ? steps : Math.min(steps, Math.floor((age * steps) / state.autoCompleteAfterMs));
		index = Math.max(index, byTime);
	}
	return index;
}

/** Brings the status up to date (polls, time); builds the file when the export completes. */
async function refresh(state: EmulatorState, runtime: ExportRuntime): Promise<void> {
	const record = runtime.record;
	if (record.status === 'completed' || record.status === 'failed') return;
	const forcedFailure = state.faults.failFor(record.id);
	if (forcedFailure) {
		runtime.plan = { ...runtime.plan, final: 'failed', failureReason: forcedFailure };
	}
	const index = planIndex(state, runtime);
	const steps = runtime.plan.intermediate.length;
	let next: RebillyExportStatus;
	if (index === 0) next = 'pending';
	else if (index <= steps) next = runtime.plan.intermediate[index - 1];
	else if (runtime.plan.final === 'never') next = 'processing';
	else next = runtime.plan.final;
	if (next === record.status) return;
	if (next === 'failed') {
		record.status = 'failed';
		record.failureReason = runtime.plan.failureReason ?? 'max-retries-reached';
		record.fileId = null;
		record.recordCount = 0; // as the data-export-failed webhook says
		record.updatedTime = state.clock.now();
		return;
	}
	if (next !== 'completed') {
		record.status = next;
		record.updatedTime = state.clock.now();
		return;
	}
	runtime.building ??= buildFile(state, runtime);
	await runtime.building;
}

async function addCompletedExports(state: EmulatorState, organizationId: string, body: Record<string, unknown>, count: number, completedAt?: (index: number) => Date): Promise<RebillyExportRecord[]> {
	const validated = validateExportBody(state, body);
	checkRecordLimit(state, validated);
	const added: RebillyExportRecord[] = [];
	for (let index = 0; index < count; index++) {
		const at = completedAt?.(index) ?? state.clock.now();
		const runtime: ExportRuntime = {
			record: newExportRecord(state, organizationId, newId('exp', at.getTime()), validated, body),
			plan: { intermediate: [], final: 'completed', failureReason: null },
		};
		await buildFile(state, runtime);
		Object.assign(runtime.record, { scheduledTime: at, createdTime: at, updatedTime: at });
		state.exports.set(runtime.record.id, runtime);
		added.push(runtime.record);
	}
	return added;
}

async function buildFile(state: EmulatorState, runtime: ExportRuntime): Promise<void> {
	const record = runtime.record;
	const records = selectRecords(state, record);
	const rendered = await renderExportFile(record, records, state);
	const nowMs = state.clock.now().getTime();
	const fileId = newId('file', nowMs);
	state.files.set(fileId, {
		id: fileId,
		organizationId: record.organizationId,
		exportId: record.id,
		name: rendered.name,
		mime: rendered.mime,
		bytes: rendered.bytes,
		createdTime: new Date(nowMs),
		entries: rendered.entries,
	});
	record.fileId = fileId;
	record.recordCount = records.length;
	record.status = 'completed';
	record.failureReason = null;
	record.updatedTime = new Date(nowMs);
}

function fileJson(state: EmulatorState, file: RebillyStoredFile): Record<string, unknown> {
	const base = orgBase(state, file.organizationId);
	const links: Array<Record<string, string>> = [
		{ rel: 'self', href: `${base}/files/${file.id}` },
		{ rel: 'download', href: `${base}/files/${file.id}/download` },
	];
	if (signedLinkEnabled(state)) links.push({ rel: 'signedLink', href: signedUrl(state, file) });
	// ad File.yaml
	return {
		id: file.id,
		name: file.name,
		extension: file.name.slice(file.name.lastIndexOf('.') + 1),
		description: '',
		sourceType: null,
		tags: [],
		mime: file.mime,
		size: file.bytes.length,
		width: null,
		height: null,
		sha1: createHash('sha1').update(file.bytes).digest('hex'),
		exifData: null,
		createdTime: iso(file.createdTime.getTime()),
		updatedTime: iso(file.createdTime.getTime()),
		isPublic: false,
		_links: links,
	};
}

function userJson(state: EmulatorState): Record<string, unknown> {
	// ad User.yaml (a subset)
	return {
		id: state.userId,
		email: 'api.user@example.com',
		firstName: 'Api',
		lastName: 'User',
		businessPhone: null,
		mobilePhone: null,
		createdTime: iso(state.userCreatedMs),
		updatedTime: iso(state.userCreatedMs),
		loginTime: iso(state.userCreatedMs),
	};
}

function signedLinkEnabled(state: EmulatorState): boolean {
	const omitted = state.faults.signedLinkOmitted();
	return omitted === undefined ? state.signedLink : !omitted;
}

/** `withLinks` false: without `_links`, whose signed link costs a signature (the list filters and sorts every export). */
function exportJson(state: EmulatorState, runtime: ExportRuntime, expand: string[], withLinks = true): Record<string, unknown> {
	const record = runtime.record;
	const base = orgBase(state, record.organizationId);
	// ad *DataExport.yaml `_links`: items {href, rel ∈ self | user | download | signedLink}.
	const links: Array<Record<string, string>> = [
		{ rel: 'self', href: `${base}/experimental/data-exports/${record.id}` },
		{ rel: 'user', href: `${base}/users/${record.userId}` },
	];
	const file = record.fileId ? state.files.get(record.fileId) : undefined;
	if (withLinks && record.status === 'completed' && file) {
		links.push({ rel: 'download', href: `${base}/files/${file.id}/download` });
		if (signedLinkEnabled(state)) links.push({ rel: 'signedLink', href: signedUrl(state, file) });
	}
	const body: Record<string, unknown> = {
		id: record.id,
		name: record.name,
		resource: record.resource,
		format: record.format,
		arguments: { ...record.arguments },
		emailNotification: [...record.emailNotification],
		fields: [...record.fields],
	};
	if (record.recurring) body.recurring = { ...record.recurring };
	Object.assign(body, {
		userId: record.userId,
		fileId: record.fileId,
		recordCount: record.recordCount,
		scheduledTime: iso(record.scheduledTime.getTime()),
		createdTime: iso(record.createdTime.getTime()),
		updatedTime: iso(record.updatedTime.getTime()),
		status: record.status,
		failureReason: record.failureReason,
	});
	if (record.dateRange) body.dateRange = { ...record.dateRange };
	if (withLinks) body._links = links;
	const embedded: Record<string, unknown> = {};
	if (expand.includes('file') && file) embedded.file = fileJson(state, file);
	if (expand.includes('user')) embedded.user = userJson(state);
	if (expand.length > 0) body._embedded = embedded;
	return body;
}

// ---------------------------------------------------------------------------------------------
// Signed storage links: an S3-style presigned URL [I: the spec says only "signedLink"].

function storagePath(file: RebillyStoredFile): string {
	return `/${BUCKET}/${encodeURIComponent(file.organizationId)}/${file.id}/${encodeURIComponent(file.name)}`;
}

function signatureOf(state: EmulatorState, path: string, date: string, expires: string, token: string): string {
	return createHmac('sha256', state.signingSecret).update(`GET\n${path}\n${date}\n${expires}\n${token}`).digest('hex');
}

function signedUrl(state: EmulatorState, file: RebillyStoredFile): string {
	const nowMs = state.clock.now().getTime();
	const date = amzDate(nowMs);
	const expires = String(Math.max(1, Math.ceil(state.signedLinkTtlMs / SECOND)));
	// A per-link session token (as with temporary AWS credentials) keeps every link distinct.
	const token = randomBytes(18).toString('base64url');
	const path = storagePath(file);
	const signature = signatureOf(state, path, date, expires, token);
	state.faults.noteIssued(signature);
	const query = new URLSearchParams({
		'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
		'X-Amz-Credential': `${state.accessKeyId}/${date.slice(0, 8)}/${S3_REGION}/s3/aws4_request`,
		'X-Amz-Date': date,
		'X-Amz-Expires': expires,
		'X-Amz-SignedHeaders': 'host',
		'X-Amz-Security-Token': token,
		'X-Amz-Signature': signature,
	});
	return `${state.storageOrigin}${path}?${query.toString()}`;
}

// ---------------------------------------------------------------------------------------------
// API server

interface Route {
	kind: 'collection' | 'item' | 'download' | 'file';
	target: ServerFaultTarget;
	id?: string;
}

function matchRoute(method: string, rest: string): Route | { allow: string } | undefined {
	if (rest === 'experimental/data-exports') {
		if (method === 'GET' || method === 'HEAD') return { kind: 'collection', target: 'list' };
		if (method === 'POST') return { kind: 'collection', target: 'create' };
		return { allow: 'GET, POST' };
	}
	let m = /^experimental\/data-exports\/([^/]+)$/.exec(rest);
	if (m) {
		const id = decodeURIComponent(m[1]);
		if (method === 'GET' || method === 'HEAD') return { kind: 'item', target: 'status', id };
		if (method === 'PUT') return { kind: 'item', target: 'update', id };
		if (method === 'DELETE') return { kind: 'item', target: 'delete', id };
		return { allow: 'GET, PUT, DELETE' };
	}
	m = /^files\/([^/]+)\/download$/.exec(rest);
	if (m) {
		if (method === 'GET' || method === 'HEAD') return { kind: 'download', target: 'download', id: decodeURIComponent(m[1]) };
		return { allow: 'GET' };
	}
	// ad openapi.yaml '/files/{id}' (File.yaml): the `self` link of an export's file. Only GET is emulated.
	m = /^files\/([^/]+)$/.exec(rest);
	if (m) {
		if (method === 'GET' || method === 'HEAD') return { kind: 'file', target: 'download', id: decodeURIComponent(m[1]) };
		return { allow: 'GET' };
	}
	return undefined;
}

interface ApiContext {
	state: EmulatorState;
	req: http.IncomingMessage;
	res: http.ServerResponse;
	url: URL;
	organizationId: string;
	/** X-RateLimit-* headers for this answer. */
	rateHeaders: Record<string, string>;
	raw: Buffer;
}

function reply(ctx: ApiContext, status: number, body: unknown, headers: Record<string, string> = {}): void {
	sendJson(ctx.res, status, body, { headers: { ...ctx.rateHeaders, ...headers } });
}

/** [I] 5xx answers: a problem JSON from the API for 500, a proxy's HTML page for 502/503/504. */
function sendServerError(res: http.ServerResponse, status: number): void {
	if (status === 502 || status === 503 || status === 504) {
		const reason = status === 502 ? 'Bad Gateway' : status === 503 ? 'Service Temporarily Unavailable' : 'Gateway Time-out';
		sendText(res, status, `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n</body>\r\n</html>\r\n`, 'text/html', { Server: 'nginx' });
		return;
	}
	const title = status === 500 ? 'Internal Server Error' : `Emulated fault ${status}`;
	sendJson(res, status, { type: PROBLEM_TYPE, title, status, detail: 'Emulated server error.' });
}

async function handleApi(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
	const entry: RebillyLoggedRequest = logRequest(state.requests, 'api', req);
	const raw = await readBody(req);
	if (raw.length > 0) entry.body = raw.toString('utf8');
	const method = req.method ?? 'GET';
	const url = new URL(req.url ?? '/', 'http://emulator.invalid');
	const ctx: ApiContext = { state, req, res, url, organizationId: '', rateHeaders: {}, raw };
	try {
		const match = /^\/organizations\/([^/]+)\/(.+?)\/?$/.exec(url.pathname);
		if (!match) throw problem(404, 'Not Found', `No resource at ${url.pathname}. API paths start with /organizations/{organizationId}/.`);
		ctx.organizationId = decodeURIComponent(match[1]);
		const route = matchRoute(method, match[2]);
		if (route && 'kind' in route) {
			// [I] an injected 5xx stands for a failing edge or backend: it comes before authentication.
			const status = state.faults.takeServerError(route.target);
			if (status !== undefined) return sendServerError(res, status);
		}
		const apiKey = authenticate(state, req);
		// ad: every operation lists 403 Forbidden, and POST/PUT list no 404: an organization the caller does not
		// belong to is a 403 [I].
		if (!state.organizationIds.has(ctx.organizationId)) throw problem(403, 'Forbidden', `You do not have access to organization ${ctx.organizationId}.`);
		applyRateLimit(ctx, method, route && 'kind' in route ? route.target : undefined);
		if (!route) throw problem(404, 'Not Found', `No resource at ${url.pathname}.`);
		if ('allow' in route) throw problem(405, 'Method Not Allowed', `${method} is not allowed here.`, {}, { Allow: route.allow });
		if (apiKey === state.credentials.restrictedApiKey) throw problem(403, 'Forbidden', 'The API key has no permission for this operation.');
		switch (route.kind) {
			case 'collection':
				return method === 'POST' ? createExport(ctx) : listExports(ctx);
			case 'item':
				if (method === 'PUT') return await updateExport(ctx, route.id as string);
				if (method === 'DELETE') return deleteExport(ctx, route.id as string);
				return await getExport(ctx, route.id as string);
			case 'download':
				return downloadFile(ctx, route.id as string);
			case 'file':
				return reply(ctx, 200, fileJson(state, findFile(ctx, route.id as string)));
		}
	} catch (error) {
		if (error instanceof ProblemError) return reply(ctx, error.status, error.body, error.headers);
		throw error;
	}
}

/** REB-APIKEY (SecretApiKey) or `Authorization: Bearer <JWT>`; returns the API key used, or '' for the JWT. */
function authenticate(state: EmulatorState, req: http.IncomingMessage): string {
	const apiKey = headerValue(req, 'reb-apikey');
	if (apiKey !== undefined && (apiKey === state.credentials.apiKey || apiKey === state.credentials.restrictedApiKey)) return apiKey;
	const authorization = headerValue(req, 'authorization');
	const bearer = authorization === undefined ? undefined : /^Bearer\s+(.+)$/i.exec(authorization.trim())?.[1];
	if (bearer !== undefined && bearer === state.credentials.jwt) return '';
	const detail =
		apiKey === undefined && authorization === undefined
			? 'Authentication required: send a secret API key in the REB-APIKEY header or a JWT as Authorization: Bearer <JWT>.'
			: 'Invalid credentials: the API key or JWT is not valid.';
	throw problem(401, 'Unauthorized', detail);
}

/** Fixed windows per organization on the emulator clock [I: window kind]; non-GET only unless countGets. */
function applyRateLimit(ctx: ApiContext, method: string, target: ServerFaultTarget | undefined): void {
	const { state } = ctx;
	const limits = state.rateLimit;
	if (target === 'create') {
		const retryAfterSeconds = state.faults.takeCreateRateLimit();
		if (retryAfterSeconds !== undefined) {
			// The header is a UTC epoch a client compares with its own clock: real time here [I].
			const resetEpoch = Math.ceil((Date.now() + retryAfterSeconds * SECOND) / SECOND);
			throw tooManyRequests(limits ? limits.limit : 0, resetEpoch);
		}
	}
	if (!limits) return;
	const nowMs = state.clock.now().getTime();
	let window = state.rateWindows.get(ctx.organizationId);
	if (!window || nowMs >= window.startMs + limits.windowMs) {
		window = { startMs: nowMs, used: 0 };
		state.rateWindows.set(ctx.organizationId, window);
	}
	const counted = limits.countGets === true || (method !== 'GET' && method !== 'HEAD');
	if (counted) window.used++;
	const resetEpoch = Math.ceil((window.startMs + limits.windowMs) / SECOND);
	if (counted && window.used > limits.limit) throw tooManyRequests(limits.limit, resetEpoch);
	ctx.rateHeaders = { 'X-RateLimit-Limit': String(limits.limit), 'X-RateLimit-Remaining': String(Math.max(0, limits.limit - window.used)) };
}

/** ad responses/TooManyRequests.yaml: X-RateLimit-Retry-After (a UTC timestamp, seconds) and no Retry-After. */
function tooManyRequests(limit: number, resetEpoch: number): ProblemError {
	return problem(
		429,
		'Rate Limit Exceeded',
		'A request cannot be executed because the user has sent too many requests within a certain period of time',
		{},
		{ 'X-RateLimit-Limit': String(limit), 'X-RateLimit-Remaining': '0', 'X-RateLimit-Retry-After': String(resetEpoch) },
	);
}

function parseJsonBody(ctx: ApiContext): Record<string, unknown> {
	let value: unknown;
	try {
		value = ctx.raw.length === 0 ? undefined : JSON.parse(ctx.raw.toString('utf8'));
	} catch (error) {
		// [I] the data-export operations list no 400; Rebilly's BadRequest problem is the natural answer.
		throw problem(400, 'Bad request', `The request body is not valid JSON: ${(error as Error).message}`);
	}
	if (!isPlainObject(value)) throw problem(400, 'Bad request', 'The request body must be a JSON object (a DataExport).');
	return value;
}

function expandOf(url: URL): string[] {
	return (url.searchParams.get('expand') ?? '')
		.split(',')
		.map((part) => part.trim())
		.filter((part) => part !== '');
}

function checkRecordLimit(state: EmulatorState, validated: ValidatedExport): void {
	const matched = selectRecords(state, validated).length;
	if (matched > state.maxRecords) {
		// ad ProblemTypes/DataExportLimitExceeded.yaml: `type` is a plain code, with matchedRecords and maxRecords.
		throw new ProblemError(422, {
			type: 'data-export-limit-exceeded',
			title: 'Data export limit exceeded',
			status: 422,
			detail: `The export matches ${matched} records, more than the ${state.maxRecords} allowed in a single export. Narrow the date range or filter.`,
			matchedRecords: matched,
			maxRecords: state.maxRecords,
		});
	}
}

function newExportRecord(state: EmulatorState, organizationId: string, id: string, validated: ValidatedExport, body: Record<string, unknown>): RebillyExportRecord {
	const now = state.clock.now();
	const recurringStart = validated.recurring?.start ? parseIsoMs(validated.recurring.start) : undefined;
	return {
		id,
		organizationId,
		name: validated.name,
		resource: validated.resource,
		format: validated.format,
		arguments: validated.arguments,
		emailNotification: validated.emailNotification,
		fields: validated.fields,
		recurring: validated.recurring,
		dateRange: validated.dateRange,
		resolvedRange: validated.resolvedRange,
		userId: state.userId,
		fileId: null,
		// [I] recordCount is a plain integer in the schema; 0 until the file exists.
		recordCount: 0,
		// [I] a one-off export is scheduled now; a recurring one at recurring.start (default now).
		scheduledTime: new Date(recurringStart ?? now.getTime()),
		createdTime: now,
		updatedTime: now,
		status: 'pending',
		failureReason: null,
		polls: 0,
		requestBody: body,
	};
}

function createExport(ctx: ApiContext): void {
	const { state } = ctx;
	const body = parseJsonBody(ctx);
	const validated = validateExportBody(state, body);
	checkRecordLimit(state, validated);
	const id = newId('exp', state.clock.now().getTime());
	const runtime: ExportRuntime = {
		record: newExportRecord(state, ctx.organizationId, id, validated, body),
		plan: state.faults.takeExportPlan(state.defaultPolls),
	};
	state.exports.set(id, runtime);
	reply(ctx, 201, exportJson(state, runtime, expandOf(ctx.url)), { Location: `${orgBase(state, ctx.organizationId)}/experimental/data-exports/${id}` });
}

function findExport(ctx: ApiContext, id: string): ExportRuntime {
	const runtime = ctx.state.exports.get(id);
	if (!runtime || runtime.record.organizationId !== ctx.organizationId) throw problem(404, 'Not Found', `Data export ${id} is not found.`);
	return runtime;
}

async function getExport(ctx: ApiContext, id: string): Promise<void> {
	const runtime = findExport(ctx, id);
	runtime.record.polls++;
	await refresh(ctx.state, runtime);
	// ad data-exports@{id}.yaml lists the Pagination-* headers on the single GET too [I: values for one item].
	reply(ctx, 200, exportJson(ctx.state, runtime, expandOf(ctx.url)), { 'Pagination-Total': '1', 'Pagination-Limit': '1', 'Pagination-Offset': '0' });
}

function clampInteger(text: string | null, fallback: number, max: number): number {
	// [I] the collection GET lists no 400/422: out-of-range values are clamped to the spec's 0..1000.
	if (text === null || text.trim() === '' || !/^-?\d+$/.test(text.trim())) return fallback;
	return Math.min(max, Math.max(0, Number(text)));
}

async function listExports(ctx: ApiContext): Promise<void> {
	const { state, url } = ctx;
	const limit = clampInteger(url.searchParams.get('limit'), DEFAULT_COLLECTION_LIMIT, MAX_COLLECTION_LIMIT);
	const offset = clampInteger(url.searchParams.get('offset'), 0, MAX_COLLECTION_OFFSET);
	const expand = expandOf(url);
	const own = [...state.exports.values()].filter((runtime) => runtime.record.organizationId === ctx.organizationId);
	for (const runtime of own) await refresh(state, runtime); // time-based progress; a list does not count as a poll [I]
	let views = own.map((runtime) => ({ runtime, json: exportJson(state, runtime, [], false) }));
	const filterText = url.searchParams.get('filter');
	if (filterText) {
		let clauses: FilterClause[];
		try {
			clauses = parseFilter(filterText);
		} catch (error) {
			if (!(error instanceof FilterSyntaxError)) throw error;
			// [I] the spec lists no 400/422 for this GET; a broken filter is still refused rather than ignored.
			throw validationError([{ field: 'filter', message: error.message }], 'Invalid filter.');
		}
		views = views.filter((view) => clauses.every((clause) => matchesClause(view.json, clause)));
	}
	const q = url.searchParams.get('q');
	if (q) views = views.filter((view) => matchesQuery({ id: view.json.id, name: view.json.name, resource: view.json.resource }, q));
	const sortText = url.searchParams.get('sort');
	// [I] default order: newest first.
	const keys = sortText ? parseSort(sortText) : [{ path: ['createdTime'], descending: true }];
	views = sortBy(views, [...keys, { path: ['id'], descending: keys[0]?.descending ?? false }], (view) => view.json);
	const page = views.slice(offset, offset + limit);
	reply(
		ctx,
		200,
		page.map((view) => exportJson(state, view.runtime, expand)),
		{ 'Pagination-Total': String(views.length), 'Pagination-Limit': String(limit), 'Pagination-Offset': String(offset) },
	);
}

async function updateExport(ctx: ApiContext, id: string): Promise<void> {
	const { state } = ctx;
	if (id.length > 50 || !RESOURCE_ID.test(id)) throw problem(404, 'Not Found', `Data export ${id} is not found.`);
	const existing = state.exports.get(id);
	if (existing && existing.record.organizationId !== ctx.organizationId) throw problem(404, 'Not Found', `Data export ${id} is not found.`);
	if (existing) await refresh(state, existing);
	if (existing && existing.record.status !== 'pending') {
		// "Modifies a pending data export." The spec lists no 409 for this PUT; its only refusal is the 422.
		throw validationError([{ field: 'status', message: `Only a pending data export can be modified; this one is ${existing.record.status}.` }], `Data export ${id} is ${existing.record.status} and can no longer be modified.`);
	}
	const body = parseJsonBody(ctx);
	const validated = validateExportBody(state, body);
	checkRecordLimit(state, validated);
	const expand = expandOf(ctx.url);
	if (!existing) {
		// Rebilly's PUT upserts: an unknown id creates the export (the spec's 201 "Data export updated" with Location).
		const runtime: ExportRuntime = { record: newExportRecord(state, ctx.organizationId, id, validated, body), plan: state.faults.takeExportPlan(state.defaultPolls) };
		state.exports.set(id, runtime);
		return reply(ctx, 201, exportJson(state, runtime, expand), { Location: `${orgBase(state, ctx.organizationId)}/experimental/data-exports/${id}` });
	}
	const fresh = newExportRecord(state, ctx.organizationId, id, validated, body);
	Object.assign(existing.record, {
		...fresh,
		createdTime: existing.record.createdTime,
		polls: existing.record.polls,
		scheduledTime: validated.recurring ? fresh.scheduledTime : existing.record.scheduledTime,
	});
	reply(ctx, 200, exportJson(state, existing, expand));
}

function deleteExport(ctx: ApiContext, id: string): void {
	findExport(ctx, id);
	// [I] any status may be deleted; its file stays downloadable (files are a resource of their own).
	ctx.state.exports.delete(id);
	sendEmpty(ctx.res, 204, ctx.rateHeaders);
}

function contentDisposition(name: string): string {
	const ascii = name.replace(/[^\x20-\x7E]/g, '_').replace(/["\\]/g, '_');
	return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

function findFile(ctx: ApiContext, id: string): RebillyStoredFile {
	const file = ctx.state.files.get(id);
	if (!file || file.organizationId !== ctx.organizationId) throw problem(404, 'Not Found', `File ${id} is not found.`);
	return file;
}

function downloadFile(ctx: ApiContext, id: string): void {
	const { state } = ctx;
	const file = findFile(ctx, id);
	const override = state.faults.downloadDirect();
	const direct = override === undefined ? state.download === 'direct' : override;
	if (!direct) {
		// ad files@{id}@download.yaml: 302 Found with Location.
		sendEmpty(ctx.res, 302, { ...ctx.rateHeaders, Location: signedUrl(state, file) });
		return;
	}
	const headOnly = ctx.req.method === 'HEAD';
	const cutAfterBytes = headOnly ? undefined : state.faults.takeTruncation(file.bytes.length);
	sendBytes(ctx.res, 200, file.bytes, { ...ctx.rateHeaders, 'Content-Type': file.mime, 'Content-Disposition': contentDisposition(file.name) }, { cutAfterBytes, headOnly });
}

// ---------------------------------------------------------------------------------------------
// Storage server: a pretend S3 bucket with presigned GET links.

function s3Error(res: http.ServerResponse, status: number, code: string, message: string, headOnly: boolean, extra: Record<string, string> = {}, headers: Record<string, string> = {}): void {
	const requestId = randomBytes(8).toString('hex').toUpperCase();
	const hostId = randomBytes(24).toString('base64');
	const extraXml = Object.entries(extra)
		.map(([key, value]) => `<${key}>${xmlText(value)}</${key}>`)
		.join('');
	const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlText(message)}</Message>${extraXml}<RequestId>${requestId}</RequestId><HostId>${hostId}</HostId></Error>`;
	const allHeaders = { ...headers, 'x-amz-request-id': requestId, 'x-amz-id-2': hostId, Server: 'AmazonS3' };
	if (headOnly) return sendEmpty(res, status, allHeaders);
	sendText(res, status, xml, 'application/xml', allHeaders);
}

/** A Rebilly credential anywhere in the request: the client leaked it to the file host. */
function leakedCredential(state: EmulatorState, req: http.IncomingMessage): string | undefined {
	if (headerValue(req, 'reb-apikey') !== undefined) return 'a REB-APIKEY header';
	const secrets = [state.credentials.apiKey, state.credentials.restrictedApiKey, state.credentials.jwt];
	const url = req.url ?? '';
	let decoded = url;
	try {
		decoded = decodeURIComponent(url);
	} catch {
		// keep the raw URL
	}
	if (secrets.some((secret) => url.includes(secret) || decoded.includes(secret))) return 'a Rebilly credential in the URL';
	for (const [name, value] of Object.entries(req.headers)) {
		if (name === 'authorization') continue;
		const values = Array.isArray(value) ? value : [value ?? ''];
		if (values.some((text) => secrets.some((secret) => text.includes(secret)))) return `a Rebilly credential in the ${name} header`;
	}
	return undefined;
}

function handleStorage(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse): void {
	const entry: RebillyLoggedRequest = logRequest(state.requests, 'storage', req);
	const method = req.method ?? 'GET';
	const headOnly = method === 'HEAD';
	const status = state.faults.takeServerError('storage');
	if (status !== undefined) return s3Error(res, status, status === 503 ? 'SlowDown' : 'InternalError', status === 503 ? 'Please reduce your request rate.' : 'We encountered an internal error. Please try again.', headOnly);
	if (headerValue(req, 'authorization') !== undefined) {
		// What S3 answers a presigned URL that also carries an Authorization header.
		entry.refused = 'request carries an Authorization header';
		return s3Error(res, 400, 'InvalidArgument', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified', headOnly, {
			ArgumentName: 'Authorization',
			ArgumentValue: headerValue(req, 'authorization') ?? '',
		});
	}
	const leak = leakedCredential(state, req);
	if (leak) {
		entry.refused = `request carries ${leak}`;
		return s3Error(res, 403, 'AccessDenied', `Access Denied (emulator guard: the request carries ${leak}; signed links need no Rebilly credentials)`, headOnly);
	}
	if (state.faults.takeStorageForbidden()) return s3Error(res, 403, 'AccessDenied', 'Access Denied', headOnly);
	if (method !== 'GET' && !headOnly) return s3Error(res, 403, 'AccessDenied', 'Access Denied', false);
	const url = new URL(req.url ?? '/', 'http://storage.invalid');
	const path = url.pathname;
	const params = url.searchParams;
	const signature = params.get('X-Amz-Signature');
	if (!signature) return s3Error(res, 403, 'AccessDenied', 'Access Denied', headOnly);
	const date = params.get('X-Amz-Date') ?? '';
	const expires = params.get('X-Amz-Expires') ?? '';
	const token = params.get('X-Amz-Security-Token') ?? '';
	const dm = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
	if (!dm || !/^\d+$/.test(expires)) {
		return s3Error(res, 400, 'AuthorizationQueryParametersError', 'X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'"', headOnly);
	}
	if (signature !== signatureOf(state, path, date, expires, token) || params.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') {
		return s3Error(res, 403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', headOnly);
	}
	const signedMs = Date.UTC(Number(dm[1]), Number(dm[2]) - 1, Number(dm[3]), Number(dm[4]), Number(dm[5]), Number(dm[6]));
	const expiresMs = signedMs + Number(expires) * SECOND;
	const nowMs = state.clock.now().getTime();
	if (nowMs >= expiresMs || state.faults.isRevoked(signature)) {
		return s3Error(res, 403, 'AccessDenied', 'Request has expired', headOnly, {
			'X-Amz-Expires': expires,
			Expires: iso(Math.min(expiresMs, nowMs - SECOND)),
			ServerTime: iso(nowMs),
		});
	}
	const file = [...state.files.values()].find((candidate) => storagePath(candidate) === path);
	if (!file) return s3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.', headOnly, { Key: decodeURIComponent(path.slice(BUCKET.length + 2)) });
	sendObject(state, req, res, file, headOnly);
}

function sendObject(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse, file: RebillyStoredFile, headOnly: boolean): void {
	const size = file.bytes.length;
	const range = parseByteRange(headerValue(req, 'range'), size);
	if (range.kind === 'unsatisfiable') {
		return s3Error(res, 416, 'InvalidRange', 'The requested range is not satisfiable', headOnly, { RangeRequested: headerValue(req, 'range') ?? '', ActualObjectSize: String(size) }, { 'Content-Range': `bytes */${size}` });
	}
	const headers: Record<string, string> = {
		'Content-Type': file.mime,
		'Content-Disposition': contentDisposition(file.name),
		'Accept-Ranges': 'bytes',
		ETag: `"${createHash('md5').update(file.bytes).digest('hex')}"`,
		'Last-Modified': file.createdTime.toUTCString(),
		'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(),
		'x-amz-server-side-encryption': 'AES256',
		Server: 'AmazonS3',
	};
	let status = 200;
	let body = file.bytes;
	if (range.kind === 'range') {
		status = 206;
		body = file.bytes.subarray(range.start, range.end + 1);
		headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
	}
	const cutAfterBytes = headOnly ? undefined : state.faults.takeTruncation(body.length);
	sendBytes(res, status, body, headers, { cutAfterBytes, headOnly });
}

// ---------------------------------------------------------------------------------------------
// Start

function seedRecords(records: RecordStore, nowMs: number): void {
	for (const resource of REBILLY_RESOURCES) records.generate(resource, 5, { since: new Date(nowMs - 10 * DAY), until: new Date(nowMs - HOUR) });
}

function fakeJwt(userId: string, nowMs: number): string {
	const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
	const payload = { sub: userId, iat: Math.floor(nowMs / SECOND), exp: Math.floor(nowMs / SECOND) + 3600 };
	return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}.${randomBytes(32).toString('base64url')}`;
}

export async function startRebillyEmulator(options: RebillyEmulatorOptions = {}): Promise<RebillyEmulator> {
	const clock = createClock(options.frozenClock === true);
	const nowMs = clock.now().getTime();
	const records = new RecordStore(clock);
	if (options.seed !== false) seedRecords(records, nowMs);
	const organizationId = options.organizationId ?? newId('org', nowMs);
	const organizationIds = [organizationId, ...(options.additionalOrganizationIds ?? [])];
	const userId = newId('usr', nowMs - 400 * DAY);
	const maxRecordsPerFile = options.maxRecordsPerFile ?? DEFAULT_MAX_RECORDS_PER_FILE;
	if (!Number.isInteger(maxRecordsPerFile) || maxRecordsPerFile < 1) throw new Error('maxRecordsPerFile must be a positive integer');
	const state: EmulatorState = {
		clock,
		records,
		faults: createFaults(),
		credentials: {
			apiKey: options.apiKey ?? `sk_sandbox_${randomBytes(24).toString('base64url')}`,
			jwt: options.jwt ?? fakeJwt(userId, nowMs),
			restrictedApiKey: `sk_sandbox_${randomBytes(24).toString('base64url')}`,
		},
		organizationIds: new Set(organizationIds),
		userId,
		userCreatedMs: nowMs - 400 * DAY,
		exports: new Map(),
		files: new Map(),
		requests: [],
		apiOrigin: '',
		storageOrigin: '',
		signingSecret: randomBytes(32).toString('base64'),
		accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
		defaultPolls: options.pollsUntilDone ?? DEFAULT_POLLS_UNTIL_DONE,
		autoCompleteAfterMs: options.autoCompleteAfterMs,
		maxRecords: options.maxRecords ?? DEFAULT_MAX_RECORDS,
		maxRecordsPerFile,
		signedLinkTtlMs: options.signedLinkTtlMs ?? DEFAULT_SIGNED_LINK_TTL_MS,
		signedLink: options.signedLink !== false,
		download: options.download ?? 'redirect',
		rateLimit: options.rateLimit === undefined ? REBILLY_SANDBOX_RATE_LIMIT : options.rateLimit,
		rateWindows: new Map(),
		csvQuoteAll: options.csvQuoteAll === true,
		csvLineEnding: options.csvLineEnding ?? '\r\n',
		strictFields: options.strictFields === true,
	};
	const servers = await startApiAndStorage(
		(req, res) => handleApi(state, req, res),
		(req, res) => handleStorage(state, req, res),
		{ port: options.port, storagePort: options.storagePort },
	);
	state.apiOrigin = servers.api.origin;
	state.storageOrigin = servers.storageOrigin;
	return {
		apiOrigin: state.apiOrigin,
		baseUrl: orgBase(state, organizationId),
		storageOrigin: state.storageOrigin,
		organizationId,
		organizationIds,
		apiKey: state.credentials.apiKey,
		jwt: state.credentials.jwt,
		apiKeyWithoutExportAccess: state.credentials.restrictedApiKey,
		userId,
		clock,
		records,
		faults: state.faults,
		get exports() {
			return [...state.exports.values()].map((runtime) => runtime.record);
		},
		addCompletedExports: (body, count, completedAt) => addCompletedExports(state, organizationId, body, count, completedAt),
		exportJson: (id, expand = []) => {
			const runtime = state.exports.get(id);
			return runtime ? exportJson(state, runtime, expand) : undefined;
		},
		file: (fileId) => state.files.get(fileId),
		signedUrl: (fileId) => {
			const file = state.files.get(fileId);
			return file ? signedUrl(state, file) : undefined;
		},
		requests: state.requests,
		close: async () => {
			await Promise.all([servers.api.close(), servers.storage.close()]);
		},
	};
}

// `node --import tsx test/emulators/rebilly.ts`: run it for a demo.
if (require.main === module) {
	runFromCommandLine(
		() => startRebillyEmulator({ port: Number(process.env.PORT) || undefined, apiKey: process.env.REBILLY_API_KEY || undefined }),
		(emulator) => [
			`Rebilly emulator base URL: ${emulator.baseUrl}`,
			`storage (signed links):    ${emulator.storageOrigin}`,
			`REB-APIKEY:                ${emulator.apiKey}`,
			`JWT (Bearer):              ${emulator.jwt}`,
			`organizationId:            ${emulator.organizationId}`,
		],
	);
}
