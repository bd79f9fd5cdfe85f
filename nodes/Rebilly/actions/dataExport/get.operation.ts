import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { getExport } from '../../helpers/exportJob';
import { forOperations } from './common';

export const exportIdField: INodeProperties = {
	displayName: 'Data Export ID',
	name: 'exportId',
	type: 'string',
	default: '',
	required: true,
	placeholder: 'exp_01HXYZ…',
	description: 'The ID from "Create" or "Get Many", or from an error of this node',
	hint: 'Use an expression such as {{ $json.id }}',
};

export const description: INodeProperties[] = forOperations(['get'], [exportIdField]);

/** One data export as Rebilly describes it: status, failureReason, fileId, recordCount, links. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const id = readExportId(this, itemIndex);
	const found = await getExport(this, id);
	if (!found) throw new NodeOperationError(this.getNode(), `Rebilly does not know the data export ${id}`, { description: 'Check the ID: a deleted export is gone.', itemIndex });
	return [{ json: found, pairedItem: { item: itemIndex } }];
}

export function readExportId(ctx: IExecuteFunctions, itemIndex: number): string {
	const id = String(ctx.getNodeParameter('exportId', itemIndex, '')).trim();
	if (!id) throw new NodeOperationError(ctx.getNode(), '"Data Export ID" is empty', { itemIndex });
	return id;
}
