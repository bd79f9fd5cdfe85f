import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { runExport } from '../../../shared/exportJob';
import { anduinExportJob } from '../../helpers/exportJob';
import {
	convertNumbersOption,
	cursorOption,
	forOperations,
	maxFileSizeOption,
	batchFieldsOption,
	maxRowsOption,
	objectTypeField,
	optionsCollection,
	outputFields,
	profileFields,
	readExportRequest,
	readOutput,
	readRunOptions,
	retryFailedOption,
	rowsDescription,
	waitOptions,
	whenRunningOption,
} from './common';

export const description: INodeProperties[] = forOperations(['exportAll'], [
	objectTypeField,
	...profileFields,
	...outputFields(rowsDescription),
	optionsCollection([cursorOption, whenRunningOption, retryFailedOption, convertNumbersOption, maxRowsOption, batchFieldsOption, maxFileSizeOption, ...waitOptions]),
]);

/**
 * Runs the whole chain: each job is started with the previous job's nextCursor, one after
 * another (one active job per user), until Anduin gives no cursor; rows in the order of the jobs.
 */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const request = readExportRequest(this, (name, fallback) => this.getNodeParameter(name, itemIndex, fallback), options);
	const output = readOutput(this, itemIndex, options);
	return await runExport(this, anduinExportJob(this, options), request, readRunOptions(options), output);
}
