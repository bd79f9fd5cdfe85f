import type { IDataObject, IExecuteFunctions, IHttpRequestMethods } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { readSchedule } from '../../shared/description';
import type { ExportJob, StartAnswer } from '../../shared/exportJob';
import { apiRequest, messageOf, type ApiResponse } from '../../shared/http';
import { DEFAULT_POLL_SCHEDULE } from '../../shared/job';
import { header } from '../../shared/retry';
import { originOf, resolveUrl } from '../../shared/urls';
import type { ExportFile, JobState, Row } from '../../shared/types';
import { readPath, topLevelKeys } from './paths';
import type { JobSpec, Template } from './spec';

/** A job of the generic node: the cursor of a chain is all that changes from job to job. */
export interface GenericRequest extends IDataObject {
	cursor?: string;
}

/**
 * The user's start / status / result description as the shared runner's job. The credential goes
 * only to the start URL's origin and the origins the user wrote for the status and results
 * URLs: a Location, a file URL or a page elsewhere is fetched without it.
 */
export function genericJob(ctx: IExecuteFunctions, spec: JobSpec, options: IDataObject, credentialType: string | undefined): ExportJob<GenericRequest> {
	const provider = new URL(spec.baseUrl).host;
	const trusted = new Set([new URL(spec.baseUrl).origin]);
	for (const written of [spec.statusUrl, spec.result.type === 'pages' ? spec.result.url : undefined]) {
		const origin = originOf(writtenAddress(written));
		if (origin) trusted.add(origin);
	}
	const credentialFor = (url: string) => (credentialType && trusted.has(originOf(url) ?? '') ? credentialType : undefined);
	const call: Call = (method, url, extra = {}) =>
		apiRequest(ctx, { provider, credentialType: credentialFor(url), method, url, ...extra, headers: { ...spec.headers, ...extra.headers } });
	const resumeHint = (id: string) => `The job reference at ${provider} is ${id}: use the operation Get Result with it to get the rows later.`;

	const job: ExportJob<GenericRequest> = {
		provider,
		noun: 'job',
		resumeHint,
		schedule: readSchedule(options, DEFAULT_POLL_SCHEDULE),
		start: async (request) => startJob(ctx, spec, request, call),
		status: async (id) => {
			const url = spec.statusUrl ? spec.statusUrl({ id }, 'url') : id;
			const body = spec.statusBody ? parseTemplateJson(ctx, spec.statusBody({ id }, 'json'), 'Status JSON Body') : undefined;
			const answer = await call<unknown>(spec.statusMethod, resolveUrl(url, spec.baseUrl), { body, errorContext: resumeHint(id), acceptStatus: [404, 410] });
			if (answer.statusCode === 404 || answer.statusCode === 410) {
				return {
					phase: 'expired',
					reason: `${provider} no longer knows the job ${id} (HTTP ${answer.statusCode}${messageOf(answer.body) ? `: ${messageOf(answer.body)}` : ''})`,
					description: 'It may have expired or been deleted, or the Status URL is not the job\'s: start a new job, or check the Status URL.',
				};
			}
			return stateOf(ctx, spec, id, answer.body, { provider, credentialFor, call, resumeHint });
		},
		next: spec.nextCursorPath
			? (request, done) => {
					const cursor = readPath(done.details?.answer, spec.nextCursorPath as string);
					return typeof cursor === 'string' && cursor && cursor !== request.cursor ? { cursor } : undefined;
				}
			: undefined,
		resumeFrom: (request) => (request.cursor ? `To go on from there, start a job with the cursor ${request.cursor}.` : ''),
		// A CSV export has at least its header row: an empty one was cut off on its way.
		parse: { declared: spec.format, emptyIsBroken: spec.format === 'csv' ? 'a CSV export has at least its header row' : undefined },
	};
	return job;
}

type Call = <T>(
	method: IHttpRequestMethods,
	url: string,
	extra?: { body?: IDataObject | string; qs?: IDataObject; headers?: IDataObject; errorContext?: string; acceptStatus?: number[] },
) => Promise<ApiResponse<T>>;

