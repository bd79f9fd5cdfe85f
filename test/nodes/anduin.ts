// Shared setup for the Anduin IDM node tests: the built nodes and credential (what n8n loads),
// and credentials that point at the emulator.
import type { ICredentialDataDecryptedObject, IDataObject, INodeParameters } from 'n8n-workflow';

import type { AnduinIdmEmulator } from '../emulators/anduin-idm';
import { executeNode, pollTrigger, type TestCredentials } from '../helpers/n8n';

type NodeModule = typeof import('../../nodes/AnduinIdm/AnduinIdm.node');
type TriggerModule = typeof import('../../nodes/AnduinIdm/AnduinIdmTrigger.node');
type CredentialModule = typeof import('../../credentials/AnduinIdmApi.credentials');

// The bundles in dist/, as n8n loads them (built by `npm test` before the tests run).
export const { AnduinIdm } = require('../../dist/nodes/AnduinIdm/AnduinIdm.node.js') as NodeModule;
export const { AnduinIdmTrigger } = require('../../dist/nodes/AnduinIdm/AnduinIdmTrigger.node.js') as TriggerModule;
export const { AnduinIdmApi } = require('../../dist/credentials/AnduinIdmApi.credentials.js') as CredentialModule;

export function credentialData(emulator: AnduinIdmEmulator, overrides: ICredentialDataDecryptedObject = {}): ICredentialDataDecryptedObject {
	return { apiKey: emulator.apiKey, firmId: emulator.firmId, baseUrl: emulator.apiOrigin, ...overrides };
}

export function credentialsFor(emulator: AnduinIdmEmulator, overrides: ICredentialDataDecryptedObject = {}): TestCredentials {
	return { anduinIdmApi: { type: new AnduinIdmApi(), data: credentialData(emulator, overrides) } };
}

/** Status checks every 20–50 ms and a 1 s network timeout, so tests do not wait out the production schedule. */
export const fastPolling: IDataObject = { firstPollSeconds: 0.02, maxPollSeconds: 0.05, networkTimeoutSeconds: 1 };

type RunExtra = Partial<Parameters<typeof executeNode>[0]> & { credentialOverrides?: ICredentialDataDecryptedObject };

export async function runAnduin(emulator: AnduinIdmEmulator, parameters: INodeParameters, extra: RunExtra = {}) {
	const { credentialOverrides, ...rest } = extra;
	const options = { ...fastPolling, ...((parameters.options as IDataObject | undefined) ?? {}) };
	return executeNode({
		node: new AnduinIdm(),
		parameters: { ...parameters, options: options as INodeParameters },
		credentials: credentialsFor(emulator, credentialOverrides),
		...rest,
	});
}

export async function pollAnduin(
	emulator: AnduinIdmEmulator,
	parameters: INodeParameters,
	staticData: IDataObject,
	mode: 'trigger' | 'manual' = 'trigger',
) {
	return pollTrigger({
		node: new AnduinIdmTrigger(),
		parameters: { ...parameters, options: { ...fastPolling, ...((parameters.options as IDataObject) ?? {}) } as INodeParameters },
		credentials: credentialsFor(emulator),
		mode,
		staticData,
	});
}

/** Starts an export as another client of the same user would (outside n8n). */
export async function startOutside(emulator: AnduinIdmEmulator, objectType: string, apiKey = emulator.apiKey): Promise<{ status: number; body: IDataObject }> {
	const response = await fetch(`${emulator.apiOrigin}/api/v1/idm/${emulator.firmId}/${objectType}/export`, {
		method: 'POST',
		headers: { authorization: apiKey, 'content-type': 'application/json' },
		body: '{}',
	});
	return { status: response.status, body: (await response.json()) as IDataObject };
}

/** Resolves once the emulator has at least `count` jobs (a test arms a fault for the next one). */
export async function whenJobs(emulator: AnduinIdmEmulator, count: number, timeoutMs = 20_000): Promise<void> {
	await until(() => emulator.jobs.length >= count, timeoutMs, `${count} jobs`);
}

/** Resolves once the API has refused `count` more requests with `status` from now on. */
export async function whenRefused(emulator: AnduinIdmEmulator, status: number, count: number, timeoutMs = 20_000): Promise<void> {
	const from = emulator.requests.length;
	await until(() => emulator.requests.slice(from).filter((request) => request.host === 'api' && request.status === status).length >= count, timeoutMs, `${count} × HTTP ${status}`);
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 2));
	}
}

/** Ends every job still Pending or InProgress, so the next test finds the user's slot free. */
export function freeUser(emulator: AnduinIdmEmulator): void {
	for (const job of emulator.jobs) if (job.status === 'Pending' || job.status === 'InProgress') emulator.finishJob(job.requestId);
}

/**
 * Expires every file URL issued so far the moment the `nth` download arrives (before the storage
 * checks it), as a URL that runs out between the status answer and the download. Returns a restore.
 */
export function expireOnNextDownload(emulator: AnduinIdmEmulator, nth = 1): () => void {
	const log = emulator.requests;
	const push = log.push;
	let seen = 0;
	log.push = function (this: typeof log, ...entries: typeof log) {
		for (const entry of entries) if (entry.host === 'storage' && ++seen === nth) emulator.faults.expireFileUrls();
		return push.apply(this, entries);
	};
	return () => {
		log.push = push;
	};
}
