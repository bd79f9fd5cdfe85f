/**
 * Local emulator of the Anduin Transactions IDM (Investor Data Management) public API bulk export
 * ("IDM firm export") and of the file storage its `fileUrl`s point to, for tests and demos.
 *
 * Behaviour follows Anduin's public documentation, not any client code. Sources:
 *   - A1 https://developers.anduintransact.com/docs/asynchronous-bulk-export-api (the seed,
 *     /work/shared/seeds/idm-firm-bulk-export.txt): POST /api/v1/idm/{firm-id}/[objects]/export with an
 *     optional `{"cursor"}`, 200 `{"requestId":"export-…"}`; GET /api/v1/request/{request-id} with
 *     Pending / InProgress (`progress.processed`) / Completed (`result.total`, `fileUrl`, `nextCursor`) /
 *     Failed; 100,000 objects per job; one Pending-or-InProgress job per user; file URL valid 7 days
 *     (that row is in one of the stored copies only). The prose says "until the next_cursor field is null".
 *   - A2 https://developers.anduintransact.com/docs/asynchronous-bulk-import-api (same request machinery).
 *   - A3 https://developers.anduintransact.com/docs/authentication-copy: the API key as it is in
 *     `Authorization` (`--header 'authorization: anduin_api_key_…'`), no scheme.
 *   - A4 https://developers.anduintransact.com/docs/status-code: 400 (message such as `orderType: Invalid`),
 *     401 "No valid API key provided.", 402 "Request Failed", 403, 404, 409, 429 (exponential backoff, no
 *     Retry-After documented), 500/502/503/504. The wording of the error bodies below is taken from there.
 *   - A5 https://developers.anduintransact.com/docs/idm-key-concepts (object fields),
 *     https://developers.anduintransact.com/reference/upsert-investment-entity (investment entity fields),
 *     https://developers.anduintransact.com/reference/bulk-export-profiles (as recorded in
 *     /work/shared/providers.md section 4: body `investmentEntityIds`, query `exportTemplateId`, CSV file).
 * Object types beyond "profiles" are not enumerated in the stored reference: `investments`,
 * `communication-matrices` and `investment-communication-matrices` are named by a public script that calls
 * the API (paths only); `clients`, `investment-entities` and `contacts` follow the documented objects [I].
 *
 * Two servers:
 *   - the API (`apiOrigin`, 127.0.0.1): POST /api/v1/idm/{firmId}/{objects}/export, GET /api/v1/request/{id},
 *     and GET /api/v1/idm/{firmId}/{contacts|clients|investment-entities|fund-legal-entities} (cheap
 *     authenticated reads for a credential test);
 *   - a pretend S3 bucket (`storageOrigin`, host name `localhost`) serving the files behind SigV4-style
 *     presigned URLs [I: Anduin only says "a secure URL"; 7 days is exactly S3's presigned-URL maximum]. It
 *     refuses an Authorization header and the API key anywhere, so a client leaking its key fails loudly.
 * [I] marks a choice made where the public documentation is silent.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import type * as http from 'node:http';
import JSZip from 'jszip';
import {
	headerValue,
	HttpError,
	logRequest,
	parseByteRange,
	parseContentType,
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

/** Path segments of `POST /api/v1/idm/{firmId}/{objects}/export`. */
export type AnduinObjectType =
	| 'clients'
	| 'investment-entities'
	| 'contacts'
	| 'investments'
	| 'communication-matrices'
	| 'investment-communication-matrices'
	| 'profiles';

export const ANDUIN_OBJECT_TYPES: readonly AnduinObjectType[] = [
	'clients',
	'investment-entities',
	'contacts',
	'investments',
	'communication-matrices',
	'investment-communication-matrices',
	'profiles',
];

export interface AnduinObjectTypeInfo {
	displayName: string;
	/** Where the export endpoint is known from. */
	evidence: string;
	/** Fields that identify an object (joined with `|` into its key). */
	keyFields: readonly string[];
	/** Body/query parameters the export accepts besides `cursor`. */
	filters: readonly string[];
}

export const ANDUIN_OBJECT_TYPE_INFO: Record<AnduinObjectType, AnduinObjectTypeInfo> = {
	clients: { displayName: 'Clients', evidence: '[I] object documented in idm-key-concepts; export path inferred', keyFields: ['id'], filters: [] },
	'investment-entities': {
		displayName: 'Investment Entities',
		evidence: '[I] object documented in idm-key-concepts and upsert-investment-entity; export path inferred',
		keyFields: ['id'],
		filters: [],
	},
	contacts: { displayName: 'Contacts', evidence: '[I] object documented in idm-key-concepts; export path inferred', keyFields: ['id'], filters: [] },
	investments: { displayName: 'Investments', evidence: 'path used by a public API script (CSV with id, fundLegalEntityId, investmentEntityId, …)', keyFields: ['id'], filters: [] },
	'communication-matrices': {
		displayName: 'Communication Matrices',
		evidence: 'path used by a public API script (CSV with contactId, investmentEntityId, fundLegalEntityId, communicationTypes)',
		keyFields: ['contactId', 'investmentEntityId', 'fundLegalEntityId'],
		filters: [],
	},
	'investment-communication-matrices': {
		displayName: 'Investment Communication Matrices',
		evidence: 'path used by a public API script (CSV with contactId, investmentId, communicationTypes)',
		keyFields: ['contactId', 'investmentId'],
		filters: [],
	},
	profiles: {
		displayName: 'Profiles',
		evidence: 'reference/bulk-export-profiles: body investmentEntityIds, query exportTemplateId, CSV [path segment I]',
		keyFields: ['investmentEntityId'],
		filters: ['investmentEntityIds (body)', 'exportTemplateId (query)'],
	},
};

/** How a job's file is written [I: A1 does not say; A5 says profiles are CSV]. */
export type AnduinFileFormat = 'csv' | 'csv-bom' | 'json' | 'jsonl' | 'zip-csv' | 'zip-json';
export const ANDUIN_FILE_FORMATS: readonly AnduinFileFormat[] = ['csv', 'csv-bom', 'json', 'jsonl', 'zip-csv', 'zip-json'];

export type AnduinJobStatus = 'Pending' | 'InProgress' | 'Completed' | 'Failed';
export type AnduinRecord = Record<string, unknown>;
export type { EmulatorClock };

/** Where a fault burst applies: the export start, the status call, the file download, the list reads, any API call, or everything. */
export type AnduinFaultScope = 'start' | 'status' | 'download' | 'list' | 'api' | 'any';

/**
 * [I] The Failed body is not documented. 'error-object' = `{"requestId","status":"Failed","error":{"message"}}`,
 * 'error-string' = `{…,"error":"…"}`, 'message' = `{…,"message":"…"}`.
 */
export type AnduinFailedBodyShape = 'error-object' | 'error-string' | 'message';

export interface AnduinExportTemplate {
	id: string;
	name: string;
	/** Profile fields in file order, with the column header the file uses. */
	fields: Array<{ field: string; header: string }>;
}

export interface AnduinFundLegalEntity {
	id: string;
	name: string;
}

export interface AnduinObjects {
	/**
	 * Creates or updates one object by its key fields (`id`, or the matrix/profile keys). Fields are merged;
	 * a new object starts from realistic generated values. `updatedAt` becomes the emulator clock's now
	 * unless given; `createdAt` too on create. A new id-keyed object without `id` gets a fresh one.
	 * Returns a copy of the stored object.
	 */
	upsert(type: AnduinObjectType, partial: AnduinRecord): AnduinRecord;
	/** Replaces the type's objects with `count` deterministic realistic ones (or appends them). Returns copies. */
	generate(type: AnduinObjectType, count: number, options?: { append?: boolean }): AnduinRecord[];
	/** Removes one object by key (see keyOf); true if it existed. */
	remove(type: AnduinObjectType, key: string): boolean;
	get(type: AnduinObjectType, key: string): AnduinRecord | undefined;
	/** Every object of a type, in export order (copies). */
	list(type: AnduinObjectType): AnduinRecord[];
	count(type: AnduinObjectType): number;
	/** The key of an object: its `id`, or its key fields joined with `|`. */
	keyOf(type: AnduinObjectType, object: AnduinRecord): string;
	clear(type: AnduinObjectType): void;
}

export interface AnduinFaults {
	/** The next job ends Failed with this message. */
	failNextJob(message?: string): void;
	/** The next job answers `polls` status calls with Pending (first) / InProgress before its final state (forces call-counted progression). */
	pollsUntilDone(polls: number): void;
	/** The next job never leaves InProgress (it keeps its user busy until finishJob). */
	neverFinish(): void;
	/** What a second start answers while the user has an active job (until reset). */
	busyStatus(status: 409 | 429): void;
	/** The next `count` starts answer 402 Request Failed. */
	requestFailedOnStart(count?: number, message?: string): void;
	/** The next `count` requests in scope answer 429 with no Retry-After. */
	rateLimit(count: number, scope?: AnduinFaultScope): void;
	/** The next `count` requests in scope answer `status` (default 500). */
	serverError(count: number, status?: number, scope?: AnduinFaultScope): void;
	/** The next `count` downloads announce the full Content-Length, then drop the connection after `atBytes` (default: half). */
	truncateDownload(count?: number, atBytes?: number): void;
	/** Every file URL issued so far answers as expired from now on. */
	expireFileUrls(): void;
	/** Every cursor issued so far is refused (400) from now on. */
	invalidateCursors(): void;
	/** Jobs of this type write this format (until reset). */
	format(type: AnduinObjectType, format: AnduinFileFormat): void;
	/** The next job writes this format. */
	formatNextJob(format: AnduinFileFormat): void;
	reset(): void;
}

