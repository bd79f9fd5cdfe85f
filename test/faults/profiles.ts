/**
 * Provider profiles: how the fault matrix runs one provider. A profile starts the provider's
 * emulator with a few hundred rows, says how credentials point at an API origin, which node
 * and trigger to run with which parameters, what the provider's three calls look like (start,
 * one status check, a file download), which rows are right and which jobs were started. The
 * matrix puts the fault proxy in front of the emulator and wires the rest (startRun below).
 *
 * To add a provider: write a ProviderProfile like the two below and list it in PROFILES; then
 * add test/faults/<provider>.test.ts calling defineMatrix(profile). Job faults the emulator has
 * no switch for are made by the proxy (see proxyJobFaults).
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { startAnduinIdmEmulator } from '../emulators/anduin-idm';
import { startHubSpotExportsEmulator } from '../emulators/hubspot-exports';
import { startFourMeEmulator } from '../emulators/fourme';
import { startMewsEmulator } from '../emulators/mews';
import { startRebillyEmulator } from '../emulators/rebilly';
import {
	executeNode,
	pollTrigger,
	type ActiveWorkflowStaticData,
	type ExecuteNodeResult,
	type NodeUnderTest,
	type PollTriggerResult,
	type TestCredentials,
} from '../helpers/n8n';
import { FourMe, FourMeApi } from '../nodes/fourme';
import { AnduinIdm, AnduinIdmApi, AnduinIdmTrigger } from '../nodes/anduin';
import { AsyncExport, AsyncExportApi, hubspotParameters } from '../nodes/async-export';
import { Mews, MewsConnectorApi, MewsTrigger } from '../nodes/mews';
import { Rebilly, RebillyApi, RebillyTrigger } from '../nodes/rebilly';
import type { FileKind } from './payloads';
import { FaultProxy, type ProxyUpstream, type Side } from './proxy';
import type { CallKind } from './wording';

type FourMeTriggerModule = typeof import('../../nodes/FourMe/FourMeTrigger.node');
const { FourMeTrigger } = require('../../dist/nodes/FourMe/FourMeTrigger.node.js') as FourMeTriggerModule;

export type Row = Record<string, unknown>;

/** Options that keep every case short: quick status checks, short timeouts. */
export const MATRIX_EXPORT_OPTIONS: IDataObject = {
	timeoutMinutes: 0.2,
	firstPollSeconds: 0.02,
	maxPollSeconds: 0.05,
	// How long a request or a download may stay silent before it is retried, then fails.
	networkTimeoutSeconds: 1,
};

export const MATRIX_TRIGGER_OPTIONS: IDataObject = {
	maxWaitMinutes: 0.1,
	firstPollSeconds: 0.02,
	maxPollSeconds: 0.05,
	networkTimeoutSeconds: 1,
};

const MINUTE = 60_000;

// ---------------------------------------------------------------------------------------------
// Types

/** How one of the provider's calls looks to the proxy. */
export interface CallPattern {
	side: Side;
	method: string;
	path: RegExp;
}

export interface JobInfo {
	id: string;
	/** The provider ended it (done, failed). */
	finished: boolean;
	/** Some file of it was fetched from the storage. */
	downloaded: boolean;
	/** It ended with no file to read (nothing to export). */
	empty?: boolean;
}

/** Job-level faults, for the next job (or the running one). */
export interface JobFaults {
	failed(): void;
	/** It never finishes. */
	stuck(): void;
	/** It is gone / expired when its status is asked after the first time. */
	expired(): void;
	/** Its status is a value the node cannot know (the profile's unknownStatusValue). */
	unknownStatus(): void;
	/** The next `count` file downloads are refused as an expired link is. */
	expireLinks(count: number): void;
}

