import type { IDataObject } from 'n8n-workflow';

import { mewsPlatformAddress } from '../../../credentials/MewsConnectorApi.credentials';
import { apiRequest, messageOf, type ApiResponse, type ErrorExplainer } from '../../shared/http';
import type { EngineContext } from '../../shared/types';

export const MEWS_CREDENTIAL = 'mewsConnectorApi';

export interface MewsRequestOptions {
	/** Statuses other than 2xx the caller handles itself. */
	acceptStatus?: number[];
	/** Added to every error, e.g. the export id so the user can resume. */
	errorContext?: string;
}

/**
 * One Connector API call: always a POST with a JSON body; the credential adds the client
 * token, access token and client name to the body, so they never pass through node parameters.
 */
export async function mewsRequest<T>(
	ctx: EngineContext,
	operation: string,
	body: IDataObject,
	options: MewsRequestOptions = {},
): Promise<ApiResponse<T>> {
	const credentials = await ctx.getCredentials(MEWS_CREDENTIAL);
	return apiRequest<T>(ctx, {
		provider: 'Mews',
		credentialType: MEWS_CREDENTIAL,
		method: 'POST',
		url: `${mewsPlatformAddress(credentials)}/api/connector/v1/${operation}`,
		body,
		acceptStatus: options.acceptStatus,
		explainError: explainMewsError,
		errorContext: options.errorContext,
	});
}

/** Mews's error codes (docs.mews.com/connector-api/guidelines/responses) in words a user can act on. */
export const explainMewsError: ErrorExplainer = (statusCode, body) => {
	const explained = explainStatus(statusCode, body);
	if (!explained) return undefined;
	// Details (development environments only) and the request id help Mews support find the call.
	const fields = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
	const extra = [
		typeof fields.Details === 'string' && fields.Details ? `Details: ${fields.Details.slice(0, 500)}` : undefined,
		typeof fields.RequestId === 'string' && fields.RequestId ? `Mews request ID: ${fields.RequestId}.` : undefined,
	].filter(Boolean);
	return extra.length ? { ...explained, description: [explained.description, ...extra].filter(Boolean).join(' ') } : explained;
};

function explainStatus(statusCode: number, body: unknown): { message: string; description?: string } | undefined {
	const said = messageOf(body);
	const quoted = said ? ` Mews said: "${said}"` : '';
	switch (statusCode) {
		case 400:
			return { message: `Mews rejected the request${said ? `: ${said}` : ''}` };
		case 401:
			return {
				message: 'Mews refused the credential (HTTP 401)',
				description:
					'Check the Client Token, Access Token and Platform of the credential (demo tokens work only on the demo platform). ' +
					'If other Mews calls work with these tokens, your integration has no access to exports yet: exports are a restricted beta that partnersuccess@mews.com enables.' +
					quoted,
			};
		case 403:
			return { message: `Mews refused the request${said ? `: ${said}` : ' (HTTP 403)'}`, description: 'A Mews business rule forbids it for this property or token.' };
		case 408:
			return {
				message: 'The request was too heavy for Mews (HTTP 408)',
				description: `Narrow the export: fewer enterprises or chains in the scope, or a shorter updated-time range.${quoted}`,
			};
		case 429:
			return {
				message: 'Mews kept answering "too many requests" (HTTP 429)',
				description: `Mews limits the requests per access token (200 per 30 seconds at the time of writing), shared by every integration using the token. Check status less often (Options > Max Wait Between Status Checks) or poll less often.${quoted}`,
			};
		default:
			return undefined;
	}
}
