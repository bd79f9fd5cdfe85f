import type {
	IAuthenticateGeneric,
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

// Source: developers.anduintransact.com/docs/authentication-copy (the key as it is in
// Authorization, no scheme) and the API reference pages (host https://api.anduin.app).
export const ANDUIN_DEFAULT_BASE_URL = 'https://api.anduin.app';

export class AnduinIdmApi implements ICredentialType {
	name = 'anduinIdmApi';

	displayName = 'Anduin IDM API';

	icon = { light: 'file:../nodes/AnduinIdm/anduin.svg', dark: 'file:../nodes/AnduinIdm/anduin.dark.svg' } as const;

	documentationUrl = 'https://developers.anduintransact.com/docs/authentication-copy';

	properties: INodeProperties[] = [
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			placeholder: 'anduin_api_key_…',
			description: 'The key Anduin customer success issued for your user. Each user may have one export job running at a time.',
		},
		{
			displayName: 'Firm ID',
			name: 'firmId',
			type: 'string',
			default: '',
			required: true,
			description: 'The ID of the IDM firm to export from (the {firmId} of the API paths)',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: ANDUIN_DEFAULT_BASE_URL,
			required: true,
			description: 'The API address the /api/v1/… paths start from; change it only for another Anduin environment or a proxy',
		},
	];

	// Anduin reads the key as it is: "Authorization: anduin_api_key_…", without "Bearer".
	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: { Authorization: '={{$credentials.apiKey}}' },
		},
	};

	// Anduin documents no "who am I" call. Listing one contact of the firm is cheap and checks the
	// key and the firm ID together (a firm the key cannot use answers 403); GET /api/v1/request/<id>
	// with a made-up id would only check the key, and needs its 404 read as success.
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}',
			url: '=/api/v1/idm/{{encodeURIComponent($credentials.firmId.trim())}}/contacts',
			qs: { offset: 0, first: 1 },
			method: 'GET',
		},
	};
}

/** The API address of an Anduin credential, without a trailing slash. */
export function anduinBaseUrl(credentials: ICredentialDataDecryptedObject): string {
	const base = String(credentials.baseUrl ?? '').trim() || ANDUIN_DEFAULT_BASE_URL;
	return base.replace(/\/+$/, '');
}

/** The firm ID of an Anduin credential, trimmed. */
export function anduinFirmId(credentials: ICredentialDataDecryptedObject): string {
	return String(credentials.firmId ?? '').trim();
}
