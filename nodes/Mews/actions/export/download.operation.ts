import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { collectJob } from '../../../shared/exportJob';
import { mewsExportJob } from '../../helpers/exportJob';
import {
	forOperations,
	maxFileSizeOption,
	batchFieldsOption,
	maxRowsOption,
	startAtRowOption,
	optionsCollection,
	outputFields,
	readIds,
	readOutput,
	waitOptions,
} from './common';

export const description: INodeProperties[] = forOperations(['download'], [
	{
		displayName: 'Export ID',
		name: 'exportId',
		type: 'string',
		default: '',
		required: true,
		placeholder: '3fa85f64-5717-4562-b3fc-2c963f66afa6',
		description: 'The ID from "Add Export" or from an error of this node; the node waits while the export is Pending or Processing',
		hint: 'Use an expression such as {{ $json.Id }}',
	},
	...outputFields('Each exported record becomes an item, as Mews describes it (one line of the export\'s JSON Lines files)'),
	optionsCollection([maxRowsOption, startAtRowOption, batchFieldsOption, maxFileSizeOption, ...waitOptions]),
]);

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const [id] = readIds(this, this.getNodeParameter('exportId', itemIndex), 'Export ID', 1);
	if (!id) throw new NodeOperationError(this.getNode(), '"Export ID" is empty', { itemIndex });
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	return collectJob(this, mewsExportJob(this, options), id, readOutput(this, itemIndex, options));
}
