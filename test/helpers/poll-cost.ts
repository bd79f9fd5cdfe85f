// The shared engine's poll loop (waitForJob, nodes/shared/job.ts) on a virtual clock: node:test's
// mock timers stand in for setTimeout and Date, and the clock jumps from one pending timer to the
// next, so an hour of polling takes a moment and every status request is timed to the millisecond.
//
// Used by test/engine/poll-schedule.test.ts and by the benchmark's polling figures
// (bench/polling.ts, which passes the waitForJob of the engine it measures).
import { mock } from 'node:test';

import type { PollSchedule, WaitResult, waitForJob as WaitForJob } from '../../nodes/shared/job';

export interface VirtualPoll {
	/** Virtual time (ms since the wait started) of every status request. */
	checks: number[];
	/** How the wait ended: its result, or what it threw. */
	result?: WaitResult;
	error?: unknown;
}

export interface VirtualPollOptions {
	schedule: PollSchedule;
	/** When the job is done (ms since the start); Infinity: never. */
	doneAtMs: number;
	onTimeout?: 'fail' | 'return';
}

const context = {
	getNode: () => ({ id: 'virtual', name: 'virtual clock', type: 'n8n-nodes-bulk-export.virtual', typeVersion: 1, position: [0, 0], parameters: {} }),
	logger: { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} },
	getExecutionCancelSignal: () => undefined,
};

/** Runs `waitForJob` against a job that is done at `doneAtMs`, on a virtual clock that starts at 0. */
export async function pollOnVirtualClock(waitForJob: typeof WaitForJob, options: VirtualPollOptions): Promise<VirtualPoll> {
	mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
	// Note when each timer is due, to move the clock exactly there.
	const mockedSetTimeout = globalThis.setTimeout;
	const due: number[] = [];
	globalThis.setTimeout = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
		due.push(Date.now() + Math.max(0, ms ?? 0));
		return mockedSetTimeout(callback, ms, ...args);
	}) as typeof setTimeout;
	const outcome: VirtualPoll = { checks: [] };
	try {
		let settled = false;
		const waiting = waitForJob(context as never, {
			jobLabel: 'virtual job',
			resumeHint: '',
			onTimeout: options.onTimeout ?? 'fail',
			schedule: options.schedule,
			poll: async () => {
				outcome.checks.push(Date.now());
				return Date.now() >= options.doneAtMs ? { phase: 'done', files: [] } : { phase: 'running' };
			},
		})
			.then(
				(result) => {
					outcome.result = result;
				},
				(error: unknown) => {
					outcome.error = error;
				},
			)
			.finally(() => {
				settled = true;
			});
		for (let idle = 0; !settled; ) {
			// Let the loop run up to its next sleep (setImmediate is not mocked).
			await new Promise((resolve) => setImmediate(resolve));
			if (settled) break;
			if (!due.length) {
				if (++idle > 20) throw new Error('waitForJob waits on something other than a timer');
				continue;
			}
			idle = 0;
			const next = Math.min(...due);
			mock.timers.tick(next - Date.now());
			due.splice(0, due.length, ...due.filter((at) => at > next));
		}
		await waiting;
		return outcome;
	} finally {
		globalThis.setTimeout = mockedSetTimeout;
		mock.timers.reset();
	}
}

export interface PollingCost {
	jobSeconds: number;
	statusRequests: number;
	/** Seconds from the job finishing to the status request that saw it done. */
	lagSeconds: number;
	/** Waits between status requests, seconds. */
	waits: number[];
}

/**
 * The status requests a job of `jobSeconds` costs with `schedule`; the timeout is raised to the
 * job's length + 2 minutes when shorter, so the job is always seen done.
 */
export async function pollingCost(waitForJob: typeof WaitForJob, schedule: PollSchedule, jobSeconds: number): Promise<PollingCost> {
	const doneAtMs = jobSeconds * 1000;
	const { checks, error } = await pollOnVirtualClock(waitForJob, {
		schedule: { ...schedule, timeoutMs: Math.max(schedule.timeoutMs, doneAtMs + 120_000) },
		doneAtMs,
	});
	if (error) throw error;
	return {
		jobSeconds,
		statusRequests: checks.length,
		lagSeconds: (checks[checks.length - 1] - doneAtMs) / 1000,
		waits: checks.slice(1).map((at, i) => (at - checks[i]) / 1000),
	};
}
