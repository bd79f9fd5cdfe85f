import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { asNodeError } from '../../shared/errors';
import * as exportResource from './export/Export.resource';
import * as importResource from './import/Import.resource';

/** Most operations run once per input item; an import of items runs once for all of them. */
type Operation =
	| { perItem: (this: IExecuteFunctions, itemIndex: number) => Promise<INodeExecutionData[]> }
	| { allItems: (this: IExecuteFunctions) => Promise<INodeExecutionData[]> };

const operations: Record<string, Record<string, Operation>> = {
	export: {
		export: { perItem: exportResource.exportRows.execute },
		start: { perItem: exportResource.start.execute },
		getStatus: { perItem: exportResource.getStatus.execute },
		download: { perItem: exportResource.download.execute },
	},
	import: {
		import: { allItems: importResource.importFile.executeAll },
		startImport: { allItems: importResource.startImport.executeAll },
		getImportStatus: { perItem: importResource.getImportStatus.execute },
	},
};

/** Runs the chosen operation; with "Continue On Fail", errors become items. */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	const run = operations[resource]?.[operation];
	if (!run) {
		throw new NodeOperationError(this.getNode(), `The operation "${operation}" of "${resource}" is not supported`);
	}
	if ('allItems' in run) {
		try {
			return [await run.allItems.call(this)];
		} catch (error) {
			const nodeError = asNodeError(this.getNode(), error);
			if (this.continueOnFail()) return [[errorItem(nodeError, items.map((_, item) => ({ item })))]];
			throw nodeError;
		}
	}
	const output: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const results = await run.perItem.call(this, itemIndex);
			for (const result of results) output.push(result);
		} catch (error) {
			const nodeError = asNodeError(this.getNode(), error);
			if (this.continueOnFail()) {
				output.push(errorItem(nodeError, { item: itemIndex }));
				continue;
			}
			if (nodeError.context.itemIndex === undefined) nodeError.context.itemIndex = itemIndex;
			throw nodeError;
		}
	}
	return [output];
}

function errorItem(error: { message: string; description?: string | null }, pairedItem: INodeExecutionData['pairedItem']): INodeExecutionData {
	return { json: { error: error.message, description: error.description ?? null }, pairedItem };
}
