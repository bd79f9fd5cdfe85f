import type { IDataObject } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import Papa from 'papaparse';

import { openDownload } from '../../shared/download';
import { encodeMultipart } from '../../shared/multipart';
import type { EngineContext, JobState } from '../../shared/types';
import { fourMeRequest } from '../transport';
import { usableUrl } from './exportJob';

export interface ImportStatus {
	state: JobState;
	/** 4me's answer with the log file URL made usable. */
	response: IDataObject;
}

const UTF16LE_BOM = [0xff, 0xfe];
// Field names as 4me's import files use them: "ID", "Primary Email", "Source ID", "Site @widget"...
const HEADER_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N} _\-/().#&'@]*$/u;

export function importResumeHint(token: string): string {
	return `The 4me import token is ${token}: use the operation "Get Import Status" with it to see how the import ended.`;
}

/**
 * Checks an import file before it is uploaded, with errors that name the problem: 4me would
 * otherwise accept it and fail later, or import nothing.
 */
export function validateImportFile(ctx: EngineContext, data: Buffer, fileLabel: string): void {
	const utf16 = data[0] === UTF16LE_BOM[0] && data[1] === UTF16LE_BOM[1];
	let text: string;
	try {
		text = new TextDecoder(utf16 ? 'utf-16le' : 'utf-8', { fatal: true }).decode(data);
	} catch {
		throw new NodeOperationError(ctx.getNode(), `${fileLabel} is not a UTF-8 text file`, {
			description: '4me imports CSV or TSV files encoded as UTF-8 (or UTF-16LE with a byte order mark). Save the file as "CSV UTF-8".',
		});
	}
	const parsed = Papa.parse<string[]>(text.replace(/^\uFEFF/, ''), { skipEmptyLines: true, preview: 2 });
	const [header, firstRow] = parsed.data;
	if (!header?.length || !firstRow) {
		throw new NodeOperationError(ctx.getNode(), `${fileLabel} has no rows to import`, {
			description: 'An import file needs a header row of field names and at least one row of values.',
		});
	}
	const names = header.map((name) => name.trim());
	const duplicates = names.filter((name, index) => names.indexOf(name) !== index);
	if (duplicates.length) {
		throw new NodeOperationError(ctx.getNode(), `${fileLabel} repeats the column ${[...new Set(duplicates)].map((name) => `"${name}"`).join(', ')}`, {
			description: 'Each column of an import file names one field of the record type, once.',
		});
	}
	const invalid = header.filter((name) => !HEADER_PATTERN.test(name));
	if (invalid.length) {
		throw new NodeOperationError(ctx.getNode(), `${fileLabel} has a column header that is not a field name: ${invalid.map((name) => JSON.stringify(name)).join(', ')}`, {
			description: 'Headers are 4me field names such as ID, Name, Primary Email, Source, Source ID (letters, digits, spaces; no leading spaces).',
		});
	}
}

/** Builds an import CSV from items: columns are the item fields in the order first seen. */
export function csvFromItems(rows: IDataObject[]): Buffer {
	const columns: string[] = [];
	const seen = new Set<string>();
	for (const row of rows) {
		for (const key of Object.keys(row)) {
			if (!seen.has(key)) {
				seen.add(key);
				columns.push(key);
			}
		}
	}
	const data = rows.map((row) => columns.map((column) => cellText(row[column])));
	return Buffer.from(Papa.unparse({ fields: columns, data }, { newline: '\r\n' }), 'utf8');
}

function cellText(value: unknown): string {
	if (value === null || value === undefined) return '';
	if (typeof value === 'object') return JSON.stringify(value);
	return String(value);
}

export async function startImport(ctx: EngineContext, type: string, file: Buffer, fileName: string): Promise<string> {
	const { body, contentType } = encodeMultipart({
		type,
		file: { data: file, fileName, contentType: 'text/csv' },
	});
	// An upload sent twice imports its records twice.
	const response = await fourMeRequest<IDataObject>(ctx, { method: 'POST', path: '/import', body, headers: { 'Content-Type': contentType }, notIdempotent: true });
	const token = response.body?.token;
	if (typeof token !== 'string' || !token) throw new NodeOperationError(ctx.getNode(), '4me started no import: its answer had no token');
	return token;
}

export async function getImportStatus(ctx: EngineContext, token: string): Promise<ImportStatus> {
	const response = await fourMeRequest<IDataObject>(ctx, {
		method: 'GET',
		path: `/import/${encodeURIComponent(token)}`,
		acceptStatus: [404],
		errorContext: importResumeHint(token),
	});
	if (response.statusCode === 404) {
		return {
			response: { token, state: 'gone' },
			state: {
				phase: 'expired',
				reason: `4me no longer has the status of import ${token}`,
				description: '4me keeps an import\'s status for 5 minutes after it finished; its result is in the 4me import log (Settings > Import).',
			},
		};
	}
	const body = { ...response.body };
	if (typeof body.logfile === 'string') body.logfile = usableUrl(body.logfile);
	return { response: { token, ...body }, state: toJobState({ token, ...body }) };
}

/** 4me's import states: queued, processing, done (also when some rows failed) and error (aborted). */
function toJobState(body: IDataObject): JobState {
	switch (body.state) {
		case 'queued':
			return { phase: 'pending' };
		case 'processing':
			return { phase: 'running', progress: body.line !== undefined ? `line ${body.line}` : undefined };
		case 'done':
		case 'error':
			// Both are final; an aborted import is reported in the output, with its log, not thrown.
			return { phase: 'done', files: [], details: body };
		default:
			return { phase: 'failed', reason: `The 4me import ended in state "${String(body.state)}": ${typeof body.message === 'string' ? body.message : JSON.stringify(body)}` };
	}
}

export interface LogLine extends IDataObject {
	line: number | null;
	message: string;
}

/** The import's log file as lines; "Line 12: ..." lines carry their line number so failing rows can be routed. */
export async function readImportLog(ctx: EngineContext, url: string, errorContext: string): Promise<LogLine[]> {
	const download = await openDownload(ctx, url, { errorContext, maxBytes: 50 * 1024 * 1024 });
	const parts: Uint8Array[] = [];
	for await (const chunk of download.chunks) parts.push(chunk);
	return new TextDecoder('utf-8')
		.decode(Buffer.concat(parts))
		.split(/\r?\n/)
		.map((text) => text.trim())
		.filter(Boolean)
		.map((message) => {
			const match = /\bline (\d+)\b/i.exec(message);
			return { line: match ? Number(match[1]) : null, message };
		});
}
