import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type { JsonObject } from 'n8n-workflow';
import { Agent, request } from 'undici';

import { describeError, isNodeError } from './errors';
import { cancelSignalOf, sleepUnlessCancelled, throwIfCancelled, timeLeftMs } from './cancel';
import { networkTimeoutMs } from './http';
import { maskText, secretValuesOf } from './secrets';
import { backoffMs, describeWait, header, retryAfterMs } from './retry';
import type { EngineContext, FileAuth } from './types';
import { decodePercent, describeAddress, fileNameInUrl, hostOf, isHttpUrl, originOf, pathOf, resolveUrl } from './urls';

export interface DownloadOptions {
	/** Fail when the file is larger than this. */
	maxBytes?: number;
	/** The size the provider announced; checked against what arrived. */
	expectedBytes?: number;
	/** Added to every error, e.g. the job id so the user can resume. */
	errorContext?: string;
	retries?: number;
	/** Send this credential with the request, but only to this origin (see ExportFile.auth). */
	auth?: FileAuth;
}

export interface Download {
	statusCode: number;
	contentType?: string;
	/** The file name from Content-Disposition or the URL path. */
	fileName?: string;
	/** Content-Length of the whole file, when the server sent it. */
	totalBytes?: number;
	/** The answer's headers (a paged result's next-page token may be among them). */
	headers: Record<string, unknown>;
	/** The body as it arrives; a broken transfer is resumed (Range) or restarted transparently. */
	chunks: AsyncIterable<Uint8Array>;
	/** `chunks` as a Node Readable (object mode, one Buffer per chunk), for n8n's binary data store. */
	readable(): unknown;
	cancel(): void;
}

/** Undici's response body: a Node Readable. */
interface ResponseBody extends AsyncIterable<Uint8Array> {
	on(event: string, listener: (...args: never[]) => void): unknown;
	off(event: string, listener: (...args: never[]) => void): unknown;
	pause(): unknown;
	resume(): unknown;
	isPaused(): boolean;
	destroy(error?: Error): unknown;
	constructor: { from(source: AsyncIterable<Uint8Array>, options: { objectMode: boolean }): unknown };
}

interface OpenedResponse {
	statusCode: number;
	headers: Record<string, unknown>;
	body: ResponseBody;
}

const DEFAULT_RETRIES = 4;
/** A host that stops sending (a stall) is given this many more chances, each of one network timeout. */
const STALL_RETRIES = 2;
// Redirects are followed by open(), so that each hop's origin decides whether a credential goes.
const dispatcher = new Agent({ connect: { timeout: 30_000 } });

/** Opens a download; transient failures (5xx, 429, connection errors) are retried first. */
export async function openDownload(
	ctx: EngineContext,
	url: string,
	options: DownloadOptions = {},
): Promise<Download> {
	const retries = options.retries ?? DEFAULT_RETRIES;
	const first = await openWithRetries(ctx, url, 0, options, retries);
	const totalBytes = numberHeader(first.headers, 'content-length');
	if (options.maxBytes !== undefined && totalBytes !== undefined && totalBytes > options.maxBytes) {
		discard(first.body);
		throw tooLarge(ctx, totalBytes, options);
	}
	let current: OpenedResponse | undefined = first;
	const chunks = resumingChunks(ctx, url, first, totalBytes, options, retries, (r) => (current = r));
	return {
		statusCode: first.statusCode,
		contentType: header(first.headers, 'content-type'),
		fileName: fileNameOf(first.headers, url),
		totalBytes,
		headers: first.headers,
		chunks,
		// Node code may not import node:stream; the body's class is a Node Readable, whose static
		// `from` builds a plain one. Object mode hands each chunk on as it is, never concatenated.
		readable: () => first.body.constructor.from(chunks, { objectMode: true }),
		cancel: () => current && discard(current.body),
	};
}

/** How far the download may run ahead of a consumer that is busy (writing a file, parsing). */
const READ_AHEAD_BYTES = 4 * 1024 * 1024;

