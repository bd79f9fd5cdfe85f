import type { IDataObject } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { readSchedule as readScheduleWith } from '../../shared/description';
import type { ExportJob } from '../../shared/exportJob';
import { messageOf } from '../../shared/http';
import { unknownStatusState, type PollSchedule } from '../../shared/job';
import type { EngineContext, ExportFile, JobState } from '../../shared/types';
import { mewsRequest } from '../transport';
import type { EntityType } from './entityTypes';

// Facts from docs.mews.com/connector-api/operations/exports and use-cases/data-export.
export const MAX_IDS_PER_REQUEST = 1000;
export const MAX_RANGE_DAYS = 180;
/** `Filters.UpdatedUtc.EndUtc` must be at least this far in the past. */
export const SETTLE_MS = 5 * 60_000;
/** A file link works for 10 minutes after exports/getAll returned it. */
export const LINK_VALIDITY_MS = 10 * 60_000;
const DAY_MS = 24 * 60 * 60_000;

// Mews suggests checking "for example every 5 minutes"; exports of small properties take
// seconds, so start at 5 s and back off to a minute: a few dozen calls an hour, far below the
// demo limit of 250 calls per endpoint per 15 minutes.
export const MEWS_POLL_SCHEDULE: PollSchedule = { firstIntervalMs: 5_000, maxIntervalMs: 60_000, timeoutMs: 60 * 60_000 };

export type ExportStatus = 'Pending' | 'Processing' | 'Success' | 'Failed' | 'Expired';

export interface MewsExport extends IDataObject {
	Id: string;
	Status: ExportStatus;
	EntityType: string;
	Files: Array<{ Url: string; SizeInBytes: number }>;
	ExpiresUtc?: string | null;
}

export interface UpdatedRange {
	start: Date;
	end: Date;
}

export interface Scope extends IDataObject {
	EnterpriseIds?: string[];
	ChainIds?: string[];
}

/** Posting days (YYYY-MM-DD, both included) of a ledger-entry export. */
export interface PostingRange {
	start: string;
	end: string;
}

export interface ExportRequest {
	entityType: EntityType;
	scope?: Scope;
	/** Records created or updated from `start` (included) to `end` (not included), ISO times. */
	updated?: { start: string; end: string };
	/** A longer range runs 180 days per export, one export after another, up to here (ISO). */
	until?: string;
	posting?: PostingRange;
}

/**
 * A Mews export as the shared runner runs it: Mews runs one export per entity type at a time,
 * lists exports only by id, and signs file links for 10 minutes per exports/getAll answer.
 */
export function mewsExportJob(ctx: EngineContext, options: IDataObject): ExportJob<ExportRequest> {
	return {
		provider: 'Mews',
		noun: 'export',
		resumeHint,
		schedule: readSchedule(options),
		start: async (request) => {
			const added = await addExport(ctx, request);
			return 'Id' in added ? { started: added.Id, details: added } : { busy: added.runningMessage };
		},
		status: async (id) => exportState(await getExport(ctx, id, resumeHint(id)), id),
		linkValidityMs: LINK_VALIDITY_MS,
		next: nextRange,
		busy: {
			keyOf: (request) => request.entityType,
			running: (request) => `an export of ${request.entityType}`,
			another: (request) => `another export of ${request.entityType}`,
			rule: 'Mews runs one export per entity type at a time',
			unseen: 'Mews lists exports only by their ID, so the node cannot see which',
		},
		// What Mews is asked for: the rest of a long range does not make another export.
		requestKey: (request) => JSON.stringify(addBody(request)),
		retryable: (failure) => failure.code === 'Failed',
		fileFields: (finished) => ({ exportId: finished.id, expiresUtc: finished.done.expiresAt ?? null }),
		mimeTypeOf: () => 'application/x-ndjson',
	};
}

export function readSchedule(options: IDataObject): PollSchedule {
	return readScheduleWith(options, MEWS_POLL_SCHEDULE);
}

/** The first export of an updated-time range: at most 180 days; `next` runs the rest. */
export function firstExportOf(base: Omit<ExportRequest, 'updated' | 'until'>, range: UpdatedRange): ExportRequest {
	const end = Math.min(range.start.getTime() + MAX_RANGE_DAYS * DAY_MS, range.end.getTime());
	return { ...base, updated: { start: range.start.toISOString(), end: new Date(end).toISOString() }, until: range.end.toISOString() };
}

/** The export after this one of a range longer than 180 days, or undefined after the last. */
export function nextRange(request: ExportRequest): ExportRequest | undefined {
	if (!request.updated || !request.until || Date.parse(request.updated.end) >= Date.parse(request.until)) return undefined;
	return firstExportOf(request, { start: new Date(request.updated.end), end: new Date(request.until) });
}

export function resumeHint(exportId: string): string {
	return `The Mews export ${exportId} keeps running at Mews: get its rows later with the operation Download Export and this ID.`;
}