export interface AnduinExportJob {
	/** `export-<uuid>`. */
	requestId: string;
	objectType: AnduinObjectType;
	/** The user (API key) that started it. */
	apiKey: string;
	status: AnduinJobStatus;
	createdAt: Date;
	completedAt: Date | null;
	/** Objects in this job (what `result.total` says). */
	total: number;
	processed: number;
	/** Position of its first object in the snapshot the cursor chain reads. */
	offset: number;
	snapshotId: string;
	format: AnduinFileFormat;
	/** The cursor it was started with (null: the first job of a chain). */
	cursorIn: string | null;
	nextCursor: string | null;
	fileUrl: string | null;
	fileExpiresAt: Date | null;
	errorMessage: string | null;
	/** Status calls answered for it. */
	polls: number;
	/** The start body as received (parsed), and the query. */
	requestBody: unknown;
	query: Record<string, string>;
}

export interface AnduinLoggedRequest extends LoggedRequest<'api' | 'storage'> {
	/** API requests: the body text as received. */
	body?: string;
	/** The status answered (undefined while in flight, or when the connection was dropped first). */
	status?: number;
	/** Storage requests refused for carrying credentials: why. */
	refused?: string;
}

export interface AnduinIdmEmulator {
	/** http://127.0.0.1:<port>: the API base (stands for https://api.anduin.app). */
	apiOrigin: string;
	/** http://localhost:<port>: the file storage behind fileUrl. */
	storageOrigin: string;
	/** The firm's first user's key (sent as it is in Authorization). */
	apiKey: string;
	/** A second user of the same firm (its own one-active-job slot). */
	secondApiKey: string;
	firmId: string;
	firmName: string;
	exportTemplates: AnduinExportTemplate[];
	fundLegalEntities: AnduinFundLegalEntity[];
	clock: EmulatorClock;
	objects: AnduinObjects;
	faults: AnduinFaults;
	/** Every job in creation order, statuses brought up to date (time-based progression) when read. */
	readonly jobs: AnduinExportJob[];
	job(requestId: string): AnduinExportJob | undefined;
	/** Ends an active job now (e.g. one made by neverFinish). */
	finishJob(requestId: string, outcome?: 'Completed' | 'Failed', message?: string): void;
	/** The bytes the storage serves for a Completed job. */
	fileBytes(requestId: string): Promise<Buffer | undefined>;
	requests: AnduinLoggedRequest[];
	requestsTo(host: 'api' | 'storage'): AnduinLoggedRequest[];
	close(): Promise<void>;
}

