import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { forImportOperations, importFileFields, readImportFiles, uploadImport } from './common';

export const description: INodeProperties[] = forImportOperations(['startImport'], importFileFields);

/** Uploads each file and outputs the import's token at once. */
export async function executeAll(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const output: INodeExecutionData[] = [];
	for (const file of await readImportFiles(this)) {
		const token = await uploadImport(this, file);
		output.push({ json: { token, state: 'queued', type: this.getNodeParameter('importType', 0) }, pairedItem: file.pairedItem });
	}
	return output;
}
