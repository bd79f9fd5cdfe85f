import { NodeOperationError } from 'n8n-workflow';
import type { INode } from 'n8n-workflow';

import { sleepUnlessCancelled, throwIfCancelled } from './cancel';
import { backoffMs } from './retry';
import type { DoneJobState, EngineContext, FailedJobState, JobState, RunningJobState } from './types';

export interface PollSchedule {
	firstIntervalMs: number;
	maxIntervalMs: number;
	timeoutMs: number;
}

// Start fast (small exports are done in seconds), then back off so that a long job costs
// a few dozen status requests, not one per second.
export const DEFAULT_POLL_SCHEDULE: PollSchedule = {
	firstIntervalMs: 2_000,
	maxIntervalMs: 30_000,
	timeoutMs: 60 * 60_000,
};
const BACKOFF_FACTOR = 1.5;

/**
 * A job that failed or expired; `state` is its last status, for callers that can get past it.
 * It names the job, but gives no resume hint: there is nothing left to pick up.
 */
export class JobFailedError extends NodeOperationError {
	constructor(
		node: INode,
		readonly state: FailedJobState,
		jobLabel: string,
	) {
		super(node, state.reason, { description: [state.description, `(${jobLabel})`].filter(Boolean).join(' ') });
	}
}

/** How a wait ended: the job is done, or it is still running at the deadline (`onTimeout: 'return'`). */
export type WaitResult = { finished: true; state: DoneJobState } | { finished: false; state: RunningJobState };

export interface WaitForJobOptions {
	/** How the job is named in logs and errors, e.g. "4me export 68ef5e…". */
	jobLabel: string;
	/** Tells the user how to pick the job up again; added to every error after the start. */
	resumeHint: string;
	poll: () => Promise<JobState>;
	schedule: PollSchedule;
	/** At the timeout: fail (an action) or return the running state (a trigger resumes on its next poll). */
	onTimeout: 'fail' | 'return';
}

/**
 * Polls a started job until it is done or the timeout; a failed or expired job throws a
 * JobFailedError that carries its last state.
 */
export async function waitForJob(ctx: EngineContext, options: WaitForJobOptions): Promise<WaitResult> {
	const { jobLabel, resumeHint, schedule } = options;
	const startedAt = Date.now();
	let lastReported = '';
	for (let attempt = 0; ; attempt++) {
		throwIfCancelled(ctx, resumeHint);
		const state = await options.poll();
		const report = state.phase + ('progress' in state && state.progress ? ` (${state.progress})` : '');
		if (report !== lastReported) {
			ctx.logger.info(`${jobLabel}: ${report}`);
			lastReported = report;
		}
		if (state.phase === 'done') return { finished: true, state };
		if (state.phase === 'failed' || state.phase === 'expired') throw new JobFailedError(ctx.getNode(), state, jobLabel);
		const remaining = schedule.timeoutMs - (Date.now() - startedAt);
		if (remaining <= 0 && options.onTimeout === 'return') {
			ctx.logger.info(`${jobLabel}: still ${state.phase}, will check again on the next poll`);
			return { finished: false, state: state as RunningJobState };
		}
		if (remaining <= 0) {
			throw new NodeOperationError(
				ctx.getNode(),
				`${jobLabel} did not finish within ${formatDuration(schedule.timeoutMs)}`,
				{ description: `It is still ${state.phase}. ${resumeHint}` },
			);
		}
		const wait = backoffMs(attempt, schedule.firstIntervalMs, schedule.maxIntervalMs, BACKOFF_FACTOR);
		// The last status request falls exactly on the timeout.
		await sleepUnlessCancelled(ctx, Math.min(wait, remaining), resumeHint);
	}
}

function formatDuration(ms: number): string {
	if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} minute${ms === 60_000 ? '' : 's'}`;
	return `${Math.round(ms / 100) / 10} seconds`;
}

/**
 * A job in a status the node does not know fails at once: waiting for it could last for ever.
 * `job` names it ("Mews export 3fa8…"), `description` lists the documented statuses.
 */
export function unknownStatusState(job: string, value: unknown, description: string): FailedJobState {
	return { phase: 'failed', code: 'UnknownStatus', reason: `The ${job} is in a status this node does not know: ${JSON.stringify(value ?? null)}`, description };
}
