import type { IDataObject, IHttpRequestMethods } from 'n8n-workflow';

import { rebillyOrganizationUrl } from '../../../credentials/RebillyApi.credentials';
import { apiError, apiRequest, type ApiRequestOptions, type ApiResponse } from '../../shared/http';
import type { EngineContext } from '../../shared/types';

export const REBILLY_CREDENTIAL = 'rebillyApi';

export interface RebillyRequest {
	method: IHttpRequestMethods;
	/** Below /organizations/{organizationId}, e.g. /experimental/data-exports. */
	path: string;
	body?: IDataObject;
	qs?: IDataObject;
	acceptStatus?: number[];
	errorContext?: string;
}

/** The organization's API address: every data export path hangs below it. */
export async function rebillyBase(ctx: EngineContext): Promise<string> {
	return rebillyOrganizationUrl(await ctx.getCredentials(REBILLY_CREDENTIAL));
}

/** An authenticated Rebilly API request, with Rebilly's problem answers (RFC 9457) explained. */
export async function rebillyRequest<T = IDataObject>(ctx: EngineContext, request: RebillyRequest): Promise<ApiResponse<T>> {
	return apiRequest<T>(ctx, await requestOptions(ctx, request));
}

/** The error of an answer the caller accepted first (e.g. a 422 it could not get past). */
export async function rebillyAnswerError(ctx: EngineContext, request: RebillyRequest, answer: ApiResponse<unknown>) {
	return apiError(ctx, await requestOptions(ctx, request), answer.statusCode, answer.body);
}

async function requestOptions(ctx: EngineContext, request: RebillyRequest): Promise<ApiRequestOptions> {
	return {
		provider: 'Rebilly',
		credentialType: REBILLY_CREDENTIAL,
		method: request.method,
		url: `${await rebillyBase(ctx)}${request.path}`,
		body: request.body,
		qs: request.qs,
		acceptStatus: request.acceptStatus,
		errorContext: request.errorContext,
		explainError: explainRebillyError,
	};
}

interface Problem {
	type?: string;
	title?: string;
	detail?: string;
	invalidFields?: Array<{ field?: string; message?: string }>;
	matchedRecords?: number;
	maxRecords?: number;
}

export function problemOf(body: unknown): Problem {
	return body && typeof body === 'object' ? (body as Problem) : {};
}

/** The fields Rebilly refused, in its words: "dateRange.field: …; name: …". */
export function invalidFieldsOf(body: unknown): string | undefined {
	const fields = problemOf(body).invalidFields;
	if (!Array.isArray(fields) || !fields.length) return undefined;
	return fields.map((entry) => [entry.field, entry.message].filter(Boolean).join(': ')).join('; ');
}

function explainRebillyError(statusCode: number, body: unknown): { message: string; description?: string } | undefined {
	const problem = problemOf(body);
	const said = problem.detail ?? problem.title;
	switch (statusCode) {
		case 401:
			return {
				message: 'Rebilly did not accept the credential (HTTP 401)',
				description: 'Check the secret API key (or JWT) and the environment: a sandbox key does not work on the live API, nor a publishable key anywhere here.',
			};
		case 403:
			return {
				message: `Rebilly refused access${said ? `: ${said}` : ' (HTTP 403)'}`,
				description: 'Check the organization ID, and that the API key may manage data exports in that organization.',
			};
		case 404:
			return { message: `Rebilly does not know this data export or file${said ? `: ${said}` : ''}`, description: 'Check the ID; a deleted export is gone.' };
		case 422:
			if (problem.type === 'data-export-limit-exceeded') {
				return {
					message: `The export is too large for Rebilly: it matches ${problem.matchedRecords ?? 'more'} records, at most ${problem.maxRecords ?? 'fewer'} fit in one export`,
					description: 'Narrow it: a shorter date range, or a filter. With a date range, turn on the option Split When Too Large.',
				};
			}
			return {
				message: `Rebilly refused the data export: ${invalidFieldsOf(body) ?? said ?? 'invalid data (HTTP 422)'}`,
				description: said && invalidFieldsOf(body) ? said : undefined,
			};
		case 429:
			return {
				message: 'Rebilly kept answering "Rate Limit Exceeded" (HTTP 429)',
				description: 'Rate limits apply to the whole organization, shared by every integration using it. Check status less often, or run exports at a quieter time.',
			};
		default:
			return undefined;
	}
}
