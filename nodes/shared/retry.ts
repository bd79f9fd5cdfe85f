/** Backoff and Retry-After arithmetic shared by API requests, downloads and the poll loop. */

export function backoffMs(attempt: number, firstMs: number, capMs: number, factor = 2): number {
	return Math.min(capMs, Math.round(firstMs * factor ** attempt));
}

/**
 * How long the server asked us to wait, from `Retry-After` (seconds or an HTTP date) or
 * `X-RateLimit-Retry-After` (an epoch timestamp, Rebilly's style). Undefined when absent.
 */
export function retryAfterMs(
	headers: Record<string, unknown> | undefined,
	now: number = Date.now(),
): number | undefined {
	const raw = header(headers, 'retry-after') ?? header(headers, 'x-ratelimit-retry-after');
	if (raw === undefined) return undefined;
	const value = raw.trim();
	if (/^\d+(\.\d+)?$/.test(value)) {
		const number = Number(value);
		// Large numbers are epoch timestamps (seconds, or milliseconds), small ones are delays.
		if (number > 1e12) return Math.max(0, number - now);
		if (number > 1e9) return Math.max(0, number * 1000 - now);
		return number * 1000;
	}
	// An HTTP date has a weekday or month name; anything else ("-5", "soon") is not a wait.
	if (!/[a-z]{3}/i.test(value)) return undefined;
	const date = Date.parse(value);
	return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A wait in words for messages: "24 hours", "5 minutes", "30 seconds". */
export function describeWait(ms: number): string {
	const unit = (count: number, name: string) => `${count} ${name}${count === 1 ? '' : 's'}`;
	if (ms >= 2 * 60 * 60_000) return unit(Math.round(ms / (60 * 60_000)), 'hour');
	if (ms >= 2 * 60_000) return unit(Math.round(ms / 60_000), 'minute');
	return unit(Math.max(1, Math.round(ms / 1000)), 'second');
}

export function header(headers: Record<string, unknown> | undefined, name: string): string | undefined {
	if (!headers) return undefined;
	const value = headers[name] ?? headers[name.toLowerCase()];
	if (Array.isArray(value)) return value.length ? String(value[0]) : undefined;
	return value === undefined || value === null ? undefined : String(value);
}
