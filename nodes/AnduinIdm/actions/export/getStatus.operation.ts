import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { getRequestStatus, nextCursorOf } from '../../helpers/exportJob';
import { forOperations, readRequestId, requestIdField } from './common';

export const description: INodeProperties[] = forOperations(['getStatus'], [
	{ ...requestIdField, description: 'The requestId of an export (or of an import: Anduin checks both the same way)' },
]);

/**
 * One status check, Anduin's answer as it is; a Completed answer also gets `nextCursor` when
 * Anduin spelled it next_cursor, so that a workflow can always read {{ $json.result.nextCursor }}.
 */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const id = readRequestId(this, this.getNodeParameter('requestId', itemIndex), itemIndex);
	const status = await getRequestStatus(this, id);
	if (!status) {
		throw new NodeOperationError(this.getNode(), `Anduin no longer has the request ${id}, or never had it (HTTP 404)`, {
			itemIndex,
			description: 'Check the request ID: Anduin shows a request only to the user (API key) that started it.',
		});
	}
	const json = { ...status };
	if (json.result && typeof json.result === 'object') json.result = { ...json.result, nextCursor: nextCursorOf(status) ?? null };
	return [{ json, pairedItem: { item: itemIndex } }];
}
