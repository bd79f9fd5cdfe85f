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
import { pollIncremental, type IncrementalTrigger } from '../shared/trigger';
import { entityTypeField, readEntityType, readScope, retryFailedOption, scopeOptions, waitOptions } from './actions/export/common';
import { firstExportOf, MAX_RANGE_DAYS, mewsExportJob, mewsNow, SETTLE_MS, type ExportRequest } from './helpers/exportJob';

const SAMPLE_DAYS = 7;
// Rows this close to the end of a range are remembered: the next range starts exactly there.
const BOUNDARY_MS = 60_000;

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
			...firstActivationFields({
				since: `The first polls emit the records updated since then, ${MAX_RANGE_DAYS} days per export`,
				sinceField: 'The first poll emits records created or updated after this moment',
			}),
			{
				displayName: 'Each poll starts one Mews export of what changed since the last poll. Mews limits requests per access token (200 per 30 seconds), so a poll every few minutes is plenty.',
				name: 'pollNotice',
				type: 'notice',
				default: '',
			},
			optionsCollection([
				...scopeOptions,
				maxWaitPerPollOption('Mews'),
				maxRowsPerPollOption,
				...waitOptions.filter((option) => option.name !== 'timeoutMinutes'),
				retryFailedOption,
				testEventRowsOption(`records updated in the last ${SAMPLE_DAYS} days`),
			]),
		],
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		return pollIncremental(this, await mewsTrigger(this));
	}
}

/**
 * Each poll exports UpdatedUtc from the watermark to 5 minutes ago by Mews's clock (not this
 * machine's), 180 days per export; rows at the boundary of two ranges are emitted once.
 */
async function mewsTrigger(ctx: IPollFunctions): Promise<IncrementalTrigger<ExportRequest>> {
	const entityType = readEntityType(ctx, ctx.getNodeParameter('entityType'));
	if (entityType === 'LedgerEntry') {
		throw new NodeOperationError(ctx.getNode(), 'The Mews Trigger cannot watch ledger entries', {
			description: 'Mews exports ledger entries by posting day, not by change: use the Mews node with Posted From and Posted To, e.g. on a daily schedule.',
		});
	}
	const options = ctx.getNodeParameter('options', {}) as IDataObject;
	const base = { entityType, scope: readScope(ctx, options) };
	const settled = new Date((await mewsNow(ctx)).getTime() - SETTLE_MS);
	const endOf = (request: ExportRequest) => Date.parse(request.updated?.end ?? '');
	return {
		name: 'Mews Trigger',
		job: mewsExportJob(ctx, options),
		positionName: 'watermark',
		firstPosition: async () =>
			readFirstActivation(ctx) === 'since' ? { position: firstWatermark(ctx, settled).toISOString() } : { position: settled.toISOString(), startsNow: true },
		requestAfter: async (watermark) => {
			const from = new Date(watermark ?? settled);
			return from < settled ? firstExportOf(base, { start: from, end: settled }) : undefined;
		},
		positionAfter: (job) => new Date(endOf(job.request)).toISOString(),
		dedupe: {
			keyOf: (row) => `${String(row.Id)}|${String(row.UpdatedUtc)}`,
			mayReturn: (row, job) => typeof row.UpdatedUtc === 'string' && Date.parse(row.UpdatedUtc) >= endOf(job.request) - BOUNDARY_MS,
			tagOf: (job) => job.request.updated?.end ?? '',
			stillReturnable: (end, watermark) => Date.parse(end) + BOUNDARY_MS >= Date.parse(watermark),
		},
		sampleRequest: async () => ({
			...base,
			updated: { start: new Date(settled.getTime() - SAMPLE_DAYS * 24 * 60 * 60_000).toISOString(), end: settled.toISOString() },
		}),
		sampleSize: readSampleSize(options),
		maxWaitMs: maxWaitPerPollMs(ctx, options),
		download: readDownloadOptions(options),
		retryFailedOnce: options.retryFailed === true,
	};
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
