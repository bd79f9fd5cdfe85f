import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { startOrJoin } from '../../../shared/exportJob';
import { anduinExportJob } from '../../helpers/exportJob';
import { cursorOption, forOperations, objectTypeField, optionsCollection, profileFields, readExportRequest, readRunOptions, whenRunningOption } from './common';

export const description: INodeProperties[] = forOperations(['start'], [
	objectTypeField,
	...profileFields,
	optionsCollection([cursorOption, whenRunningOption]),
]);

/** Starts one export job (the first of a chain, or the one after a cursor) and outputs its request ID at once. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const request = readExportRequest(this, (name, fallback) => this.getNodeParameter(name, itemIndex, fallback), options);
	const started = await startOrJoin(this, anduinExportJob(this, options), request, readRunOptions(options));
	if (!('id' in started)) return []; // Anduin always starts a job (or says the user's slot is taken)
	return [
		{
			json: { requestId: started.id, objectType: request.objectType, cursor: request.cursor ?? null, alreadyRunning: started.joined },
			pairedItem: { item: itemIndex },
		},
	];
}
