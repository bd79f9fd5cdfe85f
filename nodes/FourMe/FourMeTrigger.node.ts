import {
	NodeConnectionTypes,
	type IDataObject,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type IPollFunctions,
} from 'n8n-workflow';

import { asNodeError } from '../shared/errors';
import { waitForJob } from '../shared/job';
import { filesToRows } from '../shared/output';
import { maxWaitPerPollMs, maxWaitPerPollOption } from '../shared/poll';
import type { JobState, Row } from '../shared/types';
import { advance, dropEmitted, type IncrementalState, type PendingJob } from '../shared/watermark';
import { getExportStatus, MAX_FROM_MONTHS, parseFrom, parseRecordTypes, resumeHint, startExport } from './helpers/exportJob';
import { optionsCollection, readDownloadOptions, readParseOptions, readSchedule, recordTypesField, waitOptions } from './actions/export/common';

const DEFAULT_OVERLAP_MINUTES = 5;
const DEFAULT_SAMPLE_SIZE = 10;

export class FourMeTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: '4me (Xurrent) Trigger',
		name: 'fourMeTrigger',
		icon: { light: 'file:fourme.svg', dark: 'file:fourme.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{"Changes of " + [].concat($parameter["recordTypes"]).join(", ")}}',
		description: 'Emits 4me (Xurrent) records created or updated since the last poll, using 4me partial exports',
		defaults: { name: '4me Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'fourMeApi', required: true }],
		properties: [
			{
				...recordTypesField,
				description: 'The 4me records to watch. With several types, every row says its type in the field _recordType.',
			},
			{
				displayName: 'On First Activation',
				name: 'startWith',
				type: 'options',
				options: [
					{ name: 'Only Changes From Now On', value: 'now', description: 'The first poll emits nothing and remembers the time' },
					{ name: 'Everything Updated Since a Date', value: 'since', description: 'At most 2 months back' },
					{
						name: 'A Full Export First',
						value: 'full',
						description: 'All records, then changes. A type with more than 10,000 records can be fully exported once per day; if 4me refuses, the trigger starts 2 months back instead.',
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
				description: 'The first poll emits records created or updated after this moment (at most 2 months back)',
				displayOptions: { show: { startWith: ['since'] } },
			},
			optionsCollection([
				...waitOptions.filter((option) => option.name !== 'timeoutMinutes'),
				maxWaitPerPollOption('4me'),
				{
					displayName: 'Overlap (Minutes)',
					name: 'overlapMinutes',
					type: 'number',
					typeOptions: { minValue: 0 },
					default: DEFAULT_OVERLAP_MINUTES,
					description: 'Each export starts this long before the previous one did, so differences between clocks lose no change; rows already emitted are dropped',
					},
				{
					displayName: 'Remove Spreadsheet Guard',
					name: 'removeInjectionGuard',
					type: 'boolean',
					default: true,
					description: 'Whether to remove the tab 4me puts before values that start with =, +, - or @',
					},
				{
					displayName: 'Test Event Rows',
					name: 'sampleSize',
					type: 'number',
					typeOptions: { minValue: 1 },
					default: DEFAULT_SAMPLE_SIZE,
					description: 'How many recently changed rows "Fetch Test Event" shows',
					},
			]),
		],
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const types = parseRecordTypes(this, this.getNodeParameter('recordTypes'));
		const options = this.getNodeParameter('options', {}) as IDataObject;
		if (this.getMode() === 'manual') return sample(this, types, options);

		const state = this.getWorkflowStaticData('node') as IncrementalState;
		if (!state.watermark && !state.pendingJob) {
			const first = firstWatermark(this);
			if (first === 'now') {
				state.watermark = new Date().toISOString();
				this.logger.info(`4me Trigger: watching ${types.join(', ')} for changes from now on`);
				return null;
			}
			state.watermark = first;
		}

		const job = state.pendingJob ?? (await startJob(this, types, state));
		if (!job) return null;
		let last: JobState | undefined;
		const done = await waitForJob(this, {
			jobLabel: `4me export ${job.id}`,
			resumeHint: resumeHint(job.id),
			poll: async () => (last = (await getExportStatus(this, job.id, { types, from: job.from ? new Date(job.from) : undefined })).state),
			schedule: { ...readSchedule(options), timeoutMs: maxWaitPerPollMs(this, options) },
			resumeLaterOnTimeout: true,
		}).catch((error: unknown) => recoverFromFailedJob(this, state, job, last, error));
		if (!done) return null;

		const rows = (
			await filesToRows(this, done.files, {
				download: readDownloadOptions(options, resumeHint(job.id)),
				parse: readParseOptions(options, types),
				pairedItem: { item: 0 },
			})
		).map((item) => item.json as Row);
		const fresh = dropEmitted(rows, state);
		advance(state, job, fresh, overlapMs(options));
		this.logger.info(`4me Trigger: ${fresh.length} changed rows (${rows.length - fresh.length} already emitted)`);
		return fresh.length ? [fresh.map((json) => ({ json: json as IDataObject }))] : null;
	}
}

/** The watermark of the first poll: 'now', an ISO date, or undefined for a full export. */
function firstWatermark(ctx: IPollFunctions): string | undefined | 'now' {
	const startWith = ctx.getNodeParameter('startWith') as string;
	if (startWith === 'since') return parseFrom(ctx, ctx.getNodeParameter('since')).toISOString();
	return startWith === 'full' ? undefined : 'now';
}

/** Starts the next export from the watermark; undefined when 4me says nothing changed (204). */
async function startJob(ctx: IPollFunctions, types: string[], state: IncrementalState): Promise<PendingJob | undefined> {
	const from = state.watermark ? clampToTwoMonths(ctx, new Date(state.watermark)) : undefined;
	const startedAt = new Date().toISOString();
	const token = await startExport(ctx, { types, from, format: 'csv' });
	const job: PendingJob = { id: token ?? '', startedAt, ...(from ? { from: from.toISOString() } : {}) };
	if (!token) {
		advance(state, job, [], overlapMs(ctx.getNodeParameter('options', {}) as IDataObject));
		return undefined;
	}
	// Remembered before waiting: if this poll ends early, the next one resumes this export.
	state.pendingJob = job;
	return job;
}

/** A watermark older than 4me allows (the workflow was off for a long time) moves up, with a warning. */
function clampToTwoMonths(ctx: IPollFunctions, watermark: Date): Date {
	const earliest = new Date();
	earliest.setUTCMonth(earliest.getUTCMonth() - MAX_FROM_MONTHS);
	earliest.setUTCHours(earliest.getUTCHours() + 1);
	if (watermark >= earliest) return watermark;
	ctx.logger.warn(
		`4me Trigger: the last poll was before ${earliest.toISOString()}; 4me exports changes of the last 2 months only, so changes before then are skipped`,
	);
	return earliest;
}

/**
 * A refused full export (4me's once-a-day limit) falls back to the last 2 months; an export
 * 4me no longer knows is started again on the next poll. Anything else fails the poll, and
 * the unchanged watermark makes the next poll try again.
 */
function recoverFromFailedJob(
	ctx: IPollFunctions,
	state: IncrementalState,
	job: PendingJob,
	last: JobState | undefined,
	error: unknown,
): undefined {
	delete state.pendingJob;
	if (last?.phase === 'failed' && last.code === 'rate_limit_exceeded' && !job.from) {
		ctx.logger.warn(`4me Trigger: ${last.reason}. Starting with the changes of the last 2 months instead.`);
		// Clamped to the earliest moment 4me allows when the next export starts.
		state.watermark = new Date(0).toISOString();
		return undefined;
	}
	if (last?.phase === 'expired') {
		ctx.logger.warn(`4me Trigger: ${last.reason}; the next poll starts a new export from the same moment`);
		return undefined;
	}
	throw asNodeError(ctx.getNode(), error);
}

/** "Fetch Test Event": a few rows changed recently, without touching the trigger's state. */
async function sample(ctx: IPollFunctions, types: string[], options: IDataObject): Promise<INodeExecutionData[][] | null> {
	const from = new Date(Date.now() - 7 * 24 * 60 * 60_000);
	const token = await startExport(ctx, { types, from, format: 'csv' });
	if (!token) return null;
	const done = await waitForJob(ctx, {
		jobLabel: `4me export ${token}`,
		resumeHint: resumeHint(token),
		poll: async () => (await getExportStatus(ctx, token, { types, from })).state,
		schedule: readSchedule(options),
	});
	const items = await filesToRows(ctx, done.files, {
		download: readDownloadOptions(options, resumeHint(token)),
		parse: readParseOptions(options, types),
		limit: (options.sampleSize as number | undefined) ?? DEFAULT_SAMPLE_SIZE,
		pairedItem: { item: 0 },
	});
	return items.length ? [items.map(({ json }) => ({ json }))] : null;
}

function overlapMs(options: IDataObject): number {
	const minutes = typeof options.overlapMinutes === 'number' ? options.overlapMinutes : DEFAULT_OVERLAP_MINUTES;
	return Math.max(0, minutes) * 60_000;
}
