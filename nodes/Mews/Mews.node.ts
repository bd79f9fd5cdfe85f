import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import * as exportResource from './actions/export/Export.resource';
import { router } from './actions/router';

export class Mews implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Mews',
		name: 'mews',
		icon: { light: 'file:mews.svg', dark: 'file:mews.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle:
			'={{ ({ export: "Export", add: "Add export", getAll: "Get exports", download: "Download export" })[$parameter["operation"]] + (["export", "add"].includes($parameter["operation"]) ? ": " + $parameter["entityType"] : "") }}',
		description: 'Export Mews records in bulk with the Connector API: start an export, wait for it and get its rows or files',
		defaults: { name: 'Mews' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'mewsConnectorApi', required: true }],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [{ name: 'Export', value: 'export', description: 'Get records out of Mews in bulk' }],
				default: 'export',
			},
			...exportResource.description,
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return router.call(this);
	}
}
