import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { applyEngineOptions } from './description';
import { asNodeError } from './errors';

/** Most operations run once per input item; some (an import of items) run once for all of them. */
export type Operation =
	| { perItem: (this: IExecuteFunctions, itemIndex: number) => Promise<INodeExecutionData[]> }
	| { allItems: (this: IExecuteFunctions) => Promise<INodeExecutionData[]> };

/** Operations by resource, then by operation. */
export type Operations = Record<string, Record<string, Operation>>;

/** Runs the chosen operation; with "Continue On Fail", errors become items. */
export async function route(ctx: IExecuteFunctions, operations: Operations): Promise<INodeExecutionData[][]> {
	const items = ctx.getInputData();
	const resource = ctx.getNodeParameter('resource', 0) as string;
	const operation = ctx.getNodeParameter('operation', 0) as string;
	const run = operations[resource]?.[operation];
	if (!run) {
		throw new NodeOperationError(ctx.getNode(), `The operation "${operation}" of "${resource}" is not supported`);
	}
	if ('allItems' in run) {
		applyEngineOptions(ctx, ctx.getNodeParameter('options', 0, {}) as IDataObject);
		try {
			return [await run.allItems.call(ctx)];
		} catch (error) {
			const nodeError = asNodeError(ctx.getNode(), error);
			if (ctx.continueOnFail()) return [[errorItem(nodeError, items.map((_, item) => ({ item })))]];
			throw nodeError;
		}
	}
	const output: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		applyEngineOptions(ctx, ctx.getNodeParameter('options', itemIndex, {}) as IDataObject);
		try {
			const results = await run.perItem.call(ctx, itemIndex);
			for (const result of results) output.push(result);
		} catch (error) {
			const nodeError = asNodeError(ctx.getNode(), error);
			if (ctx.continueOnFail()) {
				output.push(errorItem(nodeError, { item: itemIndex }));
				continue;
			}
			if (nodeError.context.itemIndex === undefined) nodeError.context.itemIndex = itemIndex;
			throw nodeError;
		}
	}
	if (output.length > LARGE_OUTPUT_ITEMS) suggestBoundedOutput(ctx, output.length);
	return [output];
}

// n8n keeps every item of an execution in memory: about 1.2 GB per million rows (bench/RESULTS.md).
const LARGE_OUTPUT_ITEMS = 100_000;

function suggestBoundedOutput(ctx: IExecuteFunctions, items: number): void {
	ctx.addExecutionHints({
		message: `This node output ${items.toLocaleString('en-US')} items, which n8n keeps in memory for the whole execution. For exports this large, set Output to "Rows in Batches to a Sub-Workflow" (memory stays bounded) or "File".`,
		location: 'outputPane',
	});
}

export function errorItem(error: { message: string; description?: string | null }, pairedItem: INodeExecutionData['pairedItem']): INodeExecutionData {
	return { json: { error: error.message, description: error.description ?? null }, pairedItem };
}
