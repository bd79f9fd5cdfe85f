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
import {
	firstActivationFields,
	maxWaitPerPollMs,
	maxRowsPerPollOption,
	maxWaitPerPollOption,
	optionsCollection,
	readDownloadOptions,
	readFirstActivation,
	readSampleSize,
	testEventRowsOption,
} from '../shared/description';
import { contentKey, pollIncremental, type IncrementalTrigger } from '../shared/trigger';
import { resourceField, readResource, retryFailedOption, waitOptions } from './actions/dataExport/common';
import { completedExportsJob, type CompletedRequest } from './helpers/completedExports';
import { fitName, rebillyExportJob, type ExportRequest } from './helpers/exportJob';
import { RESOURCES, type Resource } from './helpers/resources';

const SAMPLE_DAYS = 7;
const DEFAULT_OVERLAP_MINUTES = 5;

export class RebillyTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Rebilly Trigger',
		name: 'rebillyTrigger',
		icon: { light: 'file:rebilly.svg', dark: 'file:rebilly.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{ ($parameter["watch"] === "completedExports" ? "Completed exports of " : "Changes of ") + $parameter["dataResource"] }}',
		description: 'Emits Rebilly records changed since the last poll, or the rows of data exports that completed, using data exports',
		defaults: { name: 'Rebilly Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'rebillyApi', required: true }],
		properties: [
			{
				displayName: 'Watch',
				name: 'watch',
				type: 'options',
				options: [
					{
						name: 'Changed Records',
						value: 'changedRecords',
						description: 'Each poll exports the records whose updated time lies after the last poll, and emits them',
					},
					{
						name: 'Completed Exports',
						value: 'completedExports',
						description: 'Emits the rows of each data export that completed since the last poll, e.g. recurring exports scheduled in Rebilly',
					},
				],
				default: 'changedRecords',
			},
			{ ...resourceField, description: 'The records to watch (by their updated time), or whose completed exports to read' },
			{
				displayName: 'Export Name Contains',
				name: 'nameContains',
				type: 'string',
				default: '',
				description: 'Only completed exports whose name contains this text (any case); empty: every export of the records',
				displayOptions: { show: { watch: ['completedExports'] } },
			},
			...firstActivationFields({
				since: 'The first poll emits the records updated (or the exports completed) since then',
				sinceField: 'The first poll emits what was updated or completed after this moment',
			}),
			optionsCollection([
				{
					displayName: 'Overlap (Minutes)',
					name: 'overlapMinutes',
					type: 'number',
					typeOptions: { minValue: 0 },
					default: DEFAULT_OVERLAP_MINUTES,
					description: 'Each export starts this long before the previous one ended, so that changes Rebilly records a little late are not missed; records already emitted are dropped (by ID and updated time)',
					displayOptions: { show: { '/watch': ['changedRecords'] } },
				},
				maxWaitPerPollOption('Rebilly'),
				maxRowsPerPollOption,
				...waitOptions.filter((option) => option.name !== 'timeoutMinutes'),
				retryFailedOption,
				testEventRowsOption(`records updated in the last ${SAMPLE_DAYS} days (or rows of the latest completed export)`),
			]),
		],
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		if (this.getNodeParameter('watch', 'changedRecords') === 'completedExports') return pollIncremental(this, completedExportsTrigger(this));
		return pollIncremental(this, changedRecordsTrigger(this));
	}
}

/** The moment "On First Activation" chose; `startsNow` when watching starts now. */
function firstMoment(ctx: IPollFunctions): { at: Date; startsNow: boolean } {
	if (readFirstActivation(ctx) !== 'since') return { at: new Date(), startsNow: true };
	const since = readDateTime(ctx, ctx.getNodeParameter('since'), 'Updated Since');
	if (!since) {
		throw new NodeOperationError(ctx.getNode(), '"Updated Since" is empty', { description: 'Give the moment from which changes are emitted, or choose Only Changes From Now On.' });
	}
	if (since.getTime() > Date.now()) throw new NodeOperationError(ctx.getNode(), `"Updated Since" (${since.toISOString()}) is in the future`);
	return { at: since, startsNow: false };
}

