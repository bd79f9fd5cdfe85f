/**
 * Local emulator of a "202 Accepted + Location header" export-job API whose status monitor carries
 * the rows inline when the job succeeds: the common REST long-running-operation pattern, for tests of
 * the generic "Async Export (HTTP)" node.
 *
 * The wire protocol is the documented Microsoft one, not an invention:
 *   - Microsoft REST API Guidelines, "13.2 Stepwise long running operations" (repo microsoft/api-guidelines,
 *     Guidelines.md of 2016, now graph/Guidelines-deprecated.md): "The server MUST indicate the request has
 *     been started by responding with a 202 Accepted status code. The response SHOULD include the location
 *     header containing a URL that the client should poll for the results after waiting the number of
 *     seconds specified in the Retry-After header. Client polls the location until receiving a 200 response
 *     with a terminal operation state." The operation resource has createdDateTime, lastActionDateTime,
 *     status "notstarted | running | succeeded | failed" (NotStarted, Running, Succeeded, Failed; MAY add
 *     Cancelled), optional percentComplete, and resourceLocation on completion; "Services MAY support
 *     operation cancellation by exposing DELETE on the operation", which MUST be idempotent; results
 *     retained at least 24 hours (13.3). Status answers may carry Retry-After (13.2.7 example).
 *   - Microsoft Graph pattern "Long running operations" (graph/patterns/long-running-operations.md): the
 *     stepwise operation answers `HTTP/1.1 202 Accepted` with `Location: …/operations/123`; polling returns
 *     200 {"status": "running"} with Retry-After, then {"status": "succeeded", "resourceLocation": …}.
 *   - Azure REST API Guidelines (azure/Guidelines.md, "Long-running operations"): the status monitor is
 *     {id, status ("NotStarted", "Running", "Succeeded", "Failed", "Canceled"), error (ErrorDetail when
 *     Failed), result ("Only for POST action-type LRO, the results of the operation when completed
 *     successfully")}; Retry-After on status GETs while not complete; the initial 202 returns the status
 *     monitor in its body; `Operation-Id` request header may name the operation (400 when it repeats a
 *     different request). Errors use {"error": {"code", "message", "target"?}}.
 *   - RFC 7231 §6.3.3 (202: "point to (or embed) a status monitor"), §6.4.4 (303 See Other: "the server is
 *     redirecting the user agent to a different resource … the result of a POST"), §7.1.2 (Location may be
 *     a relative reference), §7.1.3 (Retry-After: delay-seconds or HTTP-date).
 * The main shape (result: "inline") is the Azure POST action-type LRO: rows inline in `result.rows` of the
 * status monitor. Variants: "resourceLocation" (Graph / 2016: status carries resourceLocation, GET it for
 * the rows) and "see-other" (RFC 7231: the finished status monitor answers 303 to the result resource).
 * The export vocabulary (POST /exports {dataset, properties, filter}; contacts and deals datasets with
 * HubSpot-like properties) is [I]: it is the emulator's own, for the generic node to be configured against.
 * [I] marks a choice made where the documents are silent.
 */
import { createHash, randomUUID } from 'node:crypto';
import type * as http from 'node:http';
import { createClock, type EmulatorClock } from './clock';
import { headerValue, logRequest, parseContentType, readBody, runFromCommandLine, sendBytes, startServer, type LoggedRequest } from './http';

// ---------------------------------------------------------------------------------------------
// Public API

export type LocationJobDataset = 'contacts' | 'deals';
export const LOCATION_JOB_DATASETS: readonly LocationJobDataset[] = ['contacts', 'deals'];

/** Status values as the 2016 guidelines / Graph write them ("camel"), or as the Azure guidelines do ("pascal"). */
export type LocationJobStatus = 'notStarted' | 'running' | 'succeeded' | 'failed' | 'canceled';

export type LocationJobRow = Record<string, string | number | boolean | null> & { id: string };

export type LocationJobsAuth = { kind: 'bearer' } | { kind: 'api-key'; header?: string };

export interface LocationJobsGenerateOptions {
	/** updatedAt spread over [since, until] (default: the last 30 days). */
	since?: Date;
	until?: Date;
}

