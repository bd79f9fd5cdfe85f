// Shared setup for the Async Export (HTTP) node tests: the built node and credential (what n8n
// loads), and the node's parameters for each documented shape of export API, pointed at its emulator.
import type { ICredentialDataDecryptedObject, IDataObject, INodeParameters } from 'n8n-workflow';

import type { HubSpotExportsEmulator } from '../emulators/hubspot-exports';
import type { LocationJobsEmulator } from '../emulators/location-jobs';
import type { SalesforceBulkEmulator } from '../emulators/salesforce-bulk';
import type { ShopifyBulkEmulator } from '../emulators/shopify-bulk';
import { executeNode, type TestCredentials } from '../helpers/n8n';

type NodeModule = typeof import('../../nodes/AsyncExport/AsyncExport.node');
type CredentialModule = typeof import('../../credentials/AsyncExportApi.credentials');

export const { AsyncExport } = require('../../dist/nodes/AsyncExport/AsyncExport.node.js') as NodeModule;
export const { AsyncExportApi } = require('../../dist/credentials/AsyncExportApi.credentials.js') as CredentialModule;

export function apiCredential(data: ICredentialDataDecryptedObject): TestCredentials {
	return { asyncExportApi: { type: new AsyncExportApi(), data } };
}

/** Status checks every 20–50 ms so tests do not wait out the production schedule. */
export const fastPolling: IDataObject = { firstPollSeconds: 0.02, maxPollSeconds: 0.05 };

type RunExtra = Partial<Parameters<typeof executeNode>[0]>;

export async function runAsyncExport(parameters: INodeParameters, credentials: TestCredentials, extra: RunExtra = {}) {
	const options = { ...fastPolling, ...((parameters.options as IDataObject | undefined) ?? {}) };
	return executeNode({
		node: new AsyncExport(),
		parameters: { authentication: 'asyncExportApi', resource: 'job', operation: 'export', ...parameters, options: options as INodeParameters },
		credentials,
		...extra,
	});
}

// Salesforce Bulk API 2.0 query jobs: create, poll `state`, read the CSV results page by page
// with the Sforce-Locator header sent back as `locator` (the text "null" ends it).
export function salesforceCredential(emulator: SalesforceBulkEmulator): TestCredentials {
	return apiCredential({ authType: 'bearer', token: emulator.accessToken, testUrl: `${emulator.instanceUrl}/services/data/v${emulator.apiVersion}/jobs/query` });
}

export function salesforceParameters(emulator: SalesforceBulkEmulator, query = 'SELECT Id, Name, Industry FROM Account', pageSize = 10): INodeParameters {
	const jobs = `${emulator.instanceUrl}/services/data/v${emulator.apiVersion}/jobs/query`;
	return {
		startMethod: 'POST',
		startUrl: jobs,
		startBodyType: 'json',
		startJsonBody: JSON.stringify({ operation: 'query', query }),
		jobReference: 'path',
		jobIdPath: 'id',
		statusMethod: 'GET',
		statusUrl: `${jobs}/{{ $job.id }}`,
		statusPath: 'state',
		doneValues: 'JobComplete',
		failedValues: 'Failed, Aborted',
		runningValues: 'UploadComplete, InProgress',
		resultType: 'pages',
		resultsUrl: `${jobs}/{{ $job.id }}/results?maxRecords=${pageSize}`,
		nextPageFrom: 'header',
		nextPageName: 'Sforce-Locator',
		nextPageParam: 'locator',
		lastPageValue: 'null',
		options: { errorPath: 'errorMessage', progressPath: 'numberRecordsProcessed' },
	};
}

// Shopify bulk operations: a GraphQL mutation starts it, a GraphQL `node` query polls it, one
// JSON Lines file on storage (signed: fetched without the token) holds the result.
export function shopifyCredential(emulator: ShopifyBulkEmulator): TestCredentials {
	return apiCredential({ authType: 'header', keyName: 'X-Shopify-Access-Token', apiKeySecret: emulator.accessToken, testUrl: emulator.graphqlUrl });
}

