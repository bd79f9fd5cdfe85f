import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { jobOf } from './common';
import { referenceField, showFor, statusFields } from './fields';

export const description: INodeProperties[] = showFor('job', ['getStatus'], [referenceField, ...statusFields]);

/** One status check: the job's phase as the node reads it, its status value, and the whole answer. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const reference = readReference(this, itemIndex);
	const job = jobOf(this, itemIndex, {}, { start: false, status: true, reference });
	const state = await job.status(reference);
	const json: IDataObject = { jobId: reference, phase: state.phase };
	if ('progress' in state && state.progress) json.status = state.progress;
	if (state.phase === 'failed' || state.phase === 'expired') json.reason = state.reason;
	if (state.phase === 'done') json.files = state.files.map((file) => file.url);
	return [{ json, pairedItem: { item: itemIndex } }];
}

export function readReference(ctx: IExecuteFunctions, itemIndex: number): string {
	const reference = String(ctx.getNodeParameter('jobId', itemIndex, '')).trim();
	if (!reference) throw new NodeOperationError(ctx.getNode(), '"Job Reference" is empty', { itemIndex });
	return reference;
}
