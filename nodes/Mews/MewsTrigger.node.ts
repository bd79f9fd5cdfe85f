import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type IPollFunctions,
} from 'n8n-workflow';

import { readDateTime } from '../shared/dates';
import { asNodeError } from '../shared/errors';
import { optionsCollection, readDownloadOptions } from '../shared/description';
import { maxWaitPerPollMs, maxWaitPerPollOption } from '../shared/poll';
import type { Row } from '../shared/types';
import type { IncrementalState, PendingJob } from '../shared/watermark';
import { entityTypeField, readEntityType, readSchedule, readScope, retryFailedOption, scopeOptions, waitOptions } from './actions/export/common';
import { readExportRows } from './actions/export/emit';
import {
	addExport,
	MAX_RANGE_DAYS,
	mewsNow,
	rememberStarted,
	resumeHint,
	SETTLE_MS,
	splitRange,
	waitForExport,
	type ExportRequest,
	type UpdatedRange,
} from './helpers/exportJob';
import type { EntityType } from './helpers/entityTypes';

const DEFAULT_SAMPLE_SIZE = 10;
const SAMPLE_DAYS = 7;
// Rows this close to the end of a range are remembered: the next range starts exactly there.
const BOUNDARY_MS = 60_000;

interface MewsTriggerState extends IncrementalState {
	pendingJob?: PendingJob & { to: string };
	/** `Id|UpdatedUtc` of emitted rows near the watermark, dropped if the next export has them again. */
	boundary?: string[];
}

export class MewsTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Mews Trigger',
		name: 'mewsTrigger',
		icon: { light: 'file:mews.svg', dark: 'file:mews.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{"Changes of " + $parameter["entityType"]}}',
		description: 'Emits Mews records created or updated since the last poll, using Connector API exports',
		defaults: { name: 'Mews Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'mewsConnectorApi', required: true }],
		properties: [
			{
				...entityTypeField,
				// Ledger entries never change once posted: export them by posting date with the Mews node.
				options: entityTypeField.options?.filter((option) => 'value' in option && option.value !== 'LedgerEntry'),
				description: 'The Mews records to watch',
			},
			{
				displayName: 'On First Activation',
				name: 'startWith',
				type: 'options',
				options: [
					{ name: 'Only Changes From Now On', value: 'now', description: 'The first poll emits nothing and remembers the time' },
					{
						name: 'Everything Updated Since a Date',
						value: 'since',
						description: `The first polls emit the records updated since then, ${MAX_RANGE_DAYS} days per export`,
					},
				],
				default: 'now',
			},
			{
				displayName: 'Updated Since',
				name: 'since',
				type: 'dateTime',
				default: '',
				required: true,
				description: 'The first poll emits records created or updated after this moment',
				displayOptions: { show: { startWith: ['since'] } },
			},
			{
				displayName: 'Each poll starts one Mews export of what changed since the last poll. Mews limits requests per access token (200 per 30 seconds), so a poll every few minutes is plenty.',
				name: 'pollNotice',
				type: 'notice',
				default: '',
			},
			optionsCollection([
				...scopeOptions,
				maxWaitPerPollOption('Mews'),
				...waitOptions.filter((option) => option.name !== 'timeoutMinutes'),
				retryFailedOption,
				{
					displayName: 'Test Event Rows',
					name: 'sampleSize',
					type: 'number',
					typeOptions: { minValue: 1 },
					default: DEFAULT_SAMPLE_SIZE,
					description: `How many records updated in the last ${SAMPLE_DAYS} days "Fetch Test Event" shows`,
				},
			]),
		],
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const entityType = readEntityType(this, this.getNodeParameter('entityType'));
		if (entityType === 'LedgerEntry') {
			throw new NodeOperationError(this.getNode(), 'The Mews Trigger cannot watch ledger entries', {
				description: 'Mews exports ledger entries by posting day, not by change: use the Mews node with Posted From and Posted To, e.g. on a daily schedule.',
			});
		}
		const options = this.getNodeParameter('options', {}) as IDataObject;
		const scope = readScope(this, options);
		// Mews's clock decides what "5 minutes ago" is, not this machine's.
		const settled = new Date((await mewsNow(this)).getTime() - SETTLE_MS);
		if (this.getMode() === 'manual') return sample(this, { entityType, scope }, settled, options);

		const state = this.getWorkflowStaticData('node') as MewsTriggerState;
		if (!state.watermark && !state.pendingJob) {
			if (this.getNodeParameter('startWith') !== 'since') {
				state.watermark = settled.toISOString();
				this.logger.info(`Mews Trigger: watching ${entityType} for changes from now on`);
				return null;
			}
			state.watermark = firstWatermark(this, settled).toISOString();
		}

		const deadline = Date.now() + maxWaitPerPollMs(this, options);
		const emitted: Row[] = [];
		// Ranges one after another while the poll has time: a long backlog is 180 days per export.
		for (;;) {
			const job = state.pendingJob ?? (await startNext(this, state, { entityType, scope }, settled));
			if (!job) break;
			let rows: Row[] | undefined;
			try {
				rows = await exportRows(this, job, { entityType, scope }, options, deadline);
			} catch (error) {
				delete state.pendingJob;
				if (!emitted.length) throw asNodeError(this.getNode(), error);
				// Keep what this poll has: the failed range is exported again on the next poll.
				this.logger.warn(`Mews Trigger: ${(error as Error).message}; the next poll exports from ${state.watermark} again`);
				break;
			}
			if (!rows) break; // still running: the next poll picks it up
			const fresh = dropBoundaryDuplicates(rows, state);
			for (const row of fresh) emitted.push(row);
			advance(state, job, fresh);
			// Only a backlog cut into 180-day ranges goes on; otherwise the next poll takes what came since.
			if (!coversMaxRange(job) || Date.now() >= deadline) break;
		}
		this.logger.info(`Mews Trigger: ${emitted.length} changed ${entityType} records`);
		return emitted.length ? [emitted.map((json) => ({ json: json as IDataObject }))] : null;
	}
}

