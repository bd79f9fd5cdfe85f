import type {
	IAuthenticate,
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
} from 'n8n-workflow';

// Rebilly/api-definitions openapi.yaml: servers and security schemes (SecretApiKey, JWT).
const ENVIRONMENTS = [
	{ name: 'Live', value: 'https://api.rebilly.com', description: 'api.rebilly.com' },
	{ name: 'Sandbox', value: 'https://api-sandbox.rebilly.com', description: 'api-sandbox.rebilly.com' },
	{ name: 'Custom URL', value: 'custom' },
];

export class RebillyApi implements ICredentialType {
	name = 'rebillyApi';

	displayName = 'Rebilly API';

	icon = { light: 'file:../nodes/Rebilly/rebilly.svg', dark: 'file:../nodes/Rebilly/rebilly.dark.svg' } as const;

	documentationUrl = 'https://www.rebilly.com/docs/dev-docs/api-keys';

	properties: INodeProperties[] = [
		{
			displayName: 'Authentication',
			name: 'authType',
			type: 'options',
			options: [
				{ name: 'Secret API Key', value: 'apiKey', description: 'Sent as the REB-APIKEY header' },
				{ name: 'JWT', value: 'jwt', description: 'A JSON Web Token, sent as Authorization: Bearer' },
			],
			default: 'apiKey',
		},
		{
			displayName: 'Secret API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'Create one in Rebilly under Automations > Development > API keys: a secret key (sk_…), not a publishable one',
			displayOptions: { show: { authType: ['apiKey'] } },
		},
		{
			displayName: 'JWT',
			name: 'jwtToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			displayOptions: { show: { authType: ['jwt'] } },
		},
		{
			displayName: 'Organization ID',
			name: 'organizationId',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'org_01HXYZ…',
			description: 'The organization the data exports belong to (Settings > Organizations in Rebilly); every path starts with it',
		},
		{
			displayName: 'Environment',
			name: 'environment',
			type: 'options',
			options: ENVIRONMENTS,
			default: 'https://api-sandbox.rebilly.com',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'https://api.example.com',
			description: 'The API address without /organizations/…, for a proxy',
			displayOptions: { show: { environment: ['custom'] } },
		},
	];

	// A function rather than the generic form: the header depends on the kind of key.
	authenticate: IAuthenticate = async (
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> => {
		const header: Record<string, string> =
			credentials.authType === 'jwt' ? { Authorization: `Bearer ${credentials.jwtToken as string}` } : { 'REB-APIKEY': credentials.apiKey as string };
		return { ...requestOptions, headers: { ...requestOptions.headers, ...header } };
	};

	// Listing one data export needs a valid key with access to the organization's exports.
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{($credentials.environment === "custom" ? $credentials.baseUrl : $credentials.environment).replace(/\\/+$/, "") + "/organizations/" + encodeURIComponent($credentials.organizationId)}}',
			url: '/experimental/data-exports',
			qs: { limit: 1 },
			method: 'GET',
		},
	};
}

/** The organization's API base of a Rebilly credential: `<host>/organizations/<id>`. */
export function rebillyOrganizationUrl(credentials: ICredentialDataDecryptedObject): string {
	const host = credentials.environment === 'custom' ? String(credentials.baseUrl ?? '') : String(credentials.environment ?? '');
	return `${host.replace(/\/+$/, '')}/organizations/${encodeURIComponent(String(credentials.organizationId ?? ''))}`;
}
