/**
 * Small helpers shared by the provider emulators in this folder.
 *
 * Only node built-ins: an emulator is a plain `node:http` server whose handler routes by hand.
 * Nothing here knows about a provider: error bodies, auth and routes belong to each emulator.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

export interface RunningServer {
	host: string;
	port: number;
	/** `http://<host>:<port>` (IPv6 hosts in brackets). */
	origin: string;
	close(): Promise<void>;
}

export interface StartServerOptions {
	/** Interface to bind; default 127.0.0.1 (never all interfaces: these are test servers). */
	host?: string;
	/** 0 or undefined = a random free port. */
	port?: number;
	/**
	 * Also listen on [::1] with the same port, best effort. Use it when URLs say `localhost`:
	 * some resolvers give ::1 first for that name.
	 */
	alsoIpv6Loopback?: boolean;
}

/** Thrown by a handler to answer with a status and a JSON body (the body shape is the emulator's). */
export class HttpError extends Error {
	constructor(
		readonly status: number,
		readonly body: unknown,
		readonly headers: Record<string, string> = {},
	) {
		super(`HTTP ${status}`);
	}
}

/** A request body that cannot be read as its Content-Type says. Emulators map it to their 400 shape. */
export class BodyParseError extends Error {}

/** Starts a server; a handler that throws answers 500 (or the HttpError it threw). */
export async function startServer(handler: RequestHandler, options: StartServerOptions = {}): Promise<RunningServer> {
	const host = options.host ?? '127.0.0.1';
	const main = await listen(createServer(handler), host, options.port ?? 0);
	const port = (main.address() as AddressInfo).port;
	const servers = [main];
	if (options.alsoIpv6Loopback) {
		const extra = await listen(createServer(handler), '::1', port).catch(() => undefined);
		if (extra) servers.push(extra);
	}
	return {
		host,
		port,
		origin: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
		close: async () => {
			await Promise.all(servers.map(closeServer));
		},
	};
}

/**
 * An emulator's two servers: the API on 127.0.0.1, and its file storage on another port whose
 * URLs say `localhost` (a different host, so a client that sends credentials there is caught).
 */
export async function startApiAndStorage(
	api: RequestHandler,
	storage: RequestHandler,
	ports: { port?: number; storagePort?: number } = {},
): Promise<{ api: RunningServer; storage: RunningServer; storageOrigin: string }> {
	const apiServer = await startServer(api, { port: ports.port });
	try {
		// Also on [::1]: the URLs say `localhost`, which some resolvers map to ::1 first.
		const storageServer = await startServer(storage, { port: ports.storagePort, alsoIpv6Loopback: true });
		return { api: apiServer, storage: storageServer, storageOrigin: `http://localhost:${storageServer.port}` };
	} catch (error) {
		await apiServer.close();
		throw error;
	}
}

function createServer(handler: RequestHandler): http.Server {
	const server = http.createServer((req, res) => {
		Promise.resolve()
			.then(() => handler(req, res))
			.catch((error: unknown) => answerThrown(res, error));
	});
	// Tests keep connections alive between requests; do not let an idle socket hold close() up.
	server.keepAliveTimeout = 1000;
	return server;
}

function answerThrown(res: http.ServerResponse, error: unknown): void {
	if (res.headersSent) {
		res.destroy();
		return;
	}
	if (error instanceof HttpError) {
		sendJson(res, error.status, error.body, { headers: error.headers });
		return;
	}
	const message = error instanceof Error ? error.message : String(error);
	sendJson(res, 500, { message: `Emulator error: ${message}` });
}

function listen(server: http.Server, host: string, port: number): Promise<http.Server> {
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, host, () => {
			server.off('error', reject);
			resolve(server);
		});
	});
}

function closeServer(server: http.Server): Promise<void> {
	return new Promise((resolve) => {
		server.close(() => resolve());
		server.closeAllConnections();
	});
}

// ---------------------------------------------------------------------------------------------
// Request log

export interface LoggedRequest<Host extends string = string> {
	host: Host;
	method: string;
	/** Path without the query string. */
	path: string;
	/** Path with the query string, as received. */
	url: string;
	headers: http.IncomingHttpHeaders;
	/** Real time (ms since epoch) when the request arrived: lets tests check poll spacing. */
	receivedAt: number;
}