/**
 * Changed records: each poll exports the records whose updatedTime lies between the position
 * (less an overlap) and now, as JSON; a range too large for one export is split into parts.
 * Every resource's schema has updatedTime, so it is the date the trigger watches for all of them.
 */
function changedRecordsTrigger(ctx: IPollFunctions): IncrementalTrigger<ExportRequest> {
	const resource = readResource(ctx, ctx.getNodeParameter('dataResource'));
	const options = ctx.getNodeParameter('options', {}) as IDataObject;
	const overlapMs = Math.max(0, typeof options.overlapMinutes === 'number' ? options.overlapMinutes : DEFAULT_OVERLAP_MINUTES) * 60_000;
	const exportOf = (from: Date, to: Date): ExportRequest => ({
		// Time before label: cut to Rebilly's 50 characters (a part number added too), the label gives way.
		name: fitName(`n8n trigger ${to.toISOString().slice(0, 16)} ${RESOURCES[resource].label.toLowerCase()}`),
		resource,
		format: 'json',
		dateRange: { start: iso(from), end: iso(to, true), field: 'updatedTime' },
		splitTooLarge: true,
	});
	const endOf = (request: ExportRequest) => Date.parse(request.dateRange?.end ?? '');
	return {
		name: 'Rebilly Trigger',
		job: rebillyExportJob(ctx, options),
		positionName: 'watermark',
		firstPosition: async () => {
			const first = firstMoment(ctx);
			return { position: iso(first.at), startsNow: first.startsNow };
		},
		requestAfter: async (watermark) => {
			const now = new Date();
			const from = new Date(Date.parse(watermark ?? iso(now)) - overlapMs);
			return from < now ? exportOf(from, now) : undefined;
		},
		positionAfter: (job) => new Date(endOf(job.request)).toISOString(),
		dedupe: {
			// Rebilly's times are to the second: two changes in one second have one updatedTime, so the
			// record's content (which includes its ID and updatedTime) tells a new version from a repeat.
			keyOf: contentKey,
			mayReturn: (row, job) => typeof row.updatedTime === 'string' && Date.parse(row.updatedTime) >= endOf(job.request) - overlapMs,
			tagOf: (job) => job.request.dateRange?.end ?? '',
			stillReturnable: (end, watermark) => Date.parse(end) + overlapMs >= Date.parse(watermark),
		},
		sampleRequest: async () => exportOf(new Date(Date.now() - SAMPLE_DAYS * 24 * 60 * 60_000), new Date()),
		sampleSize: readSampleSize(options),
		maxWaitMs: maxWaitPerPollMs(ctx, options),
		download: readDownloadOptions(options),
		retryFailedOnce: options.retryFailed === true,
	};
}

/** Completed exports: each poll emits the rows of every matching export completed after the position, oldest first, each once. */
function completedExportsTrigger(ctx: IPollFunctions): IncrementalTrigger<CompletedRequest> {
	const resource: Resource = readResource(ctx, ctx.getNodeParameter('dataResource'));
	const options = ctx.getNodeParameter('options', {}) as IDataObject;
	const nameContains = String(ctx.getNodeParameter('nameContains', '')).trim();
	const job = completedExportsJob(ctx, options, { resource, nameContains });
	return {
		name: 'Rebilly Trigger',
		job,
		positionName: 'watermark',
		firstPosition: async () => {
			const first = firstMoment(ctx);
			return { position: iso(first.at), startsNow: first.startsNow };
		},
		requestAfter: async (watermark) => ({ after: watermark ?? iso(new Date()) }),
		// The position is the last emitted export's completion (its updatedTime and ID), or where a look
		// that found nothing matching got to.
		positionAfter: (pending, _current, done) => (done ? `${String(done.details?.updatedTime ?? '')}|${pending.id}` : pending.request.after),
		sampleRequest: async () => ({ after: iso(new Date(0)), latest: true }),
		sampleSize: readSampleSize(options),
		maxWaitMs: maxWaitPerPollMs(ctx, options),
		download: readDownloadOptions(options),
		retryFailedOnce: false,
	};
}

/** A moment to the second, as Rebilly writes times; `up` rounds up so that a range's end takes in the current second. */
function iso(date: Date, up = false): string {
	const seconds = up ? Math.ceil(date.getTime() / 1000) : Math.floor(date.getTime() / 1000);
	return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
