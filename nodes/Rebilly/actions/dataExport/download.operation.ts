import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { collectJob } from '../../../shared/exportJob';
import { rebillyExportJob } from '../../helpers/exportJob';
import { batchFieldsOption, forOperations, maxFileSizeOption, maxRowsOption, startAtRowOption, optionsCollection, outputFields, readOutput, waitOptions } from './common';
import { exportIdField, readExportId } from './get.operation';

export const description: INodeProperties[] = forOperations(['download'], [
	{ ...exportIdField, description: 'The ID of the data export; the node waits while it is pending, queued or processing' },
	...outputFields('Each exported record becomes an item (CSV and JSON exports; XML and PDF come as files)'),
	optionsCollection([maxRowsOption, startAtRowOption, batchFieldsOption, maxFileSizeOption, ...waitOptions]),
]);

/** The rows or file of a data export started earlier (also a recurring export's latest run). */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const id = readExportId(this, itemIndex);
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	return collectJob(this, rebillyExportJob(this, options), id, readOutput(this, itemIndex, options));
}