/**
 * The body's chunks as they arrive. Iterating the Readable itself concatenates whatever queued
 * up while the consumer was busy: a fresh buffer per read, and in a large n8n heap that extra
 * garbage costs a full collection every few dozen MB (a 1 GB file took 7-10 s instead of 3).
 */
async function* arrivingChunks(body: ResponseBody): AsyncGenerator<Uint8Array> {
	const queue: Uint8Array[] = [];
	let queuedBytes = 0;
	let ended = false;
	let failure: Error | undefined;
	let wake: (() => void) | undefined;
	const onData = (chunk: Uint8Array) => {
		queue.push(chunk);
		queuedBytes += chunk.length;
		if (queuedBytes >= READ_AHEAD_BYTES) body.pause();
		wake?.();
	};
	const onEnd = () => {
		ended = true;
		wake?.();
	};
	const onError = (error: Error) => {
		failure ??= error;
		wake?.();
	};
	const onClose = () => onError(new Error('the connection closed before the file was complete'));
	body.on('data', onData);
	body.on('end', onEnd);
	body.on('error', onError);
	body.on('close', onClose);
	try {
		for (;;) {
			const chunk = queue.shift();
			if (chunk) {
				queuedBytes -= chunk.length;
				if (queuedBytes < READ_AHEAD_BYTES / 4 && body.isPaused()) body.resume();
				yield chunk;
			} else if (ended) {
				return;
			} else if (failure) {
				throw failure;
			} else {
				await new Promise<void>((resolve) => (wake = resolve));
				wake = undefined;
			}
		}
	} finally {
		body.off('data', onData);
		body.off('end', onEnd);
		body.off('error', onError);
		body.off('close', onClose);
		if (!ended) discard(body);
	}
}

async function* resumingChunks(
	ctx: EngineContext,
	url: string,
	first: OpenedResponse,
	totalBytes: number | undefined,
	options: DownloadOptions,
	retries: number,
	onReopen: (response: OpenedResponse) => void,
): AsyncGenerator<Uint8Array> {
	let response = first;
	let received = 0;
	let failures = 0;
	let stalls = 0;
	for (;;) {
		// After a resume the server may ignore Range and send the whole file again: skip what we have.
		let skip = response === first || response.statusCode === 206 ? 0 : received;
		try {
			for await (const chunk of arrivingChunks(response.body)) {
				let data = chunk;
				if (skip > 0) {
					const dropped = Math.min(skip, data.length);
					skip -= dropped;
					data = data.subarray(dropped);
					if (data.length === 0) continue;
				}
				received += data.length;
				if (options.maxBytes !== undefined && received > options.maxBytes) {
					throw tooLarge(ctx, received, options);
				}
				yield data;
			}
			if (totalBytes === undefined || received >= totalBytes) break;
			// The connection ended early without an error: a truncated body.
			throw new Error(`the transfer ended after ${received} of ${totalBytes} bytes`);
		} catch (error) {
			throwIfCancelled(ctx, options.errorContext);
			const stalled = isStall(error);
			if (isNodeError(error) || (stalled ? ++stalls > STALL_RETRIES : ++failures > retries)) throw transferError(ctx, url, error, options);
			ctx.logger.info(`Download ${pathOf(url)} broke after ${received} bytes (${stalled ? `nothing arrived for ${describeWait(networkTimeoutMs(ctx))}` : describeError(error)}), resuming`);
			await sleepUnlessCancelled(ctx, backoffMs(failures - 1, 500, 8000), options.errorContext);
			response = await openWithRetries(ctx, url, received, options, retries);
			onReopen(response);
		}
	}
	if (options.expectedBytes !== undefined && received !== options.expectedBytes) {
		throw new NodeOperationError(
			ctx.getNode(),
			`The downloaded file has ${received} bytes, but the provider announced ${options.expectedBytes}`,
			{ description: options.errorContext },
		);
	}
}

