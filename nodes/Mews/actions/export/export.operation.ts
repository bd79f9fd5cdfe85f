import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { startOrJoinExport, waitForExport } from '../../helpers/exportJob';
import {
	entityTypeField,
	forOperations,
	maxFileSizeOption,
	maxRowsOption,
	optionsCollection,
	postingFields,
	outputFields,
	readEntityType,
	readPosting,
	readRunOptions,
	readScope,
	readUpdatedRanges,
	retryFailedOption,
	scopeOptions,
	updatedFields,
	waitOptions,
	whenRunningOption,
} from './common';
import { emitExport } from './emit';

export const description: INodeProperties[] = forOperations(['export'], [
	entityTypeField,
	...postingFields,
	...updatedFields,
	...outputFields('Each exported record becomes an item, as Mews describes it (one line of the export\'s JSON Lines files)'),
	optionsCollection([...scopeOptions, whenRunningOption, retryFailedOption, maxRowsOption, maxFileSizeOption, ...waitOptions]),
]);

/**
 * Starts an export, waits until Mews has made its files, and reads them. A range longer than
 * 180 days runs as several exports, one after another (Mews runs one per type at a time).
 */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const entityType = readEntityType(this, this.getNodeParameter('entityType', itemIndex));
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const scope = readScope(this, options);
	const posting = readPosting(this, itemIndex, entityType);
	const ranges = readUpdatedRanges(this, itemIndex, true);
	const run = readRunOptions(options);
	const rowLimit = typeof options.rowLimit === 'number' && options.rowLimit > 0 ? options.rowLimit : 0;

	const items: INodeExecutionData[] = [];
	for (const [index, updated] of ranges.entries()) {
		if (ranges.length > 1) {
			this.logger.info(`Mews ${entityType} export ${index + 1} of ${ranges.length}: updated ${updated?.start.toISOString()} to ${updated?.end.toISOString()}`);
		}
		const request = { entityType, scope, updated, posting };
		const { started } = await startOrJoinExport(this, request, run.whenRunning, run.schedule);
		const finished = await waitForExport(this, started.Id, request, run);
		if (!finished) continue; // only a trigger resumes later; waitForExport fails at the timeout here
		for (const item of await emitExport(this, itemIndex, finished, rowLimit ? rowLimit - items.length : 0)) items.push(item);
		if (rowLimit && items.length >= rowLimit) break;
	}
	return items;
}
