import type { IDataObject, IHttpRequestMethods, IHttpRequestOptions, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { cancelSignalOf, sleepUnlessCancelled } from './cancel';
import { describeError } from './errors';
import { backoffMs, retryAfterMs } from './retry';
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
	credentialType: string;
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
}

const MAX_THROTTLED_ATTEMPTS = 8;
const MAX_FAILED_ATTEMPTS = 4;
const DEFAULT_THROTTLE_WAIT_MS = 10_000;
const MAX_THROTTLE_WAIT_MS = 5 * 60_000;

/**
 * One authenticated API request through n8n's credential helper. Rate limits (429, 503) are
 * waited out as the server asks; 5xx and network failures are retried with backoff.
 * Credentials are never sent on a redirect to another host, and never appear in errors.
 */
export async function apiRequest<T = unknown>(
	ctx: EngineContext,
	options: ApiRequestOptions,
): Promise<ApiResponse<T>> {
	const host = new URL(options.url).hostname;
	let throttled = 0;
	let failed = 0;
	for (;;) {
		let response: ApiResponse<T>;
		try {
			response = (await ctx.helpers.httpRequestWithAuthentication.call(ctx, options.credentialType, {
				method: options.method,
				url: options.url,
				headers: options.headers,
				body: options.body,
				qs: options.qs,
				json: true,
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
				sendCredentialsOnCrossOriginRedirect: false,
				allowedDomains: host,
				abortSignal: cancelSignalOf(ctx),
			})) as ApiResponse<T>;
		} catch (error) {
			if (++failed >= MAX_FAILED_ATTEMPTS) throw networkError(ctx, options, error);
			await waitBeforeRetry(ctx, options, backoffMs(failed - 1, 1000, 8000), describeError(error));
			continue;
		}

		const { statusCode } = response;
		if (statusCode < 300 || options.acceptStatus?.includes(statusCode)) return response;

		if ((statusCode === 429 || statusCode === 503) && ++throttled < MAX_THROTTLED_ATTEMPTS) {
			const wait = Math.min(
				retryAfterMs(response.headers) ?? DEFAULT_THROTTLE_WAIT_MS,
				MAX_THROTTLE_WAIT_MS,
			);
			await waitBeforeRetry(ctx, options, wait, `rate limited (HTTP ${statusCode})`);
			continue;
		}
		if (statusCode >= 500 && ++failed < MAX_FAILED_ATTEMPTS) {
			await waitBeforeRetry(ctx, options, backoffMs(failed - 1, 1000, 8000), `HTTP ${statusCode}`);
			continue;
		}
		throw apiError(ctx, options, statusCode, response.body);
	}
}

async function waitBeforeRetry(
	ctx: EngineContext,
	options: ApiRequestOptions,
	ms: number,
	why: string,
): Promise<void> {
	ctx.logger.info(`${options.method} ${pathOf(options.url)}: ${why}, retrying in ${Math.ceil(ms / 1000)} s`);
	await sleepUnlessCancelled(ctx, ms, options.errorContext);
}

function apiError(ctx: EngineContext, options: ApiRequestOptions, statusCode: number, body: unknown) {
	const providerMessage = messageOf(body);
	const explained = options.explainError?.(statusCode, body);
	const message = explained?.message ?? defaultMessage(statusCode, providerMessage);
	const description = [explained?.description ?? (explained ? providerMessage : undefined), options.errorContext]
		.filter(Boolean)
		.join(' ');
	// Only the provider's own message and the status go into the error: never the request,
	// whose headers carry the credentials.
	const response: JsonObject = { message: providerMessage ?? message, httpCode: String(statusCode) };
	return new NodeApiError(ctx.getNode(), response, {
		message,
		description: description || undefined,
		httpCode: String(statusCode),
	});
}

function networkError(ctx: EngineContext, options: ApiRequestOptions, error: unknown) {
	const response: JsonObject = { message: describeError(error) };
	return new NodeApiError(ctx.getNode(), response, {
		message: `Could not reach ${new URL(options.url).host}: ${describeError(error)}`,
		description: options.errorContext,
	});
}

function defaultMessage(statusCode: number, providerMessage: string | undefined): string {
	const base = `The API answered HTTP ${statusCode}`;
	return providerMessage ? `${base}: ${providerMessage}` : base;
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

/** A URL without its query string: signed URLs carry secrets there. */
export function pathOf(url: string): string {
	try {
		const parsed = new URL(url);
		return `${parsed.origin}${parsed.pathname}`;
	} catch {
		return '(invalid URL)';
	}
}
