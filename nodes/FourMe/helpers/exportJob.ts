import type { IDataObject } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { DateTime } from 'luxon';

import { readDateTime } from '../../shared/dates';
import { readSchedule as readScheduleWith } from '../../shared/description';
import type { ExportJob } from '../../shared/exportJob';
import { DEFAULT_POLL_SCHEDULE, type PollSchedule } from '../../shared/job';
import { encodeMultipart } from '../../shared/multipart';
import type { ParseOptions } from '../../shared/parse';
import type { EngineContext, ExportFile, JobState } from '../../shared/types';
import { fileNameInUrl } from '../../shared/urls';
import { fourMeRequest } from '../transport';
import { EXPORT_TYPES, recordTypeLabel, recordTypeOfEntry } from './recordTypes';

export interface ExportRequest {
	types: string[];
	/** Partial export: records created or updated after this moment (ISO). Full export when absent. */
	from?: string;
	format: 'csv' | 'xlsx';
	locale?: string;
}

const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/**
 * A 4me export as the shared runner runs it. `types`: the types asked for, when known (a zip's
 * entries are matched against them).
 */
export function fourMeExportJob(ctx: EngineContext, options: IDataObject, types?: string[]): ExportJob<ExportRequest> {
	return {
		provider: '4me',
		noun: 'export',
		resumeHint,
		schedule: readSchedule(options),
		start: async (request) => {
			const token = await startExport(ctx, request);
			return token ? { started: token } : { nothing: 'no records changed since the given date, nothing to export' };
		},
		status: async (token, request) => (await getExportStatus(ctx, token, request ?? { types: [] })).state,
		parse: readParseOptions(options, types),
		fileFields: (finished) => ({
			token: finished.id || null,
			...(finished.request ? { recordTypes: finished.request.types } : {}),
			expiresAt: finished.done.expiresAt ?? null,
		}),
		// S3 often labels 4me's files application/octet-stream; the extension is reliable.
		mimeTypeOf: (file, contentType) =>
			file.name?.endsWith('.xlsx') ? XLSX_MIME : file.name?.endsWith('.zip') ? 'application/zip' : file.name?.endsWith('.csv') ? 'text/csv' : contentType,
	};
}

export function readSchedule(options: IDataObject): PollSchedule {
	return readScheduleWith(options, DEFAULT_POLL_SCHEDULE);
}

/** `types`: the types requested, when known; a zip's entries are matched against them (else all types). */
export function readParseOptions(options: IDataObject, types: string[] = EXPORT_TYPES): ParseOptions {
	const typeOf = (name: string) => recordTypeOfEntry(name, types);
	return {
		csv: { stripInjectionGuard: options.removeInjectionGuard !== false, delimiter: ',' },
		recordTypeOfEntry: typeOf,
		// Rows of several types come in the order the user chose them (entries of other types last).
		orderEntries: (names) => {
			const rank = (name: string) => {
				const index = types.indexOf(typeOf(name) ?? '');
				return index < 0 ? types.length : index;
			};
			return names.map((name, position) => ({ name, position })).sort((a, b) => rank(a.name) - rank(b.name) || a.position - b.position).map(({ name }) => name);
		},
		emptyIsBroken: "4me's export files always start with a header row",
	};
}

export interface ExportStatus {
	state: JobState;
	/** 4me's response as it came, with the download URL made usable. */
	response: IDataObject;
}

// 4me: "A Partial Export ... is limited to a maximum of 2 months backwards."
export const MAX_FROM_MONTHS = 2;

export function resumeHint(token: string): string {
	return `The 4me export token is ${token}: use the operation "Get Export Status" or "Download Export" with it to pick the export up again.`;
}

/** Starts an export; undefined when 4me answers 204: a partial export with no changes since `from`. */
export async function startExport(ctx: EngineContext, request: ExportRequest): Promise<string | undefined> {
	const { body, contentType } = encodeMultipart({
		type: request.types.join(','),
		from: request.from ? formatFrom(new Date(request.from)) : undefined,
		export_format: request.format === 'xlsx' ? 'xlsx' : undefined,
		locale: request.locale || undefined,
	});
	const response = await fourMeRequest<IDataObject | string>(ctx, {
		method: 'POST',
		path: '/export',
		body,
		headers: { 'Content-Type': contentType },
	});
	if (response.statusCode === 204) return undefined;
	const token = typeof response.body === 'object' && response.body ? response.body.token : undefined;
	if (typeof token !== 'string' || !token) {
		throw new NodeOperationError(ctx.getNode(), '4me answered POST /export (start an export) without a token', {
			description: `4me's answer: ${JSON.stringify(response.body).slice(0, 200)}. Try again; if it keeps happening, 4me or a proxy in front of it is not answering as documented.`,
		});
	}
	return token;
}

export async function getExportStatus(
	ctx: EngineContext,
	token: string,
	request: Pick<ExportRequest, 'types' | 'from'>,
): Promise<ExportStatus> {
	const response = await fourMeRequest<IDataObject>(ctx, {
		method: 'GET',
		path: `/export/${encodeURIComponent(token)}`,
		acceptStatus: [404],
		errorContext: resumeHint(token),
	});
	if (response.statusCode === 404) {
		return {
			response: { token, state: 'gone' },
			state: {
				phase: 'expired',
				reason: `4me no longer has the status of export ${token}`,
				description:
					'4me keeps an export\'s status for 5 minutes after it finished. Use the download URL from an earlier "Get Export Status", or start a new export.',
			},
		};
	}
	const body = { ...response.body };
	if (typeof body.url === 'string') body.url = usableUrl(body.url);
	return { response: { token, ...body }, state: toJobState(body, request) };
}

