// Shared setup for the Rebilly node tests: the built nodes and credential (what n8n loads), and
// credentials that point at the emulator.
import type { ICredentialDataDecryptedObject, IDataObject, INodeParameters } from 'n8n-workflow';

import type { RebillyEmulator } from '../emulators/rebilly';
import { executeNode, pollTrigger, type TestCredentials } from '../helpers/n8n';

type NodeModule = typeof import('../../nodes/Rebilly/Rebilly.node');
type TriggerModule = typeof import('../../nodes/Rebilly/RebillyTrigger.node');
type CredentialModule = typeof import('../../credentials/RebillyApi.credentials');

export const { Rebilly } = require('../../dist/nodes/Rebilly/Rebilly.node.js') as NodeModule;
export const { RebillyTrigger } = require('../../dist/nodes/Rebilly/RebillyTrigger.node.js') as TriggerModule;
export const { RebillyApi } = require('../../dist/credentials/RebillyApi.credentials.js') as CredentialModule;

export function credentialData(emulator: RebillyEmulator, overrides: ICredentialDataDecryptedObject = {}): ICredentialDataDecryptedObject {
	return { authType: 'apiKey', apiKey: emulator.apiKey, organizationId: emulator.organizationId, environment: 'custom', baseUrl: emulator.apiOrigin, ...overrides };
}

export function credentialsFor(emulator: RebillyEmulator, overrides: ICredentialDataDecryptedObject = {}): TestCredentials {
	return { rebillyApi: { type: new RebillyApi(), data: credentialData(emulator, overrides) } };
}

/** Status checks every 20–50 ms so tests do not wait out the production schedule. */
export const fastPolling: IDataObject = { firstPollSeconds: 0.02, maxPollSeconds: 0.05 };

type RunExtra = Partial<Parameters<typeof executeNode>[0]> & { credentialOverrides?: ICredentialDataDecryptedObject };

export async function runRebilly(emulator: RebillyEmulator, parameters: INodeParameters, extra: RunExtra = {}) {
	const { credentialOverrides, ...rest } = extra;
	const options = { ...fastPolling, ...((parameters.options as IDataObject | undefined) ?? {}) };
	return executeNode({
		node: new Rebilly(),
		parameters: { ...parameters, options: options as INodeParameters },
		credentials: credentialsFor(emulator, credentialOverrides),
		...rest,
	});
}

export async function pollRebilly(emulator: RebillyEmulator, parameters: INodeParameters, staticData: IDataObject, mode: 'trigger' | 'manual' = 'trigger') {
	return pollTrigger({
		node: new RebillyTrigger(),
		parameters: { ...parameters, options: { ...fastPolling, ...((parameters.options as IDataObject) ?? {}) } as INodeParameters },
		credentials: credentialsFor(emulator),
		mode,
		staticData,
	});
}

/** Calls the emulator as another client would (a recurring export made in Rebilly's own app). */
export async function callRebilly<T = IDataObject>(emulator: RebillyEmulator, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
	const response = await fetch(`${emulator.baseUrl}${path}`, {
		method,
		headers: { 'REB-APIKEY': emulator.apiKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await response.text();
	return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
}
