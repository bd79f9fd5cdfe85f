import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { startOrJoin } from '../../../shared/exportJob';
import { jobOf } from './common';
import { optionsCollection, showFor, startFields } from './fields';

export const description: INodeProperties[] = showFor('job', ['start'], [
	...startFields,
	optionsCollection([
		{
			displayName: 'Cursor',
			name: 'cursor',
			type: 'string',
			default: '',
			description: 'Start a chained job from this cursor (sent as the field named in the Export operation\'s "Send Cursor As", default cursor)',
		},
		{ displayName: 'Send Cursor As', name: 'cursorName', type: 'string', default: 'cursor' },
	]),
]);

/** Sends the start request and outputs the job's reference at once, for workflows that wait themselves. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const job = jobOf(this, itemIndex, options, { start: true, status: false });
	const cursor = typeof options.cursor === 'string' && options.cursor ? options.cursor : undefined;
	const started = await startOrJoin(this, job, cursor ? { cursor } : {}, { whenBusy: 'fail' });
	const json: IDataObject = 'id' in started ? { jobId: started.id, answer: started.details?.answer ?? null } : { jobId: null };
	return [{ json, pairedItem: { item: itemIndex } }];
}