/** Maps 4me's export states: queued, processing, done, failed (and `error`, which the official SDK also expects). */
function toJobState(body: IDataObject, request: Pick<ExportRequest, 'types' | 'from'>): JobState {
	const state = String(body.state ?? '');
	switch (state) {
		case 'queued':
			return { phase: 'pending' };
		case 'processing':
			return { phase: 'running', progress: body.line !== undefined ? `${body.type ?? 'line'} ${body.line}` : undefined };
		case 'done':
			if (typeof body.url !== 'string') return { phase: 'failed', reason: '4me reported the export done but gave no download URL' };
			return { phase: 'done', files: [fileOf(body.url)], expiresAt: body.expires_at as string | undefined };
		case 'failed':
			if (body.rate_limit_exceeded !== undefined) return exportLimitHit(request);
			return { phase: 'failed', reason: 'The 4me export failed', description: `4me said: ${JSON.stringify(body)}` };
		default: {
			const message = typeof body.message === 'string' ? body.message : JSON.stringify(body).slice(0, 300);
			if (!state) {
				return {
					phase: 'failed',
					code: 'NoState',
					reason: `4me answered the status of the export (GET /export/…) without a state: ${message}`,
					description: '4me documents queued, processing, done and failed; this answer is none of them. Try again later.',
				};
			}
			return { phase: 'failed', reason: `The 4me export ended in state "${state}": ${message}` };
		}
	}
}

function exportLimitHit(request: Pick<ExportRequest, 'types' | 'from'>): JobState {
	if (!request.types.length) {
		return {
			phase: 'failed',
			code: 'rate_limit_exceeded',
			reason: '4me refused the export: one of its export limits was exceeded',
			description:
				'A full export of more than 10,000 records runs only once per day per record type, and a partial export goes back at most 2 months.',
		};
	}
	const types = request.types.map(recordTypeLabel).join(', ');
	if (request.from) {
		return {
			phase: 'failed',
			code: 'rate_limit_exceeded',
			reason: `4me refused the partial export of ${types}: its export limits were exceeded`,
			description: `A partial export can go back at most ${MAX_FROM_MONTHS} months. Choose a later "Created or Updated Since" date.`,
		};
	}
	return {
		phase: 'failed',
		code: 'rate_limit_exceeded',
		reason: `4me refused the full export of ${types}: a full export of more than 10,000 records can run only once per day per record type`,
		description:
			'Use a partial export instead (Records: "Created or Updated Since", at most 2 months back), or run the full export again tomorrow.',
	};
}

function fileOf(url: string): ExportFile {
	return { url, name: fileNameInUrl(url) };
}

/** 4me's JSON spells & as \u0026; where that survives as text, the URL needs the real character. */
export function usableUrl(url: string): string {
	return url.replace(/\\u0026/gi, '&');
}

/** Reads and checks the "Created or Updated Since" date of a partial export. */
export function parseFrom(ctx: EngineContext, value: unknown, now = new Date()): Date {
	const date = readDateTime(ctx, value, 'Created or Updated Since');
	if (!date) {
		throw new NodeOperationError(ctx.getNode(), '"Created or Updated Since" is empty', {
			description: 'A partial export needs the date and time from which changes are exported, at most 2 months back.',
		});
	}
	const parsed = DateTime.fromJSDate(date);
	const earliest = DateTime.fromJSDate(now).minus({ months: MAX_FROM_MONTHS });
	if (parsed < earliest) {
		throw new NodeOperationError(ctx.getNode(), `"Created or Updated Since" (${parsed.toISO()}) is more than 2 months back`, {
			description: `4me's partial exports go back at most 2 months: use ${earliest.toISO()} or later, or a full export.`,
		});
	}
	if (parsed.toMillis() > now.getTime()) {
		throw new NodeOperationError(ctx.getNode(), `"Created or Updated Since" (${parsed.toISO()}) is in the future`);
	}
	return parsed.toJSDate();
}

/** 4me's documented `from` format, in UTC: 20130501T00:00:00Z. */
export function formatFrom(date: Date): string {
	return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/-/g, '');
}

/** Reads the Record Types field: a list from the picker, or a comma-separated text from an expression. */
export function parseRecordTypes(ctx: EngineContext, value: unknown): string[] {
	const list = (Array.isArray(value) ? value : String(value ?? '').split(','))
		.map((type) => String(type).trim())
		.filter(Boolean);
	const types = [...new Set(list)];
	if (!types.length) {
		throw new NodeOperationError(ctx.getNode(), 'Choose at least one record type in "Record Types"');
	}
	const unknown = types.filter((type) => !EXPORT_TYPES.includes(type));
	if (unknown.length) {
		throw new NodeOperationError(ctx.getNode(), `Unknown record type in "Record Types": ${unknown.join(', ')}`, {
			description: `4me exports these types (use the names in lower case with underscores): ${EXPORT_TYPES.join(', ')}`,
		});
	}
	return types;
}