async function openWithRetries(
	ctx: EngineContext,
	url: string,
	fromByte: number,
	options: DownloadOptions,
	retries: number,
): Promise<OpenedResponse> {
	for (let attempt = 0, stalls = 0; ; attempt++) {
		throwIfCancelled(ctx, options.errorContext);
		let response: OpenedResponse;
		try {
			response = await open(ctx, url, fromByte, options);
		} catch (error) {
			throwIfCancelled(ctx, options.errorContext);
			const stalled = isStall(error);
			if (isNodeError(error) || (stalled ? ++stalls > STALL_RETRIES : attempt >= retries)) {
				throw transferError(ctx, url, error, options);
			}
			await sleepUnlessCancelled(ctx, backoffMs(attempt, 500, 8000), options.errorContext);
			continue;
		}
		const { statusCode } = response;
		if (statusCode === 200 || statusCode === 206) return response;
		const body = await errorBodyOf(ctx, url, await readSmallBody(response.body), options);
		const transient = statusCode === 429 || statusCode >= 500;
		if (!transient || attempt >= retries) {
			throw new NodeApiError(ctx.getNode(), { message: body.slice(0, 300), httpCode: String(statusCode) } as JsonObject, {
				message: downloadStatusMessage(statusCode),
				description: [`The file host ${new URL(url).host} answered HTTP ${statusCode}.`, options.errorContext]
					.filter(Boolean)
					.join(' '),
				httpCode: String(statusCode),
			});
		}
		const asked = retryAfterMs(response.headers);
		const left = timeLeftMs(ctx) ?? MAX_DOWNLOAD_WAIT_MS;
		if (asked !== undefined && asked > left) {
			throw new NodeApiError(ctx.getNode(), { message: body.slice(0, 300), httpCode: String(statusCode) } as JsonObject, {
				message: `The file host ${new URL(url).host} asks to wait ${describeWait(asked)} before the download (HTTP ${statusCode})`,
				description: [`That is longer than the ${describeWait(left)} this node has left, so it stops now.`, options.errorContext].filter(Boolean).join(' '),
				httpCode: String(statusCode),
			});
		}
		const wait = Math.min(asked ?? backoffMs(attempt, 500, 8000), MAX_DOWNLOAD_WAIT_MS);
		const line = `Download ${pathOf(url)}: HTTP ${statusCode}, retrying in ${describeWait(wait)}`;
		if (wait > 5_000) ctx.logger.warn(line);
		else ctx.logger.info(line);
		await sleepUnlessCancelled(ctx, wait, options.errorContext);
	}
}

/** Without a deadline, a file host's Retry-After is waited out up to this. */
const MAX_DOWNLOAD_WAIT_MS = 5 * 60_000;

function isStall(error: unknown): boolean {
	const code = (error as { code?: unknown } | undefined)?.code;
	return code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT';
}

const MAX_REDIRECTS = 5;

/**
 * Export files mostly sit behind signed URLs on storage hosts: they are fetched with no
 * credentials at all. A file on the provider's API (Rebilly's /files/{id}/download) is fetched
 * through n8n's credential helper, with the credential on that exact origin only. Redirects are
 * followed here, hop by hop, so a hop to any other origin (storage) goes without it.
 */
async function open(ctx: EngineContext, url: string, fromByte: number, options: DownloadOptions, hops = 0): Promise<OpenedResponse> {
	checkAddress(ctx, url, options, hops > 0);
	const headers: Record<string, string> = { 'accept-encoding': 'identity' };
	if (fromByte > 0) headers.range = `bytes=${fromByte}-`;
	const timeout = networkTimeoutMs(ctx);
	const { auth } = options;
	let response: OpenedResponse;
	if (auth && originOf(url) === auth.origin) {
		response = (await ctx.helpers.httpRequestWithAuthentication.call(ctx, auth.credentialType, {
			method: 'GET',
			url,
			headers,
			encoding: 'stream',
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			disableFollowRedirect: true,
			json: false,
			timeout,
			abortSignal: cancelSignalOf(ctx),
		})) as OpenedResponse;
	} else {
		const plain = await request(url, { method: 'GET', headers, dispatcher, signal: cancelSignalOf(ctx), headersTimeout: timeout, bodyTimeout: timeout });
		response = { statusCode: plain.statusCode, headers: plain.headers, body: plain.body as unknown as ResponseBody };
	}
	const location = header(response.headers, 'location');
	if (response.statusCode < 300 || response.statusCode >= 400 || !location) return response;
	discard(response.body);
	if (hops >= MAX_REDIRECTS) {
		throw new NodeOperationError(ctx.getNode(), `The download address redirected more than ${MAX_REDIRECTS} times (a redirect loop at ${new URL(url).host})`, {
			description: options.errorContext,
		});
	}
	return open(ctx, resolveUrl(location, url), fromByte, options, hops + 1);
}

