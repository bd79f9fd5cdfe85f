// Shared setup for the 4me node tests: the built node and credential (what n8n loads), and
// credentials that point at the emulator.
import type { ICredentialDataDecryptedObject, IDataObject, INodeParameters } from 'n8n-workflow';

import type { FourMeEmulator } from '../emulators/fourme';
import { executeNode, type TestCredentials } from '../helpers/n8n';

type NodeModule = typeof import('../../nodes/FourMe/FourMe.node');
type CredentialModule = typeof import('../../credentials/FourMeApi.credentials');

// The bundles in dist/, as n8n loads them (built by `npm test` before the tests run).
export const { FourMe } = require('../../dist/nodes/FourMe/FourMe.node.js') as NodeModule;
export const { FourMeApi } = require('../../dist/credentials/FourMeApi.credentials.js') as CredentialModule;

export function credentialData(emulator: FourMeEmulator, overrides: ICredentialDataDecryptedObject = {}): ICredentialDataDecryptedObject {
	return { token: emulator.token, account: emulator.account, instance: 'custom', baseUrl: emulator.apiUrl, ...overrides };
}

export function credentialsFor(emulator: FourMeEmulator, overrides: ICredentialDataDecryptedObject = {}): TestCredentials {
	return { fourMeApi: { type: new FourMeApi(), data: credentialData(emulator, overrides) } };
}

/** Status checks every 20–50 ms so tests do not wait out the production schedule. */
export const fastPolling: IDataObject = { firstPollSeconds: 0.02, maxPollSeconds: 0.05 };

export async function runFourMe(
	emulator: FourMeEmulator,
	parameters: INodeParameters,
	extra: Partial<Parameters<typeof executeNode>[0]> & { credentialOverrides?: ICredentialDataDecryptedObject } = {},
) {
	const { credentialOverrides, ...rest } = extra;
	const options = { ...fastPolling, ...((parameters.options as IDataObject | undefined) ?? {}) };
	return executeNode({
		node: new FourMe(),
		parameters: { ...parameters, options: options as INodeParameters },
		credentials: credentialsFor(emulator, credentialOverrides),
		...rest,
	});
}
