import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties, IPairedItemData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { asNodeError } from '../../../shared/errors';
import { errorItem } from '../../../shared/router';

import { DEFAULT_POLL_SCHEDULE, waitForJob } from '../../../shared/job';
import { showFor, waitOptions } from '../../../shared/description';
import { readSchedule } from '../../helpers/exportJob';
import { csvFromItems, getImportStatus, importResumeHint, readImportLog, startImport, validateImportFile } from '../../helpers/importJob';
import { importTypeOptions } from '../../helpers/recordTypes';

/** Shows fields only for the given import operations. */
export function forImportOperations(operations: string[], fields: INodeProperties[]): INodeProperties[] {
	return showFor('import', operations, fields);
}

export const importFileFields: INodeProperties[] = [
	{
		displayName: 'Record Type',
		name: 'importType',
		type: 'options',
		options: importTypeOptions,
		default: 'people',
		description: 'What the file creates or updates. Order matters between types: import people before teams, and CIs before CI relations.',
	},
	{
		displayName: 'Input Data',
		name: 'inputData',
		type: 'options',
		options: [
			{ name: 'CSV File in a Binary Field', value: 'binary', description: 'One import per input item, of the CSV or TSV file it carries' },
			{ name: 'Build From Input Items', value: 'items', description: 'One import of all input items: each item is a row, its fields are the columns' },
		],
		default: 'binary',
	},
	{
		displayName: 'Input Binary Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		hint: 'The name of the input binary field holding the CSV file',
		displayOptions: { show: { inputData: ['binary'] } },
	},
	{
		displayName:
			'Each item becomes a row. Name the fields as 4me\'s import columns: ID (empty for new records), Name, Primary Email, Source, Source ID, and "Organization" values like "Widget Data Center @widget" for records in another account.',
		name: 'itemsNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { inputData: ['items'] } },
	},
];

export const importWaitOptions = waitOptions('4me to finish the import', 'import token', DEFAULT_POLL_SCHEDULE);

export interface ImportFile {
	data: Buffer;
	fileName: string;
	label: string;
	pairedItem: IPairedItemData | IPairedItemData[];
}

/** The files to import: one per item's binary field, or one built from all items. */
export async function readImportFiles(ctx: IExecuteFunctions): Promise<ImportFile[]> {
	const items = ctx.getInputData();
	const type = ctx.getNodeParameter('importType', 0) as string;
	if (ctx.getNodeParameter('inputData', 0) === 'items') {
		const rows = items.map((item) => item.json);
		if (!rows.some((row) => Object.keys(row).length)) {
			throw new NodeOperationError(ctx.getNode(), 'The input items have no fields to import');
		}
		return [{ data: csvFromItems(rows), fileName: `${type}.csv`, label: 'The file built from the input items', pairedItem: items.map((_, item) => ({ item })) }];
	}
	const files: ImportFile[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		const property = ctx.getNodeParameter('binaryPropertyName', itemIndex) as string;
		const binary = ctx.helpers.assertBinaryData(itemIndex, property);
		const data = await ctx.helpers.getBinaryDataBuffer(itemIndex, property);
		const fileName = binary.fileName ?? `${type}.csv`;
		files.push({ data, fileName, label: `The file "${fileName}" (item ${itemIndex + 1})`, pairedItem: { item: itemIndex } });
	}
	return files;
}

/**
 * Runs one import per file, one after another (the order of types matters to 4me). Each file
 * gets its own output item; with Continue On Fail a failing file gets an error item and the
 * others go on. Without it, every file is checked before the first upload, and an upload that
 * fails says which files 4me has already imported: their results are not lost from sight.
 */
export async function forEachImport(
	ctx: IExecuteFunctions,
	handle: (token: string, file: ImportFile) => Promise<IDataObject>,
): Promise<INodeExecutionData[]> {
	const files = await readImportFiles(ctx);
	const continueOnFail = ctx.continueOnFail();
	if (!continueOnFail) for (const file of files) validateImportFile(ctx, file.data, file.label);
	const type = ctx.getNodeParameter('importType', 0) as string;
	const output: INodeExecutionData[] = [];
	const imported: string[] = [];
	for (const file of files) {
		try {
			validateImportFile(ctx, file.data, file.label);
			const token = await startImport(ctx, type, file.data, file.fileName);
			ctx.logger.info(`4me import started: ${token} (${file.label})`);
			imported.push(`${file.label}: ${token}`);
			output.push({ json: await handle(token, file), pairedItem: file.pairedItem });
		} catch (error) {
			const nodeError = asNodeError(ctx.getNode(), error);
			if (continueOnFail) {
				output.push(errorItem(nodeError, file.pairedItem));
				continue;
			}
			if (imported.length) {
				nodeError.description = [nodeError.description, `Already imported before this one (see Get Import Status): ${imported.join('; ')}.`].filter(Boolean).join(' ');
			}
			throw nodeError;
		}
	}
	return output;
}

/** Waits for an import and describes how it ended, with the lines of its log. */
export async function importOutcome(ctx: IExecuteFunctions, token: string, options: IDataObject): Promise<IDataObject> {
	const result = await waitForJob(ctx, {
		jobLabel: `4me import ${token}`,
		resumeHint: importResumeHint(token),
		poll: async () => (await getImportStatus(ctx, token)).state,
		schedule: readSchedule(options),
		onTimeout: 'fail',
	});
	// A finished import's status is its outcome (waitForJob fails at the timeout).
	return summarize(ctx, result.finished ? (result.state.details ?? {}) : {}, token);
}

export async function summarize(ctx: IExecuteFunctions, response: IDataObject, token: string): Promise<IDataObject> {
	const results = (response.results ?? {}) as IDataObject;
	const count = (key: string) => (typeof results[key] === 'number' ? (results[key] as number) : 0);
	const logfile = typeof response.logfile === 'string' ? response.logfile : null;
	const finished = response.state === 'done' || response.state === 'error';
	return {
		token,
		state: response.state ?? null,
		succeeded: response.state === 'done' && count('failures') === 0 && count('errors') === 0,
		created: count('created'),
		updated: count('updated'),
		deleted: count('deleted'),
		unchanged: count('unchanged'),
		failures: count('failures'),
		errors: count('errors'),
		message: typeof response.message === 'string' ? response.message : null,
		...(response.line !== undefined ? { line: response.line } : {}),
		logfile,
		log: finished && logfile ? await readImportLog(ctx, logfile, importResumeHint(token)) : [],
	};
}
