import type { IDataObject, IExecuteFunctions, IHttpRequestMethods } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { FileFormat } from '../../shared/types';
import { isHttpUrl } from '../../shared/urls';
import { fillPlaceholders } from './paths';

/** What the job's values are filled into a template with: the reference, and a chain's cursor. */
export interface JobValues {
	[name: string]: string | undefined;
	id?: string;
	cursor?: string;
}

/** A text the user wrote, with `{{ $job.id }}` filled in as the job goes (fixed text or an expression). */
export type Template = (values: JobValues, into: 'url' | 'json' | 'text') => string;

/** The node's parameters for one item, read and checked once (an operation has some of them). */
export interface JobSpec {
	/** The address relative ones are read against, and whose host names the API in messages. */
	baseUrl: string;
	startMethod: IHttpRequestMethods;
	startUrl: string;
	startQuery: IDataObject;
	/** Sent with every API request (start, status, pages). */
	headers: IDataObject;
	startBody: { type: 'none' } | { type: 'json'; value: IDataObject } | { type: 'form'; value: IDataObject } | { type: 'raw'; value: string; contentType: string };
	reference: { from: 'path'; path: string } | { from: 'location' };
	statusMethod: IHttpRequestMethods;
	statusUrl?: Template;
	statusBody?: Template;
	statusPath: string;
	done: Set<string>;
	failed: Set<string>;
	running: Set<string>;
	progressPath?: string;
	errorPath?: string;
	result:
		| { type: 'fileUrls'; path: string }
		| { type: 'inline'; path: string }
		| { type: 'pages'; url: Template; tokenFrom: 'header' | 'path'; tokenName: string; rowsPath: string; param: string; lastValue: string };
	nextCursorPath?: string;
	cursorName: string;
	format?: FileFormat;
}

/**
 * The parameters of an operation: `parts.start` (the start request), `parts.status` (the status
 * check and the result); Get Status and Get Result know the job by `reference` instead of starting it.
 */
export function readSpec(ctx: IExecuteFunctions, itemIndex: number, options: IDataObject, parts: { start: boolean; status: boolean; reference?: string }): JobSpec {
	const text = (name: string, fallback = '') => (ctx.getNodeParameter(name, itemIndex, fallback) === undefined ? fallback : String(ctx.getNodeParameter(name, itemIndex, fallback)).trim());
	const startUrl = parts.start ? readUrl(ctx, text('startUrl'), 'Start URL', itemIndex) : '';
	const reference = text('jobReference', 'path') === 'location' ? ({ from: 'location' } as const) : ({ from: 'path', path: parts.start ? required(ctx, text('jobIdPath', 'id'), 'Job ID Path', itemIndex) : 'id' } as const);
	const statusUrl = parts.status ? template(ctx, 'statusUrl', itemIndex) : undefined;
	const baseUrl = startUrl || baseOfReference(ctx, statusUrl, parts.reference, itemIndex);
	if (parts.status && !statusUrl && (reference.from === 'path' || !parts.start) && !isHttpUrl(parts.reference)) {
		throw new NodeOperationError(ctx.getNode(), '"Status URL" is empty', {
			description: 'Give the address of one status check, with {{ $job.id }} where the job\'s ID goes; or use the Location header as the job reference.',
			itemIndex,
		});
	}
	const statusMethod = text('statusMethod', 'GET') as IHttpRequestMethods;
	const resultType = text('resultType', 'fileUrls');
	return {
		baseUrl,
		startMethod: text('startMethod', 'POST') as IHttpRequestMethods,
		startUrl,
		startQuery: parts.start ? pairs(ctx.getNodeParameter('startQuery', itemIndex, {})) : {},
		headers: pairs(ctx.getNodeParameter('headers', itemIndex, {})),
		startBody: parts.start ? readStartBody(ctx, itemIndex) : { type: 'none' },
		reference,
		statusMethod,
		statusUrl,
		statusBody: statusMethod === 'GET' ? undefined : template(ctx, 'statusJsonBody', itemIndex),
		statusPath: parts.status ? required(ctx, text('statusPath', 'status'), 'Status Path', itemIndex) : 'status',
		done: valueSet(text('doneValues')),
		failed: valueSet(text('failedValues')),
		running: valueSet(text('runningValues')),
		progressPath: optionalText(options.progressPath),
		errorPath: optionalText(options.errorPath),
		result: !parts.status
			? { type: 'fileUrls', path: 'url' }
			: resultType === 'inline'
				? { type: 'inline', path: required(ctx, text('rowsPath'), 'Rows Path', itemIndex) }
				: resultType === 'pages'
					? {
							type: 'pages',
							url: template(ctx, 'resultsUrl', itemIndex) ?? missing(ctx, 'Results URL', itemIndex),
							tokenFrom: text('nextPageFrom', 'header') === 'path' ? 'path' : 'header',
							tokenName: required(ctx, text('nextPageName'), 'Next Page Token Name', itemIndex),
							rowsPath: text('pageRowsPath', 'results'),
							param: required(ctx, text('nextPageParam'), 'Send Token As Query Parameter', itemIndex),
							lastValue: text('lastPageValue', 'null'),
						}
					: { type: 'fileUrls', path: required(ctx, text('fileUrlPath', 'url'), 'File URL Path', itemIndex) },
		nextCursorPath: optionalText(options.nextCursorPath),
		cursorName: optionalText(options.cursorName) ?? 'cursor',
		format: options.fileFormat && options.fileFormat !== 'auto' ? (options.fileFormat as FileFormat) : undefined,
	};
}

