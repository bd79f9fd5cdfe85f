/**
 * Local emulator of HubSpot's CRM **Exports API** (asynchronous exports: start an export, poll its
 * status, download the file) and of the file storage its download URLs point to, for tests and demos.
 *
 * Behaviour follows HubSpot's public reference, not any client code. Sources read:
 *   - H1 OpenAPI spec, repo HubSpot/HubSpot-public-api-spec-collection (snapshot of 2026-06),
 *     PublicApiSpecs/CRM/Exports/Rollouts/95922/v3/exports.json (also 2025-09/, 2026-03/, 2026-09/, which
 *     move the same operations to /crm/exports/{version}/…): POST /crm/v3/exports/export/async answers
 *     202 `TaskLocator {id (string), links}`; GET …/export/async/tasks/{taskId}/status (taskId int64)
 *     answers `ActionResponseWithSingleResultURI {status: CANCELED|COMPLETE|PENDING|PROCESSING, result
 *     ("The URL of the resulting file if the export status is COMPLETE"), requestedAt, startedAt,
 *     completedAt, numErrors, errors: StandardError[], links}`; GET /crm/v3/exports/export/{exportId}
 *     answers `PublicExportResponse {id, exportName, exportType, objectType, objectProperties, createdAt,
 *     updatedAt, exportState: CANCELED|CONFLICT|DEFERRED|DELETED|DONE|ENQUEUED|FAILED|PENDING_APPROVAL|
 *     PROCESSING, recordCount}`; request bodies `PublicExportViewRequest` (exportType VIEW,
 *     publicCrmSearchRequest {filterGroups, filters, query, sorts}) and `PublicExportListRequest`
 *     (exportType LIST, listId string) with format CSV|XLS|XLSX, exportName, objectType, objectProperties,
 *     associatedObjectType (array), exportInternalValuesOptions NAMES|VALUES, language (enum),
 *     includeLabeledAssociations, includePrimaryDisplayPropertyForAssociatedObjects,
 *     overrideAssociatedObjectsPerDefinitionPerRowLimit; Filter operators BETWEEN, CONTAINS_TOKEN, EQ, GT,
 *     GTE, HAS_PROPERTY, IN, LT, LTE, NEQ, NOT_CONTAINS_TOKEN, NOT_HAS_PROPERTY, NOT_IN; error body
 *     `Error {message, correlationId (uuid), category, subCategory, context, errors[{message, code, in,
 *     context}], links}`, example category VALIDATION_ERROR; scope crm.export.
 *   - H2 the Exports guide, https://developers.hubspot.com/docs/api-reference/legacy/crm/exports/guide
 *     ("Last modified on March 30, 2026", stored copy) and its older form
 *     https://developers.hubspot.com/docs/api/crm/exports: field table (format "XLSX, CSV, or XLS";
 *     objectType by name, e.g. CONTACT, or objectTypeId; "up to four associated objects"; "By default,
 *     property names and values are shown as the human-readable labels", NAMES = internal names as column
 *     headers, VALUES = internal values "e.g. … timestamps instead of human-readable dates"); filterGroups
 *     are OR'd, filters in a group AND'd, sorts ASC/DESC, query; LIST needs the ILS `listId`; statuses
 *     COMPLETE, PENDING, PROCESSING, CANCELED; "The download URL will expire five minutes after the
 *     completed request. Once expired, you can perform another GET request to generate a new unique URL";
 *     "an export's download URL can be accessed without any additional authorization"; Limits: "up to
 *     thirty exports within a rolling 24 hour window, and one export at a time. Additional exports will
 *     be queued until the previous export is completed"; "multiple files delivered in a zip file … for CSV
 *     or XLSX files with more than 1,000,000 rows and XLS files with more than 65,535 rows. CSV files are
 *     also automatically zipped if the file is greater than 2MB"; 1,000 associations per row unless
 *     overrideAssociatedObjectsPerDefinitionPerRowLimit; older form: "a maximum of three filterGroups with
 *     up to three filters in each group".
 *   - H3 changelog https://developers.hubspot.com/changelog/crm-export-partitioning-and-association-limits
 *     (partitions of up to one million rows in a zip; XLS at 65K rows; association limit 1,000).
 *   - H4 https://developers.hubspot.com/docs/api-reference/error-handling ("the fields in the example
 *     response above should all be treated as optional"), and the CRM objects guide's error examples
 *     (400 `{status:"error", message, correlationId, errors:[{message, code:"PROPERTY_DOESNT_EXIST",
 *     context:{propertyName:[…]}}], category:"VALIDATION_ERROR"}`; 403 `{status:"error", message:"This
 *     app hasn't been granted all required scopes to make this call. …", errors:[{message:"One or more of
 *     the following scopes are required.", context:{requiredGranularScopes:[…]}}], links:{scopes},
 *     category:"MISSING_SCOPES"}`).
 *   - H5 usage guidelines https://developers.hubspot.com/docs/api/usage-details (as quoted on
 *     community.hubspot.com, APIs & Integrations, 2021-10-18): the 429 body `{status:"error", message:"You
 *     have reached your daily limit.", errorType:"RATE_LIMIT", correlationId, policyName:"DAILY",
 *     requestId}`, "The message and policyName will indicate which limit you hit (either daily or
 *     secondly)"; the daily limit resets at midnight in the account's time zone; 100 requests per 10 s
 *     (https://developers.hubspot.com/apisbytier). Changelog 2018-11-06 "Rate limit information headers":
 *     X-HubSpot-RateLimit-Daily, -Daily-Remaining (and -Secondly, -Secondly-Remaining, not sent here [I]); changelog "Rate
 *     limit headers will now appear for OAuth authenticated calls": X-HubSpot-RateLimit-* without the Daily
 *     pair for OAuth. X-HubSpot-RateLimit-Max, -Remaining, -Interval-Milliseconds and the
 *     `ten_secondly_rolling` wording and `groupName` are as public client fixtures record real answers.
 *   - H6 changelog "Improvements to authentication errors for v3 endpoints": 401 body "Authentication
 *     credentials not found. …" in the common error shape; real 401 headers `x-hubspot-auth-failure:
 *     401 Unauthorized` and `x-hubspot-correlation-id` (HubSpot/hubspot-api-ruby#181).
 * Two servers:
 *   - the API (`apiOrigin`, 127.0.0.1): the three operations above under /crm/v3/exports/… and the dated
 *     /crm/exports/{2025-09|2026-03|2026-09}/…; Bearer private-app token (`pat-na1-…`);
 *   - a pretend S3 bucket (`storageOrigin`, host `localhost`) behind SigV4-style presigned URLs [I: HubSpot
 *     does not say where the file lives, only that the URL needs no authorization and lives 5 minutes]. It
 *     refuses an Authorization header (S3's own 400 answer) and the token anywhere, so a client that leaks
 *     its credential to the file host fails loudly.
 * Progress is poll-driven (`pollsUntilDone` status GETs before the final state) or time-driven
 * (`completeAfterMs`). One export at a time: a later export answers PENDING until the earlier ones are
 * finished; a status GET of a queued export also moves the export at the head of the queue [I: HubSpot
 * processes exports in the background; here a status request is the clock tick].
 * Formats: CSV fully; XLSX as a minimal valid SpreadsheetML workbook (inline strings); XLS as a
 * SpreadsheetML 2003 XML workbook [I: not BIFF8 — a client that needs real .xls bytes is not served].
 * [I] marks a choice made where the public reference is silent.
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import type * as http from 'node:http';
import JSZip from 'jszip';
import { createClock, type EmulatorClock } from './clock';
import {
	headerValue,
	logRequest,
	parseByteRange,
	parseContentType,
	readBody,
	runFromCommandLine,
	sendBytes,
	sendEmpty,
	sendText,
	startApiAndStorage,
	type LoggedRequest,
} from './http';

// ---------------------------------------------------------------------------------------------
// Public API

/** The object types this emulator holds (contacts 0-1, companies 0-2, deals 0-3). */
export type HubSpotObjectType = 'contacts' | 'companies' | 'deals';
export const HUBSPOT_OBJECT_TYPES: readonly HubSpotObjectType[] = ['contacts', 'companies', 'deals'];

/** H1: the status endpoint's enum. */
export type HubSpotExportStatus = 'PENDING' | 'PROCESSING' | 'COMPLETE' | 'CANCELED';
/** H1: PublicExportResponse.exportState (this emulator uses ENQUEUED, PROCESSING, DONE, CANCELED, FAILED). */
export type HubSpotExportState = 'ENQUEUED' | 'PROCESSING' | 'DONE' | 'CANCELED' | 'FAILED';
export type HubSpotExportFormat = 'CSV' | 'XLSX' | 'XLS';
export type HubSpotApiVersion = 'v3' | '2025-09' | '2026-03' | '2026-09';
export const HUBSPOT_API_VERSIONS: readonly HubSpotApiVersion[] = ['v3', '2025-09', '2026-03', '2026-09'];

export interface HubSpotPropertyDefinition {
	/** Internal name (the column header with exportInternalValuesOptions NAMES). */
	name: string;
	/** Label (the default column header, H2). */
	label: string;
	type: 'string' | 'number' | 'enumeration' | 'datetime';
	/** Enumeration options: internal value and label (labels are exported unless VALUES). */
	options?: Array<{ value: string; label: string }>;
}

/** A CRM record: internal property values as strings (as the CRM API holds them), datetimes as ISO 8601. */
export interface HubSpotRecord {
	id: string;
	properties: Record<string, string | null>;
	/** Associated record ids by object type. */
	associations: Partial<Record<HubSpotObjectType, string[]>>;
}

export interface HubSpotRecordInput {
	id?: string;
	properties?: Record<string, string | number | null | undefined>;
	/** Replaces this record's associations with the given types. */
	associations?: Partial<Record<HubSpotObjectType, string[]>>;
}

/** A list (segment) for LIST exports; `listId` is the ILS list id (H2). */
export interface HubSpotList {
	listId: string;
	name: string;
	objectType: HubSpotObjectType;
	recordIds: string[];
}

export interface HubSpotGenerateOptions {
	/** lastmodifieddate spread over [since, until] (default: the last 30 days). */
	since?: Date;
	until?: Date;
}

export interface HubSpotData {
	/** Replaces the records of a type with `count` deterministic ones; re-links default associations with the other types. */
	generate(objectType: HubSpotObjectType, count: number, options?: HubSpotGenerateOptions): void;
	/** Records sorted by numeric id (the export order without sorts [I]); copies. */
	list(objectType: HubSpotObjectType): HubSpotRecord[];
	/** Creates or updates a record by id (unknown properties throw); returns a copy. */
	upsert(objectType: HubSpotObjectType, record: HubSpotRecordInput): HubSpotRecord;
	/** Removes every record of the type, its associations and its lists' members. */
	clear(objectType: HubSpotObjectType): void;
	properties(objectType: HubSpotObjectType): HubSpotPropertyDefinition[];
	/** A new list; members that do not exist are dropped at export time. */
	createList(objectType: HubSpotObjectType, name: string, recordIds: string[]): HubSpotList;
	lists(): HubSpotList[];
}

export type HubSpotRateLimitPolicy = 'TEN_SECONDLY_ROLLING' | 'SECONDLY' | 'DAILY';

