import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { asNodeError } from '../../shared/errors';
import * as exportResource from './export/Export.resource';

type Operation = (this: IExecuteFunctions, itemIndex: number) => Promise<INodeExecutionData[]>;

const operations: Record<string, Record<string, Operation>> = {
	export: {
		export: exportResource.exportRows.execute,
		start: exportResource.start.execute,
		getStatus: exportResource.getStatus.execute,
		download: exportResource.download.execute,
	},
};

/** Runs the chosen operation once per input item; with "Continue On Fail", errors become items. */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const output: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		const resource = this.getNodeParameter('resource', itemIndex) as string;
		const operation = this.getNodeParameter('operation', itemIndex) as string;
		const run = operations[resource]?.[operation];
		if (!run) {
			throw new NodeOperationError(this.getNode(), `The operation "${operation}" of "${resource}" is not supported`, { itemIndex });
		}
		try {
			const results = await run.call(this, itemIndex);
			for (const result of results) output.push(result);
		} catch (error) {
			if (this.continueOnFail()) {
				const { message, description } = asNodeError(this.getNode(), error);
				output.push({ json: { error: message, description: description ?? null }, pairedItem: { item: itemIndex } });
				continue;
			}
			const nodeError = asNodeError(this.getNode(), error);
			if (nodeError.context.itemIndex === undefined) nodeError.context.itemIndex = itemIndex;
			throw nodeError;
		}
	}
	return [output];
}
