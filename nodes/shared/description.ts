import type { IDataObject, IExecuteFunctions, INodeParameterResourceLocator, INodeProperties, IPollFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { BatchSpec } from './batches';

import type { DownloadOptions } from './download';
import { DEFAULT_NETWORK_TIMEOUT_MS, setNetworkTimeout } from './http';
import type { EngineContext } from './types';
import type { OutputSpec, RunOptions } from './exportJob';
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

/**
 * "If an Export Is Already Running", for a provider that runs one job per slot: `waitMeans` says
 * what waiting does there, `rule` the provider's rule.
 */
export function whenRunningOption(waitMeans: string, rule: string): INodeProperties {
	return {
		displayName: 'If an Export Is Already Running',
		name: 'whenRunning',
		type: 'options',
		options: [
			{ name: 'Wait for It', value: 'wait', description: waitMeans },
			{ name: 'Fail', value: 'fail', description: 'Stop with an error naming the running export' },
		],
		default: 'wait',
		description: rule,
	};
}

/** "Retry a Failed Export": `description` says which failures the provider has. */
export function retryFailedOption(description: string): INodeProperties {
	return { displayName: 'Retry a Failed Export', name: 'retryFailed', type: 'boolean', default: false, description };
}

/** The run options of the two options above. */
export function readRunOptions(options: IDataObject): RunOptions {
	return { whenBusy: options.whenRunning === 'fail' ? 'fail' : 'wait', retryFailedOnce: options.retryFailed === true };
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

/** Output: one item per row, the rows in batches to a sub-workflow, or the export file(s) as binary data. */
export function outputFields(rowsDescription: string): INodeProperties[] {
	return [
		{
			displayName: 'Output',
			name: 'output',
			type: 'options',
			options: [
				{ name: 'One Item per Row', value: 'rows', description: rowsDescription },
				{
					name: 'Rows in Batches to a Sub-Workflow',
					value: 'batches',
					description: 'For exports of any size: another workflow gets the rows a batch at a time, and this node outputs a summary',
				},
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
		{
			displayName:
				'Each batch runs the sub-workflow once, and the next rows are read when it has finished, so memory stays bounded however large the export. The sub-workflow starts with "When Executed by Another Workflow" (Accept All Data), must be published, should end with a small output, and must not wait. n8n stores each of its executions with its rows until it prunes them.',
			name: 'batchesNotice',
			type: 'notice',
			default: '',
			displayOptions: { show: { output: ['batches'] } },
		},
		{
			displayName: 'Sub-Workflow',
			name: 'workflowId',
			type: 'workflowSelector',
			default: '',
			required: true,
			hint: 'From the list, by ID, or paste the workflow\'s URL into By ID',
			displayOptions: { show: { output: ['batches'] } },
		},
		{
			displayName: 'Batch Size',
			name: 'batchSize',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: DEFAULT_BATCH_SIZE,
			description: 'How many rows each run of the sub-workflow gets. Each run costs n8n about 30–40 ms whatever its size; its rows are in memory while it runs.',
			displayOptions: { show: { output: ['batches'] } },
		},
	];
}

const DEFAULT_BATCH_SIZE = 5000;

export const maxRowsOption: INodeProperties = {
	displayName: 'Max Rows',
	name: 'rowLimit',
	type: 'number',
	typeOptions: { minValue: 0 },
	default: 0,
	description: 'Stop after this many rows; 0 outputs all rows',
	displayOptions: { show: { '/output': ['rows', 'batches'] } },
};

/** For operations that read a job already made: its rows are the same each time they are read. */
export const startAtRowOption: INodeProperties = {
	displayName: 'Start at Row',
	name: 'startAtRow',
	type: 'number',
	typeOptions: { minValue: 1 },
	default: 1,
	description: 'Skips the rows before this one (1 is the first row). After a failed batch, the error names the row to start at, so the rows already handed on are not sent again.',
	displayOptions: { show: { '/output': ['rows', 'batches'] } },
};

export const batchFieldsOption: INodeProperties = {
	displayName: 'Add Batch Number and Job ID',
	name: 'addBatchFields',
	type: 'boolean',
	default: false,
	description: 'Whether every row the sub-workflow gets carries _batch (1, 2, …) and _jobId',
	displayOptions: { show: { '/output': ['batches'] } },
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
		networkTimeoutOption,
	];
}

export const networkTimeoutOption: INodeProperties = {
	displayName: 'Network Timeout (Seconds)',
	name: 'networkTimeoutSeconds',
	type: 'number',
	typeOptions: { minValue: 0.1 },
	default: DEFAULT_NETWORK_TIMEOUT_MS / 1000,
	description: 'How long a request or a download may stay silent before it is tried again; a host that stays silent fails the node with a clear message',
};

/** Applies the options every operation and trigger shares to the engine (the network timeout). */
export function applyEngineOptions(ctx: EngineContext, options: IDataObject): void {
	const seconds = options.networkTimeoutSeconds;
	setNetworkTimeout(ctx, typeof seconds === 'number' && seconds > 0 ? seconds * 1000 : DEFAULT_NETWORK_TIMEOUT_MS);
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

/** The download limits of the options (the runner adds the job's resume hint to its errors). */
export function readDownloadOptions(options: IDataObject): Omit<DownloadOptions, 'errorContext'> {
	const maxMb = typeof options.maxFileSizeMb === 'number' && options.maxFileSizeMb > 0 ? options.maxFileSizeMb : undefined;
	return { maxBytes: maxMb ? Math.round(maxMb * 1024 * 1024) : undefined };
}

/** What the Output parameter and the limits of the options ask of an operation's item. */
export function readOutput(ctx: IExecuteFunctions, itemIndex: number, options: IDataObject): OutputSpec {
	const chosen = ctx.getNodeParameter('output', itemIndex, 'rows');
	const mode = chosen === 'file' || chosen === 'batches' ? chosen : 'rows';
	const startAtRow = typeof options.startAtRow === 'number' && options.startAtRow > 1 ? Math.floor(options.startAtRow) : 1;
	return {
		mode,
		binaryPropertyName: mode === 'file' ? (ctx.getNodeParameter('binaryPropertyName', itemIndex) as string) : 'data',
		rowLimit: typeof options.rowLimit === 'number' && options.rowLimit > 0 ? options.rowLimit : 0,
		skipRows: startAtRow - 1,
		batches: mode === 'batches' ? readBatchSpec(ctx, itemIndex, options) : undefined,
		download: readDownloadOptions(options),
		pairedItem: { item: itemIndex },
	};
}

function readBatchSpec(ctx: IExecuteFunctions, itemIndex: number, options: IDataObject): BatchSpec {
	const size = ctx.getNodeParameter('batchSize', itemIndex, DEFAULT_BATCH_SIZE);
	if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) {
		throw new NodeOperationError(ctx.getNode(), `"Batch Size" must be a whole number of rows, 1 or more (it is ${JSON.stringify(size)})`, { itemIndex });
	}
	return { workflow: { id: readWorkflowId(ctx, itemIndex) }, size, addBatchFields: options.addBatchFields === true };
}

/** The sub-workflow's ID: from the list, by ID, or an ID given as the workflow's URL. */
function readWorkflowId(ctx: IExecuteFunctions, itemIndex: number): string {
	const chosen = ctx.getNodeParameter('workflowId', itemIndex, '') as INodeParameterResourceLocator | string;
	const value = String((typeof chosen === 'object' && chosen !== null ? chosen.value : chosen) ?? '').trim();
	const id = /\/workflows?\/([A-Za-z0-9_-]+)/.exec(value)?.[1] ?? value;
	if (!/^[A-Za-z0-9_-]+$/.test(id)) {
		throw new NodeOperationError(ctx.getNode(), value ? `"Sub-Workflow" is not a workflow ID or URL: "${value.slice(0, 100)}"` : '"Sub-Workflow" is empty: choose the workflow that gets the batches', {
			description: 'Pick it from the list, give its ID, or paste its URL (…/workflow/<ID>) into By ID.',
			itemIndex,
		});
	}
	return id;
}

// ---------------------------------------------------------------------------------------------
// Trigger parameters

/** "On First Activation" and its date; `texts` says what "since" and (where offered) "full" mean. */
export function firstActivationFields(texts: { since: string; sinceField: string; full?: string }): INodeProperties[] {
	return [
		{
			displayName: 'On First Activation',
			name: 'startWith',
			type: 'options',
			options: [
				{ name: 'Only Changes From Now On', value: 'now', description: 'The first poll emits nothing and remembers the time' },
				{ name: 'Everything Updated Since a Date', value: 'since', description: texts.since },
				...(texts.full ? [{ name: 'A Full Export First', value: 'full', description: texts.full }] : []),
			],
			default: 'now',
		},
		{
			displayName: 'Updated Since',
			name: 'since',
			type: 'dateTime',
			default: '',
			required: true,
			description: texts.sinceField,
			displayOptions: { show: { startWith: ['since'] } },
		},
	];
}

export type FirstActivation = 'now' | 'since' | 'full';

export function readFirstActivation(ctx: IPollFunctions): FirstActivation {
	const value = ctx.getNodeParameter('startWith', 'now');
	return value === 'since' || value === 'full' ? value : 'now';
}

const DEFAULT_SAMPLE_SIZE = 10;

/** "Test Event Rows": `what` completes "How many … "Fetch Test Event" shows". */
export function testEventRowsOption(what: string): INodeProperties {
	return {
		displayName: 'Test Event Rows',
		name: 'sampleSize',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: DEFAULT_SAMPLE_SIZE,
		description: `How many ${what} "Fetch Test Event" shows`,
	};
}

export function readSampleSize(options: IDataObject): number {
	return typeof options.sampleSize === 'number' && options.sampleSize > 0 ? options.sampleSize : DEFAULT_SAMPLE_SIZE;
}

// A poll leaves this much of n8n's poll budget for downloading and emitting (at most half of it:
// the durable scheduler gives a poll 36 s by default).
export const POLL_BUDGET_RESERVE_MS = 60_000;

/** The time n8n gives one poll (its durable scheduler says; else none is set), and what a poll keeps of it for downloads and emitting. */
export function pollBudget(ctx: IPollFunctions): { budgetMs?: number; reserveMs: number } {
	const budgetMs = typeof ctx.getPollBudgetMs === 'function' ? ctx.getPollBudgetMs() : undefined;
	return { budgetMs, reserveMs: budgetMs === undefined ? POLL_BUDGET_RESERVE_MS : Math.min(POLL_BUDGET_RESERVE_MS, budgetMs / 2) };
}
const DEFAULT_MAX_WAIT_MINUTES = 4;

export function maxWaitPerPollOption(provider: string): INodeProperties {
	return {
		displayName: 'Max Wait per Poll (Minutes)',
		name: 'maxWaitMinutes',
		type: 'number',
		typeOptions: { minValue: 0.01 },
		default: DEFAULT_MAX_WAIT_MINUTES,
		description: `How long one poll waits for ${provider} to finish the export; a longer export is picked up again by the next poll, never started twice`,
	};
}

export const DEFAULT_MAX_ROWS_PER_POLL = 50_000;

export const maxRowsPerPollOption: INodeProperties = {
	displayName: 'Max Rows per Poll',
	name: 'maxRowsPerPoll',
	type: 'number',
	typeOptions: { minValue: 0 },
	default: DEFAULT_MAX_ROWS_PER_POLL,
	description:
		'The most rows one poll emits. A larger export goes on in the next polls from where the last one stopped (never started twice, nothing emitted twice); the trigger moves on once all its rows are out. 0 emits all rows at once.',
};

/** The user's wait per poll, within n8n's budget for a poll (minus time to download and emit). */
export function maxWaitPerPollMs(ctx: IPollFunctions, options: IDataObject): number {
	const chosen =
		typeof options.maxWaitMinutes === 'number' && options.maxWaitMinutes > 0
			? options.maxWaitMinutes * 60_000
			: DEFAULT_MAX_WAIT_MINUTES * 60_000;
	const { budgetMs, reserveMs } = pollBudget(ctx);
	return Math.max(1, Math.min(chosen, budgetMs === undefined ? chosen : budgetMs - reserveMs));
}