export interface HubSpotExportsFaults {
	/**
	 * The next `count` API requests answer 429 as HubSpot's rate limiter does (H5): body `{status, message,
	 * errorType: "RATE_LIMIT", correlationId, policyName, groupName}`, X-HubSpot-RateLimit-Remaining 0.
	 * No Retry-After unless `retryAfterSeconds` is given [I: HubSpot documents none].
	 */
	rateLimit(count: number, options?: { policy?: HubSpotRateLimitPolicy; retryAfterSeconds?: number }): void;
	/** The next `count` API requests answer `status` (default 500) with the common error body [I]. 503 may carry Retry-After. */
	serverError(count: number, status?: number, options?: { retryAfterSeconds?: number }): void;
	/** The next `count` file downloads answer S3's 503 SlowDown (or 500 InternalError). */
	storageError(count: number, status?: 503 | 500): void;
	/** The next export ends with `failedStatus` (default CANCELED), numErrors 1 and `errors` [I: the status enum has no FAILED]; exportState FAILED. */
	failJob(message?: string): void;
	/** With an id: cancels that export now (as a user cancelling in HubSpot [I]). Without: the next export ends CANCELED instead of COMPLETE. */
	cancel(exportId?: string): void;
	/** The next export answers `polls` status GETs (once it is at the head of the queue) as PENDING/PROCESSING before its final state. */
	pollsUntilDone(polls: number): void;
	/** The next export stays PROCESSING (and blocks the queue) until cancelled. */
	neverFinish(): void;
	/** The next `count` file downloads announce the full Content-Length, then drop the connection after `atBytes` (default: half). */
	truncateDownload(count: number, atBytes?: number): void;
	/** The next `count` file downloads answer as an expired presigned URL does (403 "Request has expired"). */
	expireUrls(count: number): void;
	reset(): void;
}

export interface HubSpotExportRecord {
	/** Numeric string (H1: TaskLocator.id is a string, the status path's taskId an int64). */
	id: string;
	apiVersion: HubSpotApiVersion;
	exportName: string;
	exportType: 'VIEW' | 'LIST';
	format: HubSpotExportFormat;
	language: string;
	objectType: HubSpotObjectType;
	/** e.g. "0-1". */
	objectTypeId: string;
	objectProperties: string[];
	associatedObjectTypes: HubSpotObjectType[];
	listId: string | null;
	internalNames: boolean;
	internalValues: boolean;
	/** As the status endpoint answers it (a failed export: `failedStatus`, default CANCELED). */
	status: HubSpotExportStatus;
	exportState: HubSpotExportState;
	requestedAt: Date;
	startedAt: Date | null;
	completedAt: Date | null;
	/** Status GETs of this export so far. */
	polls: number;
	/** Download URLs handed out (one per COMPLETE status answer). */
	urlsIssued: number;
	recordCount: number | null;
	/** The downloadable file (a .csv/.xlsx/.xls, or a .zip of parts). */
	fileName: string | null;
	zipped: boolean;
	/** Zip entry names, or [fileName]. */
	entries: string[];
	error: string | null;
	requestBody: Record<string, unknown>;
}

export interface HubSpotLoggedRequest extends LoggedRequest<'api' | 'storage'> {
	/** API requests: the body as received. */
	body?: string;
	/** The status code answered. */
	status?: number;
	/** Storage requests refused for carrying credentials: why. */
	refused?: string;
}

export interface HubSpotExportFile {
	name: string;
	contentType: string;
	bytes: Buffer;
}

export interface HubSpotExportsEmulator {
	/** http://127.0.0.1:<port>: POST /crm/v3/exports/export/async, GET …/async/tasks/{id}/status, GET …/export/{id}. */
	apiOrigin: string;
	/** http://localhost:<port>: the presigned export files. */
	storageOrigin: string;
	/** The private-app token: send `Authorization: Bearer <accessToken>`. */
	accessToken: string;
	portalId: number;
	clock: EmulatorClock;
	data: HubSpotData;
	faults: HubSpotExportsFaults;
	/** The export tasks, oldest first (state as of the last API request). */
	readonly exports: HubSpotExportRecord[];
	/** The file of a COMPLETE export (the zip when zipped). */
	exportFile(id: string): HubSpotExportFile | undefined;
	/** API requests. */
	requests: HubSpotLoggedRequest[];
	/** File-storage requests. */
	storageRequests: HubSpotLoggedRequest[];
	close(): Promise<void>;
}

export interface HubSpotExportsEmulatorOptions {
	port?: number;
	storagePort?: number;
	/** Status GETs answered PENDING/PROCESSING before the final state, counted once an export is at the head of the queue (default 2). */
	pollsUntilDone?: number;
	/** Time-driven mode: an export finishes this long after it starts (emulator clock); polls then do not count. */
	completeAfterMs?: number;
	/** One export at a time, later ones queued (H2; default true). false: every export progresses on its own. */
	oneAtATime?: boolean;
	/** Exports accepted per rolling 24 hours (H2: 30); the next start answers 429 [I]. */
	dailyExportLimit?: number;
	/** Lifetime of a download URL (H2: five minutes; default 300). */
	urlLifetimeSeconds?: number;
	/** A CSV larger than this is delivered zipped (H2: "greater than 2MB"; default 2 MiB [I: MiB]). */
	zipAboveBytes?: number;
	/** Rows per CSV/XLSX part before splitting into a zip (H2: 1,000,000). */
	rowsPerFile?: number;
	/** Rows per XLS part (H2: 65,535). */
	xlsRowsPerFile?: number;
	/** Associations per row and associated type (H2: 1,000) unless overrideAssociatedObjectsPerDefinitionPerRowLimit. */
	associationsPerRow?: number;
	/** Final status of a failed export (default CANCELED [I]); any string, to test a client's failure values. */
	failedStatus?: string;
	/** Scopes the token has (default ['crm.export']); without crm.export every call answers 403 MISSING_SCOPES. */
	grantedScopes?: string[];
	/** Values for the X-HubSpot-RateLimit-* headers (default max 100 per 10,000 ms, daily 250,000: Free/Starter, H5). */
	rateLimits?: { max: number; intervalMs: number; daily: number };
	/** Enforce `rateLimits` with real 429 answers (default false: headers only). */
	enforceRateLimits?: boolean;
	/** Start CSV files with a UTF-8 byte order mark (default false [I]). */
	csvBom?: boolean;
	/** 40 contacts, 15 companies, 12 deals with awkward values, and two lists (default true). */
	seed?: boolean;
	frozenClock?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Constants

const SECOND = 1000;
const DAY = 24 * 3600 * SECOND;
const BUCKET = 'hubspot-crm-exports-prod';
const REGION = 'us-east-1';
const DOCS = 'https://developers.hubspot.com/docs/api-reference/legacy/crm/exports/guide';
const OPERATORS = ['BETWEEN', 'CONTAINS_TOKEN', 'EQ', 'GT', 'GTE', 'HAS_PROPERTY', 'IN', 'LT', 'LTE', 'NEQ', 'NOT_CONTAINS_TOKEN', 'NOT_HAS_PROPERTY', 'NOT_IN'] as const;
type Operator = (typeof OPERATORS)[number];
/** H1's language enum plus the guide's short codes (PT), case-insensitive [I]. */
const LANGUAGES = new Set(
	'AF_ZA AR_EG BG BN CA_ES CS DA_DK DE EL_GR EN EN_GB ES ES_MX ET_EE FI FR FR_CA HE_IL HI_IN HR HU ID IT JA KO_KR LT_LT MS NL NO PL PT PT_BR PT_PT RO RU SK_SK SL SV TH TL TR UK VI_VN ZH_CN ZH_HK ZH_TW'.split(' '),
);
const MIME: Record<HubSpotExportFormat | 'ZIP', string> = {
	CSV: 'text/csv; charset=UTF-8',
	XLSX: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
	XLS: 'application/vnd.ms-excel',
	ZIP: 'application/zip',
};

// ---------------------------------------------------------------------------------------------
// Object model

const option = (value: string, label: string) => ({ value, label });

interface ObjectInfo {
	typeId: string;
	/** Label of one record, for "Associated Company IDs" [I]. */
	singular: string;
	names: string[];
	firstId: number;
	properties: HubSpotPropertyDefinition[];
	/** What `query` searches [I]. */
	searchable: string[];
	primaryDisplay(properties: Record<string, string | null>): string;
}

const RECORD_ID: HubSpotPropertyDefinition = { name: 'hs_object_id', label: 'Record ID', type: 'number' };

const OBJECTS: Record<HubSpotObjectType, ObjectInfo> = {
	contacts: {
		typeId: '0-1',
		singular: 'Contact',
		names: ['contact', 'contacts', '0-1'],
		firstId: 1001,
		properties: [
			RECORD_ID,
			{ name: 'email', label: 'Email', type: 'string' },
			{ name: 'firstname', label: 'First Name', type: 'string' },
			{ name: 'lastname', label: 'Last Name', type: 'string' },
			{ name: 'phone', label: 'Phone Number', type: 'string' },
			{ name: 'company', label: 'Company Name', type: 'string' },
			{ name: 'jobtitle', label: 'Job Title', type: 'string' },
			{
				name: 'lifecyclestage',
				label: 'Lifecycle Stage',
				type: 'enumeration',
				options: [
					option('subscriber', 'Subscriber'),
					option('lead', 'Lead'),
					option('marketingqualifiedlead', 'Marketing Qualified Lead'),
					option('salesqualifiedlead', 'Sales Qualified Lead'),
					option('opportunity', 'Opportunity'),
					option('customer', 'Customer'),
					option('evangelist', 'Evangelist'),
					option('other', 'Other'),
				],
			},
			{
				name: 'hs_lead_status',
				label: 'Lead Status',
				type: 'enumeration',
				options: [option('NEW', 'New'), option('OPEN', 'Open'), option('IN_PROGRESS', 'In Progress'), option('OPEN_DEAL', 'Open Deal'), option('UNQUALIFIED', 'Unqualified'), option('CONNECTED', 'Connected')],
			},
			{ name: 'message', label: 'Message', type: 'string' },
			{ name: 'createdate', label: 'Create Date', type: 'datetime' },
			{ name: 'lastmodifieddate', label: 'Last Modified Date', type: 'datetime' },
		],
		searchable: ['firstname', 'lastname', 'email', 'phone', 'company'],
		primaryDisplay: (p) => [p.firstname, p.lastname].filter((part) => part).join(' ') || (p.email ?? ''),
	},
	companies: {
		typeId: '0-2',
		singular: 'Company',
		names: ['company', 'companies', '0-2'],
		firstId: 20001,
		properties: [
			RECORD_ID,
			{ name: 'name', label: 'Company name', type: 'string' },
			{ name: 'domain', label: 'Company Domain Name', type: 'string' },
			{
				name: 'industry',
				label: 'Industry',
				type: 'enumeration',
				options: [option('COMPUTER_SOFTWARE', 'Computer Software'), option('FINANCIAL_SERVICES', 'Financial Services'), option('HOSPITALITY', 'Hospitality'), option('RETAIL', 'Retail'), option('MARKETING_AND_ADVERTISING', 'Marketing and Advertising')],
			},
			{ name: 'city', label: 'City', type: 'string' },
			{ name: 'country', label: 'Country/Region', type: 'string' },
			{ name: 'numberofemployees', label: 'Number of Employees', type: 'number' },
			{ name: 'annualrevenue', label: 'Annual Revenue', type: 'number' },
			{ name: 'description', label: 'Description', type: 'string' },
			{ name: 'createdate', label: 'Create Date', type: 'datetime' },
			{ name: 'hs_lastmodifieddate', label: 'Last Modified Date', type: 'datetime' },
		],
		searchable: ['name', 'domain', 'city'],
		primaryDisplay: (p) => p.name ?? '',
	},
	deals: {
		typeId: '0-3',
		singular: 'Deal',
		names: ['deal', 'deals', '0-3'],
		firstId: 30001,
		properties: [
			RECORD_ID,
			{ name: 'dealname', label: 'Deal Name', type: 'string' },
			{ name: 'amount', label: 'Amount', type: 'number' },
			{
				name: 'dealstage',
				label: 'Deal Stage',
				type: 'enumeration',
				options: [
					option('appointmentscheduled', 'Appointment Scheduled'),
					option('qualifiedtobuy', 'Qualified To Buy'),
					option('presentationscheduled', 'Presentation Scheduled'),
					option('decisionmakerboughtin', 'Decision Maker Bought-In'),
					option('contractsent', 'Contract Sent'),
					option('closedwon', 'Closed Won'),
					option('closedlost', 'Closed Lost'),
				],
			},
			{ name: 'pipeline', label: 'Pipeline', type: 'enumeration', options: [option('default', 'Sales Pipeline')] },
			{ name: 'closedate', label: 'Close Date', type: 'datetime' },
			{ name: 'createdate', label: 'Create Date', type: 'datetime' },
			{ name: 'hs_lastmodifieddate', label: 'Last Modified Date', type: 'datetime' },
		],
		searchable: ['dealname'],
		primaryDisplay: (p) => p.dealname ?? '',
	},
};

function resolveObjectType(text: string): HubSpotObjectType | undefined {
	const wanted = text.trim().toLowerCase();
	return HUBSPOT_OBJECT_TYPES.find((type) => OBJECTS[type].names.includes(wanted));
}

function propertyOf(type: HubSpotObjectType, name: string): HubSpotPropertyDefinition | undefined {
	return OBJECTS[type].properties.find((property) => property.name === name);
}

function modifiedProperty(type: HubSpotObjectType): string {
	return type === 'contacts' ? 'lastmodifieddate' : 'hs_lastmodifieddate';
}

// ---------------------------------------------------------------------------------------------
// Data

const FIRST = ['Brian', 'Maria', 'Zoë', 'José', 'Mei', 'Siobhán', 'Łukasz', 'Ada'];
const LAST = ['Halligan', 'Johnson', 'Müller', 'García', "O'Connor", 'Nguyen', '佐藤', 'Lovelace'];
const CONTACT_COMPANIES = ['HubSpot-like Inc.', 'Acme, Ltd.', 'Globex "International"', 'Café Zürich', null];
const TITLES = ['VP, Sales', 'Engineer', 'Head of "Growth"', null, 'Directeur général'];
const STAGES = ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer'];
const LEAD_STATUSES = ['NEW', 'OPEN', 'IN_PROGRESS', null, 'CONNECTED'];
const COMPANY_NAMES = ['Acme, Ltd.', 'Globex "International"', 'Initech', 'Café Zürich', 'Umbrella\nCorporation', 'Stark Industries', '株式会社サンプル', 'Wayne Enterprises'];
const CITIES = ['Cambridge', 'São Paulo', 'Zürich', 'New York, NY', 'Montréal', null];
const COUNTRIES = ['United States', 'Brazil', 'Switzerland', 'United States', 'Canada', null];
const INDUSTRIES = ['COMPUTER_SOFTWARE', 'FINANCIAL_SERVICES', 'HOSPITALITY', 'RETAIL', 'MARKETING_AND_ADVERTISING', null];
const DEAL_STAGES = ['appointmentscheduled', 'qualifiedtobuy', 'presentationscheduled', 'decisionmakerboughtin', 'contractsent', 'closedwon', 'closedlost'];

function iso(ms: number): string {
	return new Date(ms).toISOString();
}

function generatedProperties(type: HubSpotObjectType, n: number, createdMs: number, updatedMs: number): Record<string, string | null> {
	if (type === 'contacts') {
		const first = FIRST[n % FIRST.length];
		const last = LAST[Math.floor(n / FIRST.length) % LAST.length];
		return {
			email: n % 9 === 8 ? null : `${first}.${last}.${n}@example.com`.toLowerCase().normalize('NFKD').replace(/[^a-z0-9.@]/g, ''),
			firstname: n % 13 === 12 ? null : first,
			lastname: last,
			phone: n % 3 === 0 ? `+1 (617) 555-${String(1000 + n).slice(-4)}` : null,
			company: CONTACT_COMPANIES[n % CONTACT_COMPANIES.length],
			jobtitle: TITLES[n % TITLES.length],
			lifecyclestage: STAGES[n % STAGES.length],
			hs_lead_status: LEAD_STATUSES[n % LEAD_STATUSES.length],
			message: n % 7 === 3 ? 'Met at "Inbound"\nFollow up, please' : n % 11 === 5 ? 'Café ☕ – 日本語 😀' : n % 10 === 9 ? '  padded, with spaces  ' : null,
			createdate: iso(createdMs),
			lastmodifieddate: iso(updatedMs),
		};
	}
	if (type === 'companies') {
		const base = COMPANY_NAMES[n % COMPANY_NAMES.length];
		const name = n < COMPANY_NAMES.length ? base : `${base} ${Math.floor(n / COMPANY_NAMES.length) + 1}`;
		return {
			name,
			domain: n % 5 === 4 ? null : `${name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '') || `company${n}`}.example`,
			industry: INDUSTRIES[n % INDUSTRIES.length],
			city: CITIES[n % CITIES.length],
			country: COUNTRIES[n % COUNTRIES.length],
			numberofemployees: n % 4 === 3 ? null : String(5 + ((n * 137) % 5000)),
			annualrevenue: n % 6 === 5 ? null : String(25000 + ((n * 7919) % 9000000) + 0.5),
			description: n % 3 === 1 ? 'Makes "widgets", gadgets\nand more' : n % 3 === 2 ? '' : null,
			createdate: iso(createdMs),
			hs_lastmodifieddate: iso(updatedMs),
		};
	}
	return {
		dealname: `Deal ${n + 1}${n % 4 === 0 ? ' – renewal, "Q3"' : ''}`,
		amount: n % 6 === 5 ? null : String(Math.round((500 + ((n * 977) % 50000)) * 100) / 100),
		dealstage: DEAL_STAGES[n % DEAL_STAGES.length],
		pipeline: 'default',
		closedate: iso(updatedMs + 30 * DAY),
		createdate: iso(createdMs),
		hs_lastmodifieddate: iso(updatedMs),
	};
}

/** Which way the default association rules run: from the "many" side [I]. */
const LINK_RULES: ReadonlySet<string> = new Set(['contacts>companies', 'deals>companies', 'deals>contacts']);

/** Indexes of the `other` records a generated record at `index` is associated with [I: a fixed rule]. */
function defaultLinks(type: HubSpotObjectType, index: number, other: HubSpotObjectType, otherCount: number): number[] {
	if (otherCount === 0) return [];
	const pair = `${type}>${other}`;
	if (pair === 'contacts>companies') {
		if (index % 6 === 5) return [];
		const links = [index % otherCount];
		if (index % 7 === 0 && otherCount > 1) links.push((index + 3) % otherCount);
		return [...new Set(links)];
	}
	if (pair === 'deals>companies') return [index % otherCount];
	if (pair === 'deals>contacts') return index % 5 === 4 ? [] : [(index * 3) % otherCount];
	return [];
}

class DataStore implements HubSpotData {
	private readonly records: Record<HubSpotObjectType, Map<string, Record<string, string | null>>> = { contacts: new Map(), companies: new Map(), deals: new Map() };
	/** "type:id" → the "type:id" keys of the records it is associated with (both directions kept). */
	private readonly adjacency = new Map<string, Set<string>>();
	private readonly nextId: Record<HubSpotObjectType, number> = { contacts: OBJECTS.contacts.firstId, companies: OBJECTS.companies.firstId, deals: OBJECTS.deals.firstId };
	private readonly listStore: HubSpotList[] = [];
	private nextListId = 101;

