import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { startOrJoin } from '../../../shared/exportJob';
import { getExport, mewsExportJob } from '../../helpers/exportJob';
import {
	entityTypeField,
	forOperations,
	optionsCollection,
	postingFields,
	readExportRequest,
	readRunOptions,
	scopeOptions,
	updatedFields,
	whenRunningOption,
} from './common';

export const description: INodeProperties[] = forOperations(['add'], [
	entityTypeField,
	...postingFields,
	...updatedFields,
	optionsCollection([...scopeOptions, whenRunningOption]),
]);

/** Starts an export and outputs it at once (Pending), for workflows that wait with n8n's Wait node. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const request = readExportRequest(this, itemIndex, options, false);
	const started = await startOrJoin(this, mewsExportJob(this, options), request, readRunOptions(options));
	if (!('id' in started)) return []; // Mews always starts an export (or says it is busy)
	const json = started.joined ? await getExport(this, started.id) : started.details;
	return [{ json: { ...json, alreadyRunning: started.joined }, pairedItem: { item: itemIndex } }];
}