export interface LocationJobsData {
	/** Replaces the rows of a dataset with `count` deterministic ones (ids "1001", "1002", …). */
	generate(dataset: LocationJobDataset, count: number, options?: LocationJobsGenerateOptions): void;
	/** Creates or updates a row by id; returns a copy. */
	upsert(dataset: LocationJobDataset, row: Partial<LocationJobRow>): LocationJobRow;
	list(dataset: LocationJobDataset): LocationJobRow[];
	clear(dataset: LocationJobDataset): void;
}

export interface LocationJobsFaults {
	/** The next `count` requests answer 429 with Retry-After (seconds, default 1; or an HTTP date ~2 s ahead). */
	rateLimit(count: number, retryAfter?: number | 'http-date'): void;
	/** The next `count` requests answer `status` (default 503, with Retry-After: 1; 500 without). */
	serverError(count: number, status?: number): void;
	/** The next export ends failed with this error (default code "ExportFailed"). */
	failJob(message?: string, code?: string): void;
	/** The next export answers `polls` status GETs as notStarted/running before its final state. */
	pollsUntilDone(polls: number): void;
	/** The next export stays running. */
	neverFinish(): void;
	/** The next `count` answers that carry rows announce the full Content-Length, then drop the connection after `atBytes` (default: half). */
	truncateDownload(count: number, atBytes?: number): void;
	reset(): void;
}

export interface LocationJobRecord {
	id: string;
	dataset: LocationJobDataset;
	properties: string[];
	filter: { updatedAfter?: string };
	status: LocationJobStatus;
	percentComplete: number;
	createdDateTime: Date;
	lastActionDateTime: Date;
	polls: number;
	error: { code: string; message: string } | null;
	/** Row count once succeeded. */
	rowCount: number | null;
	requestBody: Record<string, unknown>;
}

export interface LocationJobsLoggedRequest extends LoggedRequest<'api'> {
	body?: string;
}

export interface LocationJobsEmulator {
	/** http://127.0.0.1:<port>; POST /exports starts a job. */
	baseUrl: string;
	/** The credential: a bearer token or an API key, as `auth` says. */
	token: string;
	/** The header a client sends the credential in: `Authorization` (value `Bearer <token>`) or the API-key header. */
	authHeader: string;
	/** The value to send in `authHeader`. */
	authValue: string;
	clock: EmulatorClock;
	data: LocationJobsData;
	faults: LocationJobsFaults;
	readonly jobs: LocationJobRecord[];
	/** Forgets a job as the retention period does (404 afterwards). */
	expireJob(id: string): void;
	requests: LocationJobsLoggedRequest[];
	close(): Promise<void>;
}

