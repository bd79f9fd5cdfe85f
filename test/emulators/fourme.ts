/**
 * Local emulator of the 4me (Xurrent) Bulk Export and Import APIs, for tests and demos.
 *
 * Behaviour follows /work/shared/seeds/4me-bulk-export.txt, /work/shared/seeds/4me-bulk-import-files.txt
 * and /work/shared/providers.md section 1 ("pm:<line>" below points into providers.md), plus the
 * public 4me developer pages on import files, not any client code. Two servers:
 *   - the API (`apiUrl`, 127.0.0.1): POST /v1/export, GET /v1/export/{token}, POST /v1/import,
 *     GET /v1/import/{token}, GET /v1/me;
 *   - a pretend S3 (`storageOrigin`, host name `localhost`): pre-signed downloads (export files,
 *     import log files) that refuse an Authorization header, so a client leaking the API token to
 *     the storage host fails loudly.
 * [I] marks a choice made where the public documentation is silent.
 */
import { isUtf8 } from 'node:buffer';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type * as http from 'node:http';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import JSZip from 'jszip';
import {
	BodyParseError,
	escapeJsonLikeRails,
	headerValue,
	HttpError,
	logRequest,
	parseByteRange,
	type MultipartPart,
	readParams,
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

export type Row = Record<string, string>;

export type { EmulatorClock };

export interface GenerateOptions {
	/** id of the first generated row (default 1). */
	startId?: number;
	/** updated_at of the rows is spread evenly over [updatedSince, updatedUntil] (default: the last 30 days). */
	updatedSince?: Date;
	updatedUntil?: Date;
}

export interface FourMeRecords {
	/** Replaces all records of a type. `updated_at` (ISO) in a row sets its change time, else now. */
	set(type: string, rows: Row[]): void;
	/** Creates or updates one record by `id` (fields are merged); its change time becomes `updatedAt` (default now). */
	upsert(type: string, row: Row, updatedAt?: Date): void;
	/** Replaces the records of a type with `count` deterministic rows, stored lazily (1,000,000 is fine). */
	generate(type: string, count: number, options?: GenerateOptions): void;
	count(type: string): number;
	/** All rows of a type (materialized: do not call it on a million rows). */
	list(type: string): Row[];
	/** One record by id (generated or hand-made), or undefined. */
	get(type: string, id: string): Row | undefined;
}

export interface FourMeFaults {
	/** The next `count` API requests answer 429 with Retry-After. */
	rateLimit(count: number, retryAfterSeconds?: number): void;
	/** The next `count` API requests answer `status` with a `{"message"}` body. */
	serverError(count: number, status?: number): void;
	/** The next `count` downloads announce the full Content-Length, then drop the connection after `atBytes` (default: half). */
	truncateDownload(count: number, atBytes?: number): void;
	/** The next `count` downloads answer 503 SlowDown (S3 XML). */
	storageServerError(count: number): void;
	/** The next created job ends with `{"state":"failed", ...fields}`; `fields.state` may override the state (e.g. 'error'). */
	failJob(fields: Record<string, unknown>): void;
	/** The next created job answers `polls` polls with queued/processing before its final state. */
	pollsUntilDone(polls: number): void;
	/** The next created job stays queued/processing forever. */
	neverFinish(): void;
	/**
	 * The next created import ends `{"state":"error","message":message,...}` after applying its
	 * first `afterRows` data rows (default 0), with a log file. Export jobs do not consume it.
	 */
	importError(message: string, afterRows?: number): void;
	/** Files of jobs created from now on start with a UTF-8 BOM (a switch, not consumed). */
	bom(on: boolean): void;
	/** Files of jobs created from now on have their columns in a shuffled order (a switch, not consumed). */
	shuffleColumns(on: boolean): void;
	/** Clears every fault and switch. */
	reset(): void;
}

/** 'queued' | 'processing' | 'done' | 'failed', or the state a failJob fault gave (e.g. 'error'). */
export type FourMeJobState = string;

export interface FourMeExportJob {
	token: string;
	account: string;
	types: string[];
	/** `from` as sent, and as understood (undefined = full export). */
	fromParam?: string;
	from?: Date;
	exportFormat: 'csv' | 'xlsx';
	lineSeparator: 'lf' | 'crlf';
	locale?: string;
	/** How the parameters arrived: the docs' multipart, the Ruby SDK's JSON, or a url-encoded form. */
	bodyEncoding: 'multipart' | 'json' | 'urlencoded' | 'none';
	createdAt: Date;
	polls: number;
	state: FourMeJobState;
	/** Set when the job reached done/failed (the 5-minute 404 counts from here). */
	completedAt?: Date;
	fileName?: string;
	url?: string;
	expiresAt?: Date;
	/** Fields of the failed/error answer. */
	failure?: Record<string, unknown>;
}

/** The `results` object of an import poll; the keys and their order are the documented ones (pm:167-172). */
export interface FourMeImportResults {
	created: number;
	updated: number;
	deleted: number;
	unchanged: number;
	failures: number;
	errors: number;
}

export type FourMeImportState = 'queued' | 'processing' | 'done' | 'error';

export interface FourMeImportJob {
	token: string;
	account: string;
	/** The import `type` as sent (e.g. `people`). */
	type: string;
	/** The file part's filename as sent (the Ruby SDK sends a full path). */
	fileName?: string;
	/** Size of the uploaded file in bytes. */
	bytes: number;
	/** How the file was read: UTF-8 (with or without BOM) or UTF-16LE (BOM required). */
	encoding: 'utf-8' | 'utf-8-bom' | 'utf-16le';
	/** ',' (CSV) or TAB (TSV), detected from the header row. */
	delimiter: ',' | '\t';
	/** Header labels as they appear in the file. */
	header: string[];
	/** The store column each header label maps to; undefined = ignored (unknown field or duplicate). */
	columns: Array<string | undefined>;
	/** Data rows read from the file (blank lines excluded; for an aborted file only the rows before the error). */
	rows: number;
	bodyEncoding: 'multipart' | 'json' | 'urlencoded' | 'none';
	createdAt: Date;
	polls: number;
	state: FourMeImportState;
	/** File line of the last applied row (the `line` of a processing answer). */
	line: number;
	results: FourMeImportResults;
	/** The message of an `error` answer. */
	message?: string;
	/** Set when the job reached done/error (the 5-minute 404 counts from here). */
	completedAt?: Date;
	/** Pre-signed URL of the log file (set at completion). */
	logfile?: string;
	/** The log file's text, for assertions. */
	logText?: string;
}

export interface FourMeEmulator {
	/** `http://127.0.0.1:<port>/v1` */
	apiUrl: string;
	/** `http://localhost:<port>`: different host name and port from the API. */
	storageOrigin: string;
	/** A personal access token of an Account Administrator of `account` (and of `otherAccount`). */
	token: string;
	/** A valid token whose person may not export or import: 403 on /export and /import. */
	tokenWithoutExportScope: string;
	/** A valid token of an Account Administrator whose token lacks the Import scope: 403 on /import only. */
	tokenWithoutImportScope: string;
	/** The default account of the token's person; the account header may be left out for it. */
	account: string;
	/** A second account the token may use (its id has a hyphen, like 4me's `wna-it`). */
	otherAccount: string;
	clock: EmulatorClock;
	records: FourMeRecords;
	faults: FourMeFaults;
	requests: Array<LoggedRequest<'api' | 'storage'>>;
	jobs: FourMeExportJob[];
	/** Import jobs in creation order. */
	imports: FourMeImportJob[];
	/** Every export job still running (held by `faults.neverFinish()`, or by its count of polls) finishes on its next status poll. */
	releaseJobs(): void;
	close(): Promise<void>;
}

export interface FourMeEmulatorOptions {
	port?: number;
	storagePort?: number;
	/** Polls answered queued/processing before the final state, for every export and import job (default 2). */
	pollsUntilDone?: number;
	/** Load the built-in sample records (default true). */
	seed?: boolean;
}

/** Export `type` values, pm:126-147. */
export const FOURME_EXPORT_TYPES: readonly string[] = [
	'affected_slas', 'agile_board_columns', 'agile_boards', 'app_offering_automation_rules', 'app_offering_scopes',
	'app_offerings', 'calendars', 'ci_relations', 'cis', 'closure_codes', 'contracts', 'custom_collection_elements',
	'custom_collections', 'custom_views', 'effort_classes', 'email_templates', 'flsas', 'generic_ci_automation_rules',
	'generic_project_task_automation_rules', 'generic_request_automation_rules', 'generic_risk_automation_rules',
	'generic_task_automation_rules', 'generic_workflow_automation_rules', 'holidays', 'invoices', 'knowledge_articles',
	'missing_translations', 'notes', 'organizations', 'organizations_contact_details', 'organizations_time_allocations',
	'out_of_office_periods', 'outdated_translations', 'pdf_designs', 'people', 'people_contact_details', 'people_roles',
	'permission_events', 'problems', 'product_backlog_items', 'product_backlogs', 'product_categories', 'products',
	'project_categories', 'project_risk_levels', 'project_task_assignments', 'project_task_template_assignments',
	'project_task_template_automation_rules', 'project_task_templates', 'project_tasks',
	'project_template_automation_rules', 'project_templates', 'projects', 'releases', 'request_template_automation_rules',
	'request_templates', 'requests', 'risk_severities', 'risks', 'satisfactions', 'scim_group_automation_rules',
	'scim_user_automation_rules', 'scrum_workspaces', 'service_categories', 'service_instances',
	'service_offering_activity_rates', 'service_offering_effort_class_rates', 'service_offering_ssr_rates',
	'service_offerings', 'services', 'shop_articles', 'shop_order_lines', 'short_urls', 'sites', 'skill_pools',
	'sla_coverage_groups', 'sla_financial_details', 'sla_financial_details_activities', 'sla_financial_details_charges',
	'sla_notification_rules', 'sla_notification_schemes', 'slas', 'sprint_backlog_items', 'sprints',
	'standard_service_requests', 'survey_answers', 'survey_questions', 'survey_responses', 'surveys', 'system_logs',
	'task_approvals', 'task_template_approvals', 'task_template_automation_rules', 'task_templates', 'tasks', 'teams',
	'time_allocations', 'time_entries', 'timesheet_settings', 'translations', 'trusted_organizations', 'ui_extensions',
	'workflow_template_automation_rules', 'workflow_templates', 'workflows', 'shop_article_categories',
];

/** Import `type` values, pm:173-183. */
export const FOURME_IMPORT_TYPES: readonly string[] = [
	'calendars', 'cis', 'ci_relations', 'closure_codes', 'contracts', 'custom_collections', 'custom_collection_elements',
	'custom_views', 'email_templates', 'first_line_support_agreements', 'holidays', 'invoices', 'knowledge_articles', 'notes',
	'organizations', 'organizations_contact_details', 'organizations_time_allocations', 'out_of_office_periods', 'pdf_designs',
	'people', 'people_contact_details', 'people_roles', 'problems', 'product_categories', 'products', 'projects',
	'project_categories', 'project_tasks', 'project_task_assignments', 'project_task_templates',
	'project_task_template_assignments', 'project_templates', 'releases', 'requests', 'request_templates', 'rfc_types', 'risks',
	'risk_severities', 'scrum_workspaces', 'services', 'service_categories', 'service_instances', 'service_offerings',
	'service_offering_rfc_type_activity_rates', 'shop_articles', 'shop_article_categories', 'shop_order_lines', 'short_urls',
	'sites', 'skill_pools', 'slas', 'sla_coverage_groups', 'sla_notification_schemes', 'sla_notification_rules',
	'slas_financial_details_rfc_type_activities', 'sprints', 'sprint_backlog_items', 'standard_service_requests', 'surveys',
	'survey_questions', 'survey_responses', 'survey_answers', 'tasks', 'task_approvals', 'task_templates',
	'task_template_approvals', 'teams', 'timesheet_settings', 'time_allocations', 'time_entries', 'trusted_organizations',
	'ui_extensions', 'waiting_for_customer_follow_ups', 'waiting_for_customer_rules', 'workflow_templates', 'workflow_types',
	'workflows',
];

export const FOURME_RATE_LIMIT = 3600; // pm:187
/** A full export of a type with more rows than this runs once a day (pm:81-82). */
export const FULL_EXPORT_DAILY_THRESHOLD = 10000;
/** XLSX files hold at most this many rows; bigger types are split into several files (pm:113). */
export const XLSX_ROWS_PER_FILE = 10000;

// ---------------------------------------------------------------------------------------------
// Constants

const MINUTE = 60 * 1000;
const DAY = 24 * 60 * MINUTE;
const FINISHED_JOB_TTL_MS = 5 * MINUTE; // pm:93
const DOWNLOAD_VALIDITY_MS = 2 * DAY; // pm:108
const DEFAULT_POLLS_UNTIL_DONE = 2;
/** How long the poll that should report done waits for the file before answering processing. */
const FILE_WAIT_MS = 1000;
const CSV_CHUNK_ROWS = 10000;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const MIME = {
	csv: 'text/csv',
	zip: 'application/zip',
	xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};
const ACCESS_KEY_ID = 'AKIAEMU';
const RATE_LIMIT_DOC_URL = 'https://developer.4me.com/v1/#rate-limiting';
const EXPORT_TYPE_SET = new Set(FOURME_EXPORT_TYPES);
const IMPORT_TYPE_SET = new Set(FOURME_IMPORT_TYPES);
const DEFAULT_COLUMNS = ['id', 'name', 'created_at', 'updated_at'];

const ACCOUNTS: Record<string, string> = {
	wdc: 'Widget Data Center',
	'wna-it': 'Widget North America - Information Technology',
};

interface Caller {
	name: string;
	email: string;
	defaultAccount: string;
	canExport: boolean;
	canImport: boolean;
}

// ---------------------------------------------------------------------------------------------
// Records

interface StoredRecord {
	row: Row;
	updatedAtMs: number;
}

/** Generated rows are computed from their index on demand, so a million of them cost no memory. */
interface GeneratedBlock {
	count: number;
	startId: number;
	columns: string[];
	values(index: number): string[];
	updatedAtMs(index: number): number;
}

interface TypeData {
	generated?: GeneratedBlock;
	/** Rows set or upserted by hand; they override generated rows with the same id. */
	explicit: Map<string, StoredRecord>;
	version: number;
	/** Highest numeric id, computed on the first nextId() call. */
	maxId?: number;
}

class RecordStore implements FourMeRecords {
	private readonly data = new Map<string, TypeData>();
	private nextVersion = 1;

	constructor(private readonly clock: EmulatorClock) {}

	set(type: string, rows: Row[]): void {
		const data = this.replace(type);
		rows.forEach((row, index) => {
			const id = row.id ?? String(index + 1);
			data.explicit.set(id, { row: { id, ...row }, updatedAtMs: parseTimeOr(row.updated_at, this.clock.now().getTime()) });
		});
	}

	upsert(type: string, row: Row, updatedAt?: Date): void {
		if (row.id === undefined) throw new Error('records.upsert: the row needs an id');
		const data = this.dataOf(type);
		const when = updatedAt ?? this.clock.now();
		const merged = { ...this.find(data, row.id), ...row, updated_at: formatCsvTime(when) };
		data.explicit.set(row.id, { row: merged, updatedAtMs: when.getTime() });
		if (data.maxId !== undefined) data.maxId = Math.max(data.maxId, numericId(row.id));
		data.version = this.nextVersion++;
	}

	generate(type: string, count: number, options: GenerateOptions = {}): void {
		const until = (options.updatedUntil ?? this.clock.now()).getTime();
		const since = (options.updatedSince ?? new Date(until - 30 * DAY)).getTime();
		this.replace(type).generated = generatedBlock(type, count, options.startId ?? 1, since, until);
	}

	count(type: string): number {
		const data = this.data.get(type);
		if (!data) return 0;
		let extra = 0;
		for (const id of data.explicit.keys()) if (!isGeneratedId(data.generated, id)) extra++;
		return (data.generated?.count ?? 0) + extra;
	}

	list(type: string): Row[] {
		const columns = this.columns(type);
		return Array.from(this.rows(type, columns), (fields) => zipRow(columns, fields));
	}

	get(type: string, id: string): Row | undefined {
		const data = this.data.get(type);
		return data ? this.find(data, id) : undefined;
	}

	/** A fresh id for a new record of a type: one more than the highest numeric id it holds. */
	nextId(type: string): string {
		const data = this.dataOf(type);
		if (data.maxId === undefined) {
			let max = data.generated && data.generated.count > 0 ? data.generated.startId + data.generated.count - 1 : 0;
			for (const id of data.explicit.keys()) max = Math.max(max, numericId(id));
			data.maxId = max;
		}
		data.maxId++;
		return String(data.maxId);
	}

	/** Header: `id` first, then the generated columns, then any other field seen in hand-made rows. */
	columns(type: string): string[] {
		const data = this.data.get(type);
		const columns = new Set<string>(['id', ...(data?.generated?.columns ?? [])]);
		for (const record of data?.explicit.values() ?? []) for (const key of Object.keys(record.row)) columns.add(key);
		return columns.size > 1 ? Array.from(columns) : DEFAULT_COLUMNS.slice();
	}

	changedSince(type: string, fromMs: number): boolean {
		const data = this.data.get(type);
		if (!data) return false;
		const generated = data.generated;
		// Generated change times grow with the index: the last row is the newest.
		if (generated && generated.count > 0 && generated.updatedAtMs(generated.count - 1) > fromMs) return true;
		for (const record of data.explicit.values()) if (record.updatedAtMs > fromMs) return true;
		return false;
	}

	/** Field values in `columns` order of every record changed after `fromMs` (all when undefined). */
	*rows(type: string, columns: string[], fromMs?: number): Generator<string[]> {
		const data = this.data.get(type);
		if (!data) return;
		const block = data.generated;
		if (block) {
			const indexes = columns.map((column) => block.columns.indexOf(column));
			const hasOverrides = data.explicit.size > 0;
			for (let index = 0; index < block.count; index++) {
				if (fromMs !== undefined && block.updatedAtMs(index) <= fromMs) continue;
				if (hasOverrides && data.explicit.has(String(block.startId + index))) continue; // overridden, written below
				const values = block.values(index);
				yield indexes.map((at) => (at < 0 ? '' : values[at]));
			}
		}
		for (const record of data.explicit.values()) {
			if (fromMs !== undefined && record.updatedAtMs <= fromMs) continue;
			yield columns.map((column) => record.row[column] ?? '');
		}
	}

	countSince(type: string, fromMs?: number): number {
		if (fromMs === undefined) return this.count(type);
		const data = this.data.get(type);
		if (!data) return 0;
		let count = 0;
		const block = data.generated;
		for (let index = 0; block && index < block.count; index++) {
			if (block.updatedAtMs(index) > fromMs && !data.explicit.has(String(block.startId + index))) count++;
		}
		for (const record of data.explicit.values()) if (record.updatedAtMs > fromMs) count++;
		return count;
	}

	version(type: string): number {
		return this.data.get(type)?.version ?? 0;
	}

	private find(data: TypeData, id: string): Row | undefined {
		const explicit = data.explicit.get(id);
		if (explicit) return explicit.row;
		const block = data.generated;
		if (!block || !isGeneratedId(block, id)) return undefined;
		return zipRow(block.columns, block.values(Number(id) - block.startId));
	}

	private replace(type: string): TypeData {
		assertKnownType(type);
		const data: TypeData = { explicit: new Map(), version: this.nextVersion++ };
		this.data.set(type, data);
		return data;
	}

	private dataOf(type: string): TypeData {
		return this.data.get(type) ?? this.replace(type);
	}
}

/** Export types, plus the import-only ones (e.g. `rfc_types`) so an import of them has somewhere to go. */
function assertKnownType(type: string): void {
	if (!EXPORT_TYPE_SET.has(type) && !IMPORT_TYPE_SET.has(type)) throw new Error(`"${type}" is not a 4me export or import type`);
}

function numericId(id: string): number {
	const n = Number(id);
	return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

function isGeneratedId(block: GeneratedBlock | undefined, id: string): boolean {
	if (!block) return false;
	const n = Number(id);
	return Number.isInteger(n) && String(n) === id && n >= block.startId && n < block.startId + block.count;
}

function zipRow(columns: string[], values: string[]): Row {
	const row: Row = {};
	columns.forEach((column, index) => {
		row[column] = values[index];
	});
	return row;
}

function parseTimeOr(value: string | undefined, fallback: number): number {
	const parsed = value ? Date.parse(value) : NaN;
	return Number.isNaN(parsed) ? fallback : parsed;
}

/** `2024-05-01T12:00:00Z`: seconds precision, like the timestamps in 4me exports. */
function formatCsvTime(date: Date | number): string {
	// Hot path for a million generated rows: toISOString() is slow, so cache the date part per day.
	const ms = typeof date === 'number' ? date : date.getTime();
	const dayNumber = Math.floor(ms / DAY);
	let day = DAY_PREFIXES.get(dayNumber);
	if (day === undefined) {
		day = new Date(dayNumber * DAY).toISOString().slice(0, 11); // `2024-05-01T`
		if (DAY_PREFIXES.size < 100000) DAY_PREFIXES.set(dayNumber, day);
	}
	const seconds = Math.floor((ms - dayNumber * DAY) / 1000);
	return `${day}${pad2(Math.floor(seconds / 3600))}:${pad2(Math.floor(seconds / 60) % 60)}:${pad2(seconds % 60)}Z`;
}

const DAY_PREFIXES = new Map<number, string>();

function pad2(n: number): string {
	return n < 10 ? `0${n}` : String(n);
}

// ---------------------------------------------------------------------------------------------
// Generated rows: deterministic, realistic, with an awkward value every few rows.

const CATEGORIES = ['incident', 'rfc', 'rfi', 'complaint', 'compliment', 'other'];
const IMPACTS = ['low', 'medium', 'high', 'top'];
const STATUSES = ['assigned', 'accepted', 'in_progress', 'waiting_for', 'waiting_for_customer', 'completed', 'declined'];
const TEAMS = ['Service Desk, Tier 1', 'Network', 'Workplace', 'Applications "Core"', 'Datacenter'];
const FIRST_NAMES = ['Howard', 'Ellen', 'José', 'Zoë', 'Taro', 'Amara', 'Lars', 'Mei'];
const LAST_NAMES = ['Tanner', 'Brown', 'Ramírez', 'Smith', 'Yamada', 'Okafor', 'Nielsen', 'Chen'];

function requestSubject(i: number): string {
	if (i % 50 === 7) return `VPN drops every hour\nsince the update (#${i})`;
	if (i % 25 === 3) return `Error "E${i}" when logging in`;
	if (i % 40 === 11) return `=HYPERLINK("http://example.com/${i}")`;
	if (i % 45 === 13) return `-${i % 9} degrees in server room`;
	if (i % 10 === 1) return `Printer on floor ${i % 7}, room ${i} jams`;
	return `Request ${i}: laptop ${i % 3 === 0 ? 'replacement' : 'is slow'}`;
}

const GENERATORS: Record<string, { columns: string[]; values(i: number, id: number): string[] }> = {
	requests: {
		columns: ['subject', 'category', 'impact', 'status', 'team'],
		values: (i) => [requestSubject(i), CATEGORIES[i % 6], IMPACTS[i % 4], STATUSES[i % 7], TEAMS[i % 5]],
	},
	people: {
		columns: ['name', 'primary_email', 'job_title', 'organization'],
		values: (i, id) => {
			const first = FIRST_NAMES[i % 8];
			const last = LAST_NAMES[(i >> 3) % 8];
			return [`${first} ${last}`, `person${id}@widget.com`, i % 30 === 5 ? '+ Contractor' : 'Analyst, Level 2', 'Widget Data Center'];
		},
	},
};

function generatedBlock(type: string, count: number, startId: number, sinceMs: number, untilMs: number): GeneratedBlock {
	const generator = GENERATORS[type] ?? {
		columns: ['name', 'remarks'],
		values: (i: number, id: number) => [`${type} ${id}`, i % 20 === 4 ? 'Line one\nline two, with comma' : ''],
	};
	const updatedAtMs = (index: number) => sinceMs + Math.floor(((untilMs - sinceMs) * (index + 1)) / count);
	return {
		count,
		startId,
		columns: ['id', ...generator.columns, 'created_at', 'updated_at'],
		updatedAtMs,
		values: (index) => {
			const updated = updatedAtMs(index);
			const created = updated - (index % 90) * DAY;
			return [String(startId + index), ...generator.values(index, startId + index), formatCsvTime(created), formatCsvTime(updated)];
		},
	};
}

// Built-in sample data: a handful of rows per type with the values that break naive CSV code.
function seedRecords(store: RecordStore, now: number): void {
	const ago = (days: number) => formatCsvTime(now - days * DAY);
	store.set('people', [
		{ id: '1', name: 'Howard Tanner', primary_email: 'howard.tanner@widget.com', job_title: 'Director, IT Operations', organization: 'Widget Data Center, Internal IT', site: 'Houston', created_at: ago(400), updated_at: ago(1) },
		{ id: '2', name: 'Ellen "The Fixer" Brown', primary_email: 'ellen.brown@widget.com', job_title: 'Service Desk Analyst', organization: 'Widget Data Center, Internal IT', site: 'Houston', created_at: ago(300), updated_at: ago(3) },
		{ id: '3', name: 'José Ramírez', primary_email: 'jose.ramirez@widget.com', job_title: '=HYPERLINK("http://example.com","click")', organization: 'Widget Europe', site: 'Amsterdam', created_at: ago(200), updated_at: ago(10) },
		{ id: '4', name: '山田 太郎', primary_email: 'taro.yamada@widget.jp', job_title: '+81 team lead', organization: 'Widget North America @wna', site: '東京', created_at: ago(100), updated_at: ago(20) },
		{ id: '5', name: 'Zoë 🚀 Smith', primary_email: '', job_title: '-Contractor', organization: '@external', site: '', created_at: ago(90), updated_at: ago(70) },
		{ id: '6', name: 'Multi Line', primary_email: 'multi.line@widget.com', job_title: 'Analyst\nLevel 2', organization: 'Org A\r\nOrg B', site: 'Houston', created_at: ago(50), updated_at: ago(2) },
	]);
	store.set('people_contact_details', [
		{ id: '11', person: 'Howard Tanner', label: 'work', telephone: '+1 713 555 0100', email: 'howard.tanner@widget.com', created_at: ago(400), updated_at: ago(1) },
		{ id: '12', person: 'José Ramírez', label: 'mobile', telephone: '-', email: '', created_at: ago(200), updated_at: ago(10) },
		{ id: '13', person: '山田 太郎', label: 'home, private', telephone: '@home: 03-1234', email: 'taro@example.jp', created_at: ago(100), updated_at: ago(65) },
	]);
	store.set('sites', [
		{ id: '21', name: 'Houston', address: 'Main Street 1\nHouston, TX', remarks: 'Line one\r\nLine two', created_at: ago(500), updated_at: ago(1) },
		{ id: '22', name: 'Amsterdam', address: 'Damrak 1, Amsterdam', remarks: 'Café "De Kroon" ☕', created_at: ago(500), updated_at: ago(5) },
		{ id: '23', name: '東京', address: '', remarks: '=1+1', created_at: ago(500), updated_at: ago(80) },
	]);
	store.set('teams', [
		{ id: '31', name: 'Service Desk, Tier 1', coordinator: 'Ellen "The Fixer" Brown', remarks: '@oncall rotation', created_at: ago(400), updated_at: ago(2) },
		{ id: '32', name: 'Network', coordinator: 'Howard Tanner', remarks: '', created_at: ago(400), updated_at: ago(30) },
	]);
	store.set('organizations', [
		{ id: '41', name: 'Widget International', parent: '', remarks: 'Directory account 🌍', created_at: ago(600), updated_at: ago(40) },
		{ id: '42', name: 'Widget Data Center, Internal IT', parent: 'Widget International @widget', remarks: 'Multi\nline', created_at: ago(600), updated_at: ago(4) },
	]);
	store.set('requests', [
		{ id: '51', subject: 'Printer jams, again', category: 'incident', impact: 'low', status: 'assigned', team: 'Service Desk, Tier 1', created_at: ago(6), updated_at: ago(1) },
		{ id: '52', subject: 'Error "E42" on login', category: 'incident', impact: 'high', status: 'in_progress', team: 'Applications "Core"', created_at: ago(8), updated_at: ago(2) },
		{ id: '53', subject: 'VPN down\nsince 9:00', category: 'incident', impact: 'top', status: 'completed', team: 'Network', created_at: ago(12), updated_at: ago(9) },
		{ id: '54', subject: '-5 degrees in server room', category: 'complaint', impact: 'medium', status: 'waiting_for', team: 'Datacenter', created_at: ago(30), updated_at: ago(25) },
		{ id: '55', subject: 'Café ☕ machine broken 日本 😀', category: 'rfc', impact: '', status: 'declined', team: '', created_at: ago(90), updated_at: ago(75) },
	]);
}

// ---------------------------------------------------------------------------------------------
// CSV: RFC 4180 quoting plus 4me's spreadsheet-injection guard (pm:120).

const INJECTION_START = /^[=+\-@]/;
const NEEDS_QUOTES = /[",\r\n]/;
const NEEDS_WORK = /^[=+\-@]|[",\r\n]/;

export function fourMeCsvField(value: string): string {
	if (!NEEDS_WORK.test(value)) return value; // the common case, one regex test
	const guarded = INJECTION_START.test(value) ? `\t${value}` : value;
	return NEEDS_QUOTES.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}

function csvLine(fields: string[], eol: string): string {
	return fields.map(fourMeCsvField).join(',') + eol;
}

interface FileSpec {
	fromMs?: number;
	eol: string;
	bom: boolean;
	/** undefined = natural column order. */
	shuffleSeed?: number;
}

type ProgressReporter = (type: string, line: number) => void;

/** Builds one CSV in 10,000-row chunks, yielding in between so the API keeps answering polls. */
async function buildCsv(store: RecordStore, type: string, spec: FileSpec, progress: ProgressReporter): Promise<Buffer> {
	const columns = orderColumns(store.columns(type), spec.shuffleSeed);
	const chunks: Buffer[] = spec.bom ? [BOM] : [];
	let lines: string[] = [csvLine(columns, spec.eol)];
	let written = 0;
	for (const fields of store.rows(type, columns, spec.fromMs)) {
		lines.push(csvLine(fields, spec.eol));
		written++;
		if (lines.length >= CSV_CHUNK_ROWS) {
			chunks.push(Buffer.from(lines.join(''), 'utf8'));
			lines = [];
			progress(type, written);
			await yieldToEventLoop();
		}
	}
	chunks.push(Buffer.from(lines.join(''), 'utf8'));
	progress(type, written);
	return Buffer.concat(chunks);
}

/** Deterministic shuffle (seeded), never equal to the natural order when there are 2+ columns. */
function orderColumns(columns: string[], seed: number | undefined): string[] {
	if (seed === undefined || columns.length < 2) return columns;
	const shuffled = columns.slice();
	let state = seed >>> 0 || 1;
	for (let i = shuffled.length - 1; i > 0; i--) {
		state = (Math.imul(state, 1103515245) + 12345) >>> 0;
		const j = state % (i + 1);
		[shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
	}
	if (shuffled.every((column, i) => column === columns[i])) shuffled.push(shuffled.shift() as string);
	return shuffled;
}

// ---------------------------------------------------------------------------------------------
// Export files

interface ExportFile {
	name: string;
	contentType: string;
	body: Buffer;
}

interface FilePlan {
	types: string[];
	account: string;
	datePrefix: string;
	format: 'csv' | 'xlsx';
	spec: FileSpec;
}

/** Same data and options → same bytes: share them between jobs instead of building 200 MB twice. */
class CsvCache {
	private readonly entries = new Map<string, Promise<Buffer>>();

	get(key: string | undefined, build: () => Promise<Buffer>): Promise<Buffer> {
		if (key === undefined) return build();
		const cached = this.entries.get(key);
		if (cached) return cached;
		const built = build();
		this.entries.set(key, built);
		built.catch(() => this.entries.delete(key));
		if (this.entries.size > 4) this.entries.delete(this.entries.keys().next().value as string);
		return built;
	}
}

// File names: date, type, account, e.g. `20211108-sites-wdc.csv` (pm:114-115 shows `20211108-sites-123.csv`).
function entryName(plan: FilePlan, type: string, extension: string): string {
	return `${plan.datePrefix}-${type}-${plan.account}.${extension}`;
}

async function buildExportFile(store: RecordStore, cache: CsvCache, plan: FilePlan, progress: ProgressReporter): Promise<ExportFile> {
	const entries = plan.format === 'xlsx' ? await xlsxEntries(store, plan) : await csvEntries(store, cache, plan, progress);
	if (entries.length === 1) return entries[0];
	// Several types (or a split xlsx) → one zip with a file per type (pm:109-110).
	const zip = new JSZip();
	for (const entry of entries) zip.file(entry.name, entry.body);
	const body = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
	return { name: `${plan.datePrefix}-export-${plan.account}.zip`, contentType: MIME.zip, body };
}

async function csvEntries(store: RecordStore, cache: CsvCache, plan: FilePlan, progress: ProgressReporter): Promise<ExportFile[]> {
	const files: ExportFile[] = [];
	for (const type of plan.types) {
		const spec = plan.spec;
		const key = spec.shuffleSeed === undefined ? [type, store.version(type), spec.fromMs, spec.eol, spec.bom].join('|') : undefined;
		const body = await cache.get(key, () => buildCsv(store, type, spec, progress));
		progress(type, store.countSince(type, spec.fromMs));
		files.push({ name: entryName(plan, type, 'csv'), contentType: MIME.csv, body });
	}
	return files;
}

/** The client treats xlsx as an opaque file: a zip with a content-types part is enough. */
async function xlsxEntries(store: RecordStore, plan: FilePlan): Promise<ExportFile[]> {
	const files: ExportFile[] = [];
	for (const type of plan.types) {
		const rows = store.countSince(type, plan.spec.fromMs);
		const parts = Math.max(1, Math.ceil(rows / XLSX_ROWS_PER_FILE));
		for (let part = 1; part <= parts; part++) {
			const name = parts === 1 ? entryName(plan, type, 'xlsx') : entryName(plan, `${type}-${part}`, 'xlsx');
			files.push({ name, contentType: MIME.xlsx, body: await fakeXlsx(type, rows, part) });
		}
	}
	return files;
}

function fakeXlsx(type: string, rows: number, part: number): Promise<Buffer> {
	const zip = new JSZip();
	zip.file(
		'[Content_Types].xml',
		'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
			'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
			'<Default Extension="xml" ContentType="application/xml"/></Types>',
	);
	zip.file('emulator.txt', `4me emulator xlsx stand-in: type=${type} rows=${rows} part=${part}\n`);
	return zip.generateAsync({ type: 'nodebuffer' });
}

// ---------------------------------------------------------------------------------------------
// Export parameters

export interface ExportRequest {
	types: string[];
	fromParam?: string;
	from?: Date;
	exportFormat: 'csv' | 'xlsx';
	lineSeparator: 'lf' | 'crlf';
	locale?: string;
}

const FROM_PATTERN =
	/^(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{2}):?(\d{2})(?::?(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * `from` in the documented formats (`20130524`, `20130524T00:00:00`, `20130501T23:00:00-10:00`,
 * `20130501T00:00:00Z`, pm:67-68) and their ISO 8601 dashed forms. A value without a zone is read
 * in the API user's time zone, and the emulated user lives in UTC. Returns undefined when invalid.
 */
export function parseFourMeFrom(value: string): Date | undefined {
	const match = FROM_PATTERN.exec(value.trim());
	if (!match) return undefined;
	const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0));
	const utc = Date.UTC(year, month - 1, day, hour, minute, second);
	const check = new Date(utc);
	if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return undefined;
	const offsetMinutes = zoneOffsetMinutes(match[7]);
	if (offsetMinutes === undefined) return undefined;
	return new Date(utc - offsetMinutes * MINUTE);
}

function zoneOffsetMinutes(zone: string | undefined): number | undefined {
	if (!zone || zone === 'Z') return 0;
	const digits = zone.slice(1).replace(':', '');
	const hours = Number(digits.slice(0, 2));
	const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
	if (hours > 14 || minutes > 59) return undefined;
	return (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

function validationFailed(errors: Array<[string, string]>): HttpError {
	const summary = errors.map(([field, message]) => `${field} ${message}`).join(', ');
	return new HttpError(422, { message: `Validation failed: ${summary}`, errors });
}

/** 400 for an unreadable `from`, 422 (with `errors`, pm:199) for a wrong type/format/separator. */
function validateExportParams(fields: Record<string, unknown>): ExportRequest {
	const from = readFrom(fields.from);
	const errors: Array<[string, string]> = [];
	const types = readTypes(fields.type, errors);
	const exportFormat = readEnum(fields.export_format, 'export_format', ['csv', 'xlsx'] as const, errors);
	const lineSeparator = readEnum(fields.line_separator, 'line_separator', ['lf', 'crlf'] as const, errors);
	if (errors.length > 0) throw validationFailed(errors);
	const locale = typeof fields.locale === 'string' && fields.locale !== '' ? fields.locale : undefined;
	return { types, ...from, exportFormat, lineSeparator, locale };
}

function readFrom(value: unknown): { fromParam?: string; from?: Date } {
	// An empty `from` counts as absent (Rails `present?`): the export is then a FULL one.
	if (value === undefined || value === null || value === '') return {};
	const from = typeof value === 'string' ? parseFourMeFrom(value) : undefined;
	if (!from) {
		throw new HttpError(400, {
			message: `Invalid value for 'from': ${JSON.stringify(value)}. Use a date and time like 20130524, 20130524T00:00:00, 20130501T23:00:00-10:00 or 20130501T00:00:00Z.`,
		});
	}
	return { fromParam: value as string, from };
}

function readTypes(value: unknown, errors: Array<[string, string]>): string[] {
	if (value === undefined || value === null || value === '') {
		errors.push(['type', "can't be blank"]);
		return [];
	}
	if (typeof value !== 'string') {
		errors.push(['type', 'must be a comma-separated list of export types']);
		return [];
	}
	const types = Array.from(new Set(value.split(',').map((type) => type.trim()).filter((type) => type !== '')));
	const unknown = types.filter((type) => !EXPORT_TYPE_SET.has(type));
	if (types.length === 0) errors.push(['type', "can't be blank"]);
	for (const type of unknown) errors.push(['type', `'${type}' is not a valid export type`]);
	return types;
}

function readEnum<T extends string>(value: unknown, field: string, allowed: readonly T[], errors: Array<[string, string]>): T {
	if (value === undefined || value === null || value === '') return allowed[0];
	if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
	errors.push([field, `must be one of: ${allowed.join(', ')}`]);
	return allowed[0];
}

// ---------------------------------------------------------------------------------------------
// Faults

interface JobPlan {
	pendingPolls: number;
	neverFinish: boolean;
	failure?: Record<string, unknown>;
}

interface ApiFault {
	status: number;
	body: unknown;
	headers: Record<string, string>;
}

/** How an import job ends: after `pendingPolls` queued/processing answers, or an error fault. */
interface ImportPlan {
	pendingPolls: number;
	neverFinish: boolean;
	error?: { message: string; afterRows: number };
}

interface FaultController extends FourMeFaults {
	takeApiFault(): ApiFault | undefined;
	takeStorageError(): boolean;
	/** Where to cut a download of `size` bytes, or undefined to send it whole. */
	takeTruncation(size: number): number | undefined;
	takeJobPlan(defaultPendingPolls: number): JobPlan;
	/** pollsUntilDone/neverFinish are for the next job of either kind; failJob stays for the next export. */
	takeImportPlan(defaultPendingPolls: number): ImportPlan;
	readonly bomOn: boolean;
	readonly shuffleOn: boolean;
}

function createFaults(): FaultController {
	const state = {
		rateLimit: { count: 0, retryAfter: 1 },
		serverError: { count: 0, status: 500 },
		truncate: { count: 0, atBytes: undefined as number | undefined },
		storageErrors: 0,
		nextJob: {} as Partial<JobPlan>,
		nextImportError: undefined as ImportPlan['error'],
		bom: false,
		shuffle: false,
	};
	const reset = () => {
		state.rateLimit = { count: 0, retryAfter: 1 };
		state.serverError = { count: 0, status: 500 };
		state.truncate = { count: 0, atBytes: undefined };
		state.storageErrors = 0;
		state.nextJob = {};
		state.nextImportError = undefined;
		state.bom = false;
		state.shuffle = false;
	};
	return {
		rateLimit: (count, retryAfterSeconds = 1) => {
			state.rateLimit = { count, retryAfter: retryAfterSeconds };
		},
		serverError: (count, status = 500) => {
			state.serverError = { count, status };
		},
		truncateDownload: (count, atBytes) => {
			state.truncate = { count, atBytes };
		},
		storageServerError: (count) => {
			state.storageErrors = count;
		},
		failJob: (fields) => {
			state.nextJob.failure = { ...fields };
		},
		pollsUntilDone: (polls) => {
			state.nextJob.pendingPolls = polls;
		},
		neverFinish: () => {
			state.nextJob.neverFinish = true;
		},
		importError: (message, afterRows = 0) => {
			state.nextImportError = { message, afterRows };
		},
		bom: (on) => {
			state.bom = on;
		},
		shuffleColumns: (on) => {
			state.shuffle = on;
		},
		reset,
		get bomOn() {
			return state.bom;
		},
		get shuffleOn() {
			return state.shuffle;
		},
		takeApiFault: () => {
			if (state.rateLimit.count > 0) {
				state.rateLimit.count--;
				return tooManyRequests(state.rateLimit.retryAfter);
			}
			if (state.serverError.count > 0) {
				state.serverError.count--;
				const status = state.serverError.status;
				return { status, body: { message: `${status} ${statusText(status)} (emulated fault)` }, headers: {} };
			}
			return undefined;
		},
		takeStorageError: () => state.storageErrors > 0 && state.storageErrors-- > 0,
		takeTruncation: (size) => {
			if (state.truncate.count <= 0) return undefined;
			state.truncate.count--;
			return Math.min(state.truncate.atBytes ?? Math.floor(size / 2), size);
		},
		takeJobPlan: (defaultPendingPolls) => {
			const next = state.nextJob;
			state.nextJob = {};
			return { pendingPolls: next.pendingPolls ?? defaultPendingPolls, neverFinish: next.neverFinish === true, failure: next.failure };
		},
		takeImportPlan: (defaultPendingPolls) => {
			const next = state.nextJob;
			const error = state.nextImportError;
			state.nextJob = next.failure ? { failure: next.failure } : {};
			state.nextImportError = undefined;
			return { pendingPolls: next.pendingPolls ?? defaultPendingPolls, neverFinish: next.neverFinish === true, error };
		},
	};
}

function tooManyRequests(retryAfterSeconds: number): ApiFault {
	// pm:192-193, with the 4me-branded documentation host.
	return {
		status: 429,
		body: { message: 'Too Many Requests', documentation_url: RATE_LIMIT_DOC_URL },
		headers: { 'Retry-After': String(retryAfterSeconds) },
	};
}

function statusText(status: number): string {
	const texts: Record<number, string> = { 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };
	return texts[status] ?? 'Error';
}

// ---------------------------------------------------------------------------------------------
// Rate limit: 3600 requests per hour per token (per IP without one), pm:187-190.

interface RateLimitUsage {
	remaining: number;
	resetAtMs: number;
	exceeded: boolean;
}

function createRateLimiter(clock: EmulatorClock): (key: string) => RateLimitUsage {
	const windows = new Map<string, { resetAtMs: number; used: number }>();
	return (key) => {
		const now = clock.now().getTime();
		let window = windows.get(key);
		if (!window || now >= window.resetAtMs) {
			window = { resetAtMs: now + 60 * MINUTE, used: 0 };
			windows.set(key, window);
		}
		window.used++;
		return { remaining: Math.max(0, FOURME_RATE_LIMIT - window.used), resetAtMs: window.resetAtMs, exceeded: window.used > FOURME_RATE_LIMIT };
	};
}

// ---------------------------------------------------------------------------------------------
// Emulator state shared by the two servers

interface StoredFile {
	body: Buffer;
	contentType: string;
	etag: string;
	lastModified: string;
}

interface ExportJobRuntime {
	job: FourMeExportJob;
	plan: JobPlan;
	file?: Promise<ExportFile>;
	progress: { type: string; line: number };
}

interface EmulatorState {
	clock: EmulatorClock;
	store: RecordStore;
	faults: FaultController;
	cache: CsvCache;
	callers: Map<string, Caller>;
	jobs: Map<string, ExportJobRuntime>;
	jobList: FourMeExportJob[];
	imports: Map<string, ImportJobRuntime>;
	importList: FourMeImportJob[];
	requests: Array<LoggedRequest<'api' | 'storage'>>;
	storageFiles: Map<string, StoredFile>;
	storageOrigin: string;
	signingSecret: string;
	defaultPendingPolls: number;
	/** `account|type` → UTC day of the last full export of a large type. */
	fullExportDays: Map<string, string>;
	rateLimiter: (key: string) => RateLimitUsage;
}

// ---------------------------------------------------------------------------------------------
// API server

/** Every 4me JSON answer: `&` as \u0026 (the doc says so), rate-limit headers already set. */
function reply(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
	sendJson(res, status, body, { headers, transformJson: escapeJsonLikeRails });
}

const notFound = () => new HttpError(404, { message: 'Not Found' });

async function handleApi(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
	logRequest(state.requests, 'api', req);
	const token = bearerToken(req);
	const caller = token === undefined ? undefined : state.callers.get(token);
	const usage = state.rateLimiter(caller ? `token:${token}` : `ip:${req.socket.remoteAddress ?? ''}`);
	setRateLimitHeaders(res, usage);
	try {
		const fault = state.faults.takeApiFault();
		if (fault) return reply(res, fault.status, fault.body, fault.headers);
		if (usage.exceeded) {
			const retryAfter = Math.max(1, Math.ceil((usage.resetAtMs - state.clock.now().getTime()) / 1000));
			return reply(res, 429, tooManyRequests(retryAfter).body, { 'Retry-After': String(retryAfter) });
		}
		if (!caller) throw new HttpError(401, { message: 'Unauthorized' });
		await route(state, req, res, caller, resolveAccount(req, caller));
	} catch (error) {
		if (error instanceof HttpError) return reply(res, error.status, error.body, error.headers);
		if (error instanceof BodyParseError) return reply(res, 400, { message: `Bad request: ${error.message}` });
		throw error;
	}
}

async function route(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse, caller: Caller, account: string): Promise<void> {
	const path = (req.url ?? '/').split('?')[0];
	const method = req.method ?? 'GET';
	if (method === 'GET' && path === '/v1/me') return reply(res, 200, personJson(caller, account));
	if (method === 'POST' && path === '/v1/export') return createExport(state, req, res, caller, account);
	const poll = /^\/v1\/export\/([^/]+)$/.exec(path);
	if (method === 'GET' && poll) return pollExport(state, res, caller, account, decodeURIComponent(poll[1]));
	if (method === 'POST' && path === '/v1/import') return createImport(state, req, res, caller, account);
	const importPoll = /^\/v1\/import\/([^/]+)$/.exec(path);
	if (method === 'GET' && importPoll) return pollImport(state, res, caller, account, decodeURIComponent(importPoll[1]));
	throw notFound();
}

function bearerToken(req: http.IncomingMessage): string | undefined {
	const match = /^Bearer\s+(\S+)\s*$/i.exec(headerValue(req, 'authorization') ?? '');
	return match ? match[1] : undefined;
}

function setRateLimitHeaders(res: http.ServerResponse, usage: RateLimitUsage): void {
	res.setHeader('X-RateLimit-Limit', String(FOURME_RATE_LIMIT));
	res.setHeader('X-RateLimit-Remaining', String(usage.remaining));
	res.setHeader('X-RateLimit-Reset', String(Math.floor(usage.resetAtMs / 1000)));
}

/** `X-4me-Account` (SDK, older docs) or `X-Xurrent-Account` (newer docs); optional for the person's own account (pm:49-53). */
function resolveAccount(req: http.IncomingMessage, caller: Caller): string {
	const header = headerValue(req, 'x-4me-account') ?? headerValue(req, 'x-xurrent-account');
	if (header === undefined) return caller.defaultAccount;
	if (!Object.prototype.hasOwnProperty.call(ACCOUNTS, header)) throw new HttpError(404, { message: `Account '${header}' not found` });
	return header;
}

/** Exporting and importing need the Account Administrator role (pm:57) and the token's Export / Import scope. */
function requireExportRight(caller: Caller, account: string): void {
	if (caller.canExport) return;
	throw new HttpError(403, {
		message: `Forbidden: ${caller.name} is not allowed to export records of account '${account}' (needs the Account Administrator role and a token with the Export scope)`,
	});
}

function requireImportRight(caller: Caller, account: string): void {
	if (caller.canImport) return;
	throw new HttpError(403, {
		message: `Forbidden: ${caller.name} is not allowed to import records into account '${account}' (needs the Account Administrator role and a token with the Import scope)`,
	});
}

function personJson(caller: Caller, account: string): Record<string, unknown> {
	return {
		id: caller.canExport ? 6 : 7,
		name: caller.name,
		primary_email: caller.email,
		account: { id: account, name: ACCOUNTS[account] },
		disabled: false,
		nodeID: Buffer.from(`gid://4me/Person/${caller.canExport ? 6 : 7}`).toString('base64'),
	};
}

async function createExport(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse, caller: Caller, account: string): Promise<void> {
	requireExportRight(caller, account);
	const params = await readParams(req);
	const request = validateExportParams(params.fields);
	const from = request.from;
	// Nothing changed since `from`: 204 and no job (pm:75-76).
	if (from && !request.types.some((type) => state.store.changedSince(type, from.getTime()))) return sendEmpty(res, 204);
	const runtime = startJob(state, request, account, params.encoding);
	reply(res, 200, { token: runtime.job.token });
}

function startJob(state: EmulatorState, request: ExportRequest, account: string, encoding: FourMeExportJob['bodyEncoding']): ExportJobRuntime {
	const now = state.clock.now();
	const job: FourMeExportJob = { token: randomBytes(16).toString('hex'), account, ...request, bodyEncoding: encoding, createdAt: now, polls: 0, state: 'queued' };
	const planned = state.faults.takeJobPlan(state.defaultPendingPolls);
	// A fault-failed job does not use up the day's full export.
	const failure = planned.failure ?? exportLimitViolation(state, request, account, now);
	const runtime: ExportJobRuntime = { job, plan: { ...planned, failure }, progress: { type: request.types[0], line: 0 } };
	if (!failure) runtime.file = startFileBuild(state, runtime);
	state.jobs.set(job.token, runtime);
	state.jobList.push(job);
	return runtime;
}

/**
 * The export limits (pm:79-84): `from` at most 2 months back; a full export of a type with more
 * than 10,000 records once per day. Breaking them is not refused at creation: the job is created
 * and ends `{"state":"failed","rate_limit_exceeded":"requests"}` (pm:83-84).
 */
function exportLimitViolation(state: EmulatorState, request: ExportRequest, account: string, now: Date): Record<string, unknown> | undefined {
	const exceeded = { rate_limit_exceeded: 'requests' };
	if (request.from) return request.from.getTime() < monthsBefore(now, 2).getTime() ? exceeded : undefined;
	const day = now.toISOString().slice(0, 10);
	const keys = request.types.filter((type) => state.store.count(type) > FULL_EXPORT_DAILY_THRESHOLD).map((type) => `${account}|${type}`);
	if (keys.some((key) => state.fullExportDays.get(key) === day)) return exceeded;
	for (const key of keys) state.fullExportDays.set(key, day);
	return undefined;
}

function monthsBefore(date: Date, months: number): Date {
	const result = new Date(date.getTime());
	result.setUTCMonth(result.getUTCMonth() - months);
	return result;
}

function startFileBuild(state: EmulatorState, runtime: ExportJobRuntime): Promise<ExportFile> {
	const { job } = runtime;
	const plan: FilePlan = {
		types: job.types,
		account: job.account,
		datePrefix: job.createdAt.toISOString().slice(0, 10).replace(/-/g, ''),
		format: job.exportFormat,
		spec: {
			fromMs: job.from?.getTime(),
			eol: job.lineSeparator === 'crlf' ? '\r\n' : '\n',
			bom: state.faults.bomOn,
			shuffleSeed: state.faults.shuffleOn ? parseInt(job.token.slice(0, 8), 16) : undefined,
		},
	};
	const file = buildExportFile(state.store, state.cache, plan, (type, line) => {
		runtime.progress = { type, line };
	});
	file.catch(() => undefined); // surfaced by the poll that awaits it
	return file;
}

async function pollExport(state: EmulatorState, res: http.ServerResponse, caller: Caller, account: string, token: string): Promise<void> {
	requireExportRight(caller, account);
	const runtime = state.jobs.get(token);
	// Unknown, another account's, or finished more than 5 minutes ago (pm:93): all plain 404.
	if (!runtime || runtime.job.account !== account || isGone(state, runtime.job)) throw notFound();
	runtime.job.polls++;
	if (runtime.job.completedAt === undefined) await advanceJob(state, runtime);
	reply(res, 200, statusBody(runtime));
}

function isGone(state: EmulatorState, job: { completedAt?: Date }): boolean {
	return job.completedAt !== undefined && state.clock.now().getTime() - job.completedAt.getTime() > FINISHED_JOB_TTL_MS;
}

/** Poll-driven state machine: queued, then processing, then done/failed (or processing forever). */
async function advanceJob(state: EmulatorState, runtime: ExportJobRuntime): Promise<void> {
	const { job, plan } = runtime;
	if (plan.neverFinish || job.polls <= plan.pendingPolls) {
		job.state = job.polls === 1 ? 'queued' : 'processing';
		return;
	}
	if (plan.failure) {
		job.failure = { ...plan.failure };
		job.state = typeof plan.failure.state === 'string' ? plan.failure.state : 'failed';
		job.completedAt = state.clock.now();
		return;
	}
	// Small files are ready at once; a big one (a million rows) keeps the job processing with real
	// progress instead of holding the poll request open for seconds.
	const file = await settledWithin(runtime.file as Promise<ExportFile>, FILE_WAIT_MS);
	if (!file) job.state = 'processing';
	else if (job.completedAt === undefined) publish(state, job, file);
}

function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<undefined>((resolve) => {
		timer = setTimeout(() => resolve(undefined), ms);
	});
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function publish(state: EmulatorState, job: FourMeExportJob, file: ExportFile): void {
	const now = state.clock.now();
	const path = `/exports/${job.token}/${file.name}`;
	state.storageFiles.set(path, {
		body: file.body,
		contentType: file.contentType,
		etag: `"${createHash('md5').update(file.body).digest('hex')}"`,
		lastModified: now.toUTCString(),
	});
	job.completedAt = now;
	job.expiresAt = new Date(now.getTime() + DOWNLOAD_VALIDITY_MS);
	job.fileName = file.name;
	job.url = presignedUrl(state, path, job.expiresAt);
	job.state = 'done';
}

function statusBody(runtime: ExportJobRuntime): Record<string, unknown> {
	const { job } = runtime;
	switch (job.state) {
		case 'queued':
			return { state: 'queued' };
		case 'processing':
			return { state: 'processing', type: runtime.progress.type, line: runtime.progress.line };
		case 'done':
			return { state: 'done', url: job.url, expires_at: formatOffsetTime(job.expiresAt as Date) };
		default:
			return { state: 'failed', ...job.failure };
	}
}

/** `2016-06-28T08:56:11+00:00`: the shape of the doc's `expires_at` example. */
function formatOffsetTime(date: Date): string {
	return date.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

// ---------------------------------------------------------------------------------------------
// Import API (pm:150-185)
//
// How a job runs here:
// - POST /v1/import reads the whole upload at once: encoding, delimiter, header and data rows. A
//   422 answers a missing/unknown `type` or a missing/empty `file` part; anything wrong inside the
//   file is reported later by the job, as 4me does (pm:165-166).
// - Rows are applied to the record store while the job is polled: a share on each processing poll,
//   the rest on the poll that answers done. An export made meanwhile sees a partial import.
// - Header labels → store columns: trimmed, lower-cased, runs of spaces/hyphens → `_`, so the
//   labels of 4me's example files (`ID`, `Primary Email`, `Source ID`) and the export's column
//   names (`id`, `primary_email`, `source_id`) both work and land in the export's columns.
//   Types with a documented example file (IMPORT_FIELDS) accept those fields plus the columns the
//   store already has; other types accept any field-like name [I]. Unknown columns are ignored
//   with a log line [I]; a header with no usable column ends the job in `error` [I].
//   `Created At`/`Updated At` (present in 4me's people example) are read-only and ignored [I].
// - Row matching, from 4me's "Import of Person Records Perfected" note (xurrent.com blog) and pm:184:
//   `ID` filled → that record, or a failure when it does not exist; else `Source` + `Source ID`
//   both filled → the record with both, or a NEW record (no fall-through to the natural key);
//   else the natural key (people: Primary Email, case-insensitive; organizations_contact_details:
//   Organization; others: Name [I]) → that record or a new one.
// - Columns left out of the file leave existing values alone; an empty cell clears the value
//   (developer.4me.com/v1/import/: "a missing column means that the corresponding field value will
//   not be updated"). A row equal to the stored record counts as `unchanged` and keeps its updated_at.
// - Values are stored as given: `Widget Data Center, Internal IT @widget` stays a plain string
//   (seed 4me-bulk-import-files.txt); related records are not looked up [I].
// - `failures` counts rows that were read but not saved (blank required field, invalid Primary
//   Email, unknown ID); `errors` counts rows that could not be read (more values than header
//   columns) plus 1 for the unrecoverable error that ends a job in `error` [I] (the Ruby SDK's
//   stubbed error answer has errors: 1, failures: 1, pm:S6).
// - Unrecoverable [I wording after the documented "Invalid byte sequence in UTF-8 on line 15"]:
//   invalid UTF-8 (or UTF-16LE) bytes, a broken quoted field ("Unclosed quoted field on line N",
//   "Illegal quoting on line N", after Ruby's CSV), a header naming no known field, and the
//   importError fault. Rows before the error are applied first ("results may be non-zero after a
//   partial run", pm:166).
// - Line numbers are 1-based physical lines of the file, the header being line 1; a quoted value
//   spanning lines counts from the line its row starts on [I].
//
// Log file format [I] (4me does not document it): UTF-8 text, LF line ends, `text/plain`:
//   Header: column 'Shoe Size' is not a people field and was ignored
//   Line 4: Primary Email can't be blank
//   Line 6: record with ID 999 not found
//   Line 9: 7 values for 5 columns
//   Error: Invalid byte sequence in UTF-8 on line 15                  (only when the job ends in error)
//   Import of people file 'people.csv' done: 2 created, 1 updated, 0 deleted, 0 unchanged, 2 failures, 1 errors
// The last line is always the summary (`done` or `aborted`); it repeats the poll's `results`.
// Stored on the storage host at /imports/{token}/{account}-{yyyymmdd}-{type}.log behind an S3
// signature-v4 style link valid 48 hours (X-Amz-Expires=172800, pm:170).

const LOGFILE_VALIDITY_SECONDS = 172800;
const READ_ONLY_FIELDS = new Set(['created_at', 'updated_at']);
const FIELD_NAME = /^[a-z][a-z0-9_]*$/;
const EMAIL = /^[^@\s]+@[^@\s]+$/;

/** Import types whose records the export names differently: the export type is `flsas` (pm:126-147) [I]. */
const IMPORT_STORE_TYPE: Record<string, string> = { first_line_support_agreements: 'flsas' };

/** Columns of the example files on developer.4me.com/v1/import/<type>/ (normalized). */
const IMPORT_FIELDS: Record<string, readonly string[]> = {
	people: [
		'id', 'primary_email', 'source', 'source_id', 'disabled', 'name', 'picture_uri', 'organization', 'job_title', 'support_id',
		'authentication_id', 'employee_id', 'cost_per_hour', 'manager', 'site', 'location', 'information', 'time_zone',
		'time_format_24h', 'locale', 'auto_translation', 'do_not_translate_languages', 'work_hours', 'vip', 'ui_extension',
		'custom_data', 'custom_fields', 'created_at', 'updated_at',
	],
	organizations: [
		'id', 'source', 'source_id', 'disabled', 'name', 'business_unit', 'business_unit_organization', 'region',
		'parent_organization', 'manager', 'substitute', 'remarks', 'ui_extension', 'custom_fields', 'financial_id',
	],
	custom_collections: ['id', 'source', 'source_id', 'disabled', 'name', 'reference', 'picture_uri', 'ui_extension', 'description'],
	trusted_organizations: ['id', 'name', 'remarks', 'ui_extension', 'custom_fields', 'financial_id'],
	people_contact_details: [
		'person', 'contact_protocol', 'contact_label', 'contact_uri', 'address_label', 'address_address', 'address_city',
		'address_state', 'address_zip', 'address_country', 'integration',
	],
};

/** Fields a new record needs (people: pm:184 and the people example; contact details: their owner) [I]. */
const REQUIRED_FIELDS: Record<string, readonly string[]> = {
	people: ['name', 'primary_email'],
	people_contact_details: ['person'],
	organizations_contact_details: ['organization'],
};
/** Types without a name: nothing required, no natural key, every row without ID/Source creates [I]. */
const NAMELESS_IMPORT_TYPES = new Set([
	'ci_relations', 'notes', 'people_roles', 'organizations_time_allocations', 'out_of_office_periods', 'project_task_assignments',
	'project_task_template_assignments', 'shop_order_lines', 'survey_answers', 'survey_responses', 'task_approvals',
	'task_template_approvals', 'time_entries', 'waiting_for_customer_follow_ups',
]);
/** The natural key per type (pm:184); `name` for the others [I]. people_contact_details are not matched [I]. */
const NATURAL_KEYS: Record<string, string | undefined> = {
	people: 'primary_email',
	organizations_contact_details: 'organization',
	people_contact_details: undefined,
};

function requiredFields(type: string): readonly string[] {
	return REQUIRED_FIELDS[type] ?? (NAMELESS_IMPORT_TYPES.has(type) ? [] : ['name']);
}

function naturalKeyOf(type: string): string | undefined {
	if (Object.prototype.hasOwnProperty.call(NATURAL_KEYS, type)) return NATURAL_KEYS[type];
	return NAMELESS_IMPORT_TYPES.has(type) ? undefined : 'name';
}

/** `Primary Email` → `primary_email`, `Source ID` → `source_id`, `job_title` → `job_title`. */
export function fourMeImportField(label: string): string {
	return label.trim().toLowerCase().replace(/[\s-]+/g, '_');
}

/** `primary_email` → `Primary Email`, `source_id` → `Source ID`: the labels 4me's example files use. */
function fieldLabel(field: string): string {
	const special: Record<string, string> = { id: 'ID', ui: 'UI', uri: 'URI', vip: 'VIP' };
	return field
		.split('_')
		.map((word) => special[word] ?? word.charAt(0).toUpperCase() + word.slice(1))
		.join(' ');
}

interface ParsedRow {
	/** File line the row starts on (the header is line 1). */
	line: number;
	values: string[];
}

interface DelimitedParse {
	records: ParsedRow[];
	/** The first malformed record stops the parse; `atEnd` = an open quote at the end of the text. */
	error?: { message: string; atEnd: boolean };
}

/** RFC 4180 records with CRLF, LF or CR line ends; strict about quotes like Ruby's CSV. */
function parseDelimited(text: string, delimiter: string): DelimitedParse {
	const records: ParsedRow[] = [];
	const n = text.length;
	let i = 0;
	let line = 1;
	const isEnd = (ch: string | undefined) => ch === undefined || ch === '\n' || ch === '\r';
	while (i < n) {
		const start = line;
		const values: string[] = [];
		for (;;) {
			let value = '';
			if (text[i] === '"') {
				i++;
				for (;;) {
					if (i >= n) return { records, error: { message: `Unclosed quoted field on line ${start}`, atEnd: true } };
					const ch = text[i];
					if (ch === '"') {
						if (text[i + 1] === '"') {
							value += '"';
							i += 2;
							continue;
						}
						i++;
						break;
					}
					if (ch === '\n' || (ch === '\r' && text[i + 1] !== '\n')) line++;
					value += ch;
					i++;
				}
				if (text[i] !== delimiter && !isEnd(text[i])) return { records, error: { message: `Illegal quoting on line ${line}`, atEnd: false } };
			} else {
				const from = i;
				while (i < n && text[i] !== delimiter && !isEnd(text[i])) {
					if (text[i] === '"') return { records, error: { message: `Illegal quoting on line ${line}`, atEnd: false } };
					i++;
				}
				value = text.slice(from, i);
			}
			values.push(value);
			if (text[i] === delimiter) {
				i++;
				continue;
			}
			if (text[i] === '\r') i++;
			if (text[i] === '\n') i++;
			line++;
			break;
		}
		records.push({ line: start, values });
	}
	return { records };
}

interface DecodedImportFile {
	encoding: FourMeImportJob['encoding'];
	/** The text, cut before the line holding the first invalid byte when there is one. */
	text: string;
	error?: string;
}

/** UTF-16LE needs its BOM (FF FE); everything else is read as UTF-8, with or without BOM. */
function decodeImportFile(bytes: Buffer): DecodedImportFile {
	if (bytes[0] === 0xff && bytes[1] === 0xfe) {
		const body = bytes.subarray(2);
		const bad = firstInvalidUtf16le(body);
		if (bad < 0) return { encoding: 'utf-16le', text: body.toString('utf16le') };
		const valid = body.subarray(0, bad).toString('utf16le');
		const line = (valid.match(/\n/g)?.length ?? 0) + 1;
		return { encoding: 'utf-16le', text: valid.slice(0, valid.lastIndexOf('\n') + 1), error: `Invalid byte sequence in UTF-16LE on line ${line}` };
	}
	const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
	const body = bom ? bytes.subarray(3) : bytes;
	const encoding = bom ? 'utf-8-bom' : 'utf-8';
	if (isUtf8(body)) return { encoding, text: body.toString('utf8') };
	const valid = body.subarray(0, firstInvalidUtf8(body));
	let line = 1;
	for (const byte of valid) if (byte === 0x0a) line++;
	const text = valid.subarray(0, valid.lastIndexOf(0x0a) + 1).toString('utf8');
	return { encoding, text, error: `Invalid byte sequence in UTF-8 on line ${line}` }; // pm:165
}

/** Offset of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629), or -1. */
function firstInvalidUtf8(bytes: Buffer): number {
	let i = 0;
	while (i < bytes.length) {
		const b = bytes[i];
		if (b < 0x80) {
			i++;
			continue;
		}
		const extra = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
		if (extra < 0 || i + extra >= bytes.length) return i; // not a lead byte, or cut short
		for (let k = 1; k <= extra; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return i;
		const b1 = bytes[i + 1];
		if ((b === 0xe0 && b1 < 0xa0) || (b === 0xed && b1 >= 0xa0) || (b === 0xf0 && b1 < 0x90) || (b === 0xf4 && b1 >= 0x90)) return i;
		i += extra + 1;
	}
	return -1;
}

/** Offset of the first unpaired surrogate or a dangling odd byte, or -1. */
function firstInvalidUtf16le(bytes: Buffer): number {
	const units = Math.floor(bytes.length / 2);
	for (let u = 0; u < units; u++) {
		const unit = bytes.readUInt16LE(u * 2);
		if (unit >= 0xdc00 && unit <= 0xdfff) return u * 2;
		if (unit >= 0xd800 && unit <= 0xdbff) {
			const next = u + 1 < units ? bytes.readUInt16LE((u + 1) * 2) : -1;
			if (next < 0xdc00 || next > 0xdfff) return u * 2;
			u++;
		}
	}
	return bytes.length % 2 === 1 ? bytes.length - 1 : -1;
}

/** TSV when the header line has more TABs than commas [I]: 4me reads both (developer.4me.com/v1/import/). */
function detectDelimiter(text: string): ',' | '\t' {
	const end = text.search(/[\r\n]/);
	const header = end < 0 ? text : text.slice(0, end);
	const tabs = header.split('\t').length - 1;
	const commas = header.split(',').length - 1;
	return tabs > commas ? '\t' : ',';
}

interface ReadImportFile {
	encoding: FourMeImportJob['encoding'];
	delimiter: ',' | '\t';
	header: string[];
	columns: Array<string | undefined>;
	rows: ParsedRow[];
	notes: string[];
	/** Unrecoverable: the job applies `rows` (the ones before it), then ends in error. */
	error?: string;
}

function readImportFile(store: RecordStore, type: string, storeType: string, bytes: Buffer): ReadImportFile {
	const decoded = decodeImportFile(bytes);
	const text = decoded.text.charCodeAt(0) === 0xfeff ? decoded.text.slice(1) : decoded.text;
	const delimiter = detectDelimiter(text);
	const parsed = parseDelimited(text, delimiter);
	// A text cut at an invalid byte may end inside a quoted value: the encoding is the real error.
	const error = parsed.error && !(parsed.error.atEnd && decoded.error) ? parsed.error.message : decoded.error;
	const [headerRow, ...rows] = parsed.records;
	const header = headerRow ? headerRow.values.map((label) => label.trim()) : [];
	const { columns, notes } = mapImportHeader(store, type, storeType, header);
	const base = { encoding: decoded.encoding, delimiter, header, columns, notes };
	if (!columns.some((column) => column !== undefined)) {
		// [I] wording. A file cut by an encoding error before its header ends reports the encoding.
		return { ...base, rows: [], error: headerRow || !error ? `Header on line 1 names no known ${type} field` : error };
	}
	return { ...base, rows, error };
}

function mapImportHeader(store: RecordStore, type: string, storeType: string, header: string[]): { columns: Array<string | undefined>; notes: string[] } {
	const documented = IMPORT_FIELDS[type];
	const stored = new Set(store.columns(storeType));
	const seen = new Set<string>();
	const notes: string[] = [];
	const columns = header.map((label) => {
		const field = fourMeImportField(label);
		if (field === '') return undefined; // an empty label, e.g. after a trailing comma
		const known = FIELD_NAME.test(field) && (documented === undefined || documented.includes(field) || stored.has(field));
		if (!known) {
			notes.push(`Header: column '${label}' is not a ${type} field and was ignored`);
			return undefined;
		}
		if (seen.has(field)) {
			notes.push(`Header: column '${label}' repeats ${fieldLabel(field)} and was ignored`);
			return undefined;
		}
		seen.add(field);
		return field;
	});
	return { columns, notes };
}

interface ImportJobRuntime {
	job: FourMeImportJob;
	plan: ImportPlan;
	storeType: string;
	/** Data rows in file order; `next` is the first one not applied yet. */
	rows: ParsedRow[];
	next: number;
	/** The job ends in error after applying `afterRows` rows. */
	abort?: { message: string; afterRows: number };
	log: string[];
}

async function createImport(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse, caller: Caller, account: string): Promise<void> {
	requireImportRight(caller, account);
	const params = await readParams(req);
	const errors: Array<[string, string]> = [];
	const type = readImportType(params.fields.type, errors);
	const file = readImportFilePart(params.files, params.fields.file, errors);
	if (errors.length > 0 || !file) throw validationFailed(errors);
	const runtime = startImport(state, type, file, account, params.encoding);
	reply(res, 200, { token: runtime.job.token });
}

function readImportType(value: unknown, errors: Array<[string, string]>): string {
	if (value === undefined || value === null || value === '') {
		errors.push(['type', "can't be blank"]);
		return '';
	}
	const type = typeof value === 'string' ? value.trim() : '';
	// One type per import: `people,sites` is as unknown as `changes`.
	if (!IMPORT_TYPE_SET.has(type)) errors.push(['type', `'${String(value)}' is not a valid import type`]);
	return type;
}

/** The `file` must be a file part; a plain text field named file (curl -F file=<x) is refused [I]. */
function readImportFilePart(files: MultipartPart[], textField: unknown, errors: Array<[string, string]>): MultipartPart | undefined {
	const part = files.filter((candidate) => candidate.name === 'file').pop();
	if (!part) {
		const sentAsText = textField !== undefined && textField !== null && textField !== '';
		errors.push(['file', sentAsText ? 'must be an uploaded file (a multipart/form-data file part)' : "can't be blank"]);
		return undefined;
	}
	if (part.data.length === 0) {
		errors.push(['file', 'is empty']);
		return undefined;
	}
	return part;
}

function startImport(state: EmulatorState, type: string, file: MultipartPart, account: string, bodyEncoding: FourMeImportJob['bodyEncoding']): ImportJobRuntime {
	const storeType = IMPORT_STORE_TYPE[type] ?? type;
	const plan = state.faults.takeImportPlan(state.defaultPendingPolls);
	const read = readImportFile(state.store, type, storeType, file.data);
	const job: FourMeImportJob = {
		token: randomBytes(16).toString('hex'),
		account,
		type,
		fileName: file.filename,
		bytes: file.data.length,
		encoding: read.encoding,
		delimiter: read.delimiter,
		header: read.header,
		columns: read.columns,
		rows: read.rows.filter((row) => !isBlankRow(row)).length,
		bodyEncoding,
		createdAt: state.clock.now(),
		polls: 0,
		state: 'queued',
		line: 0,
		results: { created: 0, updated: 0, deleted: 0, unchanged: 0, failures: 0, errors: 0 },
	};
	const fileAbort = read.error === undefined ? undefined : { message: read.error, afterRows: read.rows.length };
	// The earlier of the importError fault and a broken file wins; on a tie, the fault.
	const abort = plan.error && (!fileAbort || plan.error.afterRows <= fileAbort.afterRows) ? plan.error : fileAbort;
	const runtime: ImportJobRuntime = { job, plan, storeType, rows: read.rows, next: 0, abort, log: [...read.notes] };
	state.imports.set(job.token, runtime);
	state.importList.push(job);
	return runtime;
}

function isBlankRow(row: ParsedRow): boolean {
	return row.values.every((value) => value === '');
}

function pollImport(state: EmulatorState, res: http.ServerResponse, caller: Caller, account: string, token: string): void {
	requireImportRight(caller, account);
	const runtime = state.imports.get(token);
	// Unknown, another account's, or finished more than 5 minutes ago (pm:172): all plain 404.
	if (!runtime || runtime.job.account !== account || isGone(state, runtime.job)) throw notFound();
	runtime.job.polls++;
	if (runtime.job.completedAt === undefined) advanceImport(state, runtime);
	reply(res, 200, importStatusBody(runtime.job));
}

/** Poll-driven like exports: queued, processing (applying a share of the rows per poll), then done/error. */
function advanceImport(state: EmulatorState, runtime: ImportJobRuntime): void {
	const { job, plan } = runtime;
	const limit = runtime.abort ? Math.min(runtime.abort.afterRows, runtime.rows.length) : runtime.rows.length;
	if (plan.neverFinish || job.polls <= plan.pendingPolls) {
		if (job.polls === 1) {
			job.state = 'queued';
			return;
		}
		job.state = 'processing';
		const share = plan.neverFinish ? 0.5 : (job.polls - 1) / plan.pendingPolls;
		applyImportRows(state, runtime, Math.floor(limit * share));
		return;
	}
	applyImportRows(state, runtime, limit);
	finishImport(state, runtime);
}

interface ImportIndex {
	bySource: Map<string, string>;
	byKey: Map<string, string>;
	naturalKey?: string;
}

const sourceKey = (source: string, sourceId: string) => `${source}\u0000${sourceId}`;

function naturalKeyValue(field: string, value: string): string {
	return field === 'primary_email' ? value.trim().toLowerCase() : value.trim();
}

/** Built once per poll from the store as it is then: test code may change records between polls. */
function buildImportIndex(store: RecordStore, storeType: string, naturalKey: string | undefined): ImportIndex {
	const index: ImportIndex = { bySource: new Map(), byKey: new Map(), naturalKey };
	const columns = ['id', 'source', 'source_id', ...(naturalKey ? [naturalKey] : [])];
	for (const values of store.rows(storeType, columns)) indexRecord(index, zipRow(columns, values));
	return index;
}

/** First record wins when several share a key. */
function indexRecord(index: ImportIndex, row: Row): void {
	if (row.source && row.source_id) {
		const key = sourceKey(row.source, row.source_id);
		if (!index.bySource.has(key)) index.bySource.set(key, row.id);
	}
	const natural = index.naturalKey ? naturalKeyValue(index.naturalKey, row[index.naturalKey] ?? '') : '';
	if (natural !== '' && !index.byKey.has(natural)) index.byKey.set(natural, row.id);
}

function applyImportRows(state: EmulatorState, runtime: ImportJobRuntime, upTo: number): void {
	if (runtime.next >= upTo) return;
	const index = buildImportIndex(state.store, runtime.storeType, naturalKeyOf(runtime.job.type));
	for (; runtime.next < upTo; runtime.next++) {
		const row = runtime.rows[runtime.next];
		applyImportRow(state, runtime, index, row);
		runtime.job.line = row.line;
	}
}

function applyImportRow(state: EmulatorState, runtime: ImportJobRuntime, index: ImportIndex, row: ParsedRow): void {
	const { job, storeType } = runtime;
	const results = job.results;
	const problem = (message: string): void => {
		runtime.log.push(`Line ${row.line}: ${message}`);
	};
	if (isBlankRow(row)) return;
	if (row.values.length > job.header.length) {
		results.errors++;
		return problem(`${row.values.length} values for ${job.header.length} columns`);
	}
	const values: Row = {};
	job.columns.forEach((field, at) => {
		if (field !== undefined && !READ_ONLY_FIELDS.has(field)) values[field] = row.values[at] ?? '';
	});
	const id = (values.id ?? '').trim();
	delete values.id;
	let existing: Row | undefined;
	if (id !== '') {
		existing = state.store.get(storeType, id);
		if (!existing) {
			results.failures++;
			return problem(`record with ID ${id} not found`);
		}
	} else if (values.source && values.source_id) {
		const found = index.bySource.get(sourceKey(values.source, values.source_id));
		existing = found === undefined ? undefined : state.store.get(storeType, found);
	} else if (index.naturalKey && values[index.naturalKey]) {
		const found = index.byKey.get(naturalKeyValue(index.naturalKey, values[index.naturalKey]));
		existing = found === undefined ? undefined : state.store.get(storeType, found);
	}
	const required = requiredFields(job.type);
	if (existing) {
		const changes: Row = {};
		for (const [field, value] of Object.entries(values)) if ((existing[field] ?? '') !== value) changes[field] = value;
		if (Object.keys(changes).length === 0) {
			results.unchanged++;
			return;
		}
		const invalid = validateImportValues(job.type, changes, required.filter((field) => field in changes));
		if (invalid) {
			results.failures++;
			return problem(invalid);
		}
		state.store.upsert(storeType, { id: existing.id, ...changes });
		indexRecord(index, { ...existing, ...changes });
		results.updated++;
		return;
	}
	const invalid = validateImportValues(job.type, values, required);
	if (invalid) {
		results.failures++;
		return problem(invalid);
	}
	const created: Row = { id: state.store.nextId(storeType), ...values, created_at: formatCsvTime(state.clock.now()) };
	state.store.upsert(storeType, created);
	indexRecord(index, created);
	results.created++;
}

/** Rails-like full messages: `Name can't be blank, Primary Email can't be blank`. */
function validateImportValues(type: string, values: Row, required: readonly string[]): string | undefined {
	const messages = required.filter((field) => (values[field] ?? '').trim() === '').map((field) => `${fieldLabel(field)} can't be blank`);
	const email = values.primary_email;
	if (type === 'people' && email !== undefined && email.trim() !== '' && !EMAIL.test(email.trim())) messages.push('Primary Email is invalid');
	return messages.length > 0 ? messages.join(', ') : undefined;
}

function finishImport(state: EmulatorState, runtime: ImportJobRuntime): void {
	const { job } = runtime;
	const now = state.clock.now();
	if (runtime.abort) {
		job.results.errors++;
		job.message = runtime.abort.message;
		job.state = 'error';
		runtime.log.push(`Error: ${runtime.abort.message}`);
	} else {
		job.state = 'done';
	}
	const r = job.results;
	const fileName = (job.fileName ?? 'import').split(/[\\/]/).pop();
	runtime.log.push(
		`Import of ${job.type} file '${fileName}' ${job.state === 'done' ? 'done' : 'aborted'}: ` +
			`${r.created} created, ${r.updated} updated, ${r.deleted} deleted, ${r.unchanged} unchanged, ${r.failures} failures, ${r.errors} errors`,
	);
	const text = `${runtime.log.join('\n')}\n`;
	const body = Buffer.from(text, 'utf8');
	const path = `/imports/${job.token}/${job.account}-${now.toISOString().slice(0, 10).replace(/-/g, '')}-${job.type}.log`;
	state.storageFiles.set(path, {
		body,
		contentType: 'text/plain; charset=utf-8',
		etag: `"${createHash('md5').update(body).digest('hex')}"`,
		lastModified: now.toUTCString(),
	});
	job.logText = text;
	job.logfile = presignedUrlV4(state, path, now, LOGFILE_VALIDITY_SECONDS);
	job.completedAt = now;
}

/** The documented answers (pm:160-171); the results object is a copy so later changes do not leak. */
function importStatusBody(job: FourMeImportJob): Record<string, unknown> {
	switch (job.state) {
		case 'queued':
			return { state: 'queued' };
		case 'processing':
			return { state: 'processing', line: job.line };
		case 'done':
			return { state: 'done', results: { ...job.results }, logfile: job.logfile };
		default:
			return { state: 'error', message: job.message, results: { ...job.results }, logfile: job.logfile };
	}
}

// ---------------------------------------------------------------------------------------------
// Storage server: S3 query-string authentication (signature version 2)

function s3Signature(secret: string, method: string, expires: string, path: string): string {
	return createHmac('sha1', secret).update(`${method}\n\n\n${expires}\n${path}`).digest('base64');
}

function presignedUrl(state: EmulatorState, path: string, expiresAt: Date): string {
	const expires = String(Math.floor(expiresAt.getTime() / 1000));
	const signature = encodeURIComponent(s3Signature(state.signingSecret, 'GET', expires, path));
	return `${state.storageOrigin}${path}?AWSAccessKeyId=${ACCESS_KEY_ID}&Expires=${expires}&Signature=${signature}`;
}

/**
 * The import log file link has the shape of the doc's example (`...sites.log?X-Amz-...&X-Amz-Expires=172800`,
 * pm:170): S3 signature version 4 query parameters. [I] The signature is an HMAC-SHA256 over method,
 * path, date and lifetime, not AWS's full canonical request: only this emulator checks it.
 */
function s3V4Signature(secret: string, method: string, path: string, amzDate: string, expiresSeconds: string): string {
	return createHmac('sha256', secret).update(`AWS4-HMAC-SHA256\n${method}\n${path}\n${amzDate}\n${expiresSeconds}`).digest('hex');
}

function presignedUrlV4(state: EmulatorState, path: string, signedAt: Date, expiresSeconds: number): string {
	const amzDate = signedAt.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z'); // 20240501T120000Z
	const credential = encodeURIComponent(`${ACCESS_KEY_ID}/${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`);
	const signature = s3V4Signature(state.signingSecret, 'GET', path, amzDate, String(expiresSeconds));
	return (
		`${state.storageOrigin}${path}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${credential}` +
		`&X-Amz-Date=${amzDate}&X-Amz-Expires=${expiresSeconds}&X-Amz-SignedHeaders=host&X-Amz-Signature=${signature}`
	);
}

function parseAmzDate(value: string): number {
	const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
	if (!match) return NaN;
	const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
	return Date.UTC(year, month - 1, day, hour, minute, second);
}

function s3Error(res: http.ServerResponse, status: number, code: string, message: string, headOnly: boolean, headers: Record<string, string> = {}): void {
	const requestId = randomBytes(8).toString('hex').toUpperCase();
	const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId><HostId>emulator</HostId></Error>`;
	const allHeaders = { ...headers, 'x-amz-request-id': requestId };
	if (headOnly) return sendEmpty(res, status, allHeaders);
	sendText(res, status, xml, 'application/xml', allHeaders);
}

function handleStorage(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse): void {
	logRequest(state.requests, 'storage', req);
	const method = req.method ?? 'GET';
	const headOnly = method === 'HEAD';
	if (method !== 'GET' && !headOnly) return s3Error(res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', false);
	// S3 refuses a pre-signed URL sent with an Authorization header: a leaked API token shows up here.
	if (req.headers.authorization !== undefined) {
		return s3Error(res, 400, 'InvalidArgument', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified', headOnly);
	}
	if (state.faults.takeStorageError()) return s3Error(res, 503, 'SlowDown', 'Please reduce your request rate.', headOnly);
	const [path, query = ''] = (req.url ?? '/').split('?');
	const denial = presignDenial(state, method, path, new URLSearchParams(query));
	if (denial) return s3Error(res, 403, denial.code, denial.message, headOnly);
	const file = state.storageFiles.get(path);
	if (!file) return s3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.', headOnly);
	sendStoredFile(state, req, res, file, headOnly);
}

/** The signature covers the method, so a HEAD on a GET-signed URL is refused, as on S3. */
function presignDenial(state: EmulatorState, method: string, path: string, query: URLSearchParams): { code: string; message: string } | undefined {
	if (query.has('X-Amz-Algorithm')) return presignV4Denial(state, method, path, query);
	const keyId = query.get('AWSAccessKeyId');
	const expires = query.get('Expires');
	const signature = query.get('Signature');
	if (!keyId || !expires || !signature) {
		return { code: 'AccessDenied', message: 'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters' };
	}
	if (keyId !== ACCESS_KEY_ID) return { code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' };
	if (signature !== s3Signature(state.signingSecret, method, expires, path)) {
		return { code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.' };
	}
	if (Number(expires) * 1000 < state.clock.now().getTime()) return { code: 'AccessDenied', message: 'Request has expired' };
	return undefined;
}

function presignV4Denial(state: EmulatorState, method: string, path: string, query: URLSearchParams): { code: string; message: string } | undefined {
	const credential = query.get('X-Amz-Credential') ?? '';
	const amzDate = query.get('X-Amz-Date') ?? '';
	const expires = query.get('X-Amz-Expires') ?? '';
	const signature = query.get('X-Amz-Signature') ?? '';
	if (query.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' || !credential || !amzDate || !expires || !signature) {
		return { code: 'AuthorizationQueryParametersError', message: 'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.' };
	}
	if (credential.split('/')[0] !== ACCESS_KEY_ID) return { code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' };
	if (signature !== s3V4Signature(state.signingSecret, method, path, amzDate, expires)) {
		return { code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.' };
	}
	if (parseAmzDate(amzDate) + Number(expires) * 1000 < state.clock.now().getTime()) return { code: 'AccessDenied', message: 'Request has expired' };
	return undefined;
}

function sendStoredFile(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse, file: StoredFile, headOnly: boolean): void {
	const size = file.body.length;
	const range = parseByteRange(headerValue(req, 'range'), size);
	if (range.kind === 'unsatisfiable') {
		return s3Error(res, 416, 'InvalidRange', 'The requested range is not satisfiable', headOnly, { 'Content-Range': `bytes */${size}` });
	}
	const headers: Record<string, string> = {
		'Content-Type': file.contentType,
		'Accept-Ranges': 'bytes',
		ETag: file.etag,
		'Last-Modified': file.lastModified,
	};
	let status = 200;
	let body = file.body;
	if (range.kind === 'range') {
		status = 206;
		body = file.body.subarray(range.start, range.end + 1);
		headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
	}
	const cutAfterBytes = headOnly ? undefined : state.faults.takeTruncation(body.length);
	sendBytes(res, status, body, headers, { cutAfterBytes, headOnly });
}

// ---------------------------------------------------------------------------------------------
// Start

export async function startFourMeEmulator(options: FourMeEmulatorOptions = {}): Promise<FourMeEmulator> {
	const clock = createClock();
	const store = new RecordStore(clock);
	if (options.seed !== false) seedRecords(store, clock.now().getTime());
	const token = `emu-token-${randomBytes(12).toString('hex')}`;
	const tokenWithoutExportScope = `emu-token-noexport-${randomBytes(8).toString('hex')}`;
	const tokenWithoutImportScope = `emu-token-noimport-${randomBytes(8).toString('hex')}`;
	const state: EmulatorState = {
		clock,
		store,
		faults: createFaults(),
		cache: new CsvCache(),
		callers: new Map([
			[token, { name: 'Howard Tanner', email: 'howard.tanner@widget.com', defaultAccount: 'wdc', canExport: true, canImport: true }],
			[tokenWithoutExportScope, { name: 'Ellen Brown', email: 'ellen.brown@widget.com', defaultAccount: 'wdc', canExport: false, canImport: false }],
			[tokenWithoutImportScope, { name: 'Howard Tanner', email: 'howard.tanner@widget.com', defaultAccount: 'wdc', canExport: true, canImport: false }],
		]),
		jobs: new Map(),
		jobList: [],
		imports: new Map(),
		importList: [],
		requests: [],
		storageFiles: new Map(),
		storageOrigin: '',
		signingSecret: randomBytes(20).toString('hex'),
		defaultPendingPolls: options.pollsUntilDone ?? DEFAULT_POLLS_UNTIL_DONE,
		fullExportDays: new Map(),
		rateLimiter: createRateLimiter(clock),
	};
	const servers = await startApiAndStorage((req, res) => handleApi(state, req, res), (req, res) => handleStorage(state, req, res), options);
	state.storageOrigin = servers.storageOrigin;
	return {
		apiUrl: `${servers.api.origin}/v1`,
		storageOrigin: state.storageOrigin,
		token,
		tokenWithoutExportScope,
		tokenWithoutImportScope,
		account: 'wdc',
		otherAccount: 'wna-it',
		clock,
		records: store,
		faults: state.faults,
		requests: state.requests,
		jobs: state.jobList,
		imports: state.importList,
		releaseJobs: () => {
			for (const runtime of state.jobs.values()) {
				runtime.plan.neverFinish = false;
				runtime.plan.pendingPolls = 0;
			}
		},
		close: async () => {
			await Promise.all([servers.api.close(), servers.storage.close()]);
		},
	};
}

// `node --import tsx test/emulators/fourme.ts`: run it for a demo.
if (require.main === module) {
	runFromCommandLine(
		() => startFourMeEmulator({ port: Number(process.env.PORT) || undefined }),
		(emulator) => [
			`4me emulator API:     ${emulator.apiUrl}`,
			`storage (downloads):  ${emulator.storageOrigin}`,
			`token:                ${emulator.token}`,
			`account:              ${emulator.account}`,
		],
	);
}
