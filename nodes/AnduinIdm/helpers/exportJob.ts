import type { IDataObject } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { readSchedule as readScheduleWith } from '../../shared/description';
import { type ExportJob, type StartAnswer } from '../../shared/exportJob';
import { messageOf } from '../../shared/http';
import { unknownStatusState, type PollSchedule } from '../../shared/job';
import type { DoneJobState, EngineContext, ExportFile, JobState } from '../../shared/types';
import { ANDUIN_CREDENTIAL, anduinRequest } from '../transport';
import { objectTypeLabel } from './objectTypes';
import { withNumbers } from './values';

// Facts from developers.anduintransact.com/docs/asynchronous-bulk-export-api (A1) and
// /docs/status-code (A4).
/** A1: "A single export job will process a maximum of 100,000 objects." */
export const OBJECTS_PER_JOB = 100_000;
/** A1 (one of its versions): the file URL expires after 7 days. */
export const FILE_URL_DAYS = 7;

// The import guide (A2) recommends checking every 15–30 s; small exports finish in seconds, so
// start at 5 s and back off to 30 s.
export const ANDUIN_POLL_SCHEDULE: PollSchedule = { firstIntervalMs: 5_000, maxIntervalMs: 30_000, timeoutMs: 60 * 60_000 };

export type RequestStatusName = 'Pending' | 'InProgress' | 'Completed' | 'Failed';

/** GET /api/v1/request/{request-id}, as A1 shows it (the Failed body is not documented). */
export interface RequestStatus extends IDataObject {
	requestId: string;
	status: RequestStatusName;
	progress?: { processed?: number };
	result?: { total?: number; fileUrl?: string; nextCursor?: string | null; next_cursor?: string | null };
}

export interface ExportRequest extends IDataObject {
	/** The [objects] path segment: investment-entities, profiles, … */
	objectType: string;
	/** The nextCursor of the previous job of the chain; absent for the first job. */
	cursor?: string;
	/** Profiles: the investment entities (Anduin IDs or tracking IDs), sent in the body. */
	investmentEntityIds?: string[];
	/** Profiles: the export template, sent in the query. */
	exportTemplateId?: string;
	/** Trigger only: the full pass over the objects this job belongs to. */
	pass?: number;
}

export interface AnduinJobOptions {
	/**
	 * The trigger: a cursor Anduin refuses (expired, invalid) starts the pass again from its
	 * beginning instead of failing every poll; rows already emitted are dropped by their keys.
	 */
	restartOnRefusedCursor?: boolean;
}

/**
 * An Anduin IDM export as the shared runner runs it: one Pending-or-InProgress job per user,
 * chained by `nextCursor`, each job's file behind a URL that expires.
 */
export function anduinExportJob(ctx: EngineContext, options: IDataObject, jobOptions: AnduinJobOptions = {}): ExportJob<ExportRequest> {
	const job: ExportJob<ExportRequest> = {
		provider: 'Anduin',
		noun: 'export',
		resumeHint,
		schedule: readSchedule(options),
		start: async (request) => startExport(ctx, request, jobOptions),
		status: async (id) => requestState(ctx, id, await getRequestStatus(ctx, id, resumeHint(id))),
		// Anduin hands out one file URL per job and says it again in every status answer, so an
		// expired URL is renewed by running the same job (same cursor) again.
		rerunForFreshLinks: {
			withoutRequest: (requestId) => ({
				message: `The file URL of the Anduin export ${requestId} was refused: it has probably expired`,
				description: `Anduin keeps an export's file for ${FILE_URL_DAYS} days. Export the objects again: Export All or Start Export, with the cursor that started request ${requestId} (none for the first job of a chain).`,
			}),
		},
		next: (request, done) => nextRequest(ctx, request, done),
		resumeFrom,
		busy: {
			// A1: "1 active job per user"; the credential (its API key) is the user.
			keyOf: () => userKey(ctx),
			running: () => "an export for this credential's user",
			another: () => "another export of this credential's user",
			rule: 'Anduin allows each user (API key) one export job in Pending or InProgress at a time',
			unseen: 'Anduin does not list export jobs, so the node cannot see which',
		},
		// What Anduin is asked: the trigger's pass number is not part of the job.
		requestKey: (request) => JSON.stringify(startCall(request)),
		retryable: (failure) => failure.code === 'Failed',
		parse: options.convertNumbers === true ? { mapRow: withNumbers } : undefined,
		fileFields: (finished) => ({
			requestId: finished.id,
			objectType: finished.request?.objectType ?? null,
			cursor: finished.request?.cursor ?? null,
			nextCursor: (finished.done.details?.nextCursor as string | null | undefined) ?? null,
			total: (finished.done.details?.total as number | undefined) ?? null,
		}),
	};
	return job;
}