export function logRequest<Host extends string>(
	log: Array<LoggedRequest<Host>>,
	host: Host,
	req: http.IncomingMessage,
): LoggedRequest<Host> {
	const url = req.url ?? '/';
	const entry: LoggedRequest<Host> = {
		host,
		method: req.method ?? 'GET',
		path: url.split('?')[0],
		url,
		headers: { ...req.headers },
		receivedAt: Date.now(),
	};
	log.push(entry);
	return entry;
}

/** The value of a header that may have been sent several times (first one wins). */
export function headerValue(req: http.IncomingMessage, name: string): string | undefined {
	const value = req.headers[name.toLowerCase()];
	return Array.isArray(value) ? value[0] : value;
}

// ---------------------------------------------------------------------------------------------
// Responses

export interface SendOptions {
	headers?: Record<string, string | number>;
	/** Rewrites the JSON text before sending, e.g. to escape `&` as `\u0026` like Rails does. */
	transformJson?: (json: string) => string;
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, options: SendOptions = {}): void {
	const json = JSON.stringify(body);
	const text = options.transformJson ? options.transformJson(json) : json;
	const bytes = Buffer.from(text, 'utf8');
	res.writeHead(status, {
		...options.headers,
		'Content-Type': 'application/json; charset=utf-8',
		'Content-Length': bytes.length,
	});
	res.end(bytes);
}

/** A response without a body (204, or a HEAD answer): no Content-Type. */
export function sendEmpty(res: http.ServerResponse, status: number, headers: Record<string, string | number> = {}): void {
	res.writeHead(status, headers);
	res.end();
}

export function sendText(
	res: http.ServerResponse,
	status: number,
	text: string,
	contentType: string,
	headers: Record<string, string | number> = {},
): void {
	const bytes = Buffer.from(text, 'utf8');
	res.writeHead(status, { ...headers, 'Content-Type': contentType, 'Content-Length': bytes.length });
	res.end(bytes);
}

/**
 * JSON as Rails renders it inside HTML-safe output: `&`, `<`, `>` and the JS line separators
 * become \uXXXX escapes. Only string contents can hold these characters, so a text replace is safe.
 */
export function escapeJsonLikeRails(json: string): string {
	return json
		.replace(/&/g, '\\u0026')
		.replace(/</g, '\\u003c')
		.replace(/>/g, '\\u003e')
		.replace(/\u2028/g, '\\u2028')
		.replace(/\u2029/g, '\\u2029');
}

export interface SendBytesOptions {
	/** Send the full Content-Length, then drop the connection after this many body bytes. */
	cutAfterBytes?: number;
	/** HEAD: headers only. */
	headOnly?: boolean;
}

/** Sends bytes with an exact Content-Length; can simulate a connection dropped mid-body. */
export function sendBytes(
	res: http.ServerResponse,
	status: number,
	body: Buffer,
	headers: Record<string, string | number>,
	options: SendBytesOptions = {},
): void {
	res.writeHead(status, { ...headers, 'Content-Length': body.length });
	if (options.headOnly) {
		res.end();
		return;
	}
	const cut = options.cutAfterBytes;
	if (cut === undefined || cut >= body.length) {
		res.end(body);
		return;
	}
	// Flush the first bytes, then kill the socket: the client sees a short body and a reset.
	res.write(body.subarray(0, Math.max(0, cut)), () => res.destroy());
}

// ---------------------------------------------------------------------------------------------
// Range requests (RFC 9110 section 14, the subset object stores support: one range)

export type RangeResult =
	| { kind: 'none' } // no Range header, or one a server ignores (several ranges, other units)
	| { kind: 'range'; start: number; end: number } // inclusive end
	| { kind: 'unsatisfiable' };

export function parseByteRange(header: string | undefined, size: number): RangeResult {
	if (!header) return { kind: 'none' };
	const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
	if (!match || (match[1] === '' && match[2] === '')) return { kind: 'none' };
	if (match[1] === '') {
		// Suffix range: the last N bytes.
		const length = Number(match[2]);
		if (length === 0 || size === 0) return { kind: 'unsatisfiable' };
		return { kind: 'range', start: Math.max(0, size - length), end: size - 1 };
	}
	const start = Number(match[1]);
	const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
	if (start >= size) return { kind: 'unsatisfiable' };
	if (end < start) return { kind: 'none' };
	return { kind: 'range', start, end };
}