	constructor(private readonly clock: EmulatorClock) {}

	generate(type: HubSpotObjectType, count: number, options: HubSpotGenerateOptions = {}): void {
		assertType(type);
		if (!Number.isInteger(count) || count < 0 || count > 2_000_000) throw new Error('data.generate: count must be an integer from 0 to 2,000,000');
		const untilMs = (options.until ?? this.clock.now()).getTime();
		const sinceMs = (options.since ?? new Date(untilMs - 30 * DAY)).getTime();
		for (const other of HUBSPOT_OBJECT_TYPES) if (other !== type) this.unlinkTypes(type, other);
		const map = new Map<string, Record<string, string | null>>();
		for (let n = 0; n < count; n++) {
			const updatedMs = Math.floor((sinceMs + ((untilMs - sinceMs) * (n + 1)) / Math.max(1, count)) / SECOND) * SECOND;
			const id = String(OBJECTS[type].firstId + n);
			map.set(id, { hs_object_id: id, ...generatedProperties(type, n, updatedMs - (n % 20) * DAY, updatedMs) });
		}
		this.records[type] = map;
		this.nextId[type] = OBJECTS[type].firstId + count;
		for (const other of HUBSPOT_OBJECT_TYPES) {
			const [from, to] = LINK_RULES.has(`${type}>${other}`) ? [type, other] : LINK_RULES.has(`${other}>${type}`) ? [other, type] : [undefined, undefined];
			if (!from || !to) continue;
			const toIds = this.sortedIds(to);
			this.sortedIds(from).forEach((fromId, index) => {
				for (const k of defaultLinks(from, index, to, toIds.length)) this.link(from, fromId, to, toIds[k]);
			});
		}
	}

	list(type: HubSpotObjectType): HubSpotRecord[] {
		assertType(type);
		return this.sortedIds(type).map((id) => this.copy(type, id));
	}

	upsert(type: HubSpotObjectType, input: HubSpotRecordInput): HubSpotRecord {
		assertType(type);
		const existing = input.id === undefined ? undefined : this.records[type].get(input.id);
		const now = this.clock.now().getTime();
		let id = input.id;
		if (id === undefined) {
			id = String(this.nextId[type]++);
		} else if (!/^\d+$/.test(id)) throw new Error('data.upsert: ids are numeric strings');
		else if (Number(id) >= this.nextId[type]) this.nextId[type] = Number(id) + 1;
		const base = existing ?? { ...generatedProperties(type, Math.abs(Number(id) - OBJECTS[type].firstId), now, now) };
		const given: Record<string, string | null> = {};
		for (const [name, value] of Object.entries(input.properties ?? {})) {
			if (value === undefined) continue;
			if (name === 'hs_object_id') throw new Error('data.upsert: hs_object_id is the id');
			if (!propertyOf(type, name)) throw new Error(`data.upsert: ${type} has no property ${name}`);
			given[name] = value === null ? null : String(value);
		}
		const modified = modifiedProperty(type);
		const merged = { ...base, ...given, hs_object_id: id, [modified]: given[modified] ?? iso(now) };
		this.records[type].set(id, merged);
		for (const [other, ids] of Object.entries(input.associations ?? {}) as Array<[HubSpotObjectType, string[]]>) {
			assertType(other);
			if (other === type) throw new Error('data.upsert: associations with the same type are not modelled');
			const mine = this.adjacency.get(`${type}:${id}`);
			for (const far of [...(mine ?? [])]) if (far.startsWith(`${other}:`)) this.unlink(`${type}:${id}`, far);
			for (const otherId of ids) this.link(type, id, other, otherId);
		}
		return this.copy(type, id);
	}

	clear(type: HubSpotObjectType): void {
		assertType(type);
		for (const other of HUBSPOT_OBJECT_TYPES) if (other !== type) this.unlinkTypes(type, other);
		this.records[type] = new Map();
		for (const list of this.listStore) if (list.objectType === type) list.recordIds = [];
	}

	properties(type: HubSpotObjectType): HubSpotPropertyDefinition[] {
		assertType(type);
		return structuredClone(OBJECTS[type].properties);
	}

	createList(type: HubSpotObjectType, name: string, recordIds: string[]): HubSpotList {
		assertType(type);
		const list: HubSpotList = { listId: String(this.nextListId++), name, objectType: type, recordIds: [...recordIds] };
		this.listStore.push(list);
		return structuredClone(list);
	}

	lists(): HubSpotList[] {
		return structuredClone(this.listStore);
	}

	// Internal, not copied.

	findList(listId: string): HubSpotList | undefined {
		return this.listStore.find((list) => list.listId === listId);
	}

	raw(type: HubSpotObjectType, id: string): Record<string, string | null> | undefined {
		return this.records[type].get(id);
	}

	sortedIds(type: HubSpotObjectType): string[] {
		return Array.from(this.records[type].keys()).sort((a, b) => Number(a) - Number(b));
	}