export function readSchedule(options: IDataObject): PollSchedule {
	return readScheduleWith(options, ANDUIN_POLL_SCHEDULE);
}

export function resumeHint(requestId: string): string {
	return `The Anduin export request ID is ${requestId}: use it with the operation Download to get its rows later, and with Get Request Status for its next cursor (the rest of a chain).`;
}

/** How to go on from the job that failed: its cursor is the last good job's nextCursor. */
export function resumeFrom(request: ExportRequest): string {
	return request.cursor
		? `To go on from there without exporting the finished jobs again, run Export All (or Start Export) with the option Cursor set to: ${request.cursor}`
		: 'It was the first job of the chain: run the export again without a cursor.';
}

/** The busy rule's key: the credential (n8n's id of it), never the key itself. */
function userKey(ctx: EngineContext): string {
	const credential = ctx.getNode().credentials?.[ANDUIN_CREDENTIAL];
	return `credential:${credential?.id ?? credential?.name ?? 'default'}`;
}

/** The path, query and body of the start call of a request. */
export function startCall(request: ExportRequest): { path: string; qs?: IDataObject; body: IDataObject } {
	const body: IDataObject = {};
	if (request.cursor) body.cursor = request.cursor;
	if (request.investmentEntityIds?.length) body.investmentEntityIds = request.investmentEntityIds;
	return {
		path: `/api/v1/idm/{firmId}/${request.objectType}/export`,
		qs: request.exportTemplateId ? { exportTemplateId: request.exportTemplateId } : undefined,
		body,
	};
}

/** POST …/[objects]/export; a 409 or 429 means the user's one job slot is taken (A1 limits, A4 codes). */
export async function startExport(ctx: EngineContext, request: ExportRequest, jobOptions: AnduinJobOptions = {}): Promise<StartAnswer<ExportRequest>> {
	const call = startCall(request);
	const what = objectTypeLabel(request.objectType);
	// A4 defines 409 (a conflict with another request) and 429 (too many requests), neither with a
	// Retry-After; with one job per user, either can mean the slot is taken: the busy rule backs off.
	const response = await anduinRequest<IDataObject>(ctx, { method: 'POST', ...call, acceptStatus: [400, 404, 409, 429] });
	const said = messageOf(response.body);
	if (response.statusCode === 409) return { busy: said ?? 'HTTP 409 Conflict' };
	if (response.statusCode === 429) return { busy: said ?? 'too many requests (HTTP 429)' };
	if (response.statusCode === 404) {
		throw new NodeOperationError(ctx.getNode(), `Anduin has no export for the object type "${request.objectType}" (HTTP 404)`, {
			description: `Check the Object Type (the path segment of POST /api/v1/idm/{firmId}/<object type>/export) and the Firm ID of the credential.${said ? ` Anduin said: "${said}"` : ''}`,
		});
	}
	if (response.statusCode === 400) {
		if (request.cursor && /cursor/i.test(said ?? '')) {
			if (jobOptions.restartOnRefusedCursor) {
				return {
					instead: { ...request, cursor: undefined },
					why: `Anduin refused the stored cursor (${said}): the pass over the ${what} starts again from the beginning; objects already emitted in it are not emitted again`,
				};
			}
			throw new NodeOperationError(ctx.getNode(), `Anduin refused the cursor: ${said}`, {
				description: `A cursor works only for the object type and filters of the export that returned it, and may expire. Run the export without a cursor to start from the beginning. The cursor was: ${request.cursor}`,
			});
		}
		throw new NodeOperationError(ctx.getNode(), `Anduin rejected the export of ${what}${said ? `: ${said}` : ' (HTTP 400)'}`, {
			description: request.objectType === 'profiles' ? 'Check Investment Entity IDs and Export Template ID.' : 'Check the object type and its filters.',
		});
	}
	const requestId = response.body?.requestId;
	if (typeof requestId !== 'string' || !requestId) {
		throw new NodeOperationError(ctx.getNode(), `Anduin accepted the export of ${what} but did not say its request ID`);
	}
	return { started: requestId, details: { requestId, objectType: request.objectType, cursor: request.cursor ?? null } };
}

