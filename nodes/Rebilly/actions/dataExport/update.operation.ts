import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { bodyOf, EXPORTS_PATH, getExport } from '../../helpers/exportJob';
import { rebillyAnswerError, rebillyRequest } from '../../transport';
import { dateRangeFields, exportContentOptions, formatFields, forOperations, nameField, optionsCollection, readExportRequest, recurringOptions, resourceField } from './common';
import { withRecurrence } from './create.operation';
import { exportIdField, readExportId } from './get.operation';

export const description: INodeProperties[] = forOperations(['update'], [
	exportIdField,
	resourceField,
	...formatFields,
	nameField,
	...dateRangeFields,
	optionsCollection([...exportContentOptions, ...recurringOptions]),
]);

/** Replaces a data export's settings; Rebilly changes an export only while it is pending. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const id = readExportId(this, itemIndex);
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const request = withRecurrence(this, readExportRequest(this, itemIndex, options, this.getNodeParameter('exportName', itemIndex, '')), options);
	const call = { method: 'PUT' as const, path: `${EXPORTS_PATH}/${encodeURIComponent(id)}`, body: bodyOf(request), acceptStatus: [422] };
	const response = await rebillyRequest(this, call);
	// Rebilly refuses (422) a change to an export that is no longer pending: say so in words.
	if (response.statusCode === 422) {
		const current = await getExport(this, id);
		if (current && current.status !== 'pending') throw notPending(this, id, current.status, itemIndex);
		throw await rebillyAnswerError(this, call, response);
	}
	return [{ json: response.body, pairedItem: { item: itemIndex } }];
}

function notPending(ctx: IExecuteFunctions, id: string, status: string, itemIndex: number) {
	return new NodeOperationError(ctx.getNode(), `Rebilly changes a data export only while it is pending; ${id} is ${status}`, {
		description: 'Create a new export with the settings you want instead (operation Create or Export).',
		itemIndex,
	});
}
