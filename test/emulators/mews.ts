/**
 * Local emulator of the Mews Connector API data exports (`exports/add`, `exports/getAll`) and the
 * file storage their download links point to, for tests and demos.
 *
 * Behaviour follows the public Mews documentation, not any client code:
 *   - /work/shared/seeds/mews-connector-exports.txt (an older copy of the exports page) and
 *     /work/shared/providers.md section 2 ("pm" below);
 *   - repo MewsSystems/gitbook-connector-api ("gb" below): operations/exports.md (newest, and the
 *     older contract of commit 1d0383fc with Limitation/Cursor), use-cases/data-export.md,
 *     guidelines/requests.md, responses.md, environments.md, pagination.md, serialization.md,
 *     concepts/multi-property.md, operations/configuration.md, the entity pages (orderitems.md,
 *     payments.md, reservations.md, customers.md, companies.md, bills.md,
 *     availabilityadjustments.md, availabilityblocks.md, resourceblocks.md) and changelog/;
 *   - the OpenAPI schema generated from Mews's Swagger (repo api-evangelist/mews-systems,
 *     openapi/mews-systems-exports-api-openapi.yml, "oa" below): minItems/maxItems/uuid formats,
 *     `LedgerEntryFilters`, the half-open [StartUtc, EndUtc) time filter;
 *   - docs.mews.com/connector-api/operations/_export-types (the LedgerEntry shape, first fields);
 *   - Azure Blob Storage error answers as quoted in microsoft/AzureStorageExplorer and
 *     floci-io/floci-az issues (expired SAS, unsupported Authorization scheme).
 * Two servers:
 *   - the API (`platformAddress`, 127.0.0.1): POST /api/connector/v1/configuration/get,
 *     /exports/add, /exports/getAll; body authentication (ClientToken, AccessToken, Client);
 *   - a pretend Azure Blob Storage (`storageOrigin`, host name `localhost`): the export files
 *     behind SAS-signed links (`/exports/{exportId}-{n}.jsonl?sv=…&se=…&sr=b&sp=r&sig=…`). It
 *     refuses an Authorization header and any Mews token, so a client leaking its credentials
 *     to the file host fails loudly.
 * [I] marks a choice made where the public documentation is silent.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type * as http from 'node:http';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
	headerValue,
	HttpError,
	logRequest,
	parseByteRange,
	parseContentType,
	readBody,
	sendBytes,
	sendEmpty,
	sendJson,
	sendText,
	startApiAndStorage,
	type LoggedRequest,
	runFromCommandLine,
} from './http';
import { createClock, type EmulatorClock } from './clock';

// ---------------------------------------------------------------------------------------------
// Public API

/** Exported entity types (gb operations/exports.md "Exported entity type"; LedgerEntry is a beta). */
export type MewsEntityType =
	| 'OrderItem'
	| 'Payment'
	| 'Reservation'
	| 'Customer'
	| 'Company'
	| 'Bill'
	| 'AvailabilityAdjustment'
	| 'AvailabilityBlock'
	| 'ResourceBlock'
	| 'LedgerEntry';

export const MEWS_ENTITY_TYPES: readonly MewsEntityType[] = [
	'OrderItem',
	'Payment',
	'Reservation',
	'Customer',
	'Company',
	'Bill',
	'AvailabilityAdjustment',
	'AvailabilityBlock',
	'ResourceBlock',
	'LedgerEntry',
];

/** The older contract accepted only this type (gb 1d0383fc, pm). */
export const MEWS_OLDER_ENTITY_TYPES: readonly MewsEntityType[] = ['OrderItem'];

/**
 * Customers and companies belong to a chain, not an enterprise (their shapes carry `ChainId` and no
 * `EnterpriseId`; the docs' Company export example is scoped by ChainIds). So their exports are
 * scoped by chain; every other type by enterprise.
 */
export const MEWS_CHAIN_SCOPED_TYPES: readonly MewsEntityType[] = ['Customer', 'Company'];

export type MewsExportStatus = 'Pending' | 'Processing' | 'Success' | 'Failed' | 'Expired';

export type { EmulatorClock };

export interface MewsGenerateOptions {
	/** UpdatedUtc of the entities is spread evenly over [since, until] (default: the last 30 days). */
	since?: Date;
	until?: Date;
	/** Entity n belongs to enterpriseIds[n % length] (chain-scoped types: that enterprise's chain, or a chain id given here). Default: enterpriseIds[0]. */
	enterpriseIds?: string[];
}

export interface MewsEntities {
	/**
	 * Creates or updates one entity of a type by `Id` (fields are merged; a new entity starts from
	 * realistic defaults). `UpdatedUtc` becomes `updatedUtc` (default: the entity's own UpdatedUtc if
	 * it carries one, else clock.now()); `CreatedUtc` is set on create. `enterpriseId` places it (an
	 * enterprise, or for Customer/Company a chain or an enterprise whose chain is used). Returns a copy
	 * of the stored entity.
	 */
	upsert(type: MewsEntityType, entity: Record<string, unknown> & { Id?: string }, updatedUtc?: Date, enterpriseId?: string): Record<string, unknown>;
	/** Replaces all entities of a type with `count` deterministic realistic ones, computed on demand (1,000,000 is fine). */
	generate(type: MewsEntityType, count: number, options?: MewsGenerateOptions): void;
	count(type: MewsEntityType): number;
	/** Every entity of a type, in export order (materialized: do not call it on a million). */
	list(type: MewsEntityType): Array<Record<string, unknown>>;
	get(type: MewsEntityType, id: string): Record<string, unknown> | undefined;
	/** The enterprise (or chain, for Customer/Company) an entity belongs to; Reservation and AvailabilityAdjustment do not say it in their JSON. */
	scopeOf(type: MewsEntityType, id: string): string | undefined;
}

export interface MewsFaults {
	/** The next `count` API requests answer 429 with Retry-After in seconds (default 1), or as an HTTP date 1–2 s ahead (real time). */
	rateLimit(count: number, retryAfter?: number | 'http-date'): void;
	/** The next `count` API requests answer `status` (default 500) with a `{Message}` body. */
	serverError(count: number, status?: number): void;
	/** The next added export ends Failed. */
	failExport(): void;
	/** The next added export answers `polls` getAll polls with Pending/Processing before its final state. */
	pollsUntilDone(polls: number): void;
	/** The next added export stays Processing. */
	neverFinish(): void;
	/** The next `count` file downloads answer as an expired SAS link does (403 AuthenticationFailed). */
	expireUrls(count: number): void;
	/** The next `count` file downloads announce the full Content-Length, then drop the connection after `atBytes` (default: half). */
	truncateDownload(count: number, atBytes?: number): void;
	reset(): void;
}

/** One file of a Success export, as the emulator holds it. */
export interface MewsExportFile {
	/** `{exportId}-{n}.jsonl`, n from 1. */
	name: string;
	/** Path on the storage host (`/exports/{name}`). */
	path: string;
	/** Position of its first line in the export (0-based) and how many lines (entities) it holds. */
	firstLine: number;
	lines: number;
	SizeInBytes: number;
}

export interface MewsExportRecord {
	Id: string;
	EntityType: MewsEntityType;
	Status: MewsExportStatus;
	/** `Scope` as the client sent it; null when left out, or when the API version ignores it (older). */
	Scope: Record<string, unknown> | null;
	/** `Filters` as the client sent it; null when left out, or when the API version ignores it (older). */
	Filters: Record<string, unknown> | null;
	/** What the export covers: the `Scope` of the answers (enterprises, or chains for Customer/Company). */
	coverage: { EnterpriseIds: string[] | null; ChainIds: string[] | null };
	createdUtc: Date;
	/** getAll answers that returned it so far. */
	polls: number;
	/** When it reached Success or Failed. */
	completedUtc: Date | null;
	ExpiresUtc: Date | null;
	/** Empty until Success, and again once Expired. */
	Files: MewsExportFile[];
	/** The AccessToken it belongs to, and the `Client` that added it. */
	accessToken: string;
	client: string;
	/** The exports/add body as received. */
	requestBody: Record<string, unknown>;
}

export interface MewsLoggedRequest extends LoggedRequest<'api' | 'storage'> {
	/** Same as `host`. */
	server: 'api' | 'storage';
	/** API requests: the body text as received (tokens included, so tests can check what was sent). */
	body?: string;
	/** Storage requests refused for carrying credentials: why. */
	refused?: string;
}

export interface MewsRateLimits {
	/** Requests per AccessToken per window. */
	perToken: number;
	/** Requests per endpoint per AccessToken per window (undefined: no such limit). */
	perEndpoint?: number;
	windowMs: number;
}

export interface MewsEmulator {
	/** PlatformAddress, e.g. http://127.0.0.1:<port> (routes under /api/connector/v1/...). */
	platformAddress: string;
	/** http://localhost:<port>: the file storage (signed URLs). */
	storageOrigin: string;
	clientToken: string;
	/** Has export access, single enterprise (enterpriseIds[0], chain chainIds[0]). */
	accessToken: string;
	/** Has export access; covers every id in enterpriseIds and chainIds. */
	portfolioAccessToken: string;
	/** A valid token (configuration/get works) whose exports/* calls answer 401: exports are a restricted beta. */
	accessTokenWithoutExports: string;
	/** [0] is the single-enterprise tokens' enterprise; [0] and [1] are in chainIds[0], [2] in chainIds[1]. */
	enterpriseIds: string[];
	chainIds: string[];
	/** The portfolio token's "dummy" enterprise that configuration/get returns without EnterpriseId. */
	portfolioEnterpriseId: string;
	apiVersion: 'newest' | 'older';
	clock: EmulatorClock;
	entities: MewsEntities;
	faults: MewsFaults;
	/** Every export in creation order, statuses brought up to date (expiry) when read. */
	readonly exports: MewsExportRecord[];
	/** Marks an export Expired now (files gone), as if ExpiresUtc passed. */
	expireExport(id: string): void;
	/** The bytes of file n (1-based) of a Success export, as the storage serves them. */
	exportFile(id: string, n: number): Buffer | undefined;
	requests: MewsLoggedRequest[];
	close(): Promise<void>;
}

export interface MewsEmulatorOptions {
	port?: number;
	storagePort?: number;
	/** getAll polls answered Pending/Processing before the final state (default 2: Pending, Processing, then final). */
	pollsUntilDone?: number;
	/** Lines (entities) per JSONL file of a Success export (default 1000). */
	linesPerFile?: number;
	/** How long a file URL works, from the getAll answer that returned it (default 10 minutes; older: until the export expires). */
	urlValidityMs?: number;
	/** Export files kept this long after Success (ExpiresUtc), default 7 days. */
	retentionMs?: number;
	/** Request limits on the emulator clock, or false for none. Default: MEWS_RATE_LIMITS[apiVersion]. */
	rateLimits?: MewsRateLimits | false;
	/** 'older' = the contract of the seed's era: getAll with Limitation/Cursor, ExportIds optional, add rejects any pending export, OrderItem only. Default 'newest'. */
	apiVersion?: 'newest' | 'older';
	/** A few sample entities of each type (default true). */
	seed?: boolean;
	/**
	 * Default false: the clock runs in real time plus an offset (set/advance move the offset).
	 * true: it stands still except for set/advance, so times compare exactly; note that request-limit
	 * windows then reset only when a test advances the clock.
	 */
	frozenClock?: boolean;
}

/**
 * gb guidelines/environments.md: since 13 Nov 2025 (#858) "200 requests per AccessToken within 30
 * seconds" on demo and production; before that 500 per AccessToken and 250 per endpoint per
 * AccessToken per 15 minutes on demo (pm). The older mode uses the older limits.
 */
export const MEWS_RATE_LIMITS: Record<'newest' | 'older', MewsRateLimits> = {
	newest: { perToken: 200, windowMs: 30 * 1000 },
	older: { perToken: 500, perEndpoint: 250, windowMs: 15 * 60 * 1000 },
};

