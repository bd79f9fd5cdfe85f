import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { DEFAULT_POLL_SCHEDULE, type PollSchedule } from '../../../shared/job';
import type { DownloadOptions } from '../../../shared/download';
import type { ParseOptions } from '../../../shared/parse';
import { parseFrom, parseRecordTypes, type ExportRequest } from '../../helpers/exportJob';
import { EXPORT_TYPES, exportTypeOptions, recordTypeOfEntry } from '../../helpers/recordTypes';

/** Shows fields only for the given operations of a resource. */
export function showFor(resource: string, operations: string[], fields: INodeProperties[]): INodeProperties[] {
	return fields.map((field) => ({
		...field,
		displayOptions: {
			...field.displayOptions,
			show: { ...field.displayOptions?.show, resource: [resource], operation: operations },
		},
	}));
}

/** Shows fields only for the given export operations. */
export function forOperations(operations: string[], fields: INodeProperties[]): INodeProperties[] {
	return showFor('export', operations, fields);
}

export const recordTypesField: INodeProperties = {
	displayName: 'Record Types',
	name: 'recordTypes',
	type: 'multiOptions',
	options: exportTypeOptions,
	default: [],
	required: true,
	description:
		'The 4me records to export. Several types come as a zip; every row then says its type in the field _recordType. In an expression, give a list or a comma-separated text such as people,teams.',
};

export const exportRequestFields: INodeProperties[] = [
	recordTypesField,
	{
		displayName: 'Records',
		name: 'exportKind',
		type: 'options',
		options: [
			{
				name: 'All Records (Full Export)',
				value: 'full',
				description: 'A type with more than 10,000 records can be fully exported only once per day',
			},
			{
				name: 'Created or Updated Since (Partial Export)',
				value: 'partial',
				description: 'Only records created or updated after a moment, at most 2 months back',
			},
		],
		default: 'full',
	},
	{
		displayName: 'Created or Updated Since',
		name: 'from',
		type: 'dateTime',
		default: '',
		required: true,
		description: 'Export records created or updated after this moment; at most 2 months back. Without a time zone, the workflow\'s time zone applies.',
		hint: 'If nothing changed since then, the node outputs no items',
		displayOptions: { show: { exportKind: ['partial'] } },
	},
];

export const formatOption: INodeProperties = {
	displayName: 'File Format',
	name: 'fileFormat',
	type: 'options',
	options: [
		{ name: 'CSV', value: 'csv' },
		{ name: 'Excel (XLSX)', value: 'xlsx', description: 'Returned as a file only (Output: File)' },
	],
	default: 'csv',
};

export const localeOption: INodeProperties = {
	displayName: 'Locale',
	name: 'locale',
	type: 'string',
	default: '',
	placeholder: 'nl',
	description: 'Language of the export of the record type Translations, e.g. nl or de',
};

export const outputFields: INodeProperties[] = [
	{
		displayName: 'Output',
		name: 'output',
		type: 'options',
		options: [
			{ name: 'One Item per Row', value: 'rows', description: 'Each exported record becomes an item; columns are named by the file\'s header row' },
			{ name: 'File', value: 'file', description: 'The export file as binary data, for very large exports or to store the file as it is' },
		],
		default: 'rows',
	},
	{
		displayName: 'Put Output File in Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		hint: 'The name of the output binary field to put the file in',
		displayOptions: { show: { output: ['file'] } },
	},
];

export const downloadOptions: INodeProperties[] = [
	{
		displayName: 'Max Rows',
		name: 'rowLimit',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		description: 'Stop after this many rows; 0 outputs all rows',
		displayOptions: { show: { '/output': ['rows'] } },
	},
	{
		displayName: 'Remove Spreadsheet Guard',
		name: 'removeInjectionGuard',
		type: 'boolean',
		default: true,
		description: 'Whether to remove the tab 4me puts before values that start with =, +, - or @ (a guard against formulas running in spreadsheets)',
		displayOptions: { show: { '/output': ['rows'] } },
	},
	{
		displayName: 'Max File Size (MB)',
		name: 'maxFileSizeMb',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		description: 'Fail instead of downloading a larger file; 0 means no limit',
	},
];

export const waitOptions: INodeProperties[] = [
	{
		displayName: 'Timeout (Minutes)',
		name: 'timeoutMinutes',
		type: 'number',
		typeOptions: { minValue: 0.1 },
		default: 60, // DEFAULT_POLL_SCHEDULE.timeoutMs
		description: 'How long to wait for 4me to finish the export. The error then gives the export token to fetch it later.',
	},
	{
		displayName: 'First Status Check After (Seconds)',
		name: 'firstPollSeconds',
		type: 'number',
		typeOptions: { minValue: 0.01 },
		default: 2, // DEFAULT_POLL_SCHEDULE.firstIntervalMs
		description: 'The wait before the second status check; later waits grow up to the maximum below',
	},
	{
		displayName: 'Max Wait Between Status Checks (Seconds)',
		name: 'maxPollSeconds',
		type: 'number',
		typeOptions: { minValue: 0.01 },
		default: 30, // DEFAULT_POLL_SCHEDULE.maxIntervalMs
	},
];

export function readExportRequest(ctx: IExecuteFunctions, itemIndex: number): ExportRequest {
	const types = parseRecordTypes(ctx, ctx.getNodeParameter('recordTypes', itemIndex));
	const kind = ctx.getNodeParameter('exportKind', itemIndex) as string;
	const options = ctx.getNodeParameter('options', itemIndex, {}) as IDataObject;
	return {
		types,
		from: kind === 'partial' ? parseFrom(ctx, ctx.getNodeParameter('from', itemIndex)) : undefined,
		format: options.fileFormat === 'xlsx' ? 'xlsx' : 'csv',
		locale: (options.locale as string | undefined) || undefined,
	};
}

export function readSchedule(options: IDataObject): PollSchedule {
	const seconds = (value: unknown, fallbackMs: number) =>
		typeof value === 'number' && value > 0 ? value * 1000 : fallbackMs;
	return {
		timeoutMs: typeof options.timeoutMinutes === 'number' && options.timeoutMinutes > 0 ? options.timeoutMinutes * 60_000 : DEFAULT_POLL_SCHEDULE.timeoutMs,
		firstIntervalMs: seconds(options.firstPollSeconds, DEFAULT_POLL_SCHEDULE.firstIntervalMs),
		maxIntervalMs: seconds(options.maxPollSeconds, DEFAULT_POLL_SCHEDULE.maxIntervalMs),
	};
}

export function readDownloadOptions(options: IDataObject, errorContext: string): DownloadOptions {
	const maxMb = typeof options.maxFileSizeMb === 'number' && options.maxFileSizeMb > 0 ? options.maxFileSizeMb : undefined;
	return { maxBytes: maxMb ? Math.round(maxMb * 1024 * 1024) : undefined, errorContext };
}

/** The Options collection of an operation, its entries in alphabetical order as n8n lists them. */
export function optionsCollection(options: INodeProperties[]): INodeProperties {
	return {
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [...options].sort((a, b) => a.displayName.localeCompare(b.displayName)),
	};
}

/** `types`: the types requested, when known; a zip's entries are matched against them (else all types). */
export function readParseOptions(options: IDataObject, types: string[] = EXPORT_TYPES): ParseOptions {
	return {
		csv: { stripInjectionGuard: options.removeInjectionGuard !== false, delimiter: ',' },
		recordTypeOfEntry: (name) => recordTypeOfEntry(name, types),
	};
}
