import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { EXPORTS_PATH } from '../../helpers/exportJob';
import { rebillyRequest } from '../../transport';
import { forOperations } from './common';
import { exportIdField, readExportId } from './get.operation';

export const description: INodeProperties[] = forOperations(['delete'], [exportIdField]);

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const id = readExportId(this, itemIndex);
	await rebillyRequest(this, { method: 'DELETE', path: `${EXPORTS_PATH}/${encodeURIComponent(id)}` });
	return [{ json: { id, deleted: true }, pairedItem: { item: itemIndex } }];
}