/** Without a start request, relative addresses are read against the status URL (or a Location reference). */
function baseOfReference(ctx: IExecuteFunctions, statusUrl: Template | undefined, reference: string | undefined, itemIndex: number): string {
	const written = statusUrl?.({ id: reference }, 'url') ?? reference ?? '';
	if (isHttpUrl(written)) return written;
	throw new NodeOperationError(ctx.getNode(), '"Status URL" is empty or not an http(s) address', {
		description: 'Give the address of one status check, with {{ $job.id }} where the job\'s ID goes, or give the job\'s status address (a Location) as the Job Reference.',
		itemIndex,
	});
}

function readStartBody(ctx: IExecuteFunctions, itemIndex: number): JobSpec['startBody'] {
	switch (ctx.getNodeParameter('startBodyType', itemIndex, 'json')) {
		case 'none':
			return { type: 'none' };
		case 'form':
			return { type: 'form', value: pairs(ctx.getNodeParameter('startForm', itemIndex, {})) };
		case 'raw':
			return {
				type: 'raw',
				value: String(ctx.getNodeParameter('startRawBody', itemIndex, '')),
				contentType: String(ctx.getNodeParameter('startRawContentType', itemIndex, 'text/plain')),
			};
		default: {
			const raw = ctx.getNodeParameter('startJsonBody', itemIndex, '{}');
			const value = typeof raw === 'string' ? parseJsonField(ctx, raw || '{}', 'JSON Body', itemIndex) : raw;
			if (!value || typeof value !== 'object' || Array.isArray(value)) {
				throw new NodeOperationError(ctx.getNode(), '"JSON Body" is not a JSON object', { itemIndex });
			}
			return { type: 'json', value: value as IDataObject };
		}
	}
}

/**
 * A parameter that may hold `{{ $job.id }}`: read raw, so that n8n does not evaluate $job (it is
 * not one of n8n's variables); the placeholders are filled in first, then an expression is evaluated.
 */
function template(ctx: IExecuteFunctions, name: string, itemIndex: number): Template | undefined {
	const raw = String(ctx.getNodeParameter(name, itemIndex, '', { rawExpressions: true }) ?? '').trim();
	if (!raw || raw === '=') return undefined;
	return (values, into) => {
		const filled = fillPlaceholders(raw, values, into);
		// evaluateExpression takes the expression without its leading "=".
		return filled.startsWith('=') ? String(ctx.evaluateExpression(filled.slice(1), itemIndex) ?? '') : filled;
	};
}

export function parseJsonField(ctx: IExecuteFunctions, text: string, field: string, itemIndex: number): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return invalidJson(ctx, field, itemIndex);
	}
}

function invalidJson(ctx: IExecuteFunctions, field: string, itemIndex: number): never {
	throw new NodeOperationError(ctx.getNode(), `"${field}" is not valid JSON`, { itemIndex, description: 'Check quotes and commas; {{ $job.id }} goes inside a JSON string.' });
}

function readUrl(ctx: IExecuteFunctions, value: string, field: string, itemIndex: number): string {
	const url = required(ctx, value, field, itemIndex);
	if (!isHttpUrl(url)) {
		throw new NodeOperationError(ctx.getNode(), `"${field}" is not an http(s) address: ${url.split(/[?#]/)[0].slice(0, 100)}`, { itemIndex });
	}
	return url;
}

function required(ctx: IExecuteFunctions, value: string, field: string, itemIndex: number): string {
	return value || missing(ctx, field, itemIndex);
}

function missing(ctx: IExecuteFunctions, field: string, itemIndex: number): never {
	throw new NodeOperationError(ctx.getNode(), `"${field}" is empty`, { itemIndex });
}

function optionalText(value: unknown): string | undefined {
	return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/** A fixedCollection of name/value pairs as an object. */
function pairs(value: unknown): IDataObject {
	const entries = ((value as { parameters?: Array<{ name?: string; value?: unknown }> } | undefined)?.parameters ?? []).filter((entry) => entry.name);
	return Object.fromEntries(entries.map((entry) => [String(entry.name), entry.value as string]));
}

function valueSet(text: string): Set<string> {
	return new Set(
		text
			.split(',')
			.map((value) => value.trim().toLowerCase())
			.filter(Boolean),
	);
}