// ---------------------------------------------------------------------------------------------
// Constants

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;
const API_PREFIX = '/api/connector/v1/';
const DEFAULT_POLLS_UNTIL_DONE = 2;
const DEFAULT_LINES_PER_FILE = 1000;
const URL_VALIDITY_MS = 10 * MINUTE; // gb exports.md "The link remains valid for 10 minutes after it is returned."
const RETENTION_MS = 7 * DAY; // gb data-export.md "typically 1 week"
const MAX_IDS = 1000; // gb exports.md "max 1000 items"
const MIN_END_AGE_MS = 5 * MINUTE; // gb exports.md Export data filters
const MAX_INTERVAL_MS = 180 * DAY;
/** How long the poll that should report Success waits for a big export to be written before answering Processing. */
const BUILD_WAIT_MS = 1000;
const BUILD_CHUNK_LINES = 10000;
const STORAGE_ACCOUNT = 'mewsexports';
const STORAGE_CONTAINER = 'exports';
const SAS_VERSION = '2024-11-04';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CHAIN_SCOPED = new Set<MewsEntityType>(MEWS_CHAIN_SCOPED_TYPES);
const ENTITY_TYPE_SET = new Set<string>(MEWS_ENTITY_TYPES);
/** Types whose documented JSON has an `EnterpriseId` property; Reservation (ver 2023-06-06) and AvailabilityAdjustment do not. */
const HAS_ENTERPRISE_FIELD = new Set<MewsEntityType>(['OrderItem', 'Payment', 'Bill', 'AvailabilityBlock', 'ResourceBlock', 'LedgerEntry']);
/** AvailabilityAdjustment has no CreatedUtc in its documented shape. */
const HAS_CREATED = new Set<MewsEntityType>(MEWS_ENTITY_TYPES.filter((type) => type !== 'AvailabilityAdjustment'));

// ---------------------------------------------------------------------------------------------
// Enterprises, chains and tokens

interface EnterpriseInfo {
	Id: string;
	Name: string;
	ChainId: string;
	ChainName: string;
	TimeZoneIdentifier: string;
	Currency: string;
	Pricing: 'Gross' | 'Net';
	LegalEnvironmentCode: string;
	TaxCode: string;
	TaxRate: number;
	Line1: string;
	City: string;
	PostalCode: string;
	CountryCode: string;
	/** The accommodation service. */
	ServiceId: string;
	CreatedUtc: string;
}

// Ids of the first two enterprises and the first chain are the docs' example ids [I].
const ENTERPRISES: EnterpriseInfo[] = [
	{
		Id: '3fa85f64-5717-4562-b3fc-2c963f66afa6',
		Name: 'Emulator Hotel London',
		ChainId: '8ddea57b-6a5c-4eec-8c4c-24467dce118e',
		ChainName: 'Emulator Hotels Europe',
		TimeZoneIdentifier: 'Europe/London',
		Currency: 'GBP',
		Pricing: 'Gross',
		LegalEnvironmentCode: 'UK',
		TaxCode: 'UK-S',
		TaxRate: 0.2,
		Line1: '1 Emulator Street',
		City: 'London',
		PostalCode: 'EC1A 1BB',
		CountryCode: 'GB',
		ServiceId: 'bd26d8db-86da-4f96-9efc-e5a4654a4a94',
		CreatedUtc: '2015-07-07T13:33:17Z',
	},
	{
		Id: '4d0201db-36f5-428b-8d11-4f0a65e960cc',
		Name: 'Emulátor Hotel Praha',
		ChainId: '8ddea57b-6a5c-4eec-8c4c-24467dce118e',
		ChainName: 'Emulator Hotels Europe',
		TimeZoneIdentifier: 'Europe/Prague',
		Currency: 'EUR',
		Pricing: 'Gross',
		LegalEnvironmentCode: 'CZ',
		TaxCode: 'CZ-R',
		TaxRate: 0.12,
		Line1: 'I.P. Pavlova 5',
		City: 'Praha',
		PostalCode: '120 00',
		CountryCode: 'CZ',
		ServiceId: '294c7859-63ba-46ad-a8bf-34fad2019383',
		CreatedUtc: '2016-03-29T15:14:06Z',
	},
	{
		Id: 'a8c3b4e2-5f61-4d0e-9b7a-1c2d3e4f5a6b',
		Name: 'Emulator Hotel Washington',
		ChainId: '1df21f06-0cfc-4960-9c58-a3bf1261663e',
		ChainName: 'Emulator Hotels US',
		TimeZoneIdentifier: 'America/New_York',
		Currency: 'USD',
		Pricing: 'Net',
		LegalEnvironmentCode: 'US-DC',
		TaxCode: 'US-DC-S',
		TaxRate: 0.1495,
		Line1: '1600 Emulator Ave NW',
		City: 'Washington',
		PostalCode: '20500',
		CountryCode: 'US',
		ServiceId: 'c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f',
		CreatedUtc: '2019-01-15T09:00:00Z',
	},
];
const PORTFOLIO_ENTERPRISE_ID = 'f0e1d2c3-b4a5-4968-8776-655443322110';
const ENTERPRISE_BY_ID = new Map(ENTERPRISES.map((enterprise) => [enterprise.Id, enterprise]));
const CHAIN_IDS = Array.from(new Set(ENTERPRISES.map((enterprise) => enterprise.ChainId)));

function chainOf(enterpriseId: string): string | undefined {
	return ENTERPRISE_BY_ID.get(enterpriseId)?.ChainId;
}

/** The enterprise whose currency and service a chain-scoped entity borrows: the chain's first one. */
function enterpriseForScope(scope: string): EnterpriseInfo {
	return ENTERPRISE_BY_ID.get(scope) ?? ENTERPRISES.find((enterprise) => enterprise.ChainId === scope) ?? ENTERPRISES[0];
}

interface TokenInfo {
	enterprises: string[];
	chains: string[];
	canExport: boolean;
	portfolio: boolean;
}

/** `32 hex-31 hex`, the shape of the demo tokens (gb environments.md). */
function mewsToken(): string {
	return `${randomBytes(16).toString('hex').toUpperCase()}-${randomBytes(16).toString('hex').toUpperCase().slice(0, 31)}`;
}

// ---------------------------------------------------------------------------------------------
// Time formats

const DAY_PREFIXES = new Map<number, string>();

function pad2(n: number): string {
	return n < 10 ? `0${n}` : String(n);
}

/**
 * `2023-03-06T07:31:51Z` (gb serialization.md), with fractional seconds only when there are some,
 * trailing zeros trimmed as .NET writes them (`…:29.98Z`) [I]. Hot path for generated entities.
 */
export function formatMewsTime(ms: number): string {
	const whole = Math.floor(ms / SECOND) * SECOND;
	const day = Math.floor(whole / DAY);
	let prefix = DAY_PREFIXES.get(day);
	if (prefix === undefined) {
		prefix = new Date(day * DAY).toISOString().slice(0, 11);
		if (DAY_PREFIXES.size < 100000) DAY_PREFIXES.set(day, prefix);
	}
	const seconds = (whole - day * DAY) / SECOND;
	let text = `${prefix}${pad2(Math.floor(seconds / 3600))}:${pad2(Math.floor(seconds / 60) % 60)}:${pad2(seconds % 60)}`;
	const fraction = ms - whole;
	if (fraction > 0) text += `.${String(fraction).padStart(3, '0').replace(/0+$/, '')}`;
	return `${text}Z`;
}

