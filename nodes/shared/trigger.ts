import { createHash } from 'crypto';

import type { IDataObject, INodeExecutionData, IPollFunctions } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { cancelSignalOf, setDeadline } from './cancel';
import { applyEngineOptions, DEFAULT_MAX_ROWS_PER_POLL, pollBudget } from './description';
import type { DownloadOptions } from './download';
import { asNodeError } from './errors';
import { finishJob, jobLabel, readJobRows, startOrJoin, streamJobRows, type ExportJob, type FinishedJob } from './exportJob';
import { JobFailedError } from './job';
import { RowWindow } from './output';
import type { DoneJobState, ExportFile, FailedJobState, Row } from './types';

// One polling trigger for every provider: each poll exports what changed after the trigger's
// position, emits the rows, and only then moves the position. The position is the provider's
// (a time watermark or a cursor); the runner only keeps it.

/** A job a poll started; kept in static data until its rows were emitted. */
export interface TriggerJob<Request> {
	id: string;
	request: Request;
	startedAt: string;
}

/** Drops rows a later job returns again (exports overlap on purpose, or share a boundary). */
export interface Dedupe<Request> {
	/** The same record in the same version gives the same key. */
	keyOf(row: Row): string;
	/** Which rows a later job can return again: only those are remembered (default: all). */
	mayReturn?(row: Row, job: TriggerJob<Request>): boolean;
	/** Names the rows remembered of a job, for `stillReturnable`. */
	tagOf(job: TriggerJob<Request>): string;
	/** Whether rows remembered under `tag` can still come back once the position is `position`. */
	stillReturnable(tag: string, position: string): boolean;
	/** The most keys kept per job (default 50,000); beyond it a job's rows are not remembered. */
	maxKeysPerJob?: number;
	/**
	 * Remember the keys of every row of a job, emitted or not: a provider that exports everything
	 * each pass compares a pass with the one before, so the last pass's keys must be complete.
	 */
	rememberEvery?: boolean;
}

export interface IncrementalTrigger<Request> {
	/** The trigger's name in log lines: "4me Trigger". */
	name: string;
	job: ExportJob<Request>;
	/** Where the position is kept in static data: a time ('watermark') or a provider cursor ('cursor'). */
	positionName: 'watermark' | 'cursor';
	/**
	 * The position "On First Activation" chose: `startsNow` when watching starts now (the first
	 * poll emits nothing); no position for a full export first.
	 */
	firstPosition(): Promise<{ position?: string; startsNow?: boolean }>;
	/** The job that exports what changed after the position; undefined when there is nothing to ask yet. */
	requestAfter(position: string | undefined): Promise<Request | undefined>;
	/** Where the trigger goes on after the rows of a job were emitted (`done` absent: nothing to export). */
	positionAfter(job: TriggerJob<Request>, current: string | undefined, done?: DoneJobState): string;
	dedupe?: Dedupe<Request>;
	/**
	 * A job whose rows are only remembered, not emitted: the first full pass of a provider that can
	 * only export everything ("changes from now on" compares later passes with it).
	 */
	baseline?(job: TriggerJob<Request>): boolean;
	/**
	 * A failed job the trigger gets past without failing the poll: the position to go on from
	 * (undefined: where it was), why (for the log), and how long to wait before the next try.
	 */
	recover?(job: TriggerJob<Request>, failure: FailedJobState): Recovery | undefined;
	/** "Fetch Test Event": a job of a few recent changes. */
	sampleRequest(): Promise<Request>;
	sampleSize: number;
	/** How long one poll waits for jobs (within n8n's budget for a poll). */
	maxWaitMs: number;
	download: Omit<DownloadOptions, 'errorContext'>;
	retryFailedOnce: boolean;
	/** The most rows one poll emits (0: all); a larger job goes on in the next polls. Default: the option Max Rows per Poll. */
	maxRowsPerPoll?: number;
}

export interface Recovery {
	position?: string;
	note: string;
	retryAfterMs?: number;
}