export const SHOPIFY_PRODUCTS = '{ products { edges { node { id title handle variants { edges { node { id sku } } } } } } }';

export function shopifyParameters(emulator: ShopifyBulkEmulator, bulkQuery = SHOPIFY_PRODUCTS): INodeParameters {
	return {
		startMethod: 'POST',
		startUrl: emulator.graphqlUrl,
		startBodyType: 'json',
		startJsonBody: JSON.stringify({
			query: 'mutation run($query: String!) { bulkOperationRunQuery(query: $query) { bulkOperation { id status } userErrors { field message } } }',
			variables: { query: bulkQuery },
		}),
		jobReference: 'path',
		jobIdPath: 'data.bulkOperationRunQuery.bulkOperation.id',
		statusMethod: 'POST',
		statusUrl: emulator.graphqlUrl,
		statusJsonBody: JSON.stringify({
			query: 'query poll($id: ID!) { node(id: $id) { ... on BulkOperation { id status errorCode objectCount url } } }',
			variables: { id: '{{ $job.id }}' },
		}),
		statusPath: 'data.node.status',
		doneValues: 'COMPLETED',
		failedValues: 'FAILED, CANCELED, EXPIRED',
		runningValues: 'CREATED, RUNNING, CANCELING',
		resultType: 'fileUrls',
		fileUrlPath: 'data.node.url',
		options: { errorPath: 'data.node.errorCode', progressPath: 'data.node.objectCount', fileFormat: 'jsonl' },
	};
}

// An API that answers 202 Accepted with only a Location (the job's status address) and puts the
// rows in the status answer once it has succeeded (Microsoft's long-running-operation pattern).
export function locationCredential(emulator: LocationJobsEmulator): TestCredentials {
	return apiCredential({ authType: 'bearer', token: emulator.token, testUrl: `${emulator.baseUrl}/exports` });
}

export function locationParameters(emulator: LocationJobsEmulator, dataset = 'contacts'): INodeParameters {
	return {
		startMethod: 'POST',
		startUrl: `${emulator.baseUrl}/exports`,
		startBodyType: 'json',
		startJsonBody: JSON.stringify({ dataset }),
		jobReference: 'location',
		statusMethod: 'GET',
		statusUrl: '',
		statusPath: 'status',
		doneValues: 'succeeded',
		failedValues: 'failed, canceled',
		runningValues: 'notStarted, running',
		resultType: 'inline',
		rowsPath: 'result.rows',
		options: { errorPath: 'error.message', progressPath: 'percentComplete' },
	};
}

// HubSpot CRM exports: a JSON start answered 202 with the task id, the status of the task, and
// `result`, a presigned CSV (or zip) link signed anew by every status answer, for 5 minutes.
export function hubspotCredential(emulator: HubSpotExportsEmulator): TestCredentials {
	return apiCredential({ authType: 'bearer', token: emulator.accessToken, testUrl: `${emulator.apiOrigin}/crm/v3/exports/export/async/tasks/1/status` });
}

export function hubspotParameters(emulator: HubSpotExportsEmulator, properties = ['email', 'firstname', 'lastname']): INodeParameters {
	const exports = `${emulator.apiOrigin}/crm/v3/exports/export/async`;
	return {
		startMethod: 'POST',
		startUrl: exports,
		startBodyType: 'json',
		startJsonBody: JSON.stringify({ exportType: 'VIEW', format: 'CSV', exportName: 'n8n contacts', objectType: 'CONTACT', language: 'EN', objectProperties: properties }),
		jobReference: 'path',
		jobIdPath: 'id',
		statusMethod: 'GET',
		statusUrl: `${exports}/tasks/{{ $job.id }}/status`,
		statusPath: 'status',
		doneValues: 'COMPLETE',
		failedValues: 'CANCELED',
		runningValues: 'PENDING, PROCESSING',
		resultType: 'fileUrls',
		fileUrlPath: 'result',
		options: { errorPath: 'errors[0].message', fileFormat: 'csv' },
	};
}
