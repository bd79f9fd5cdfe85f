import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { readOutput } from '../../../shared/description';
import { runExport } from '../../../shared/exportJob';
import { jobOf } from './common';
import { batchFieldsOption, jobOptions, maxFileSizeOption, maxRowsOption, outputOfRows, resultFields, showFor, startFields, statusFields } from './fields';

export const description: INodeProperties[] = [
	...showFor('job', ['export'], [...startFields, ...statusFields, ...resultFields, ...outputOfRows, jobOptions([maxRowsOption, batchFieldsOption, maxFileSizeOption])]),
];

/** Starts the job, checks its status until done, and outputs its rows (or files); a chain job after job. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const job = jobOf(this, itemIndex, options, { start: true, status: true });
	return runExport(this, job, {}, { whenBusy: 'fail', retryFailedOnce: false }, readOutput(this, itemIndex, options));
}
