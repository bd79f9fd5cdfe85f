import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import * as job from './actions/job/Job.resource';
import { router } from './actions/router';

export class AsyncExport implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Async Export (HTTP)',
		name: 'asyncExport',
		icon: { light: 'file:asyncExport.svg', dark: 'file:asyncExport.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ ({ export: "Export", start: "Start job", getStatus: "Get status", getResult: "Get result" })[$parameter["operation"]] }}',
		description: 'Run any API\'s asynchronous export job (start, check status, download) and get its rows: Salesforce Bulk API, Shopify bulk operations, HubSpot and more',
		defaults: { name: 'Async Export' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'asyncExportApi', required: true, displayOptions: { show: { authentication: ['asyncExportApi'] } } },
			{ name: 'asyncExportOAuth2Api', required: true, displayOptions: { show: { authentication: ['asyncExportOAuth2Api'] } } },
		],
		properties: [
			{
				displayName: 'Authentication',
				name: 'authentication',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'None', value: 'none' },
					{ name: 'API Key, Token or Basic Auth', value: 'asyncExportApi', description: 'A header, a bearer token, a user and password, or a query parameter' },
					{ name: 'OAuth2', value: 'asyncExportOAuth2Api', description: 'For Salesforce, HubSpot, Zendesk and other OAuth2 APIs' },
				],
				default: 'asyncExportApi',
				description: 'The credential goes only to the start URL\'s address and the status and results addresses written here; files and pages elsewhere are fetched without it',
			},
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [{ name: 'Export Job', value: 'job' }],
				default: 'job',
			},
			...job.description,
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return router.call(this);
	}
}