// ---------------------------------------------------------------------------------------------
// Request bodies

export async function readBody(req: http.IncomingMessage, maxBytes = 512 * 1024 * 1024): Promise<Buffer> {
	const chunks: Buffer[] = [];
	let total = 0;
	for await (const chunk of req) {
		const buffer = chunk as Buffer;
		total += buffer.length;
		if (total > maxBytes) throw new HttpError(413, { message: 'Request body too large' });
		chunks.push(buffer);
	}
	return Buffer.concat(chunks);
}

export interface ContentType {
	/** Lower-cased `type/subtype`, '' when the header is missing. */
	mediaType: string;
	/** Parameter names lower-cased; quoted values unquoted. */
	params: Record<string, string>;
}

export function parseContentType(header: string | undefined): ContentType {
	if (!header) return { mediaType: '', params: {} };
	const semicolon = header.indexOf(';');
	const mediaType = (semicolon < 0 ? header : header.slice(0, semicolon)).trim().toLowerCase();
	const params = semicolon < 0 ? {} : parseHeaderParams(header.slice(semicolon + 1));
	return { mediaType, params };
}

/** `a=1; b="x \"y\""` → { a: '1', b: 'x "y"' } (quoted-string with backslash escapes). */
export function parseHeaderParams(text: string): Record<string, string> {
	const params: Record<string, string> = {};
	const pattern = /\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))\s*;?/gy;
	let match: RegExpExecArray | null;
	while (pattern.lastIndex < text.length && (match = pattern.exec(text)) !== null) {
		const value = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3].trim();
		params[match[1].toLowerCase()] = value;
	}
	return params;
}

export interface MultipartPart {
	name: string;
	filename?: string;
	contentType?: string;
	headers: Record<string, string>;
	data: Buffer;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * multipart/form-data per RFC 7578 / RFC 2046: CRLF line breaks, optional preamble and epilogue,
 * transport padding after a delimiter, quoted (and %22-escaped) field names. Strict about CRLF on
 * purpose: a client that writes bare LF is broken against real servers too.
 */
export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] {
	if (!boundary || boundary.length > 70) throw new BodyParseError('multipart boundary missing or longer than 70 characters');
	const delimiter = Buffer.from(`--${boundary}`);
	const innerDelimiter = Buffer.concat([CRLF, delimiter]);
	let position = findFirstDelimiter(body, delimiter);
	const parts: MultipartPart[] = [];
	for (;;) {
		position += delimiter.length;
		if (body.subarray(position, position + 2).toString('latin1') === '--') return parts; // close delimiter
		position = skipTransportPadding(body, position);
		if (!body.subarray(position, position + 2).equals(CRLF)) throw new BodyParseError('multipart delimiter not followed by CRLF');
		position += 2;
		const next = body.indexOf(innerDelimiter, position);
		if (next < 0) throw new BodyParseError('multipart body has no closing boundary');
		parts.push(parsePart(body.subarray(position, next)));
		position = next + 2;
	}
}

function findFirstDelimiter(body: Buffer, delimiter: Buffer): number {
	if (body.subarray(0, delimiter.length).equals(delimiter)) return 0;
	const afterPreamble = body.indexOf(Buffer.concat([CRLF, delimiter]));
	if (afterPreamble < 0) throw new BodyParseError('multipart boundary not found in body');
	return afterPreamble + 2;
}

function skipTransportPadding(body: Buffer, position: number): number {
	let index = position;
	while (body[index] === 0x20 || body[index] === 0x09) index++;
	return index;
}

