import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { readOutput } from '../../../shared/description';
import { collectJob } from '../../../shared/exportJob';
import { jobOf } from './common';
import { batchFieldsOption, jobOptions, maxFileSizeOption, maxRowsOption, startAtRowOption, outputOfRows, referenceField, resultFields, showFor, statusFields } from './fields';
import { readReference } from './getStatus.operation';

export const description: INodeProperties[] = showFor('job', ['getResult'], [
	referenceField,
	...statusFields,
	...resultFields,
	...outputOfRows,
	jobOptions([maxRowsOption, startAtRowOption, batchFieldsOption, maxFileSizeOption]),
]);

/** Waits for a job started earlier (by its reference) and outputs its rows or files. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const reference = readReference(this, itemIndex);
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const job = jobOf(this, itemIndex, options, { start: false, status: true, reference });
	return collectJob(this, job, reference, readOutput(this, itemIndex, options));
}
