import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { startOrJoinExport } from '../../helpers/exportJob';
import {
	entityTypeField,
	forOperations,
	optionsCollection,
	postingFields,
	readEntityType,
	readPosting,
	readRunOptions,
	readScope,
	readUpdatedRanges,
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
	const entityType = readEntityType(this, this.getNodeParameter('entityType', itemIndex));
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const [updated] = readUpdatedRanges(this, itemIndex, false);
	const run = readRunOptions(options);
	const request = { entityType, scope: readScope(this, options), updated, posting: readPosting(this, itemIndex, entityType) };
	const { started, joined } = await startOrJoinExport(this, request, run.whenRunning, run.schedule);
	return [{ json: { ...started, alreadyRunning: joined }, pairedItem: { item: itemIndex } }];
}
