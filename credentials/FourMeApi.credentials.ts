import type {
	IAuthenticate,
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
} from 'n8n-workflow';

// The 4me instances (4me is now also branded Xurrent: same API, both host names work).
// Source: developer.4me.com/v1/ and the Xurrent REST API introduction.
const INSTANCES = [
	{ name: '4me Production (Global)', value: 'https://api.4me.com/v1' },
	{ name: '4me Production (Australia)', value: 'https://api.au.4me.com/v1' },
	{ name: '4me Production (Switzerland)', value: 'https://api.ch.4me.com/v1' },
	{ name: '4me Production (United Kingdom)', value: 'https://api.uk.4me.com/v1' },
	{ name: '4me Production (United States)', value: 'https://api.us.4me.com/v1' },
	{ name: '4me Quality Assurance (Global)', value: 'https://api.4me.qa/v1' },
	{ name: '4me Quality Assurance (Australia)', value: 'https://api.au.4me.qa/v1' },
	{ name: '4me Quality Assurance (Switzerland)', value: 'https://api.ch.4me.qa/v1' },
	{ name: '4me Quality Assurance (United Kingdom)', value: 'https://api.uk.4me.qa/v1' },
	{ name: '4me Quality Assurance (United States)', value: 'https://api.us.4me.qa/v1' },
	{ name: '4me Demo', value: 'https://api.4me-demo.com/v1' },
	{ name: 'Xurrent Production (Global)', value: 'https://api.xurrent.com/v1' },
	{ name: 'Xurrent Production (Australia)', value: 'https://api.au.xurrent.com/v1' },
	{ name: 'Xurrent Production (Switzerland)', value: 'https://api.ch.xurrent.com/v1' },
	{ name: 'Xurrent Production (United Kingdom)', value: 'https://api.uk.xurrent.com/v1' },
	{ name: 'Xurrent Production (United States)', value: 'https://api.us.xurrent.com/v1' },
	{ name: 'Xurrent Quality Assurance', value: 'https://api.xurrent.qa/v1' },
	{ name: 'Xurrent Demo', value: 'https://api.xurrent-demo.com/v1' },
	{ name: 'Custom URL', value: 'custom' },
];

export class FourMeApi implements ICredentialType {
	name = 'fourMeApi';

	displayName = '4me (Xurrent) API';

	icon = { light: 'file:../nodes/FourMe/fourme.svg', dark: 'file:../nodes/FourMe/fourme.dark.svg' } as const;

	documentationUrl = 'https://developer.4me.com/v1/';

	properties: INodeProperties[] = [
		{
			displayName: 'Personal Access Token',
			name: 'token',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'Create one in 4me under My Profile > Personal Access Tokens, with the scopes Export - Create and Import - Create for the accounts you need. Exports need the Account Administrator role.',
		},
		{
			displayName: 'Account ID',
			name: 'account',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'wdc',
			description: 'The ID of the 4me account to work in (shown in its URL, e.g. wdc in wdc.4me.com)',
		},
		{
			displayName: 'Instance',
			name: 'instance',
			type: 'options',
			options: INSTANCES,
			default: 'https://api.4me.com/v1',
			description: 'The 4me or Xurrent environment and region of the account',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'https://api.example.com/v1',
			description: 'The REST API address including /v1, for a proxy or an on-premise instance',
			displayOptions: { show: { instance: ['custom'] } },
		},
	];

	// A function rather than the generic form: the account header is named after the brand of the host.
	authenticate: IAuthenticate = async (
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> => {
		const accountHeader = /xurrent/i.test(fourMeBaseUrl(credentials)) ? 'X-Xurrent-Account' : 'X-4me-Account';
		return {
			...requestOptions,
			headers: {
				...requestOptions.headers,
				Authorization: `Bearer ${credentials.token as string}`,
				[accountHeader]: credentials.account as string,
			},
		};
	};

	// GET /me needs only a valid token with access to the account.
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.instance === "custom" ? $credentials.baseUrl.replace(/\\/+$/, "") : $credentials.instance}}',
			url: '/me',
			method: 'GET',
		},
	};
}

/** The API base URL of a 4me credential, without a trailing slash. */
export function fourMeBaseUrl(credentials: ICredentialDataDecryptedObject): string {
	const base = credentials.instance === 'custom' ? String(credentials.baseUrl ?? '') : String(credentials.instance ?? '');
	return base.replace(/\/+$/, '');
}