export interface LocationJobsEmulatorOptions {
	port?: number;
	/** Default { kind: 'bearer' }; { kind: 'api-key', header: 'X-API-Key' } for a key header (default header name `api-key`, as Azure services name it). */
	auth?: LocationJobsAuth;
	/** Location as a relative reference (default, RFC 7231 §7.1.2 allows it) or an absolute URL (as the Graph/Azure examples). */
	location?: 'relative' | 'absolute';
	/** Default 'Location' (2016 guidelines, Graph); 'Operation-Location' is the Azure header. */
	locationHeader?: 'Location' | 'Operation-Location';
	/** Retry-After seconds on the 202 and on unfinished status answers (default 1; null: none). */
	retryAfterSeconds?: number | null;
	/** Where the rows are: 'inline' (default, result.rows), 'resourceLocation', or 'see-other' (303). */
	result?: 'inline' | 'resourceLocation' | 'see-other';
	/** 'camel' (default: notStarted, running, succeeded, failed, canceled) or 'pascal' (NotStarted, …). */
	statusStyle?: 'camel' | 'pascal';
	/** Rows per page of a result; further pages are linked by `nextLink` (absolute, Azure paging). Default: all rows in one. */
	rowsPerPage?: number;
	/** Status GETs answered notStarted/running before the final state (default 2). */
	pollsUntilDone?: number;
	/** Time-driven mode: a job finishes this long after creation (emulator clock); polls then do not count. */
	completeAfterMs?: number;
	/** How long a finished job stays (default 24 hours, the guidelines' minimum). */
	retentionMs?: number;
	/** 40 contacts and 15 deals with awkward values (default true). */
	seed?: boolean;
	frozenClock?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Data

const SECOND = 1000;
const DAY = 24 * 3600 * SECOND;
const FIRST = ['Brian', 'Maria', 'Zoë', 'José', 'Mei', "Siobhán", 'Łukasz', 'Ada'];
const LAST = ['Halligan', 'Johnson', 'Müller', 'García', "O'Connor", 'Nguyen', '佐藤', 'Lovelace'];
const COMPANIES = ['HubSpot-like Inc.', 'Acme, Ltd.', 'Globex "Intl"', 'Initech', null];
const STAGES = ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer'];
const DEAL_STAGES = ['appointmentscheduled', 'qualifiedtobuy', 'presentationscheduled', 'closedwon', 'closedlost'];

/** The properties of each dataset, in output order. */
const PROPERTIES: Record<LocationJobDataset, string[]> = {
	contacts: ['id', 'email', 'firstName', 'lastName', 'company', 'lifecycleStage', 'notes', 'createdAt', 'updatedAt'],
	deals: ['id', 'name', 'amount', 'stage', 'closeDate', 'createdAt', 'updatedAt'],
};

function generatedRow(dataset: LocationJobDataset, n: number, createdMs: number, updatedMs: number): LocationJobRow {
	const createdAt = new Date(createdMs).toISOString();
	const updatedAt = new Date(updatedMs).toISOString();
	if (dataset === 'contacts') {
		const first = FIRST[n % FIRST.length];
		const last = LAST[Math.floor(n / FIRST.length) % LAST.length];
		return {
			id: String(1001 + n),
			email: n % 9 === 8 ? null : `${first}.${last}.${n}@example.com`.toLowerCase().replace(/[^a-z0-9.@]/g, ''),
			firstName: first,
			lastName: last,
			company: COMPANIES[n % COMPANIES.length],
			lifecycleStage: STAGES[n % STAGES.length],
			notes: n % 7 === 3 ? 'Met at "Inbound"\nFollow up, please' : n % 11 === 5 ? 'Café ☕ – 日本語 😀' : null,
			createdAt,
			updatedAt,
		};
	}
	return {
		id: String(5001 + n),
		name: `Deal ${n + 1}${n % 4 === 0 ? ' – renewal, "Q3"' : ''}`,
		amount: n % 6 === 5 ? null : Math.round((500 + ((n * 977) % 50000)) * 100) / 100,
		stage: DEAL_STAGES[n % DEAL_STAGES.length],
		closeDate: new Date(updatedMs + 30 * DAY).toISOString().slice(0, 10),
		createdAt,
		updatedAt,
	};
}

class RowStore implements LocationJobsData {
	private readonly rows: Record<LocationJobDataset, Map<string, LocationJobRow>> = { contacts: new Map(), deals: new Map() };
	private next: Record<LocationJobDataset, number> = { contacts: 0, deals: 0 };

	constructor(private readonly clock: EmulatorClock) {}

	generate(dataset: LocationJobDataset, count: number, options: LocationJobsGenerateOptions = {}): void {
		assertDataset(dataset);
		if (!Number.isInteger(count) || count < 0 || count > 1_000_000) throw new Error('data.generate: count must be an integer from 0 to 1,000,000');
		const untilMs = (options.until ?? this.clock.now()).getTime();
		const sinceMs = (options.since ?? new Date(untilMs - 30 * DAY)).getTime();
		const map = new Map<string, LocationJobRow>();
		for (let n = 0; n < count; n++) {
			const updatedMs = Math.floor((sinceMs + ((untilMs - sinceMs) * (n + 1)) / Math.max(1, count)) / SECOND) * SECOND;
			const row = generatedRow(dataset, n, updatedMs - (n % 15) * DAY, updatedMs);
			map.set(row.id, row);
		}
		this.rows[dataset] = map;
		this.next[dataset] = count;
	}

	upsert(dataset: LocationJobDataset, input: Partial<LocationJobRow>): LocationJobRow {
		assertDataset(dataset);
		const now = this.clock.now().getTime();
		const existing = input.id ? this.rows[dataset].get(input.id) : undefined;
		const base = existing ?? { ...generatedRow(dataset, this.next[dataset]++, now, now), ...(input.id ? { id: input.id } : {}) };
		const given = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
		for (const key of Object.keys(given)) if (!PROPERTIES[dataset].includes(key)) throw new Error(`data.upsert: ${dataset} has no property ${key}`);
		const merged = { ...base, ...given, updatedAt: (given.updatedAt as string | undefined) ?? new Date(now).toISOString() } as LocationJobRow;
		this.rows[dataset].set(merged.id, merged);
		return { ...merged };
	}

