import { DateTime } from 'luxon';
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { readDateTime } from '../../../shared/dates';
import { retryFailedOption as sharedRetryFailedOption, showFor, waitOptions as sharedWaitOptions, whenRunningOption as sharedWhenRunningOption } from '../../../shared/description';
import type { EngineContext } from '../../../shared/types';
import { entityTypeOptions, isEntityType, type EntityType } from '../../helpers/entityTypes';
import {
	MAX_IDS_PER_REQUEST,
	MAX_RANGE_DAYS,
	MEWS_POLL_SCHEDULE,
	firstExportOf,
	type ExportRequest,
	type PostingRange,
	SETTLE_MS,
	type Scope,
	type UpdatedRange,
} from '../../helpers/exportJob';

export { batchFieldsOption, maxFileSizeOption, maxRowsOption, startAtRowOption, optionsCollection, outputFields, readOutput, readRunOptions } from '../../../shared/description';

/** Shows fields only for the given export operations. */
export function forOperations(operations: string[], fields: INodeProperties[]): INodeProperties[] {
	return showFor('export', operations, fields);
}

export const entityTypeField: INodeProperties = {
	displayName: 'Entity Type',
	name: 'entityType',
	type: 'options',
	options: entityTypeOptions,
	default: 'Reservation',
	description: 'The Mews records to export',
};

export const updatedFields: INodeProperties[] = [
	{
		displayName: 'Records',
		name: 'records',
		type: 'options',
		options: [
			{ name: 'All', value: 'all', description: 'Every record of the type Mews holds for the scope' },
			{ name: 'Updated in a Time Range', value: 'updated', description: 'Records created or updated between two moments' },
		],
		default: 'all',
	},
	{
		displayName: 'Updated After',
		name: 'updatedAfter',
		type: 'dateTime',
		default: '',
		required: true,
		description: 'Start of the range (included). Without a time zone, the workflow\'s time zone applies.',
		displayOptions: { show: { records: ['updated'] } },
	},
	{
		displayName: 'Updated Before',
		name: 'updatedBefore',
		type: 'dateTime',
		default: '',
		description: 'End of the range (not included); at least 5 minutes ago. Empty: 5 minutes ago.',
		displayOptions: { show: { records: ['updated'] } },
	},
];

// Ledger entries are exported by posting date (Filters.LedgerEntryFilters.Posting, dates included).
export const postingFields: INodeProperties[] = [
	{
		displayName: 'Posted From',
		name: 'postedFrom',
		type: 'dateTime',
		default: '',
		required: true,
		description: 'Ledger entries posted on or after this day (in the workflow\'s time zone)',
		displayOptions: { show: { entityType: ['LedgerEntry'] } },
	},
	{
		displayName: 'Posted To',
		name: 'postedTo',
		type: 'dateTime',
		default: '',
		required: true,
		description: 'Ledger entries posted on or before this day',
		displayOptions: { show: { entityType: ['LedgerEntry'] } },
	},
];

export const scopeOptions: INodeProperties[] = [
	{
		displayName: 'Enterprise IDs',
		name: 'enterpriseIds',
		type: 'string',
		default: '',
		placeholder: '3fa85f64-5717-4562-b3fc-2c963f66afa6, …',
		description: 'With a Portfolio Access Token: export only these properties (comma-separated, at most 1000). Empty: every property the token reaches.',
	},
	{
		displayName: 'Chain IDs',
		name: 'chainIds',
		type: 'string',
		default: '',
		description: 'With a Portfolio Access Token: export only these chains, for chain-wide records such as companies (comma-separated, at most 1000)',
	},
];

export const whenRunningOption = sharedWhenRunningOption(
	'Use it if this node started the same export, else wait until Mews takes a new one',
	'Mews runs one export per entity type at a time',
);

export const retryFailedOption = sharedRetryFailedOption('Whether to start a failed export once more before giving up (Mews gives no reason for a failure)');

export const waitOptions = sharedWaitOptions('Mews to finish the export', 'export ID', MEWS_POLL_SCHEDULE);

export function readEntityType(ctx: EngineContext, value: unknown): EntityType {
	if (isEntityType(value)) return value;
	throw new NodeOperationError(ctx.getNode(), `"Entity Type" is not one Mews exports: ${String(value)}`, {
		description: `Use one of: ${entityTypeOptions.map((option) => option.value).join(', ')}.`,
	});
}