/** What a profile's setUp() gives: the emulator, seen through what the matrix needs. */
export interface ProviderSetup {
	upstream: ProxyUpstream;
	/** Credentials whose API address is `apiOrigin` (the proxy's). */
	credentials(apiOrigin: string): TestCredentials;
	calls: Record<CallKind, CallPattern>;
	/** The Export operation: the node (from dist/) and its parameters, options aside (addresses the proxy's, for a node that has them). */
	exportNode: { node: () => NodeUnderTest; parameters: INodeParameters | ((apiOrigin: string) => INodeParameters) };
	/** Absent for a node without a trigger (the profile is `exportOnly`). */
	triggerNode?: { node: () => NodeUnderTest; parameters: INodeParameters };
	/** Every row an export serves, as the node should output it. */
	expectedRows(): Row[];
	jobs(): JobInfo[];
	/** The emulator's own job-fault switches (or proxy rules of the provider's shape); the rest are made by the proxy. */
	jobFaults(proxy: FaultProxy): Partial<JobFaults> & Pick<JobFaults, 'failed' | 'stuck'>;
	/** The provider runs jobs in its own time: emulators that advance only when polled get polled. */
	finishJobsOnTheirOwn?(): Promise<void>;
	/** Time passes and `count` records change, batch n its own records; returns their keys (trigger cases). */
	changeRecords?(batch: number, count: number): string[];
	/** The current rows of these keys (what a trigger should have emitted). */
	rowsNow?(keys: string[]): Row[];
	close(): Promise<void>;
}

export interface ProviderProfile {
	/** Names the profile in test names, result files and the report. */
	name: string;
	/** How errors name the provider. */
	provider: RegExp;
	/** Words for the provider's own call names, where the generic ones (wording.ts) do not fit. */
	callWords?: Partial<Record<CallKind, RegExp>>;
	fileKind: FileKind;
	/** What the provider's file would be called inside a zip. */
	zipEntryName: string;
	/** The key that tells rows apart. */
	rowKey(row: Row): string;
	/** Fields the node adds to rows (not the provider's data): left out when rows are compared. */
	addedFields?: string[];
	/** The status value unknownStatus() makes the provider report (default "paused"). */
	unknownStatusValue?: string;
	/** A node without a trigger: the trigger cases are not run. */
	exportOnly?: boolean;
	setUp(): Promise<ProviderSetup>;
}