function formatDate(ms: number): string {
	return new Date(ms).toISOString().slice(0, 10);
}

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,7})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** An ISO 8601 date-time; one without a zone is read as UTC [I]. Undefined when unreadable. */
function parseMewsTime(value: unknown): number | undefined {
	if (typeof value !== 'string') return undefined;
	const match = ISO_DATE_TIME.exec(value.trim());
	if (!match) return undefined;
	const text = match[8] ? value.trim() : `${value.trim()}Z`;
	const ms = Date.parse(text.replace(/(\.\d{3})\d+/, '$1'));
	return Number.isNaN(ms) ? undefined : ms;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isIsoDate(value: unknown): value is string {
	if (typeof value !== 'string' || !ISO_DATE.test(value)) return false;
	const date = new Date(`${value}T00:00:00Z`);
	return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

/** Azure's `Wed, 29 Jun 2022 07:08:45 GMT`. */
function httpDate(ms: number): string {
	return new Date(ms).toUTCString();
}

// ---------------------------------------------------------------------------------------------
// Deterministic values

function hash32(a: number, b: number): number {
	let h = (a ^ Math.imul(b, 0x9e3779b1)) >>> 0;
	h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
	h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
	h ^= h >>> 16;
	return h >>> 0;
}

function fnv(text: string): number {
	let h = 0x811c9dc5;
	for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
	return h >>> 0;
}

function hex(n: number, width: number): string {
	return n.toString(16).padStart(width, '0').slice(-width);
}

/** A version-4-shaped UUID derived from (salt, n). */
function derivedUuid(salt: number, n: number): string {
	const a = hash32(salt, n);
	const b = hash32(salt ^ 0x5bd1e995, n);
	const c = hash32(salt ^ 0x27d4eb2f, n);
	const d = hash32(salt ^ 0x165667b1, n);
	return `${hex(a, 8)}-${hex(b >>> 16, 4)}-4${hex(b & 0xfff, 3)}-${hex(8 | (c & 3), 1)}${hex(c >>> 20, 3)}-${hex(d, 8)}${hex(c & 0xffff, 4)}`;
}

const REF_SALTS = new Map<string, number>();

/** A referenced id (customer, bill, rate, …) from a pool: the same (kind, n) gives the same id. */
function ref(kind: string, n: number): string {
	let salt = REF_SALTS.get(kind);
	if (salt === undefined) {
		salt = fnv(`ref:${kind}`);
		REF_SALTS.set(kind, salt);
	}
	return derivedUuid(salt, n);
}

function pick<T>(list: readonly T[], n: number, salt: number): T {
	return list[hash32(salt, n) % list.length];
}

function round2(value: number): number {
	return Math.round(value * 100) / 100;
}

/** Generated ids carry their index in the last 12 hex digits (plus a per-type offset), so an id maps back to its entity. */
const GENERATED_INDEX_LIMIT = 0x1000000; // 16,777,216 entities per type

function typeOffset(type: MewsEntityType): number {
	return (fnv(`offset:${type}`) >>> 9) * GENERATED_INDEX_LIMIT; // < 2^47: offset + index fits 12 hex digits
}

function generatedId(type: MewsEntityType, index: number): string {
	const salt = fnv(`id:${type}`);
	const a = hash32(salt, index);
	const b = hash32(salt ^ 0x5bd1e995, index);
	return `${hex(a, 8)}-${hex(b >>> 16, 4)}-4${hex(b & 0xfff, 3)}-${hex(8 | (a & 3), 1)}${hex((a >>> 4) & 0xfff, 3)}-${hex(typeOffset(type) + index, 12)}`;
}

function generatedIndex(type: MewsEntityType, id: string, count: number): number {
	if (id.length !== 36) return -1;
	const index = parseInt(id.slice(24), 16) - typeOffset(type);
	if (!Number.isSafeInteger(index) || index < 0 || index >= count) return -1;
	return generatedId(type, index) === id.toLowerCase() ? index : -1;
}

// ---------------------------------------------------------------------------------------------
// Entity shapes: the properties of each type's documented object (gb operations/*.md), in their
// order, with realistic values. Every few entities carries an awkward value (quotes, line breaks,
// non-Latin scripts, emoji, a backslash, U+2028) for the client's JSON Lines reader.

interface GenContext {
	/** Variety index: the generated index, or a hash of a hand-made entity's id. */
	n: number;
	id: string;
	/** Enterprise, or chain for Customer/Company. */
	scope: string;
	enterprise: EnterpriseInfo;
	createdMs: number;
	updatedMs: number;
}

const FIRST_NAMES = ['Anna', 'Jan', 'Zoë', 'José', 'Sven', 'Mei', 'Oluwaseun', 'Łukasz', 'Chloé', 'Taro', 'Aoife', 'Björn'];
const LAST_NAMES = ['Novák', 'Smith', 'García', 'Müller', 'Nguyen', "O'Brien", 'Kowalski', 'Dubois', '田中', 'Okafor', 'Ní Bhriain', 'Þórsson'];
const COMPANY_NAMES = ['Acme Travel Ltd', 'Globex Corporation', 'Initech s.r.o.', 'Umbrella "Events" GmbH', 'Soylent & Co', 'Hooli Inc.', 'Vandelay Industries', 'Wayne Enterprises'];

function awkwardNote(n: number): string | null {
	if (n % 97 === 5) return 'Line separator\u2028inside, and a tab\tafter it';
	if (n % 41 === 3) return 'Allergies: nuts\nRoom away from the lift\r\nLate arrival';
	if (n % 29 === 7) return 'Guest said "quiet room, please" \\ no feathers';
	if (n % 23 === 11) return 'Café ☕ – 日本語のメモ 😀';
	if (n % 13 === 2) return 'VIP';
	return null;
}

function money(enterprise: EnterpriseInfo, net: number, currency = enterprise.Currency): Record<string, unknown> {
	const netValue = round2(net);
	const tax = round2(netValue * enterprise.TaxRate);
	return {
		Currency: currency,
		NetValue: netValue,
		GrossValue: round2(netValue + tax),
		TaxValues: [{ Code: enterprise.TaxCode, Value: tax }],
		Breakdown: { Items: [{ TaxRateCode: enterprise.TaxCode, NetValue: netValue, TaxValue: tax }] },
	};
}

function fullName(n: number): { first: string; last: string } {
	return { first: FIRST_NAMES[n % FIRST_NAMES.length], last: LAST_NAMES[Math.floor(n / FIRST_NAMES.length) % LAST_NAMES.length] };
}

function hourAfter(ms: number, days: number, hour: number): number {
	return Math.floor(ms / DAY) * DAY + days * DAY + hour * 3600 * SECOND;
}

const GENERATORS: Record<MewsEntityType, (ctx: GenContext) => Record<string, unknown>> = {
	OrderItem: ({ n, id, enterprise, createdMs, updatedMs }) => {
		const type = pick(['SpaceOrder', 'SpaceOrder', 'ProductOrder', 'ProductOrder', 'CityTax', 'CancellationFee'] as const, n, 11);
		const count = type === 'SpaceOrder' ? 1 : 1 + (n % 3);
		const unit = type === 'CityTax' ? 2.5 : type === 'SpaceOrder' ? 80 + (hash32(12, n) % 140) : 4 + (hash32(13, n) % 30);
		const state = pick(['Open', 'Closed', 'Closed', 'Canceled', 'Inactive'] as const, n, 14);
		return {
			Id: id,
			EnterpriseId: enterprise.Id,
			AccountId: ref('customer', n % 5000),
			AccountType: 'Customer',
			ServiceId: enterprise.ServiceId,
			ServiceOrderId: ref('reservation', Math.floor(n / 3)),
			Notes: awkwardNote(n),
			BillId: state === 'Closed' ? ref('bill', Math.floor(n / 2)) : null,
			AccountingCategoryId: ref('accountingCategory', n % 6),
			BillingName: type === 'SpaceOrder' ? 'Accommodation' : type === 'CityTax' ? 'City tax' : pick(['Breakfast', 'Parking', 'Minibar – Coca‑Cola', 'Spa "Deluxe"'], n, 15),
			ExternalIdentifier: null,
			UnitCount: count,
			UnitAmount: money(enterprise, unit),
			Amount: money(enterprise, unit * count),
			OriginalAmount: money(enterprise, unit * count),
			RevenueType: type === 'SpaceOrder' ? 'Service' : type === 'ProductOrder' ? 'Product' : 'Additional',
			CreatorProfileId: ref('profile', n % 12),
			UpdaterProfileId: ref('profile', (n + 5) % 12),
			CreatedUtc: formatMewsTime(createdMs),
			UpdatedUtc: formatMewsTime(updatedMs),
			ConsumedUtc: formatMewsTime(hourAfter(createdMs, 1, 14)),
			CanceledUtc: state === 'Canceled' ? formatMewsTime(updatedMs) : null,
			ClosedUtc: state === 'Closed' ? formatMewsTime(updatedMs) : null,
			StartUtc: formatMewsTime(hourAfter(createdMs, 1, 14)),
			ClaimedUtc: null,
			AccountingState: state,
			Type: type,
			Options: { CanceledWithReservation: state === 'Canceled' && type === 'SpaceOrder' },
			Data: null,
			TaxExemptionReason: null,
			TaxExemptionLegalReference: null,
		};
	},
	Payment: ({ n, id, enterprise, createdMs, updatedMs }) => {
		const state = pick(['Charged', 'Charged', 'Charged', 'Canceled', 'Pending', 'Failed'] as const, n, 21);
		const amount = -(50 + (hash32(22, n) % 900));
		const type = pick(['CreditCardPayment', 'ExternalPayment', 'CashPayment'] as const, n, 23);
		return {
			Id: id,
			EnterpriseId: enterprise.Id,
			AccountId: n % 9 === 0 ? ref('company', n % 300) : ref('customer', n % 5000),
			AccountType: n % 9 === 0 ? 'Company' : 'Customer',
			BillId: state === 'Charged' ? ref('bill', Math.floor(n / 2)) : null,
			ReservationId: ref('reservation', Math.floor(n / 2)),
			AccountingCategoryId: n % 4 === 0 ? null : ref('accountingCategory', 10 + (n % 3)),
			Amount: money(enterprise, amount),
			OriginalAmount: money(enterprise, amount),
			Notes: awkwardNote(n + 1),
			SettlementId: null,
			ConsumedUtc: formatMewsTime(createdMs),
			ClosedUtc: state === 'Charged' && n % 2 === 0 ? formatMewsTime(updatedMs) : null,
			ChargedUtc: state === 'Charged' ? formatMewsTime(createdMs + SECOND) : null,
			CreatedUtc: formatMewsTime(createdMs),
			UpdatedUtc: formatMewsTime(updatedMs),
			SettlementUtc: null,
			AccountingState: state === 'Charged' ? 'Open' : state === 'Canceled' ? 'Canceled' : 'Inactive',
			State: state,
			Identifier: type === 'CreditCardPayment' ? `ch_${ref('charge', n)}` : null,
			Type: type,
			Kind: state === 'Charged' ? 'Payment' : null,
			Data: null,
			PaymentOrigin: null,
		};
	},
	Reservation: ({ n, id, enterprise, createdMs, updatedMs }) => {
		const state = pick(['Confirmed', 'Confirmed', 'Started', 'Processed', 'Processed', 'Canceled', 'Optional', 'Inquired'] as const, n, 31);
		const arrival = hourAfter(createdMs, 3 + (n % 60), 14);
		const nights = 1 + (hash32(32, n) % 6);
		const departure = hourAfter(arrival, nights, -2);
		const started = state === 'Started' || state === 'Processed';
		return {
			Id: id,
			ServiceId: enterprise.ServiceId,
			AccountId: ref('customer', n % 5000),
			AccountType: 'Customer',
			CreatorProfileId: ref('profile', n % 12),
			UpdaterProfileId: ref('profile', (n + 5) % 12),
			BookerId: n % 5 === 0 ? ref('customer', (n + 7) % 5000) : null,
			Number: String(1000 + n),
			State: state,
			Origin: pick(['Connector', 'Distributor', 'Channel', 'Commander'] as const, n, 33),
			CommanderOrigin: null,
			OriginDetails: null,
			CreatedUtc: formatMewsTime(createdMs),
			UpdatedUtc: formatMewsTime(updatedMs),
			CancelledUtc: state === 'Canceled' ? formatMewsTime(updatedMs) : null,
			VoucherId: null,
			BusinessSegmentId: ref('businessSegment', n % 4),
			Options: { OwnerCheckedIn: started, AllCompanionsCheckedIn: started, AnyCompanionCheckedIn: started, ConnectorCheckIn: false },
			RateId: ref('rate', n % 7),
			CreditCardId: null,
			GroupId: ref('reservationGroup', Math.floor(n / 2)),
			RequestedResourceCategoryId: ref('resourceCategory', n % 5),
			AssignedResourceId: state === 'Inquired' ? null : ref('resource', n % 120),
			AvailabilityBlockId: n % 17 === 0 ? ref('availabilityBlock', n % 40) : null,
			PartnerCompanyId: null,
			TravelAgencyId: n % 11 === 0 ? ref('company', n % 300) : null,
			AssignedResourceLocked: false,
			ChannelNumber: n % 3 === 0 ? `BDC-${hash32(34, n) % 100000000}` : null,
			ChannelManagerNumber: null,
			CancellationReason: state === 'Canceled' ? 'ConfirmationMissed' : null,
			ReleasedUtc: null,
			ScheduledStartUtc: formatMewsTime(arrival),
			ActualStartUtc: started ? formatMewsTime(arrival + 2 * 3600 * SECOND) : null,
			ScheduledEndUtc: formatMewsTime(departure),
			ActualEndUtc: state === 'Processed' ? formatMewsTime(departure - 3600 * SECOND) : null,
			Purpose: pick(['Leisure', 'Business', 'Student'] as const, n, 35),
			QrCodeData: null,
			PersonCounts: [{ AgeCategoryId: ref('ageCategory', 0), Count: 1 + (n % 3) }],
		};
	},
	Customer: ({ n, id, scope, createdMs, updatedMs }) => {
		const { first, last } = fullName(n);
		return {
			Id: id,
			ChainId: scope,
			Number: String(100000 + n),
			Title: pick(['Mister', 'Miss', 'Misses', null], n, 41),
			Sex: null,
			FirstName: first,
			LastName: last,
			SecondLastName: null,
			NationalityCode: pick(['GB', 'CZ', 'US', 'DE', 'JP', 'NG', 'ES'], n, 42),
			PreferredLanguageCode: null,
			LanguageCode: pick(['en-GB', 'cs-CZ', 'en-US', 'de-DE'], n, 43),
			BirthDate: null,
			BirthPlace: null,
			Occupation: null,
			Email: n % 8 === 3 ? null : `${first}.${last}.${n}@example.com`.toLowerCase().replace(/[^a-z0-9.@]/g, ''),
			HasOtaEmail: n % 10 === 0,
			Phone: n % 4 === 0 ? null : `+44 20 7946 ${String(n % 10000).padStart(4, '0')}`,
			TaxIdentificationNumber: null,
			LoyaltyCode: n % 6 === 0 ? `LOY-${n}` : null,
			AccountingCode: null,
			BillingCode: null,
			Notes: awkwardNote(n + 2),
			CarRegistrationNumber: null,
			DietaryRequirements: n % 19 === 0 ? 'Vegan, no "soy"' : null,
			CreatedUtc: formatMewsTime(createdMs),
			UpdatedUtc: formatMewsTime(updatedMs),
			AddressId: null,
			Classifications: n % 7 === 0 ? ['Returning'] : [],
			Options: n % 5 === 0 ? ['SendMarketingEmails'] : [],
			ItalianDestinationCode: null,
			ItalianFiscalCode: null,
			CompanyId: n % 9 === 0 ? ref('company', n % 300) : null,
			MergeTargetId: null,
			IsActive: n % 50 !== 1,
			PreferredSpaceFeatures: [],
			CreatorProfileId: ref('profile', n % 12),
			UpdaterProfileId: ref('profile', (n + 5) % 12),
		};
	},
	Company: ({ n, id, scope, createdMs, updatedMs }) => {
		const name = `${COMPANY_NAMES[n % COMPANY_NAMES.length]}${n >= COMPANY_NAMES.length ? ` ${Math.floor(n / COMPANY_NAMES.length) + 1}` : ''}`;
		return {
			Id: id,
			ChainId: scope,
			Name: name,
			MotherCompanyId: null,
			InvoicingEmail: `invoices+${n}@example.com`,
			WebsiteUrl: n % 3 === 0 ? null : `https://company${n}.example.com`,
			InvoiceDueInterval: 'P0Y0M14DT0H0M0S',
			Options: { Invoiceable: n % 2 === 0, AddFeesToInvoices: false, AddTaxDeductedPaymentToInvoices: false },
			CreditRating: { Basic: pick(['CreditOk', 'PaymentRequiredUpfront', 'LocalDecisionRequired'], n, 51) },
			Department: n % 4 === 0 ? 'Sales' : null,
			DunsNumber: null,
			ReferenceIdentifier: null,
			AccountingCode: `ACC-${String(n).padStart(5, '0')}`,
			AdditionalTaxIdentifier: null,
			BillingCode: null,
			Contact: n % 6 === 0 ? 'Front desk: +420 123 456 789\nAfter hours: ask for "Pat"' : null,
			ContactPerson: `${fullName(n + 3).first} ${fullName(n + 3).last}`,
			Identifier: String(10000000 + n),
			Iata: null,
			IsActive: true,
			Notes: awkwardNote(n + 3),
			Number: 1000 + n,
			TaxIdentifier: `CZ${String(10000000 + n)}`,
			Telephone: null,
			CreatedUtc: formatMewsTime(createdMs),
			UpdatedUtc: formatMewsTime(updatedMs),
			AddressId: null,
			MergeTargetId: null,
			ExternalIdentifier: null,
		};
	},
	Bill: ({ n, id, enterprise, createdMs, updatedMs }) => {
		const closed = n % 3 !== 0;
		return {
			Id: id,
			Name: n % 10 === 0 ? 'Extras' : null,
			EnterpriseId: enterprise.Id,
			AccountId: n % 7 === 0 ? ref('company', n % 300) : ref('customer', n % 5000),
			AccountType: n % 7 === 0 ? 'Company' : 'Customer',
			AssociatedAccountIds: [],
			CounterId: closed ? ref('counter', n % 2) : null,
			State: closed ? 'Closed' : 'Open',
			Type: closed ? (n % 7 === 0 ? 'Invoice' : 'Receipt') : 'Receipt',
			Number: closed ? String(20000 + n) : null,
			VariableSymbol: null,
			CreatedUtc: formatMewsTime(createdMs),
			IssuedUtc: closed ? formatMewsTime(updatedMs) : null,
			TaxedUtc: closed ? formatMewsTime(updatedMs) : null,
			PaidUtc: closed && n % 7 !== 0 ? formatMewsTime(updatedMs) : null,
			DueUtc: closed && n % 7 === 0 ? formatMewsTime(updatedMs + 14 * DAY) : null,
			LastReminderDateUtc: null,
			UpdatedUtc: formatMewsTime(updatedMs),
			PurchaseOrderNumber: n % 7 === 0 ? `PO-${n}` : null,
			Notes: awkwardNote(n + 4),
			Options: { DisplayCustomer: true, DisplayTaxation: true, TrackReceivable: true, DisplayCid: false, Rebated: false },
			OwnerData: null,
			AssociatedAccountData: [],
			EnterpriseData: null,
			CorrectionState: 'Bill',
			CorrectionType: null,
			CorrectedBillId: null,
		};
	},
	AvailabilityAdjustment: ({ n, id, createdMs, updatedMs }) => {
		const first = hourAfter(createdMs, 10 + (n % 30), 0);
		return {
			Id: id,
			AvailabilityBlockId: n % 3 === 0 ? null : ref('availabilityBlock', n % 40),
			ResourceCategoryId: ref('resourceCategory', n % 5),
			FirstTimeUnitStartUtc: formatMewsTime(first),
			LastTimeUnitStartUtc: formatMewsTime(first + (n % 5) * DAY),
			UnitCount: (n % 7) - 2,
			ReleaseOverrideUtc: null,
			UpdatedUtc: formatMewsTime(updatedMs),
			IsActive: n % 20 !== 0,
			PaxCounts: null,
			FirstTimeUnitReleaseUtc: null,
		};
	},
	AvailabilityBlock: ({ n, id, enterprise, createdMs, updatedMs }) => {
		const first = hourAfter(createdMs, 20 + (n % 60), 0);
		const state = pick(['Confirmed', 'Confirmed', 'Optional', 'Inquired', 'Canceled'] as const, n, 61);
		return {
			Id: id,
			EnterpriseId: enterprise.Id,
			ServiceId: enterprise.ServiceId,
			RateId: ref('rate', n % 7),
			VoucherId: null,
			BookerId: ref('customer', n % 5000),
			CompanyId: n % 2 === 0 ? ref('company', n % 300) : null,
			TravelAgencyId: null,
			Budget: { Currency: enterprise.Currency, Value: 1000 + (hash32(62, n) % 20) * 250 },
			State: state,
			ReservationPurpose: pick(['Business', 'Leisure'] as const, n, 63),
			CreatedUtc: formatMewsTime(createdMs),
			UpdatedUtc: formatMewsTime(updatedMs),
			FirstTimeUnitStartUtc: formatMewsTime(first),
			LastTimeUnitStartUtc: formatMewsTime(first + (1 + (n % 4)) * DAY),
			ReleasedUtc: formatMewsTime(first - 7 * DAY),
			RollingReleaseOffset: null,
			ExternalIdentifier: null,
			Name: pick(['Wedding Novák–García', 'Conference "API Days"', 'Team offsite 🚀', 'Tour group 田中'], n, 64),
			Notes: awkwardNote(n + 5),
			PickupDistribution: 'AllInOneGroup',
			IsActive: state !== 'Canceled',
			QuoteId: null,
			AvailabilityBlockNumber: String(500 + n),
			ReleaseStrategy: 'FixedRelease',
			PurchaseOrderNumber: null,
			BusinessSegmentId: null,
			CanceledUtc: state === 'Canceled' ? formatMewsTime(updatedMs) : null,
			CancellationReason: state === 'Canceled' ? 'Other' : null,
			CancellationReasonDetail: null,
		};
	},
	ResourceBlock: ({ n, id, enterprise, createdMs, updatedMs }) => {
		const start = hourAfter(createdMs, 2 + (n % 20), 9);
		const active = n % 10 !== 0;
		return {
			Id: id,
			EnterpriseId: enterprise.Id,
			AssignedResourceId: ref('resource', n % 120),
			IsActive: active,
			Type: n % 3 === 0 ? 'InternalUse' : 'OutOfOrder',
			StartUtc: formatMewsTime(start),
			EndUtc: formatMewsTime(start + (4 + (n % 48)) * 3600 * SECOND),
			CreatedUtc: formatMewsTime(createdMs),
			UpdatedUtc: formatMewsTime(updatedMs),
			DeletedUtc: active ? null : formatMewsTime(updatedMs),
			Name: pick(['Maintenance – Room 101', 'Deep cleaning', 'Staff training', 'Broken A/C "again"'], n, 71),
			Notes: awkwardNote(n + 6),
		};
	},
	// _export-types: Id … PostingDate are documented; Value, CreatedUtc and UpdatedUtc are [I].
	LedgerEntry: ({ n, id, enterprise, createdMs, updatedMs }) => {
		const ledger = pick(['Revenue', 'Revenue', 'Payment', 'Guest', 'Tax', 'Deposit'] as const, n, 81);
		return {
			Id: id,
			EnterpriseId: enterprise.Id,
			TransactionId: n % 25 === 0 ? null : ref('transaction', Math.floor(n / 2)),
			AccountId: ref('customer', n % 5000),
			BillId: n % 3 === 0 ? null : ref('bill', Math.floor(n / 2)),
			AccountingCategoryId: ref('accountingCategory', n % 6),
			AccountingItemId: ref('accountingItem', n),
			AccountingItemType: ledger === 'Payment' ? 'PaymentItem' : 'OrderItem',
			LedgerType: ledger,
			LedgerEntryType: n % 2 === 0 ? 'Debit' : 'Credit',
			PostingDate: formatDate(createdMs),
			Value: money(enterprise, (n % 2 === 0 ? 1 : -1) * (10 + (hash32(82, n) % 300))),
			CreatedUtc: formatMewsTime(createdMs),
			UpdatedUtc: formatMewsTime(updatedMs),
		};
	},
};

// ---------------------------------------------------------------------------------------------
// Entity store

interface StoredEntity {
	entity: Record<string, unknown>;
	scope: string;
	updatedMs: number;
}

/**
 * Generated entities are computed from their index on demand, so a million of them cost no memory.
 * Exported for the test that counts the work per generated entity (mews.test.ts).
 */
export class GeneratedBlock {
	private readonly sinceSec: number;
	private readonly spanSec: number;

	constructor(
		readonly type: MewsEntityType,
		readonly count: number,
		sinceMs: number,
		untilMs: number,
		private readonly scopes: string[],
	) {
		this.sinceSec = Math.ceil(sinceMs / SECOND);
		this.spanSec = Math.max(0, Math.floor(untilMs / SECOND) - this.sinceSec);
	}

	/** Grows with the index: entity count-1 is the newest (at `until`). */
	updatedMs(index: number): number {
		return (this.sinceSec + Math.floor((this.spanSec * (index + 1)) / this.count)) * SECOND;
	}

	scopeOf(index: number): string {
		return this.scopes[index % this.scopes.length];
	}

	idOf(index: number): string {
		return generatedId(this.type, index);
	}

	indexOf(id: string): number {
		return generatedIndex(this.type, id, this.count);
	}

	entity(index: number): Record<string, unknown> {
		const updatedMs = this.updatedMs(index);
		const createdMs = updatedMs - ((index * 7919) % 90) * DAY - (index % 3600) * SECOND;
		const scope = this.scopeOf(index);
		return buildEntity(this.type, { n: index, id: this.idOf(index), scope, enterprise: enterpriseForScope(scope), createdMs, updatedMs });
	}

	/** First index whose UpdatedUtc is >= ms (binary search: times grow with the index). */
	firstAtOrAfter(ms: number): number {
		let lo = 0;
		let hi = this.count;
		while (lo < hi) {
			const mid = (lo + hi) >>> 1;
			if (this.updatedMs(mid) < ms) lo = mid + 1;
			else hi = mid;
		}
		return lo;
	}
}

function buildEntity(type: MewsEntityType, ctx: GenContext): Record<string, unknown> {
	return GENERATORS[type](ctx);
}

interface TypeData {
	generated?: GeneratedBlock;
	/** Hand-made entities (upsert); they override generated ones with the same Id. Insertion order = export order. */
	explicit: Map<string, StoredEntity>;
}

/** Which entities an export takes. */
interface Selection {
	/** Enterprises, or chains for chain-scoped types. */
	scopes: Set<string>;
	/** UpdatedUtc in [startMs, endMs), or == startMs when both are equal (oa TimeFilterInterval). */
	updated?: { startMs: number; endMs: number };
	/** LedgerEntry PostingDate in [start, end], both inclusive (oa ExportLedgerEntryDataFilters). */
	posting?: { start: string; end: string };
}

/** The entities of an export, fixed when it was taken. */
interface Snapshot {
	block?: GeneratedBlock;
	indexes: Uint32Array;
	explicit: Array<Record<string, unknown>>;
	total: number;
}

function snapshotLine(snapshot: Snapshot, position: number): Record<string, unknown> {
	const generated = snapshot.indexes.length;
	return position < generated ? (snapshot.block as GeneratedBlock).entity(snapshot.indexes[position]) : snapshot.explicit[position - generated];
}

class EntityStore implements MewsEntities {
	private readonly data = new Map<MewsEntityType, TypeData>();

	constructor(private readonly clock: EmulatorClock) {}

	upsert(type: MewsEntityType, input: Record<string, unknown> & { Id?: string }, updatedUtc?: Date, enterpriseId?: string): Record<string, unknown> {
		assertEntityType(type);
		const data = this.dataOf(type);
		const id = typeof input.Id === 'string' && input.Id !== '' ? input.Id : randomUUID();
		const existing = this.find(data, id);
		const whenMs = updatedUtc?.getTime() ?? parseMewsTime(input.UpdatedUtc) ?? this.clock.now().getTime();
		const scope = this.resolveScope(type, input, enterpriseId, existing?.scope);
		const base =
			existing?.entity ??
			buildEntity(type, { n: hash32(fnv(id), 7) % 100000, id, scope, enterprise: enterpriseForScope(scope), createdMs: whenMs, updatedMs: whenMs });
		// A property given as undefined leaves the stored value alone (JSON has no undefined).
		const given = Object.fromEntries(Object.entries(structuredClone(input)).filter(([, value]) => value !== undefined));
		const merged: Record<string, unknown> = { ...base, ...given, Id: id };
		if (CHAIN_SCOPED.has(type)) merged.ChainId = scope;
		else if (HAS_ENTERPRISE_FIELD.has(type)) merged.EnterpriseId = scope;
		if (!existing && HAS_CREATED.has(type) && input.CreatedUtc === undefined) merged.CreatedUtc = formatMewsTime(whenMs);
		merged.UpdatedUtc = formatMewsTime(whenMs);
		data.explicit.set(id, { entity: merged, scope, updatedMs: parseMewsTime(merged.UpdatedUtc) ?? whenMs });
		return structuredClone(merged);
	}

	generate(type: MewsEntityType, count: number, options: MewsGenerateOptions = {}): void {
		assertEntityType(type);
		if (!Number.isInteger(count) || count < 0 || count > GENERATED_INDEX_LIMIT) throw new Error(`entities.generate: count must be an integer from 0 to ${GENERATED_INDEX_LIMIT}`);
		const untilMs = (options.until ?? this.clock.now()).getTime();
		const sinceMs = (options.since ?? new Date(untilMs - 30 * DAY)).getTime();
		if (sinceMs > untilMs) throw new Error('entities.generate: since is after until');
		const places = options.enterpriseIds?.length ? options.enterpriseIds : [ENTERPRISES[0].Id];
		const scopes = places.map((place) => (CHAIN_SCOPED.has(type) ? (chainOf(place) ?? place) : place));
		this.data.set(type, { generated: count > 0 ? new GeneratedBlock(type, count, sinceMs, untilMs, scopes) : undefined, explicit: new Map() });
	}

	count(type: MewsEntityType): number {
		assertEntityType(type);
		const data = this.data.get(type);
		if (!data) return 0;
		let extra = 0;
		for (const id of data.explicit.keys()) if (!data.generated || data.generated.indexOf(id) < 0) extra++;
		return (data.generated?.count ?? 0) + extra;
	}

	list(type: MewsEntityType): Array<Record<string, unknown>> {
		assertEntityType(type);
		const snapshot = this.select(type, undefined);
		return Array.from({ length: snapshot.total }, (_, position) => structuredClone(snapshotLine(snapshot, position)));
	}

	get(type: MewsEntityType, id: string): Record<string, unknown> | undefined {
		assertEntityType(type);
		const data = this.data.get(type);
		const found = data ? this.find(data, id) : undefined;
		return found ? structuredClone(found.entity) : undefined;
	}

	scopeOf(type: MewsEntityType, id: string): string | undefined {
		assertEntityType(type);
		const data = this.data.get(type);
		return data ? this.find(data, id)?.scope : undefined;
	}

	/**
	 * The entities an export takes, in a stable order: generated ones by index, then hand-made ones in
	 * the order they were first stored. `selection` undefined = all. Entities are immutable once
	 * stored (upsert stores a new object), so holding references is a snapshot.
	 */
	select(type: MewsEntityType, selection: Selection | undefined): Snapshot {
		const data = this.data.get(type);
		if (!data) return { indexes: new Uint32Array(0), explicit: [], total: 0 };
		const block = data.generated;
		const overridden = new Set<number>();
		if (block) for (const id of data.explicit.keys()) {
			const index = block.indexOf(id);
			if (index >= 0) overridden.add(index);
		}
		let indexes = new Uint32Array(0);
		if (block) {
			let from = 0;
			let to = block.count;
			const updated = selection?.updated;
			if (updated) {
				from = block.firstAtOrAfter(updated.startMs);
				to = updated.startMs === updated.endMs ? block.firstAtOrAfter(updated.startMs + 1) : block.firstAtOrAfter(updated.endMs);
			}
			const picked = new Uint32Array(Math.max(0, to - from));
			let length = 0;
			for (let index = from; index < to; index++) {
				if (overridden.has(index)) continue;
				if (selection && !selection.scopes.has(block.scopeOf(index))) continue;
				if (selection?.posting && !postingMatches(block.entity(index), selection.posting)) continue;
				picked[length++] = index;
			}
			indexes = picked.subarray(0, length);
		}
		const explicit: Array<Record<string, unknown>> = [];
		for (const stored of data.explicit.values()) {
			if (selection && !selection.scopes.has(stored.scope)) continue;
			if (selection?.updated && !updatedMatches(stored.updatedMs, selection.updated)) continue;
			if (selection?.posting && !postingMatches(stored.entity, selection.posting)) continue;
			explicit.push(stored.entity);
		}
		return { block, indexes, explicit, total: indexes.length + explicit.length };
	}

	private find(data: TypeData, id: string): { entity: Record<string, unknown>; scope: string } | undefined {
		const explicit = data.explicit.get(id);
		if (explicit) return explicit;
		const block = data.generated;
		const index = block ? block.indexOf(id) : -1;
		return block && index >= 0 ? { entity: block.entity(index), scope: block.scopeOf(index) } : undefined;
	}

	private resolveScope(type: MewsEntityType, input: Record<string, unknown>, place: string | undefined, existing: string | undefined): string {
		if (CHAIN_SCOPED.has(type)) {
			if (place !== undefined) return chainOf(place) ?? place;
			if (typeof input.ChainId === 'string') return input.ChainId;
			return existing ?? CHAIN_IDS[0];
		}
		if (place !== undefined) return place;
		if (HAS_ENTERPRISE_FIELD.has(type) && typeof input.EnterpriseId === 'string') return input.EnterpriseId;
		return existing ?? ENTERPRISES[0].Id;
	}

	private dataOf(type: MewsEntityType): TypeData {
		let data = this.data.get(type);
		if (!data) {
			data = { explicit: new Map() };
			this.data.set(type, data);
		}
		return data;
	}
}

function updatedMatches(ms: number, interval: { startMs: number; endMs: number }): boolean {
	return interval.startMs === interval.endMs ? ms === interval.startMs : ms >= interval.startMs && ms < interval.endMs;
}

function postingMatches(entity: Record<string, unknown>, posting: { start: string; end: string }): boolean {
	const date = typeof entity.PostingDate === 'string' ? entity.PostingDate : '';
	return date >= posting.start && date <= posting.end;
}

function assertEntityType(type: string): asserts type is MewsEntityType {
	if (!ENTITY_TYPE_SET.has(type)) throw new Error(`"${type}" is not a Mews export entity type (${MEWS_ENTITY_TYPES.join(', ')})`);
}

/** Sample entities: a few per type, two of them in other enterprises/chains, with awkward values. */
function seedEntities(store: EntityStore, now: number): void {
	const ago = (days: number) => new Date(now - days * DAY);
	const [london, prague, washington] = ENTERPRISES;
	for (const type of MEWS_ENTITY_TYPES) {
		const place = (n: number) => (n === 3 ? prague.Id : n === 4 ? washington.Id : london.Id);
		for (let n = 0; n < 5; n++) store.upsert(type, { Id: derivedUuid(fnv(`seed:${type}`), n) }, ago(1 + n * 3), place(n));
	}
	store.upsert('Customer', { Id: derivedUuid(fnv('seed:Customer'), 0), FirstName: 'Zoë "Zee"', LastName: 'Ní Bhriain', Notes: 'Prefers\nhigh floor 🏙️' }, ago(1));
	store.upsert('Company', { Id: derivedUuid(fnv('seed:Company'), 0), Name: 'Café ☕ & Co, s.r.o.' }, ago(1));
	store.upsert('Reservation', { Id: derivedUuid(fnv('seed:Reservation'), 0), Number: 'R-0001', State: 'Confirmed', ChannelNumber: 'BDC-"4711"/ü' }, ago(1));
	store.upsert('OrderItem', { Id: derivedUuid(fnv('seed:OrderItem'), 0), BillingName: 'Minibar: "Sekt" \\ 2×', Notes: '日本語\u2028next' }, ago(1));
}

// ---------------------------------------------------------------------------------------------
// Faults

interface ExportPlan {
	pendingPolls: number;
	neverFinish: boolean;
	fail: boolean;
}

interface ApiFault {
	status: number;
	message: string;
	headers: Record<string, string>;
}

interface FaultController extends MewsFaults {
	takeApiFault(): ApiFault | undefined;
	takeExportPlan(defaultPendingPolls: number): ExportPlan;
	takeExpiredUrl(): boolean;
	/** Where to cut a download of `size` bytes, or undefined to send it whole. */
	takeTruncation(size: number): number | undefined;
}

function createFaults(): FaultController {
	const fresh = () => ({
		rateLimit: { count: 0, retryAfter: 1 as number | 'http-date' },
		serverError: { count: 0, status: 500 },
		nextExport: {} as Partial<ExportPlan>,
		expireUrls: 0,
		truncate: { count: 0, atBytes: undefined as number | undefined },
	});
	let state = fresh();
	return {
		rateLimit: (count, retryAfter = 1) => {
			state.rateLimit = { count, retryAfter };
		},
		serverError: (count, status = 500) => {
			state.serverError = { count, status };
		},
		failExport: () => {
			state.nextExport.fail = true;
		},
		pollsUntilDone: (polls) => {
			state.nextExport.pendingPolls = polls;
		},
		neverFinish: () => {
			state.nextExport.neverFinish = true;
		},
		expireUrls: (count) => {
			state.expireUrls = count;
		},
		truncateDownload: (count, atBytes) => {
			state.truncate = { count, atBytes };
		},
		reset: () => {
			state = fresh();
		},
		takeApiFault: (): ApiFault | undefined => {
			if (state.rateLimit.count > 0) {
				state.rateLimit.count--;
				const value = state.rateLimit.retryAfter;
				// An HTTP date is compared with the client's own (real) clock, so it is in real time [I].
				const header = value === 'http-date' ? httpDate(Math.ceil((Date.now() + SECOND) / SECOND) * SECOND) : String(value);
				return { status: 429, message: tooManyRequestsMessage(), headers: { 'Retry-After': header } };
			}
			if (state.serverError.count > 0) {
				state.serverError.count--;
				return { status: state.serverError.status, message: serverErrorMessage(state.serverError.status), headers: {} };
			}
			return undefined;
		},
		takeExportPlan: (defaultPendingPolls) => {
			const next = state.nextExport;
			state.nextExport = {};
			return { pendingPolls: next.pendingPolls ?? defaultPendingPolls, neverFinish: next.neverFinish === true, fail: next.fail === true };
		},
		takeExpiredUrl: () => state.expireUrls > 0 && state.expireUrls-- > 0,
		takeTruncation: (size) => {
			if (state.truncate.count <= 0) return undefined;
			state.truncate.count--;
			return Math.min(state.truncate.atBytes ?? Math.floor(size / 2), size);
		},
	};
}

// [I] wording: the docs give the status codes and the {Message} shape, not the texts.
function tooManyRequestsMessage(): string {
	return 'Too many requests. Wait as the Retry-After header says before sending more.';
}

function serverErrorMessage(status: number): string {
	return status >= 500 ? 'An unexpected error occurred. It has been logged and the development team notified.' : `Emulated fault (HTTP ${status}).`;
}

// ---------------------------------------------------------------------------------------------
// Rate limits: fixed windows per AccessToken and per endpoint per AccessToken, on the emulator clock [I: window kind].

interface Window {
	startMs: number;
	used: number;
}

function createRateLimiter(clock: EmulatorClock, limits: MewsRateLimits | false): (token: string, endpoint: string, weight: number) => number | undefined {
	const windows = new Map<string, Window>();
	const use = (key: string, limit: number, weight: number, now: number): number | undefined => {
		if (!limits) return undefined;
		let window = windows.get(key);
		if (!window || now >= window.startMs + limits.windowMs) {
			window = { startMs: now, used: 0 };
			windows.set(key, window);
		}
		window.used += weight;
		return window.used > limit + 1e-9 ? window.startMs + limits.windowMs - now : undefined;
	};
	/** Returns the ms until the exceeded window resets, or undefined when the request may pass. */
	return (token, endpoint, weight) => {
		if (!limits) return undefined;
		const now = clock.now().getTime();
		const waits = [use(`token|${token}`, limits.perToken, weight, now)];
		if (limits.perEndpoint !== undefined) waits.push(use(`endpoint|${token}|${endpoint}`, limits.perEndpoint, weight, now));
		const exceeded = waits.filter((wait): wait is number => wait !== undefined);
		return exceeded.length > 0 ? Math.max(...exceeded) : undefined;
	};
}

// ---------------------------------------------------------------------------------------------
// Exports

interface BuiltExport {
	snapshot: Snapshot;
	files: Array<{ firstLine: number; lines: number; size: number }>;
}

interface ExportRuntime {
	record: MewsExportRecord;
	plan: ExportPlan;
	selection: Selection;
	/** Filters echoed in the answers (newest API), normalized. */
	filtersEcho: Record<string, unknown> | null;
	build?: Promise<BuiltExport>;
	built?: BuiltExport;
	/** Serializes concurrent polls of the same export. */
	advancing?: Promise<void>;
}

interface EmulatorState {
	mode: 'newest' | 'older';
	clock: EmulatorClock;
	store: EntityStore;
	faults: FaultController;
	tokens: Map<string, TokenInfo>;
	clientToken: string;
	exports: Map<string, ExportRuntime>;
	exportList: MewsExportRecord[];
	requests: MewsLoggedRequest[];
	storageOrigin: string;
	signingSecret: string;
	defaultPendingPolls: number;
	linesPerFile: number;
	urlValidityMs: number;
	retentionMs: number;
	rateLimiter: (token: string, endpoint: string, weight: number) => number | undefined;
	fileCache: Map<string, Buffer>;
}

/** Writes nothing: computes the snapshot and every file's exact byte size, yielding between chunks. */
async function buildExport(state: EmulatorState, runtime: ExportRuntime): Promise<BuiltExport> {
	const snapshot = state.store.select(runtime.record.EntityType, runtime.selection);
	const files: BuiltExport['files'] = [];
	for (let first = 0; first < snapshot.total; first += state.linesPerFile) {
		const lines = Math.min(state.linesPerFile, snapshot.total - first);
		let size = 0;
		for (let position = first; position < first + lines; position++) {
			size += Buffer.byteLength(JSON.stringify(snapshotLine(snapshot, position)), 'utf8') + 1;
			if ((position + 1) % BUILD_CHUNK_LINES === 0) await yieldToEventLoop();
		}
		files.push({ firstLine: first, lines, size });
	}
	return { snapshot, files };
}

/** One JSON object per line, LF after every line (JSON Lines, gb exports.md) [I: trailing LF]. */
function fileBytes(state: EmulatorState, runtime: ExportRuntime, index: number): Buffer | undefined {
	const built = runtime.built;
	const file = built?.files[index];
	if (!built || !file) return undefined;
	const key = `${runtime.record.Id}|${index}`;
	const cached = state.fileCache.get(key);
	if (cached) return cached;
	const parts: string[] = [];
	for (let position = file.firstLine; position < file.firstLine + file.lines; position++) parts.push(`${JSON.stringify(snapshotLine(built.snapshot, position))}\n`);
	const bytes = Buffer.from(parts.join(''), 'utf8');
	state.fileCache.set(key, bytes);
	if (state.fileCache.size > 16) state.fileCache.delete(state.fileCache.keys().next().value as string);
	return bytes;
}

/** Success → Expired once ExpiresUtc has passed (files gone). */
function refreshExpiry(state: EmulatorState, runtime: ExportRuntime): void {
	const record = runtime.record;
	if (record.Status === 'Success' && record.ExpiresUtc && record.ExpiresUtc.getTime() <= state.clock.now().getTime()) expire(state, runtime);
}

function expire(state: EmulatorState, runtime: ExportRuntime): void {
	const record = runtime.record;
	record.Status = 'Expired';
	record.Files = [];
	if (!record.ExpiresUtc || record.ExpiresUtc.getTime() > state.clock.now().getTime()) record.ExpiresUtc = state.clock.now();
	runtime.built = undefined;
	for (const key of Array.from(state.fileCache.keys())) if (key.startsWith(`${record.Id}|`)) state.fileCache.delete(key);
}

/** Poll-driven: Pending, then Processing, then Success/Failed (or Processing forever). */
async function advanceExport(state: EmulatorState, runtime: ExportRuntime): Promise<void> {
	const { record, plan } = runtime;
	if (record.Status !== 'Pending' && record.Status !== 'Processing') return;
	record.polls++;
	if (plan.neverFinish || record.polls <= plan.pendingPolls) {
		record.Status = record.polls === 1 ? 'Pending' : 'Processing';
		return;
	}
	if (plan.fail) {
		record.Status = 'Failed';
		record.completedUtc = state.clock.now();
		return;
	}
	// The data is taken when processing finishes [I]. A big export stays Processing while its files are written.
	if (!runtime.build) {
		runtime.build = buildExport(state, runtime);
		runtime.build.catch(() => undefined);
	}
	const built = await settledWithin(runtime.build, BUILD_WAIT_MS);
	if (!built) {
		record.Status = 'Processing';
		return;
	}
	if (record.Status !== 'Pending' && record.Status !== 'Processing') return;
	const now = state.clock.now();
	runtime.built = built;
	record.Status = 'Success';
	record.completedUtc = now;
	record.ExpiresUtc = new Date(now.getTime() + state.retentionMs);
	record.Files = built.files.map((file, index) => {
		const name = `${record.Id}-${index + 1}.jsonl`;
		return { name, path: `/${STORAGE_CONTAINER}/${name}`, firstLine: file.firstLine, lines: file.lines, SizeInBytes: file.size };
	});
}

function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<undefined>((resolve) => {
		timer = setTimeout(() => resolve(undefined), ms);
	});
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs polls of one export one after the other, so two concurrent getAll calls count as two polls. */
function advanceSerially(state: EmulatorState, runtime: ExportRuntime): Promise<void> {
	const previous = runtime.advancing ?? Promise.resolve();
	const next = previous.then(() => advanceExport(state, runtime));
	runtime.advancing = next.catch(() => undefined);
	return next;
}

function exportJson(state: EmulatorState, runtime: ExportRuntime): Record<string, unknown> {
	const record = runtime.record;
	const files =
		record.Status === 'Success'
			? record.Files.map((file) => ({ Url: signedUrl(state, file.path), SizeInBytes: file.SizeInBytes }))
			: [];
	const expires = record.ExpiresUtc ? formatMewsTime(Math.floor(record.ExpiresUtc.getTime() / SECOND) * SECOND) : null;
	if (state.mode === 'older') return { Id: record.Id, Status: record.Status, EntityType: record.EntityType, Files: files, ExpiresUtc: expires };
	return {
		Id: record.Id,
		Status: record.Status,
		EntityType: record.EntityType,
		Scope: { EnterpriseIds: record.coverage.EnterpriseIds, ChainIds: record.coverage.ChainIds },
		Files: files,
		ExpiresUtc: expires,
		Filters: runtime.filtersEcho,
	};
}

// ---------------------------------------------------------------------------------------------
// API server

interface ApiContext {
	state: EmulatorState;
	req: http.IncomingMessage;
	res: http.ServerResponse;
	requestId: string;
	operation: string;
}

interface Caller {
	accessToken: string;
	token: TokenInfo;
	client: string;
	body: Record<string, unknown>;
}

const OPERATIONS = new Set(['configuration/get', 'exports/add', 'exports/getAll']);

/** A Mews error: `{Message, RequestId}` (gb responses.md; RequestId since July 2025). Details only on development environments, so never here. */
class MewsError extends Error {
	constructor(
		readonly status: number,
		message: string,
		readonly headers: Record<string, string> = {},
	) {
		super(message);
	}
}

function reply(ctx: ApiContext, status: number, body: unknown, headers: Record<string, string> = {}): void {
	// gb responses.md: "Every response contains Request-Id header" (changelog 10 July 2025).
	const requestId: Record<string, string> = ctx.state.mode === 'newest' ? { 'Request-Id': ctx.requestId } : {};
	sendJson(ctx.res, status, body, { headers: { ...headers, ...requestId } });
}

function replyError(ctx: ApiContext, error: MewsError): void {
	const body: Record<string, unknown> = { Message: error.message };
	if (ctx.state.mode === 'newest') body.RequestId = ctx.requestId;
	reply(ctx, error.status, body, error.headers);
}

async function handleApi(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
	const base = logRequest<'api' | 'storage'>([], 'api', req);
	const entry: MewsLoggedRequest = { ...base, server: 'api' };
	state.requests.push(entry);
	const path = base.path;
	const ctx: ApiContext = { state, req, res, requestId: randomUUID(), operation: path.startsWith(API_PREFIX) ? path.slice(API_PREFIX.length) : '' };
	try {
		const raw = await readBody(req);
		entry.body = raw.toString('utf8');
		const fault = state.faults.takeApiFault();
		if (fault) throw new MewsError(fault.status, fault.message, fault.headers);
		// gb requests.md: POST only; the address must match exactly (case, no trailing slash), else 404.
		if (req.method !== 'POST' || !OPERATIONS.has(ctx.operation)) {
			const known = OPERATIONS.has(ctx.operation);
			throw new MewsError(404, known ? `Operation ${path} accepts only POST requests.` : `No operation is found at ${path}.`);
		}
		const caller = authenticate(ctx, raw);
		if (ctx.operation === 'configuration/get') return configurationGet(ctx, caller);
		if (!caller.token.canExport) {
			// gb responses.md 401: "…or you may not have the necessary permission to use the endpoint" [I wording].
			throw new MewsError(401, 'The integration is not permitted to use this operation. Exports are a restricted beta: contact partnersuccess@mews.com to get access.');
		}
		if (ctx.operation === 'exports/add') return exportsAdd(ctx, caller);
		return await exportsGetAll(ctx, caller);
	} catch (error) {
		if (error instanceof MewsError) return replyError(ctx, error);
		if (error instanceof HttpError) return replyError(ctx, new MewsError(error.status, 'Request body too large.'));
		throw error;
	}
}

/** Content type, JSON, rate limit, tokens, Client, in that order [I: order]. */
function authenticate(ctx: ApiContext, raw: Buffer): Caller {
	const { state } = ctx;
	const mediaType = parseContentType(headerValue(ctx.req, 'content-type')).mediaType;
	if (mediaType !== 'application/json') {
		// gb requests.md: "accepts only HTTP POST requests with Content-Type set to application/json" [I: 415].
		throw new MewsError(415, `Unsupported Content-Type "${mediaType || '(none)'}": send the request as application/json.`);
	}
	let body: unknown;
	try {
		body = raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8'));
	} catch (error) {
		throw new MewsError(400, `Invalid request: the body is not valid JSON (${(error as Error).message}).`);
	}
	if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new MewsError(400, 'Invalid request: the body must be a JSON object.');
	const fields = body as Record<string, unknown>;
	const accessToken = typeof fields.AccessToken === 'string' ? fields.AccessToken : '';
	// Older limits: "Requests that use pagination get 10× these limits" (pm) — the older getAll is paginated.
	const weight = state.mode === 'older' && ctx.operation === 'exports/getAll' ? 0.1 : 1;
	const waitMs = state.rateLimiter(accessToken || `ip:${ctx.req.socket.remoteAddress ?? ''}`, ctx.operation, weight);
	if (waitMs !== undefined) throw new MewsError(429, tooManyRequestsMessage(), { 'Retry-After': String(Math.max(1, Math.ceil(waitMs / SECOND))) });
	const token = state.tokens.get(accessToken);
	if (fields.ClientToken !== state.clientToken || !token) {
		throw new MewsError(401, fields.ClientToken !== state.clientToken ? 'Invalid ClientToken.' : 'Invalid AccessToken.');
	}
	if (typeof fields.Client !== 'string' || fields.Client.trim() === '') {
		throw new MewsError(400, 'Invalid request: Client is required (the name and version of the client application).');
	}
	return { accessToken, token, client: fields.Client, body: fields };
}

// ---------------------------------------------------------------------------------------------
// configuration/get (gb operations/configuration.md)

function configurationGet(ctx: ApiContext, caller: Caller): void {
	const requested = caller.body.EnterpriseId;
	let enterprise: EnterpriseInfo | undefined;
	if (requested === undefined || requested === null) {
		// A portfolio token without EnterpriseId gets the portfolio's "dummy" enterprise (gb multi-property.md).
		if (caller.token.portfolio) return reply(ctx, 200, configurationBody(ctx.state, undefined));
		enterprise = ENTERPRISE_BY_ID.get(caller.token.enterprises[0]);
	} else {
		if (typeof requested !== 'string' || !UUID.test(requested)) throw new MewsError(400, `Invalid EnterpriseId "${String(requested)}".`);
		if (!caller.token.enterprises.includes(requested)) throw new MewsError(400, `Invalid EnterpriseId "${requested}": the enterprise is not within the scope of the access token.`);
		enterprise = ENTERPRISE_BY_ID.get(requested);
	}
	reply(ctx, 200, configurationBody(ctx.state, enterprise));
}

function configurationBody(state: EmulatorState, enterprise: EnterpriseInfo | undefined): Record<string, unknown> {
	const e = enterprise ?? {
		...ENTERPRISES[0],
		Id: PORTFOLIO_ENTERPRISE_ID,
		Name: 'Emulator Hotels Portfolio',
		ServiceId: ENTERPRISES[0].ServiceId,
	};
	return {
		// The docs' example has whole seconds; .NET serializers write the fraction too [I].
		NowUtc: formatMewsTime(state.clock.now().getTime()),
		Enterprise: {
			Currencies: [
				{ Currency: e.Currency, IsDefault: true, IsEnabled: true },
				...['EUR', 'USD', 'GBP'].filter((currency) => currency !== e.Currency).map((currency) => ({ Currency: currency, IsDefault: false, IsEnabled: true })),
			],
			AccountingConfiguration: {
				AdditionalTaxIdentifier: null,
				CompanyName: `${e.Name} Ltd`,
				BankAccountNumber: null,
				BankName: null,
				Iban: null,
				Bic: null,
				SurchargeConfiguration: { SurchargeFees: {}, SurchargeServiceId: null, SurchargeTaxCode: null },
				EnabledExternalPaymentTypes: ['Invoice', 'Cash'],
				Options: ['ReceivableTrackingEnabled'],
			},
			IsPortfolio: enterprise === undefined,
			Id: e.Id,
			ExternalIdentifier: null,
			HoldingKey: null,
			ChainId: e.ChainId,
			ChainName: e.ChainName,
			CreatedUtc: e.CreatedUtc,
			UpdatedUtc: e.CreatedUtc,
			Name: e.Name,
			TimeZoneIdentifier: e.TimeZoneIdentifier,
			LegalEnvironmentCode: e.LegalEnvironmentCode,
			AccommodationEnvironmentCode: null,
			AccountingEnvironmentCode: null,
			TaxEnvironmentCode: null,
			DefaultLanguageCode: e.CountryCode === 'CZ' ? 'cs-CZ' : e.CountryCode === 'US' ? 'en-US' : 'en-GB',
			EditableHistoryInterval: 'P0M7DT0H0M0S',
			AccountingEditableHistoryInterval: 'P0M7DT0H0M0S',
			OperationalEditableHistoryInterval: 'P0M5DT0H0M0S',
			BusinessDayClosingOffset: null,
			WebsiteUrl: null,
			Email: 'frontdesk@example.com',
			Phone: null,
			LogoImageId: null,
			CoverImageId: null,
			Pricing: e.Pricing,
			TaxPrecision: null,
			AddressId: ref('address', fnv(e.Id) % 1000),
			Address: {
				Id: ref('address', fnv(e.Id) % 1000),
				Line1: e.Line1,
				Line2: null,
				City: e.City,
				PostalCode: e.PostalCode,
				CountryCode: e.CountryCode,
				CountrySubdivisionCode: null,
				Latitude: null,
				Longitude: null,
			},
			GroupNames: [e.ChainName],
			Subscription: { TaxIdentifier: null },
		},
		Service: null,
		PaymentCardStorage: null,
		IsIdentityDocumentNumberRequired: false,
	};
}

// ---------------------------------------------------------------------------------------------
// exports/add (gb operations/exports.md; older: commit 1d0383fc and the seed)

function exportsAdd(ctx: ApiContext, caller: Caller): void {
	const { state } = ctx;
	const body = caller.body;
	const entityType = readEntityType(body.EntityType, state.mode === 'older' ? MEWS_OLDER_ENTITY_TYPES : MEWS_ENTITY_TYPES, 'EntityType', true) as MewsEntityType;
	const chainScoped = CHAIN_SCOPED.has(entityType);
	let scopeSent: Record<string, unknown> | null = null;
	let filtersSent: Record<string, unknown> | null = null;
	let selection: Selection;
	let filtersEcho: Record<string, unknown> | null = null;
	let coverage: MewsExportRecord['coverage'];
	if (state.mode === 'older') {
		// No Scope or Filters then: "will return entities from all enterprises within the scope of the portfolio" (seed).
		selection = { scopes: new Set(chainScoped ? caller.token.chains : caller.token.enterprises) };
		coverage = chainScoped ? { EnterpriseIds: null, ChainIds: [...caller.token.chains] } : { EnterpriseIds: [...caller.token.enterprises], ChainIds: null };
	} else {
		const scope = readScope(body.Scope);
		const filters = readFilters(body.Filters, entityType, state.clock.now().getTime());
		scopeSent = body.Scope === undefined || body.Scope === null ? null : structuredClone(body.Scope as Record<string, unknown>);
		filtersSent = body.Filters === undefined || body.Filters === null ? null : structuredClone(body.Filters as Record<string, unknown>);
		filtersEcho = filters.echo;
		// "Which one is used depends on EntityType" (gb): the other list is ignored [I].
		const reach = chainScoped ? caller.token.chains : caller.token.enterprises;
		const asked = chainScoped ? scope.ChainIds : scope.EnterpriseIds;
		const name = chainScoped ? 'Scope.ChainIds' : 'Scope.EnterpriseIds';
		for (const id of asked ?? []) {
			if (!reach.includes(id)) throw new MewsError(400, `Invalid ${name}: "${id}" is not within the scope of the access token.`);
		}
		const ids = asked ? Array.from(new Set(asked)) : [...reach];
		selection = { scopes: new Set(ids), updated: filters.updated, posting: filters.posting };
		coverage = chainScoped ? { EnterpriseIds: null, ChainIds: ids } : { EnterpriseIds: ids, ChainIds: null };
	}
	const running = Array.from(state.exports.values()).find((other) => {
		refreshExpiry(state, other);
		const active = other.record.Status === 'Pending' || other.record.Status === 'Processing';
		return active && other.record.accessToken === caller.accessToken && (state.mode === 'older' || other.record.EntityType === entityType);
	});
	if (running) {
		// gb data-export.md: "If there is already an export pending, the operation returns a 400 HTTP error code."
		throw new MewsError(
			400,
			state.mode === 'older'
				? 'An export with status Pending or Processing already exists. Wait until it finishes before adding another one.'
				: `An export of entity type ${entityType} with status Pending or Processing already exists. Wait until it finishes before adding another one.`,
		);
	}
	const record: MewsExportRecord = {
		Id: randomUUID(),
		EntityType: entityType,
		Status: 'Pending',
		Scope: scopeSent,
		Filters: filtersSent,
		coverage,
		createdUtc: state.clock.now(),
		polls: 0,
		completedUtc: null,
		ExpiresUtc: null,
		Files: [],
		accessToken: caller.accessToken,
		client: caller.client,
		requestBody: structuredClone(body),
	};
	const runtime: ExportRuntime = { record, plan: state.faults.takeExportPlan(state.defaultPendingPolls), selection, filtersEcho };
	state.exports.set(record.Id, runtime);
	state.exportList.push(record);
	reply(ctx, 200, { Export: exportJson(state, runtime) });
}

function readEntityType(value: unknown, allowed: readonly MewsEntityType[], field: string, required: boolean): MewsEntityType | undefined {
	if (value === undefined || value === null) {
		if (required) throw new MewsError(400, `Invalid request: ${field} is required.`);
		return undefined;
	}
	if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
		throw new MewsError(400, `Invalid ${field} "${typeof value === 'string' ? value : JSON.stringify(value)}". Supported values: ${allowed.join(', ')}.`);
	}
	return value as MewsEntityType;
}

/** An array of 1–1000 UUID strings (oa: minItems 1, maxItems 1000, format uuid), or undefined when absent/null. */
function readIdList(value: unknown, field: string, required: boolean): string[] | undefined {
	if (value === undefined || value === null) {
		if (required) throw new MewsError(400, `Invalid request: ${field} is required.`);
		return undefined;
	}
	if (!Array.isArray(value)) throw new MewsError(400, `Invalid ${field}: expected an array of identifiers.`);
	if (value.length === 0) throw new MewsError(400, `Invalid ${field}: at least 1 item is required.`);
	if (value.length > MAX_IDS) throw new MewsError(400, `Invalid ${field}: at most ${MAX_IDS} items are allowed, ${value.length} were sent.`);
	const bad = value.find((id) => typeof id !== 'string' || !UUID.test(id));
	if (bad !== undefined) throw new MewsError(400, `Invalid ${field}: "${typeof bad === 'string' ? bad : JSON.stringify(bad)}" is not a valid identifier.`);
	return value as string[];
}

function readScope(value: unknown): { EnterpriseIds?: string[]; ChainIds?: string[] } {
	if (value === undefined || value === null) return {};
	if (typeof value !== 'object' || Array.isArray(value)) throw new MewsError(400, 'Invalid Scope: expected an object with EnterpriseIds or ChainIds.');
	const scope = value as Record<string, unknown>;
	return { EnterpriseIds: readIdList(scope.EnterpriseIds, 'Scope.EnterpriseIds', false), ChainIds: readIdList(scope.ChainIds, 'Scope.ChainIds', false) };
}

interface ReadFilters {
	updated?: { startMs: number; endMs: number };
	posting?: { start: string; end: string };
	echo: Record<string, unknown> | null;
}

/** Shape errors are 400; the documented limits are business rules, 403 ("server-side validation fails", gb responses.md) [I]. */
function readFilters(value: unknown, entityType: MewsEntityType, nowMs: number): ReadFilters {
	const ledgerRequired = entityType === 'LedgerEntry';
	if (value === undefined || value === null) {
		if (ledgerRequired) throw new MewsError(400, 'Invalid request: Filters.LedgerEntryFilters is required when EntityType is LedgerEntry.');
		return { echo: null };
	}
	if (typeof value !== 'object' || Array.isArray(value)) throw new MewsError(400, 'Invalid Filters: expected an object.');
	const filters = value as Record<string, unknown>;
	const result: ReadFilters = { echo: { UpdatedUtc: null, LedgerEntryFilters: null } };
	const echo = result.echo as Record<string, unknown>;
	if (filters.UpdatedUtc !== undefined && filters.UpdatedUtc !== null) {
		const interval = filters.UpdatedUtc;
		if (typeof interval !== 'object' || Array.isArray(interval)) throw new MewsError(400, 'Invalid Filters.UpdatedUtc: expected an object with StartUtc and EndUtc.');
		const { StartUtc: start, EndUtc: end } = interval as Record<string, unknown>;
		const startMs = parseMewsTime(start);
		const endMs = parseMewsTime(end);
		if (startMs === undefined) throw new MewsError(400, `Invalid Filters.UpdatedUtc.StartUtc ${start === undefined || start === null ? '(missing)' : JSON.stringify(start)}: expected an ISO 8601 UTC date and time.`);
		if (endMs === undefined) throw new MewsError(400, `Invalid Filters.UpdatedUtc.EndUtc ${end === undefined || end === null ? '(missing)' : JSON.stringify(end)}: expected an ISO 8601 UTC date and time.`);
		if (startMs > endMs) throw new MewsError(403, 'Filters.UpdatedUtc: StartUtc must not be after EndUtc.');
		if (endMs > nowMs - MIN_END_AGE_MS) throw new MewsError(403, 'Filters.UpdatedUtc: the end of the interval must be at least 5 minutes in the past.');
		if (endMs - startMs > MAX_INTERVAL_MS) throw new MewsError(403, 'Filters.UpdatedUtc: the interval must not be longer than 180 days.');
		result.updated = { startMs, endMs };
		echo.UpdatedUtc = { StartUtc: formatMewsTime(startMs), EndUtc: formatMewsTime(endMs) };
	}
	const ledger = filters.LedgerEntryFilters;
	if (ledger !== undefined && ledger !== null && entityType === 'LedgerEntry') {
		const posting = typeof ledger === 'object' && !Array.isArray(ledger) ? (ledger as Record<string, unknown>).Posting : undefined;
		if (!posting || typeof posting !== 'object' || Array.isArray(posting)) throw new MewsError(400, 'Invalid Filters.LedgerEntryFilters: Posting {Start, End} is required.');
		const { Start: start, End: end } = posting as Record<string, unknown>;
		if (!isIsoDate(start) || !isIsoDate(end)) throw new MewsError(400, 'Invalid Filters.LedgerEntryFilters.Posting: Start and End must be dates like 2024-01-31.');
		if (start > end) throw new MewsError(403, 'Filters.LedgerEntryFilters.Posting: Start must not be after End.');
		result.posting = { start, end };
		echo.LedgerEntryFilters = { Posting: { Start: start, End: end } };
	} else if (ledgerRequired) {
		throw new MewsError(400, 'Invalid request: Filters.LedgerEntryFilters is required when EntityType is LedgerEntry.');
	}
	return result;
}

// ---------------------------------------------------------------------------------------------
// exports/getAll

async function exportsGetAll(ctx: ApiContext, caller: Caller): Promise<void> {
	const { state } = ctx;
	if (state.mode === 'older') return exportsGetAllOlder(ctx, caller);
	// Newest: ExportIds only (required, 1–1000); other properties such as Limitation are ignored.
	const ids = readIdList(caller.body.ExportIds, 'ExportIds', true) as string[];
	const found = uniqueOwnExports(state, caller, ids);
	for (const runtime of found) await advanceSerially(state, runtime);
	reply(ctx, 200, { Exports: found.map((runtime) => exportJson(state, runtime)) });
}

/** The caller's exports among `ids`, in request order; unknown ids and other tokens' exports are left out [I]. */
function uniqueOwnExports(state: EmulatorState, caller: Caller, ids: string[]): ExportRuntime[] {
	const seen = new Set<string>();
	const found: ExportRuntime[] = [];
	for (const id of ids) {
		const runtime = state.exports.get(id.toLowerCase());
		if (!runtime || seen.has(runtime.record.Id) || runtime.record.accessToken !== caller.accessToken) continue;
		seen.add(runtime.record.Id);
		refreshExpiry(state, runtime);
		found.push(runtime);
	}
	return found;
}

/**
 * Older contract (gb 1d0383fc): Limitation {Cursor, Count 1..1000} required; ExportIds and
 * EntityType optional; without ExportIds only Pending/Processing/Success exports. Newest first;
 * the answer's Cursor is the Id of the last (oldest) export returned (gb pagination.md).
 */
async function exportsGetAllOlder(ctx: ApiContext, caller: Caller): Promise<void> {
	const { state } = ctx;
	const body = caller.body;
	const limitation = body.Limitation;
	if (limitation === undefined || limitation === null || typeof limitation !== 'object' || Array.isArray(limitation)) {
		throw new MewsError(400, 'Invalid request: Limitation is required.');
	}
	const { Count: count, Cursor: cursor } = limitation as Record<string, unknown>;
	if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_IDS) {
		throw new MewsError(400, `Invalid Limitation.Count ${JSON.stringify(count)}: an integer from 1 to ${MAX_IDS} is required.`);
	}
	if (cursor !== undefined && cursor !== null && (typeof cursor !== 'string' || !UUID.test(cursor))) throw new MewsError(400, `Invalid Limitation.Cursor ${JSON.stringify(cursor)}.`);
	const ids = readIdList(body.ExportIds, 'ExportIds', false);
	const entityType = readEntityType(body.EntityType, MEWS_ENTITY_TYPES, 'EntityType', false);
	let candidates: ExportRuntime[];
	if (ids) {
		candidates = uniqueOwnExports(state, caller, ids);
	} else {
		candidates = Array.from(state.exports.values()).filter((runtime) => {
			if (runtime.record.accessToken !== caller.accessToken) return false;
			refreshExpiry(state, runtime);
			return runtime.record.Status === 'Pending' || runtime.record.Status === 'Processing' || runtime.record.Status === 'Success';
		});
	}
	if (entityType) candidates = candidates.filter((runtime) => runtime.record.EntityType === entityType);
	candidates.sort((a, b) => b.record.createdUtc.getTime() - a.record.createdUtc.getTime() || state.exportList.indexOf(b.record) - state.exportList.indexOf(a.record));
	let start = 0;
	if (typeof cursor === 'string') {
		const at = candidates.findIndex((runtime) => runtime.record.Id === cursor.toLowerCase());
		if (at < 0) throw new MewsError(400, `Invalid Limitation.Cursor "${cursor}".`);
		start = at + 1;
	}
	const page = candidates.slice(start, start + count);
	for (const runtime of page) await advanceSerially(state, runtime);
	reply(ctx, 200, { Exports: page.map((runtime) => exportJson(state, runtime)), Cursor: page.length > 0 ? page[page.length - 1].record.Id : null });
}