function parsePart(raw: Buffer): MultipartPart {
	const headerEnd = raw.indexOf(HEADER_END);
	// A part with no headers starts straight with the blank line.
	const headerText = raw.subarray(0, 2).equals(CRLF) ? '' : headerEnd < 0 ? undefined : raw.subarray(0, headerEnd).toString('utf8');
	if (headerText === undefined) throw new BodyParseError('multipart part has no blank line after its headers');
	const data = headerText === '' ? raw.subarray(2) : raw.subarray(headerEnd + HEADER_END.length);
	const headers = parsePartHeaders(headerText);
	const disposition = headers['content-disposition'];
	if (!disposition) throw new BodyParseError('multipart part without Content-Disposition');
	const [kind] = disposition.split(';');
	if (kind.trim().toLowerCase() !== 'form-data') throw new BodyParseError(`multipart part disposition is "${kind.trim()}", not form-data`);
	const params = parseHeaderParams(disposition.slice(kind.length + 1));
	if (params.name === undefined) throw new BodyParseError('multipart part without a name');
	return {
		name: decodeFormDataName(params.name),
		filename: fileNameOf(params),
		contentType: headers['content-type'],
		headers,
		data: Buffer.from(data),
	};
}

function parsePartHeaders(text: string): Record<string, string> {
	const headers: Record<string, string> = {};
	if (text === '') return headers;
	for (const line of text.split('\r\n')) {
		const colon = line.indexOf(':');
		if (colon <= 0) throw new BodyParseError(`bad multipart header line: ${JSON.stringify(line)}`);
		headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
	}
	return headers;
}

/** Browsers (and undici's FormData) write `"`, CR and LF in names as %22, %0D, %0A (RFC 7578 4.2). */
function decodeFormDataName(name: string): string {
	return name.replace(/%22/gi, '"').replace(/%0D/gi, '\r').replace(/%0A/gi, '\n');
}

function fileNameOf(params: Record<string, string>): string | undefined {
	const extended = params['filename*'];
	if (extended) {
		// RFC 5987: charset'lang'percent-encoded (RFC 7578 says not to send it, but accept it).
		const match = /^([^']*)'[^']*'(.*)$/.exec(extended);
		if (match) return decodeURIComponent(match[2]);
	}
	return params.filename === undefined ? undefined : decodeFormDataName(params.filename);
}

export interface ParsedParams {
	/** How the body was encoded: the emulators record it so tests can assert what a client sent. */
	encoding: 'multipart' | 'json' | 'urlencoded' | 'none';
	/** Text fields. JSON bodies keep their value types. For repeated names the last one wins. */
	fields: Record<string, unknown>;
	/** Multipart parts that carried a filename. */
	files: MultipartPart[];
}

/** Reads the body and decodes it by Content-Type; other types give no params (as Rails ignores them). */
export async function readParams(req: http.IncomingMessage): Promise<ParsedParams> {
	const body = await readBody(req);
	const contentType = parseContentType(headerValue(req, 'content-type'));
	switch (contentType.mediaType) {
		case 'multipart/form-data':
			return multipartParams(parseMultipart(body, contentType.params.boundary ?? ''));
		case 'application/json':
			return { encoding: 'json', fields: parseJsonObject(body), files: [] };
		case 'application/x-www-form-urlencoded':
			return { encoding: 'urlencoded', fields: Object.fromEntries(new URLSearchParams(body.toString('utf8'))), files: [] };
		default:
			return { encoding: 'none', fields: {}, files: [] };
	}
}

function multipartParams(parts: MultipartPart[]): ParsedParams {
	const fields: Record<string, unknown> = {};
	const files: MultipartPart[] = [];
	for (const part of parts) {
		if (part.filename !== undefined) files.push(part);
		else fields[part.name] = part.data.toString('utf8');
	}
	return { encoding: 'multipart', fields, files };
}

function parseJsonObject(body: Buffer): Record<string, unknown> {
	if (body.length === 0) return {};
	let value: unknown;
	try {
		value = JSON.parse(body.toString('utf8'));
	} catch (error) {
		throw new BodyParseError(`invalid JSON body: ${(error as Error).message}`);
	}
	if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new BodyParseError('JSON body must be an object');
	return value as Record<string, unknown>;
}

/** Runs an emulator from the command line (a demo): prints what to connect with, stops on Ctrl+C. */
export function runFromCommandLine<T extends { close(): Promise<void> }>(start: () => Promise<T>, describe: (emulator: T) => string[]): void {
	start().then(
		(emulator) => {
			for (const line of describe(emulator)) console.log(line);
			console.log('Ctrl+C to stop.');
			process.once('SIGINT', () => {
				void emulator.close().then(() => process.exit(0));
			});
		},
		(error: unknown) => {
			console.error(error);
			process.exit(1);
		},
	);
}