/** Enterprise or chain ids of the Options, as exports/add takes them in Scope. */
export function readScope(ctx: EngineContext, options: IDataObject): Scope | undefined {
	const enterpriseIds = readIds(ctx, options.enterpriseIds, 'Enterprise IDs');
	const chainIds = readIds(ctx, options.chainIds, 'Chain IDs');
	if (enterpriseIds.length && chainIds.length) {
		throw new NodeOperationError(ctx.getNode(), 'Set "Enterprise IDs" or "Chain IDs", not both', {
			description: 'Mews scopes an export by enterprises or by chains; the entity type decides which applies (chains for chain-wide records such as companies).',
		});
	}
	if (enterpriseIds.length) return { EnterpriseIds: enterpriseIds };
	if (chainIds.length) return { ChainIds: chainIds };
	return undefined;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A list of Mews ids from a comma-separated text or a list (an expression); each must be a GUID. */
export function readIds(ctx: EngineContext, value: unknown, fieldName: string, max = MAX_IDS_PER_REQUEST): string[] {
	const list = (Array.isArray(value) ? value : String(value ?? '').split(/[\s,;]+/))
		.map((id) => String(id).trim())
		.filter(Boolean);
	const ids = [...new Set(list)];
	const bad = ids.find((id) => !GUID.test(id));
	if (bad) {
		throw new NodeOperationError(ctx.getNode(), `"${fieldName}" holds something that is not a Mews ID: ${bad.slice(0, 60)}`, {
			description: 'Mews IDs look like 3fa85f64-5717-4562-b3fc-2c963f66afa6; separate several with commas.',
		});
	}
	if (ids.length > max) {
		throw new NodeOperationError(ctx.getNode(), `"${fieldName}" has ${ids.length} IDs; Mews takes at most ${max}`);
	}
	return ids;
}

/**
 * The updated-time range of the node, checked against Mews's rules (the end at least 5 minutes
 * in the past); undefined for all records. A range longer than 180 days is an error when the
 * operation starts a single export (`split` false).
 */
export function readUpdatedRange(ctx: IExecuteFunctions, itemIndex: number, split: boolean): UpdatedRange | undefined {
	if (ctx.getNodeParameter('records', itemIndex) !== 'updated') return undefined;
	const range = checkRange(
		ctx,
		readDateTime(ctx, ctx.getNodeParameter('updatedAfter', itemIndex), 'Updated After'),
		readDateTime(ctx, ctx.getNodeParameter('updatedBefore', itemIndex, ''), 'Updated Before'),
	);
	if (!split && range.end.getTime() - range.start.getTime() > MAX_RANGE_DAYS * 24 * 60 * 60_000) {
		throw new NodeOperationError(ctx.getNode(), `The updated-time range is longer than the ${MAX_RANGE_DAYS} days one Mews export can cover`, {
			description: 'Shorten it, or use the operation Export (Start, Wait and Get Rows), which runs one export per 180 days, one after another.',
		});
	}
	return range;
}

/** The posting days of a ledger-entry export (YYYY-MM-DD), or undefined for other entity types. */
export function readPosting(ctx: IExecuteFunctions, itemIndex: number, entityType: EntityType): PostingRange | undefined {
	if (entityType !== 'LedgerEntry') return undefined;
	const day = (name: string, label: string) => {
		const date = readDateTime(ctx, ctx.getNodeParameter(name, itemIndex, ''), label);
		if (!date) {
			throw new NodeOperationError(ctx.getNode(), `"${label}" is empty`, {
				description: 'Mews exports ledger entries by the days they were posted: give the first and the last day.',
			});
		}
		return DateTime.fromJSDate(date, { zone: ctx.getTimezone() }).toISODate() as string;
	};
	const posting = { start: day('postedFrom', 'Posted From'), end: day('postedTo', 'Posted To') };
	if (posting.start > posting.end) {
		throw new NodeOperationError(ctx.getNode(), `"Posted From" (${posting.start}) is after "Posted To" (${posting.end})`);
	}
	return posting;
}

export function checkRange(ctx: EngineContext, start: Date | undefined, end: Date | undefined, now = Date.now()): UpdatedRange {
	if (!start) {
		throw new NodeOperationError(ctx.getNode(), '"Updated After" is empty', {
			description: 'Give the moment from which created or updated records are exported, or set Records to All.',
		});
	}
	const latestEnd = now - SETTLE_MS;
	const rangeEnd = end ?? new Date(latestEnd);
	if (rangeEnd.getTime() > latestEnd) {
		throw new NodeOperationError(ctx.getNode(), `"Updated Before" (${rangeEnd.toISOString()}) is less than 5 minutes ago`, {
			description: 'Mews exports changes only up to 5 minutes ago. Use an earlier moment, or leave the field empty for "5 minutes ago".',
		});
	}
	if (start.getTime() >= rangeEnd.getTime()) {
		throw new NodeOperationError(ctx.getNode(), `"Updated After" (${start.toISOString()}) is not before the end of the range (${rangeEnd.toISOString()})`, {
			description: end ? 'Swap the two dates, or widen the range.' : 'Without "Updated Before" the range ends 5 minutes ago.',
		});
	}
	return { start, end: rangeEnd };
}

/** The export an operation asks for; `split`: a range over 180 days runs as several exports. */
export function readExportRequest(ctx: IExecuteFunctions, itemIndex: number, options: IDataObject, split: boolean): ExportRequest {
	const entityType = readEntityType(ctx, ctx.getNodeParameter('entityType', itemIndex));
	const base = { entityType, scope: readScope(ctx, options), posting: readPosting(ctx, itemIndex, entityType) };
	const range = readUpdatedRange(ctx, itemIndex, split);
	return range ? firstExportOf(base, range) : base;
}