interface TriggerState extends IDataObject {
	watermark?: string;
	cursor?: string;
	/** A started job whose rows were not emitted yet: the next poll resumes it, never starts another. */
	pendingJob?: IDataObject & { id: string; startedAt: string; request?: IDataObject; partly?: PartlyEmitted };
	/** Keys of emitted rows a later job can still return, per job. */
	recent?: Array<{ tag: string; keys: string[] }>;
	/** Polls before this moment (ISO) do nothing: the provider refused, and said for how long. */
	waitUntil?: string;
	/** Jobs that failed one after another, after the poll that started them (reset by a success). */
	failuresInARow?: number;
}

/**
 * A finished job whose first rows were emitted (Max Rows per Poll): the next poll reads its files
 * again, past the rows already handled. The files are kept because a provider may forget a
 * finished job (4me: 5 minutes after it ended) while its links still work.
 */
interface PartlyEmitted extends IDataObject {
	/** Rows of the job already handled: emitted, or dropped as emitted before. */
	rows: number;
	files: IDataObject[];
	recordCount?: number;
	details?: IDataObject;
	/** The dedupe keys to remember of the rows handled so far (null: too many to remember). */
	keys: string[] | null;
}

// Keys kept per job; beyond this a huge first export is not deduplicated row by row.
const MAX_KEYS_PER_JOB = 50_000;
// After this many failed jobs in a row, the trigger tries once an hour instead of every poll.
const FAILURES_BEFORE_BACKOFF = 3;
const FAILURE_BACKOFF_MS = 60 * 60_000;

