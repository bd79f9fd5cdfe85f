import type { IDataObject, IExecuteFunctions, INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { retryFailedOption as sharedRetryFailedOption, showFor, waitOptions as sharedWaitOptions } from '../../../shared/description';
import type { OutputSpec, RunOptions } from '../../../shared/exportJob';
import type { EngineContext } from '../../../shared/types';
import { NAME_MAX_LENGTH, REBILLY_POLL_SCHEDULE, type ExportRequest } from '../../helpers/exportJob';
import { FORMAT_LABELS, isResource, RESOURCES, resourceOptions, ROW_FORMATS, type Format, type Resource } from '../../helpers/resources';

export { batchFieldsOption, maxFileSizeOption, maxRowsOption, startAtRowOption, optionsCollection, outputFields, readOutput } from '../../../shared/description';

/** Shows fields only for the given data-export operations. */
export function forOperations(operations: string[], fields: INodeProperties[]): INodeProperties[] {
	return showFor('dataExport', operations, fields);
}

export const resourceField: INodeProperties = {
	displayName: 'Records',
	name: 'dataResource',
	type: 'options',
	options: resourceOptions,
	default: 'transactions',
	description: 'What the data export contains',
};

/** One Format field per group of resources: each resource allows its own formats. */
export const formatFields: INodeProperties[] = groupsByFormats().map(({ resources, formats }) => ({
	displayName: 'Format',
	name: 'format',
	type: 'options',
	options: formats.map((format): INodePropertyOptions => ({ value: format, ...FORMAT_LABELS[format] })),
	default: 'csv',
	displayOptions: { show: { dataResource: resources } },
}));

function groupsByFormats(): Array<{ resources: Resource[]; formats: Format[] }> {
	const groups = new Map<string, { resources: Resource[]; formats: Format[] }>();
	for (const [resource, { formats }] of Object.entries(RESOURCES) as Array<[Resource, { formats: Format[] }]>) {
		const key = formats.join(',');
		const group = groups.get(key) ?? { resources: [], formats };
		group.resources.push(resource);
		groups.set(key, group);
	}
	return [...groups.values()];
}

export const nameField: INodeProperties = {
	displayName: 'Export Name',
	name: 'exportName',
	type: 'string',
	default: '',
	placeholder: 'Transactions of last month',
	description: `How the export is named in Rebilly (at most ${NAME_MAX_LENGTH} characters); empty: "n8n <records> <date>"`,
};

export const dateRangeFields: INodeProperties[] = [
	{
		displayName: 'Date Range',
		name: 'withDateRange',
		type: 'options',
		options: [
			{ name: 'All Time', value: 'all', description: 'Every record (Rebilly advises a date range for large accounts)' },
			{ name: 'From … To …', value: 'range', description: 'Records whose date field lies in a range' },
		],
		default: 'range',
	},
	{
		displayName: 'From',
		name: 'rangeStart',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'first day of last month midnight',
		description: 'An ISO date-time (2026-11-01T00:00:00Z) or a relative form Rebilly reads: yesterday, -7 days, first day of last month midnight',
		displayOptions: { show: { withDateRange: ['range'] } },
	},
	{
		displayName: 'To',
		name: 'rangeEnd',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'first day of this month midnight',
		description: 'An ISO date-time or a relative form, as From',
		displayOptions: { show: { withDateRange: ['range'] } },
	},
	{
		displayName: 'Date Field',
		name: 'rangeField',
		type: 'options',
		options: [
			{ name: 'Default for the Records', value: '', description: 'Processed time for transactions, issued time for invoices and invoice items, created time otherwise' },
			{ name: 'Created Time', value: 'createdTime' },
			{ name: 'Updated Time', value: 'updatedTime' },
			{ name: 'Processed Time (Transactions)', value: 'processedTime' },
			{ name: 'Issued Time (Invoices, Invoice Items)', value: 'issuedTime' },
		],
		default: '',
		description: 'Which date of the records the range applies to',
		displayOptions: { show: { withDateRange: ['range'] } },
	},
];

export const exportContentOptions: INodeProperties[] = [
	{
		displayName: 'Fields to Include',
		name: 'fields',
		type: 'string',
		default: '',
		placeholder: 'id, email, averageValue/amount',
		description: 'The record fields to export, comma-separated (nested fields with /); empty: Rebilly\'s default columns',
	},
	{
		displayName: 'Filter',
		name: 'filter',
		type: 'string',
		default: '',
		placeholder: 'status:completed;currency:EUR,USD',
		description: 'Rebilly\'s filter syntax: field:value, several values with a comma (or), several fields with a semicolon (and)',
	},
	{
		displayName: 'Sort',
		name: 'sort',
		type: 'string',
		default: '',
		placeholder: '-createdTime',
		description: 'A field to sort by; a leading - sorts descending',
	},
	{
		displayName: 'Search',
		name: 'q',
		type: 'string',
		default: '',
		description: 'Rebilly\'s full-text search (q)',
	},
	{
		displayName: 'Email Notification',
		name: 'emailNotification',
		type: 'string',
		default: '',
		placeholder: 'finance@example.com',
		description: 'Addresses Rebilly emails when the export is ready, comma-separated',
	},
];

export const splitOption: INodeProperties = {
	displayName: 'Split When Too Large',
	name: 'splitTooLarge',
	type: 'boolean',
	default: true,
	description: 'Whether to halve the date range and run the parts one after another when Rebilly says the export matches too many records (rows come in order, each part once)',
};

export const retryFailedOption = sharedRetryFailedOption('Whether to start the export once more when Rebilly gives up on it (failure reason max-retries-reached)');

export const recurringOptions: INodeProperties[] = [
	{
		displayName: 'Repeat (RRULE)',
		name: 'recurringInstruction',
		type: 'string',
		default: '',
		placeholder: 'FREQ=MONTHLY;BYMONTHDAY=1',
		description: 'Makes the export recurring: an RFC 5545 recurrence rule; Rebilly runs it on that schedule (read the results with the Rebilly Trigger, Completed Exports)',
	},
	{
		displayName: 'Repeat From',
		name: 'recurringStart',
		type: 'dateTime',
		default: '',
		description: 'When the recurrence starts; empty: now',
	},
];

export const waitOptions = sharedWaitOptions('Rebilly to finish the export', 'data export ID', REBILLY_POLL_SCHEDULE);

export function readResource(ctx: EngineContext, value: unknown): Resource {
	if (isResource(value)) return value;
	throw new NodeOperationError(ctx.getNode(), `"Records" is not something Rebilly exports: ${String(value)}`, {
		description: `Use one of: ${Object.keys(RESOURCES).join(', ')}.`,
	});
}

function readFormat(ctx: EngineContext, resource: Resource, value: unknown): Format {
	const allowed = RESOURCES[resource].formats;
	if (allowed.includes(value as Format)) return value as Format;
	throw new NodeOperationError(ctx.getNode(), `"Format" ${String(value)} is not one Rebilly exports ${RESOURCES[resource].label} in`, {
		description: `${RESOURCES[resource].label} can be exported as: ${allowed.join(', ')}.`,
	});
}

function list(value: unknown): string[] {
	return (Array.isArray(value) ? value : String(value ?? '').split(','))
		.map((entry) => String(entry).trim())
		.filter(Boolean);
}

/** The data export an operation asks for, checked before it goes to Rebilly; `name` as the user gave it. */
export function readExportRequest(ctx: IExecuteFunctions, itemIndex: number, options: IDataObject, name: unknown): ExportRequest {
	const resource = readResource(ctx, ctx.getNodeParameter('dataResource', itemIndex));
	const format = readFormat(ctx, resource, ctx.getNodeParameter('format', itemIndex, 'csv'));
	const request: ExportRequest = { name: readName(ctx, itemIndex, resource, name), resource, format };
	const fields = list(options.fields);
	if (fields.length) request.fields = fields;
	const args: IDataObject = {};
	for (const key of ['filter', 'sort', 'q']) if (typeof options[key] === 'string' && options[key]) args[key] = options[key];
	if (Object.keys(args).length) request.arguments = args;
	const emails = list(options.emailNotification);
	if (emails.length) request.emailNotification = emails;
	if (ctx.getNodeParameter('withDateRange', itemIndex, 'all') === 'range') {
		const start = String(ctx.getNodeParameter('rangeStart', itemIndex, '')).trim();
		const end = String(ctx.getNodeParameter('rangeEnd', itemIndex, '')).trim();
		if (!start || !end) {
			throw new NodeOperationError(ctx.getNode(), `"${start ? 'To' : 'From'}" is empty`, {
				description: 'Rebilly needs both ends of a date range: an ISO date-time or a relative form such as "yesterday" or "-7 days". Or choose All Time.',
				itemIndex,
			});
		}
		const field = String(ctx.getNodeParameter('rangeField', itemIndex, '') || RESOURCES[resource].dateField);
		request.dateRange = { start, end, field };
		request.splitTooLarge = options.splitTooLarge !== false;
	}
	return request;
}

function readName(ctx: IExecuteFunctions, itemIndex: number, resource: Resource, value: unknown): string {
	const name = String(value ?? '').trim() || `n8n ${RESOURCES[resource].label.toLowerCase()} ${new Date().toISOString().slice(0, 10)}`;
	if (name.length > NAME_MAX_LENGTH) {
		throw new NodeOperationError(ctx.getNode(), `"Export Name" has ${name.length} characters; Rebilly takes at most ${NAME_MAX_LENGTH}`, { itemIndex });
	}
	return name;
}

/** XML and PDF exports are files: the node does not split them into rows. */
export function checkOutputFits(ctx: IExecuteFunctions, itemIndex: number, format: string, mode: OutputSpec['mode']): void {
	if (mode !== 'file' && !ROW_FORMATS.includes(format as Format)) {
		throw new NodeOperationError(ctx.getNode(), `${FORMAT_LABELS[format as Format]?.name ?? format} exports come as a file, not as rows`, {
			description: 'Set "Output" to "File", or choose CSV or JSON.',
			itemIndex,
		});
	}
}

export function readRunOptions(options: IDataObject): RunOptions {
	// Rebilly runs exports side by side: there is no slot to wait for.
	return { whenBusy: 'fail', retryFailedOnce: options.retryFailed === true };
}