	list(dataset: LocationJobDataset): LocationJobRow[] {
		assertDataset(dataset);
		return this.sorted(dataset).map((row) => ({ ...row }));
	}

	clear(dataset: LocationJobDataset): void {
		assertDataset(dataset);
		this.rows[dataset] = new Map();
	}

	/** By numeric id [I: the export order]. Not copied. */
	sorted(dataset: LocationJobDataset): LocationJobRow[] {
		return Array.from(this.rows[dataset].values()).sort((a, b) => Number(a.id) - Number(b.id) || (a.id < b.id ? -1 : 1));
	}
}

function assertDataset(dataset: string): asserts dataset is LocationJobDataset {
	if (!(LOCATION_JOB_DATASETS as readonly string[]).includes(dataset)) throw new Error(`"${dataset}" is not a dataset (${LOCATION_JOB_DATASETS.join(', ')})`);
}

// ---------------------------------------------------------------------------------------------
// Faults

interface JobPlan {
	pollsUntilDone: number;
	neverFinish: boolean;
	fail?: { code: string; message: string };
}

interface ApiFault {
	status: number;
	code: string;
	message: string;
	headers: Record<string, string>;
}

interface FaultState extends LocationJobsFaults {
	takeApiFault(): ApiFault | undefined;
	takePlan(defaultPolls: number): JobPlan;
	takeTruncation(size: number): number | undefined;
}

function createFaults(): FaultState {
	const fresh = () => ({
		rateLimit: { count: 0, retryAfter: 1 as number | 'http-date' },
		serverError: { count: 0, status: 503 },
		next: {} as Partial<JobPlan>,
		truncate: { count: 0, atBytes: undefined as number | undefined },
	});
	let state = fresh();
	return {
		rateLimit: (count, retryAfter = 1) => {
			state.rateLimit = { count, retryAfter };
		},
		serverError: (count, status = 503) => {
			state.serverError = { count, status };
		},
		failJob: (message = 'The export could not be completed: the data source timed out.', code = 'ExportFailed') => {
			state.next.fail = { code, message };
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
		takeApiFault: (): ApiFault | undefined => {
			if (state.rateLimit.count > 0) {
				state.rateLimit.count--;
				const value = state.rateLimit.retryAfter;
				// An HTTP date is compared with the client's real clock, so it is real time.
				const header = value === 'http-date' ? new Date(Math.ceil((Date.now() + 2 * SECOND) / SECOND) * SECOND).toUTCString() : String(value);
				return { status: 429, code: 'TooManyRequests', message: 'Rate limit exceeded. Retry after the time in the Retry-After header.', headers: { 'Retry-After': header } };
			}
			if (state.serverError.count > 0) {
				state.serverError.count--;
				const status = state.serverError.status;
				// Guidelines 14.2: 503 for load shedding, with a hint how long to wait.
				return status === 503
					? { status, code: 'ServiceUnavailable', message: 'The service is temporarily unavailable.', headers: { 'Retry-After': '1' } }
					: { status, code: 'InternalServerError', message: 'An internal error occurred.', headers: {} };
			}
			return undefined;
		},
		takePlan: (defaultPolls) => {
			const next = state.next;
			state.next = {};
			return { pollsUntilDone: next.pollsUntilDone ?? defaultPolls, neverFinish: next.neverFinish === true, fail: next.fail };
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
	record: LocationJobRecord;
	plan: JobPlan;
	rows?: LocationJobRow[];
	/** Hash of the create request, for Operation-Id retries. */
	fingerprint: string;
	finishedMs?: number;
}

interface Settings {
	auth: LocationJobsAuth;
	location: 'relative' | 'absolute';
	locationHeader: 'Location' | 'Operation-Location';
	retryAfterSeconds: number | null;
	result: 'inline' | 'resourceLocation' | 'see-other';
	statusStyle: 'camel' | 'pascal';
	rowsPerPage?: number;
	defaultPolls: number;
	completeAfterMs?: number;
	retentionMs: number;
}

interface EmulatorState {
	clock: EmulatorClock;
	store: RowStore;
	faults: FaultState;
	jobs: Map<string, JobRuntime>;
	requests: LocationJobsLoggedRequest[];
	token: string;
	origin: string;
	settings: Settings;
}

const TERMINAL: ReadonlySet<LocationJobStatus> = new Set(['succeeded', 'failed', 'canceled']);

function finish(state: EmulatorState, runtime: JobRuntime): void {
	const record = runtime.record;
	const now = state.clock.now();
	record.lastActionDateTime = now;
	runtime.finishedMs = now.getTime();
	if (runtime.plan.fail) {
		record.status = 'failed';
		record.error = runtime.plan.fail;
		return;
	}
	const after = record.filter.updatedAfter ? Date.parse(record.filter.updatedAfter) : undefined;
	runtime.rows = state.store
		.sorted(record.dataset)
		.filter((row) => after === undefined || Date.parse(String(row.updatedAt)) > after)
		.map((row) => Object.fromEntries(record.properties.map((property) => [property, row[property] ?? null])) as LocationJobRow);
	record.rowCount = runtime.rows.length;
	record.percentComplete = 100;
	record.status = 'succeeded';
}

function advance(state: EmulatorState, runtime: JobRuntime, countsAsPoll: boolean): void {
	const { record, plan } = runtime;
	if (TERMINAL.has(record.status)) return;
	if (countsAsPoll) record.polls++;
	const now = state.clock.now();
	const setRunning = (percent: number) => {
		if (record.status !== 'running') record.lastActionDateTime = now;
		record.status = 'running';
		record.percentComplete = Math.max(record.percentComplete, Math.min(99, Math.floor(percent)));
	};
	if (plan.neverFinish) {
		if (countsAsPoll) setRunning(Math.min(90, record.polls * 10));
		return;
	}
	const settings = state.settings;
	if (settings.completeAfterMs !== undefined) {
		const elapsed = now.getTime() - record.createdDateTime.getTime();
		if (elapsed >= settings.completeAfterMs) return finish(state, runtime);
		if (elapsed > 0) setRunning((elapsed / settings.completeAfterMs) * 100);
		return;
	}
	if (!countsAsPoll) return;
	if (record.polls > plan.pollsUntilDone) return finish(state, runtime);
	// First poll still notStarted when there are at least two polls to go [I], like the queue of a real service.
	if (record.polls === 1 && plan.pollsUntilDone >= 2) return;
	setRunning((record.polls / (plan.pollsUntilDone + 1)) * 100);
}

function sweepRetention(state: EmulatorState): void {
	const now = state.clock.now().getTime();
	for (const [id, runtime] of state.jobs) {
		if (runtime.finishedMs !== undefined && now - runtime.finishedMs >= state.settings.retentionMs) state.jobs.delete(id);
	}
}

function statusText(state: EmulatorState, status: LocationJobStatus): string {
	return state.settings.statusStyle === 'pascal' ? status[0].toUpperCase() + status.slice(1) : status;
}

function jobPath(id: string): string {
	return `/exports/${encodeURIComponent(id)}`;
}

function link(state: EmulatorState, path: string, absolute = state.settings.location === 'absolute'): string {
	return absolute ? `${state.origin}${path}` : path;
}

/** One page of rows and, when more follow, the absolute nextLink (Azure paging: omitted on the last page). */
function page(state: EmulatorState, runtime: JobRuntime, pageNumber: number): { rows: LocationJobRow[]; nextLink?: string } {
	const rows = runtime.rows ?? [];
	const size = state.settings.rowsPerPage ?? Math.max(1, rows.length);
	const slice = rows.slice((pageNumber - 1) * size, pageNumber * size);
	const out: { rows: LocationJobRow[]; nextLink?: string } = { rows: slice };
	if (pageNumber * size < rows.length) out.nextLink = `${state.origin}${jobPath(runtime.record.id)}/result?page=${pageNumber + 1}`;
	return out;
}

/** The status monitor JSON (Azure OperationStatus plus the 2016 guidelines' fields). */
function statusMonitor(state: EmulatorState, runtime: JobRuntime): Record<string, unknown> {
	const record = runtime.record;
	const body: Record<string, unknown> = {
		id: record.id,
		status: statusText(state, record.status),
		createdDateTime: record.createdDateTime.toISOString(),
		lastActionDateTime: record.lastActionDateTime.toISOString(),
		percentComplete: record.percentComplete,
	};
	if (record.status === 'failed' && record.error) body.error = { code: record.error.code, message: record.error.message };
	if (record.status === 'succeeded') {
		if (state.settings.result === 'inline') body.result = { rowCount: record.rowCount, ...page(state, runtime, 1) };
		else body.resourceLocation = `${state.origin}${jobPath(record.id)}/result`;
	}
	return body;
}

// ---------------------------------------------------------------------------------------------
// API server

class ApiError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
		readonly headers: Record<string, string> = {},
		readonly target?: string,
	) {
		super(message);
	}
}

function sendJsonBody(state: EmulatorState, res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string | number> = {}, withRows = false): void {
	const bytes = Buffer.from(JSON.stringify(body), 'utf8');
	const cutAfterBytes = withRows ? state.faults.takeTruncation(bytes.length) : undefined;
	sendBytes(res, status, bytes, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'x-ms-request-id': randomUUID() }, { cutAfterBytes });
}

function sendError(state: EmulatorState, res: http.ServerResponse, error: ApiError): void {
	const detail: Record<string, unknown> = { code: error.code, message: error.message };
	if (error.target) detail.target = error.target;
	sendJsonBody(state, res, error.status, { error: detail }, { ...error.headers, 'x-ms-error-code': error.code });
}

function authenticate(state: EmulatorState, req: http.IncomingMessage): void {
	const auth = state.settings.auth;
	if (auth.kind === 'bearer') {
		const match = /^Bearer\s+(\S+)\s*$/i.exec(headerValue(req, 'authorization') ?? '');
		if (!match || match[1] !== state.token) throw new ApiError(401, 'Unauthorized', 'Access token is missing, invalid or expired.', { 'WWW-Authenticate': 'Bearer realm="exports", error="invalid_token"' });
		return;
	}
	const header = (auth.header ?? 'api-key').toLowerCase();
	if (headerValue(req, header) !== state.token) throw new ApiError(401, 'Unauthorized', `The ${auth.header ?? 'api-key'} header is missing or does not hold a valid key.`);
}

function retryAfter(state: EmulatorState): Record<string, string> {
	return state.settings.retryAfterSeconds === null ? {} : { 'Retry-After': String(state.settings.retryAfterSeconds) };
}

async function handleApi(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
	const base = logRequest<'api'>([], 'api', req);
	const entry: LocationJobsLoggedRequest = { ...base };
	state.requests.push(entry);
	try {
		const raw = await readBody(req, 4 * 1024 * 1024);
		entry.body = raw.toString('utf8');
		const fault = state.faults.takeApiFault();
		if (fault) throw new ApiError(fault.status, fault.code, fault.message, fault.headers);
		authenticate(state, req);
		sweepRetention(state);
		const method = req.method ?? 'GET';
		const path = base.path.replace(/\/+$/, '') || '/';
		if (path === '/exports') {
			if (method !== 'POST') throw new ApiError(405, 'MethodNotAllowed', `${method} is not allowed on /exports.`, { Allow: 'POST' });
			return createExport(state, req, res, raw);
		}
		const match = /^\/exports\/([^/]+)(\/result)?$/.exec(path);
		if (!match) throw new ApiError(404, 'NotFound', `No resource at ${path}.`);
		const id = decodeURIComponent(match[1]);
		const runtime = state.jobs.get(id);
		if (!runtime) throw new ApiError(404, 'NotFound', `Export ${id} does not exist or has expired.`);
		if (match[2]) {
			if (method !== 'GET') throw new ApiError(405, 'MethodNotAllowed', `${method} is not allowed on the result.`, { Allow: 'GET' });
			return sendResult(state, res, runtime, base.url);
		}
		if (method === 'GET') return sendStatus(state, res, runtime);
		if (method === 'DELETE') return cancelExport(state, res, runtime);
		throw new ApiError(405, 'MethodNotAllowed', `${method} is not allowed on an export.`, { Allow: 'GET, DELETE' });
	} catch (error) {
		if (error instanceof ApiError) return sendError(state, res, error);
		throw error;
	}
}

function createExport(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer): void {
	if (parseContentType(headerValue(req, 'content-type')).mediaType !== 'application/json') {
		throw new ApiError(415, 'UnsupportedMediaType', 'Send the export request as application/json.');
	}
	let body: Record<string, unknown>;
	try {
		const parsed: unknown = JSON.parse(raw.toString('utf8'));
		if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
		body = parsed as Record<string, unknown>;
	} catch (error) {
		throw new ApiError(400, 'InvalidRequest', `The body is not a JSON object: ${(error as Error).message}`);
	}
	// Guidelines: validate synchronously, so only valid requests become operations.
	const dataset = body.dataset;
	if (typeof dataset !== 'string' || !(LOCATION_JOB_DATASETS as readonly string[]).includes(dataset)) {
		throw new ApiError(400, 'InvalidRequest', `dataset must be one of ${LOCATION_JOB_DATASETS.join(', ')}.`, {}, 'dataset');
	}
	const known = PROPERTIES[dataset as LocationJobDataset];
	let properties = known;
	if (body.properties !== undefined) {
		if (!Array.isArray(body.properties) || body.properties.some((p) => typeof p !== 'string')) throw new ApiError(400, 'InvalidRequest', 'properties must be an array of strings.', {}, 'properties');
		const unknown = (body.properties as string[]).filter((p) => !known.includes(p));
		if (unknown.length > 0) throw new ApiError(400, 'InvalidRequest', `Unknown properties for ${dataset}: ${unknown.join(', ')}.`, {}, 'properties');
		properties = known.filter((p) => p === 'id' || (body.properties as string[]).includes(p));
	}
	const filter: { updatedAfter?: string } = {};
	if (body.filter !== undefined) {
		const given = body.filter as Record<string, unknown> | null;
		if (given === null || typeof given !== 'object' || Array.isArray(given)) throw new ApiError(400, 'InvalidRequest', 'filter must be an object.', {}, 'filter');
		if (given.updatedAfter !== undefined) {
			if (typeof given.updatedAfter !== 'string' || Number.isNaN(Date.parse(given.updatedAfter))) throw new ApiError(400, 'InvalidRequest', 'filter.updatedAfter must be an ISO 8601 date-time.', {}, 'filter.updatedAfter');
			filter.updatedAfter = given.updatedAfter;
		}
	}
	const fingerprint = createHash('sha256').update(JSON.stringify({ dataset, properties, filter })).digest('hex');
	const requestedId = headerValue(req, 'operation-id');
	if (requestedId !== undefined) {
		if (!/^[A-Za-z0-9_.-]{1,128}$/.test(requestedId)) throw new ApiError(400, 'InvalidRequest', 'Operation-Id may hold letters, digits, "-", "_" and "." only.', {}, 'Operation-Id');
		const existing = state.jobs.get(requestedId);
		if (existing) {
			// Azure guidelines: a repeated Operation-Id is a retry only when the request is identical.
			if (existing.fingerprint !== fingerprint) throw new ApiError(400, 'InvalidRequest', `Operation-Id ${requestedId} is already used by a different request.`, {}, 'Operation-Id');
			return sendAccepted(state, res, existing);
		}
	}
	const now = state.clock.now();
	const record: LocationJobRecord = {
		id: requestedId ?? randomUUID(),
		dataset: dataset as LocationJobDataset,
		properties,
		filter,
		status: 'notStarted',
		percentComplete: 0,
		createdDateTime: now,
		lastActionDateTime: now,
		polls: 0,
		error: null,
		rowCount: null,
		requestBody: body,
	};
	const runtime: JobRuntime = { record, plan: state.faults.takePlan(state.settings.defaultPolls), fingerprint };
	state.jobs.set(record.id, runtime);
	sendAccepted(state, res, runtime);
}

function sendAccepted(state: EmulatorState, res: http.ServerResponse, runtime: JobRuntime): void {
	const headers: Record<string, string> = { [state.settings.locationHeader]: link(state, jobPath(runtime.record.id)), ...retryAfter(state) };
	sendJsonBody(state, res, 202, statusMonitor(state, runtime), headers);
}

function sendStatus(state: EmulatorState, res: http.ServerResponse, runtime: JobRuntime): void {
	advance(state, runtime, true);
	const record = runtime.record;
	if (!TERMINAL.has(record.status)) return sendJsonBody(state, res, 200, statusMonitor(state, runtime), retryAfter(state));
	if (record.status === 'succeeded' && state.settings.result === 'see-other') {
		// RFC 7231 §6.4.4: 303 to the resource that holds the result of the POST [I: the status monitor as body].
		return sendJsonBody(state, res, 303, statusMonitor(state, runtime), { Location: link(state, `${jobPath(record.id)}/result`) });
	}
	sendJsonBody(state, res, 200, statusMonitor(state, runtime), {}, record.status === 'succeeded' && state.settings.result === 'inline');
}

function sendResult(state: EmulatorState, res: http.ServerResponse, runtime: JobRuntime, url: string): void {
	advance(state, runtime, false);
	if (runtime.record.status !== 'succeeded') {
		// [I] 409 while there is no result yet (or none will come).
		throw new ApiError(409, 'ResultNotReady', `Export ${runtime.record.id} is ${statusText(state, runtime.record.status)}; its result is not available.`, runtime.record.status === 'failed' || runtime.record.status === 'canceled' ? {} : retryAfter(state));
	}
	const pageText = new URLSearchParams(url.split('?')[1] ?? '').get('page') ?? '1';
	const size = state.settings.rowsPerPage ?? Math.max(1, runtime.rows?.length ?? 1);
	const pages = Math.max(1, Math.ceil((runtime.rows?.length ?? 0) / size));
	if (!/^\d+$/.test(pageText) || Number(pageText) < 1 || Number(pageText) > pages) throw new ApiError(400, 'InvalidRequest', `page must be an integer from 1 to ${pages}.`, {}, 'page');
	sendJsonBody(state, res, 200, { rowCount: runtime.record.rowCount, ...page(state, runtime, Number(pageText)) }, {}, true);
}

function cancelExport(state: EmulatorState, res: http.ServerResponse, runtime: JobRuntime): void {
	advance(state, runtime, false);
	const record = runtime.record;
	// 2016 guidelines 13.2.5: cancellation by DELETE on the operation, idempotent.
	if (!TERMINAL.has(record.status)) {
		record.status = 'canceled';
		record.lastActionDateTime = state.clock.now();
		runtime.finishedMs = record.lastActionDateTime.getTime();
	}
	sendJsonBody(state, res, 200, statusMonitor(state, runtime));
}

// ---------------------------------------------------------------------------------------------
// Start

export async function startLocationJobsEmulator(options: LocationJobsEmulatorOptions = {}): Promise<LocationJobsEmulator> {
	const clock = createClock(options.frozenClock === true);
	const store = new RowStore(clock);
	if (options.seed !== false) {
		store.generate('contacts', 40);
		store.generate('deals', 15);
	}
	const auth = options.auth ?? { kind: 'bearer' };
	const state: EmulatorState = {
		clock,
		store,
		faults: createFaults(),
		jobs: new Map(),
		requests: [],
		token: auth.kind === 'bearer' ? `pat-emu-${randomUUID()}` : randomUUID().replace(/-/g, ''),
		origin: '',
		settings: {
			auth,
			location: options.location ?? 'relative',
			locationHeader: options.locationHeader ?? 'Location',
			retryAfterSeconds: options.retryAfterSeconds === undefined ? 1 : options.retryAfterSeconds,
			result: options.result ?? 'inline',
			statusStyle: options.statusStyle ?? 'camel',
			rowsPerPage: options.rowsPerPage,
			defaultPolls: options.pollsUntilDone ?? 2,
			completeAfterMs: options.completeAfterMs,
			retentionMs: options.retentionMs ?? DAY,
		},
	};
	if (state.settings.rowsPerPage !== undefined && (!Number.isInteger(state.settings.rowsPerPage) || state.settings.rowsPerPage < 1)) throw new Error('rowsPerPage must be a positive integer');
	const server = await startServer((req, res) => handleApi(state, req, res), { port: options.port });
	state.origin = server.origin;
	const authHeader = auth.kind === 'bearer' ? 'Authorization' : (auth.header ?? 'api-key');
	return {
		baseUrl: server.origin,
		token: state.token,
		authHeader,
		authValue: auth.kind === 'bearer' ? `Bearer ${state.token}` : state.token,
		clock,
		data: store,
		faults: state.faults,
		get jobs() {
			sweepRetention(state);
			return Array.from(state.jobs.values()).map((runtime) => runtime.record);
		},
		expireJob: (id) => {
			if (!state.jobs.delete(id)) throw new Error(`expireJob: no job ${id}`);
		},
		requests: state.requests,
		close: () => server.close(),
	};
}

// `node --import tsx test/emulators/location-jobs.ts`: run it for a demo.
if (require.main === module) {
	runFromCommandLine(
		() => startLocationJobsEmulator({ port: Number(process.env.PORT) || undefined }),
		(emulator) => [
			`Location-header export jobs emulator: POST ${emulator.baseUrl}/exports {"dataset":"contacts"}`,
			`${emulator.authHeader}: ${emulator.authValue}`,
		],
	);
}