	/** Ids of the existing `other` records associated with a record, by numeric id. */
	associated(type: HubSpotObjectType, id: string, other: HubSpotObjectType): string[] {
		const ids: string[] = [];
		for (const far of this.adjacency.get(`${type}:${id}`) ?? []) {
			if (!far.startsWith(`${other}:`)) continue;
			const otherId = far.slice(other.length + 1);
			if (this.records[other].has(otherId)) ids.push(otherId);
		}
		return ids.sort((x, y) => Number(x) - Number(y));
	}

	private link(a: HubSpotObjectType, idA: string, b: HubSpotObjectType, idB: string): void {
		const keyA = `${a}:${idA}`;
		const keyB = `${b}:${idB}`;
		for (const [from, to] of [
			[keyA, keyB],
			[keyB, keyA],
		]) {
			let set = this.adjacency.get(from);
			if (!set) {
				set = new Set();
				this.adjacency.set(from, set);
			}
			set.add(to);
		}
	}

	private unlink(keyA: string, keyB: string): void {
		this.adjacency.get(keyA)?.delete(keyB);
		this.adjacency.get(keyB)?.delete(keyA);
	}

	private unlinkTypes(type: HubSpotObjectType, other: HubSpotObjectType): void {
		for (const [key, set] of this.adjacency) {
			if (!key.startsWith(`${type}:`)) continue;
			for (const far of [...set]) if (far.startsWith(`${other}:`)) this.unlink(key, far);
		}
	}

	private copy(type: HubSpotObjectType, id: string): HubSpotRecord {
		const properties = { ...(this.records[type].get(id) as Record<string, string | null>) };
		const associations: Partial<Record<HubSpotObjectType, string[]>> = {};
		for (const other of HUBSPOT_OBJECT_TYPES) {
			if (other === type) continue;
			const ids = this.associated(type, id, other);
			if (ids.length > 0) associations[other] = ids;
		}
		return { id, properties, associations };
	}
}

function assertType(type: string): asserts type is HubSpotObjectType {
	if (!(HUBSPOT_OBJECT_TYPES as readonly string[]).includes(type)) throw new Error(`"${type}" is not an object type (${HUBSPOT_OBJECT_TYPES.join(', ')})`);
}

function seedData(store: DataStore): void {
	store.generate('contacts', 40);
	store.generate('companies', 15);
	store.generate('deals', 12);
	const contacts = store.sortedIds('contacts');
	store.createList('contacts', 'Newsletter subscribers', contacts.filter((_, index) => index % 3 === 0));
	store.createList('companies', 'Key accounts', store.sortedIds('companies').slice(0, 5));
}

// ---------------------------------------------------------------------------------------------
// Faults

interface ExportPlan {
	pollsUntilDone: number;
	neverFinish: boolean;
	fail?: string;
	cancel: boolean;
}

interface ApiFault {
	status: number;
	body: Record<string, unknown>;
	headers: Record<string, string>;
	rateLimited: boolean;
}

interface FaultState extends HubSpotExportsFaults {
	takeApiFault(): ApiFault | undefined;
	takePlan(defaultPolls: number): ExportPlan;
	takeTruncation(size: number): number | undefined;
	takeExpiredUrl(): boolean;
	takeStorageError(): number | undefined;
}

function createFaults(state: () => EmulatorState): FaultState {
	const fresh = () => ({
		rateLimit: { count: 0, policy: 'TEN_SECONDLY_ROLLING' as HubSpotRateLimitPolicy, retryAfterSeconds: undefined as number | undefined },
		serverError: { count: 0, status: 500, retryAfterSeconds: undefined as number | undefined },
		storageError: { count: 0, status: 503 },
		next: {} as Partial<ExportPlan>,
		truncate: { count: 0, atBytes: undefined as number | undefined },
		expire: 0,
	});
	let s = fresh();
	return {
		rateLimit: (count, options = {}) => {
			s.rateLimit = { count, policy: options.policy ?? 'TEN_SECONDLY_ROLLING', retryAfterSeconds: options.retryAfterSeconds };
		},
		serverError: (count, status = 500, options = {}) => {
			s.serverError = { count, status, retryAfterSeconds: options.retryAfterSeconds };
		},
		storageError: (count, status = 503) => {
			s.storageError = { count, status };
		},
		failJob: (message = 'The export could not be completed.') => {
			s.next.fail = message;
		},
		cancel: (exportId) => {
			if (exportId === undefined) {
				s.next.cancel = true;
				return;
			}
			const current = state();
			const runtime = current.exports.get(exportId);
			if (!runtime) throw new Error(`faults.cancel: no export ${exportId}`);
			cancelNow(current, runtime);
		},
		pollsUntilDone: (polls) => {
			if (!Number.isInteger(polls) || polls < 0) throw new Error('pollsUntilDone: a non-negative integer');
			s.next.pollsUntilDone = polls;
		},
		neverFinish: () => {
			s.next.neverFinish = true;
		},
		truncateDownload: (count, atBytes) => {
			s.truncate = { count, atBytes };
		},
		expireUrls: (count) => {
			s.expire = count;
		},
		reset: () => {
			s = fresh();
		},
		takeApiFault: () => {
			const current = state();
			if (s.rateLimit.count > 0) {
				s.rateLimit.count--;
				return rateLimitAnswer(current, s.rateLimit.policy, s.rateLimit.retryAfterSeconds);
			}
			if (s.serverError.count > 0) {
				s.serverError.count--;
				const headers: Record<string, string> = s.serverError.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(s.serverError.retryAfterSeconds) };
				// [I] the common error shape; HubSpot's 5xx wording is not documented.
				return { status: s.serverError.status, body: errorBody('internal error', 'INTERNAL_ERROR'), headers, rateLimited: false };
			}
			return undefined;
		},
		takePlan: (defaultPolls) => {
			const next = s.next;
			s.next = {};
			return { pollsUntilDone: next.pollsUntilDone ?? defaultPolls, neverFinish: next.neverFinish === true, fail: next.fail, cancel: next.cancel === true };
		},
		takeTruncation: (size) => {
			if (s.truncate.count <= 0) return undefined;
			s.truncate.count--;
			return Math.min(s.truncate.atBytes ?? Math.floor(size / 2), size);
		},
		takeExpiredUrl: () => {
			if (s.expire <= 0) return false;
			s.expire--;
			return true;
		},
		takeStorageError: () => {
			if (s.storageError.count <= 0) return undefined;
			s.storageError.count--;
			return s.storageError.status;
		},
	};
}

// ---------------------------------------------------------------------------------------------
// State

interface StoredObject {
	bytes: Buffer;
	contentType: string;
	/** The name a person sees (Content-Disposition). */
	displayName: string;
	createdMs: number;
}

interface ExportRuntime {
	record: HubSpotExportRecord;
	plan: ExportPlan;
	seq: number;
	/** Progress steps taken at the head of the queue (poll mode). */
	steps: number;
	filters: FilterSpec;
	includePrimaryDisplay: boolean;
	overrideAssociationLimit: boolean;
	/** Storage path of the file once COMPLETE. */
	objectPath?: string;
	finishing?: Promise<void>;
}

interface FilterSpec {
	groups: ParsedFilter[][];
	filters: ParsedFilter[];
	query?: string;
	sorts: Array<{ propertyName: string; direction: 1 | -1 }>;
}

interface ParsedFilter {
	propertyName: string;
	operator: Operator;
	value?: string;
	values?: string[];
	highValue?: string;
}

interface Settings {
	defaultPolls: number;
	completeAfterMs?: number;
	oneAtATime: boolean;
	dailyExportLimit: number;
	urlLifetimeSeconds: number;
	zipAboveBytes: number;
	rowsPerFile: number;
	xlsRowsPerFile: number;
	associationsPerRow: number;
	failedStatus: string;
	grantedScopes: string[];
	rateLimits: { max: number; intervalMs: number; daily: number };
	enforceRateLimits: boolean;
	csvBom: boolean;
}

interface EmulatorState {
	clock: EmulatorClock;
	store: DataStore;
	faults: FaultState;
	exports: Map<string, ExportRuntime>;
	objects: Map<string, StoredObject>;
	requests: HubSpotLoggedRequest[];
	storageRequests: HubSpotLoggedRequest[];
	accessToken: string;
	portalId: number;
	appId: number;
	apiOrigin: string;
	storageOrigin: string;
	signingSecret: string;
	accessKeyId: string;
	settings: Settings;
	nextExportId: number;
	nextSeq: number;
	/** Emulator-clock times of authenticated API requests, for the rate-limit headers. */
	hits: number[];
	daily: { dayStartMs: number; count: number };
}

// ---------------------------------------------------------------------------------------------
// Progress

/** Finished: COMPLETE, CANCELED or the failed status (whatever `failedStatus` says). */
function isDone(runtime: ExportRuntime): boolean {
	return runtime.record.completedAt !== null;
}

function firstUnfinished(state: EmulatorState): ExportRuntime | undefined {
	let head: ExportRuntime | undefined;
	for (const runtime of state.exports.values()) {
		if (isDone(runtime)) continue;
		if (!head || runtime.seq < head.seq) head = runtime;
	}
	return head;
}

function startProcessing(runtime: ExportRuntime, atMs: number): void {
	const record = runtime.record;
	if (record.status === 'PENDING') {
		record.status = 'PROCESSING';
		record.exportState = 'PROCESSING';
		record.startedAt = new Date(atMs);
	}
}

/** A status GET of `polled`: one step for the export at the head of the queue (or for `polled` alone). */
async function advanceByPoll(state: EmulatorState, polled: ExportRuntime): Promise<void> {
	if (isDone(polled)) return;
	const head = state.settings.oneAtATime ? firstUnfinished(state) : polled;
	if (!head) return;
	if (head.finishing) return head.finishing;
	const now = state.clock.now().getTime();
	const { plan } = head;
	head.steps++;
	if (plan.neverFinish) return startProcessing(head, now);
	if (head.steps > plan.pollsUntilDone) return finish(state, head, now);
	// The first step of an export with two or more to go is still queued [I], as location-jobs does.
	if (head.steps === 1 && plan.pollsUntilDone >= 2) return;
	startProcessing(head, now);
}

/** Time-driven mode: each export starts when it is requested and the one before it has finished. */
async function advanceByTime(state: EmulatorState): Promise<void> {
	const completeAfterMs = state.settings.completeAfterMs as number;
	const now = state.clock.now().getTime();
	let previousEnd = -Infinity;
	for (const runtime of Array.from(state.exports.values()).sort((a, b) => a.seq - b.seq)) {
		const record = runtime.record;
		if (runtime.finishing) await runtime.finishing;
		if (isDone(runtime)) {
			previousEnd = Math.max(previousEnd, (record.completedAt as Date).getTime());
			continue;
		}
		const startMs = state.settings.oneAtATime ? Math.max(record.requestedAt.getTime(), previousEnd) : record.requestedAt.getTime();
		if (startMs > now) {
			previousEnd = Infinity;
			continue;
		}
		startProcessing(runtime, startMs);
		if (runtime.plan.neverFinish) {
			previousEnd = Infinity;
			continue;
		}
		const endMs = startMs + completeAfterMs;
		if (endMs <= now) await finish(state, runtime, endMs);
		previousEnd = state.settings.oneAtATime ? endMs : previousEnd;
	}
}

async function advance(state: EmulatorState, polled?: ExportRuntime): Promise<void> {
	if (state.settings.completeAfterMs !== undefined) return advanceByTime(state);
	if (polled) return advanceByPoll(state, polled);
}

function finish(state: EmulatorState, runtime: ExportRuntime, atMs: number): Promise<void> {
	if (runtime.finishing) return runtime.finishing;
	runtime.finishing = (async () => {
		const record = runtime.record;
		if (!record.startedAt) record.startedAt = new Date(atMs);
		if (runtime.plan.fail !== undefined) {
			record.status = state.settings.failedStatus as HubSpotExportStatus;
			record.exportState = 'FAILED';
			record.error = runtime.plan.fail;
		} else if (runtime.plan.cancel) {
			record.status = 'CANCELED';
			record.exportState = 'CANCELED';
		} else {
			const built = await buildExport(state, runtime);
			const path = `/${BUCKET}/${state.portalId}/${record.id}/${built.keyName}`;
			state.objects.set(path, { bytes: built.bytes, contentType: built.contentType, displayName: built.displayName, createdMs: atMs });
			runtime.objectPath = path;
			record.fileName = built.displayName;
			record.zipped = built.zipped;
			record.entries = built.entries;
			record.recordCount = built.rowCount;
			record.status = 'COMPLETE';
			record.exportState = 'DONE';
		}
		record.completedAt = new Date(atMs);
	})();
	return runtime.finishing;
}

