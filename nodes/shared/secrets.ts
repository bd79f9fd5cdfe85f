import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

// Names of credential fields that hold secrets: our credentials' tokens and keys, and n8n's own
// credential types for the generic node (header auth `value`, basic auth `password`, OAuth2
// `clientSecret` and the token data).
const SECRET_FIELD = /token|secret|password|passwd|key|jwt|signature|^value$|oauthTokenData/i;
const MIN_SECRET_LENGTH = 6;
export const MASK = '***';

/** The secret values of a credential, longest first (so a secret inside another is masked whole). */
export function secretValuesOf(data: ICredentialDataDecryptedObject | undefined): string[] {
	const found = new Set<string>();
	const walk = (value: unknown, secretField: boolean) => {
		if (typeof value === 'string') {
			if (secretField && value.length >= MIN_SECRET_LENGTH) found.add(value);
		} else if (value && typeof value === 'object') {
			for (const [key, inner] of Object.entries(value)) walk(inner, secretField || SECRET_FIELD.test(key));
		}
	};
	walk(data ?? {}, false);
	return [...found].sort((a, b) => b.length - a.length);
}

export function maskText(text: string, secrets: string[]): string {
	let masked = text;
	for (const secret of secrets) if (masked.includes(secret)) masked = masked.split(secret).join(MASK);
	return masked;
}

/**
 * A copy of a provider's answer with every secret masked: a misbehaving API or proxy may echo
 * the request's headers or body, and provider text ends up in errors, logs and output.
 */
export function maskSecrets<T>(value: T, secrets: string[]): T {
	if (!secrets.length) return value;
	if (typeof value === 'string') return maskText(value, secrets) as T;
	if (Array.isArray(value)) return value.map((entry) => maskSecrets(entry, secrets)) as T;
	if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
		return Object.fromEntries(Object.entries(value).map(([key, inner]) => [maskText(key, secrets), maskSecrets(inner, secrets)])) as T;
	}
	return value;
}
