import { DateTime } from 'luxon';
import type { IDataObject } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { readSchedule as readScheduleWith } from '../../shared/description';
import type { ExportJob, StartAnswer } from '../../shared/exportJob';
import { unknownStatusState, type PollSchedule } from '../../shared/job';
import type { ParseOptions } from '../../shared/parse';
import type { EngineContext, ExportFile, FileFormat, JobState, Row } from '../../shared/types';
import { problemOf, REBILLY_CREDENTIAL, rebillyAnswerError, rebillyBase, rebillyRequest } from '../transport';
import { resolveRebillyDate } from './dates';
import type { Format, Resource } from './resources';

// Facts from Rebilly/api-definitions (657cabcf): paths/data-exports*.yaml, schemas/*DataExport.yaml,
// DataExportFileId.yaml, DataExportFailureReason.yaml, files@{id}@download.yaml.

export const EXPORTS_PATH = '/experimental/data-exports';
export const NAME_MAX_LENGTH = 50;

// Rebilly's sandbox does not rate-limit GETs; exports of a few thousand records take seconds,
// large ones minutes: start at 5 s and back off to a minute.
export const REBILLY_POLL_SCHEDULE: PollSchedule = { firstIntervalMs: 5_000, maxIntervalMs: 60_000, timeoutMs: 60 * 60_000 };

export type ExportStatus = 'pending' | 'queued' | 'processing' | 'completed' | 'failed';

export interface DataExport extends IDataObject {
	id: string;
	name: string;
	resource: string;
	format: string;
	status: ExportStatus;
	failureReason?: string | null;
	fileId?: string | null;
	recordCount?: number;
	updatedTime?: string;
	_links?: Array<{ rel?: string; href?: string }>;
}

export interface DateRange extends IDataObject {
	start: string;
	end: string;
	field?: string;
}

/** The body of a data export (DataExport.yaml), plus how the node splits one that is too large. */
export interface ExportRequest extends IDataObject {
	name: string;
	resource: Resource;
	format: Format;
	fields?: string[];
	arguments?: IDataObject;
	dateRange?: DateRange;
	emailNotification?: string[];
	recurring?: IDataObject;
	/** Split When Too Large: the whole range ends here (ISO), and this is part `part` of it. */
	split?: { until: string; part: number };
	/** Whether a too-large export may be split into halves of its date range. */
	splitTooLarge?: boolean;
}

export function resumeHint(id: string): string {
	return `The Rebilly data export ${id} keeps running at Rebilly: get its rows later with the operation Download and this ID.`;
}

/** What Rebilly is sent: the request without the node's own bookkeeping. */
export function bodyOf(request: ExportRequest): IDataObject {
	const { split, splitTooLarge, ...body } = request;
	return body;
}

/** A Rebilly data export as the shared runner runs it. */
export function rebillyExportJob(ctx: EngineContext, options: IDataObject): ExportJob<ExportRequest> {
	return {
		provider: 'Rebilly',
		noun: 'data export',
		resumeHint,
		schedule: readScheduleWith(options, REBILLY_POLL_SCHEDULE),
		start: async (request) => startExport(ctx, request),
		status: async (id) => exportState(await getExport(ctx, id, resumeHint(id)), id, await rebillyBase(ctx)),
		next: nextPart,
		resumeFrom: (request) =>
			request.split ? `To go on from here, export ${request.dateRange?.start} to ${request.split.until} (field ${request.dateRange?.field ?? 'the default date'}).` : '',
		retryable: (failure) => failure.code === 'max-retries-reached',
		parse: parseOptionsOf(),
		fileFields: (finished) => ({
			exportId: finished.id,
			recordCount: (finished.done.details?.recordCount as number | undefined) ?? null,
			format: (finished.done.details?.format as string | undefined) ?? null,
		}),
	};
}

/** Creates the export; one too large for Rebilly is narrowed to the first half of its date range when asked. */
async function startExport(ctx: EngineContext, request: ExportRequest): Promise<StartAnswer<ExportRequest>> {
	const call = { method: 'POST' as const, path: EXPORTS_PATH, body: bodyOf(request), acceptStatus: [422] };
	const response = await rebillyRequest<DataExport>(ctx, call);
	if (response.statusCode === 201 || response.statusCode === 200) {
		if (!response.body?.id) {
			throw new NodeOperationError(ctx.getNode(), 'Rebilly answered POST /experimental/data-exports without the ID of a data export', {
				description: `Rebilly's answer: ${JSON.stringify(response.body).slice(0, 200)}. Try again.`,
			});
		}
		return { started: response.body.id, details: response.body };
	}
	const problem = problemOf(response.body);
	if (problem.type === 'data-export-limit-exceeded' && request.splitTooLarge) {
		const half = firstHalf(ctx, request);
		if (half) {
			return {
				instead: half,
				why: `the data export matches ${problem.matchedRecords ?? 'too many'} records (at most ${problem.maxRecords ?? 'fewer'} per export): exporting ${half.dateRange?.start} to ${half.dateRange?.end} first`,
			};
		}
	}
	throw await rebillyAnswerError(ctx, call, response);
}

