import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { getExports } from '../../helpers/exportJob';
import { forOperations, readIds } from './common';

export const description: INodeProperties[] = forOperations(['getAll'], [
	{
		displayName: 'Export IDs',
		name: 'exportIds',
		type: 'string',
		default: '',
		required: true,
		placeholder: '3fa85f64-5717-4562-b3fc-2c963f66afa6, …',
		description: 'The IDs of the exports, separated by commas, or a list from an expression; any number (asked 1000 at a time)',
		hint: 'Mews shows an export only to the access token that started it',
	},
]);

/** One item per export Mews knows, in the order asked; unknown IDs give no item. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const ids = readIds(this, this.getNodeParameter('exportIds', itemIndex), 'Export IDs', Infinity);
	if (!ids.length) throw new NodeOperationError(this.getNode(), '"Export IDs" is empty', { itemIndex });
	const found = new Map((await getExports(this, ids)).map((exp) => [exp.Id, exp]));
	const missing = ids.filter((id) => !found.has(id));
	if (missing.length) this.logger.info(`Mews does not know ${missing.length} of the ${ids.length} export IDs (e.g. ${missing[0]})`);
	return ids.flatMap((id) => {
		const exp = found.get(id);
		return exp ? [{ json: exp, pairedItem: { item: itemIndex } }] : [];
	});
}
