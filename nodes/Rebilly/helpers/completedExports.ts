import type { IDataObject } from 'n8n-workflow';

import { readSchedule as readScheduleWith } from '../../shared/description';
import type { ExportJob } from '../../shared/exportJob';
import type { EngineContext } from '../../shared/types';
import { rebillyBase, rebillyRequest } from '../transport';
import { EXPORTS_PATH, exportState, getExport, parseOptionsOf, REBILLY_POLL_SCHEDULE, resumeHint, type DataExport } from './exportJob';
import { ROW_FORMATS, type Format, type Resource } from './resources';

/** The next completed export after a position: `<updatedTime>` or `<updatedTime>|<export id>`. */
export interface CompletedRequest extends IDataObject {
	after: string;
	/** "Fetch Test Event": the latest completed export instead. */
	latest?: boolean;
}

const PAGE = 1000;

/**
 * Data exports that Rebilly completed (recurring ones included) read one after another, oldest
 * first: "starting" one finds the next completed export after the position; the shared runner
 * then reads its file like any other export's.
 */
export function completedExportsJob(ctx: EngineContext, options: IDataObject, watched: { resource: Resource; nameContains: string }): ExportJob<CompletedRequest> {
	return {
		provider: 'Rebilly',
		noun: 'data export',
		resumeHint,
		schedule: readScheduleWith(options, REBILLY_POLL_SCHEDULE),
		start: async (request) => {
			const found = await nextCompleted(ctx, watched, request);
			return found
				? { started: found.id, details: found, existing: true }
				: { nothing: `no data export of ${watched.resource} completed after ${request.after.split('|')[0]}` };
		},
		status: async (id) => exportState(await getExport(ctx, id, resumeHint(id)), id, await rebillyBase(ctx)),
		next: (_request, done) => (done.details?.id ? { after: `${String(done.details.updatedTime)}|${String(done.details.id)}` } : undefined),
		parse: parseOptionsOf(),
	};
}

async function nextCompleted(ctx: EngineContext, watched: { resource: Resource; nameContains: string }, request: CompletedRequest): Promise<DataExport | undefined> {
	const [time, afterId = ''] = request.after.split('|');
	const filter = `status:completed;resource:${watched.resource}${request.latest ? '' : `;updatedTime:${time}..`}`;
	const response = await rebillyRequest<DataExport[]>(ctx, {
		method: 'GET',
		path: EXPORTS_PATH,
		qs: { filter, sort: request.latest ? '-updatedTime' : 'updatedTime', limit: PAGE, offset: 0 },
	});
	const name = watched.nameContains.toLowerCase();
	const candidates = (Array.isArray(response.body) ? response.body : []).filter(
		(found) =>
			found.status === 'completed' &&
			ROW_FORMATS.includes(found.format as Format) &&
			(!name || String(found.name ?? '').toLowerCase().includes(name)) &&
			(request.latest || isAfter(found, time, afterId)),
	);
	if (request.latest) return candidates[0];
	return candidates.sort((a, b) => Date.parse(String(a.updatedTime)) - Date.parse(String(b.updatedTime)) || a.id.localeCompare(b.id))[0];
}

function isAfter(found: DataExport, time: string, afterId: string): boolean {
	const at = Date.parse(String(found.updatedTime));
	const position = Date.parse(time);
	return at > position || (at === position && found.id > afterId);
}