/** A poll of an incremental trigger ("Fetch Test Event" in manual mode). */
export async function pollIncremental<Request>(
	ctx: IPollFunctions,
	trigger: IncrementalTrigger<Request>,
): Promise<INodeExecutionData[][] | null> {
	const options = ctx.getNodeParameter('options', {}) as IDataObject;
	applyEngineOptions(ctx, options);
	if (ctx.getMode() === 'manual') return sample(ctx, trigger);
	const state = ctx.getWorkflowStaticData('node') as TriggerState;
	const key = trigger.positionName;
	const { job } = trigger;
	if (state.waitUntil) {
		if (Date.now() < Date.parse(state.waitUntil)) {
			ctx.logger.debug(`${trigger.name}: waiting until ${state.waitUntil} before the next try`);
			return null;
		}
		delete state.waitUntil;
	}
	if (state[key] === undefined && !state.pendingJob) {
		const first = await trigger.firstPosition();
		if (first.position !== undefined) state[key] = first.position;
		if (first.startsNow) {
			ctx.logger.info(`${trigger.name}: watching for changes from now on`);
			return null;
		}
	}

	const deadline = Date.now() + trigger.maxWaitMs;
	// Requests and downloads may still wait (Retry-After) within the time n8n gives a poll to finish.
	const { budgetMs, reserveMs } = pollBudget(ctx);
	setDeadline(ctx, budgetMs === undefined ? deadline + reserveMs : Date.now() + budgetMs);
	const emitted: Row[] = [];
	const maxRows = readMaxRowsPerPoll(trigger.maxRowsPerPoll ?? options.maxRowsPerPoll);
	let request: Request | undefined = state.pendingJob ? undefined : await trigger.requestAfter(state[key]);
	for (;;) {
		let pending = pendingJobOf<Request>(state);
		const startedThisPoll = !pending;
		if (!pending) {
			if (request === undefined) break;
			const startedAt = new Date().toISOString();
			const started = await startOrJoin(ctx, job, request, { whenBusy: 'skip' });
			if ('nothing' in started) {
				state[key] = trigger.positionAfter({ id: '', request: started.request ?? request, startedAt }, state[key]);
				break;
			}
			if ('busy' in started) {
				ctx.logger.warn(`${trigger.name}: ${job.provider} is busy with another ${job.noun}${started.busy ? ` (${started.busy})` : ''}; trying again on the next poll`);
				break;
			}
			pending = { id: started.id, request: started.request, startedAt };
			// Remembered before waiting: if this poll ends early, the next one resumes this job.
			state.pendingJob = { id: pending.id, startedAt, request: pending.request as IDataObject };
		}

		let finished: FinishedJob<Request>;
		let read: TriggerRead;
		const partly = state.pendingJob?.partly as PartlyEmitted | undefined;
		try {
			if (partly) {
				finished = { id: pending.id, request: pending.request, done: doneOf(partly) };
			} else {
				const result = await finishJob(ctx, job, pending, {
					whenBusy: 'fail',
					retryFailedOnce: trigger.retryFailedOnce,
					timeoutMs: Math.max(1, deadline - Date.now()),
					onTimeout: 'return',
				});
				if (!('finished' in result)) {
					// Still running (perhaps a job started again after a failure): the next poll picks it up.
					if (result.job.id !== pending.id) state.pendingJob = { id: result.job.id, startedAt: pending.startedAt, request: result.job.request as IDataObject };
					break;
				}
				finished = result.finished;
			}
			pending = { ...pending, id: finished.id, request: finished.request as Request };
			const baseline = trigger.baseline?.(pending) === true;
			// A baseline is only remembered, never emitted: it is read whole, keeping only keys. Rows
			// given in answers or paged files cannot be read again from where a poll stopped.
			const resumable = !finished.done.rows && finished.done.files.every((file) => !file.next);
			const room = baseline || !resumable ? Infinity : maxRows - emitted.length;
			read = await readForTrigger(ctx, trigger, state, pending, finished, partly, room, !baseline);
		} catch (error) {
			const outcome = failureOutcome(ctx, trigger, state, pending, error, emitted.length > 0, startedThisPoll);
			if (outcome === 'throw') throw asNodeError(ctx.getNode(), error);
			break;
		}

		if (trigger.baseline?.(pending)) ctx.logger.info(`${trigger.name}: ${read.freshCount} records remembered as the starting point, not emitted`);
		else for (const row of read.fresh) emitted.push(row);
		if (read.freshCount !== read.rows) ctx.logger.info(`${trigger.name}: ${read.rows - read.freshCount} rows were emitted before`);
		if (!read.complete) {
			// The rest of the job goes out in the next polls; only then does the position move.
			state.pendingJob = {
				id: pending.id,
				startedAt: pending.startedAt,
				request: pending.request as IDataObject,
				partly: partlyEmitted(finished, read, trigger.dedupe),
			};
			ctx.logger.info(`${trigger.name}: ${read.rowsDone} rows of ${jobLabel(job, pending.id)} handled; the next poll goes on from there (Max Rows per Poll: ${maxRows})`);
			break;
		}
		const position = trigger.positionAfter(pending, state[key], finished.done);
		state[key] = position;
		remember(state, trigger.dedupe, pending, read.keys, position);
		delete state.pendingJob;
		delete state.failuresInARow;

		// A backlog (a cursor chain, date ranges) goes on within this poll while it has time.
		request = job.next?.(pending.request, finished.done);
		if (request === undefined || Date.now() >= deadline || emitted.length >= maxRows) break;
	}
	ctx.logger.info(`${trigger.name}: ${emitted.length} changed records`);
	return emitted.length ? [emitted.map((json) => ({ json: json as IDataObject }))] : null;
}

/**
 * What a failure does to the trigger. A job that failed or expired is dropped (a failure the
 * provider knows how to get past moves on, an expired job starts again from the same position);
 * anything else (the network, a broken download) may mend, so the job is kept and the next poll
 * resumes it. The poll fails only when it has nothing to show for itself and a failing poll's
 * state may be discarded (n8n's durable poll cursors do that): a poll that started the job this
 * time ends quietly to keep the job; a poll that drops a job started earlier ends quietly to keep
 * the drop (else every later poll would find the same failed job), and logs the failure.
 */
