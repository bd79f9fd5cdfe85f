import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import * as exportResource from './actions/export/Export.resource';
import { router } from './actions/router';

export class AnduinIdm implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Anduin IDM (Investor Data Management)',
		name: 'anduinIdm',
		icon: { light: 'file:anduin.svg', dark: 'file:anduin.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle:
			'={{ ({ exportAll: "Export all", start: "Start export", getStatus: "Get request status", download: "Download" })[$parameter["operation"]] + (["exportAll", "start"].includes($parameter["operation"]) ? ": " + $parameter["objectType"] : "") }}',
		description: 'Export Anduin IDM objects in bulk: start export jobs, follow their cursors and get the rows or files',
		defaults: { name: 'Anduin IDM' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'anduinIdmApi', required: true }],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [{ name: 'Export', value: 'export', description: 'Get IDM objects out of Anduin in bulk' }],
				default: 'export',
			},
			...exportResource.description,
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return router.call(this);
	}
}
