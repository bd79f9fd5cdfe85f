import type { IDataObject, INodeProperties } from 'n8n-workflow';

import type { DownloadOptions } from './download';
import type { PollSchedule } from './job';

// Node parameters every export node has in the same shape: output mode, row and size limits,
// the wait for the job, and the Options collection they live in.

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

/** Output: one item per row, or the export file(s) as binary data. */
export function outputFields(rowsDescription: string): INodeProperties[] {
	return [
		{
			displayName: 'Output',
			name: 'output',
			type: 'options',
			options: [
				{ name: 'One Item per Row', value: 'rows', description: rowsDescription },
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
}

export const maxRowsOption: INodeProperties = {
	displayName: 'Max Rows',
	name: 'rowLimit',
	type: 'number',
	typeOptions: { minValue: 0 },
	default: 0,
	description: 'Stop after this many rows; 0 outputs all rows',
	displayOptions: { show: { '/output': ['rows'] } },
};

export const maxFileSizeOption: INodeProperties = {
	displayName: 'Max File Size (MB)',
	name: 'maxFileSizeMb',
	type: 'number',
	typeOptions: { minValue: 0 },
	default: 0,
	description: 'Fail instead of downloading a larger file; 0 means no limit',
};

/** How long to wait for a job, and how often to ask. `waitFor` completes "How long to wait for …". */
export function waitOptions(waitFor: string, resumeWith: string, schedule: PollSchedule): INodeProperties[] {
	return [
		{
			displayName: 'Timeout (Minutes)',
			name: 'timeoutMinutes',
			type: 'number',
			typeOptions: { minValue: 0.1 },
			default: schedule.timeoutMs / 60_000,
			description: `How long to wait for ${waitFor}. The error then gives the ${resumeWith} to fetch it later.`,
		},
		{
			displayName: 'First Status Check After (Seconds)',
			name: 'firstPollSeconds',
			type: 'number',
			typeOptions: { minValue: 0.01 },
			default: schedule.firstIntervalMs / 1000,
			description: 'The wait before the second status check; later waits grow up to the maximum below',
		},
		{
			displayName: 'Max Wait Between Status Checks (Seconds)',
			name: 'maxPollSeconds',
			type: 'number',
			typeOptions: { minValue: 0.01 },
			default: schedule.maxIntervalMs / 1000,
		},
	];
}

/** The poll schedule of the wait options, each unset value from `defaults`. */
export function readSchedule(options: IDataObject, defaults: PollSchedule): PollSchedule {
	const positive = (value: unknown, unitMs: number, fallbackMs: number) =>
		typeof value === 'number' && value > 0 ? value * unitMs : fallbackMs;
	return {
		timeoutMs: positive(options.timeoutMinutes, 60_000, defaults.timeoutMs),
		firstIntervalMs: positive(options.firstPollSeconds, 1000, defaults.firstIntervalMs),
		maxIntervalMs: positive(options.maxPollSeconds, 1000, defaults.maxIntervalMs),
	};
}

export function readDownloadOptions(options: IDataObject, errorContext: string): DownloadOptions {
	const maxMb = typeof options.maxFileSizeMb === 'number' && options.maxFileSizeMb > 0 ? options.maxFileSizeMb : undefined;
	return { maxBytes: maxMb ? Math.round(maxMb * 1024 * 1024) : undefined, errorContext };
}
