import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { forEachImport, forImportOperations, importFileFields } from './common';

export const description: INodeProperties[] = forImportOperations(['startImport'], importFileFields);

/** Uploads each file and outputs the import's token at once. */
export async function executeAll(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return forEachImport(this, async (token) => ({ token, state: 'queued', type: this.getNodeParameter('importType', 0) }));
}