/** A profile's emulator behind the fault proxy, ready for cases. */
export interface ProviderRun {
	proxy: FaultProxy;
	calls: Record<CallKind, CallPattern>;
	/** Credentials pointing at the proxy's current API origin (it changes on a restart). */
	credentials(): TestCredentials;
	runExport(options: { options?: IDataObject; cancelSignal?: AbortSignal }): Promise<ExecuteNodeResult>;
	/** One scheduled poll of the Trigger. */
	poll(persistence: ActiveWorkflowStaticData, options?: IDataObject): Promise<PollTriggerResult>;
	expectedRows(): Row[];
	jobFaults: JobFaults;
	jobs(): JobInfo[];
	finishJobsOnTheirOwn(): Promise<void>;
	changeRecords(batch: number, count: number): string[];
	rowsNow(keys: string[]): Row[];
	close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Wiring, the same for every provider

export const DEFAULT_UNKNOWN_STATUS = 'paused';

export async function startRun(profile: ProviderProfile): Promise<ProviderRun> {
	const setup = await profile.setUp();
	const proxy = await FaultProxy.start(setup.upstream);
	const credentials = () => setup.credentials(proxy.apiOrigin);
	return {
		proxy,
		calls: setup.calls,
		credentials,
		runExport: ({ options = {}, cancelSignal }) => {
			const { parameters } = setup.exportNode;
			const given = typeof parameters === 'function' ? parameters(proxy.apiOrigin) : parameters;
			return executeNode({
				node: setup.exportNode.node(),
				parameters: { ...given, options: { ...(given.options as IDataObject), ...MATRIX_EXPORT_OPTIONS, ...options } as INodeParameters },
				credentials: credentials(),
				cancelSignal,
			});
		},
		poll: (persistence, options = {}) => {
			const trigger = setup.triggerNode ?? noTrigger(profile);
			return pollTrigger({
				node: trigger.node(),
				parameters: { ...trigger.parameters, options: { ...(trigger.parameters.options as IDataObject), ...MATRIX_TRIGGER_OPTIONS, ...options } as INodeParameters },
				credentials: credentials(),
				persistence,
			});
		},
		expectedRows: () => setup.expectedRows(),
		jobFaults: { ...proxyJobFaults(proxy, setup.calls, profile.unknownStatusValue ?? DEFAULT_UNKNOWN_STATUS), ...setup.jobFaults(proxy) },
		jobs: () => setup.jobs(),
		finishJobsOnTheirOwn: async () => setup.finishJobsOnTheirOwn?.(),
		changeRecords: (batch, count) => (setup.changeRecords ?? noTrigger(profile))(batch, count),
		rowsNow: (keys) => (setup.rowsNow ?? noTrigger(profile))(keys),
		close: async () => {
			await proxy.close();
			await setup.close();
		},
	};
}

function noTrigger(profile: ProviderProfile): never {
	throw new Error(`${profile.name} has no trigger: its trigger cases are not run`);
}

/** Job faults made by rewriting the provider's answers, for emulators without a switch. */
function proxyJobFaults(proxy: FaultProxy, calls: Record<CallKind, CallPattern>, unknownStatus: string): Omit<JobFaults, 'failed' | 'stuck'> {
	return {
		// A job the provider no longer knows: its status answers 404.
		expired: () =>
			void proxy.addRule({ name: 'job-expired', ...calls.status, skip: 1, action: { kind: 'respond', status: 404, headers: { 'content-type': 'application/json' }, body: '{"message":"Not Found"}' } }),
		// Whatever the status field is called, it says a value no provider documents.
		unknownStatus: () =>
			void proxy.addRule({
				name: 'job-unknown-status',
				...calls.status,
				action: { kind: 'rewrite', transform: (text) => text.replace(/"(state|status|State|Status)"\s*:\s*"[^"]*"/g, `"$1":"${unknownStatus}"`) },
			}),
		// S3's answer to a pre-signed URL past its expiry.
		expireLinks: (count) =>
			void proxy.addRule({
				name: 'link-expired',
				...calls.download,
				times: count,
				action: {
					kind: 'respond',
					status: 403,
					headers: { 'content-type': 'application/xml' },
					body: '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Request has expired</Message><RequestId>FAULTMATRIX</RequestId></Error>',
				},
			}),
	};
}

// ---------------------------------------------------------------------------------------------
// 4me: POST /v1/export, GET /v1/export/{token}, one CSV per type on a pretend S3

const FOURME_TYPE = 'requests';

export const fourMeProfile: ProviderProfile = {
	name: '4me',
	provider: /4me/i,
	fileKind: 'csv',
	zipEntryName: `${FOURME_TYPE}.csv`,
	rowKey: (row) => String(row.id),
	// Rows from a zip carry their record type.
	addedFields: ['_recordType'],
	async setUp() {
		const emulator = await startFourMeEmulator();
		// Changed up to an hour ago: a trigger watching "from now on" must not see them.
		emulator.records.generate(FOURME_TYPE, 300, { updatedUntil: new Date(Date.now() - 60 * MINUTE) });
		const pollDirectly = (token: string) => fetch(`${emulator.apiUrl}/export/${token}`, { headers: { authorization: `Bearer ${emulator.token}` } }).then((response) => response.text());
		return {
			upstream: { api: new URL(emulator.apiUrl).origin, storage: emulator.storageOrigin },
			credentials: (apiOrigin) => ({
				fourMeApi: { type: new FourMeApi(), data: { token: emulator.token, account: emulator.account, instance: 'custom', baseUrl: `${apiOrigin}/v1` } },
			}),
			calls: {
				start: { side: 'api', method: 'POST', path: /^\/v1\/export$/ },
				status: { side: 'api', method: 'GET', path: /^\/v1\/export\/[^/]+$/ },
				download: { side: 'storage', method: 'GET', path: /^\/exports\// },
			},
			exportNode: { node: () => new FourMe(), parameters: { recordTypes: [FOURME_TYPE] } },
			triggerNode: { node: () => new FourMeTrigger(), parameters: { recordTypes: [FOURME_TYPE] } },
			expectedRows: () => emulator.records.list(FOURME_TYPE),
			jobs: () =>
				emulator.jobs.map((job) => ({
					id: job.token,
					finished: job.state !== 'queued' && job.state !== 'processing',
					downloaded: emulator.requests.some((request) => request.host === 'storage' && request.path.includes(job.token)),
				})),
			// 4me has no expired state (its status is a 404 after 5 minutes) and signs links for 2 days:
			// the proxy's defaults model both.
			jobFaults: () => ({
				failed: () => emulator.faults.failJob({ state: 'failed', reason: 'disk full' }),
				stuck: () => emulator.faults.neverFinish(),
			}),
			finishJobsOnTheirOwn: async () => {
				for (const job of emulator.jobs) {
					for (let polls = 0; polls < 8 && (job.state === 'queued' || job.state === 'processing'); polls++) await pollDirectly(job.token);
				}
			},
			changeRecords: (batch, count) =>
				Array.from({ length: count }, (_, index) => {
					// A second after "now", so the change is after any watermark taken before.
					const id = String(batch * count + index + 1);
					emulator.records.upsert(FOURME_TYPE, { id, subject: `Changed in batch ${batch} (${index + 1})` }, new Date(emulator.clock.now().getTime() + 1000));
					return id;
				}),
			rowsNow: (keys) => keys.map((key) => emulator.records.get(FOURME_TYPE, key) as Row),
			close: () => emulator.close(),
		};
	},
};

// ---------------------------------------------------------------------------------------------
// Mews: POST exports/add, POST exports/getAll, JSON Lines files on a pretend Azure Blob Storage

const MEWS_TYPE = 'Reservation';

export const mewsProfile: ProviderProfile = {
	name: 'Mews',
	provider: /Mews/,
	callWords: { start: /exports\/add|\bstart|\badd\b/i, status: /exports\/getAll|getAll|status|\bcheck/i },
	fileKind: 'jsonl',
	zipEntryName: 'export-1.jsonl',
	rowKey: (row) => String(row.Id),
	async setUp() {
		// Three files of 100 lines; no request limits: the matrix throttles on its own terms.
		const emulator = await startMewsEmulator({ linesPerFile: 100, rateLimits: false });
		emulator.entities.generate(MEWS_TYPE, 300, { until: new Date(emulator.clock.now().getTime() - 10 * MINUTE) });
		const running = () => emulator.exports.filter((exp) => exp.Status === 'Pending' || exp.Status === 'Processing');
		const getAllDirectly = (ids: string[]) =>
			fetch(`${emulator.platformAddress}/api/connector/v1/exports/getAll`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ ClientToken: emulator.clientToken, AccessToken: emulator.accessToken, Client: 'Fault matrix 1.0', ExportIds: ids }),
			}).then((response) => response.text());
		const calls: ProviderSetup['calls'] = {
			start: { side: 'api', method: 'POST', path: /^\/api\/connector\/v1\/exports\/add$/ },
			status: { side: 'api', method: 'POST', path: /^\/api\/connector\/v1\/exports\/getAll$/ },
			download: { side: 'storage', method: 'GET', path: /^\/exports\// },
		};
		return {
			upstream: { api: emulator.platformAddress, storage: emulator.storageOrigin },
			credentials: (apiOrigin) => ({
				mewsConnectorApi: {
					type: new MewsConnectorApi(),
					data: { platform: 'custom', platformAddress: apiOrigin, clientToken: emulator.clientToken, accessToken: emulator.accessToken },
				},
			}),
			calls,
			exportNode: { node: () => new Mews(), parameters: { entityType: MEWS_TYPE } },
			triggerNode: { node: () => new MewsTrigger(), parameters: { entityType: MEWS_TYPE } },
			expectedRows: () => emulator.entities.list(MEWS_TYPE),
			jobs: () =>
				emulator.exports.map((exp) => ({
					id: exp.Id,
					finished: exp.Status !== 'Pending' && exp.Status !== 'Processing',
					empty: exp.Status === 'Success' && exp.Files.length === 0,
					downloaded: emulator.requests.some((request) => request.server === 'storage' && request.path.includes(exp.Id)),
				})),
			jobFaults: (proxy) => ({
				failed: () => emulator.faults.failExport(),
				stuck: () => emulator.faults.neverFinish(),
				expireLinks: (count) => emulator.faults.expireUrls(count),
				// An export past its ExpiresUtc is listed as Expired, its files gone.
				expired: () =>
					void proxy.addRule({
						name: 'job-expired',
						...calls.status,
						skip: 1,
						action: { kind: 'rewrite', transform: (text) => text.replace(/"Status":"\w+"/g, '"Status":"Expired"').replace(/"Files":\[[^\]]*\]/g, '"Files":[]') },
					}),
			}),
			finishJobsOnTheirOwn: async () => {
				for (let polls = 0; polls < 8 && running().length; polls++) await getAllDirectly(running().map((exp) => exp.Id));
			},
			changeRecords: (batch, count) => {
				// Mews exports changes up to 5 minutes ago by its own clock: 10 minutes pass, the
				// records change, 6 more minutes pass so the changes can be exported.
				emulator.clock.advance(10 * MINUTE);
				const keys = Array.from({ length: count }, (_, index) => String(emulator.entities.upsert(MEWS_TYPE, { Number: `B${batch}-${index + 1}`, State: 'Confirmed' }).Id));
				emulator.clock.advance(6 * MINUTE);
				return keys;
			},
			rowsNow: (keys) => keys.map((key) => emulator.entities.get(MEWS_TYPE, key) as Row),
			close: () => emulator.close(),
		};
	},
};