function cancelNow(state: EmulatorState, runtime: ExportRuntime): void {
	const record = runtime.record;
	if (isDone(runtime) || runtime.finishing) return;
	record.status = 'CANCELED';
	record.exportState = 'CANCELED';
	record.completedAt = state.clock.now();
}

// ---------------------------------------------------------------------------------------------
// Rows and files

function toMs(value: string): number {
	return /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : Date.parse(value);
}

function compareTyped(property: HubSpotPropertyDefinition | undefined, a: string, b: string): number {
	if (property?.type === 'number') return Number(a) - Number(b);
	if (property?.type === 'datetime') return toMs(a) - toMs(b);
	const x = a.toLowerCase();
	const y = b.toLowerCase();
	return x < y ? -1 : x > y ? 1 : 0;
}

function tokenMatches(raw: string, pattern: string): boolean {
	const source = `^${pattern.toLowerCase().replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`;
	const regex = new RegExp(source, 'u');
	const text = raw.toLowerCase();
	// [I] tokens are the whole value and its words split on spaces and punctuation other than @ . _ -.
	return regex.test(text) || text.split(/[^\p{L}\p{N}@._-]+/u).some((token) => token !== '' && regex.test(token));
}

function matchesFilter(type: HubSpotObjectType, properties: Record<string, string | null>, filter: ParsedFilter): boolean {
	const property = propertyOf(type, filter.propertyName);
	const raw = properties[filter.propertyName] ?? null;
	const present = raw !== null && raw !== '';
	const equal = (value: string) => present && compareTyped(property, raw as string, value) === 0;
	switch (filter.operator) {
		case 'EQ':
			return equal(filter.value as string);
		case 'NEQ':
			return !equal(filter.value as string);
		case 'LT':
			return present && compareTyped(property, raw as string, filter.value as string) < 0;
		case 'LTE':
			return present && compareTyped(property, raw as string, filter.value as string) <= 0;
		case 'GT':
			return present && compareTyped(property, raw as string, filter.value as string) > 0;
		case 'GTE':
			return present && compareTyped(property, raw as string, filter.value as string) >= 0;
		case 'BETWEEN':
			return present && compareTyped(property, raw as string, filter.value as string) >= 0 && compareTyped(property, raw as string, filter.highValue as string) <= 0;
		case 'IN':
			return (filter.values ?? []).some(equal);
		case 'NOT_IN':
			return !(filter.values ?? []).some(equal);
		case 'HAS_PROPERTY':
			return present;
		case 'NOT_HAS_PROPERTY':
			return !present;
		case 'CONTAINS_TOKEN':
			return present && tokenMatches(raw as string, filter.value as string);
		case 'NOT_CONTAINS_TOKEN':
			return !(present && tokenMatches(raw as string, filter.value as string));
	}
}

/** The records of an export, in order (VIEW: filtered and sorted; LIST: the list's members). */
function selectRecords(state: EmulatorState, runtime: ExportRuntime): string[] {
	const record = runtime.record;
	const type = record.objectType;
	const store = state.store;
	if (record.exportType === 'LIST') {
		const members = new Set(store.findList(record.listId as string)?.recordIds ?? []);
		return store.sortedIds(type).filter((id) => members.has(id));
	}
	const { groups, filters, query, sorts } = runtime.filters;
	let ids = store.sortedIds(type).filter((id) => {
		const properties = store.raw(type, id) as Record<string, string | null>;
		if (groups.length > 0 && !groups.some((group) => group.every((filter) => matchesFilter(type, properties, filter)))) return false;
		if (!filters.every((filter) => matchesFilter(type, properties, filter))) return false;
		if (query) {
			const needle = query.toLowerCase();
			if (!OBJECTS[type].searchable.some((name) => (properties[name] ?? '').toLowerCase().includes(needle))) return false;
		}
		return true;
	});
	if (sorts.length > 0) {
		ids = [...ids].sort((a, b) => {
			const pa = store.raw(type, a) as Record<string, string | null>;
			const pb = store.raw(type, b) as Record<string, string | null>;
			for (const sort of sorts) {
				const va = pa[sort.propertyName] ?? null;
				const vb = pb[sort.propertyName] ?? null;
				if (va === vb) continue;
				// Records without a value last in either direction [I].
				if (va === null || va === '') return 1;
				if (vb === null || vb === '') return -1;
				const order = compareTyped(propertyOf(type, sort.propertyName), va, vb) * sort.direction;
				if (order !== 0) return order;
			}
			return Number(a) - Number(b);
		});
	}
	return ids;
}

function labelDate(value: string): string {
	const ms = toMs(value);
	if (Number.isNaN(ms)) return value;
	// [I] "human-readable dates" (H2): YYYY-MM-DD HH:mm in UTC (the account's time zone is UTC here).
	const text = new Date(ms).toISOString();
	return `${text.slice(0, 10)} ${text.slice(11, 16)}`;
}

function exportValue(property: HubSpotPropertyDefinition, raw: string | null, internalValues: boolean): string {
	if (raw === null) return '';
	if (property.type === 'datetime') {
		if (internalValues) {
			const ms = toMs(raw);
			return Number.isNaN(ms) ? raw : String(ms);
		}
		return labelDate(raw);
	}
	if (property.type === 'enumeration' && !internalValues) return property.options?.find((o) => o.value === raw)?.label ?? raw;
	return raw;
}

interface Table {
	header: string[];
	rows: string[][];
}

function buildTable(state: EmulatorState, runtime: ExportRuntime): Table {
	const record = runtime.record;
	const type = record.objectType;
	const properties = [RECORD_ID, ...record.objectProperties.filter((name) => name !== 'hs_object_id').map((name) => propertyOf(type, name) as HubSpotPropertyDefinition)];
	const header = properties.map((property) => (record.internalNames ? property.name : property.label));
	for (const other of record.associatedObjectTypes) {
		// [I] column names of HubSpot's in-app exports; the same with NAMES.
		header.push(`Associated ${OBJECTS[other].singular} IDs`);
		if (runtime.includePrimaryDisplay) header.push(`Associated ${OBJECTS[other].singular}`);
	}
	const limit = runtime.overrideAssociationLimit ? Infinity : state.settings.associationsPerRow;
	const rows = selectRecords(state, runtime).map((id) => {
		const values = state.store.raw(type, id) as Record<string, string | null>;
		const row = properties.map((property) => exportValue(property, property === RECORD_ID ? id : (values[property.name] ?? null), record.internalValues));
		for (const other of record.associatedObjectTypes) {
			const linked = state.store.associated(type, id, other).slice(0, limit);
			// [I] several associated records in one cell, separated by ";".
			row.push(linked.join(';'));
			if (runtime.includePrimaryDisplay) row.push(linked.map((otherId) => OBJECTS[other].primaryDisplay(state.store.raw(other, otherId) as Record<string, string | null>)).join(';'));
		}
		return row;
	});
	return { header, rows };
}

