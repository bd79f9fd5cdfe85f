import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { getImportStatus } from '../../helpers/importJob';
import { forImportOperations, summarize } from './common';

export const description: INodeProperties[] = forImportOperations(['getImportStatus'], [
	{
		displayName: 'Import Token',
		name: 'importJob',
		type: 'string',
		default: '',
		required: true,
		description: 'The token of the import, from the output of "Start Import"',
		hint: 'Use an expression such as {{ $json.token }}',
	},
]);

/** One status check; a finished import comes with its counts and log lines. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const token = (this.getNodeParameter('importJob', itemIndex) as string).trim();
	const status = await getImportStatus(this, token);
	return [{ json: await summarize(this, status.response, token), pairedItem: { item: itemIndex } }];
}
