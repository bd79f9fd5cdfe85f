import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { runExport } from '../../../shared/exportJob';
import { fourMeExportJob } from '../../helpers/exportJob';
import {
	downloadOptions,
	exportRequestFields,
	forOperations,
	optionsCollection,
	formatOption,
	localeOption,
	outputFields,
	readExportRequest,
	readOutput,
	waitOptions,
} from './common';

export const description: INodeProperties[] = forOperations(['export'], [
	...exportRequestFields,
	...outputFields,
	optionsCollection([formatOption, localeOption, ...downloadOptions, ...waitOptions]),
]);

/** Starts an export, waits until 4me has made the file, downloads and parses it. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const request = readExportRequest(this, itemIndex);
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const output = readOutput(this, itemIndex, options);
	if (request.format === 'xlsx' && output.mode !== 'file') {
		throw new NodeOperationError(this.getNode(), 'Excel files cannot be split into rows', {
			description: 'Set "Output" to "File" for an Excel export, or choose the CSV file format.',
			itemIndex,
		});
	}
	const job = fourMeExportJob(this, options, request.types);
	return runExport(this, job, request, { whenBusy: 'fail', retryFailedOnce: false }, output);
}
