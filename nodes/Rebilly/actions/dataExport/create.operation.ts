import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { readDateTime } from '../../../shared/dates';
import { bodyOf, EXPORTS_PATH, type ExportRequest } from '../../helpers/exportJob';
import { rebillyRequest } from '../../transport';
import {
	dateRangeFields,
	exportContentOptions,
	formatFields,
	forOperations,
	nameField,
	optionsCollection,
	readExportRequest,
	recurringOptions,
	resourceField,
} from './common';

export const description: INodeProperties[] = forOperations(['create'], [
	resourceField,
	...formatFields,
	nameField,
	...dateRangeFields,
	optionsCollection([...exportContentOptions, ...recurringOptions]),
]);

/** Creates a data export (or a recurring one) and outputs it at once, for workflows that wait themselves. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const request = withRecurrence(this, readExportRequest(this, itemIndex, options, this.getNodeParameter('exportName', itemIndex, '')), options);
	const response = await rebillyRequest(this, { method: 'POST', path: EXPORTS_PATH, body: bodyOf(request) });
	return [{ json: response.body, pairedItem: { item: itemIndex } }];
}

/** A recurring export: Rebilly runs it on the RRULE's schedule (DataExportRecurring.yaml). */
export function withRecurrence(ctx: IExecuteFunctions, request: ExportRequest, options: IDataObject): ExportRequest {
	const instruction = typeof options.recurringInstruction === 'string' ? options.recurringInstruction.trim() : '';
	if (!instruction) return request;
	const start = readDateTime(ctx, options.recurringStart, 'Repeat From');
	return { ...request, recurring: { instruction, ...(start ? { start: start.toISOString() } : {}) } };
}