export interface AnduinIdmEmulatorOptions {
	port?: number;
	storagePort?: number;
	apiKey?: string;
	secondApiKey?: string;
	firmId?: string;
	firmName?: string;
	/** Objects per job (A1: 100,000). */
	jobSizeLimit?: number;
	/** Status calls answered Pending/InProgress before the final state (default 2: Pending, InProgress, then final). */
	pollsUntilDone?: number;
	/** Time-based progression on the emulator clock instead of counting status calls. */
	timing?: { pendingMs: number; runMs: number };
	/** A start while the user has an active job (A1 says only that it is not allowed): default 409. */
	busyStatus?: 409 | 429;
	/** The result's cursor field: A1's JSON says nextCursor, its prose next_cursor. Default nextCursor. */
	cursorField?: 'nextCursor' | 'next_cursor';
	/** Leave the cursor field out of the last job's result instead of sending null. */
	omitCursorAtEnd?: boolean;
	failedBody?: AnduinFailedBodyShape;
	/** How long a fileUrl works from the job's completion (A1: 7 days). */
	fileUrlTtlMs?: number;
	/** How long a nextCursor works from its issue [I: default 7 days]. */
	cursorTtlMs?: number;
	/** File format per type (default csv for all [I]). */
	formats?: Partial<Record<AnduinObjectType, AnduinFileFormat>>;
	/** CSV record separator (default CRLF, RFC 4180 [I]). */
	csvLineEnding?: '\r\n' | '\n';
	/** Content-Type of the files: by format (default) or application/octet-stream, as an object store serves untyped uploads. */
	storageContentType?: 'by-format' | 'octet-stream';
	/** Also accept `Bearer <key>` (A3 documents only the raw key; default false). */
	acceptBearer?: boolean;
	/** What a firm id the key cannot use answers: default 403 (A4: "The API key doesn't have permissions"), or 404. */
	unknownFirmStatus?: 403 | 404;
	/** The firm's profile export templates (default: one, so exportTemplateId may be left out). */
	exportTemplates?: AnduinExportTemplate[];
	/** false: no objects; a map: that many of each type; default: a few dozen of each. */
	seed?: boolean | Partial<Record<AnduinObjectType, number>>;
	/** The clock stands still except for set/advance (default: real time plus an offset). */
	frozenClock?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Constants

const SECOND = 1000;
const DAY = 24 * 60 * 60 * SECOND;
const DEFAULT_JOB_SIZE = 100_000; // A1 "Export Job Size: 100,000 objects per job"
const DEFAULT_URL_TTL_MS = 7 * DAY; // A1 "File URL Expiration: 7 days"
const DEFAULT_CURSOR_TTL_MS = 7 * DAY; // [I]
const DEFAULT_POLLS = 2;
const BUCKET = 'anduin-idm-exports'; // [I]
const REGION = 'us-east-1'; // [I]
const LISTABLE = new Set(['contacts', 'clients', 'investment-entities', 'fund-legal-entities']);
const TYPE_SET = new Set<string>(ANDUIN_OBJECT_TYPES);

// Error wording from A4; the `{message}` body shape is [I] (A4 shows only the message text).
const MSG = {
	unauthorized: 'No valid API key provided.',
	forbidden: "The API key doesn't have permissions to perform the request.",
	notFound: "The requested resource doesn't exist.",
	requestFailed: 'The parameters were valid but the request failed.',
	tooMany: 'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.',
	server: 'Something went wrong on Anduin Server.',
	busy: 'A user can only have one export job in a Pending or InProgress state at a time.', // A1 Limits
};

// ---------------------------------------------------------------------------------------------
// Small deterministic helpers

function fnv(text: string): number {
	let h = 0x811c9dc5;
	for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
	return h >>> 0;
}

function mix(a: number, b: number): number {
	let h = Math.imul(a ^ Math.imul(b + 0x9e3779b9, 0x85ebca6b), 0xc2b2ae35);
	h ^= h >>> 16;
	return h >>> 0;
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Lower-case alphanumerics, like the firm id `fdfym4md5jlverjn` seen in a public API script [I]. */
function idChars(seed: number, length: number): string {
	let out = '';
	let h = seed;
	for (let i = 0; i < length; i++) {
		h = mix(h, i + 1);
		out += ID_ALPHABET[h % ID_ALPHABET.length];
	}
	return out;
}

function pick<T>(list: readonly T[], n: number, salt = 0): T {
	return list[mix(n, salt) % list.length];
}

function pad(n: number, width: number): string {
	return String(n).padStart(width, '0');
}

/** `1250000` → `1,250,000.00` (amounts are formatted strings in the files [I]). */
export function formatAmount(value: number): string {
	const cents = Math.round(value * 100);
	const whole = Math.floor(Math.abs(cents) / 100)
		.toString()
		.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
	return `${cents < 0 ? '-' : ''}${whole}.${pad(Math.abs(cents) % 100, 2)}`;
}

function amzDate(ms: number): string {
	return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function parseAmzDate(text: string): number | undefined {
	const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
	return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : undefined;
}

function httpDate(ms: number): string {
	return new Date(ms).toUTCString();
}

// ---------------------------------------------------------------------------------------------
// Data: generators per type (field names from A5 where documented; values realistic [I])

const CLIENT_NAMES = [
	'Acme Pension Fund',
	'Smith, Jones & Partners "Family Office"',
	'Müller Familienstiftung',
	'佐藤ホールディングス',
	"O'Neil Endowment Trust",
	'Nordic Capital A/S',
	'Banco Ñandú S.A.',
	'Zoë Larsen Revocable Trust',
	'Blue Harbor Capital, LLC',
	'Kowalski Wealth Sp. z o.o.',
];
const CLIENT_GROUPS = ['Institutional', 'Family Offices', 'High Net Worth', 'Pensions & Endowments'];
const TAG_SETS: readonly string[][] = [[], ['VIP'], ['Re-up', 'Fund III'], ['Tax-exempt'], ['Placement agent: Evercore']];
const IE_SUFFIXES = ['LP', 'Holdings LLC', 'Trust', 'Feeder Ltd.', 'Master Fund, L.P.'];
const IE_TYPES = ['Individual', 'Corporation', 'Limited Partnership', 'Trust', 'Pension Plan', 'Fund of Funds'];
const JURISDICTIONS = ['United States', 'Cayman Islands', 'Luxembourg', 'Singapore', 'United Kingdom', 'Germany'];
const RISK_LEVELS = ['Low', 'Medium', 'High'];
const AML_STATUSES = ['Approved', 'Pending review', 'Expired', 'Not started'];
const FIRST_NAMES = ['Anna', 'José', 'Zoë', 'Mei', 'Oluwaseun', 'Łukasz', 'Chloé', 'Taro', 'Aoife', 'Björn', 'Priya', "D'Andre"];
const LAST_NAMES = ['Novák', 'Smith', 'García', 'Müller', 'Nguyen', "O'Brien", 'Kowalski', 'Dubois', '田中', 'Okafor', 'Ní Bhriain', 'Þórsson'];
const TITLES = ['Managing Director', 'CFO', 'Investment Analyst', 'Trustee', 'Operations, Investor Relations', 'Counsel'];
const COUNTRIES = ['United States', 'Cayman Islands', 'Luxembourg', 'Singapore', 'United Kingdom', 'Japan'];
const INVESTOR_TYPES = ['Accredited Investor', 'Qualified Purchaser', 'Professional Client', 'Non-U.S. Person'];
const FLE_NAMES = ['Anduin Growth Fund III, L.P.', 'Anduin Growth Fund III (Cayman), L.P.', 'Anduin Real Assets Fund I SCSp'];
const COMMUNICATION_TYPES = ['Capital Calls', 'Distributions', 'Tax Documents (K-1)'];

function asciiFold(text: string): string {
	const folded = text
		.normalize('NFKD')
		.replace(/[\u0300-\u036f]/g, '')
		.replace(/ł/g, 'l')
		.replace(/Ł/g, 'L')
		.replace(/[þÞ]/g, 'th')
		.replace(/[^A-Za-z0-9]/g, '')
		.toLowerCase();
	return folded || 'contact';
}

/** Notes that exercise CSV quoting: commas, quotes, line breaks, none. */
function awkwardNote(n: number): string {
	switch (n % 5) {
		case 0:
			return '';
		case 1:
			return 'Prefers email, not phone';
		case 2:
			return 'Side letter: "MFN" clause applies';
		case 3:
			return 'Line one\nLine two';
		default:
			return 'Re-up expected Q3 — confirm with IR';
	}
}

interface GenContext {
	index: number;
	nowMs: number;
	firmId: string;
	store: ObjectStore;
	fles: AnduinFundLegalEntity[];
	communicationTypeIds: string[];
}

function times(ctx: GenContext, salt: number): { createdAt: string; updatedAt: string } {
	const createdMs = ctx.nowMs - (mix(ctx.index, salt) % 365) * DAY - (mix(ctx.index, salt + 1) % 86400) * SECOND;
	const updatedMs = Math.min(ctx.nowMs, createdMs + (mix(ctx.index, salt + 2) % 120) * DAY);
	return { createdAt: new Date(createdMs).toISOString(), updatedAt: new Date(updatedMs).toISOString() };
}

function childId(ctx: GenContext, kind: string, salt: string): string {
	return `${ctx.firmId}.${kind}${idChars(mix(fnv(salt), ctx.index), 10)}`;
}

function nth(ctx: GenContext, type: AnduinObjectType, n: number): AnduinRecord | undefined {
	const all = ctx.store.rawList(type);
	return all.length === 0 ? undefined : all[n % all.length];
}

const GENERATORS: Record<AnduinObjectType, (ctx: GenContext) => AnduinRecord> = {
	clients: (ctx) => {
		const i = ctx.index;
		const base = CLIENT_NAMES[i % CLIENT_NAMES.length];
		const group = i % CLIENT_GROUPS.length;
		return {
			id: childId(ctx, 'cli', 'clients'),
			trackingId: pad(i + 1, 6), // zero-padded on purpose: a client must keep it a string
			name: i < CLIENT_NAMES.length ? base : `${base} ${Math.floor(i / CLIENT_NAMES.length) + 1}`,
			clientGroupId: `${ctx.firmId}.cgr${idChars(fnv(CLIENT_GROUPS[group]), 8)}`,
			clientGroupName: CLIENT_GROUPS[group],
			tags: [...pick(TAG_SETS, i, 3)],
			note: awkwardNote(i),
			...times(ctx, 11),
		};
	},
	'investment-entities': (ctx) => {
		const i = ctx.index;
		const client = nth(ctx, 'clients', i);
		const owner = typeof client?.name === 'string' ? client.name : CLIENT_NAMES[i % CLIENT_NAMES.length];
		return {
			id: childId(ctx, 'ien', 'investment-entities'),
			trackingId: `IE-${pad(i + 1, 6)}`,
			name: `${owner} ${pick(IE_SUFFIXES, i, 5)}`,
			clientId: client?.id ?? null,
			type: pick(IE_TYPES, i, 6),
			jurisdiction: pick(JURISDICTIONS, i, 7),
			riskLevel: pick(RISK_LEVELS, i, 8),
			amlKycStatus: pick(AML_STATUSES, i, 9),
			note: awkwardNote(i + 2),
			...times(ctx, 21),
		};
	},
	contacts: (ctx) => {
		const i = ctx.index;
		const first = FIRST_NAMES[i % FIRST_NAMES.length];
		const last = LAST_NAMES[Math.floor(i / FIRST_NAMES.length + i) % LAST_NAMES.length];
		const entity = nth(ctx, 'investment-entities', i);
		const second = i % 3 === 0 ? nth(ctx, 'investment-entities', i + 7) : undefined;
		const ids = [entity?.id, second?.id].filter((id, k, all): id is string => typeof id === 'string' && all.indexOf(id) === k);
		return {
			id: childId(ctx, 'con', 'contacts'),
			trackingId: `C-${pad(i + 1, 6)}`,
			firstName: first,
			lastName: last,
			email: `${asciiFold(first)}.${asciiFold(last)}+${i + 1}@example.com`,
			phone: `+1 (212) 555-${pad(1000 + (i % 9000), 4)}`,
			company: typeof entity?.name === 'string' ? entity.name : '',
			title: pick(TITLES, i, 12),
			investmentEntityIds: ids,
			...times(ctx, 31),
		};
	},
	investments: (ctx) => {
		const i = ctx.index;
		const fle = ctx.fles[i % ctx.fles.length];
		const entity = nth(ctx, 'investment-entities', Math.floor(i / ctx.fles.length) + i);
		// Investment ids extend their fund legal entity's id (`fdf….fle….inv…`), as a public API script splits them [I].
		return {
			id: `${fle.id}.inv${idChars(mix(fnv('investments'), i), 10)}`,
			fundLegalEntityId: fle.id,
			fundLegalEntityName: fle.name,
			investmentEntityId: entity?.id ?? null,
			commitmentAmount: formatAmount(250_000 * (1 + (mix(i, 41) % 100)) + (i % 3 === 0 ? 0.5 : 0)),
			currency: i % 7 === 6 ? 'EUR' : 'USD',
			...times(ctx, 41),
		};
	},
	'communication-matrices': (ctx) => {
		const i = ctx.index;
		const contacts = ctx.store.rawList('contacts');
		const entities = ctx.store.rawList('investment-entities');
		const nc = Math.max(1, contacts.length);
		const ne = Math.max(1, entities.length);
		// Index → (contact, entity, fund) so generated keys are distinct.
		const contact = contacts[i % nc];
		const entity = entities[Math.floor(i / nc) % ne];
		const fle = ctx.fles[Math.floor(i / (nc * ne)) % ctx.fles.length];
		return {
			contactId: contact?.id ?? `${ctx.firmId}.con${idChars(i, 10)}`,
			investmentEntityId: entity?.id ?? `${ctx.firmId}.ien${idChars(i, 10)}`,
			fundLegalEntityId: fle.id,
			communicationTypes: communicationTypes(ctx, i),
			updatedAt: times(ctx, 51).updatedAt,
		};
	},
	'investment-communication-matrices': (ctx) => {
		const i = ctx.index;
		const contacts = ctx.store.rawList('contacts');
		const investments = ctx.store.rawList('investments');
		const nc = Math.max(1, contacts.length);
		const contact = contacts[i % nc];
		const investment = investments.length > 0 ? investments[Math.floor(i / nc) % investments.length] : undefined;
		return {
			contactId: contact?.id ?? `${ctx.firmId}.con${idChars(i, 10)}`,
			investmentId: investment?.id ?? `${ctx.fles[0].id}.inv${idChars(i, 10)}`,
			communicationTypes: communicationTypes(ctx, i + 1),
			updatedAt: times(ctx, 61).updatedAt,
		};
	},
	profiles: (ctx) => {
		const i = ctx.index;
		const entity = ctx.store.rawList('investment-entities')[i];
		const name = typeof entity?.name === 'string' ? entity.name : `Investment Entity ${i + 1}`;
		return {
			investmentEntityId: entity?.id ?? `${ctx.firmId}.ien${idChars(mix(fnv('profiles'), i), 10)}`,
			investmentEntityTrackingId: entity?.trackingId ?? `IE-${pad(i + 1, 6)}`,
			investmentEntityName: name,
			legalName: name,
			investorType: pick(INVESTOR_TYPES, i, 71),
			countryOfDomicile: pick(COUNTRIES, i, 72),
			taxId: `${pad(mix(i, 73) % 100, 2)}-${pad(mix(i, 74) % 10_000_000, 7)}`,
			accreditedInvestor: i % 4 === 3 ? 'No' : 'Yes',
			totalCommitment: formatAmount(1_000_000 + (mix(i, 75) % 40) * 250_000),
			primaryContactEmail: `ir+${i + 1}@example.com`,
			updatedAt: times(ctx, 76).updatedAt,
		};
	},
};

function communicationTypes(ctx: GenContext, n: number): Record<string, string> {
	return Object.fromEntries(ctx.communicationTypeIds.map((id, k) => [id, mix(n, k + 90) % 3 === 0 ? 'no' : 'yes']));
}

/** File columns per type (JSON keys are the same, in the same order). Profiles take theirs from the template. */
const COLUMNS: Record<Exclude<AnduinObjectType, 'profiles'>, readonly string[]> = {
	clients: ['id', 'trackingId', 'name', 'clientGroupId', 'clientGroupName', 'tags', 'note', 'createdAt', 'updatedAt'],
	'investment-entities': ['id', 'trackingId', 'name', 'clientId', 'type', 'jurisdiction', 'riskLevel', 'amlKycStatus', 'note', 'createdAt', 'updatedAt'],
	contacts: ['id', 'trackingId', 'firstName', 'lastName', 'email', 'phone', 'company', 'title', 'investmentEntityIds', 'createdAt', 'updatedAt'],
	investments: ['id', 'fundLegalEntityId', 'fundLegalEntityName', 'investmentEntityId', 'commitmentAmount', 'currency', 'createdAt', 'updatedAt'],
	'communication-matrices': ['contactId', 'investmentEntityId', 'fundLegalEntityId', 'communicationTypes', 'updatedAt'],
	'investment-communication-matrices': ['contactId', 'investmentId', 'communicationTypes', 'updatedAt'],
};

const PROFILE_ID_COLUMNS: ReadonlyArray<{ field: string; header: string }> = [
	{ field: 'investmentEntityId', header: 'Investment Entity ID' },
	{ field: 'investmentEntityTrackingId', header: 'Investment Entity Tracking ID' },
	{ field: 'investmentEntityName', header: 'Investment Entity Name' },
];

function defaultTemplates(firmId: string): AnduinExportTemplate[] {
	return [
		{
			id: `${firmId}.etp${idChars(fnv(`${firmId}template`), 8)}`,
			name: 'Standard Profile Export',
			fields: [
				{ field: 'legalName', header: 'Legal Name' },
				{ field: 'investorType', header: 'Investor Type' },
				{ field: 'countryOfDomicile', header: 'Country of Domicile' },
				{ field: 'taxId', header: 'Tax ID' },
				{ field: 'accreditedInvestor', header: 'Accredited Investor' },
				{ field: 'totalCommitment', header: 'Total Commitment' },
				{ field: 'primaryContactEmail', header: 'Primary Contact Email' },
				{ field: 'updatedAt', header: 'Last Updated' },
			],
		},
	];
}

// ---------------------------------------------------------------------------------------------
// Object store: insertion order is export order; records are replaced, never mutated, so a snapshot
// (an array of references) stays as it was taken.

class ObjectStore implements AnduinObjects {
	private readonly data = new Map<AnduinObjectType, Map<string, AnduinRecord>>();
	private readonly nextIndex = new Map<AnduinObjectType, number>();

	constructor(
		private readonly clock: EmulatorClock,
		private readonly context: () => Omit<GenContext, 'index' | 'nowMs' | 'store'>,
	) {
		for (const type of ANDUIN_OBJECT_TYPES) this.data.set(type, new Map());
	}

	private map(type: AnduinObjectType): Map<string, AnduinRecord> {
		assertType(type);
		return this.data.get(type) as Map<string, AnduinRecord>;
	}

	private build(type: AnduinObjectType, index: number): AnduinRecord {
		return GENERATORS[type]({ ...this.context(), index, nowMs: this.clock.now().getTime(), store: this });
	}

	/** The stored (frozen) records, for the generators and snapshots. */
	rawList(type: AnduinObjectType): readonly AnduinRecord[] {
		return Array.from(this.map(type).values());
	}

	keyOf(type: AnduinObjectType, object: AnduinRecord): string {
		return ANDUIN_OBJECT_TYPE_INFO[type].keyFields.map((field) => String(object[field] ?? '')).join('|');
	}

	upsert(type: AnduinObjectType, partial: AnduinRecord): AnduinRecord {
		const map = this.map(type);
		const keyFields = ANDUIN_OBJECT_TYPE_INFO[type].keyFields;
		const given = Object.fromEntries(Object.entries(structuredClone(partial)).filter(([, value]) => value !== undefined));
		const hasKey = keyFields.every((field) => typeof given[field] === 'string' && given[field] !== '');
		const existing = hasKey ? map.get(this.keyOf(type, given)) : undefined;
		const nowIso = this.clock.now().toISOString();
		let record: AnduinRecord;
		if (existing) {
			record = { ...existing, ...given, updatedAt: given.updatedAt ?? nowIso };
		} else {
			if (!hasKey && keyFields.length > 1) throw new Error(`upsert(${type}): give ${keyFields.join(', ')}`);
			const index = this.takeIndex(type);
			const base = this.build(type, index);
			record = { ...base, ...given };
			if (!hasKey) record.id = `${String(base.id).replace(/[a-z0-9]{10}$/, '')}${idChars(fnv(randomUUID()), 10)}`;
			if ('createdAt' in base && given.createdAt === undefined) record.createdAt = nowIso;
			if (given.updatedAt === undefined) record.updatedAt = nowIso;
		}
		const stored = deepFreeze(record);
		map.set(this.keyOf(type, stored), stored);
		return structuredClone(stored);
	}

	generate(type: AnduinObjectType, count: number, options: { append?: boolean } = {}): AnduinRecord[] {
		if (!Number.isInteger(count) || count < 0) throw new Error('generate: count must be a non-negative integer');
		const map = this.map(type);
		if (!options.append) {
			map.clear();
			this.nextIndex.set(type, 0);
		}
		const made: AnduinRecord[] = [];
		for (let k = 0; k < count; k++) {
			const stored = deepFreeze(this.build(type, this.takeIndex(type)));
			map.set(this.keyOf(type, stored), stored);
			made.push(stored);
		}
		return made.map((record) => structuredClone(record));
	}

	private takeIndex(type: AnduinObjectType): number {
		const index = this.nextIndex.get(type) ?? 0;
		this.nextIndex.set(type, index + 1);
		return index;
	}

	remove(type: AnduinObjectType, key: string): boolean {
		return this.map(type).delete(key);
	}

	get(type: AnduinObjectType, key: string): AnduinRecord | undefined {
		const found = this.map(type).get(key);
		return found === undefined ? undefined : structuredClone(found);
	}

	list(type: AnduinObjectType): AnduinRecord[] {
		return this.rawList(type).map((record) => structuredClone(record));
	}

	count(type: AnduinObjectType): number {
		return this.map(type).size;
	}

	clear(type: AnduinObjectType): void {
		this.map(type).clear();
	}
}

function deepFreeze<T>(value: T): T {
	if (value && typeof value === 'object' && !Object.isFrozen(value)) {
		Object.freeze(value);
		for (const inner of Object.values(value as Record<string, unknown>)) deepFreeze(inner);
	}
	return value;
}

function assertType(type: string): asserts type is AnduinObjectType {
	if (!TYPE_SET.has(type)) throw new Error(`Unknown Anduin IDM object type "${type}" (known: ${ANDUIN_OBJECT_TYPES.join(', ')})`);
}

const DEFAULT_SEED: Record<AnduinObjectType, number> = {
	clients: 12,
	'investment-entities': 18,
	contacts: 24,
	investments: 30,
	'communication-matrices': 36,
	'investment-communication-matrices': 30,
	profiles: 18,
};

// ---------------------------------------------------------------------------------------------
// Faults

interface Burst {
	status: number;
	remaining: number;
	scope: AnduinFaultScope;
}

interface JobPlan {
	/** undefined: the emulator's progression (time or calls). */
	pendingPolls?: number;
	neverFinish: boolean;
	failMessage?: string;
	format?: AnduinFileFormat;
}

interface FaultController extends AnduinFaults {
	takeBurst(scope: 'start' | 'status' | 'download' | 'list'): Burst | undefined;
	takeRequestFailed(): string | undefined;
	takePlan(): JobPlan;
	takeTruncation(size: number): number | undefined;
	currentBusyStatus(): 409 | 429;
	formatFor(type: AnduinObjectType): AnduinFileFormat | undefined;
}

function createFaults(defaultBusy: 409 | 429, onExpireUrls: () => void, onInvalidateCursors: () => void): FaultController {
	const fresh = () => ({
		bursts: [] as Burst[],
		requestFailed: { count: 0, message: MSG.requestFailed },
		nextJob: { neverFinish: false } as JobPlan,
		truncate: { count: 0, atBytes: undefined as number | undefined },
		busy: defaultBusy,
		formats: new Map<AnduinObjectType, AnduinFileFormat>(),
	});
	let state = fresh();
	const inScope = (burst: AnduinFaultScope, scope: string) =>
		burst === 'any' || burst === scope || (burst === 'api' && scope !== 'download');
	return {
		failNextJob: (message = 'The export job failed.') => {
			state.nextJob.failMessage = message;
		},
		pollsUntilDone: (polls) => {
			if (!Number.isInteger(polls) || polls < 0) throw new Error('pollsUntilDone: polls must be a non-negative integer');
			state.nextJob.pendingPolls = polls;
		},
		neverFinish: () => {
			state.nextJob.neverFinish = true;
		},
		busyStatus: (status) => {
			state.busy = status;
		},
		requestFailedOnStart: (count = 1, message = MSG.requestFailed) => {
			state.requestFailed = { count, message };
		},
		rateLimit: (count, scope = 'any') => {
			state.bursts.push({ status: 429, remaining: count, scope });
		},
		serverError: (count, status = 500, scope = 'any') => {
			state.bursts.push({ status, remaining: count, scope });
		},
		truncateDownload: (count = 1, atBytes) => {
			state.truncate = { count, atBytes };
		},
		expireFileUrls: onExpireUrls,
		invalidateCursors: onInvalidateCursors,
		format: (type, format) => {
			assertType(type);
			assertFormat(format);
			state.formats.set(type, format);
		},
		formatNextJob: (format) => {
			assertFormat(format);
			state.nextJob.format = format;
		},
		reset: () => {
			state = fresh();
		},
		takeBurst: (scope) => {
			const burst = state.bursts.find((candidate) => candidate.remaining > 0 && inScope(candidate.scope, scope));
			if (!burst) return undefined;
			burst.remaining--;
			state.bursts = state.bursts.filter((candidate) => candidate.remaining > 0);
			return burst;
		},
		takeRequestFailed: () => {
			if (state.requestFailed.count <= 0) return undefined;
			state.requestFailed.count--;
			return state.requestFailed.message;
		},
		takePlan: () => {
			const plan = state.nextJob;
			state.nextJob = { neverFinish: false };
			return plan;
		},
		takeTruncation: (size) => {
			if (state.truncate.count <= 0) return undefined;
			state.truncate.count--;
			return Math.min(state.truncate.atBytes ?? Math.floor(size / 2), size);
		},
		currentBusyStatus: () => state.busy,
		formatFor: (type) => state.formats.get(type),
	};
}

function assertFormat(format: string): asserts format is AnduinFileFormat {
	if (!(ANDUIN_FILE_FORMATS as readonly string[]).includes(format)) throw new Error(`Unknown file format "${format}" (known: ${ANDUIN_FILE_FORMATS.join(', ')})`);
}

// ---------------------------------------------------------------------------------------------
// Snapshots and cursors

interface Snapshot {
	id: string;
	type: AnduinObjectType;
	/** The rows as the file writes them (profiles projected through the template). */
	rows: readonly AnduinRecord[];
	columns: readonly string[];
	/** What the chain was started with (a cursor must come back to the same query). */
	filterKey: string;
	createdMs: number;
}

interface CursorPayload {
	v: 1;
	f: string; // firm
	t: AnduinObjectType;
	s: string; // snapshot
	o: number; // offset of the next job
	k: string; // filter key
	i: number; // issued at (ms)
}

/**
 * Cursors are AES-256-GCM sealed (iv | tag | ciphertext, base64url): opaque, and any edit is caught.
 * [I] Anduin's cursor format is not documented; clients must treat it as opaque.
 */
class CursorSealer {
	private key = randomBytes(32);

	rotate(): void {
		this.key = randomBytes(32);
	}

	seal(payload: CursorPayload): string {
		const iv = randomBytes(12);
		const cipher = createCipheriv('aes-256-gcm', this.key, iv);
		const body = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
		return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
	}

	open(cursor: string): CursorPayload | undefined {
		try {
			const raw = Buffer.from(cursor, 'base64url');
			if (raw.length < 29 || raw.toString('base64url') !== cursor) return undefined;
			const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
			decipher.setAuthTag(raw.subarray(12, 28));
			const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
			const payload = JSON.parse(text) as CursorPayload;
			return payload.v === 1 ? payload : undefined;
		} catch {
			return undefined;
		}
	}
}

// ---------------------------------------------------------------------------------------------
// Jobs

interface JobRuntime {
	job: AnduinExportJob;
	plan: JobPlan;
	snapshot: Snapshot;
	rows: readonly AnduinRecord[];
	filePath?: string;
	file?: Promise<Buffer>;
}

interface EmulatorState {
	clock: EmulatorClock;
	store: ObjectStore;
	faults: FaultController;
	sealer: CursorSealer;
	firmId: string;
	firmName: string;
	users: Set<string>;
	templates: AnduinExportTemplate[];
	fles: AnduinFundLegalEntity[];
	jobs: Map<string, JobRuntime>;
	jobList: AnduinExportJob[];
	snapshots: Map<string, Snapshot>;
	files: Map<string, JobRuntime>;
	expiredPaths: Set<string>;
	requests: AnduinLoggedRequest[];
	storageOrigin: string;
	signingSecret: string;
	accessKeyId: string;
	jobSizeLimit: number;
	defaultPolls: number;
	timing?: { pendingMs: number; runMs: number };
	cursorField: 'nextCursor' | 'next_cursor';
	omitCursorAtEnd: boolean;
	failedBody: AnduinFailedBodyShape;
	fileUrlTtlMs: number;
	cursorTtlMs: number;
	formats: Partial<Record<AnduinObjectType, AnduinFileFormat>>;
	csvLineEnding: string;
	storageContentType: 'by-format' | 'octet-stream';
	acceptBearer: boolean;
	unknownFirmStatus: 403 | 404;
}

function isActive(job: AnduinExportJob): boolean {
	return job.status === 'Pending' || job.status === 'InProgress';
}

/** Brings a job's status up to date. `poll`: this is a status call (call-counted progression moves on). */
function advance(state: EmulatorState, runtime: JobRuntime, poll: boolean): void {
	const { job, plan } = runtime;
	if (poll) job.polls++;
	if (!isActive(job)) return;
	const partial = (fraction: number) => Math.min(Math.max(0, job.total - 1), Math.floor(job.total * Math.max(0, Math.min(1, fraction))));
	if (plan.pendingPolls === undefined && state.timing) {
		const elapsed = state.clock.now().getTime() - job.createdAt.getTime();
		const { pendingMs, runMs } = state.timing;
		if (elapsed < pendingMs) return;
		if (plan.neverFinish || elapsed < pendingMs + runMs) {
			job.status = 'InProgress';
			job.processed = partial(runMs > 0 ? (elapsed - pendingMs) / runMs : 0);
			return;
		}
		return finish(state, runtime);
	}
	if (!poll) return;
	const nonFinal = plan.pendingPolls ?? state.defaultPolls;
	if (plan.neverFinish || job.polls <= nonFinal) {
		job.status = job.polls === 1 ? 'Pending' : 'InProgress';
		job.processed = job.status === 'Pending' ? 0 : partial((job.polls - 1) / Math.max(1, nonFinal));
		return;
	}
	finish(state, runtime);
}

function finish(state: EmulatorState, runtime: JobRuntime, outcome?: 'Completed' | 'Failed', message?: string): void {
	const { job, plan, snapshot } = runtime;
	const nowMs = state.clock.now().getTime();
	job.completedAt = new Date(nowMs);
	if (outcome === 'Failed' || (outcome === undefined && plan.failMessage !== undefined)) {
		job.status = 'Failed';
		job.errorMessage = message ?? plan.failMessage ?? 'The export job failed.';
		return;
	}
	job.status = 'Completed';
	job.processed = job.total;
	const nextOffset = job.offset + job.total;
	// A1: a nextCursor only when the export holds more objects than this job took.
	job.nextCursor =
		nextOffset < snapshot.rows.length
			? state.sealer.seal({ v: 1, f: state.firmId, t: snapshot.type, s: snapshot.id, o: nextOffset, k: snapshot.filterKey, i: nowMs })
			: null;
	const path = `/${BUCKET}/${state.firmId}/${job.requestId}/${job.objectType}-export.${extensionOf(job.format)}`;
	runtime.filePath = path;
	state.files.set(path, runtime);
	job.fileUrl = signedUrl(state, path, nowMs);
	job.fileExpiresAt = new Date(Math.floor(nowMs / SECOND) * SECOND + Math.ceil(state.fileUrlTtlMs / SECOND) * SECOND);
}

function statusBody(state: EmulatorState, job: AnduinExportJob): Record<string, unknown> {
	const base = { requestId: job.requestId, status: job.status };
	switch (job.status) {
		case 'Pending':
			return base;
		case 'InProgress':
			return { ...base, progress: { processed: job.processed } };
		case 'Completed': {
			const result: Record<string, unknown> = { total: job.total, fileUrl: job.fileUrl };
			if (job.nextCursor !== null || !state.omitCursorAtEnd) result[state.cursorField] = job.nextCursor;
			return { ...base, result };
		}
		case 'Failed': {
			const message = job.errorMessage ?? 'The export job failed.';
			if (state.failedBody === 'error-string') return { ...base, error: message };
			if (state.failedBody === 'message') return { ...base, message };
			return { ...base, error: { message } };
		}
	}
}

// ---------------------------------------------------------------------------------------------
// Files

function extensionOf(format: AnduinFileFormat): string {
	if (format === 'json') return 'json';
	if (format === 'jsonl') return 'jsonl';
	if (format === 'zip-csv' || format === 'zip-json') return 'zip';
	return 'csv';
}

function contentTypeOf(state: EmulatorState, format: AnduinFileFormat): string {
	if (state.storageContentType === 'octet-stream') return 'application/octet-stream';
	if (format === 'json') return 'application/json';
	if (format === 'jsonl') return 'application/x-ndjson';
	if (format === 'zip-csv' || format === 'zip-json') return 'application/zip';
	return 'text/csv; charset=utf-8';
}

function csvCell(value: unknown): string {
	const text =
		value === null || value === undefined
			? ''
			: Array.isArray(value)
				? value.join('; ') // [I] list cells joined with "; "
				: typeof value === 'object'
					? JSON.stringify(value) // e.g. communicationTypes, which a public script parses as JSON
					: String(value);
	return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function toCsv(columns: readonly string[], rows: readonly AnduinRecord[], eol: string): string {
	const lines = [columns.map(csvCell).join(',')];
	for (const row of rows) lines.push(columns.map((column) => csvCell(row[column])).join(','));
	return lines.join(eol) + eol;
}

function ordered(columns: readonly string[], row: AnduinRecord): AnduinRecord {
	return Object.fromEntries(columns.map((column) => [column, row[column] ?? null]));
}

async function buildFile(state: EmulatorState, runtime: JobRuntime): Promise<Buffer> {
	const { columns } = runtime.snapshot;
	const rows = runtime.rows;
	const format = runtime.job.format;
	const csv = () => toCsv(columns, rows, state.csvLineEnding);
	const json = () => JSON.stringify(rows.map((row) => ordered(columns, row)));
	switch (format) {
		case 'csv':
			return Buffer.from(csv(), 'utf8');
		case 'csv-bom':
			return Buffer.from(`\uFEFF${csv()}`, 'utf8');
		case 'json':
			return Buffer.from(json(), 'utf8');
		case 'jsonl':
			return Buffer.from(rows.map((row) => `${JSON.stringify(ordered(columns, row))}\n`).join(''), 'utf8');
		case 'zip-csv':
		case 'zip-json': {
			const zip = new JSZip();
			const inner = format === 'zip-csv' ? `${runtime.job.objectType}.csv` : `${runtime.job.objectType}.json`;
			zip.file(inner, format === 'zip-csv' ? csv() : json(), { date: runtime.job.completedAt ?? new Date() });
			return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
		}
	}
}

function fileOf(state: EmulatorState, runtime: JobRuntime): Promise<Buffer> {
	runtime.file ??= buildFile(state, runtime);
	return runtime.file;
}

// ---------------------------------------------------------------------------------------------
// API server

class ApiError extends Error {
	constructor(
		readonly status: number,
		message: string,
	) {
		super(message);
	}
}

interface ApiRoute {
	kind: 'start' | 'status' | 'list' | 'unknown';
	firmId?: string;
	segment?: string;
	requestId?: string;
}

function route(method: string, path: string): ApiRoute {
	let m = /^\/api\/v1\/idm\/([^/]+)\/([a-z-]+)\/export$/.exec(path);
	if (m && method === 'POST') return { kind: 'start', firmId: decodeURIComponent(m[1]), segment: m[2] };
	m = /^\/api\/v1\/request\/([^/]+)$/.exec(path);
	if (m && method === 'GET') return { kind: 'status', requestId: decodeURIComponent(m[1]) };
	m = /^\/api\/v1\/idm\/([^/]+)\/([a-z-]+)$/.exec(path);
	if (m && method === 'GET' && LISTABLE.has(m[2])) return { kind: 'list', firmId: decodeURIComponent(m[1]), segment: m[2] };
	return { kind: 'unknown' };
}

function faultMessage(status: number): string {
	if (status === 429) return MSG.tooMany;
	if (status >= 500) return MSG.server;
	return `Emulated fault (HTTP ${status}).`;
}

async function handleApi(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
	const entry: AnduinLoggedRequest = logRequest<'api' | 'storage'>(state.requests, 'api', req);
	res.on('finish', () => {
		entry.status = res.statusCode;
	});
	const url = new URL(req.url ?? '/', 'http://api.local');
	try {
		let raw: Buffer;
		try {
			raw = await readBody(req, 16 * 1024 * 1024);
		} catch (error) {
			if (error instanceof HttpError) throw new ApiError(413, 'Request body too large.');
			throw error;
		}
		entry.body = raw.toString('utf8');
		const target = route(req.method ?? 'GET', entry.path);
		if (target.kind === 'unknown') throw new ApiError(404, MSG.notFound);
		// Bursts come first: a gateway answers them before the service authenticates [I].
		const burst = state.faults.takeBurst(target.kind);
		if (burst) throw new ApiError(burst.status, faultMessage(burst.status));
		const user = authenticate(state, req);
		if (target.kind === 'status') return answerStatus(state, res, user, target.requestId ?? '');
		if (target.firmId !== state.firmId) throw new ApiError(state.unknownFirmStatus, state.unknownFirmStatus === 403 ? MSG.forbidden : MSG.notFound);
		if (target.kind === 'list') return answerList(state, res, target.segment ?? '', url.searchParams);
		if (!target.segment || !TYPE_SET.has(target.segment)) throw new ApiError(404, MSG.notFound);
		return startExport(state, req, res, user, target.segment as AnduinObjectType, raw, url.searchParams);
	} catch (error) {
		if (error instanceof ApiError) return sendJson(res, error.status, { message: error.message });
		throw error;
	}
}

/** A3: the key as it is in Authorization. "Bearer <key>" is refused unless acceptBearer [I]. */
function authenticate(state: EmulatorState, req: http.IncomingMessage): string {
	const header = headerValue(req, 'authorization')?.trim() ?? '';
	const bearer = /^Bearer\s+(.+)$/i.exec(header);
	const key = bearer && state.acceptBearer ? bearer[1].trim() : header;
	if (!key || !state.users.has(key)) throw new ApiError(401, MSG.unauthorized);
	return key;
}

function parseBody(req: http.IncomingMessage, raw: Buffer): Record<string, unknown> {
	if (raw.length === 0) return {};
	const mediaType = parseContentType(headerValue(req, 'content-type')).mediaType;
	if (mediaType !== 'application/json') throw new ApiError(415, `Unsupported Content-Type "${mediaType || '(none)'}": send application/json.`); // [I]
	let body: unknown;
	try {
		body = JSON.parse(raw.toString('utf8'));
	} catch {
		throw new ApiError(400, 'body: Invalid JSON');
	}
	if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'body: must be a JSON object');
	return body as Record<string, unknown>;
}

function startExport(
	state: EmulatorState,
	req: http.IncomingMessage,
	res: http.ServerResponse,
	user: string,
	type: AnduinObjectType,
	raw: Buffer,
	query: URLSearchParams,
): void {
	const body = parseBody(req, raw);
	const nowMs = state.clock.now().getTime();
	const cursor = body.cursor;
	if (cursor !== undefined && cursor !== null && typeof cursor !== 'string') throw new ApiError(400, 'cursor: Invalid');
	const selection = type === 'profiles' ? selectProfiles(state, body, query) : { rows: state.store.rawList(type), columns: COLUMNS[type as Exclude<AnduinObjectType, 'profiles'>], filterKey: '' };
	let snapshot: Snapshot;
	let offset = 0;
	if (typeof cursor === 'string') {
		const payload = state.sealer.open(cursor);
		const found = payload ? state.snapshots.get(payload.s) : undefined;
		if (!payload || !found || payload.f !== state.firmId) throw new ApiError(400, 'cursor: Invalid');
		if (payload.t !== type) throw new ApiError(400, `cursor: Invalid (it belongs to a ${payload.t} export)`);
		if (payload.k !== selection.filterKey) throw new ApiError(400, 'cursor: Invalid (the request parameters differ from the first job of this export)');
		if (nowMs - payload.i > state.cursorTtlMs) throw new ApiError(400, 'cursor: Expired');
		snapshot = found;
		offset = payload.o;
	} else {
		snapshot = {
			id: randomUUID(),
			type,
			rows: selection.rows,
			columns: selection.columns,
			filterKey: selection.filterKey,
			createdMs: nowMs,
		};
	}
	for (const runtime of state.jobs.values()) advance(state, runtime, false);
	if (state.jobList.some((job) => job.apiKey === user && isActive(job))) throw new ApiError(state.faults.currentBusyStatus(), MSG.busy); // no Retry-After: none is documented
	const failed = state.faults.takeRequestFailed();
	if (failed !== undefined) throw new ApiError(402, failed);
	state.snapshots.set(snapshot.id, snapshot);
	const plan = state.faults.takePlan();
	const rows = snapshot.rows.slice(offset, offset + state.jobSizeLimit);
	const job: AnduinExportJob = {
		requestId: `export-${randomUUID()}`,
		objectType: type,
		apiKey: user,
		status: 'Pending',
		createdAt: new Date(nowMs),
		completedAt: null,
		total: rows.length,
		processed: 0,
		offset,
		snapshotId: snapshot.id,
		format: plan.format ?? state.faults.formatFor(type) ?? state.formats[type] ?? 'csv',
		cursorIn: typeof cursor === 'string' ? cursor : null,
		nextCursor: null,
		fileUrl: null,
		fileExpiresAt: null,
		errorMessage: null,
		polls: 0,
		requestBody: body,
		query: Object.fromEntries(query),
	};
	state.jobs.set(job.requestId, { job, plan, snapshot, rows });
	state.jobList.push(job);
	sendJson(res, 200, { requestId: job.requestId });
}

/** A5 bulk-export-profiles: body investmentEntityIds (Anduin or tracking ids), query exportTemplateId. */
function selectProfiles(state: EmulatorState, body: Record<string, unknown>, query: URLSearchParams): { rows: AnduinRecord[]; columns: string[]; filterKey: string } {
	const templateId = query.get('exportTemplateId');
	let template: AnduinExportTemplate | undefined;
	if (templateId === null || templateId === '') {
		// A5: optional when the firm has only one export template.
		if (state.templates.length !== 1) throw new ApiError(400, 'exportTemplateId: Required (the firm has several export templates)');
		template = state.templates[0];
	} else {
		template = state.templates.find((candidate) => candidate.id === templateId);
		if (!template) throw new ApiError(400, 'exportTemplateId: Invalid');
	}
	const ids = body.investmentEntityIds;
	let wanted: Set<string> | undefined;
	if (ids !== undefined && ids !== null) {
		// [I] left out = every investment entity's profile.
		if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === 'string' && id !== '')) throw new ApiError(400, 'investmentEntityIds: Invalid');
		wanted = new Set(ids as string[]);
		const known = new Set<string>();
		for (const profile of state.store.rawList('profiles')) {
			known.add(String(profile.investmentEntityId));
			known.add(String(profile.investmentEntityTrackingId));
		}
		const unknown = (ids as string[]).filter((id) => !known.has(id));
		if (unknown.length > 0) throw new ApiError(400, `investmentEntityIds: Invalid (unknown: ${unknown.slice(0, 5).join(', ')})`);
	}
	const fields = [...PROFILE_ID_COLUMNS, ...template.fields];
	const rows = state.store
		.rawList('profiles')
		.filter((profile) => !wanted || wanted.has(String(profile.investmentEntityId)) || wanted.has(String(profile.investmentEntityTrackingId)))
		.map((profile) => Object.fromEntries(fields.map(({ field, header }) => [header, profile[field] ?? ''])));
	const filterKey = `${template.id}|${wanted ? [...wanted].sort().join(',') : '*'}`;
	return { rows, columns: fields.map((field) => field.header), filterKey };
}

function answerStatus(state: EmulatorState, res: http.ServerResponse, user: string, requestId: string): void {
	const runtime = state.jobs.get(requestId);
	// Another user's request answers as unknown [I]: the status route is not firm-scoped, the key is.
	if (!runtime || runtime.job.apiKey !== user) throw new ApiError(404, MSG.notFound);
	advance(state, runtime, true);
	sendJson(res, 200, statusBody(state, runtime.job));
}

/**
 * Cheap authenticated reads for a credential test [I: shapes as a public API script uses them, not
 * confirmed by the stored reference]: `?offset=&first=` → `{data,total}`; fund-legal-entities → `{data,nextCursor}`.
 */
function answerList(state: EmulatorState, res: http.ServerResponse, segment: string, query: URLSearchParams): void {
	if (segment === 'fund-legal-entities') return sendJson(res, 200, { data: state.fles, nextCursor: null });
	const type = segment as Exclude<AnduinObjectType, 'profiles'>;
	const offset = query.get('offset') === null ? 0 : Number(query.get('offset'));
	const first = query.get('first') === null ? 100 : Number(query.get('first'));
	if (!Number.isInteger(offset) || offset < 0) throw new ApiError(400, 'offset: Invalid');
	if (!Number.isInteger(first) || first < 1 || first > 1000) throw new ApiError(400, 'first: Invalid');
	const all = state.store.rawList(type);
	sendJson(res, 200, { data: all.slice(offset, offset + first).map((row) => ordered(COLUMNS[type], row)), total: all.length });
}

// ---------------------------------------------------------------------------------------------
// Storage server: a pretend S3 bucket with SigV4-style presigned URLs [I]

function stringToSign(path: string, date: string, expires: string, credential: string): string {
	// A shortened SigV4 string-to-sign: only this emulator checks it.
	return `AWS4-HMAC-SHA256\n${date}\n${credential}\nGET\n${path}\nX-Amz-Expires=${expires}\nhost`;
}

function signature(state: EmulatorState, path: string, date: string, expires: string, credential: string): string {
	return createHmac('sha256', state.signingSecret).update(stringToSign(path, date, expires, credential)).digest('hex');
}

function signedUrl(state: EmulatorState, path: string, nowMs: number): string {
	const date = amzDate(Math.floor(nowMs / SECOND) * SECOND);
	const credential = `${state.accessKeyId}/${date.slice(0, 8)}/${REGION}/s3/aws4_request`;
	const expires = String(Math.ceil(state.fileUrlTtlMs / SECOND));
	const query = new URLSearchParams({
		'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
		'X-Amz-Credential': credential,
		'X-Amz-Date': date,
		'X-Amz-Expires': expires,
		'X-Amz-SignedHeaders': 'host',
		'X-Amz-Signature': signature(state, path, date, expires, credential),
	});
	return `${state.storageOrigin}${path}?${query.toString()}`;
}

function s3Error(
	res: http.ServerResponse,
	status: number,
	code: string,
	message: string,
	headOnly: boolean,
	extra: Record<string, string> = {},
	headers: Record<string, string> = {},
): void {
	const requestId = randomBytes(8).toString('hex').toUpperCase();
	const details = Object.entries(extra)
		.map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
		.join('');
	const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message>${details}<RequestId>${requestId}</RequestId><HostId>${randomBytes(24).toString('base64')}</HostId></Error>`;
	const all = { ...headers, 'x-amz-request-id': requestId, Server: 'AmazonS3' };
	if (headOnly) return sendEmpty(res, status, all);
	sendText(res, status, xml, 'application/xml', all);
}

function escapeXml(text: string): string {
	return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The API key in any header or in the URL: the client leaked it to the file host. */
function leakedKey(state: EmulatorState, req: http.IncomingMessage): string | undefined {
	const url = req.url ?? '';
	let decoded = url;
	try {
		decoded = decodeURIComponent(url);
	} catch {
		// keep the raw URL
	}
	for (const key of state.users) {
		if (url.includes(key) || decoded.includes(key)) return 'the API key in the URL';
		for (const [name, value] of Object.entries(req.headers)) {
			const values = Array.isArray(value) ? value : [value ?? ''];
			if (values.some((text) => text.includes(key))) return `the API key in the ${name} header`;
		}
	}
	return undefined;
}

async function handleStorage(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
	const entry: AnduinLoggedRequest = logRequest<'api' | 'storage'>(state.requests, 'storage', req);
	res.on('finish', () => {
		entry.status = res.statusCode;
	});
	const method = req.method ?? 'GET';
	const headOnly = method === 'HEAD';
	if (headerValue(req, 'authorization') !== undefined) {
		// What S3 answers a presigned URL that also carries an Authorization header.
		const authorization = headerValue(req, 'authorization') ?? '';
		const carriesKey = [...state.users].some((key) => authorization.includes(key));
		entry.refused = `request carries an Authorization header${carriesKey ? ' (with the API key)' : ''}`;
		return s3Error(
			res,
			400,
			'InvalidArgument',
			'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
			headOnly,
			{ ArgumentName: 'Authorization', ArgumentValue: carriesKey ? '(the API key)' : authorization },
		);
	}
	const leak = leakedKey(state, req);
	if (leak) {
		entry.refused = `request carries ${leak}`;
		return s3Error(res, 403, 'AccessDenied', `Access Denied (emulator guard: the request carries ${leak}; file URLs are presigned, send no Anduin credentials here)`, headOnly);
	}
	if (method !== 'GET' && !headOnly) return s3Error(res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', false, { Method: method, ResourceType: 'OBJECT' });
	const burst = state.faults.takeBurst('download');
	if (burst) {
		return burst.status === 429
			? s3Error(res, 429, 'TooManyRequests', 'Please reduce your request rate.', headOnly)
			: s3Error(res, burst.status, burst.status === 503 ? 'SlowDown' : 'InternalError', burst.status === 503 ? 'Please reduce your request rate.' : 'We encountered an internal error. Please try again.', headOnly);
	}
	const [path, queryText = ''] = (req.url ?? '/').split('?');
	const params = new URLSearchParams(queryText);
	const sig = params.get('X-Amz-Signature');
	if (!sig) return s3Error(res, 403, 'AccessDenied', 'Access Denied', headOnly);
	const date = params.get('X-Amz-Date') ?? '';
	const expires = params.get('X-Amz-Expires') ?? '';
	const credential = params.get('X-Amz-Credential') ?? '';
	const signedMs = parseAmzDate(date);
	if (params.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' || signedMs === undefined || !/^\d+$/.test(expires)) {
		return s3Error(res, 400, 'AuthorizationQueryParametersError', 'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.', headOnly);
	}
	if (sig !== signature(state, path, date, expires, credential)) {
		return s3Error(res, 403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', headOnly);
	}
	const nowMs = state.clock.now().getTime();
	const expiresMs = signedMs + Number(expires) * SECOND;
	if (nowMs >= expiresMs || state.expiredPaths.has(path)) {
		return s3Error(res, 403, 'AccessDenied', 'Request has expired', headOnly, {
			'X-Amz-Expires': expires,
			Expires: new Date(Math.min(expiresMs, nowMs)).toISOString().replace(/\.\d{3}Z$/, 'Z'),
			ServerTime: new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
		});
	}
	const runtime = state.files.get(path);
	if (!runtime) return s3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.', headOnly, { Key: path.split('/').slice(2).join('/') });
	const file = await fileOf(state, runtime);
	sendFile(state, req, res, runtime, file, headOnly);
}

function sendFile(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse, runtime: JobRuntime, file: Buffer, headOnly: boolean): void {
	const size = file.length;
	const range = parseByteRange(headerValue(req, 'range'), size);
	if (range.kind === 'unsatisfiable') {
		return s3Error(res, 416, 'InvalidRange', 'The requested range is not satisfiable', headOnly, { RangeRequested: headerValue(req, 'range') ?? '', ActualObjectSize: String(size) }, { 'Content-Range': `bytes */${size}` });
	}
	const name = `${runtime.job.objectType}-export-${runtime.job.requestId}.${extensionOf(runtime.job.format)}`;
	const headers: Record<string, string> = {
		'Content-Type': contentTypeOf(state, runtime.job.format),
		'Content-Disposition': `attachment; filename="${name}"`,
		'Accept-Ranges': 'bytes',
		ETag: `"${createHash('md5').update(file).digest('hex')}"`,
		'Last-Modified': httpDate((runtime.job.completedAt ?? state.clock.now()).getTime()),
		'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(),
		'x-amz-server-side-encryption': 'AES256',
		Server: 'AmazonS3',
	};
	let status = 200;
	let body = file;
	if (range.kind === 'range') {
		status = 206;
		body = file.subarray(range.start, range.end + 1);
		headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
	}
	const cutAfterBytes = headOnly ? undefined : state.faults.takeTruncation(body.length);
	sendBytes(res, status, body, headers, { cutAfterBytes, headOnly });
}

// ---------------------------------------------------------------------------------------------
// Start

function randomFirmId(): string {
	return `fdf${idChars(fnv(randomUUID()), 13)}`;
}

function randomApiKey(): string {
	return `anduin_api_key_${randomBytes(16).toString('hex')}`;
}

export async function startAnduinIdmEmulator(options: AnduinIdmEmulatorOptions = {}): Promise<AnduinIdmEmulator> {
	const jobSizeLimit = options.jobSizeLimit ?? DEFAULT_JOB_SIZE;
	if (!Number.isInteger(jobSizeLimit) || jobSizeLimit < 1) throw new Error('jobSizeLimit must be a positive integer');
	const defaultPolls = options.pollsUntilDone ?? DEFAULT_POLLS;
	if (!Number.isInteger(defaultPolls) || defaultPolls < 0) throw new Error('pollsUntilDone must be a non-negative integer');
	for (const format of Object.values(options.formats ?? {})) assertFormat(String(format));
	const clock = createClock(options.frozenClock === true);
	const firmId = options.firmId ?? randomFirmId();
	const apiKey = options.apiKey ?? randomApiKey();
	const secondApiKey = options.secondApiKey ?? randomApiKey();
	if (apiKey === secondApiKey) throw new Error('apiKey and secondApiKey must differ');
	const fles = FLE_NAMES.map((name) => ({ id: `${firmId}.fle${idChars(fnv(name), 8)}`, name }));
	const communicationTypeIds = COMMUNICATION_TYPES.map((name) => `${firmId}.cmt${idChars(fnv(name), 6)}`);
	const templates = options.exportTemplates ?? defaultTemplates(firmId);
	const store = new ObjectStore(clock, () => ({ firmId, fles, communicationTypeIds }));
	// Declared first: the fault switches below reach into it.
	// eslint-disable-next-line prefer-const
	let state: EmulatorState;
	const faults = createFaults(
		options.busyStatus ?? 409,
		() => {
			for (const path of state.files.keys()) state.expiredPaths.add(path);
		},
		() => {
			state.sealer.rotate();
			state.snapshots.clear();
		},
	);
	state = {
		clock,
		store,
		faults,
		sealer: new CursorSealer(),
		firmId,
		firmName: options.firmName ?? 'Anduin Demo Capital Partners',
		users: new Set([apiKey, secondApiKey]),
		templates,
		fles,
		jobs: new Map(),
		jobList: [],
		snapshots: new Map(),
		files: new Map(),
		expiredPaths: new Set(),
		requests: [],
		storageOrigin: '',
		signingSecret: randomBytes(32).toString('hex'),
		accessKeyId: `AKIA${idChars(fnv(randomUUID()), 16).toUpperCase()}`,
		jobSizeLimit,
		defaultPolls,
		timing: options.timing,
		cursorField: options.cursorField ?? 'nextCursor',
		omitCursorAtEnd: options.omitCursorAtEnd === true,
		failedBody: options.failedBody ?? 'error-object',
		fileUrlTtlMs: options.fileUrlTtlMs ?? DEFAULT_URL_TTL_MS,
		cursorTtlMs: options.cursorTtlMs ?? DEFAULT_CURSOR_TTL_MS,
		formats: { ...options.formats },
		csvLineEnding: options.csvLineEnding ?? '\r\n',
		storageContentType: options.storageContentType ?? 'by-format',
		acceptBearer: options.acceptBearer === true,
		unknownFirmStatus: options.unknownFirmStatus ?? 403,
	};
	if (options.seed !== false) {
		const counts = { ...DEFAULT_SEED, ...(typeof options.seed === 'object' ? options.seed : {}) };
		// Referenced types first, so generated references point at real objects.
		for (const type of ANDUIN_OBJECT_TYPES) store.generate(type, counts[type]);
	}
	const servers = await startApiAndStorage(
		(req, res) => handleApi(state, req, res),
		(req, res) => handleStorage(state, req, res),
		options,
	);
	state.storageOrigin = servers.storageOrigin;
	const runtimeOf = (requestId: string) => state.jobs.get(requestId);
	return {
		apiOrigin: servers.api.origin,
		storageOrigin: state.storageOrigin,
		apiKey,
		secondApiKey,
		firmId,
		firmName: state.firmName,
		exportTemplates: templates,
		fundLegalEntities: fles,
		clock,
		objects: store,
		faults,
		get jobs() {
			for (const runtime of state.jobs.values()) advance(state, runtime, false);
			return state.jobList;
		},
		job: (requestId) => {
			const runtime = runtimeOf(requestId);
			if (runtime) advance(state, runtime, false);
			return runtime?.job;
		},
		finishJob: (requestId, outcome = 'Completed', message) => {
			const runtime = runtimeOf(requestId);
			if (!runtime) throw new Error(`finishJob: no job ${requestId}`);
			if (isActive(runtime.job)) finish(state, runtime, outcome, message);
		},
		fileBytes: async (requestId) => {
			const runtime = runtimeOf(requestId);
			return runtime && runtime.job.status === 'Completed' ? fileOf(state, runtime) : undefined;
		},
		requests: state.requests,
		requestsTo: (host) => state.requests.filter((request) => request.host === host),
		close: async () => {
			await Promise.all([servers.api.close(), servers.storage.close()]);
		},
	};
}

// `node --import tsx test/emulators/anduin-idm.ts`: run it for a demo.
if (require.main === module) {
	runFromCommandLine(
		() => startAnduinIdmEmulator({ port: Number(process.env.PORT) || undefined }),
		(emulator) => [
			`Anduin IDM emulator API: ${emulator.apiOrigin}   (stands for https://api.anduin.app)`,
			`storage (fileUrl host):  ${emulator.storageOrigin}`,
			`Authorization header:    ${emulator.apiKey}`,
			`second user's key:       ${emulator.secondApiKey}`,
			`firm id:                 ${emulator.firmId}`,
			`export types:            ${ANDUIN_OBJECT_TYPES.map((type) => `POST /api/v1/idm/${emulator.firmId}/${type}/export`).join('\n                         ')}`,
			`credential test:         GET /api/v1/idm/${emulator.firmId}/contacts?offset=0&first=1`,
		],
	);
}
