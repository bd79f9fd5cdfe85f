import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { startAnduinIdmEmulator, type AnduinIdmEmulator } from '../emulators/anduin-idm';
import { startFourMeEmulator, type FourMeEmulator } from '../emulators/fourme';
import { startHubSpotExportsEmulator, type HubSpotExportsEmulator } from '../emulators/hubspot-exports';
import { startLocationJobsEmulator, type LocationJobsEmulator } from '../emulators/location-jobs';
import { startMewsEmulator, type MewsEmulator } from '../emulators/mews';
import { startSalesforceBulkEmulator, type SalesforceBulkEmulator } from '../emulators/salesforce-bulk';
import { startShopifyBulkEmulator, type ShopifyBulkEmulator } from '../emulators/shopify-bulk';
import { findSecrets, readBinary, testCredential } from '../helpers/n8n';
import {
	apiCredential,
	AsyncExportApi,
	hubspotCredential,
	hubspotParameters,
	locationCredential,
	locationParameters,
	runAsyncExport,
	salesforceCredential,
	salesforceParameters,
	shopifyCredential,
	shopifyParameters,
} from './async-export';
import { runAnduin } from './anduin';
import { runFourMe } from './fourme';
import { runMews } from './mews';

type Items = Array<{ json: IDataObject }>;
const idsOf = (items: Items, field = 'Id') => items.map((item) => String(item.json[field])).sort();

