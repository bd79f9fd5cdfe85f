import type { IDataObject, IHttpRequestMethods, IHttpRequestOptions } from 'n8n-workflow';

import { fourMeBaseUrl } from '../../../credentials/FourMeApi.credentials';
import { apiRequest, messageOf, type ApiResponse } from '../../shared/http';
import type { EngineContext } from '../../shared/types';

export const CREDENTIAL_TYPE = 'fourMeApi';

export async function fourMeBase(ctx: EngineContext): Promise<{ baseUrl: string; account: string }> {
	const credentials = await ctx.getCredentials(CREDENTIAL_TYPE);
	return { baseUrl: fourMeBaseUrl(credentials), account: String(credentials.account ?? '') };
}

export interface FourMeRequest {
	method: IHttpRequestMethods;
	path: string;
	body?: IHttpRequestOptions['body'];
	headers?: IDataObject;
	acceptStatus?: number[];
	errorContext?: string;
	/** See ApiRequestOptions.notIdempotent. */
	notIdempotent?: boolean;
}

/** An authenticated 4me API request, with 4me's errors explained. */
export async function fourMeRequest<T = IDataObject>(ctx: EngineContext, request: FourMeRequest): Promise<ApiResponse<T>> {
	const { baseUrl, account } = await fourMeBase(ctx);
	return apiRequest<T>(ctx, {
		provider: '4me',
		credentialType: CREDENTIAL_TYPE,
		method: request.method,
		url: `${baseUrl}${request.path}`,
		body: request.body,
		headers: request.headers,
		acceptStatus: request.acceptStatus,
		errorContext: request.errorContext,
		notIdempotent: request.notIdempotent,
		explainError: (statusCode, body) => explainFourMeError(statusCode, body, account),
	});
}

function explainFourMeError(statusCode: number, body: unknown, account: string) {
	const message = messageOf(body);
	switch (statusCode) {
		case 401:
			return {
				message: '4me did not accept the personal access token',
				description: 'Check the token in the 4me credential: it may be mistyped, expired or revoked.',
			};
		case 403:
			return {
				message: `The personal access token may not do this in account "${account}"`,
				description: `Give the token the scopes "Export - Create" (and "Import - Create" for imports) for this account; its user needs the Account Administrator role.${message ? ` 4me said: ${message}` : ''}`,
			};
		case 404:
			return {
				message: message?.toLowerCase().includes('account') ? `4me account "${account}" was not found` : `4me answered 404 Not Found${message ? `: ${message}` : ''}`,
				description: 'Check the Account ID and the Instance (region) in the 4me credential.',
			};
		case 400:
		case 422:
			return { message: `4me refused the request: ${detailsOf(body) ?? message ?? `HTTP ${statusCode}`}` };
		case 429:
			return {
				message: '4me kept answering "Too Many Requests" (rate limit)',
				description: 'The account\'s API rate limit was used up. The node waited as 4me asked and gave up; try again later.',
			};
		default:
			return undefined;
	}
}

/** 4me's 422 bodies list field errors as [[field, message], ...]. */
function detailsOf(body: unknown): string | undefined {
	const errors = (body as { errors?: unknown } | undefined)?.errors;
	if (!Array.isArray(errors) || !errors.length) return undefined;
	return errors.map((entry) => (Array.isArray(entry) ? entry.join(': ') : String(entry))).join('; ');
}
