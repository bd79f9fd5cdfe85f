import {
	NodeConnectionTypes,
	type IDataObject,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type IPollFunctions,
} from 'n8n-workflow';

import {
	firstActivationFields,
	maxWaitPerPollMs,
	maxRowsPerPollOption,
	maxWaitPerPollOption,
	readDownloadOptions,
	readFirstActivation,
	readSampleSize,
	testEventRowsOption,
} from '../shared/description';
import { contentKey, pollIncremental, type IncrementalTrigger } from '../shared/trigger';
import { fourMeExportJob, MAX_FROM_MONTHS, parseFrom, parseRecordTypes, type ExportRequest } from './helpers/exportJob';
import { optionsCollection, recordTypesField, waitOptions } from './actions/export/common';

const DEFAULT_OVERLAP_MINUTES = 5;
const SAMPLE_DAYS = 7;
// 4me does not say when a refused full export is allowed again ("once per day").
const FULL_EXPORT_RETRY_MINUTES = 60;

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
			...firstActivationFields({
				since: 'At most 2 months back',
				sinceField: 'The first poll emits records created or updated after this moment (at most 2 months back)',
				full: 'All records, then changes. A type with more than 10,000 records can be fully exported once per day; if 4me refuses, the trigger tries again every hour until 4me allows it.',
			}),
			optionsCollection([
				...waitOptions.filter((option) => option.name !== 'timeoutMinutes'),
				maxWaitPerPollOption('4me'),
				maxRowsPerPollOption,
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
				testEventRowsOption('recently changed rows'),
			]),
		],
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		return pollIncremental(this, fourMeTrigger(this));
	}
}

/**
 * Partial exports from a watermark: each export starts an overlap before the previous one did,
 * and rows emitted in the overlap are dropped by their content (4me's column names vary).
 */
function fourMeTrigger(ctx: IPollFunctions): IncrementalTrigger<ExportRequest> {
	const types = parseRecordTypes(ctx, ctx.getNodeParameter('recordTypes'));
	const options = ctx.getNodeParameter('options', {}) as IDataObject;
	const overlapMs = Math.max(0, typeof options.overlapMinutes === 'number' ? options.overlapMinutes : DEFAULT_OVERLAP_MINUTES) * 60_000;
	const partialSince = (from: Date | undefined): ExportRequest => ({ types, from: from?.toISOString(), format: 'csv' });
	return {
		name: '4me Trigger',
		job: fourMeExportJob(ctx, options, types),
		positionName: 'watermark',
		firstPosition: async () => {
			const startWith = readFirstActivation(ctx);
			if (startWith === 'since') return { position: parseFrom(ctx, ctx.getNodeParameter('since')).toISOString() };
			if (startWith === 'full') return {};
			return { position: new Date().toISOString(), startsNow: true };
		},
		requestAfter: async (watermark) => partialSince(watermark ? clampToTwoMonths(ctx, new Date(watermark)) : undefined),
		// Never backwards: polls closer together than the overlap keep the older watermark.
		positionAfter: (job, current) => {
			const moved = Date.parse(job.startedAt) - overlapMs;
			return new Date(Math.max(moved, current ? Date.parse(current) : moved)).toISOString();
		},
		dedupe: {
			keyOf: contentKey,
			tagOf: (job) => job.startedAt,
			// A job's rows changed before it started: a later export from the watermark returns them
			// until the watermark passes that start (by more than the allowed clock difference).
			stillReturnable: (startedAt, watermark) => Date.parse(startedAt) + overlapMs >= Date.parse(watermark),
		},
		// 4me refuses a second full export of a large type on the same day (an earlier one may have
		// run outside n8n, or in a poll that died). The user asked for everything: never narrow it.
		recover: (job, failure) =>
			failure.code === 'rate_limit_exceeded' && !job.request.from
				? {
						note: `The trigger tries the full export again in ${FULL_EXPORT_RETRY_MINUTES} minutes, until 4me allows it; changes are emitted after it, so nothing is skipped.`,
						retryAfterMs: FULL_EXPORT_RETRY_MINUTES * 60_000,
					}
				: undefined,
		sampleRequest: async () => partialSince(new Date(Date.now() - SAMPLE_DAYS * 24 * 60 * 60_000)),
		sampleSize: readSampleSize(options),
		maxWaitMs: maxWaitPerPollMs(ctx, options),
		download: readDownloadOptions(options),
		retryFailedOnce: false,
	};
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
