import type { Row } from '../../shared/types';

// Anduin's files carry amounts as formatted text ("1,250,000.00") and ids that look like numbers
// ("000123"): rows keep them as text unless the user asks for numbers.

/** 1234, -12.5, 1,250,000.00 — but not 000123 or 0012.5 (zero-padded ids stay text). */
const NUMERIC = /^-?(?:0|[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d*)(?:\.\d+)?$/;
/** More digits than a number keeps exactly (an id or an account number). */
const MAX_DIGITS = 15;

export function numberOf(value: unknown): number | undefined {
	if (typeof value !== 'string' || !NUMERIC.test(value)) return undefined;
	const plain = value.replace(/,/g, '');
	if (plain.replace(/[-.]/g, '').length > MAX_DIGITS) return undefined;
	const number = Number(plain);
	return Number.isFinite(number) ? number : undefined;
}

/** A row with its top-level values that look like numbers turned into numbers (in place). */
export function withNumbers(row: Row): Row {
	for (const key of Object.keys(row)) {
		const number = numberOf(row[key]);
		if (number !== undefined) row[key] = number;
	}
	return row;
}