/** The first half of the request's date range (absolute times), or undefined when it cannot be halved. */
function firstHalf(ctx: EngineContext, request: ExportRequest): ExportRequest | undefined {
	const range = request.dateRange;
	if (!range) return undefined;
	const now = DateTime.utc();
	const start = resolveRebillyDate(range.start, now);
	const end = resolveRebillyDate(range.end, now);
	if (!start || !end) {
		throw new NodeOperationError(ctx.getNode(), `The data export is too large, and the node cannot read the date range "${range.start}" to "${range.end}" to split it`, {
			description: 'Give the start and end as ISO dates (e.g. 2026-01-01T00:00:00Z), or a simpler relative form such as "-7 days", "yesterday" or "first day of last month midnight".',
		});
	}
	const span = end.toMillis() - start.toMillis();
	if (span < 2_000) return undefined; // one second holds too many records: no split can help
	const middle = DateTime.fromMillis(start.toMillis() + Math.floor(span / 2), { zone: 'utc' });
	const part = request.split?.part ?? 1;
	return {
		...request,
		name: partName(request.name, part),
		dateRange: { ...range, start: isoOf(start), end: isoOf(middle) },
		split: { until: request.split?.until ?? isoOf(end), part },
	};
}

/** After a part of a split export: the rest of the range (narrowed again if still too large). */
export function nextPart(request: ExportRequest): ExportRequest | undefined {
	const { split, dateRange } = request;
	if (!split || !dateRange || Date.parse(dateRange.end) >= Date.parse(split.until)) return undefined;
	const part = split.part + 1;
	return {
		...request,
		name: partName(request.name.replace(/ \(part \d+\)$/, ''), part),
		dateRange: { ...dateRange, start: dateRange.end, end: split.until },
		split: { until: split.until, part },
	};
}

function partName(name: string, part: number): string {
	return fitName(name.replace(/ \(part \d+\)$/, ''), ` (part ${part})`);
}

/** `name` cut to Rebilly's limit on export names, with `suffix` (a part number) kept whole after it. */
export function fitName(name: string, suffix = ''): string {
	return `${name.slice(0, NAME_MAX_LENGTH - suffix.length).trimEnd()}${suffix}`;
}

function isoOf(date: DateTime): string {
	return date.toUTC().toISO({ suppressMilliseconds: true }) as string;
}

export async function getExport(ctx: EngineContext, id: string, errorContext?: string): Promise<DataExport | undefined> {
	const response = await rebillyRequest<DataExport>(ctx, {
		method: 'GET',
		path: `${EXPORTS_PATH}/${encodeURIComponent(id)}`,
		acceptStatus: [404],
		errorContext,
	});
	return response.statusCode === 404 ? undefined : response.body;
}

const FAILURE_REASONS: Record<string, string> = {
	'record-limit-exceeded': 'it matched more records than one export may hold: narrow the date range or the filter',
	'max-retries-reached': 'Rebilly tried several times and gave up: start it again, or turn on the option Retry a Failed Export',
};

/** A data export's status as the engine's job phases. */
export function exportState(found: DataExport | undefined, id: string, apiBase: string): JobState {
	if (!found) {
		return { phase: 'failed', reason: `Rebilly does not know the data export ${id}`, description: 'Check the ID: a deleted export is gone.' };
	}
	switch (found.status) {
		case 'pending':
		case 'queued':
			return { phase: 'pending', progress: found.status };
		case 'processing':
			return { phase: 'running' };
		case 'completed':
			return {
				phase: 'done',
				files: filesOf(found, apiBase),
				details: found,
				recordCount: typeof found.recordCount === 'number' ? found.recordCount : undefined,
			};
		case 'failed': {
			const reason = found.failureReason ?? '';
			return {
				phase: 'failed',
				code: reason || 'failed',
				reason: `Rebilly could not complete the data export ${id} (${found.resource}${reason ? `: ${reason}` : ''})`,
				description: FAILURE_REASONS[reason] ?? 'Rebilly gives no reason; start a new export.',
			};
		}
		default:
			return unknownStatusState(
				`Rebilly data export ${id}`,
				found.status,
				'Rebilly documents pending, queued, processing, completed and failed. Get the export later with the operation Download.',
			);
	}
}

/**
 * The file of a completed export: its signed link when `_links` has one (no credential), else
 * the authenticated /files/{fileId}/download on the API, which may redirect to storage: the
 * credential goes to the API's origin only.
 */
export function filesOf(found: DataExport, apiBase: string): ExportFile[] {
	const links = Array.isArray(found._links) ? found._links : [];
	const signed = links.find((link) => link.rel === 'signedLink' && link.href)?.href;
	if (signed) return [{ url: signed, format: declaredFormat(found.format) }];
	if (!found.fileId) return [];
	const download = links.find((link) => link.rel === 'download' && link.href)?.href ?? `${apiBase}/files/${encodeURIComponent(found.fileId)}/download`;
	const url = new URL(download, `${apiBase}/`).href;
	return [{ url, format: declaredFormat(found.format), auth: { credentialType: REBILLY_CREDENTIAL, origin: new URL(apiBase).origin } }];
}

function declaredFormat(format: string): FileFormat {
	if (format === 'csv' || format === 'detailed-csv') return 'csv';
	if (format === 'json' || format === 'json-api') return 'json';
	return 'unknown';
}

/** Parts of a zip (`…-part1.csv`, …, `…-part10.csv`) in part order; JSON:API records as rows. */
export function parseOptionsOf(): ParseOptions {
	return {
		orderEntries: (names) => [...names].sort((a, b) => partNumber(a) - partNumber(b) || a.localeCompare(b)),
		mapRow: jsonApiRecordAsRow,
	};
}

function partNumber(name: string): number {
	const match = /-part(\d+)\.[^.]+$/i.exec(name);
	return match ? Number(match[1]) : 0;
}

/** A JSON:API resource object `{type, id, attributes}` as a row `{id, ...attributes}`; other rows as they are. */
function jsonApiRecordAsRow(row: Row): Row {
	const attributes = row.attributes;
	if (typeof row.type !== 'string' || !attributes || typeof attributes !== 'object' || Array.isArray(attributes)) return row;
	return { id: row.id, ...(attributes as Row) };
}
