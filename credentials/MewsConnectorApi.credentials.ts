import type {
	IAuthenticate,
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
} from 'n8n-workflow';

import { PACKAGE_VERSION } from '../nodes/shared/version';

// Source: docs.mews.com/connector-api/guidelines/environments
const PLATFORMS = [
	{ name: 'Production', value: 'https://api.mews.com', description: 'api.mews.com' },
	{ name: 'Demo', value: 'https://api.mews-demo.com', description: 'api.mews-demo.com, with the public demo tokens from the Mews docs' },
	{ name: 'Custom Address', value: 'custom' },
];

export const DEFAULT_CLIENT_NAME = `n8n-nodes-bulk-export ${PACKAGE_VERSION}`;

export class MewsConnectorApi implements ICredentialType {
	name = 'mewsConnectorApi';

	displayName = 'Mews Connector API';

	icon = { light: 'file:../nodes/Mews/mews.svg', dark: 'file:../nodes/Mews/mews.dark.svg' } as const;

	documentationUrl = 'https://docs.mews.com/connector-api/guidelines/authentication';

	properties: INodeProperties[] = [
		{
			displayName: 'Platform',
			name: 'platform',
			type: 'options',
			options: PLATFORMS,
			default: 'https://api.mews.com',
		},
		{
			displayName: 'Platform Address',
			name: 'platformAddress',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'https://api.mews.com',
			description: 'The address the Connector API paths start from (…/api/connector/v1 is added)',
			displayOptions: { show: { platform: ['custom'] } },
		},
		{
			displayName: 'Client Token',
			name: 'clientToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'The token Mews gave your integration (the same on every property)',
		},
		{
			displayName: 'Access Token',
			name: 'accessToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'The token of the property (or, a Portfolio Access Token, of a group of properties) that connected your integration. Exports are a restricted beta: partnersuccess@mews.com enables them.',
		},
		{
			displayName: 'Client Name',
			name: 'client',
			type: 'string',
			default: DEFAULT_CLIENT_NAME,
			required: true,
			description: 'Name and version of your integration, sent with every request as Mews asks',
		},
	];

	// Mews reads the tokens from the JSON body of every request (all calls are POST), not from headers.
	authenticate: IAuthenticate = async (
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> => {
		const body = requestOptions.body && typeof requestOptions.body === 'object' ? requestOptions.body : {};
		return {
			...requestOptions,
			body: {
				...body,
				ClientToken: credentials.clientToken as string,
				AccessToken: credentials.accessToken as string,
				Client: (credentials.client as string) || DEFAULT_CLIENT_NAME,
			},
		};
	};

	// configuration/get works for every valid token, with or without export access.
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.platform === "custom" ? $credentials.platformAddress.replace(/\\/+$/, "") : $credentials.platform}}',
			url: '/api/connector/v1/configuration/get',
			method: 'POST',
			body: {},
			json: true,
		},
	};
}

/** The platform address of a Mews credential, without a trailing slash. */
export function mewsPlatformAddress(credentials: ICredentialDataDecryptedObject): string {
	const base = credentials.platform === 'custom' ? String(credentials.platformAddress ?? '') : String(credentials.platform ?? '');
	return base.replace(/\/+$/, '');
}