function failureOutcome<Request>(
	ctx: IPollFunctions,
	trigger: IncrementalTrigger<Request>,
	state: TriggerState,
	pending: TriggerJob<Request>,
	error: unknown,
	emittedRows: boolean,
	startedThisPoll: boolean,
): 'throw' | 'stop' {
	const key = trigger.positionName;
	const message = (error as Error).message;
	if (error instanceof JobFailedError) {
		delete state.pendingJob;
		const recovered: Recovery | undefined =
			error.state.phase === 'expired' ? { note: 'The next poll starts a new one from the same position.' } : trigger.recover?.(pending, error.state);
		if (recovered) {
			if (recovered.position !== undefined) state[key] = recovered.position;
			if (recovered.retryAfterMs) state.waitUntil = new Date(Date.now() + recovered.retryAfterMs).toISOString();
			ctx.logger.warn(`${trigger.name}: ${message}. ${recovered.note}`);
			return 'stop';
		}
		if (emittedRows) {
			ctx.logger.warn(`${trigger.name}: ${message}; the next poll exports from ${state[key] ?? 'the start'} again`);
			return 'stop';
		}
		if (startedThisPoll) return 'throw';
		const failures = (state.failuresInARow ?? 0) + 1;
		state.failuresInARow = failures;
		let next = `the next poll exports from ${state[key] ?? 'the start'} again`;
		if (failures >= FAILURES_BEFORE_BACKOFF) {
			state.waitUntil = new Date(Date.now() + FAILURE_BACKOFF_MS).toISOString();
			next = `${failures} ${trigger.job.noun}s failed in a row: the trigger tries again at ${state.waitUntil}, then once an hour until one succeeds`;
		}
		ctx.logger.error(`${trigger.name}: ${message}; ${next}`);
		return 'stop';
	}
	const partly = state.pendingJob?.partly as PartlyEmitted | undefined;
	if (partly && isGoneFile(error)) {
		// Its files can no longer be read: a new job from the same position exports its rows again,
		// and the keys of those already emitted keep them from being emitted twice.
		delete state.pendingJob;
		if (trigger.dedupe && partly.keys?.length) state.recent = [...(state.recent ?? []), { tag: trigger.dedupe.tagOf(pending), keys: partly.keys }];
		ctx.logger.warn(`${trigger.name}: ${message}; ${partly.rows} rows of ${trigger.job.noun} ${pending.id} were emitted, the rest is exported again by a new ${trigger.job.noun} from the same position`);
		return emittedRows || !startedThisPoll ? 'stop' : 'throw';
	}
	const kept = `the ${trigger.job.noun} ${pending.id} is kept and the next poll picks it up`;
	if (emittedRows) {
		ctx.logger.warn(`${trigger.name}: ${message}; ${kept}`);
		return 'stop';
	}
	if (startedThisPoll && !cancelSignalOf(ctx)?.aborted) {
		ctx.logger.error(`${trigger.name}: ${message}; ${kept}`);
		return 'stop';
	}
	return 'throw';
}

/** A download link refused or gone (expired signed links, a file deleted after its time). */
function isGoneFile(error: unknown): boolean {
	return error instanceof NodeApiError && ['401', '403', '404', '410'].includes(String(error.httpCode));
}

function readMaxRowsPerPoll(value: unknown): number {
	if (value === undefined) return DEFAULT_MAX_ROWS_PER_POLL;
	return typeof value === 'number' && value > 0 ? value : Infinity;
}

function pendingJobOf<Request>(state: TriggerState): TriggerJob<Request> | undefined {
	const pending = state.pendingJob;
	if (!pending) return undefined;
	return { id: pending.id, startedAt: pending.startedAt, request: pending.request as Request };
}

/** What a poll read of a finished job. */
interface TriggerRead {
	/** Rows not emitted before (empty for a baseline, which keeps only keys). */
	fresh: Row[];
	freshCount: number;
	/** Rows read this poll. */
	rows: number;
	/** The job's rows handled so far, this poll and before. */
	rowsDone: number;
	complete: boolean;
	/** The dedupe keys to remember of the job so far (null: too many). */
	keys: string[] | null;
}

/**
 * Reads a finished job's rows past those handled by earlier polls, up to `room`, dropping rows
 * emitted before; keeps the dedupe keys a later job may return (of every row, for a provider that
 * compares passes).
 */
