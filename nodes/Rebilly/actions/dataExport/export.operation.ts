import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { runExport } from '../../../shared/exportJob';
import { rebillyExportJob } from '../../helpers/exportJob';
import {
	checkOutputFits,
	dateRangeFields,
	exportContentOptions,
	formatFields,
	batchFieldsOption,
	forOperations,
	maxFileSizeOption,
	maxRowsOption,
	nameField,
	optionsCollection,
	outputFields,
	readExportRequest,
	readOutput,
	readRunOptions,
	resourceField,
	retryFailedOption,
	splitOption,
	waitOptions,
} from './common';

export const description: INodeProperties[] = forOperations(['export'], [
	resourceField,
	...formatFields,
	...dateRangeFields,
	...outputFields('Each exported record becomes an item: the CSV columns, or the JSON record'),
	optionsCollection([
		...exportContentOptions,
		nameField,
		{ ...splitOption, displayOptions: { show: { '/withDateRange': ['range'] } } },
		retryFailedOption,
		maxRowsOption,
		batchFieldsOption,
		maxFileSizeOption,
		...waitOptions,
	]),
]);

/** Creates a data export, waits until Rebilly has made its file, and reads it (a zip of parts too). */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const request = readExportRequest(this, itemIndex, options, options.exportName);
	const output = readOutput(this, itemIndex, options);
	checkOutputFits(this, itemIndex, request.format, output.mode);
	return runExport(this, rebillyExportJob(this, options), request, readRunOptions(options), output);
}