function csvCell(value: string): string {
	return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** RFC 4180: CRLF line breaks, quotes doubled [I: HubSpot's exact quoting is not documented]. */
function toCsv(table: Table, bom: boolean): Buffer {
	const lines = [table.header, ...table.rows].map((row) => row.map(csvCell).join(','));
	return Buffer.from(`${bom ? '\uFEFF' : ''}${lines.join('\r\n')}\r\n`, 'utf8');
}

function xmlText(text: string): string {
	// XML 1.0 forbids most control characters; drop them.
	// eslint-disable-next-line no-control-regex
	return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function columnName(index: number): string {
	let name = '';
	for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
	return name;
}

/** A minimal valid Office Open XML workbook: one sheet, inline strings, no styles. */
async function toXlsx(table: Table, sheetName: string): Promise<Buffer> {
	const rows = [table.header, ...table.rows]
		.map((row, r) => `<row r="${r + 1}">${row.map((value, c) => `<c r="${columnName(c)}${r + 1}" t="inlineStr"><is><t xml:space="preserve">${xmlText(value)}</t></is></c>`).join('')}</row>`)
		.join('');
	const zip = new JSZip();
	const decl = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
	zip.file(
		'[Content_Types].xml',
		`${decl}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
	);
	zip.file('_rels/.rels', `${decl}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`);
	zip.file(
		'xl/workbook.xml',
		`${decl}<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="${xmlText(sheetName)}" sheetId="1" r:id="rId1"/></sheets></workbook>`,
	);
	zip.file('xl/_rels/workbook.xml.rels', `${decl}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`);
	zip.file('xl/worksheets/sheet1.xml', `${decl}<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${rows}</sheetData></worksheet>`);
	return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

/** [I] SpreadsheetML 2003 (XML), standing in for BIFF8 .xls. */
function toXls(table: Table, sheetName: string): Buffer {
	const rows = [table.header, ...table.rows].map((row) => `<Row>${row.map((value) => `<Cell><Data ss:Type="String">${xmlText(value)}</Data></Cell>`).join('')}</Row>`).join('');
	return Buffer.from(
		`<?xml version="1.0" encoding="UTF-8"?>\n<?mso-application progid="Excel.Sheet"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="${xmlText(sheetName)}"><Table>${rows}</Table></Worksheet></Workbook>\n`,
		'utf8',
	);
}

/** An ASCII object key from the export name [I], so URLs need no escaping. */
function keyName(exportName: string): string {
	return exportName.normalize('NFKD').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 100) || 'export';
}

/** The file name a person sees: the export name without characters file systems refuse [I]. */
function displayName(exportName: string): string {
	// eslint-disable-next-line no-control-regex
	return exportName.replace(/[\\/:*?"<>|\u0000-\u001F]+/g, '_').trim().slice(0, 150) || 'export';
}

async function buildExport(state: EmulatorState, runtime: ExportRuntime): Promise<{ bytes: Buffer; contentType: string; keyName: string; displayName: string; zipped: boolean; entries: string[]; rowCount: number }> {
	const record = runtime.record;
	const table = buildTable(state, runtime);
	const format = record.format;
	const extension = format.toLowerCase();
	const perFile = format === 'XLS' ? state.settings.xlsRowsPerFile : state.settings.rowsPerFile;
	const parts: Table[] = [];
	for (let start = 0; start < table.rows.length || parts.length === 0; start += perFile) parts.push({ header: table.header, rows: table.rows.slice(start, start + perFile) });
	const sheet = displayName(record.exportName).slice(0, 31);
	const render = (part: Table): Promise<Buffer> | Buffer => (format === 'CSV' ? toCsv(part, state.settings.csvBom) : format === 'XLSX' ? toXlsx(part, sheet) : toXls(part, sheet));
	const rendered = await Promise.all(parts.map(render));
	const name = displayName(record.exportName);
	const key = keyName(record.exportName);
	const tooBig = format === 'CSV' && rendered[0].length > state.settings.zipAboveBytes;
	if (rendered.length === 1 && !tooBig) {
		return { bytes: rendered[0], contentType: MIME[format], keyName: `${key}.${extension}`, displayName: `${name}.${extension}`, zipped: false, entries: [`${name}.${extension}`], rowCount: table.rows.length };
	}
	const zip = new JSZip();
	// [I] entry names: the export name, numbered when the export is split.
	const entries = rendered.map((_, index) => (rendered.length === 1 ? `${name}.${extension}` : `${name}-${index + 1}.${extension}`));
	const date = new Date((record.completedAt ?? state.clock.now()).getTime());
	rendered.forEach((bytes, index) => zip.file(entries[index], bytes, { date }));
	const bytes = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
	return { bytes, contentType: MIME.ZIP, keyName: `${key}.zip`, displayName: `${name}.zip`, zipped: true, entries, rowCount: table.rows.length };
}

// ---------------------------------------------------------------------------------------------
// API server

class ApiError extends Error {
	constructor(
		readonly status: number,
		readonly body: Record<string, unknown>,
		readonly headers: Record<string, string> = {},
	) {
		super(String(body.message));
	}
}

function errorBody(message: string, category: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
	return { status: 'error', message, correlationId: randomUUID(), category, ...extra };
}

function validation(message: string, details: Array<{ message: string; in?: string; code?: string; context?: Record<string, string[]> }> = []): ApiError {
	const extra: Record<string, unknown> = details.length > 0 ? { errors: details } : {};
	return new ApiError(400, errorBody(message, 'VALIDATION_ERROR', extra));
}

function rateLimitAnswer(state: EmulatorState, policy: HubSpotRateLimitPolicy, retryAfterSeconds?: number): ApiFault {
	const wording: Record<HubSpotRateLimitPolicy, string> = { TEN_SECONDLY_ROLLING: 'ten_secondly_rolling', SECONDLY: 'secondly', DAILY: 'daily' };
	const group: Record<HubSpotRateLimitPolicy, string> = { TEN_SECONDLY_ROLLING: 'ten-secondly', SECONDLY: 'secondly', DAILY: 'daily' };
	const headers: Record<string, string> = { ...rateLimitHeaders(state, true, policy === 'DAILY') };
	if (retryAfterSeconds !== undefined) headers['Retry-After'] = String(retryAfterSeconds);
	return {
		status: 429,
		rateLimited: true,
		headers,
		body: {
			status: 'error',
			message: `You have reached your ${wording[policy]} limit.`,
			errorType: 'RATE_LIMIT',
			correlationId: randomUUID(),
			policyName: policy,
			// [I] the group name's form, as public fixtures record it.
			groupName: `publicapi:private_app-api-calls-${group[policy]}:${state.appId}:${state.portalId}`,
		},
	};
}

function pruneHits(state: EmulatorState, nowMs: number): void {
	const from = nowMs - state.settings.rateLimits.intervalMs;
	while (state.hits.length > 0 && state.hits[0] <= from) state.hits.shift();
	const dayStart = nowMs - (nowMs % DAY);
	if (state.daily.dayStartMs !== dayStart) state.daily = { dayStartMs: dayStart, count: 0 };
}

function rateLimitHeaders(state: EmulatorState, exhausted = false, dailyExhausted = false): Record<string, string> {
	const limits = state.settings.rateLimits;
	pruneHits(state, state.clock.now().getTime());
	return {
		'X-HubSpot-RateLimit-Daily': String(limits.daily),
		'X-HubSpot-RateLimit-Daily-Remaining': String(dailyExhausted ? 0 : Math.max(0, limits.daily - state.daily.count)),
		'X-HubSpot-RateLimit-Interval-Milliseconds': String(limits.intervalMs),
		'X-HubSpot-RateLimit-Max': String(limits.max),
		'X-HubSpot-RateLimit-Remaining': String(exhausted ? 0 : Math.max(0, limits.max - state.hits.length)),
	};
}

function sendApi(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
	const bytes = Buffer.from(JSON.stringify(body), 'utf8');
	const correlationId = typeof (body as { correlationId?: unknown }).correlationId === 'string' ? ((body as { correlationId: string }).correlationId) : randomUUID();
	sendBytes(res, status, bytes, { ...headers, 'Content-Type': 'application/json;charset=utf-8', 'X-HubSpot-Correlation-Id': correlationId, Vary: 'origin' });
}

function authenticate(state: EmulatorState, req: http.IncomingMessage): void {
	const header = headerValue(req, 'authorization');
	const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
	if (!match || match[1] !== state.accessToken) {
		// H6; the same wording for a missing and a wrong token [I].
		throw new ApiError(
			401,
			errorBody('Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview', 'INVALID_AUTHENTICATION'),
			{ 'x-hubspot-auth-failure': '401 Unauthorized' },
		);
	}
	if (!state.settings.grantedScopes.includes('crm.export')) {
		throw new ApiError(
			403,
			errorBody("This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.", 'MISSING_SCOPES', {
				errors: [{ message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: ['crm.export'] } }],
				links: { scopes: 'https://developers.hubspot.com/scopes' },
			}),
		);
	}
}

const PREFIX = /^\/crm\/(?:v3\/exports|exports\/(2025-09|2026-03|2026-09))\/export(\/.*)?$/;

async function handleApi(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
	const entry: HubSpotLoggedRequest = logRequest<'api' | 'storage'>(state.requests, 'api', req);
	res.on('finish', () => {
		entry.status = res.statusCode;
	});
	let headers: Record<string, string> = {};
	try {
		const raw = await readBody(req, 8 * 1024 * 1024);
		entry.body = raw.toString('utf8');
		const fault = state.faults.takeApiFault();
		if (fault) return sendApi(res, fault.status, fault.body, fault.headers);
		authenticate(state, req);
		const now = state.clock.now().getTime();
		pruneHits(state, now);
		if (state.settings.enforceRateLimits) {
			if (state.daily.count >= state.settings.rateLimits.daily) {
				const answer = rateLimitAnswer(state, 'DAILY');
				return sendApi(res, 429, answer.body, answer.headers);
			}
			if (state.hits.length >= state.settings.rateLimits.max) {
				const answer = rateLimitAnswer(state, 'TEN_SECONDLY_ROLLING');
				return sendApi(res, 429, answer.body, answer.headers);
			}
		}
		state.hits.push(now);
		state.daily.count++;
		headers = rateLimitHeaders(state);
		await route(state, req, res, entry.path, raw, headers);
	} catch (error) {
		if (error instanceof ApiError) return sendApi(res, error.status, error.body, { ...headers, ...error.headers });
		throw error;
	}
}

async function route(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse, path: string, raw: Buffer, headers: Record<string, string>): Promise<void> {
	const method = req.method ?? 'GET';
	const match = PREFIX.exec(path.replace(/\/+$/, ''));
	// [I] HubSpot's answer for an unknown path is not documented.
	if (!match) throw new ApiError(404, errorBody(`No route for ${method} ${path}.`, 'OBJECT_NOT_FOUND'));
	const version: HubSpotApiVersion = (match[1] as HubSpotApiVersion | undefined) ?? 'v3';
	const rest = match[2] ?? '';
	const notAllowed = (allow: string) => new ApiError(405, errorBody(`${method} is not allowed here.`, 'VALIDATION_ERROR'), { Allow: allow });
	if (rest === '/async') {
		if (method !== 'POST') throw notAllowed('POST');
		return startExport(state, req, res, raw, version, headers);
	}
	const status = /^\/async\/tasks\/([^/]+)\/status$/.exec(rest);
	if (status) {
		if (method !== 'GET') throw notAllowed('GET');
		return sendStatus(state, res, findExport(state, status[1], 'taskId'), headers);
	}
	const details = /^\/([^/]+)$/.exec(rest);
	if (details && details[1] !== 'async') {
		if (method !== 'GET') throw notAllowed('GET');
		return sendDetails(state, res, findExport(state, details[1], 'exportId'), headers);
	}
	throw new ApiError(404, errorBody(`No route for ${method} ${path}.`, 'OBJECT_NOT_FOUND'));
}

function findExport(state: EmulatorState, text: string, name: string): ExportRuntime {
	const id = decodeURIComponent(text);
	// H1: the path parameter is an int64.
	if (!/^\d{1,19}$/.test(id)) throw validation(`Invalid ${name}: ${JSON.stringify(id)} is not an integer.`, [{ message: `${name} must be an integer`, in: name }]);
	const runtime = state.exports.get(id);
	if (!runtime) throw new ApiError(404, errorBody(`Export ${id} was not found.`, 'OBJECT_NOT_FOUND'));
	return runtime;
}

// --- Start

function readStringArray(value: unknown, field: string): string[] {
	if (typeof value === 'string') return [value];
	if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) throw validation(`${field} must be an array of strings.`, [{ message: 'must be an array of strings', in: field }]);
	return value as string[];
}

function parseFilter(type: HubSpotObjectType, value: unknown, where: string): ParsedFilter {
	if (value === null || typeof value !== 'object' || Array.isArray(value)) throw validation(`${where} must be an object.`, [{ message: 'must be an object', in: where }]);
	const given = value as Record<string, unknown>;
	// H1 names the field propertyName; the guide's example writes "property" [I: both accepted].
	const propertyName = given.propertyName ?? given.property;
	if (typeof propertyName !== 'string') throw validation(`${where}.propertyName is required.`, [{ message: 'propertyName is required', in: `${where}.propertyName` }]);
	if (!propertyOf(type, propertyName)) throw unknownProperties([propertyName]);
	const operator = typeof given.operator === 'string' ? given.operator.toUpperCase() : '';
	if (!(OPERATORS as readonly string[]).includes(operator)) throw validation(`${where}.operator must be one of ${OPERATORS.join(', ')}.`, [{ message: 'unknown operator', in: `${where}.operator` }]);
	const filter: ParsedFilter = { propertyName, operator: operator as Operator };
	const scalar = (v: unknown) => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined);
	if (given.value !== undefined) filter.value = scalar(given.value);
	if (given.highValue !== undefined) filter.highValue = scalar(given.highValue);
	if (given.values !== undefined) {
		if (!Array.isArray(given.values) || given.values.some((v) => scalar(v) === undefined)) throw validation(`${where}.values must be an array.`, [{ message: 'must be an array', in: `${where}.values` }]);
		filter.values = (given.values as unknown[]).map((v) => scalar(v) as string);
	}
	const needsValue = !['HAS_PROPERTY', 'NOT_HAS_PROPERTY', 'IN', 'NOT_IN'].includes(filter.operator);
	if (needsValue && filter.value === undefined) throw validation(`${where}: operator ${filter.operator} needs a value.`, [{ message: 'value is required', in: `${where}.value` }]);
	if (filter.operator === 'BETWEEN' && filter.highValue === undefined) throw validation(`${where}: BETWEEN needs a highValue.`, [{ message: 'highValue is required', in: `${where}.highValue` }]);
	if ((filter.operator === 'IN' || filter.operator === 'NOT_IN') && (filter.values === undefined || filter.values.length === 0)) throw validation(`${where}: ${filter.operator} needs values.`, [{ message: 'values is required', in: `${where}.values` }]);
	return filter;
}

function parseSearch(type: HubSpotObjectType, value: unknown): FilterSpec {
	const spec: FilterSpec = { groups: [], filters: [], sorts: [] };
	if (value === undefined || value === null) return spec;
	if (typeof value !== 'object' || Array.isArray(value)) throw validation('publicCrmSearchRequest must be an object.', [{ message: 'must be an object', in: 'publicCrmSearchRequest' }]);
	const search = value as Record<string, unknown>;
	const limitError = () => validation('You can include a maximum of three filterGroups with up to three filters in each group.', [{ message: 'too many filters', in: 'publicCrmSearchRequest' }]);
	if (search.filterGroups !== undefined) {
		if (!Array.isArray(search.filterGroups)) throw validation('publicCrmSearchRequest.filterGroups must be an array.');
		if (search.filterGroups.length > 3) throw limitError();
		spec.groups = search.filterGroups.map((group, g) => {
			const filters = (group as { filters?: unknown } | null)?.filters;
			if (!Array.isArray(filters)) throw validation(`publicCrmSearchRequest.filterGroups[${g}].filters must be an array.`);
			if (filters.length > 3) throw limitError();
			return filters.map((filter, f) => parseFilter(type, filter, `publicCrmSearchRequest.filterGroups[${g}].filters[${f}]`));
		});
	}
	if (search.filters !== undefined) {
		if (!Array.isArray(search.filters)) throw validation('publicCrmSearchRequest.filters must be an array.');
		// [I] top-level filters are AND'd with the groups, within the same limit.
		if (search.filters.length > 3) throw limitError();
		spec.filters = search.filters.map((filter, f) => parseFilter(type, filter, `publicCrmSearchRequest.filters[${f}]`));
	}
	if (search.query !== undefined && search.query !== null) {
		if (typeof search.query !== 'string') throw validation('publicCrmSearchRequest.query must be a string.');
		if (search.query.trim() !== '') spec.query = search.query.trim();
	}
	if (search.sorts !== undefined) {
		if (!Array.isArray(search.sorts)) throw validation('publicCrmSearchRequest.sorts must be an array.');
		spec.sorts = search.sorts.map((sort, s) => {
			// H1 types sorts as strings, the guide writes {propertyName, order} [I: both; "-name" is descending].
			let propertyName: unknown;
			let order = 'ASC';
			if (typeof sort === 'string') {
				propertyName = sort.replace(/^-/, '');
				if (sort.startsWith('-')) order = 'DESC';
			} else if (sort && typeof sort === 'object') {
				propertyName = (sort as Record<string, unknown>).propertyName;
				order = String((sort as Record<string, unknown>).order ?? (sort as Record<string, unknown>).direction ?? 'ASC').toUpperCase();
			}
			if (typeof propertyName !== 'string') throw validation(`publicCrmSearchRequest.sorts[${s}] needs a propertyName.`);
			if (!propertyOf(type, propertyName)) throw unknownProperties([propertyName]);
			if (!['ASC', 'ASCENDING', 'DESC', 'DESCENDING'].includes(order)) throw validation(`publicCrmSearchRequest.sorts[${s}].order must be ASC or DESC.`);
			return { propertyName, direction: order.startsWith('DESC') ? -1 : 1 };
		});
	}
	return spec;
}

function unknownProperties(names: string[]): ApiError {
	// H4: the CRM objects guide's PROPERTY_DOESNT_EXIST error.
	return validation(
		`Property values were not valid: ${names.map((name) => `Property "${name}" does not exist`).join('; ')}`,
		names.map((name) => ({ message: `Property "${name}" does not exist`, code: 'PROPERTY_DOESNT_EXIST', context: { propertyName: [name] } })),
	);
}

function parseBody(req: http.IncomingMessage, raw: Buffer): Record<string, unknown> {
	if (parseContentType(headerValue(req, 'content-type')).mediaType !== 'application/json') {
		throw new ApiError(415, errorBody('Unsupported Media Type: send the export request as application/json.', 'VALIDATION_ERROR'));
	}
	let parsed: unknown;
	try {
		parsed = JSON.parse(raw.toString('utf8'));
	} catch (error) {
		throw validation(`Invalid input JSON: ${(error as Error).message}`);
	}
	if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw validation('Invalid input JSON: the body must be an object.');
	return parsed as Record<string, unknown>;
}

async function startExport(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer, version: HubSpotApiVersion, headers: Record<string, string>): Promise<void> {
	const body = parseBody(req, raw);
	const exportType = typeof body.exportType === 'string' ? body.exportType.toUpperCase() : undefined;
	if (exportType !== 'VIEW' && exportType !== 'LIST') throw validation('exportType must be VIEW or LIST.', [{ message: 'must be VIEW or LIST', in: 'exportType' }]);
	// The guide's examples write "xlsx": formats are taken case-insensitively.
	const format = typeof body.format === 'string' ? body.format.toUpperCase() : undefined;
	if (format !== 'CSV' && format !== 'XLSX' && format !== 'XLS') throw validation('format must be one of CSV, XLSX, XLS.', [{ message: 'must be CSV, XLSX or XLS', in: 'format' }]);
	if (typeof body.exportName !== 'string' || body.exportName.trim() === '') throw validation('exportName is required.', [{ message: 'exportName is required', in: 'exportName' }]);
	const language = body.language === undefined ? 'EN' : typeof body.language === 'string' ? body.language.toUpperCase() : '';
	if (!LANGUAGES.has(language)) throw validation(`language must be one of ${[...LANGUAGES].join(', ')}.`, [{ message: 'unknown language', in: 'language' }]);
	if (typeof body.objectType !== 'string') throw validation('objectType is required.', [{ message: 'objectType is required', in: 'objectType' }]);
	const objectType = resolveObjectType(body.objectType);
	if (!objectType) throw validation(`Unknown object type: ${body.objectType}. Use an object name (e.g. CONTACT) or an objectTypeId (e.g. 0-1).`, [{ message: 'unknown object type', in: 'objectType' }]);
	if (body.objectProperties === undefined) throw validation('objectProperties is required.', [{ message: 'objectProperties is required', in: 'objectProperties' }]);
	const objectProperties = readStringArray(body.objectProperties, 'objectProperties');
	// [I] an export needs at least one property.
	if (objectProperties.length === 0) throw validation('objectProperties must name at least one property.', [{ message: 'must not be empty', in: 'objectProperties' }]);
	const unknown = objectProperties.filter((name) => !propertyOf(objectType, name));
	if (unknown.length > 0) throw unknownProperties(unknown);
	const associatedNames = body.associatedObjectType === undefined || body.associatedObjectType === null ? [] : readStringArray(body.associatedObjectType, 'associatedObjectType');
	if (associatedNames.length > 4) throw validation('You can export up to four associated objects per request.', [{ message: 'at most four', in: 'associatedObjectType' }]);
	const associatedObjectTypes = associatedNames.map((name) => {
		const other = resolveObjectType(name);
		if (!other || other === objectType) throw validation(`Unknown associated object type: ${name}.`, [{ message: 'unknown object type', in: 'associatedObjectType' }]);
		return other;
	});
	const options = body.exportInternalValuesOptions === undefined || body.exportInternalValuesOptions === null ? [] : readStringArray(body.exportInternalValuesOptions, 'exportInternalValuesOptions').map((o) => o.toUpperCase());
	if (options.some((o) => o !== 'NAMES' && o !== 'VALUES')) throw validation('exportInternalValuesOptions may hold NAMES and VALUES.', [{ message: 'NAMES or VALUES', in: 'exportInternalValuesOptions' }]);
	const flag = (name: string): boolean | undefined => {
		const value = body[name];
		if (value === undefined || value === null) return undefined;
		if (typeof value !== 'boolean') throw validation(`${name} must be a boolean.`, [{ message: 'must be a boolean', in: name }]);
		return value;
	};
	const includePrimary = flag('includePrimaryDisplayPropertyForAssociatedObjects');
	const overrideLimit = flag('overrideAssociatedObjectsPerDefinitionPerRowLimit');
	flag('includeLabeledAssociations'); // [I] accepted; association labels are not modelled.
	let listId: string | null = null;
	let filters: FilterSpec = { groups: [], filters: [], sorts: [] };
	if (exportType === 'LIST') {
		if (typeof body.listId !== 'string' && typeof body.listId !== 'number') throw validation('listId is required for a LIST export.', [{ message: 'listId is required', in: 'listId' }]);
		listId = String(body.listId);
		const list = state.store.findList(listId);
		// [I] validated when the export starts.
		if (!list) throw validation(`List ${listId} does not exist. Use the ILS List ID.`, [{ message: 'list not found', in: 'listId' }]);
		if (list.objectType !== objectType) throw validation(`List ${listId} holds ${list.objectType}, not ${objectType}.`, [{ message: 'object type mismatch', in: 'listId' }]);
	} else filters = parseSearch(objectType, body.publicCrmSearchRequest);
	const now = state.clock.now();
	const windowStart = now.getTime() - DAY;
	const recent = Array.from(state.exports.values()).filter((runtime) => runtime.record.requestedAt.getTime() > windowStart);
	if (recent.length >= state.settings.dailyExportLimit) {
		const oldest = Math.min(...recent.map((runtime) => runtime.record.requestedAt.getTime()));
		// [I] the answer past the documented thirty exports per rolling 24 hours.
		throw new ApiError(
			429,
			errorBody(`You can complete up to ${state.settings.dailyExportLimit} exports within a rolling 24 hour window. The next export can start after ${iso(oldest + DAY)}.`, 'RATE_LIMITS', {
				context: { limit: [String(state.settings.dailyExportLimit)], nextAvailableAt: [iso(oldest + DAY)] },
				links: { documentation: `${DOCS}#limits` },
			}),
		);
	}
	const id = String(state.nextExportId);
	state.nextExportId += 1 + Math.floor(Math.random() * 3);
	const record: HubSpotExportRecord = {
		id,
		apiVersion: version,
		exportName: body.exportName,
		exportType,
		format,
		language,
		objectType,
		objectTypeId: OBJECTS[objectType].typeId,
		objectProperties,
		associatedObjectTypes,
		listId,
		internalNames: options.includes('NAMES'),
		internalValues: options.includes('VALUES'),
		status: 'PENDING',
		exportState: 'ENQUEUED',
		requestedAt: now,
		startedAt: null,
		completedAt: null,
		polls: 0,
		urlsIssued: 0,
		recordCount: null,
		fileName: null,
		zipped: false,
		entries: [],
		error: null,
		requestBody: body,
	};
	const runtime: ExportRuntime = {
		record,
		plan: state.faults.takePlan(state.settings.defaultPolls),
		seq: state.nextSeq++,
		steps: 0,
		filters,
		// H2: true by default when one associated object is exported.
		includePrimaryDisplay: includePrimary ?? associatedObjectTypes.length === 1,
		overrideAssociationLimit: overrideLimit === true,
	};
	state.exports.set(id, runtime);
	// H1: 202 TaskLocator {id, links} [I: links.status, the status URL].
	sendApi(res, 202, { id, links: { status: `${state.apiOrigin}${basePath(version)}/async/tasks/${id}/status` } }, headers);
}

