import { DateTime } from 'luxon';
import { NodeOperationError } from 'n8n-workflow';

import type { EngineContext } from './types';

/**
 * A date-time parameter as a Date: an ISO text (without a zone, the workflow's time zone
 * applies), a Date or a Luxon DateTime from an expression. Undefined when empty; an error
 * naming the field when it is not a date.
 */
export function readDateTime(ctx: EngineContext, value: unknown, fieldName: string): Date | undefined {
	if (value instanceof Date) return checked(ctx, DateTime.fromJSDate(value), String(value), fieldName);
	if (DateTime.isDateTime(value)) return checked(ctx, value, value.toString(), fieldName);
	const text = String(value ?? '').trim();
	if (!text) return undefined;
	return checked(ctx, DateTime.fromISO(text, { zone: ctx.getTimezone() }), text, fieldName);
}

function checked(ctx: EngineContext, parsed: DateTime, text: string, fieldName: string): Date {
	if (!parsed.isValid) {
		throw new NodeOperationError(ctx.getNode(), `"${fieldName}" is not a valid date: ${text}`, {
			description: 'Use an ISO 8601 date and time such as 2026-11-01T00:00:00, or an expression like {{ $now.minus({ days: 1 }) }}.',
		});
	}
	return parsed.toJSDate();
}
