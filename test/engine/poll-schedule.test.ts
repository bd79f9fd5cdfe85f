// The poll schedule of the shared engine's waitForJob (nodes/shared/job.ts), on a virtual clock
// (test/helpers/poll-cost.ts): how many status requests a job costs, how the waits grow, that the
// timeout is kept, and how soon a finished job is seen. bench/polling.ts reports the same figures.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { NodeOperationError } from 'n8n-workflow';

import { DEFAULT_POLL_SCHEDULE, waitForJob, type PollSchedule } from '../../nodes/shared/job';
import { pollingCost, pollOnVirtualClock } from '../helpers/poll-cost';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const { firstIntervalMs, maxIntervalMs } = DEFAULT_POLL_SCHEDULE;

describe('poll schedule (virtual clock)', () => {
	it('the default schedule: 2 s first, ×1.5 per check, at most 30 s, 60 minutes', () => {
		assert.deepEqual(DEFAULT_POLL_SCHEDULE, { firstIntervalMs: 2 * SECOND, maxIntervalMs: 30 * SECOND, timeoutMs: 60 * MINUTE });
	});

	it('a 10-minute job costs at most 30 status requests, not one per second', async () => {
		const cost = await pollingCost(waitForJob, DEFAULT_POLL_SCHEDULE, 600);
		assert.ok(cost.statusRequests <= 30, `${cost.statusRequests} status requests`);
		assert.ok(cost.statusRequests >= 600 / 30, `${cost.statusRequests} status requests: no wait is longer than 30 s`);
	});

	it('a job costs at most 8 requests to ramp up, then one per 30 s', async () => {
		for (const jobSeconds of [10, 60, 300, 1800, 3600]) {
			const { statusRequests } = await pollingCost(waitForJob, DEFAULT_POLL_SCHEDULE, jobSeconds);
			const bound = 1 + 8 + Math.ceil((jobSeconds * SECOND) / maxIntervalMs);
			assert.ok(statusRequests <= bound, `${jobSeconds} s: ${statusRequests} status requests, at most ${bound}`);
		}
	});

	it('waits grow ×1.5 from the first interval up to the cap, then stay at the cap', async () => {
		const { waits } = await pollingCost(waitForJob, DEFAULT_POLL_SCHEDULE, 3600);
		const expected = waits.map((_, attempt) => Math.min(maxIntervalMs, Math.round(firstIntervalMs * 1.5 ** attempt)) / SECOND);
		assert.deepEqual(waits, expected);
		assert.equal(waits[0], 2);
		assert.equal(waits[1], 3);
		const capAt = waits.indexOf(30);
		assert.ok(capAt > 0 && capAt <= 8, `the cap is reached after ${capAt} waits`);
		assert.ok(waits.slice(capAt).every((wait) => wait === 30));
		// Another schedule is followed the same way.
		const custom = await pollingCost(waitForJob, { firstIntervalMs: SECOND, maxIntervalMs: 5 * SECOND, timeoutMs: MINUTE }, 20);
		assert.deepEqual(custom.waits.slice(0, 6), [1, 1.5, 2.25, 3.375, 5, 5]);
	});

	it('the last status request falls on the timeout, never after it', async () => {
		const schedules: PollSchedule[] = [
			{ ...DEFAULT_POLL_SCHEDULE, timeoutMs: 100 * SECOND }, // between two scheduled checks
			{ ...DEFAULT_POLL_SCHEDULE, timeoutMs: 64_344 }, // exactly on one
			DEFAULT_POLL_SCHEDULE,
		];
		for (const schedule of schedules) {
			const returned = await pollOnVirtualClock(waitForJob, { schedule, doneAtMs: Infinity, onTimeout: 'return' });
			assert.equal(returned.error, undefined);
			assert.equal(returned.result?.finished, false, 'a running job at the deadline is returned as still running');
			assert.equal(returned.result?.state.phase, 'running');
			assert.equal(Math.max(...returned.checks), schedule.timeoutMs);
			assert.equal(returned.checks.at(-1), schedule.timeoutMs, 'the last check is on the timeout');
			assert.equal(new Set(returned.checks).size, returned.checks.length, 'no two checks at once');

			const failed = await pollOnVirtualClock(waitForJob, { schedule, doneAtMs: Infinity, onTimeout: 'fail' });
			assert.ok(failed.error instanceof NodeOperationError, 'an action fails at the timeout');
			assert.match(failed.error.message, /did not finish within/);
			assert.deepEqual(failed.checks, returned.checks);
		}
		// A job that finishes right at the deadline is seen done by that last check.
		const atDeadline = await pollOnVirtualClock(waitForJob, { schedule: schedules[0], doneAtMs: 100 * SECOND });
		assert.equal(atDeadline.result?.finished, true);
		assert.equal(atDeadline.checks.at(-1), 100 * SECOND);
	});

	it('a job done at time T is seen by the first check at or after T, within 30 s', async () => {
		for (const doneAtMs of [0, 1, 1_999, 2_000, 7_300, 41_563, 64_345, 65 * SECOND, 301 * SECOND, 599_500, 30 * MINUTE - 1, 59 * MINUTE]) {
			const { checks, result } = await pollOnVirtualClock(waitForJob, { schedule: DEFAULT_POLL_SCHEDULE, doneAtMs });
			assert.equal(result?.finished, true, `done at ${doneAtMs} ms`);
			const seen = checks.at(-1) as number;
			assert.ok(seen >= doneAtMs, `seen at ${seen} ms, done at ${doneAtMs} ms`);
			assert.ok(seen - doneAtMs <= maxIntervalMs, `done at ${doneAtMs} ms, seen ${seen - doneAtMs} ms later`);
			if (checks.length > 1) assert.ok((checks.at(-2) as number) < doneAtMs, 'the check before saw it running');
		}
	});
});
