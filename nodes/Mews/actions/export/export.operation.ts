import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { runExport } from '../../../shared/exportJob';
import { mewsExportJob } from '../../helpers/exportJob';
import {
	entityTypeField,
	forOperations,
	maxFileSizeOption,
	batchFieldsOption,
	maxRowsOption,
	optionsCollection,
	postingFields,
	outputFields,
	readExportRequest,
	readOutput,
	readRunOptions,
	retryFailedOption,
	scopeOptions,
	updatedFields,
	waitOptions,
	whenRunningOption,
} from './common';

export const description: INodeProperties[] = forOperations(['export'], [
	entityTypeField,
	...postingFields,
	...updatedFields,
	...outputFields('Each exported record becomes an item, as Mews describes it (one line of the export\'s JSON Lines files)'),
	optionsCollection([...scopeOptions, whenRunningOption, retryFailedOption, maxRowsOption, batchFieldsOption, maxFileSizeOption, ...waitOptions]),
]);

/**
 * Starts an export, waits until Mews has made its files, and reads them. A range longer than
 * 180 days runs as several exports, one after another (Mews runs one per type at a time).
 */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const request = readExportRequest(this, itemIndex, options, true);
	return runExport(this, mewsExportJob(this, options), request, readRunOptions(options), readOutput(this, itemIndex, options));
}
