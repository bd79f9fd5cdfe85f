import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { DEFAULT_POLL_SCHEDULE } from '../../../shared/job';
import {
	batchFieldsOption,
	maxFileSizeOption,
	maxRowsOption,
	outputFields as sharedOutputFields,
	showFor,
	waitOptions as sharedWaitOptions,
} from '../../../shared/description';

export { optionsCollection, readOutput, showFor, startAtRowOption } from '../../../shared/description';
import { parseFrom, parseRecordTypes, type ExportRequest } from '../../helpers/exportJob';
import { exportTypeOptions } from '../../helpers/recordTypes';

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

export const outputFields = sharedOutputFields("Each exported record becomes an item; columns are named by the file's header row");

export const downloadOptions: INodeProperties[] = [
	maxRowsOption,
	batchFieldsOption,
	{
		displayName: 'Remove Spreadsheet Guard',
		name: 'removeInjectionGuard',
		type: 'boolean',
		default: true,
		description: 'Whether to remove the tab 4me puts before values that start with =, +, - or @ (a guard against formulas running in spreadsheets)',
		displayOptions: { show: { '/output': ['rows'] } },
	},
	maxFileSizeOption,
];

export const waitOptions = sharedWaitOptions('4me to finish the export', 'export token', DEFAULT_POLL_SCHEDULE);

export function readExportRequest(ctx: IExecuteFunctions, itemIndex: number): ExportRequest {
	const types = parseRecordTypes(ctx, ctx.getNodeParameter('recordTypes', itemIndex));
	const kind = ctx.getNodeParameter('exportKind', itemIndex) as string;
	const options = ctx.getNodeParameter('options', itemIndex, {}) as IDataObject;
	return {
		types,
		from: kind === 'partial' ? parseFrom(ctx, ctx.getNodeParameter('from', itemIndex)).toISOString() : undefined,
		format: options.fileFormat === 'xlsx' ? 'xlsx' : 'csv',
		locale: (options.locale as string | undefined) || undefined,
	};
}
