import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { IPollFunctions } from 'n8n-workflow';

import { maxWaitPerPollMs } from '../../nodes/shared/description';
import { DEFAULT_NETWORK_TIMEOUT_MS } from '../../nodes/shared/http';
import { DEFAULT_POLL_SCHEDULE } from '../../nodes/shared/job';
import { waitOptions } from '../../nodes/FourMe/actions/export/common';

describe('node descriptions', () => {
	it('show the engine\'s poll schedule as the defaults of the wait options', () => {
		const defaults = Object.fromEntries(waitOptions.map((option) => [option.name, option.default]));
		assert.deepEqual(defaults, {
			timeoutMinutes: DEFAULT_POLL_SCHEDULE.timeoutMs / 60_000,
			firstPollSeconds: DEFAULT_POLL_SCHEDULE.firstIntervalMs / 1000,
			maxPollSeconds: DEFAULT_POLL_SCHEDULE.maxIntervalMs / 1000,
			networkTimeoutSeconds: DEFAULT_NETWORK_TIMEOUT_MS / 1000,
		});
	});

	it('fit the wait for a job into the time n8n gives a poll, keeping time to download and emit', () => {
		const poll = (budgetMs: number) => ({ getPollBudgetMs: () => budgetMs }) as unknown as IPollFunctions;
		// n8n's default poll budget (5 minutes): the default wait of 4 minutes fits with a minute to spare.
		assert.equal(maxWaitPerPollMs(poll(300_000), {}), 240_000);
		assert.equal(maxWaitPerPollMs(poll(300_000), { maxWaitMinutes: 10 }), 240_000);
		// The durable scheduler's 36 s (45 s poll timeout minus its margin): half of it to wait, half to download and emit.
		assert.equal(maxWaitPerPollMs(poll(36_000), {}), 18_000);
		assert.equal(maxWaitPerPollMs(poll(36_000), { maxWaitMinutes: 0.1 }), 6_000);
	});
});
