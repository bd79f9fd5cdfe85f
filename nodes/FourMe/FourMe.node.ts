import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import * as exportResource from './actions/export/Export.resource';
import { router } from './actions/router';

export class FourMe implements INodeType {
	description: INodeTypeDescription = {
		displayName: '4me (Xurrent)',
		name: 'fourMe',
		icon: { light: 'file:fourme.svg', dark: 'file:fourme.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Export records from 4me (Xurrent) in bulk: start an export, wait for it and get its rows or file',
		defaults: { name: '4me' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'fourMeApi', required: true }],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [{ name: 'Export', value: 'export' }],
				default: 'export',
			},
			...exportResource.description,
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return router.call(this);
	}
}
