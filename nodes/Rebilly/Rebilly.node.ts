import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import * as dataExport from './actions/dataExport/DataExport.resource';
import { router } from './actions/router';

export class Rebilly implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Rebilly',
		name: 'rebilly',
		icon: { light: 'file:rebilly.svg', dark: 'file:rebilly.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle:
			'={{ ({ export: "Export", create: "Create", get: "Get", getAll: "Get many", update: "Update", delete: "Delete", download: "Download" })[$parameter["operation"]] + (["export", "create"].includes($parameter["operation"]) ? ": " + $parameter["dataResource"] : "") }}',
		description: 'Export Rebilly records in bulk with data exports: create an export, wait for it and get its rows or file',
		defaults: { name: 'Rebilly' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'rebillyApi', required: true }],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [{ name: 'Data Export', value: 'dataExport', description: 'Get records out of Rebilly in bulk' }],
				default: 'dataExport',
			},
			...dataExport.description,
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return router.call(this);
	}
}