async function readForTrigger<Request>(
	ctx: IPollFunctions,
	trigger: IncrementalTrigger<Request>,
	state: TriggerState,
	job: TriggerJob<Request>,
	finished: FinishedJob<Request>,
	partly: PartlyEmitted | undefined,
	room: number,
	keepRows: boolean,
): Promise<TriggerRead> {
	const dedupe = trigger.dedupe;
	const seen = new Set((state.recent ?? []).flatMap((entry) => entry.keys));
	const maxKeys = dedupe?.maxKeysPerJob ?? MAX_KEYS_PER_JOB;
	let keys: string[] | null = partly ? partly.keys : [];
	const fresh: Row[] = [];
	let freshCount = 0;
	let rows = 0;
	const keep = (rowKey: string, row: Row) => {
		if (!keys || (dedupe?.mayReturn && !dedupe.mayReturn(row, job))) return;
		keys.push(rowKey);
		if (keys.length > maxKeys) keys = null;
	};
	// `room` counts rows emitted, not rows read: rows emitted before do not use it up.
	const window = new RowWindow(partly?.rows ?? 0);
	await streamJobRows(ctx, trigger.job, finished, trigger.download, window, (batch) => {
		for (const row of batch) {
			if (freshCount >= room) {
				window.stopped = true;
				return;
			}
			rows++;
			const rowKey = dedupe ? dedupe.keyOf(row) : '';
			const isFresh = !dedupe || !seen.has(rowKey);
			if (dedupe && (isFresh || dedupe.rememberEvery)) keep(rowKey, row);
			if (!isFresh) continue;
			freshCount++;
			if (keepRows) fresh.push(row);
		}
	});
	return { fresh, freshCount, rows, rowsDone: window.skip + rows, complete: !window.stopped, keys };
}

/** What the next poll needs to go on with a job: how far it got, and the job's files. */
function partlyEmitted<Request>(finished: FinishedJob<Request>, read: TriggerRead, dedupe: Dedupe<Request> | undefined): PartlyEmitted {
	const { files, recordCount, details } = finished.done;
	return {
		rows: read.rowsDone,
		files: files.map(({ url, name, size, format, recordType, auth }) => ({ url, name, size, format, recordType, auth }) as IDataObject),
		...(recordCount !== undefined ? { recordCount } : {}),
		...(details ? { details } : {}),
		keys: dedupe ? read.keys : [],
	};
}

function doneOf(partly: PartlyEmitted): DoneJobState {
	const files = partly.files.map((file) => JSON.parse(JSON.stringify(file)) as ExportFile);
	return { phase: 'done', files, recordCount: partly.recordCount, details: partly.details };
}

/** Keeps the keys of emitted rows a later job can return, and forgets what can no longer come back. */
function remember<Request>(state: TriggerState, dedupe: Dedupe<Request> | undefined, job: TriggerJob<Request>, keys: string[] | null, position: string): void {
	if (!dedupe) return;
	const kept = (state.recent ?? []).filter((entry) => dedupe.stillReturnable(entry.tag, position));
	const tag = dedupe.tagOf(job);
	if (dedupe.stillReturnable(tag, position)) kept.push({ tag, keys: keys ?? [] });
	state.recent = kept;
}

/** "Fetch Test Event": a few recent changes; the trigger's state is left alone. */
async function sample<Request>(ctx: IPollFunctions, trigger: IncrementalTrigger<Request>): Promise<INodeExecutionData[][] | null> {
	const { job } = trigger;
	setDeadline(ctx, Date.now() + job.schedule.timeoutMs);
	const request = await trigger.sampleRequest();
	const started = await startOrJoin(ctx, job, request, { whenBusy: 'fail' });
	if (!('id' in started)) return null;
	const result = await finishJob(ctx, job, { id: started.id, request: started.request }, { whenBusy: 'fail', retryFailedOnce: false, onTimeout: 'fail' });
	if (!('finished' in result)) return null;
	const items = await readJobRows(ctx, job, result.finished, { download: trigger.download, rowLimit: trigger.sampleSize, pairedItem: { item: 0 } });
	return items.length ? [items.map(({ json }) => ({ json }))] : null;
}

/** A short fingerprint of a row's content: the same record with the same values gives the same key. */
export function contentKey(row: Row): string {
	return createHash('sha1').update(JSON.stringify(row)).digest('base64').slice(0, 16);
}