function basePath(version: HubSpotApiVersion): string {
	return version === 'v3' ? '/crm/v3/exports/export' : `/crm/exports/${version}/export`;
}

// --- Status and details

async function sendStatus(state: EmulatorState, res: http.ServerResponse, runtime: ExportRuntime, headers: Record<string, string>): Promise<void> {
	runtime.record.polls++;
	await advance(state, runtime);
	const record = runtime.record;
	const body: Record<string, unknown> = { status: record.status };
	if (record.status === 'COMPLETE' && runtime.objectPath) {
		// H2: each completed status request hands out a new URL valid for five minutes.
		body.result = signedUrl(state, runtime.objectPath, state.clock.now().getTime());
		record.urlsIssued++;
	}
	body.requestedAt = record.requestedAt.toISOString();
	// [I] startedAt once processing has begun, completedAt once finished (H1 lists both as required).
	if (record.startedAt) body.startedAt = record.startedAt.toISOString();
	if (record.completedAt) body.completedAt = record.completedAt.toISOString();
	if (record.error !== null) {
		body.numErrors = 1;
		body.errors = [{ status: 'error', category: 'EXPORT_FAILED', message: record.error, id: randomUUID(), context: {}, errors: [], links: {} }];
	}
	body.links = {};
	sendApi(res, 200, body, headers);
}

async function sendDetails(state: EmulatorState, res: http.ServerResponse, runtime: ExportRuntime, headers: Record<string, string>): Promise<void> {
	await advance(state);
	const record = runtime.record;
	const updated = record.completedAt ?? record.startedAt ?? record.requestedAt;
	const body: Record<string, unknown> = {
		id: record.id,
		exportName: record.exportName,
		exportType: record.exportType,
		objectType: record.objectTypeId,
		// The guide's example lists hs_object_id first.
		objectProperties: ['hs_object_id', ...record.objectProperties.filter((name) => name !== 'hs_object_id')],
		createdAt: record.requestedAt.toISOString(),
		updatedAt: updated.toISOString(),
		exportState: record.exportState,
	};
	if (record.recordCount !== null) body.recordCount = record.recordCount;
	sendApi(res, 200, body, headers);
}

// ---------------------------------------------------------------------------------------------
// Storage server: a pretend S3 bucket with SigV4-style presigned URLs [I]

