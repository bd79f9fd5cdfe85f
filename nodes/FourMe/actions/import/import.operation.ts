import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { optionsCollection } from '../export/common';
import { forImportOperations, importFileFields, importOutcome, importWaitOptions, readImportFiles, uploadImport } from './common';

export const description: INodeProperties[] = forImportOperations(['import'], [
	...importFileFields,
	optionsCollection(importWaitOptions),
]);

/**
 * Uploads each file, waits until 4me has processed it, and outputs the result with the log's
 * lines. Imports run one after another: the order of types matters to 4me.
 */
export async function executeAll(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const options = this.getNodeParameter('options', 0, {}) as IDataObject;
	const output: INodeExecutionData[] = [];
	for (const file of await readImportFiles(this)) {
		const token = await uploadImport(this, file);
		this.logger.info(`4me import started: ${token}`);
		output.push({ json: await importOutcome(this, token, options), pairedItem: file.pairedItem });
	}
	return output;
}