describe('Async Export (HTTP) node: Salesforce Bulk API 2.0 query jobs (pages with Sforce-Locator)', () => {
	let emulator: SalesforceBulkEmulator;
	before(async () => {
		emulator = await startSalesforceBulkEmulator({ pollsUntilDone: 2 });
	});
	after(() => emulator.close());
	beforeEach(() => emulator.faults.reset());

	it('runs the job and reads every page of results, the credential only on the instance', async () => {
		const before = emulator.requests.length;
		const result = await runAsyncExport(salesforceParameters(emulator), salesforceCredential(emulator));
		assert.equal(result.error, undefined, result.error?.message);
		assert.deepEqual(idsOf(result.items), emulator.records.list('Account').map((record) => record.Id).sort());
		assert.deepEqual(Object.keys(result.items[0].json).sort(), ['Id', 'Industry', 'Name']);
		const pages = emulator.requests.slice(before).filter((request) => request.path.endsWith('/results'));
		assert.equal(pages.length, Math.ceil(emulator.records.count('Account') / 10), 'one request per page of 10');
		assert.ok(pages.slice(1).every((request) => /[?&]locator=[^&]+/.test(request.url) && /maxRecords=10/.test(request.url)), 'later pages send the locator back');
		const polls = emulator.requests.slice(before).filter((request) => request.method === 'GET' && /\/jobs\/query\/[^/]+$/.test(request.path));
		assert.ok(polls.length >= 3, `${polls.length} status checks`);
		assert.deepEqual(findSecrets(result, salesforceCredential(emulator)), []);
		assert.deepEqual(result.items.map((item) => item.pairedItem), result.items.map(() => ({ item: 0 })));
	});

	it('fills {{ $job.id }} into addresses and bodies written as expressions too (the editor turns {{ into one)', async () => {
		const parameters = salesforceParameters(emulator);
		const result = await runAsyncExport(
			{
				...parameters,
				statusUrl: `=${String(parameters.statusUrl).replace('/jobs/query/', '/jobs/{{ "query" }}/')}`,
				resultsUrl: `=${String(parameters.resultsUrl)}`,
			},
			salesforceCredential(emulator),
		);
		assert.equal(result.error, undefined, result.error?.message);
		assert.equal(result.items.length, emulator.records.count('Account'));
	});

	it('names the job and Salesforce\'s message when the job fails', async () => {
		emulator.faults.failJob('InvalidBatch : Field name not found : Industryy');
		const result = await runAsyncExport(salesforceParameters(emulator), salesforceCredential(emulator));
		const job = emulator.jobs.at(-1)!;
		assert.ok(result.error);
		assert.match(result.error.message, new RegExp(`${job.id}.*Failed: InvalidBatch : Field name not found`));
	});

	it('stops on a status value in none of the lists, naming the value and the fields to add it to', async () => {
		const parameters = { ...salesforceParameters(emulator), runningValues: 'UploadComplete' };
		const result = await runAsyncExport(parameters, salesforceCredential(emulator));
		assert.ok(result.error);
		assert.match(result.error.message, /status "InProgress", which is in none of the node's lists/);
		assert.match(String(result.error.description), /Running When Status Is/);
		assert.match(`${result.error.message} ${result.error.description}`, new RegExp(emulator.jobs.at(-1)!.id), 'the job can be picked up again');
	});

	it('names the path that matched nothing and lists the keys the answer has (never the values)', async () => {
		const badId = await runAsyncExport({ ...salesforceParameters(emulator), jobIdPath: 'jobInfo.id' }, salesforceCredential(emulator));
		assert.ok(badId.error);
		assert.match(badId.error.message, /"Job ID Path" \(jobInfo\.id\) matched nothing in the start answer of 127\.0\.0\.1:\d+/);
		assert.match(String(badId.error.description), /top-level keys are: .*\bid\b.*\bstate\b/);
		assert.doesNotMatch(String(badId.error.description), /UploadComplete|SELECT/);

		const badStatus = await runAsyncExport({ ...salesforceParameters(emulator), statusPath: 'status' }, salesforceCredential(emulator));
		assert.ok(badStatus.error);
		assert.match(badStatus.error.message, /"Status Path" \(status\) matched nothing in the status answer of job \w+ at 127\.0\.0\.1:\d+/);
		assert.match(String(badStatus.error.description), /\bstate\b/);
	});

	it('says the start answer has no Location header when the reference is set to it', async () => {
		const result = await runAsyncExport({ ...salesforceParameters(emulator), jobReference: 'location' }, salesforceCredential(emulator));
		assert.ok(result.error);
		assert.match(result.error.message, /start answer of 127\.0\.0\.1:\d+ \(HTTP 200\) has no Location header/);
		assert.match(String(result.error.description), /Job Reference.*From the Answer/);
	});

	it('checks the fields before calling anything', async () => {
		const before = emulator.requests.length;
		const cases: Array<[INodeParameters, RegExp]> = [
			[{ startUrl: 'ftp://example.com/x' }, /"Start URL" is not an http\(s\) address/],
			[{ startJsonBody: '{"operation": "query",' }, /"JSON Body" is not valid JSON/],
			[{ startJsonBody: '[1]' }, /"JSON Body" is not a JSON object/],
			[{ statusUrl: '' }, /"Status URL" is empty/],
		];
		for (const [change, message] of cases) {
			const result = await runAsyncExport({ ...salesforceParameters(emulator), ...change }, salesforceCredential(emulator));
			assert.ok(result.error, JSON.stringify(change));
			assert.match(result.error.message, message);
		}
		assert.equal(emulator.requests.length, before, 'no request for a bad configuration');
	});

	it('starts a job, checks it once, and gets its result later by reference (the separate operations)', async () => {
		const parameters = salesforceParameters(emulator);
		const started = await runAsyncExport({ ...parameters, operation: 'start' }, salesforceCredential(emulator));
		assert.equal(started.error, undefined, started.error?.message);
		const jobId = String(started.items[0].json.jobId);
		assert.equal(jobId, emulator.jobs.at(-1)!.id);
		assert.equal((started.items[0].json.answer as IDataObject).state, 'UploadComplete');

		const status = await runAsyncExport({ ...parameters, operation: 'getStatus', jobId }, salesforceCredential(emulator));
		assert.equal(status.error, undefined, status.error?.message);
		assert.equal(status.items[0].json.jobId, jobId);
		assert.equal(status.items[0].json.phase, 'running');

		const rows = await runAsyncExport({ ...parameters, operation: 'getResult', jobId }, salesforceCredential(emulator));
		assert.equal(rows.error, undefined, rows.error?.message);
		assert.deepEqual(idsOf(rows.items), emulator.records.list('Account').map((record) => record.Id).sort());
	});

	it('outputs each page as a file in file mode', async () => {
		const result = await runAsyncExport({ ...salesforceParameters(emulator), output: 'file' }, salesforceCredential(emulator));
		assert.equal(result.error, undefined, result.error?.message);
		assert.equal(result.items.length, Math.ceil(emulator.records.count('Account') / 10));
		const text = (await Promise.all(result.items.map((item) => readBinary(item)))).map((buffer) => buffer.toString('utf8'));
		assert.ok(text.every((page) => page.startsWith('"Id","Name","Industry"')), 'every page is a CSV with its header');
	});

	it('tests the credential against the test URL, and names a bad token', async () => {
		const good = salesforceCredential(emulator).asyncExportApi.data;
		assert.equal((await testCredential(new AsyncExportApi(), good)).status, 'OK');
		assert.equal((await testCredential(new AsyncExportApi(), { ...good, token: 'wrong' })).status, 'Error');
	});
});

describe('Async Export (HTTP) node: Shopify bulk operations (GraphQL, one JSON Lines URL)', () => {
	let emulator: ShopifyBulkEmulator;
	before(async () => {
		emulator = await startShopifyBulkEmulator({ pollsUntilDone: 2, costLimits: false });
	});
	after(() => emulator.close());
	beforeEach(() => emulator.faults.reset());

	it('runs the bulk query and outputs each JSON Lines line, the file fetched from storage without the token', async () => {
		const before = emulator.requests.length;
		const result = await runAsyncExport(shopifyParameters(emulator), shopifyCredential(emulator));
		assert.equal(result.error, undefined, result.error?.message);
		const operation = emulator.operations.at(-1)!;
		const lines = emulator.operationFile(operation.id)!.toString('utf8').trim().split('\n').map((line) => JSON.parse(line) as IDataObject);
		assert.deepEqual(result.items.map((item) => item.json), lines);
		assert.ok(lines.some((line) => '__parentId' in line) && lines.some((line) => !('__parentId' in line)), 'products and their variants');
		const storage = emulator.requests.slice(before).filter((request) => request.host === 'storage');
		assert.ok(storage.length > 0 && storage.every((request) => !request.refused && request.headers['x-shopify-access-token'] === undefined));
		const polls = emulator.requests.slice(before).filter((request) => request.host === 'api' && /node\(id/.test(request.body ?? ''));
		assert.ok(polls.length >= 3 && polls.every((request) => (request.body ?? '').includes(operation.id)), 'the id went into the status query');
		assert.deepEqual(findSecrets(result, shopifyCredential(emulator)), []);
	});

	it('outputs no items when the query matched nothing (no url)', async () => {
		const result = await runAsyncExport(shopifyParameters(emulator, '{ products(query: "title:NoSuchProduct*") { edges { node { id } } } }'), shopifyCredential(emulator));
		assert.equal(result.error, undefined, result.error?.message);
		assert.equal(result.items.length, 0);
	});
});

describe('Async Export (HTTP) node: HubSpot CRM exports (a presigned CSV link, new on every status answer)', () => {
	let emulator: HubSpotExportsEmulator;
	before(async () => {
		emulator = await startHubSpotExportsEmulator({ pollsUntilDone: 2 });
		emulator.data.generate('contacts', 60);
	});
	after(() => emulator.close());
	beforeEach(() => emulator.faults.reset());

	it('exports the contacts as rows with HubSpot\'s column labels, the file fetched without the token', async () => {
		const result = await runAsyncExport(hubspotParameters(emulator), hubspotCredential(emulator));
		assert.equal(result.error, undefined, result.error?.message);
		const contacts = emulator.data.list('contacts');
		assert.deepEqual(idsOf(result.items, 'Record ID'), contacts.map((contact) => contact.id).sort());
		const first = result.items.find((item) => item.json['Record ID'] === contacts[0].id)!;
		assert.equal(first.json.Email, contacts[0].properties.email ?? '');
		assert.ok(emulator.storageRequests.length > 0 && emulator.storageRequests.every((request) => request.headers.authorization === undefined));
		assert.deepEqual(findSecrets(result, hubspotCredential(emulator)), []);
	});

	it('asks for a new link when the storage refuses an expired one, and reads the file', async () => {
		emulator.faults.expireUrls(1);
		const result = await runAsyncExport(hubspotParameters(emulator), hubspotCredential(emulator));
		assert.equal(result.error, undefined, result.error?.message);
		assert.equal(result.items.length, emulator.data.list('contacts').length);
		assert.ok(result.logs.some((line) => /links were refused, asking for new ones/.test(line.message)));
	});

	it('names the export and HubSpot\'s reason when it was canceled', async () => {
		emulator.faults.failJob('The export was canceled: too many associated records');
		const result = await runAsyncExport(hubspotParameters(emulator), hubspotCredential(emulator));
		assert.ok(result.error);
		assert.match(result.error.message, new RegExp(`job ${emulator.exports.at(-1)!.id} at .* ended CANCELED: The export was canceled`));
	});
});

describe('Async Export (HTTP) node: 202 Accepted with a Location, rows in the status answer', () => {
	let emulator: LocationJobsEmulator;
	before(async () => {
		emulator = await startLocationJobsEmulator({ retryAfterSeconds: null, pollsUntilDone: 2 });
	});
	after(() => emulator.close());
	beforeEach(() => emulator.faults.reset());

	it('follows the relative Location and outputs the inline rows', async () => {
		const before = emulator.requests.length;
		const result = await runAsyncExport(locationParameters(emulator), locationCredential(emulator));
		assert.equal(result.error, undefined, result.error?.message);
		assert.deepEqual(idsOf(result.items, 'id'), emulator.data.list('contacts').map((row) => row.id).sort());
		const polls = emulator.requests.slice(before).filter((request) => request.method === 'GET');
		assert.ok(polls.length >= 3 && polls.every((request) => request.path === `/exports/${emulator.jobs.at(-1)!.id}`));
		assert.ok(polls.every((request) => request.headers.authorization === `Bearer ${emulator.token}`), 'the Location is on the API: the credential goes with it');
	});

	it('says why a job failed, from the error path', async () => {
		emulator.faults.failJob('The property "birthday" is not exported', 'InvalidProperty');
		const result = await runAsyncExport(locationParameters(emulator), locationCredential(emulator));
		assert.ok(result.error);
		assert.match(result.error.message, /ended failed: The property "birthday" is not exported/);
	});

	it('names Rows Path when the rows are not where it says', async () => {
		const result = await runAsyncExport({ ...locationParameters(emulator), rowsPath: 'rows' }, locationCredential(emulator));
		assert.ok(result.error);
		assert.match(result.error.message, /"Rows Path" \(rows\) matched nothing/);
		assert.match(String(result.error.description), /\bresult\b/);
	});
});

describe('Async Export (HTTP) node: an absolute Operation-Location on another host', () => {
	let emulator: LocationJobsEmulator;
	before(async () => {
		emulator = await startLocationJobsEmulator({ retryAfterSeconds: null, pollsUntilDone: 1, location: 'absolute', locationHeader: 'Operation-Location' });
	});
	after(() => emulator.close());

	it('polls the Location without the credential when it is not the start URL\'s origin', async () => {
		// The start URL names the API by localhost, the emulator's absolute Location by 127.0.0.1.
		const parameters = locationParameters(emulator);
		parameters.startUrl = String(parameters.startUrl).replace('127.0.0.1', 'localhost');
		const result = await runAsyncExport(parameters, locationCredential(emulator));
		assert.ok(result.error, 'the emulator refuses a status check without the credential');
		const polls = emulator.requests.filter((request) => request.method === 'GET');
		assert.ok(polls.length > 0 && polls.every((request) => request.headers.authorization === undefined));
		assert.match(result.error.message, /401|Unauthorized|credential/i);
	});

});

describe('Async Export (HTTP) node: the 4me, Mews and Anduin emulators give the rows of the dedicated nodes', () => {
	let fourMe: FourMeEmulator;
	let mews: MewsEmulator;
	before(async () => {
		[fourMe, mews] = await Promise.all([startFourMeEmulator({ pollsUntilDone: 2 }), startMewsEmulator({ linesPerFile: 25 })]);
		fourMe.records.generate('people', 30);
		mews.entities.generate('Reservation', 70, { since: new Date(Date.now() - 20 * 24 * 3600_000), until: new Date(Date.now() - 600_000) });
	});
	after(async () => {
		await Promise.all([fourMe.close(), mews.close()]);
	});

	it('4me: POST /export as a form, GET /export/{token} until done, the CSV at url', async () => {
		const dedicated = await runFourMe(fourMe, { recordTypes: ['people'], options: { removeInjectionGuard: false } });
		assert.equal(dedicated.error, undefined, dedicated.error?.message);
		const generic = await runAsyncExport(
			{
				startMethod: 'POST',
				startUrl: `${fourMe.apiUrl}/export`,
				headers: { parameters: [{ name: 'X-4me-Account', value: fourMe.account }] },
				startBodyType: 'form',
				startForm: { parameters: [{ name: 'type', value: 'people' }] },
				jobIdPath: 'token',
				statusUrl: `${fourMe.apiUrl}/export/{{ $job.id }}`,
				statusPath: 'state',
				doneValues: 'done',
				failedValues: 'failed, error',
				runningValues: 'queued, processing',
				resultType: 'fileUrls',
				fileUrlPath: 'url',
			},
			apiCredential({ authType: 'bearer', token: fourMe.token, testUrl: `${fourMe.apiUrl}/me` }),
		);
		assert.equal(generic.error, undefined, generic.error?.message);
		assert.ok(dedicated.items.length >= 30, `${dedicated.items.length} people`);
		assert.deepEqual(generic.items.map((item) => item.json), dedicated.items.map((item) => item.json));
		const starts = fourMe.jobs.slice(-2);
		assert.deepEqual(starts.map((start) => start.bodyEncoding), ['multipart', 'urlencoded']);
	});

	it('Mews: exports/add and exports/getAll with the tokens in the body, the JSON Lines files of Files[].Url', async () => {
		const dedicated = await runMews(mews, { entityType: 'Reservation' });
		assert.equal(dedicated.error, undefined, dedicated.error?.message);
		const tokens = { ClientToken: mews.clientToken, AccessToken: mews.accessToken, Client: 'n8n Async Export' };
		const generic = await runAsyncExport(
			{
				authentication: 'none',
				startMethod: 'POST',
				startUrl: `${mews.platformAddress}/api/connector/v1/exports/add`,
				startBodyType: 'json',
				startJsonBody: JSON.stringify({ ...tokens, EntityType: 'Reservation' }),
				jobIdPath: 'Export.Id',
				statusMethod: 'POST',
				statusUrl: `${mews.platformAddress}/api/connector/v1/exports/getAll`,
				statusJsonBody: JSON.stringify({ ...tokens, ExportIds: ['{{ $job.id }}'], Limitation: { Count: 1 } }),
				statusPath: 'Exports[0].Status',
				doneValues: 'Success',
				failedValues: 'Failed, Expired',
				runningValues: 'Pending, Processing',
				resultType: 'fileUrls',
				fileUrlPath: 'Exports[0].Files[].Url',
			},
			{},
		);
		assert.equal(generic.error, undefined, generic.error?.message);
		assert.ok(mews.exports.at(-1)!.Files.length >= 3, 'several files');
		assert.equal(generic.items.length, 70);
		assert.deepEqual(generic.items.map((item) => item.json), dedicated.items.map((item) => item.json));
	});

	it('Anduin IDM: jobs chained by result.nextCursor, sent back as cursor, until there is none', async () => {
		const anduin: AnduinIdmEmulator = await startAnduinIdmEmulator({ jobSizeLimit: 10 });
		try {
			const posts = () => anduin.requests.filter((request) => request.method === 'POST').length;
			const dedicated = await runAnduin(anduin, {});
			assert.equal(dedicated.error, undefined, dedicated.error?.message);
			const dedicatedJobs = posts();
			assert.ok(dedicatedJobs >= 2, `${dedicatedJobs} jobs in the chain`);
			const generic = await runAsyncExport(
				{
					startMethod: 'POST',
					startUrl: `${anduin.apiOrigin}/api/v1/idm/${anduin.firmId}/investment-entities/export`,
					startBodyType: 'json',
					startJsonBody: '{}',
					jobIdPath: 'requestId',
					statusUrl: `${anduin.apiOrigin}/api/v1/request/{{ $job.id }}`,
					statusPath: 'status',
					doneValues: 'Completed',
					failedValues: 'Failed',
					runningValues: 'Pending, InProgress',
					resultType: 'fileUrls',
					fileUrlPath: 'result.fileUrl',
					options: { nextCursorPath: 'result.nextCursor', cursorName: 'cursor', progressPath: 'progress.processed' },
				},
				apiCredential({ authType: 'header', keyName: 'Authorization', apiKeySecret: anduin.apiKey, testUrl: `${anduin.apiOrigin}/api/v1/idm/${anduin.firmId}/investment-entities` }),
			);
			assert.equal(generic.error, undefined, generic.error?.message);
			assert.equal(posts() - dedicatedJobs, dedicatedJobs, 'as many jobs in the chain');
			assert.ok(dedicated.items.length > 10);
			assert.deepEqual(generic.items.map((item) => item.json), dedicated.items.map((item) => item.json));
		} finally {
			await anduin.close();
		}
	});
});
