import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import * as exportResource from './actions/export/Export.resource';
import * as importResource from './actions/import/Import.resource';
import { router } from './actions/router';

export class FourMe implements INodeType {
	description: INodeTypeDescription = {
		displayName: '4me (Xurrent)',
		name: 'fourMe',
		icon: { light: 'file:fourme.svg', dark: 'file:fourme.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle:
			'={{ ({ export: "Export", start: "Start export", getStatus: "Get export status", download: "Download export", import: "Import", startImport: "Start import", getImportStatus: "Get import status" })[$parameter["operation"]] + ($parameter["operation"] === "import" || $parameter["operation"] === "startImport" ? ": " + $parameter["importType"] : ["export", "start"].includes($parameter["operation"]) ? ": " + [].concat($parameter["recordTypes"]).join(", ") : "") }}',
		description: 'Export and import 4me (Xurrent) records in bulk: start a job, wait for it and get its rows, file or result',
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
				options: [
					{ name: 'Export', value: 'export', description: 'Get records out of 4me in bulk' },
					{ name: 'Import', value: 'import', description: 'Create or update records in bulk from a CSV file or items' },
				],
				default: 'export',
			},
			...exportResource.description,
			...importResource.description,
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return router.call(this);
	}
}
