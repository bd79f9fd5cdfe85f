import { createHash } from 'crypto';

import type { IDataObject, INodeExecutionData, IPollFunctions } from 'n8n-workflow';

import { cancelSignalOf, setDeadline } from './cancel';
import { applyEngineOptions, POLL_BUDGET_RESERVE_MS } from './description';
import type { DownloadOptions } from './download';
import { asNodeError } from './errors';
import { finishJob, readJobRows, startOrJoin, type ExportJob, type FinishedJob } from './exportJob';
import { JobFailedError } from './job';
import type { DoneJobState, FailedJobState, Row } from './types';

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
	pendingJob?: IDataObject & { id: string; startedAt: string; request?: IDataObject };
	/** Keys of emitted rows a later job can still return, per job. */
	recent?: Array<{ tag: string; keys: string[] }>;
	/** Polls before this moment (ISO) do nothing: the provider refused, and said for how long. */
	waitUntil?: string;
	/** Jobs that failed one after another, after the poll that started them (reset by a success). */
	failuresInARow?: number;
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
	applyEngineOptions(ctx, ctx.getNodeParameter('options', {}) as IDataObject);
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
	setDeadline(ctx, deadline + POLL_BUDGET_RESERVE_MS);
	const emitted: Row[] = [];
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
		let rows: Row[];
		try {
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
			pending = { ...pending, id: finished.id, request: finished.request as Request };
			rows = (await readJobRows(ctx, job, finished, { download: trigger.download, pairedItem: { item: 0 } })).map((item) => item.json as Row);
		} catch (error) {
			const outcome = failureOutcome(ctx, trigger, state, pending, error, emitted.length > 0, startedThisPoll);
			if (outcome === 'throw') throw asNodeError(ctx.getNode(), error);
			break;
		}

		const { fresh, keys, allKeys } = dropEmitted(rows, state, trigger.dedupe);
		if (trigger.baseline?.(pending)) ctx.logger.info(`${trigger.name}: ${fresh.length} records remembered as the starting point, not emitted`);
		else for (const row of fresh) emitted.push(row);
		const position = trigger.positionAfter(pending, state[key], finished.done);
		state[key] = position;
		if (trigger.dedupe?.rememberEvery) remember(state, trigger.dedupe, pending, rows, allKeys, position);
		else remember(state, trigger.dedupe, pending, fresh, keys, position);
		delete state.pendingJob;
		delete state.failuresInARow;
		if (fresh.length !== rows.length) ctx.logger.info(`${trigger.name}: ${rows.length - fresh.length} rows were emitted before`);

		// A backlog (a cursor chain, date ranges) goes on within this poll while it has time.
		request = job.next?.(pending.request, finished.done);
		if (request === undefined || Date.now() >= deadline) break;
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

function pendingJobOf<Request>(state: TriggerState): TriggerJob<Request> | undefined {
	const pending = state.pendingJob;
	if (!pending) return undefined;
	return { id: pending.id, startedAt: pending.startedAt, request: pending.request as Request };
}

/** Rows not emitted before, with their dedupe keys, and the keys of all rows (each computed once). */
function dropEmitted<Request>(rows: Row[], state: TriggerState, dedupe: Dedupe<Request> | undefined): { fresh: Row[]; keys: string[]; allKeys: string[] } {
	if (!dedupe) return { fresh: rows, keys: [], allKeys: [] };
	const seen = new Set((state.recent ?? []).flatMap((job) => job.keys));
	const fresh: Row[] = [];
	const keys: string[] = [];
	const allKeys: string[] = [];
	for (const row of rows) {
		const rowKey = dedupe.keyOf(row);
		allKeys.push(rowKey);
		if (seen.has(rowKey)) continue;
		fresh.push(row);
		keys.push(rowKey);
	}
	return { fresh, keys, allKeys };
}

/** Keeps the keys of emitted rows a later job can return, and forgets what can no longer come back. */
function remember<Request>(
	state: TriggerState,
	dedupe: Dedupe<Request> | undefined,
	job: TriggerJob<Request>,
	emitted: Row[],
	keys: string[],
	position: string,
): void {
	if (!dedupe) return;
	const kept = (state.recent ?? []).filter((entry) => dedupe.stillReturnable(entry.tag, position));
	const returnable = dedupe.mayReturn ? keys.filter((_, index) => dedupe.mayReturn!(emitted[index], job)) : keys;
	const tag = dedupe.tagOf(job);
	if (dedupe.stillReturnable(tag, position)) kept.push({ tag, keys: returnable.length <= (dedupe.maxKeysPerJob ?? MAX_KEYS_PER_JOB) ? returnable : [] });
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
