import type { IDataObject } from 'n8n-workflow';

import { readSchedule as readScheduleWith } from '../../shared/description';
import type { ExportJob } from '../../shared/exportJob';
import type { EngineContext } from '../../shared/types';
import { rebillyBase, rebillyRequest } from '../transport';
import { EXPORTS_PATH, exportState, getExport, parseOptionsOf, REBILLY_POLL_SCHEDULE, resumeHint, type DataExport } from './exportJob';
import { ROW_FORMATS, type Format, type Resource } from './resources';

/**
 * The next completed export after a position: `<updatedTime>` or `<updatedTime>|<export id>`
 * (with an ID, the exports of that second up to that ID were read already).
 */
export interface CompletedRequest extends IDataObject {
	after: string;
	/** "Fetch Test Event": the latest completed export instead. */
	latest?: boolean;
}

interface Watched {
	resource: Resource;
	nameContains: string;
}

// The list's limit and offset each go up to 1000 (parameters/collectionLimit.yaml,
// collectionOffset.yaml): pages go on by the updatedTime filter, the offset only within one second.
const PAGE = 1000;
const MAX_OFFSET = 1000;
const MAX_PAGES_PER_LOOK = 5;

/**
 * Data exports that Rebilly completed (recurring ones included) read one after another, oldest
 * first: "starting" one finds the next completed export after the position; the shared runner
 * then reads its file like any other export's.
 */
export function completedExportsJob(ctx: EngineContext, options: IDataObject, watched: Watched): ExportJob<CompletedRequest> {
	return {
		provider: 'Rebilly',
		noun: 'data export',
		resumeHint,
		schedule: readScheduleWith(options, REBILLY_POLL_SCHEDULE),
		start: async (request) => {
			if (request.latest) {
				const latest = await latestCompleted(ctx, watched);
				return latest ? { started: latest.id, details: latest, existing: true } : { nothing: `no data export of ${watched.resource} has completed` };
			}
			const { found, passed } = await nextCompleted(ctx, watched, request);
			if (found) return { started: found.id, details: found, existing: true };
			const after = request.after.split('|')[0];
			return passed
				? { nothing: `no data export of ${watched.resource} completed after ${after} matches; the next look starts at ${passed.split('|')[0]}`, request: { after: passed } }
				: { nothing: `no data export of ${watched.resource} completed after ${after}` };
		},
		status: async (id) => exportState(await getExport(ctx, id, resumeHint(id)), id, await rebillyBase(ctx)),
		next: (_request, done) => (done.details?.id ? { after: `${String(done.details.updatedTime)}|${String(done.details.id)}` } : undefined),
		parse: parseOptionsOf(),
	};
}

/**
 * The oldest matching export after the position, looking at a few pages at most; else how far
 * the exports looked at reach (`passed`), so that the next look starts there.
 */
async function nextCompleted(ctx: EngineContext, watched: Watched, request: CompletedRequest): Promise<{ found?: DataExport; passed?: string }> {
	const [from, fromId = ''] = request.after.split('|');
	let time = from;
	let afterId = fromId;
	let offset = 0;
	let newest = from;
	for (let page = 0; page < MAX_PAGES_PER_LOOK && offset <= MAX_OFFSET; page++) {
		const exports = await listCompleted(ctx, watched.resource, { since: time, sort: 'updatedTime', offset });
		const found = exports.filter((listed) => isAfter(listed, time, afterId) && matches(listed, watched)).sort(byCompletion)[0];
		if (found) return { found };
		const last = exports.at(-1)?.updatedTime;
		if (last && Date.parse(last) > Date.parse(newest)) newest = last;
		if (exports.length < PAGE) break;
		if (Date.parse(newest) > Date.parse(time)) {
			// From the newest second on, all of its exports again: Rebilly does not say how it orders those of one second.
			time = newest;
			afterId = '';
			offset = 0;
		} else {
			offset += exports.length; // a full page in one second: only the offset moves on
		}
	}
	// Not past the newest second: an export completing in it may not be listed yet.
	return { passed: Date.parse(newest) > Date.parse(from) ? `${newest}|` : undefined };
}

async function latestCompleted(ctx: EngineContext, watched: Watched): Promise<DataExport | undefined> {
	for (let offset = 0; offset <= MAX_OFFSET; offset += PAGE) {
		const exports = await listCompleted(ctx, watched.resource, { sort: '-updatedTime', offset });
		const found = exports.find((candidate) => matches(candidate, watched));
		if (found || exports.length < PAGE) return found;
	}
	return undefined;
}

/** A page of the completed exports in formats read as rows; Rebilly's filter matches whole values, so names are compared here. */
async function listCompleted(ctx: EngineContext, resource: Resource, page: { since?: string; sort: string; offset: number }): Promise<DataExport[]> {
	const filter = [`status:completed`, `resource:${resource}`, `format:${ROW_FORMATS.join(',')}`, ...(page.since ? [`updatedTime:${page.since}..`] : [])].join(';');
	const response = await rebillyRequest<DataExport[]>(ctx, {
		method: 'GET',
		path: EXPORTS_PATH,
		qs: { filter, sort: page.sort, limit: PAGE, offset: page.offset },
	});
	return Array.isArray(response.body) ? response.body : [];
}

function matches(found: DataExport, watched: Watched): boolean {
	const name = watched.nameContains.toLowerCase();
	return found.status === 'completed' && ROW_FORMATS.includes(found.format as Format) && (!name || String(found.name ?? '').toLowerCase().includes(name));
}

function byCompletion(a: DataExport, b: DataExport): number {
	return Date.parse(String(a.updatedTime)) - Date.parse(String(b.updatedTime)) || a.id.localeCompare(b.id);
}

function isAfter(found: DataExport, time: string, afterId: string): boolean {
	const at = Date.parse(String(found.updatedTime));
	const position = Date.parse(time);
	return at > position || (at === position && found.id > afterId);
}