function firstWatermark(ctx: IPollFunctions, settled: Date): Date {
	const since = readDateTime(ctx, ctx.getNodeParameter('since'), 'Updated Since');
	if (!since) throw new NodeOperationError(ctx.getNode(), '"Updated Since" is empty', { description: 'Give the moment from which changes are emitted, or choose Only Changes From Now On.' });
	if (since >= settled) {
		throw new NodeOperationError(ctx.getNode(), `"Updated Since" (${since.toISOString()}) is less than 5 minutes ago`, {
			description: 'Mews exports changes up to 5 minutes ago; choose an earlier moment, or Only Changes From Now On.',
		});
	}
	return since;
}

/**
 * Starts the export of the next range, from the watermark to 5 minutes ago (at most 180 days);
 * undefined when there is nothing new to ask for, or Mews is busy with an export started elsewhere.
 */
async function startNext(
	ctx: IPollFunctions,
	state: MewsTriggerState,
	base: Omit<ExportRequest, 'updated'>,
	settled: Date,
): Promise<MewsTriggerState['pendingJob']> {
	const from = new Date(state.watermark as string);
	if (from >= settled) return undefined;
	const [range] = splitRange({ start: from, end: settled });
	const request = { ...base, updated: range };
	const added = await addExport(ctx, request);
	if (!('Id' in added)) {
		ctx.logger.warn(`Mews Trigger: Mews is busy with another export of ${base.entityType} (${added.runningMessage}); trying again on the next poll`);
		return undefined;
	}
	rememberStarted(ctx, added, request);
	// Remembered before waiting: if this poll ends early, the next one resumes this export.
	state.pendingJob = { id: added.Id, from: range.start.toISOString(), to: range.end.toISOString(), startedAt: new Date().toISOString() };
	return state.pendingJob;
}

/** The rows of a started export, or undefined when it is still running at the deadline. */
async function exportRows(
	ctx: IPollFunctions,
	job: NonNullable<MewsTriggerState['pendingJob']>,
	base: Omit<ExportRequest, 'updated'>,
	options: IDataObject,
	deadline: number,
): Promise<Row[] | undefined> {
	const request = { ...base, updated: { start: new Date(job.from as string), end: new Date(job.to) } };
	const finished = await waitForExport(ctx, job.id, request, {
		whenRunning: 'fail',
		schedule: { ...readSchedule(options), timeoutMs: Math.max(1, deadline - Date.now()) },
		retryFailedOnce: options.retryFailed === true,
		resumeLaterOnTimeout: true,
	});
	if (!finished) return undefined;
	const items = await readExportRows(ctx, finished, { download: readDownloadOptions(options, resumeHint(finished.id)), pairedItem: { item: 0 } });
	return items.map((item) => item.json as Row);
}

function coversMaxRange(job: NonNullable<MewsTriggerState['pendingJob']>): boolean {
	return Date.parse(job.to) - Date.parse(job.from as string) >= MAX_RANGE_DAYS * 24 * 60 * 60_000;
}

function boundaryKey(row: Row): string {
	return `${String(row.Id)}|${String(row.UpdatedUtc)}`;
}

function dropBoundaryDuplicates(rows: Row[], state: MewsTriggerState): Row[] {
	if (!state.boundary?.length) return rows;
	const seen = new Set(state.boundary);
	return rows.filter((row) => !seen.has(boundaryKey(row)));
}

/** After the rows of a range were taken: the next range starts where this one ended. */
function advance(state: MewsTriggerState, job: NonNullable<MewsTriggerState['pendingJob']>, emitted: Row[]): void {
	const end = Date.parse(job.to);
	state.boundary = emitted
		.filter((row) => typeof row.UpdatedUtc === 'string' && Date.parse(row.UpdatedUtc) >= end - BOUNDARY_MS)
		.map(boundaryKey);
	state.watermark = job.to;
	delete state.pendingJob;
}

/** "Fetch Test Event": a few records updated recently, without touching the trigger's state. */
async function sample(
	ctx: IPollFunctions,
	base: { entityType: EntityType; scope: ExportRequest['scope'] },
	settled: Date,
	options: IDataObject,
): Promise<INodeExecutionData[][] | null> {
	const updated: UpdatedRange = { start: new Date(settled.getTime() - SAMPLE_DAYS * 24 * 60 * 60_000), end: settled };
	const request = { ...base, updated };
	const added = await addExport(ctx, request);
	if (!('Id' in added)) {
		throw new NodeOperationError(ctx.getNode(), `Mews is busy with another export of ${base.entityType}`, {
			description: `Mews runs one export per entity type at a time. Try again in a few minutes. Mews said: "${added.runningMessage}"`,
		});
	}
	const finished = await waitForExport(ctx, added.Id, request, {
		whenRunning: 'fail',
		schedule: readSchedule(options),
		retryFailedOnce: false,
	});
	if (!finished) return null;
	const limit = typeof options.sampleSize === 'number' && options.sampleSize > 0 ? options.sampleSize : DEFAULT_SAMPLE_SIZE;
	const download = readDownloadOptions(options, resumeHint(finished.id));
	const items = await readExportRows(ctx, finished, { download, limit, pairedItem: { item: 0 } });
	return items.length ? [items.map(({ json }) => ({ json }))] : null;
}