// ---------------------------------------------------------------------------------------------
// Rebilly: POST /organizations/{org}/experimental/data-exports, GET …/{id}, the file on a pretend S3

const REBILLY_FIELDS = ['id', 'email', 'firstName', 'lastName'];

export const rebillyProfile: ProviderProfile = {
	name: 'Rebilly',
	provider: /Rebilly/,
	callWords: { start: /data-exports|\bstart|\bcreat/i, status: /data-exports\/|status|\bGET\b/i },
	fileKind: 'csv',
	zipEntryName: 'n8n-customers-part1.csv',
	rowKey: (row) => String(row.id),
	async setUp() {
		const emulator = await startRebillyEmulator({ seed: false, rateLimit: false, pollsUntilDone: 2 });
		// Updated (two hours after their creation) at least an hour ago: a trigger watching "from now on" must not see them.
		emulator.records.generate('customers', 300, { since: new Date(Date.now() - 20 * 24 * 60 * MINUTE), until: new Date(Date.now() - 3 * 60 * MINUTE) });
		const running = () => emulator.exports.filter((exp) => exp.status !== 'completed' && exp.status !== 'failed');
		const getDirectly = (id: string) => fetch(`${emulator.baseUrl}/experimental/data-exports/${id}`, { headers: { 'REB-APIKEY': emulator.apiKey } }).then((response) => response.text());
		// CSV of a few string fields: every value as the node gives it.
		const asRow = (record: Row): Row => Object.fromEntries(REBILLY_FIELDS.map((field) => [field, record[field] === null || record[field] === undefined ? '' : String(record[field])]));
		return {
			upstream: { api: emulator.apiOrigin, storage: emulator.storageOrigin },
			credentials: (apiOrigin) => ({
				rebillyApi: { type: new RebillyApi(), data: { authType: 'apiKey', apiKey: emulator.apiKey, organizationId: emulator.organizationId, environment: 'custom', baseUrl: apiOrigin } },
			}),
			calls: {
				start: { side: 'api', method: 'POST', path: /^\/organizations\/[^/]+\/experimental\/data-exports$/ },
				status: { side: 'api', method: 'GET', path: /^\/organizations\/[^/]+\/experimental\/data-exports\/[^/]+$/ },
				download: { side: 'storage', method: 'GET', path: /^\/rebilly-data-exports\// },
			},
			exportNode: { node: () => new Rebilly(), parameters: { dataResource: 'customers', format: 'csv', withDateRange: 'all', options: { fields: REBILLY_FIELDS.join(',') } } },
			triggerNode: { node: () => new RebillyTrigger(), parameters: { dataResource: 'customers' } },
			expectedRows: () => emulator.records.list('customers').map(asRow),
			jobs: () =>
				emulator.exports.map((exp) => ({
					id: exp.id,
					finished: exp.status === 'completed' || exp.status === 'failed',
					downloaded: !!exp.fileId && emulator.requests.some((request) => request.host === 'storage' && request.path.includes(String(exp.fileId))),
				})),
			jobFaults: () => ({
				failed: () => emulator.faults.failExport('record-limit-exceeded'),
				stuck: () => emulator.faults.neverFinish(),
			}),
			finishJobsOnTheirOwn: async () => {
				for (let polls = 0; polls < 8 && running().length; polls++) for (const exp of running()) await getDirectly(exp.id);
			},
			changeRecords: (batch, count) =>
				Array.from({ length: count }, (_, index) => {
					const id = emulator.records.list('customers')[batch * count + index].id;
					emulator.records.upsert('customers', { id, email: `changed-${batch}-${index}@example.com` });
					return id;
				}),
			// The trigger exports JSON: the records as Rebilly holds them.
			rowsNow: (keys) => keys.map((key) => emulator.records.get('customers', key) as Row),
			close: () => emulator.close(),
		};
	},
};

// ---------------------------------------------------------------------------------------------
// Anduin IDM: POST /api/v1/idm/{firm}/clients/export, GET /api/v1/request/{id}, chained by cursor

export const anduinProfile: ProviderProfile = {
	name: 'Anduin',
	provider: /Anduin/,
	callWords: { start: /\/export\b|\bstart/i, status: /\/request\/|status|\bGET\b/i },
	fileKind: 'jsonl',
	zipEntryName: 'clients-export.jsonl',
	rowKey: (row) => String(row.id),
	async setUp() {
		// 100 objects per job: an export is a chain of three jobs.
		const emulator = await startAnduinIdmEmulator({ jobSizeLimit: 100, pollsUntilDone: 2, seed: { clients: 300 }, formats: { clients: 'jsonl' } });
		const active = () => emulator.jobs.filter((job) => job.status === 'Pending' || job.status === 'InProgress');
		const statusDirectly = (id: string) => fetch(`${emulator.apiOrigin}/api/v1/request/${id}`, { headers: { authorization: emulator.apiKey } }).then((response) => response.text());
		return {
			upstream: { api: emulator.apiOrigin, storage: emulator.storageOrigin },
			credentials: (apiOrigin) => ({ anduinIdmApi: { type: new AnduinIdmApi(), data: { apiKey: emulator.apiKey, firmId: emulator.firmId, baseUrl: apiOrigin } } }),
			calls: {
				start: { side: 'api', method: 'POST', path: /^\/api\/v1\/idm\/[^/]+\/clients\/export$/ },
				status: { side: 'api', method: 'GET', path: /^\/api\/v1\/request\/[^/]+$/ },
				download: { side: 'storage', method: 'GET', path: /^\/anduin-idm-exports\// },
			},
			exportNode: { node: () => new AnduinIdm(), parameters: { objectType: 'clients' } },
			triggerNode: { node: () => new AnduinIdmTrigger(), parameters: { objectType: 'clients' } },
			expectedRows: () => emulator.objects.list('clients'),
			jobs: () =>
				emulator.jobs.map((job) => ({
					id: job.requestId,
					finished: job.status === 'Completed' || job.status === 'Failed',
					downloaded: emulator.requests.some((request) => request.host === 'storage' && request.path.includes(job.requestId)),
				})),
			jobFaults: () => ({
				failed: () => emulator.faults.failNextJob('The export job failed.'),
				stuck: () => emulator.faults.neverFinish(),
			}),
			finishJobsOnTheirOwn: async () => {
				for (let polls = 0; polls < 8 && active().length; polls++) for (const job of active()) await statusDirectly(job.requestId);
			},
			changeRecords: (batch, count) =>
				Array.from({ length: count }, (_, index) => {
					const id = String(emulator.objects.list('clients')[batch * count + index].id);
					emulator.objects.upsert('clients', { id, note: `changed in batch ${batch}` });
					return id;
				}),
			rowsNow: (keys) => keys.map((key) => emulator.objects.get('clients', key) as Row),
			close: () => emulator.close(),
		};
	},
};

// ---------------------------------------------------------------------------------------------
// Async Export (HTTP), configured for HubSpot CRM exports: POST …/export/async, GET
// …/tasks/{id}/status, a CSV on a pretend S3 whose presigned link is new on every status answer

const HUBSPOT_PROPERTIES = ['email', 'firstname', 'lastname'];

export const asyncExportProfile: ProviderProfile = {
	name: 'Async Export (HubSpot)',
	// The generic node names the API by its host.
	provider: /127\.0\.0\.1:\d+|localhost:\d+/,
	callWords: { start: /export\/async\b|\bstart/i, status: /\/status\b|status|\bGET\b/i },
	fileKind: 'csv',
	zipEntryName: 'n8n contacts.csv',
	rowKey: (row) => String(row['Record ID']),
	unknownStatusValue: 'PAUSED',
	exportOnly: true,
	async setUp() {
		const emulator = await startHubSpotExportsEmulator({ pollsUntilDone: 2 });
		emulator.data.generate('contacts', 300);
		const active = () => emulator.exports.filter((record) => record.status === 'PENDING' || record.status === 'PROCESSING');
		const statusDirectly = (id: string) =>
			fetch(`${emulator.apiOrigin}/crm/v3/exports/export/async/tasks/${id}/status`, { headers: { authorization: `Bearer ${emulator.accessToken}` } }).then((response) => response.text());
		return {
			upstream: { api: emulator.apiOrigin, storage: emulator.storageOrigin },
			credentials: () => ({ asyncExportApi: { type: new AsyncExportApi(), data: { authType: 'bearer', token: emulator.accessToken, testUrl: '' } } }),
			calls: {
				start: { side: 'api', method: 'POST', path: /^\/crm\/v3\/exports\/export\/async$/ },
				status: { side: 'api', method: 'GET', path: /^\/crm\/v3\/exports\/export\/async\/tasks\/[^/]+\/status$/ },
				download: { side: 'storage', method: 'GET', path: /^\// },
			},
			exportNode: {
				node: () => new AsyncExport(),
				parameters: (apiOrigin) => ({ authentication: 'asyncExportApi', ...hubspotParameters({ ...emulator, apiOrigin }, HUBSPOT_PROPERTIES) }),
			},
			expectedRows: () =>
				emulator.data.list('contacts').map((contact) => ({
					'Record ID': contact.id,
					Email: contact.properties.email ?? '',
					'First Name': contact.properties.firstname ?? '',
					'Last Name': contact.properties.lastname ?? '',
				})),
			jobs: () =>
				emulator.exports.map((record) => ({
					id: record.id,
					finished: record.status === 'COMPLETE' || record.status === 'CANCELED',
					downloaded: emulator.storageRequests.some((request) => request.path.includes(`/${record.id}/`)),
				})),
			jobFaults: () => ({
				failed: () => emulator.faults.failJob('The export failed.'),
				stuck: () => emulator.faults.neverFinish(),
				expireLinks: (count) => emulator.faults.expireUrls(count),
			}),
			finishJobsOnTheirOwn: async () => {
				for (let polls = 0; polls < 8 && active().length; polls++) for (const record of active()) await statusDirectly(record.id);
			},
			close: () => emulator.close(),
		};
	},
};

export const PROFILES: Record<string, ProviderProfile> = {
	[fourMeProfile.name]: fourMeProfile,
	[mewsProfile.name]: mewsProfile,
	[rebillyProfile.name]: rebillyProfile,
	[anduinProfile.name]: anduinProfile,
	[asyncExportProfile.name]: asyncExportProfile,
};
