import type { ICredentialType, INodeProperties } from 'n8n-workflow';

// OAuth2 for the generic node (Salesforce, HubSpot, Zendesk, Shopify apps…): n8n's own OAuth2
// credential does the authorization and refreshes the token.
export class AsyncExportOAuth2Api implements ICredentialType {
	name = 'asyncExportOAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'Async Export (HTTP) OAuth2 API';

	icon = { light: 'file:../nodes/AsyncExport/asyncExport.svg', dark: 'file:../nodes/AsyncExport/asyncExport.dark.svg' } as const;

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-bulk-export#async-export-http';

	properties: INodeProperties[] = [];
}