// ---------------------------------------------------------------------------------------------
// Storage server: a pretend Azure Blob Storage with service SAS links [I: Mews's storage is not
// documented; the docs' example is https://example.com/exports/{id}-1.jsonl?example=signature].

function sasStringToSign(path: string, se: string): string {
	// A shortened form of Azure's service-SAS string-to-sign: only this emulator checks it.
	return `r\n\n${se}\n/blob/${STORAGE_ACCOUNT}${path}\n\n\n\n${SAS_VERSION}\nb\n`;
}

function sasSignature(secret: string, path: string, se: string): string {
	return createHmac('sha256', secret).update(sasStringToSign(path, se)).digest('base64');
}

/** Signed now, valid urlValidityMs from this answer (se has whole seconds, like Azure's). */
function signedUrl(state: EmulatorState, path: string): string {
	const se = formatMewsTime(Math.floor((state.clock.now().getTime() + state.urlValidityMs) / SECOND) * SECOND);
	const sig = sasSignature(state.signingSecret, path, se);
	return `${state.storageOrigin}${path}?sv=${SAS_VERSION}&se=${encodeURIComponent(se)}&sr=b&sp=r&sig=${encodeURIComponent(sig)}`;
}

const AUTH_FAILED = 'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.';

/** Azure's error XML (with its UTF-8 BOM), `x-ms-error-code`, and the message as the reason phrase. */
function azureError(
	state: EmulatorState,
	res: http.ServerResponse,
	status: number,
	code: string,
	message: string,
	headOnly: boolean,
	detail?: string,
	extraHeaders: Record<string, string> = {},
): void {
	const requestId = randomUUID();
	const time = `${state.clock.now().toISOString().slice(0, 23)}0000Z`;
	const detailXml = detail === undefined ? '' : `<AuthenticationErrorDetail>${escapeXml(detail)}</AuthenticationErrorDetail>`;
	const xml = `\uFEFF<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${escapeXml(message)}\nRequestId:${requestId}\nTime:${time}</Message>${detailXml}</Error>`;
	const headers = { ...extraHeaders, 'x-ms-request-id': requestId, 'x-ms-error-code': code, Server: 'Microsoft-HTTPAPI/2.0' };
	res.statusMessage = message;
	if (headOnly) return sendEmpty(res, status, headers);
	sendText(res, status, xml, 'application/xml', headers);
}

