// End to end: the packed package in a real n8n, the Async Export (HTTP) node against the emulators
// of three documented shapes of export API. Each example workflow runs with n8n's CLI, its
// addresses pointed at the emulator; Salesforce through n8n's own OAuth2 credential (a token
// already obtained), Shopify and the Location API through the generic credential. The credential
// test runs through the REST API of a started n8n.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { startHubSpotExportsEmulator, type HubSpotExportsEmulator } from '../emulators/hubspot-exports';
import { startLocationJobsEmulator, type LocationJobsEmulator } from '../emulators/location-jobs';
import { startSalesforceBulkEmulator, type SalesforceBulkEmulator } from '../emulators/salesforce-bulk';
import { startShopifyBulkEmulator, type ShopifyBulkEmulator } from '../emulators/shopify-bulk';
import { ensureN8nInstalled, itemsOf, N8nInstance, packPackage } from './n8n';

const examples = resolve(__dirname, '../../examples');
/** An example workflow with its placeholder addresses replaced by the emulator's. */
const readExample = (name: string, addresses: Record<string, string>) => {
	let text = readFileSync(join(examples, name), 'utf8');
	for (const [placeholder, address] of Object.entries(addresses)) text = text.split(placeholder).join(address);
	return JSON.parse(text);
};

describe('Async Export (HTTP) node in a real n8n', () => {
	let salesforce: SalesforceBulkEmulator;
	let shopify: ShopifyBulkEmulator;
	let location: LocationJobsEmulator;
	let hubspot: HubSpotExportsEmulator;
	let n8n: N8nInstance;
	const apiCredential = (testUrl: string, auth: Record<string, string>) => ({ ...auth, testUrl });

	before(async () => {
		await ensureN8nInstalled((line) => console.log(`# ${line}`));
		[salesforce, shopify, location, hubspot] = await Promise.all([
			startSalesforceBulkEmulator({ pollsUntilDone: 2 }),
			startShopifyBulkEmulator({ pollsUntilDone: 2 }),
			startLocationJobsEmulator({ pollsUntilDone: 2, retryAfterSeconds: null }),
			startHubSpotExportsEmulator({ pollsUntilDone: 2 }),
		]);
		salesforce.records.generate('Account', 120);
		n8n = new N8nInstance();
		await n8n.installPackage(await packPackage(n8n.userFolder));
		await n8n.importJson('credentials', [
			{
				id: 'salesforceOAuth',
				name: 'Salesforce OAuth2',
				type: 'asyncExportOAuth2Api',
				data: {
					grantType: 'authorizationCode',
					authUrl: `${salesforce.instanceUrl}/services/oauth2/authorize`,
					accessTokenUrl: `${salesforce.instanceUrl}/services/oauth2/token`,
					clientId: 'n8n-e2e',
					clientSecret: 'n8n-e2e-secret',
					scope: 'api refresh_token',
					authQueryParameters: '',
					authentication: 'header',
					oauthTokenData: { access_token: salesforce.accessToken, token_type: 'Bearer', instance_url: salesforce.instanceUrl },
				},
			},
			{
				id: 'shopifyToken',
				name: 'Shopify Admin API token',
				type: 'asyncExportApi',
				data: apiCredential(shopify.graphqlUrl, { authType: 'header', keyName: 'X-Shopify-Access-Token', apiKeySecret: shopify.accessToken }),
			},
			{
				id: 'hubspotToken',
				name: 'HubSpot private app token',
				type: 'asyncExportApi',
				data: apiCredential(`${hubspot.apiOrigin}/crm/v3/exports/export/async/tasks/1/status`, { authType: 'bearer', token: hubspot.accessToken }),
			},
			{ id: 'locationToken', name: 'Export API token', type: 'asyncExportApi', data: apiCredential(`${location.baseUrl}/exports`, { authType: 'bearer', token: location.token }) },
		]);
	});

	after(async () => {
		n8n?.cleanup();
		await Promise.all([salesforce?.close(), shopify?.close(), location?.close(), hubspot?.close()]);
	});

	it('Salesforce: a Bulk API 2.0 query job with an OAuth2 token, results read by Sforce-Locator, counted per industry', async () => {
		const workflow = readExample('async-export-salesforce-accounts-by-industry.json', { 'https://example.my.salesforce.com': salesforce.instanceUrl });
		// Pages of 50 records, so that the locator is followed.
		for (const node of workflow.nodes) if (node.parameters.resultsUrl) node.parameters.resultsUrl = node.parameters.resultsUrl.replace('maxRecords=50000', 'maxRecords=50');
		await n8n.importJson('workflow', workflow);
		const run = await n8n.execute(workflow.id);
		assert.equal(run.data.resultData.error, undefined, run.data.resultData.error?.message);
		const accounts = salesforce.records.list('Account');
		assert.deepEqual(itemsOf(run, 'Export accounts').map((item) => item.json.Id).sort(), accounts.map((account) => account.Id).sort());
		const counted = itemsOf(run, 'Accounts per industry');
		for (const item of counted) {
			const industry = item.json.Industry === '' ? null : item.json.Industry;
			assert.equal(item.json.count_Id, accounts.filter((account) => (account.Industry ?? null) === industry).length, String(industry));
		}
		const pages = salesforce.requests.filter((request) => request.path.endsWith('/results'));
		assert.ok(pages.length >= 3 && pages.every((request) => request.headers.authorization === `Bearer ${salesforce.accessToken}`), 'every page with the OAuth2 token');
	});

	it('Shopify: a bulk operation by GraphQL, its JSON Lines file from storage without the token, counted per vendor', async () => {
		const workflow = readExample('async-export-shopify-products-by-vendor.json', { 'https://example.myshopify.com/admin/api/2025-10/graphql.json': shopify.graphqlUrl });
		await n8n.importJson('workflow', workflow);
		const run = await n8n.execute(workflow.id);
		assert.equal(run.data.resultData.error, undefined, run.data.resultData.error?.message);
		const operation = shopify.operations.at(-1)!;
		const lines = shopify.operationFile(operation.id)!.toString('utf8').trim().split('\n').map((line) => JSON.parse(line));
		assert.deepEqual(itemsOf(run, 'Export products').map((item) => item.json), lines);
		const perVendor = itemsOf(run, 'Products per vendor');
		assert.equal(perVendor.reduce((sum, item) => sum + Number(item.json.count_id), 0), lines.length);
		const storage = shopify.requests.filter((request) => request.host === 'storage');
		assert.ok(storage.length > 0 && storage.every((request) => !request.refused && request.headers['x-shopify-access-token'] === undefined));
	});

	it('HubSpot: a CRM export of a view, its presigned CSV read without the token, counted per lifecycle stage', async () => {
		const workflow = readExample('async-export-hubspot-contacts-by-lifecycle-stage.json', { 'https://api.hubapi.com': hubspot.apiOrigin });
		await n8n.importJson('workflow', workflow);
		const run = await n8n.execute(workflow.id);
		assert.equal(run.data.resultData.error, undefined, run.data.resultData.error?.message);
		const contacts = hubspot.data.list('contacts');
		assert.deepEqual(itemsOf(run, 'Export contacts').map((item) => item.json['Record ID']).sort(), contacts.map((contact) => contact.id).sort());
		const perStage = itemsOf(run, 'Contacts per lifecycle stage');
		// Summarize names the count after the field, in its own spelling of "Record ID".
		const countOf = (json: Record<string, unknown>) => Number(Object.entries(json).find(([key]) => key.startsWith('count_'))?.[1]);
		assert.equal(perStage.reduce((sum, item) => sum + countOf(item.json), 0), contacts.length);
		assert.equal(perStage.length, new Set(contacts.map((contact) => contact.properties.lifecyclestage ?? '')).size);
		assert.ok(hubspot.storageRequests.length > 0 && hubspot.storageRequests.every((request) => request.headers.authorization === undefined));
	});

	it('a 202 Accepted with a Location: the status address polled, the rows of its answer counted', async () => {
		const workflow = readExample('async-export-location-contacts.json', { 'https://api.example.com': location.baseUrl });
		await n8n.importJson('workflow', workflow);
		const run = await n8n.execute(workflow.id);
		assert.equal(run.data.resultData.error, undefined, run.data.resultData.error?.message);
		const contacts = location.data.list('contacts');
		assert.deepEqual(itemsOf(run, 'Export contacts').map((item) => item.json.id).sort(), contacts.map((contact) => contact.id).sort());
		assert.equal(itemsOf(run, 'Count contacts')[0].json.count_id, contacts.length);
	});

	it('tests the generic credential in n8n against its test URL', async () => {
		const running = await n8n.start();
		try {
			await running.setUpOwner();
			const data = apiCredential(`${salesforce.instanceUrl}/services/data/v${salesforce.apiVersion}/jobs/query`, { authType: 'bearer', token: salesforce.accessToken });
			const ok = await running.testCredential({ name: 'Export API', type: 'asyncExportApi', data });
			assert.equal(ok.status, 'OK', ok.message);
			const bad = await running.testCredential({ name: 'Export API', type: 'asyncExportApi', data: { ...data, token: 'wrong' } });
			assert.equal(bad.status, 'Error');
		} finally {
			await running.stop();
		}
	});
});
