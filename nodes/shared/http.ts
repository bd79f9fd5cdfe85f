import type { IDataObject, IHttpRequestMethods, IHttpRequestOptions, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { cancelSignalOf, sleepUnlessCancelled, throwIfCancelled, timeLeftMs } from './cancel';
import { describeError } from './errors';
import { backoffMs, describeWait, retryAfterMs } from './retry';
import { maskSecrets, maskText, secretValuesOf } from './secrets';
import { describeAddress, isHttpUrl, originOf, pathOf, resolveUrl } from './urls';
import type { EngineContext } from './types';

export interface ApiResponse<T = unknown> {
	statusCode: number;
	headers: Record<string, unknown>;
	body: T;
}

/** Turns a provider's error response into words a user can act on. */
export type ErrorExplainer = (
	statusCode: number,
	body: unknown,
) => { message: string; description?: string } | undefined;

export interface ApiRequestOptions {
	/** Names the provider in errors and logs: "4me", "Mews". */
	provider: string;
	/** The credential for the request; none: the request goes without (an address it may not go to). */
	credentialType?: string;
	method: IHttpRequestMethods;
	url: string;
	headers?: IDataObject;
	body?: IHttpRequestOptions['body'];
	qs?: IDataObject;
	/** Statuses other than 2xx that the caller handles itself (e.g. 404 for a job that is gone). */
	acceptStatus?: number[];
	explainError?: ErrorExplainer;
	/** Added to every error, e.g. the job id so the user can resume. */
	errorContext?: string;
	/**
	 * A request that must not be sent twice (an import): after a timeout, a broken connection or
	 * a 5xx it may have taken effect, so it fails instead of being retried, and says so.
	 */
	notIdempotent?: boolean;
}

const MAX_THROTTLED_ATTEMPTS = 8;
const MAX_FAILED_ATTEMPTS = 4;
/** A host that accepts the request and then says nothing is asked this often in all. */
const MAX_SILENT_ATTEMPTS = 2;
const MAX_REDIRECTS = 5;
const DEFAULT_THROTTLE_WAIT_MS = 10_000;
/** Without a deadline (a single request such as Get Status), no wait beyond this. */
const MAX_THROTTLE_WAIT_MS = 5 * 60_000;
/** Waits longer than this are logged as warnings: the user should see why nothing happens. */
const NOTABLE_WAIT_MS = 5_000;
export const DEFAULT_NETWORK_TIMEOUT_MS = 60_000;

const networkTimeouts = new WeakMap<object, number>();

/** How long a request or a download may stay silent before it is retried (then fails). */
export function setNetworkTimeout(ctx: EngineContext, ms: number): void {
	networkTimeouts.set(ctx, ms);
}

export function networkTimeoutMs(ctx: EngineContext): number {
	return networkTimeouts.get(ctx) ?? DEFAULT_NETWORK_TIMEOUT_MS;
}

/**
 * One authenticated API request through n8n's credential helper. Rate limits (429, 503) are
 * waited out as the server asks, within the node's time; 5xx and network failures are retried
 * with backoff. The credential goes to the API's own origin only: redirects are followed here,
 * never to another origin. Secrets a misbehaving answer echoes are masked before anything reads it.
 */
export async function apiRequest<T = unknown>(ctx: EngineContext, options: ApiRequestOptions): Promise<ApiResponse<T>> {
	const secrets = options.credentialType ? secretValuesOf(await ctx.getCredentials(options.credentialType).catch(() => undefined)) : [];
	const origin = new URL(options.url).origin;
	let url = options.url;
	let method = options.method;
	let throttled = 0;
	let failed = 0;
	let silent = 0;
	let redirects = 0;
	for (;;) {
		const call = { ...options, url, method };
		let response: ApiResponse<T>;
		try {
			const request: IHttpRequestOptions = {
				method,
				url,
				headers: options.headers,
				body: method === 'GET' ? undefined : options.body,
				qs: url === options.url ? options.qs : undefined,
				json: true,
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
				disableFollowRedirect: true,
				allowedDomains: new URL(url).hostname,
				timeout: networkTimeoutMs(ctx),
				abortSignal: cancelSignalOf(ctx),
			};
			response = (options.credentialType
				? await ctx.helpers.httpRequestWithAuthentication.call(ctx, options.credentialType, request)
				: await ctx.helpers.httpRequest(request)) as ApiResponse<T>;
		} catch (error) {
			throwIfCancelled(ctx, options.errorContext);
			if (isPermanent(error)) throw networkError(ctx, call, error, secrets);
			if (options.notIdempotent && !neverReached(error)) throw withMaybeDone(networkError(ctx, call, error, secrets), call);
			const timedOut = isTimeout(error);
			if (timedOut ? ++silent >= MAX_SILENT_ATTEMPTS : ++failed >= MAX_FAILED_ATTEMPTS) throw networkError(ctx, call, error, secrets);
			await waitBeforeRetry(ctx, call, backoffMs(failed + silent - 1, 1000, 8000), timedOut ? `no answer within ${describeWait(networkTimeoutMs(ctx))}` : maskText(describeError(error), secrets));
			continue;
		}
		response = { ...response, headers: maskSecrets(response.headers ?? {}, secrets), body: maskSecrets(response.body, secrets) };
		const { statusCode } = response;

		const location = typeof response.headers.location === 'string' ? response.headers.location : undefined;
		if (statusCode >= 300 && statusCode < 400 && location && !options.acceptStatus?.includes(statusCode)) {
			const next = resolveLocation(location, url);
			if (!next || new URL(next).origin !== origin) throw crossOriginRedirect(ctx, call, statusCode, next ?? location, origin);
			if (++redirects > MAX_REDIRECTS) throw redirectLoop(ctx, call);
			// 303 (and 301/302 after a POST, as browsers do) continue as a GET.
			if (statusCode === 303 || ((statusCode === 301 || statusCode === 302) && method === 'POST')) method = 'GET';
			url = next;
			continue;
		}
		const asked = retryAfterMs(response.headers);
		// A rate limit that says how long to wait is kept to (or the node stops at once), even where
		// the caller takes the status itself: it only handles a 429 that says nothing.
		const throttledAnswer = statusCode === 429 || (statusCode === 503 && asked !== undefined);
		const accepted = options.acceptStatus?.includes(statusCode) && !(throttledAnswer && asked !== undefined);
		if (statusCode < 300 || accepted) {
			if (statusCode < 300) checkJsonBody(ctx, call, response);
			return response;
		}

		// 429, and a 503 that says when to come back, are rate limits; a bare 503 is a server error.
		if (throttledAnswer && ++throttled < MAX_THROTTLED_ATTEMPTS) {
			const left = timeLeftMs(ctx) ?? MAX_THROTTLE_WAIT_MS;
			// A wait the provider asks for is kept to (or the node stops at once); without one, back off.
			if (asked !== undefined && asked > left) throw waitTooLong(ctx, call, statusCode, asked, left);
			const wait = asked ?? Math.min(backoffMs(throttled - 1, 1000, DEFAULT_THROTTLE_WAIT_MS), Math.max(left, 1000));
			const why = statusCode === 429 ? `rate limited (HTTP 429)` : `the service is unavailable (HTTP 503)`;
			await waitBeforeRetry(ctx, call, wait, asked === undefined ? why : `${why}, ${options.provider} asks to wait ${describeWait(asked)}`);
			continue;
		}
		if (statusCode >= 500 && options.notIdempotent) throw withMaybeDone(apiError(ctx, call, statusCode, response.body), call);
		if (statusCode >= 500 && ++failed < MAX_FAILED_ATTEMPTS) {
			await waitBeforeRetry(ctx, call, backoffMs(failed - 1, 1000, 8000), `HTTP ${statusCode}`);
			continue;
		}
		throw apiError(ctx, call, statusCode, response.body);
	}
}

async function waitBeforeRetry(ctx: EngineContext, call: ApiRequestOptions, ms: number, why: string): Promise<void> {
	const line = `${call.provider}: ${call.method} ${pathOf(call.url)}: ${why}, retrying in ${describeWait(ms)}`;
	if (ms > NOTABLE_WAIT_MS) ctx.logger.warn(line);
	else ctx.logger.info(line);
	await sleepUnlessCancelled(ctx, ms, call.errorContext);
}

/** The call in an error: "GET /v1/export/68ef…" (never the query: signatures live there). */
function callOf(call: ApiRequestOptions): string {
	return `${call.method} ${pathOf(call.url)}`;
}

/** The error of a provider's answer, as apiRequest throws it (for statuses a caller accepted first). */
export function apiError(ctx: EngineContext, call: ApiRequestOptions, statusCode: number, body: unknown) {
	const providerMessage = messageOf(body);
	const explained = call.explainError?.(statusCode, body);
	const message = explained?.message ?? `${call.provider} answered HTTP ${statusCode} to ${callOf(call)}${providerMessage ? `: ${providerMessage}` : ''}`;
	const description = [explained?.description ?? (explained ? providerMessage : undefined), explained ? `(${callOf(call)})` : undefined, call.errorContext]
		.filter(Boolean)
		.join(' ');
	// Only the provider's own message and the status go into the error: never the request,
	// whose headers carry the credentials.
	const response: JsonObject = { message: providerMessage ?? message, httpCode: String(statusCode) };
	return new NodeApiError(ctx.getNode(), response, { message, description: description || undefined, httpCode: String(statusCode) });
}

function networkError(ctx: EngineContext, call: ApiRequestOptions, error: unknown, secrets: string[]) {
	const what = isTimeout(error)
		? `${call.provider} did not answer ${callOf(call)} within ${describeWait(networkTimeoutMs(ctx))}`
		: `Could not reach ${call.provider} at ${new URL(call.url).host} for ${callOf(call)}: ${maskText(describeError(error), secrets)}`;
	const hint = isTimeout(error) ? `The host accepted the connection but sent no answer (asked ${MAX_SILENT_ATTEMPTS} times); try again later.` : undefined;
	return new NodeApiError(ctx.getNode(), { message: what } as JsonObject, {
		message: what,
		description: [hint, call.errorContext].filter(Boolean).join(' ') || undefined,
	});
}

function waitTooLong(ctx: EngineContext, call: ApiRequestOptions, statusCode: number, waitMs: number, leftMs: number) {
	const message = `${call.provider} asks to wait ${describeWait(waitMs)} before the next request (HTTP ${statusCode} to ${callOf(call)})`;
	return new NodeApiError(ctx.getNode(), { message, httpCode: String(statusCode) } as JsonObject, {
		message,
		description: [`That is longer than the ${describeWait(leftMs)} this node has left, so it stops now instead of waiting.`, call.errorContext]
			.filter(Boolean)
			.join(' '),
		httpCode: String(statusCode),
	});
}

function crossOriginRedirect(ctx: EngineContext, call: ApiRequestOptions, statusCode: number, target: string, origin: string) {
	const message = `${call.provider} redirected ${callOf(call)} to another address (${originOf(target) ?? describeAddress(target)})`;
	return new NodeApiError(ctx.getNode(), { message, httpCode: String(statusCode) } as JsonObject, {
		message,
		description: [`The node sends the credential only to ${origin}, so it does not follow the redirect (HTTP ${statusCode}). Check the address in the credential.`, call.errorContext]
			.filter(Boolean)
			.join(' '),
		httpCode: String(statusCode),
	});
}

function redirectLoop(ctx: EngineContext, call: ApiRequestOptions) {
	const message = `${call.provider} redirected ${callOf(call)} more than ${MAX_REDIRECTS} times (a redirect loop)`;
	return new NodeApiError(ctx.getNode(), { message } as JsonObject, { message, description: call.errorContext });
}

/** A 2xx answer that should be JSON but is empty, an HTML page or other text (a proxy's error page). */
function checkJsonBody(ctx: EngineContext, call: ApiRequestOptions, response: ApiResponse<unknown>): void {
	const { body } = response;
	const empty = body === undefined || body === null || (typeof body === 'string' && !body.trim());
	if (empty && response.statusCode !== 204) {
		const message = `${call.provider} answered ${callOf(call)} with an empty body (HTTP ${response.statusCode}) instead of JSON`;
		throw new NodeApiError(ctx.getNode(), { message, httpCode: String(response.statusCode) } as JsonObject, {
			message,
			description: [`A proxy or gateway in front of ${new URL(call.url).host} may have answered instead of ${call.provider}; try again later.`, call.errorContext]
				.filter(Boolean)
				.join(' '),
			httpCode: String(response.statusCode),
		});
	}
	if (typeof body !== 'string' || !body.trim()) return;
	const html = /^\s*</.test(body);
	const title = /<title>([^<]{1,120})<\/title>/i.exec(body)?.[1]?.trim();
	const message = html
		? `${call.provider} answered ${callOf(call)} with an HTML page instead of JSON (HTTP ${response.statusCode}${title ? `: "${title}"` : ''})`
		: `${call.provider} answered ${callOf(call)} with text that is not JSON (HTTP ${response.statusCode}): ${body.trim().slice(0, 80)}`;
	throw new NodeApiError(ctx.getNode(), { message, httpCode: String(response.statusCode) } as JsonObject, {
		message,
		description: [
			`A proxy or gateway in front of ${new URL(call.url).host} may have answered instead of ${call.provider}; try again later.`,
			call.errorContext,
		]
			.filter(Boolean)
			.join(' '),
		httpCode: String(response.statusCode),
	});
}

function resolveLocation(location: string, base: string): string | undefined {
	const next = resolveUrl(location, base);
	return isHttpUrl(next) ? next : undefined;
}

/** Failures of a request that never left: it cannot have taken effect. */
function neverReached(error: unknown): boolean {
	const { code, cause } = (error ?? {}) as { code?: unknown; cause?: { code?: unknown } };
	return [code, cause?.code].some((value) => ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH'].includes(String(value)));
}

/** The error of a request that is not retried because it may have taken effect. */
function withMaybeDone<E extends NodeApiError>(error: E, call: ApiRequestOptions): E {
	const note = `${call.provider} may have received ${callOf(call)} before the failure, so it was not sent again: check whether it took effect before running it again.`;
	error.description = [note, error.description].filter(Boolean).join(' ');
	return error;
}

function isTimeout(error: unknown): boolean {
	const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
	return code === 'ECONNABORTED' || code === 'ETIMEDOUT' || (typeof message === 'string' && /timeout of \d+ms exceeded|timed out/i.test(message));
}

/** Failures that a retry cannot mend: a refused domain, an address that is not http(s). */
function isPermanent(error: unknown): boolean {
	const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
	return (
		code === 'ERR_INVALID_URL' ||
		code === 'ERR_BAD_OPTION_VALUE' ||
		(typeof message === 'string' && /not allowed|Invalid URL|Unsupported protocol|invalid redirect location/i.test(message))
	);
}

/** The `message`/`Message` a provider puts in its error body, if any. */
export function messageOf(body: unknown): string | undefined {
	if (typeof body === 'string') return body.trim().slice(0, 500) || undefined;
	if (body && typeof body === 'object') {
		const record = body as Record<string, unknown>;
		const value = record.message ?? record.Message ?? record.error ?? record.detail;
		if (typeof value === 'string') return value;
	}
	return undefined;
}