function escapeXml(text: string): string {
	return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A Mews token in any header or in the URL: the client leaked credentials to the file host. */
function leakedToken(state: EmulatorState, req: http.IncomingMessage): string | undefined {
	const secrets = [state.clientToken, ...state.tokens.keys()];
	const url = req.url ?? '';
	let decodedUrl = url;
	try {
		decodedUrl = decodeURIComponent(url);
	} catch {
		// keep the raw URL
	}
	for (const secret of secrets) {
		const kind = secret === state.clientToken ? 'ClientToken' : 'AccessToken';
		if (url.includes(secret) || decodedUrl.includes(secret)) return `a Mews ${kind} in the URL`;
		for (const [name, value] of Object.entries(req.headers)) {
			const values = Array.isArray(value) ? value : [value ?? ''];
			if (values.some((text) => text.includes(secret))) return `a Mews ${kind} in the ${name} header`;
		}
	}
	return undefined;
}

function handleStorage(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse): void {
	const base = logRequest<'api' | 'storage'>([], 'storage', req);
	const entry: MewsLoggedRequest = { ...base, server: 'storage' };
	state.requests.push(entry);
	const method = req.method ?? 'GET';
	const headOnly = method === 'HEAD';
	const leak = leakedToken(state, req);
	if (leak) {
		entry.refused = `request carries ${leak}`;
		return azureError(state, res, 403, 'AuthenticationFailed', AUTH_FAILED, headOnly, `Emulator guard: the request carries ${leak}. File links are signed: send no Mews credentials to the file host.`);
	}
	const authorization = headerValue(req, 'authorization');
	if (authorization !== undefined) {
		// What Azure answers a foreign Authorization scheme (microsoft/AzureStorageExplorer#3586).
		entry.refused = 'request carries an Authorization header';
		const scheme = authorization.trim().split(/\s+/)[0] || '(empty)';
		return azureError(state, res, 403, 'AuthenticationFailed', AUTH_FAILED, headOnly, `Authentication scheme ${scheme} is not supported in this version.`);
	}
	if (method !== 'GET' && !headOnly) {
		return azureError(state, res, 403, 'AuthorizationPermissionMismatch', 'This request is not authorized to perform this operation using this permission.', false);
	}
	const [path, query = ''] = (req.url ?? '/').split('?');
	const params = new URLSearchParams(query);
	const sig = params.get('sig');
	// No SAS: an anonymous request to a private container, which Azure answers 404 [I].
	if (!sig) return azureError(state, res, 404, 'ResourceNotFound', 'The specified resource does not exist.', headOnly);
	const se = params.get('se') ?? '';
	const seMs = parseMewsTime(se);
	if (seMs === undefined) return azureError(state, res, 403, 'AuthenticationFailed', AUTH_FAILED, headOnly, 'se is mandatory. Cannot be empty');
	const now = state.clock.now().getTime();
	if (state.faults.takeExpiredUrl() || seMs <= now) {
		// The floci-az#89 / AzureStorageExplorer#6198 answer to an expired SAS without st.
		const shownExpiry = Math.min(seMs, now - SECOND);
		return azureError(state, res, 403, 'AuthenticationFailed', AUTH_FAILED, headOnly, `Signed expiry time [${httpDate(shownExpiry)}] must be after signed start time [${httpDate(now)}]`);
	}
	if (params.get('sp') !== 'r' || params.get('sr') !== 'b' || params.get('sv') !== SAS_VERSION || sig !== sasSignature(state.signingSecret, path, se)) {
		return azureError(state, res, 403, 'AuthenticationFailed', AUTH_FAILED, headOnly, `Signature did not match. String to sign used was ${sasStringToSign(path, params.get('se') ?? '')}`);
	}
	const match = /^\/exports\/([0-9a-f-]{36})-(\d+)\.jsonl$/.exec(path);
	const runtime = match ? state.exports.get(match[1]) : undefined;
	if (runtime) refreshExpiry(state, runtime);
	const index = match ? Number(match[2]) - 1 : -1;
	const bytes = runtime && runtime.record.Status === 'Success' ? fileBytes(state, runtime, index) : undefined;
	if (!runtime || !bytes) return azureError(state, res, 404, 'BlobNotFound', 'The specified blob does not exist.', headOnly);
	sendBlob(state, req, res, runtime, bytes, headOnly);
}

function sendBlob(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse, runtime: ExportRuntime, file: Buffer, headOnly: boolean): void {
	const size = file.length;
	const range = parseByteRange(headerValue(req, 'range') ?? headerValue(req, 'x-ms-range'), size);
	const completed = runtime.record.completedUtc ?? state.clock.now();
	const common = {
		'x-ms-request-id': randomUUID(),
		'x-ms-version': SAS_VERSION,
		Server: 'Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0',
	};
	if (range.kind === 'unsatisfiable') {
		return azureError(state, res, 416, 'InvalidRange', 'The range specified is invalid for the current size of the resource.', headOnly, undefined, { 'Content-Range': `bytes */${size}` });
	}
	const headers: Record<string, string> = {
		...common,
		// Azure serves the content type given at upload; octet-stream when none was given [I].
		'Content-Type': 'application/octet-stream',
		'Accept-Ranges': 'bytes',
		ETag: `"0x8DC${createHmac('sha1', runtime.record.Id).update(String(size)).digest('hex').slice(0, 12).toUpperCase()}"`,
		'Last-Modified': httpDate(completed.getTime()),
		'x-ms-creation-time': httpDate(completed.getTime()),
		'x-ms-blob-type': 'BlockBlob',
		'x-ms-lease-status': 'unlocked',
		'x-ms-lease-state': 'available',
		'x-ms-server-encrypted': 'true',
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

export async function startMewsEmulator(options: MewsEmulatorOptions = {}): Promise<MewsEmulator> {
	const mode = options.apiVersion ?? 'newest';
	const clock = createClock(options.frozenClock === true);
	const store = new EntityStore(clock);
	if (options.seed !== false) seedEntities(store, clock.now().getTime());
	const clientToken = mewsToken();
	const accessToken = mewsToken();
	const portfolioAccessToken = mewsToken();
	const accessTokenWithoutExports = mewsToken();
	const single = { enterprises: [ENTERPRISES[0].Id], chains: [ENTERPRISES[0].ChainId], portfolio: false };
	const linesPerFile = options.linesPerFile ?? DEFAULT_LINES_PER_FILE;
	if (!Number.isInteger(linesPerFile) || linesPerFile < 1) throw new Error('linesPerFile must be a positive integer');
	const retentionMs = options.retentionMs ?? RETENTION_MS;
	const state: EmulatorState = {
		mode,
		clock,
		store,
		faults: createFaults(),
		tokens: new Map<string, TokenInfo>([
			[accessToken, { ...single, canExport: true }],
			[portfolioAccessToken, { enterprises: ENTERPRISES.map((e) => e.Id), chains: [...CHAIN_IDS], canExport: true, portfolio: true }],
			[accessTokenWithoutExports, { ...single, canExport: false }],
		]),
		clientToken,
		exports: new Map(),
		exportList: [],
		requests: [],
		storageOrigin: '',
		signingSecret: randomBytes(32).toString('base64'),
		defaultPendingPolls: options.pollsUntilDone ?? DEFAULT_POLLS_UNTIL_DONE,
		linesPerFile,
		// Before 5 Aug 2025 (changelog) the docs gave the links no lifetime of their own [I: valid until the export expires].
		urlValidityMs: options.urlValidityMs ?? (mode === 'older' ? retentionMs : URL_VALIDITY_MS),
		retentionMs,
		rateLimiter: createRateLimiter(clock, options.rateLimits === undefined ? MEWS_RATE_LIMITS[mode] : options.rateLimits),
		fileCache: new Map(),
	};
	const servers = await startApiAndStorage((req, res) => handleApi(state, req, res), (req, res) => handleStorage(state, req, res), options);
	state.storageOrigin = servers.storageOrigin;
	const emulator: MewsEmulator = {
		platformAddress: servers.api.origin,
		storageOrigin: state.storageOrigin,
		clientToken,
		accessToken,
		portfolioAccessToken,
		accessTokenWithoutExports,
		enterpriseIds: ENTERPRISES.map((e) => e.Id),
		chainIds: [...CHAIN_IDS],
		portfolioEnterpriseId: PORTFOLIO_ENTERPRISE_ID,
		apiVersion: mode,
		clock,
		entities: store,
		faults: state.faults,
		get exports() {
			for (const runtime of state.exports.values()) refreshExpiry(state, runtime);
			return state.exportList;
		},
		expireExport: (id) => {
			const runtime = state.exports.get(id.toLowerCase());
			if (!runtime) throw new Error(`expireExport: no export ${id}`);
			expire(state, runtime);
		},
		exportFile: (id, n) => {
			const runtime = state.exports.get(id.toLowerCase());
			if (!runtime) return undefined;
			refreshExpiry(state, runtime);
			return runtime.record.Status === 'Success' ? fileBytes(state, runtime, n - 1) : undefined;
		},
		requests: state.requests,
		close: async () => {
			await Promise.all([servers.api.close(), servers.storage.close()]);
		},
	};
	return emulator;
}

// `node --import tsx test/emulators/mews.ts`: run it for a demo.
if (require.main === module) {
	runFromCommandLine(
		() => startMewsEmulator({ port: Number(process.env.PORT) || undefined, apiVersion: process.env.MEWS_API === 'older' ? 'older' : 'newest' }),
		(emulator) => [
			`Mews emulator PlatformAddress: ${emulator.platformAddress}`,
			`storage (downloads):          ${emulator.storageOrigin}`,
			`ClientToken:                  ${emulator.clientToken}`,
			`AccessToken:                  ${emulator.accessToken}`,
			`Portfolio AccessToken:        ${emulator.portfolioAccessToken}`,
		],
	);
}
