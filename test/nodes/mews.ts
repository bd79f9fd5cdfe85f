// Shared setup for the Mews node tests: the built nodes and credential (what n8n loads), and
// credentials that point at the emulator.
import type { ICredentialDataDecryptedObject, IDataObject, INodeParameters } from 'n8n-workflow';

import type { MewsEmulator } from '../emulators/mews';
import { executeNode, pollTrigger, type TestCredentials } from '../helpers/n8n';

type NodeModule = typeof import('../../nodes/Mews/Mews.node');
type TriggerModule = typeof import('../../nodes/Mews/MewsTrigger.node');
type CredentialModule = typeof import('../../credentials/MewsConnectorApi.credentials');

// The bundles in dist/, as n8n loads them (built by `npm test` before the tests run).
export const { Mews } = require('../../dist/nodes/Mews/Mews.node.js') as NodeModule;
export const { MewsTrigger } = require('../../dist/nodes/Mews/MewsTrigger.node.js') as TriggerModule;
export const { MewsConnectorApi } = require('../../dist/credentials/MewsConnectorApi.credentials.js') as CredentialModule;

export function credentialData(emulator: MewsEmulator, overrides: ICredentialDataDecryptedObject = {}): ICredentialDataDecryptedObject {
	return {
		platform: 'custom',
		platformAddress: emulator.platformAddress,
		clientToken: emulator.clientToken,
		accessToken: emulator.accessToken,
		...overrides,
	};
}

export function credentialsFor(emulator: MewsEmulator, overrides: ICredentialDataDecryptedObject = {}): TestCredentials {
	return { mewsConnectorApi: { type: new MewsConnectorApi(), data: credentialData(emulator, overrides) } };
}

/** Status checks every 20–50 ms so tests do not wait out the production schedule. */
export const fastPolling: IDataObject = { firstPollSeconds: 0.02, maxPollSeconds: 0.05 };

type RunExtra = Partial<Parameters<typeof executeNode>[0]> & { credentialOverrides?: ICredentialDataDecryptedObject };

export async function runMews(emulator: MewsEmulator, parameters: INodeParameters, extra: RunExtra = {}) {
	const { credentialOverrides, ...rest } = extra;
	const options = { ...fastPolling, ...((parameters.options as IDataObject | undefined) ?? {}) };
	return executeNode({
		node: new Mews(),
		parameters: { ...parameters, options: options as INodeParameters },
		credentials: credentialsFor(emulator, credentialOverrides),
		...rest,
	});
}

export async function pollMews(
	emulator: MewsEmulator,
	parameters: INodeParameters,
	staticData: IDataObject,
	mode: 'trigger' | 'manual' = 'trigger',
) {
	return pollTrigger({
		node: new MewsTrigger(),
		parameters: { ...parameters, options: { ...fastPolling, ...((parameters.options as IDataObject) ?? {}) } as INodeParameters },
		credentials: credentialsFor(emulator),
		mode,
		staticData,
	});
}

/** Calls the emulator as another client would (e.g. an export started outside n8n). */
export async function callMews<T = IDataObject>(emulator: MewsEmulator, operation: string, body: IDataObject, accessToken = emulator.accessToken): Promise<{ status: number; body: T }> {
	const response = await fetch(`${emulator.platformAddress}/api/connector/v1/${operation}`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ ClientToken: emulator.clientToken, AccessToken: accessToken, Client: 'Other client 1.0', ...body }),
	});
	return { status: response.status, body: (await response.json()) as T };
}
