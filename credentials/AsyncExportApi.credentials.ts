import type {
	IAuthenticate,
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
} from 'n8n-workflow';

// The generic node's credential: the usual ways an export API takes a key. (A community node may
// use only credentials of its own package, so n8n's Header/Bearer/Basic/Query Auth are mirrored here.)
export class AsyncExportApi implements ICredentialType {
	name = 'asyncExportApi';

	displayName = 'Async Export (HTTP) API';

	icon = { light: 'file:../nodes/AsyncExport/asyncExport.svg', dark: 'file:../nodes/AsyncExport/asyncExport.dark.svg' } as const;

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-bulk-export#async-export-http';

	properties: INodeProperties[] = [
		{
			displayName: 'Authentication',
			name: 'authType',
			type: 'options',
			options: [
				{ name: 'Bearer Token', value: 'bearer', description: 'Authorization: Bearer <token>' },
				{ name: 'Header', value: 'header', description: 'A header of your choice, e.g. X-API-Key or X-Shopify-Access-Token' },
				{ name: 'Basic Auth', value: 'basic', description: 'A user name and a password' },
				{ name: 'Query Parameter', value: 'query', description: 'A key in the query string, e.g. ?api_key=…' },
			],
			default: 'bearer',
		},
		{
			displayName: 'Token',
			name: 'token',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			displayOptions: { show: { authType: ['bearer'] } },
		},
		{
			displayName: 'Name',
			name: 'keyName',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'X-API-Key',
			description: 'The header or query parameter that carries the key',
			displayOptions: { show: { authType: ['header', 'query'] } },
		},
		{
			displayName: 'Value',
			name: 'apiKeySecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			displayOptions: { show: { authType: ['header', 'query'] } },
		},
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: '',
			required: true,
			displayOptions: { show: { authType: ['basic'] } },
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			displayOptions: { show: { authType: ['basic'] } },
		},
		{
			displayName: 'Test URL',
			name: 'testUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'https://api.example.com/v1/me',
			description: 'An address of the API that answers 2xx to an authenticated GET, for the credential test',
		},
	];

	authenticate: IAuthenticate = async (credentials: ICredentialDataDecryptedObject, requestOptions: IHttpRequestOptions): Promise<IHttpRequestOptions> => {
		switch (credentials.authType) {
			case 'header':
				return { ...requestOptions, headers: { ...requestOptions.headers, [String(credentials.keyName)]: String(credentials.apiKeySecret) } };
			case 'query':
				return { ...requestOptions, qs: { ...requestOptions.qs, [String(credentials.keyName)]: String(credentials.apiKeySecret) } };
			case 'basic':
				return { ...requestOptions, auth: { username: String(credentials.user), password: String(credentials.password) } };
			default:
				return { ...requestOptions, headers: { ...requestOptions.headers, Authorization: `Bearer ${String(credentials.token)}` } };
		}
	};

	test: ICredentialTestRequest = {
		request: { url: '={{$credentials.testUrl}}', method: 'GET' },
	};
}