/** Mews's current time (configuration/get says it), or this machine's if Mews does not say. */
export async function mewsNow(ctx: EngineContext): Promise<Date> {
	const response = await mewsRequest<{ NowUtc?: string }>(ctx, 'configuration/get', {});
	const now = Date.parse(response.body?.NowUtc ?? '');
	return Number.isNaN(now) ? new Date() : new Date(now);
}

/** The exports/add body of a request. */
export function addBody(request: ExportRequest): IDataObject {
	const body: IDataObject = { EntityType: request.entityType };
	if (request.scope) body.Scope = request.scope;
	const filters: IDataObject = {};
	if (request.updated) filters.UpdatedUtc = { StartUtc: request.updated.start, EndUtc: request.updated.end };
	if (request.posting) filters.LedgerEntryFilters = { Posting: { Start: request.posting.start, End: request.posting.end } };
	if (Object.keys(filters).length) body.Filters = filters;
	return body;
}

/** Starts an export; `runningMessage` when Mews refuses because an export of the type is already running. */
export async function addExport(ctx: EngineContext, request: ExportRequest): Promise<MewsExport | { runningMessage: string }> {
	const response = await mewsRequest<{ Export?: MewsExport } & IDataObject>(ctx, 'exports/add', addBody(request), {
		acceptStatus: [400],
	});
	if (response.statusCode === 400) {
		const message = messageOf(response.body) ?? '';
		if (!looksLikeRunningExport(message)) {
			throw new NodeOperationError(ctx.getNode(), `Mews rejected the export${message ? `: ${message}` : ''}`, {
				description: 'Check the entity type, the scope and the updated-time range.',
			});
		}
		return { runningMessage: message };
	}
	const started = response.body.Export;
	if (!started?.Id) {
		throw new NodeOperationError(ctx.getNode(), 'Mews answered exports/add without the ID of an export', {
			description: `Mews's answer: ${JSON.stringify(response.body).slice(0, 200)}. Try again; if it keeps happening, Mews or a proxy in front of it is not answering as documented.`,
		});
	}
	return started;
}

// Mews answers 400 for a second export of a type while one is Pending or Processing (docs,
// use-cases/data-export); its wording is not documented, so match the words it can use.
function looksLikeRunningExport(message: string): boolean {
	return /pending|processing|in progress|already|running|exists/i.test(message);
}

/** exports/getAll for any number of ids, 1000 per request; exports Mews does not know are missing. */
export async function getExports(ctx: EngineContext, ids: string[], errorContext?: string): Promise<MewsExport[]> {
	const exports: MewsExport[] = [];
	for (let offset = 0; offset < ids.length; offset += MAX_IDS_PER_REQUEST) {
		const batch = ids.slice(offset, offset + MAX_IDS_PER_REQUEST);
		// Older versions of the API required Limitation (cursor paging); newer ones ignore it.
		const response = await mewsRequest<{ Exports?: MewsExport[] }>(
			ctx,
			'exports/getAll',
			{ ExportIds: batch, Limitation: { Count: batch.length } },
			{ errorContext },
		);
		for (const found of response.body.Exports ?? []) exports.push(found);
	}
	return exports;
}

export async function getExport(ctx: EngineContext, id: string, errorContext?: string): Promise<MewsExport | undefined> {
	return (await getExports(ctx, [id], errorContext)).find((found) => found.Id === id);
}

/** An export's status as the engine's job phases. */
export function exportState(found: MewsExport | undefined, id: string): JobState {
	if (!found) {
		return {
			phase: 'failed',
			reason: `Mews does not know the export ${id}`,
			description: 'Check the ID. Mews shows an export only to the access token that started it.',
		};
	}
	switch (found.Status) {
		case 'Pending':
			return { phase: 'pending' };
		case 'Processing':
			return { phase: 'running' };
		case 'Success':
			return { phase: 'done', files: filesOf(found), expiresAt: found.ExpiresUtc ?? undefined };
		case 'Failed':
			return {
				phase: 'failed',
				code: 'Failed',
				reason: `Mews could not complete the export ${id} (${found.EntityType})`,
				description: 'Mews gives no reason for a failed export; start a new one, or turn on the option Retry a Failed Export.',
			};
		case 'Expired':
			return {
				phase: 'expired',
				reason: `The Mews export ${id} has expired: its files are gone`,
				description: `Mews keeps export files for about a week${found.ExpiresUtc ? ` (this one until ${found.ExpiresUtc})` : ''}. Start a new export.`,
			};
		default:
			return unknownStatusState(
				`Mews export ${id}`,
				found.Status,
				'Mews documents Pending, Processing, Success, Failed and Expired. Get the export later with Download Export, or report this status.',
			);
	}
}

export function filesOf(found: MewsExport): ExportFile[] {
	const count = found.Files?.length ?? 0;
	return (found.Files ?? []).map((file, index) => ({
		url: file.Url,
		size: typeof file.SizeInBytes === 'number' ? file.SizeInBytes : undefined,
		format: 'jsonl',
		name: `${found.EntityType}-${found.Id}${count > 1 ? `-${index + 1}` : ''}.jsonl`,
	}));
}
