import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { startExport } from '../../helpers/exportJob';
import { exportRequestFields, forOperations, formatOption, localeOption, optionsCollection, readExportRequest } from './common';

export const description: INodeProperties[] = forOperations(['start'], [
	...exportRequestFields,
	optionsCollection([formatOption, localeOption]),
]);

/** Starts an export and returns its token at once, for workflows that wait with n8n's Wait node. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const request = readExportRequest(this, itemIndex);
	const token = await startExport(this, request);
	const json: IDataObject = {
		token: token ?? null,
		state: token ? 'queued' : 'no_changes',
		recordTypes: request.types,
		from: request.from ?? null,
		startedAt: new Date().toISOString(),
	};
	return [{ json, pairedItem: { item: itemIndex } }];
}