function amzDate(ms: number): string {
	return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function parseAmzDate(text: string): number | undefined {
	const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
	return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : undefined;
}

function stringToSign(path: string, date: string, expires: string, credential: string, token: string): string {
	// A shortened SigV4 string-to-sign: only this emulator checks it.
	return `AWS4-HMAC-SHA256\n${date}\n${credential}\nGET\n${path}\nX-Amz-Expires=${expires}\nX-Amz-Security-Token=${token}\nhost`;
}

function signature(state: EmulatorState, path: string, date: string, expires: string, credential: string, token: string): string {
	return createHmac('sha256', state.signingSecret).update(stringToSign(path, date, expires, credential, token)).digest('hex');
}

function signedUrl(state: EmulatorState, path: string, nowMs: number): string {
	const date = amzDate(Math.floor(nowMs / SECOND) * SECOND);
	const credential = `${state.accessKeyId}/${date.slice(0, 8)}/${REGION}/s3/aws4_request`;
	const expires = String(state.settings.urlLifetimeSeconds);
	// A session token per URL, so every status answer carries a new unique URL (H2).
	const token = randomBytes(24).toString('base64url');
	const query = new URLSearchParams({
		'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
		'X-Amz-Credential': credential,
		'X-Amz-Date': date,
		'X-Amz-Expires': expires,
		'X-Amz-Security-Token': token,
		'X-Amz-SignedHeaders': 'host',
		'X-Amz-Signature': signature(state, path, date, expires, credential, token),
	});
	return `${state.storageOrigin}${path}?${query.toString()}`;
}

function escapeXml(text: string): string {
	return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function s3Error(res: http.ServerResponse, status: number, code: string, message: string, headOnly: boolean, extra: Record<string, string> = {}, headers: Record<string, string> = {}): void {
	const requestId = randomBytes(8).toString('hex').toUpperCase();
	const details = Object.entries(extra)
		.map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
		.join('');
	const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message>${details}<RequestId>${requestId}</RequestId><HostId>${randomBytes(24).toString('base64')}</HostId></Error>`;
	const all = { ...headers, 'x-amz-request-id': requestId, Server: 'AmazonS3' };
	if (headOnly) return sendEmpty(res, status, all);
	sendText(res, status, xml, 'application/xml', all);
}

/** The access token in any header or in the URL: the client leaked it to the file host. */
function leakedToken(state: EmulatorState, req: http.IncomingMessage): string | undefined {
	const url = req.url ?? '';
	let decoded = url;
	try {
		decoded = decodeURIComponent(url);
	} catch {
		// keep the raw URL
	}
	if (url.includes(state.accessToken) || decoded.includes(state.accessToken)) return 'the access token in the URL';
	for (const [name, value] of Object.entries(req.headers)) {
		const values = Array.isArray(value) ? value : [value ?? ''];
		if (values.some((text) => text.includes(state.accessToken))) return `the access token in the ${name} header`;
	}
	return undefined;
}

function handleStorage(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse): void {
	const entry: HubSpotLoggedRequest = logRequest<'api' | 'storage'>(state.storageRequests, 'storage', req);
	res.on('finish', () => {
		entry.status = res.statusCode;
	});
	const method = req.method ?? 'GET';
	const headOnly = method === 'HEAD';
	const authorization = headerValue(req, 'authorization');
	if (authorization !== undefined) {
		// What S3 answers a presigned URL that also carries an Authorization header.
		const carriesToken = authorization.includes(state.accessToken);
		entry.refused = `request carries an Authorization header${carriesToken ? ' (with the HubSpot token)' : ''}`;
		return s3Error(res, 400, 'InvalidArgument', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified', headOnly, {
			ArgumentName: 'Authorization',
			ArgumentValue: carriesToken ? '(the HubSpot access token)' : authorization,
		});
	}
	const leak = leakedToken(state, req);
	if (leak) {
		entry.refused = `request carries ${leak}`;
		return s3Error(res, 403, 'AccessDenied', `Access Denied (emulator guard: the request carries ${leak}; export URLs are presigned, send no HubSpot credentials here)`, headOnly);
	}
	if (method !== 'GET' && !headOnly) return s3Error(res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', false, { Method: method, ResourceType: 'OBJECT' });
	const failure = state.faults.takeStorageError();
	if (failure !== undefined) {
		return failure === 503 ? s3Error(res, 503, 'SlowDown', 'Please reduce your request rate.', headOnly) : s3Error(res, 500, 'InternalError', 'We encountered an internal error. Please try again.', headOnly);
	}
	const [path, queryText = ''] = (req.url ?? '/').split('?');
	const params = new URLSearchParams(queryText);
	const sig = params.get('X-Amz-Signature');
	if (!sig) return s3Error(res, 403, 'AccessDenied', 'Access Denied', headOnly);
	const date = params.get('X-Amz-Date') ?? '';
	const expires = params.get('X-Amz-Expires') ?? '';
	const credential = params.get('X-Amz-Credential') ?? '';
	const token = params.get('X-Amz-Security-Token') ?? '';
	const signedMs = parseAmzDate(date);
	if (params.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' || signedMs === undefined || !/^\d+$/.test(expires)) {
		return s3Error(res, 400, 'AuthorizationQueryParametersError', 'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.', headOnly);
	}
	if (sig !== signature(state, path, date, expires, credential, token)) {
		return s3Error(res, 403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', headOnly);
	}
	const nowMs = state.clock.now().getTime();
	const expiresMs = signedMs + Number(expires) * SECOND;
	if (state.faults.takeExpiredUrl() || nowMs >= expiresMs) {
		return s3Error(res, 403, 'AccessDenied', 'Request has expired', headOnly, {
			'X-Amz-Expires': expires,
			Expires: new Date(Math.min(expiresMs, nowMs)).toISOString().replace(/\.\d{3}Z$/, 'Z'),
			ServerTime: new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
		});
	}
	const object = state.objects.get(path);
	if (!object) return s3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.', headOnly, { Key: path.split('/').slice(2).join('/') });
	sendObject(state, req, res, object, headOnly);
}

function contentDisposition(name: string): string {
	const ascii = name.normalize('NFKD').replace(/[^\x20-\x7E]/g, '_').replace(/["\\]/g, '_');
	return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

function sendObject(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse, object: StoredObject, headOnly: boolean): void {
	const size = object.bytes.length;
	const range = parseByteRange(headerValue(req, 'range'), size);
	if (range.kind === 'unsatisfiable') {
		return s3Error(res, 416, 'InvalidRange', 'The requested range is not satisfiable', headOnly, { RangeRequested: headerValue(req, 'range') ?? '', ActualObjectSize: String(size) }, { 'Content-Range': `bytes */${size}` });
	}
	const headers: Record<string, string> = {
		'Content-Type': object.contentType,
		'Content-Disposition': contentDisposition(object.displayName),
		'Accept-Ranges': 'bytes',
		ETag: `"${createHash('md5').update(object.bytes).digest('hex')}"`,
		'Last-Modified': new Date(object.createdMs).toUTCString(),
		'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(),
		'x-amz-server-side-encryption': 'AES256',
		Server: 'AmazonS3',
	};
	let status = 200;
	let body = object.bytes;
	if (range.kind === 'range') {
		status = 206;
		body = object.bytes.subarray(range.start, range.end + 1);
		headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
	}
	const cutAfterBytes = headOnly ? undefined : state.faults.takeTruncation(body.length);
	sendBytes(res, status, body, headers, { cutAfterBytes, headOnly });
}

// ---------------------------------------------------------------------------------------------
// Start

function positiveInteger(value: number | undefined, fallback: number, name: string, min = 1): number {
	if (value === undefined) return fallback;
	if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer of at least ${min}`);
	return value;
}

export async function startHubSpotExportsEmulator(options: HubSpotExportsEmulatorOptions = {}): Promise<HubSpotExportsEmulator> {
	const clock = createClock(options.frozenClock === true);
	const store = new DataStore(clock);
	if (options.seed !== false) seedData(store);
	const rateLimits = options.rateLimits ?? { max: 100, intervalMs: 10 * SECOND, daily: 250_000 };
	const settings: Settings = {
		defaultPolls: positiveInteger(options.pollsUntilDone, 2, 'pollsUntilDone', 0),
		completeAfterMs: options.completeAfterMs,
		oneAtATime: options.oneAtATime !== false,
		dailyExportLimit: positiveInteger(options.dailyExportLimit, 30, 'dailyExportLimit'),
		urlLifetimeSeconds: positiveInteger(options.urlLifetimeSeconds, 300, 'urlLifetimeSeconds'),
		zipAboveBytes: positiveInteger(options.zipAboveBytes, 2 * 1024 * 1024, 'zipAboveBytes', 0),
		rowsPerFile: positiveInteger(options.rowsPerFile, 1_000_000, 'rowsPerFile'),
		xlsRowsPerFile: positiveInteger(options.xlsRowsPerFile, 65_535, 'xlsRowsPerFile'),
		associationsPerRow: positiveInteger(options.associationsPerRow, 1000, 'associationsPerRow'),
		failedStatus: options.failedStatus ?? 'CANCELED',
		grantedScopes: options.grantedScopes ?? ['crm.export'],
		rateLimits,
		enforceRateLimits: options.enforceRateLimits === true,
		csvBom: options.csvBom === true,
	};
	if (settings.completeAfterMs !== undefined && (!Number.isFinite(settings.completeAfterMs) || settings.completeAfterMs < 0)) throw new Error('completeAfterMs must be a non-negative number');
	let state: EmulatorState;
	const faults = createFaults(() => state);
	state = {
		clock,
		store,
		faults,
		exports: new Map(),
		objects: new Map(),
		requests: [],
		storageRequests: [],
		accessToken: `pat-na1-${randomUUID()}`,
		portalId: 20_000_000 + Math.floor(Math.random() * 9_000_000),
		appId: 1_000_000 + Math.floor(Math.random() * 8_000_000),
		apiOrigin: '',
		storageOrigin: '',
		signingSecret: randomBytes(32).toString('base64'),
		accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
		settings,
		nextExportId: 41_000_000 + Math.floor(Math.random() * 1_000_000) * 10,
		nextSeq: 0,
		hits: [],
		daily: { dayStartMs: 0, count: 0 },
	};
	const servers = await startApiAndStorage(
		(req, res) => handleApi(state, req, res),
		(req, res) => handleStorage(state, req, res),
		options,
	);
	state.apiOrigin = servers.api.origin;
	state.storageOrigin = servers.storageOrigin;
	return {
		apiOrigin: servers.api.origin,
		storageOrigin: servers.storageOrigin,
		accessToken: state.accessToken,
		portalId: state.portalId,
		clock,
		data: store,
		faults,
		get exports() {
			return Array.from(state.exports.values())
				.sort((a, b) => a.seq - b.seq)
				.map((runtime) => runtime.record);
		},
		exportFile: (id) => {
			const path = state.exports.get(id)?.objectPath;
			const object = path ? state.objects.get(path) : undefined;
			return object ? { name: object.displayName, contentType: object.contentType, bytes: object.bytes } : undefined;
		},
		requests: state.requests,
		storageRequests: state.storageRequests,
		close: async () => {
			await Promise.all([servers.api.close(), servers.storage.close()]);
		},
	};
}

// `node --import tsx test/emulators/hubspot-exports.ts`: run it for a demo.
if (require.main === module) {
	runFromCommandLine(
		() => startHubSpotExportsEmulator({ port: Number(process.env.PORT) || undefined }),
		(emulator) => [
			`HubSpot CRM Exports emulator: POST ${emulator.apiOrigin}/crm/v3/exports/export/async`,
			`  {"exportType":"VIEW","format":"CSV","exportName":"contacts","objectType":"CONTACT","objectProperties":["email","firstname","lastname"]}`,
			`  then GET ${emulator.apiOrigin}/crm/v3/exports/export/async/tasks/{id}/status until status COMPLETE; download "result"`,
			`storage (export files): ${emulator.storageOrigin}`,
			`Authorization: Bearer ${emulator.accessToken}`,
		],
	);
}