/** One status check; undefined when Anduin does not know the request (404). */
export async function getRequestStatus(ctx: EngineContext, requestId: string, errorContext?: string): Promise<RequestStatus | undefined> {
	const response = await anduinRequest<RequestStatus>(ctx, {
		method: 'GET',
		path: `/api/v1/request/${encodeURIComponent(requestId)}`,
		acceptStatus: [404],
		errorContext,
	});
	return response.statusCode === 404 ? undefined : response.body;
}

/** The next cursor of a Completed answer: A1's JSON says `nextCursor`, its prose `next_cursor`. */
export function nextCursorOf(status: RequestStatus | undefined): string | undefined {
	const result = status?.result ?? {};
	for (const value of [result.nextCursor, result.next_cursor]) if (typeof value === 'string' && value) return value;
	return undefined;
}

/** A request's status as the engine's job phases; progress and totals go to the log. */
export function requestState(ctx: EngineContext, requestId: string, status: RequestStatus | undefined): JobState {
	if (!status) {
		return {
			phase: 'expired',
			reason: `Anduin no longer has the request ${requestId}, or never had it (HTTP 404)`,
			description: 'Check the request ID: Anduin shows a request only to the user (API key) that started it. A request it had is gone: start the export again.',
		};
	}
	switch (status.status) {
		case 'Pending':
			return { phase: 'pending' };
		case 'InProgress': {
			const processed = status.progress?.processed;
			return { phase: 'running', progress: typeof processed === 'number' ? `${processed} object${processed === 1 ? '' : 's'} processed` : undefined };
		}
		case 'Completed': {
			const total = typeof status.result?.total === 'number' ? status.result.total : undefined;
			const nextCursor = nextCursorOf(status);
			const fileUrl = status.result?.fileUrl;
			ctx.logger.info(`Anduin export ${requestId}: completed with ${total ?? 'an unknown number of'} objects${nextCursor ? '; a next cursor follows' : '; the last job of its chain'}`);
			const details = { requestId, total: total ?? null, nextCursor: nextCursor ?? null };
			if (typeof fileUrl === 'string' && fileUrl) return { phase: 'done', files: [fileOf(fileUrl)], details, recordCount: total };
			// An export with nothing in it may come without a file.
			if (total === 0) return { phase: 'done', files: [], details };
			return { phase: 'failed', code: 'NoFile', reason: `Anduin reported the export ${requestId} Completed, but gave no file URL`, description: resumeHint(requestId) };
		}
		case 'Failed': {
			const message = failureMessage(status);
			return {
				phase: 'failed',
				code: 'Failed',
				reason: `Anduin could not complete the export ${requestId}${message ? `: ${message}` : ''}`,
				description: message ? 'Start it again, or turn on the option Retry a Failed Export.' : `Anduin gave no reason: ${JSON.stringify(status).slice(0, 300)}`,
			};
		}
		default:
			return unknownStatusState(
				`Anduin request ${requestId}`,
				status.status,
				'Anduin documents Pending, InProgress, Completed and Failed. Check it later with Get Request Status, or report this status.',
			);
	}
}

/** The reason in a Failed answer: `error.message`, `error` or `message` (the shape is not documented). */
function failureMessage(status: RequestStatus): string | undefined {
	const error = status.error;
	if (error && typeof error === 'object') return messageOf(error);
	return messageOf(typeof error === 'string' ? error : status);
}

/** The file of a job; its format is read from its bytes (A1 does not say it per object type). */
function fileOf(url: string): ExportFile {
	return { url };
}

/** The next job of a chain: the same request with the finished job's nextCursor. */
function nextRequest(ctx: EngineContext, request: ExportRequest, done: DoneJobState): ExportRequest | undefined {
	const next = done.details?.nextCursor;
	if (typeof next !== 'string' || !next) return undefined;
	if (next === request.cursor) {
		throw new NodeOperationError(ctx.getNode(), 'Anduin gave the cursor the export was started with as its next cursor', {
			description: 'Following it would export the same objects again and again, so the chain stops here.',
		});
	}
	return { ...request, cursor: next };
}
