import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { optionsCollection } from '../export/common';
import { forEachImport, forImportOperations, importFileFields, importOutcome, importWaitOptions } from './common';

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
	return forEachImport(this, async (token) => importOutcome(this, token, options));
}
