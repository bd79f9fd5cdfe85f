import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { collectJob } from '../../../shared/exportJob';
import { anduinExportJob } from '../../helpers/exportJob';
import {
	convertNumbersOption,
	forOperations,
	maxFileSizeOption,
	batchFieldsOption,
	maxRowsOption,
	startAtRowOption,
	optionsCollection,
	outputFields,
	readOutput,
	readRequestId,
	requestIdField,
	rowsDescription,
	waitOptions,
} from './common';

export const description: INodeProperties[] = forOperations(['download'], [
	{ ...requestIdField, description: 'The requestId of one export job; the node waits while it is Pending or InProgress' },
	...outputFields(rowsDescription),
	optionsCollection([convertNumbersOption, maxRowsOption, startAtRowOption, batchFieldsOption, maxFileSizeOption, ...waitOptions]),
]);

/** The rows or file of one export job started earlier (this job only: its next cursor is not followed). */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const id = readRequestId(this, this.getNodeParameter('requestId', itemIndex), itemIndex);
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const output = readOutput(this, itemIndex, options);
	return await collectJob(this, anduinExportJob(this, options), id, output);
}
