import type { IDataObject } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { sleepUnlessCancelled } from '../../shared/cancel';
import { asNodeError } from '../../shared/errors';
import { messageOf } from '../../shared/http';
import { waitForJob, type PollSchedule } from '../../shared/job';
import { backoffMs } from '../../shared/retry';
import type { DoneJobState, EngineContext, ExportFile, JobState } from '../../shared/types';
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
	updated?: UpdatedRange;
	posting?: PostingRange;
}

/** What to do when Mews already runs an export of the same entity type. */
export type WhenRunning = 'wait' | 'fail';

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
	if (request.updated) filters.UpdatedUtc = { StartUtc: request.updated.start.toISOString(), EndUtc: request.updated.end.toISOString() };
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
	if (!started?.Id) throw new NodeOperationError(ctx.getNode(), 'Mews accepted the export but did not say its ID');
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
			return { phase: 'running', progress: String(found.Status) };
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

/** Splits an updated-time range into the 180-day ranges one export may cover, oldest first. */
export function splitRange(range: UpdatedRange, maxDays = MAX_RANGE_DAYS): UpdatedRange[] {
	const ranges: UpdatedRange[] = [];
	const step = maxDays * DAY_MS;
	for (let start = range.start.getTime(); start < range.end.getTime(); start += step) {
		ranges.push({ start: new Date(start), end: new Date(Math.min(start + step, range.end.getTime())) });
	}
	return ranges;
}

// ---------------------------------------------------------------------------------------------
// Exports this node started, kept in workflow static data: Mews lists exports only by id.

interface StartedExport extends IDataObject {
	id: string;
	entityType: string;
	request: string;
	startedAt: string;
}

const KEPT_PER_NODE = 20;

function startedList(ctx: EngineContext): StartedExport[] {
	const data = ctx.getWorkflowStaticData('node');
	if (!Array.isArray(data.startedExports)) data.startedExports = [];
	return data.startedExports as StartedExport[];
}

export function requestKey(request: ExportRequest): string {
	return JSON.stringify(addBody(request));
}

export function rememberStarted(ctx: EngineContext, started: MewsExport, request: ExportRequest): void {
	const list = startedList(ctx);
	list.push({ id: started.Id, entityType: request.entityType, request: requestKey(request), startedAt: new Date().toISOString() });
	list.splice(0, Math.max(0, list.length - KEPT_PER_NODE));
}

/** Exports of the entity type this node started that Mews still has Pending or Processing. */
async function runningStartedHere(ctx: EngineContext, entityType: string): Promise<Array<{ running: MewsExport; request?: string }>> {
	const mine = startedList(ctx).filter((started) => started.entityType === entityType);
	if (!mine.length) return [];
	const found = await getExports(ctx, mine.map((started) => started.id));
	return found
		.filter((exp) => exp.Status === 'Pending' || exp.Status === 'Processing')
		.map((running) => ({ running, request: mine.find((started) => started.id === running.Id)?.request }));
}

/**
 * Starts an export, or deals with the one Mews already runs for the entity type (Mews allows one
 * Pending or Processing export per type): an identical export this node started is used as it
 * is; otherwise, with `wait`, the node waits until Mews accepts a new one.
 */
export async function startOrJoinExport(
	ctx: EngineContext,
	request: ExportRequest,
	whenRunning: WhenRunning,
	schedule: PollSchedule,
): Promise<{ started: MewsExport; joined: boolean }> {
	const deadline = Date.now() + schedule.timeoutMs;
	for (let attempt = 0; ; attempt++) {
		const added = await addExport(ctx, request);
		if ('Id' in added) {
			rememberStarted(ctx, added, request);
			ctx.logger.info(`Mews export started: ${added.Id} (${request.entityType})`);
			return { started: added, joined: false };
		}
		const running = await runningStartedHere(ctx, request.entityType);
		const same = running.find((entry) => entry.request === requestKey(request))?.running;
		if (same) {
			ctx.logger.info(`Mews export ${same.Id} of the same ${request.entityType} records is already running: using it`);
			return { started: same, joined: true };
		}
		const other = running[0]?.running;
		const which = other
			? `the export ${other.Id}, which this node started earlier with other settings`
			: 'an export started outside this node (Mews lists exports only by their ID, so the node cannot see which)';
		if (whenRunning === 'fail' || Date.now() >= deadline) {
			throw new NodeOperationError(ctx.getNode(), `Mews is already running an export of ${request.entityType}`, {
				description:
					`Mews runs one export per entity type at a time; it is busy with ${which}. ` +
					(whenRunning === 'fail'
						? 'Run again when it has finished, or set the option If an Export Is Already Running to Wait.'
						: `It did not finish within the timeout of ${Math.round(schedule.timeoutMs / 60_000)} minutes; run again later.`) +
					(added.runningMessage ? ` Mews said: "${added.runningMessage}"` : ''),
			});
		}
		if (other) {
			ctx.logger.info(`Mews is busy with export ${other.Id} of ${request.entityType}: waiting for it before starting ours`);
			await waitForJob(ctx, {
				jobLabel: `Mews export ${other.Id}`,
				resumeHint: '',
				poll: async () => exportState(await getExport(ctx, other.Id), other.Id),
				schedule: { ...schedule, timeoutMs: Math.max(1, deadline - Date.now()) },
			}).catch(() => undefined); // its outcome is not ours: only that it stopped running matters
		} else {
			const wait = Math.min(backoffMs(attempt, schedule.firstIntervalMs, schedule.maxIntervalMs, 1.5), Math.max(0, deadline - Date.now()));
			ctx.logger.info(`Mews is busy with another export of ${request.entityType}: trying again in ${Math.ceil(wait / 1000)} s`);
			await sleepUnlessCancelled(ctx, wait);
		}
	}
}

export interface RunExportOptions {
	whenRunning: WhenRunning;
	schedule: PollSchedule;
	retryFailedOnce: boolean;
	/** Return undefined at the timeout instead of failing (a trigger resumes on its next poll). */
	resumeLaterOnTimeout?: boolean;
}

/** Waits for a started export to succeed; a Failed one is started again once when asked to. */
export async function waitForExport(
	ctx: EngineContext,
	id: string,
	request: ExportRequest | undefined,
	options: RunExportOptions,
): Promise<{ id: string; done: DoneJobState } | undefined> {
	let last: JobState | undefined;
	const wait = (exportId: string) =>
		waitForJob(ctx, {
			jobLabel: `Mews export ${exportId}`,
			resumeHint: resumeHint(exportId),
			poll: async () => (last = exportState(await getExport(ctx, exportId, resumeHint(exportId)), exportId)),
			schedule: options.schedule,
			resumeLaterOnTimeout: options.resumeLaterOnTimeout,
		});
	try {
		const done = await wait(id);
		return done ? { id, done } : undefined;
	} catch (error) {
		const failed = last?.phase === 'failed' && last.code === 'Failed';
		if (!failed || !options.retryFailedOnce || !request) throw asNodeError(ctx.getNode(), error);
		ctx.logger.info(`Mews export ${id} failed; starting it again once`);
		const again = await startOrJoinExport(ctx, request, options.whenRunning, options.schedule);
		const done = await wait(again.started.Id);
		return done ? { id: again.started.Id, done } : undefined;
	}
}