/** An error answer's text for the error: a credentialed download's may echo the credential, so it is masked. */
async function errorBodyOf(ctx: EngineContext, url: string, body: string, options: DownloadOptions): Promise<string> {
	if (!options.auth || originOf(url) !== options.auth.origin) return body;
	return maskText(body, secretValuesOf(await ctx.getCredentials(options.auth.credentialType).catch(() => undefined)));
}

/** Closes a body nobody reads any more; destroying it may emit an abort error, which is no news. */
function discard(body: ResponseBody): void {
	body.on('error', () => undefined);
	body.destroy();
}

/** Only http(s) addresses are downloaded; anything else fails at once, saying what came. */
function checkAddress(ctx: EngineContext, url: string, options: DownloadOptions, redirected: boolean): void {
	if (isHttpUrl(url)) return;
	throw new NodeOperationError(ctx.getNode(), `The export file's download ${redirected ? 'was redirected to' : 'link is'} ${describeAddress(url)}`, {
		description: ['Only http and https downloads are allowed.', options.errorContext].filter(Boolean).join(' '),
	});
}


async function readSmallBody(body: ResponseBody): Promise<string> {
	const parts: Uint8Array[] = [];
	let size = 0;
	for await (const chunk of body) {
		parts.push(chunk);
		size += chunk.length;
		if (size > 64 * 1024) {
			discard(body);
			break;
		}
	}
	return Buffer.concat(parts).toString('utf8');
}

function downloadStatusMessage(statusCode: number): string {
	if (statusCode === 403 || statusCode === 401) {
		return 'The download link was refused: it may have expired';
	}
	if (statusCode === 404) return 'The export file was not found at its download link';
	return `The export file could not be downloaded (HTTP ${statusCode})`;
}

function transferError(ctx: EngineContext, url: string, error: unknown, options: DownloadOptions) {
	if (isNodeError(error)) return error;
	const host = hostOf(url);
	if (isStall(error)) {
		return new NodeOperationError(ctx.getNode(), `The file host ${host} stopped sending: nothing arrived for ${describeWait(networkTimeoutMs(ctx))}, ${STALL_RETRIES + 1} times`, {
			description: ['It accepted the connection but sent no data; try again later, or raise the option Network Timeout.', options.errorContext].filter(Boolean).join(' '),
		});
	}
	return new NodeOperationError(ctx.getNode(), `The export file could not be downloaded from ${host}: ${describeError(error)}`, {
		description: options.errorContext,
	});
}


function tooLarge(ctx: EngineContext, bytes: number, options: DownloadOptions) {
	return new NodeOperationError(
		ctx.getNode(),
		`The export file is larger than the limit of ${options.maxBytes} bytes (${bytes} bytes or more)`,
		{ description: ['Raise "Max File Size" in the node options, or export fewer records.', options.errorContext].filter(Boolean).join(' ') },
	);
}

function numberHeader(headers: Record<string, unknown>, name: string): number | undefined {
	const value = header(headers, name);
	return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

function fileNameOf(headers: Record<string, unknown>, url: string): string | undefined {
	const disposition = header(headers, 'content-disposition');
	const match = disposition && /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
	if (match) return decodePercent(match[1]);
	return fileNameInUrl(url);
}
