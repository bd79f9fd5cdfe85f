import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

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
});
