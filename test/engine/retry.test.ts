import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { backoffMs, retryAfterMs } from '../../nodes/shared/retry';

describe('Retry-After', () => {
	const now = Date.parse('2026-11-23T10:00:00Z');

	it('reads seconds, HTTP dates and epoch timestamps', () => {
		assert.equal(retryAfterMs({ 'retry-after': '30' }, now), 30_000);
		assert.equal(retryAfterMs({ 'retry-after': 'Mon, 23 Nov 2026 10:00:12 GMT' }, now), 12_000);
		assert.equal(retryAfterMs({ 'x-ratelimit-retry-after': String(now / 1000 + 5) }, now), 5_000);
		assert.equal(retryAfterMs({ 'retry-after': ['2'] }, now), 2_000);
	});

	it('is undefined when absent or unreadable, and never negative', () => {
		assert.equal(retryAfterMs({}, now), undefined);
		assert.equal(retryAfterMs({ 'retry-after': 'soon' }, now), undefined);
		assert.equal(retryAfterMs({ 'retry-after': 'Mon, 23 Nov 2026 09:00:00 GMT' }, now), 0);
	});
});

describe('backoff', () => {
	it('grows by the factor up to the cap', () => {
		assert.deepEqual([0, 1, 2, 3, 10].map((attempt) => backoffMs(attempt, 1000, 5000)), [1000, 2000, 4000, 5000, 5000]);
	});
});
