import type { IDataObject, IHttpRequestMethods } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { anduinBaseUrl, anduinFirmId } from '../../../credentials/AnduinIdmApi.credentials';
import { apiRequest, messageOf, type ApiResponse, type ErrorExplainer } from '../../shared/http';
import type { EngineContext } from '../../shared/types';

export const ANDUIN_CREDENTIAL = 'anduinIdmApi';

export interface AnduinRequestOptions {
	method: IHttpRequestMethods;
	/** The path after the base URL; `{firmId}` is replaced by the credential's firm ID. */
	path: string;
	body?: IDataObject;
	qs?: IDataObject;
	/** Statuses other than 2xx the caller handles itself. */
	acceptStatus?: number[];
	/** Added to every error, e.g. the request ID or cursor so the user can resume. */
	errorContext?: string;
}

/** One IDM Public API call; the credential puts the API key in Authorization as it is. */
export async function anduinRequest<T>(ctx: EngineContext, options: AnduinRequestOptions): Promise<ApiResponse<T>> {
	const credentials = await ctx.getCredentials(ANDUIN_CREDENTIAL);
	const firmId = anduinFirmId(credentials);
	if (options.path.includes('{firmId}') && !firmId) {
		throw new NodeOperationError(ctx.getNode(), 'The Anduin IDM credential has no Firm ID', {
			description: 'Enter the ID of the IDM firm to export from in the credential.',
		});
	}
	const base = anduinBaseUrl(credentials);
	if (!/^https?:\/\/[^/]/i.test(base)) {
		throw new NodeOperationError(ctx.getNode(), `The Base URL of the Anduin IDM credential is not an http(s) address: ${base.slice(0, 80)}`, {
			description: 'Use https://api.anduin.app, or the address of your Anduin environment.',
		});
	}
	return apiRequest<T>(ctx, {
		provider: 'Anduin',
		credentialType: ANDUIN_CREDENTIAL,
		method: options.method,
		url: `${base}${options.path.replace('{firmId}', encodeURIComponent(firmId))}`,
		body: options.body,
		qs: options.qs,
		acceptStatus: options.acceptStatus,
		explainError: explainAnduinError(firmId),
		errorContext: options.errorContext,
	});
}

/** Anduin's status codes (developers.anduintransact.com/docs/status-code) in words a user can act on. */
export function explainAnduinError(firmId: string): ErrorExplainer {
	return (statusCode, body) => {
		const said = messageOf(body);
		const quoted = said ? ` Anduin said: "${said}"` : '';
		switch (statusCode) {
			case 400:
				return { message: `Anduin rejected the request${said ? `: ${said}` : ' (HTTP 400)'}`, description: 'Check the object type and the filters.' };
			case 401:
				return {
					message: 'Anduin did not accept the API key (HTTP 401)',
					description: `Check the API Key of the credential: it is sent as it is, without "Bearer".${quoted}`,
				};
			case 402:
				return {
					message: `Anduin could not carry out the request (HTTP 402 Request Failed)${said ? `: ${said}` : ''}`,
					description: 'The parameters were valid but the request failed at Anduin; try again later, or ask Anduin support.',
				};
			case 403:
				return {
					message: `The API key may not do this in firm ${firmId || '(none)'} (HTTP 403)`,
					description: `Check the Firm ID of the credential, and ask Anduin to give the key's user access to it.${quoted}`,
				};
			case 404:
				return { message: `Anduin has no such resource (HTTP 404)${said ? `: ${said}` : ''}`, description: 'Check the object type (its path segment) and the Base URL.' };
			case 409:
				return { message: `Anduin refused the request: it conflicts with another request (HTTP 409)${said ? `: ${said}` : ''}` };
			case 429:
				return {
					message: 'Anduin kept answering "too many requests" (HTTP 429)',
					description: `Anduin sends no Retry-After and asks for an exponential backoff: check less often (Options > Max Wait Between Status Checks) or run fewer workflows with this key at once.${quoted}`,
				};
			default:
				return undefined;
		}
	};
}