export async function startJob(ctx: IExecuteFunctions, spec: JobSpec, request: GenericRequest, call: Call): Promise<StartAnswer<GenericRequest>> {
	const { startBody } = spec;
	const qs = { ...spec.startQuery };
	const headers = { ...spec.headers };
	let body: IDataObject | string | undefined;
	if (startBody.type === 'json') body = request.cursor ? { ...startBody.value, [spec.cursorName]: request.cursor } : startBody.value;
	else if (request.cursor) qs[spec.cursorName] = request.cursor;
	if (startBody.type === 'form') {
		body = new URLSearchParams(Object.entries(startBody.value).map(([name, value]): [string, string] => [name, String(value)])).toString();
		headers['content-type'] = 'application/x-www-form-urlencoded';
	} else if (startBody.type === 'raw') {
		body = startBody.value;
		headers['content-type'] = startBody.contentType;
	}
	const answer = await call<unknown>(spec.startMethod, spec.startUrl, { body, qs, headers });
	if (spec.reference.from === 'location') {
		const location = header(answer.headers, 'location') ?? header(answer.headers, 'operation-location');
		if (!location) {
			throw new NodeOperationError(ctx.getNode(), `The start answer of ${new URL(spec.startUrl).host} (HTTP ${answer.statusCode}) has no Location header`, {
				description: `Set "Job Reference" to "From the Answer (JSON Path)"; the answer's top-level keys are: ${topLevelKeys(answer.body)}.`,
			});
		}
		return { started: resolveUrl(location, spec.baseUrl), details: { answer: answer.body as IDataObject } };
	}
	const id = readPath(answer.body, spec.reference.path);
	if ((typeof id !== 'string' && typeof id !== 'number') || id === '') {
		throw new NodeOperationError(ctx.getNode(), `"Job ID Path" (${spec.reference.path}) matched ${id === undefined ? 'nothing' : 'no text or number'} in the start answer of ${new URL(spec.startUrl).host}`, {
			description: `The start answer's top-level keys are: ${topLevelKeys(answer.body)}.${messageOf(answer.body) ? ` It said: "${messageOf(answer.body)}"` : ''}`,
		});
	}
	return { started: String(id), details: { answer: answer.body as IDataObject } };
}

interface StatusContext {
	provider: string;
	credentialFor: (url: string) => string | undefined;
	call: Call;
	resumeHint: (id: string) => string;
}

/** One status answer as the engine's job state: its value at the status path, checked against the user's lists. */
export function stateOf(ctx: IExecuteFunctions, spec: JobSpec, id: string, answer: unknown, context: StatusContext): JobState {
	const value = readPath(answer, spec.statusPath);
	if (value === undefined) {
		throw new NodeOperationError(ctx.getNode(), `"Status Path" (${spec.statusPath}) matched nothing in the status answer of job ${id} at ${context.provider}`, {
			description: `The answer's top-level keys are: ${topLevelKeys(answer)}.`,
		});
	}
	const status = String(value).toLowerCase();
	const progress = spec.progressPath ? readPath(answer, spec.progressPath) : undefined;
	if (spec.running.has(status)) return { phase: 'running', progress: progress === undefined ? String(value) : `${String(value)}, ${String(progress)}` };
	if (spec.failed.has(status)) {
		const why = spec.errorPath ? readPath(answer, spec.errorPath) : messageOf(answer);
		return {
			phase: 'failed',
			code: String(value),
			reason: `The job ${id} at ${context.provider} ended ${String(value)}${why ? `: ${typeof why === 'string' ? why : JSON.stringify(why)}` : ''}`,
		};
	}
	if (!spec.done.has(status)) {
		return {
			phase: 'failed',
			code: 'UnknownStatus',
			reason: `The job ${id} at ${context.provider} has the status ${JSON.stringify(value)}, which is in none of the node's lists`,
			description: 'Add it to "Done When Status Is", "Failed When Status Is" or "Running When Status Is".',
		};
	}
	const details = { answer: answer as IDataObject };
	const { result } = spec;
	if (result.type === 'inline') {
		const rows = readPath(answer, result.path);
		if (!Array.isArray(rows)) throw pathMissed(ctx, 'Rows Path', result.path, rows, answer, context.provider);
		return { phase: 'done', files: [], details, rows: async function* () { yield rows.map(asRow); } };
	}
	if (result.type === 'pages') {
		const first = resolveUrl(result.url({ id }, 'url'), spec.baseUrl);
		if (result.tokenFrom === 'header') return { phase: 'done', files: [pageFile(first, result, context)], details };
		return { phase: 'done', files: [], details, rows: () => jsonPages(ctx, id, first, result, context) };
	}
	const urls = readPath(answer, result.path);
	if (urls === undefined) throw pathMissed(ctx, 'File URL Path', result.path, urls, answer, context.provider);
	// No address (null, empty): the job found nothing to export.
	const list = (Array.isArray(urls) ? urls : [urls]).filter((url): url is string => typeof url === 'string' && url !== '');
	return { phase: 'done', files: list.map((url) => fileAt(resolveUrl(url, spec.baseUrl), context)), details };
}

