// Addresses as the engine checks and shows them. Messages show where a request went, never a
// query string (signed links carry their signature there).

/** The URL, parsed, when it is an absolute http(s) address. */
export function httpUrl(url: unknown): URL | undefined {
	if (typeof url !== 'string') return undefined;
	try {
		const parsed = new URL(url);
		return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed : undefined;
	} catch {
		return undefined;
	}
}

export function isHttpUrl(url: unknown): boolean {
	return httpUrl(url) !== undefined;
}

/** The origin of an http(s) address; undefined for anything else. */
export function originOf(url: unknown): string | undefined {
	return httpUrl(url)?.origin;
}

/** The host, for messages. */
export function hostOf(url: string): string {
	return httpUrl(url)?.host ?? 'an invalid address';
}

/** Origin and path, for messages and logs. */
export function pathOf(url: string): string {
	const parsed = httpUrl(url);
	return parsed ? `${parsed.origin}${parsed.pathname}` : '(invalid URL)';
}

/** What an address that cannot be used looks like in a message: its scheme, or its start without a query. */
export function describeAddress(url: unknown): string {
	if (typeof url !== 'string' || !url) return 'none';
	try {
		return `a ${new URL(url).protocol} address`;
	} catch {
		return `an address that is not a URL ("${url.split(/[?#]/)[0].slice(0, 80)}")`;
	}
}

/** A relative address (a Location, a file link) read against the address it came from. */
export function resolveUrl(url: string, base: string): string {
	try {
		return new URL(url, base).href;
	} catch {
		return url;
	}
}

/** Percent-decoded text; as it is when it is not valid percent-encoding (a bare % in a name). */
export function decodePercent(text: string): string {
	try {
		return decodeURIComponent(text);
	} catch {
		return text;
	}
}

/** The file name an address ends with, decoded. */
export function fileNameInUrl(url: string): string | undefined {
	const last = httpUrl(url)?.pathname.split('/').pop();
	return last ? decodePercent(last) : undefined;
}
