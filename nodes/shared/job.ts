import { NodeOperationError } from 'n8n-workflow';

import { sleepUnlessCancelled, throwIfCancelled } from './cancel';
import { backoffMs } from './retry';
import type { DoneJobState, EngineContext, JobState } from './types';

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

export interface WaitForJobOptions {
	/** How the job is named in logs and errors, e.g. "4me export 68ef5e…". */
	jobLabel: string;
	/** Tells the user how to pick the job up again; added to every error after the start. */
	resumeHint: string;
	poll: () => Promise<JobState>;
	schedule: PollSchedule;
	/** Return undefined at the timeout instead of failing: a trigger resumes the job on its next poll. */
	resumeLaterOnTimeout?: boolean;
}

/** Polls a started job until it is done, and fails clearly when it fails, expires or takes too long. */
export async function waitForJob(
	ctx: EngineContext,
	options: WaitForJobOptions & { resumeLaterOnTimeout: true },
): Promise<DoneJobState | undefined>;
export async function waitForJob(ctx: EngineContext, options: WaitForJobOptions): Promise<DoneJobState>;
export async function waitForJob(ctx: EngineContext, options: WaitForJobOptions): Promise<DoneJobState | undefined> {
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
		switch (state.phase) {
			case 'done':
				return state;
			case 'failed':
			case 'expired':
				throw new NodeOperationError(ctx.getNode(), state.reason, {
					description: [state.description, resumeHint].filter(Boolean).join(' '),
				});
		}
		const remaining = schedule.timeoutMs - (Date.now() - startedAt);
		if (remaining <= 0 && options.resumeLaterOnTimeout) {
			ctx.logger.info(`${jobLabel}: still ${state.phase}, will check again on the next poll`);
			return undefined;
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