function fileAt(url: string, context: StatusContext): ExportFile {
	const credentialType = context.credentialFor(url);
	return { url, ...(credentialType ? { auth: { credentialType, origin: new URL(url).origin } } : {}) };
}

type PagesResult = Extract<JobSpec['result'], { type: 'pages' }>;

/** A page of results read as a file; the header of its answer says where the next page is. */
function pageFile(url: string, result: PagesResult, context: StatusContext): ExportFile {
	return {
		...fileAt(url, context),
		next: (headers) => {
			const token = header(headers, result.tokenName);
			return isLastToken(token, result) ? undefined : pageFile(withQuery(url, result.param, token as string), result, context);
		},
	};
}

/** Pages that are JSON answers: the rows and the next page's token are both in the answer. */
async function* jsonPages(ctx: IExecuteFunctions, id: string, first: string, result: PagesResult, context: StatusContext): AsyncGenerator<Row[]> {
	for (let url: string | undefined = first; url; ) {
		const answer = await context.call<unknown>('GET', url, { errorContext: context.resumeHint(id) });
		const rows = readPath(answer.body, result.rowsPath);
		if (!Array.isArray(rows)) throw pathMissed(ctx, 'Page Rows Path', result.rowsPath, rows, answer.body, context.provider);
		yield rows.map(asRow);
		const token = readPath(answer.body, result.tokenName);
		url = isLastToken(token, result) ? undefined : withQuery(first, result.param, String(token));
	}
}

function isLastToken(token: unknown, result: PagesResult): boolean {
	return token === undefined || token === null || token === '' || String(token) === result.lastValue;
}

function withQuery(url: string, name: string, value: string): string {
	const next = new URL(url);
	next.searchParams.set(name, value);
	return next.href;
}

function asRow(value: unknown): Row {
	return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Row) : { value };
}

function pathMissed(ctx: IExecuteFunctions, field: string, path: string, found: unknown, answer: unknown, provider: string) {
	return new NodeOperationError(ctx.getNode(), `"${field}" (${path}) matched ${found === undefined ? 'nothing' : `${topLevelKeys(found)}, not a list`} in the answer of ${provider}`, {
		description: `The answer's top-level keys are: ${topLevelKeys(answer)}.`,
	});
}

function parseTemplateJson(ctx: IExecuteFunctions, text: string, field: string): IDataObject | undefined {
	if (!text.trim()) return undefined;
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		value = undefined;
	}
	if (!value || typeof value !== 'object') throw new NodeOperationError(ctx.getNode(), `"${field}" is not a JSON object once the job's values are filled in`);
	return value as IDataObject;
}

/** The address the user wrote, with a stand-in reference: only its origin is read. */
function writtenAddress(written: Template | undefined): string | undefined {
	try {
		return written?.({ id: 'job', cursor: '' }, 'url');
	} catch {
		return undefined;
	}
}
