/**
 * A hostile HTTP proxy in front of a provider emulator, for the fault matrix.
 *
 * Two listeners per "process generation": the API side (in front of the emulator's API origin)
 * and the storage side (in front of its file storage, if any). Both forward what they receive,
 * and rewrite the emulator's origins in API answers (bodies and Location headers) to their own,
 * so the file downloads a status answer points to pass through the proxy as well. A third
 * listener, the sink, is a redirect target on another port: it records and forwards too, and
 * must never see a credential.
 *
 * Rules pick requests (side, method, path, body, nth occurrence, count) and answer them with a
 * fault instead: throttling, server errors, resets, truncation, stalls, silence, bad bodies,
 * redirects, echoes. Every request is recorded, so a case can check which origin saw what.
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

// ---------------------------------------------------------------------------------------------
// Public types

export type Side = 'api' | 'storage';

/** A body to send: bytes, text, or chunks made lazily (sent chunked, or with a given length). */
export type BodySource = Buffer | string | AsyncIterable<Uint8Array>;

export interface RequestInfo {
	side: Side;
	method: string;
	/** Path without the query string. */
	path: string;
	/** Path and query as the upstream receives them (the redirect marker removed). */
	pathAndQuery: string;
	headers: http.IncomingHttpHeaders;
	body: string;
	/** The origin the client addressed, e.g. http://127.0.0.1:1234. */
	origin: string;
}

export type FaultAction =
	/** Forward as usual; only counts as a hit (to wait for a request, or cancel on it). */
	| { kind: 'pass' }
	/** Answer without asking upstream. `headers` may be a function, for times relative to now. */
	| { kind: 'respond'; status: number; headers?: Record<string, string> | (() => Record<string, string>); body?: BodySource | ((request: RequestInfo) => BodySource) }
	/** Read the request, then reset the connection (RST) without answering. */
	| { kind: 'reset' }
	/** Read the request and never answer (until the client gives up or the proxy closes). */
	| { kind: 'noAnswer' }
	/** Forward; send the head and `afterBytes` of the body, then reset the connection. */
	| { kind: 'resetMidBody'; afterBytes: number }
	/** Forward; announce the whole Content-Length, send `afterBytes` of the body, then close. */
	| { kind: 'truncate'; afterBytes: number }
	/** Forward; send the head and `afterBytes` of the body, then nothing, ever. */
	| { kind: 'stall'; afterBytes: number }
	/**
	 * Answer with another body, made from the upstream answer (`fromUpstream`) or from nothing.
	 * `contentLength`: 'exact' (default for bytes and text), 'none' (chunked, the default for
	 * lazy chunks), or a number to announce (a lie).
	 */
	| {
			kind: 'body';
			status?: number;
			headers?: Record<string, string>;
			fromUpstream?: boolean;
			make: (upstream: Buffer | undefined, request: RequestInfo) => BodySource | Promise<BodySource>;
			contentLength?: 'exact' | 'none' | number;
	  }
	/** Forward and rewrite the upstream answer's text (e.g. a job status the emulator cannot give). */
	| { kind: 'rewrite'; transform: (text: string, request: RequestInfo) => string; status?: number }
	/** Answer with a redirect; http(s) targets get the marker that identifies redirected requests. */
	| { kind: 'redirect'; status: number; location: (request: RequestInfo, proxy: FaultProxy) => string }
	/** Answer with a JSON body that repeats the request's headers and body (a misbehaving proxy). */
	| { kind: 'echo'; status: number; shape?: (echo: EchoedRequest) => unknown };

export interface EchoedRequest {
	text: string;
	method: string;
	url: string;
	headers: http.IncomingHttpHeaders;
	body: string;
}

export interface FaultRule {
	/** Names the rule in records and in waitForHit (default: rule-<n>). */
	name?: string;
	side: Side;
	method?: string;
	/** Matched against the path (no query). */
	path?: RegExp;
	/** Matched against the request body text. */
	body?: RegExp;
	/** Matching requests let through before the rule applies (default 0). */
	skip?: number;
	/** How many matching requests it applies to after the skipped ones (default: all). */
	times?: number;
	action: FaultAction;
}

export interface ProxyRecord {
	seq: number;
	side: Side | 'sink';
	/** The host name the client used (the Host header without the port). */
	host: string;
	method: string;
	path: string;
	url: string;
	headers: http.IncomingHttpHeaders;
	body: string;
	at: number;
	/** The rule that answered it, if any. */
	rule?: string;
	/** It came through a redirect this proxy answered (its URL carried the marker). */
	redirected: boolean;
	/** It was addressed to the API origin itself (same host name and port), where credentials belong. */
	toApiOrigin: boolean;
	/** Which "process" of the client (see restart()) reached it. */
	generation: number;
	/** The status it was answered with (none: reset, or never answered). */
	status?: number;
}

export interface RequestMatch {
	side?: Side | 'sink';
	method?: string;
	path?: RegExp;
	/** Only requests answered with a status in this range, e.g. [200, 299]. */
	status?: [number, number];
}

export interface ProxyUpstream {
	/** The emulator's API origin, e.g. http://127.0.0.1:1234 (a path after it is ignored). */
	api: string;
	/** Its file storage origin, e.g. http://localhost:1235. */
	storage?: string;
}

/** Appended to redirect targets so that requests reaching them can be told apart. */
export const REDIRECT_MARKER = 'fm-redirected';

// ---------------------------------------------------------------------------------------------
// Listeners

const MAX_BODY_BYTES = 256 * 1024 * 1024;
const RECORDED_BODY_CHARS = 64 * 1024;

interface Listener {
	port: number;
	servers: http.Server[];
	sockets: Set<Socket>;
	/** A dead listener drops every connection at once (the client's process died). */
	dead: boolean;
}

interface Generation {
	index: number;
	api: Listener;
	storage?: Listener;
}

async function listen(handler: http.RequestListener, port = 0): Promise<Listener> {
	const listener: Listener = { port: 0, servers: [], sockets: new Set(), dead: false };
	const make = () => {
		const server = http.createServer((req, res) => {
			if (listener.dead) {
				req.socket.destroy();
				return;
			}
			handler(req, res);
		});
		server.keepAliveTimeout = 500;
		server.on('connection', (socket) => {
			if (listener.dead) {
				socket.destroy();
				return;
			}
			listener.sockets.add(socket);
			socket.on('close', () => listener.sockets.delete(socket));
		});
		// A client that gives up mid-request is expected here: never crash the test on it.
		server.on('clientError', (_error, socket) => socket.destroy());
		return server;
	};
	const main = make();
	await new Promise<void>((resolve, reject) => {
		main.once('error', reject);
		main.listen(port, '127.0.0.1', () => resolve());
	});
	listener.port = (main.address() as AddressInfo).port;
	listener.servers.push(main);
	// Also on [::1]: URLs may say `localhost`, which some resolvers map to ::1 first.
	const ipv6 = make();
	await new Promise<void>((resolve) => {
		ipv6.once('error', () => resolve());
		ipv6.listen(listener.port, '::1', () => {
			listener.servers.push(ipv6);
			resolve();
		});
	});
	return listener;
}

function kill(listener: Listener): void {
	listener.dead = true;
	for (const socket of listener.sockets) socket.destroy();
	listener.sockets.clear();
}

async function closeListener(listener: Listener): Promise<void> {
	kill(listener);
	await Promise.all(
		listener.servers.map(
			(server) =>
				new Promise<void>((resolve) => {
					server.close(() => resolve());
					server.closeAllConnections();
				}),
		),
	);
}

// ---------------------------------------------------------------------------------------------
// The proxy

interface ActiveRule extends FaultRule {
	name: string;
	seen: number;
	hits: number;
	waiters: Array<{ count: number; resolve: () => void }>;
}

interface UpstreamAnswer {
	status: number;
	headers: http.IncomingHttpHeaders;
	body: Buffer;
}

export class FaultProxy {
	readonly records: ProxyRecord[] = [];
	private readonly rules: ActiveRule[] = [];
	private readonly generations: Generation[] = [];
	private sinkListener!: Listener;
	private readonly upstreamApi: URL;
	private readonly upstreamStorage?: URL;
	private seq = 0;
	private ruleCount = 0;
	/** Requests still being read or answered, so close() can end them. */
	private readonly held = new Set<http.ServerResponse>();

	private constructor(upstream: ProxyUpstream) {
		this.upstreamApi = new URL(upstream.api);
		this.upstreamStorage = upstream.storage ? new URL(upstream.storage) : undefined;
	}

	static async start(upstream: ProxyUpstream): Promise<FaultProxy> {
		const proxy = new FaultProxy(upstream);
		await proxy.openGeneration();
		proxy.sinkListener = await listen((req, res) => void proxy.handle('sink', 0, req, res));
		return proxy;
	}

	private get current(): Generation {
		return this.generations[this.generations.length - 1];
	}

	get generation(): number {
		return this.current.index;
	}

	/** The API side, on the emulator API's host name (e.g. http://127.0.0.1:<port>). */
	get apiOrigin(): string {
		return `${this.upstreamApi.protocol}//${this.upstreamApi.hostname}:${this.current.api.port}`;
	}

	/** The storage side, on the emulator storage's host name (e.g. http://localhost:<port>). */
	get storageOrigin(): string | undefined {
		const storage = this.current.storage;
		return storage && this.upstreamStorage ? `http://${this.upstreamStorage.hostname}:${storage.port}` : undefined;
	}

	/** The third listener: another port, a redirect target that must never see credentials. */
	get sinkOrigin(): string {
		return `http://127.0.0.1:${this.sinkListener.port}`;
	}

	private async openGeneration(): Promise<void> {
		const index = this.generations.length;
		const api = await listen((req, res) => void this.handle('api', index, req, res));
		const storage = this.upstreamStorage ? await listen((req, res) => void this.handle('storage', index, req, res)) : undefined;
		this.generations.push({ index, api, storage });
	}

	/**
	 * The client's process died: every connection it had drops, and its origins refuse service
	 * from now on (so a poll still running there dies quickly). The next process gets new
	 * origins (apiOrigin, storageOrigin change); rules and records stay.
	 */
	async restart(): Promise<void> {
		const old = this.current;
		kill(old.api);
		if (old.storage) kill(old.storage);
		for (const res of this.held) res.destroy();
		this.held.clear();
		await this.openGeneration();
	}

	addRule(rule: FaultRule): string {
		const name = rule.name ?? `rule-${++this.ruleCount}`;
		this.rules.push({ ...rule, name, seen: 0, hits: 0, waiters: [] });
		return name;
	}

	removeRule(name: string): void {
		const index = this.rules.findIndex((rule) => rule.name === name);
		if (index >= 0) this.rules.splice(index, 1);
	}

	clearRules(): void {
		this.rules.splice(0);
	}

	hits(name: string): number {
		return this.rules.find((rule) => rule.name === name)?.hits ?? 0;
	}

	/** Resolves once the rule has answered `count` requests (its action has begun). */
	waitForHit(name: string, count = 1): Promise<void> {
		const rule = this.rules.find((candidate) => candidate.name === name);
		if (!rule) return Promise.reject(new Error(`No rule named ${name}`));
		if (rule.hits >= count) return Promise.resolve();
		return new Promise((resolve) => rule.waiters.push({ count, resolve }));
	}

	/** How many recorded requests match, e.g. the job starts that were answered 2xx. */
	count(match: RequestMatch): number {
		return this.records.filter(
			(record) =>
				(!match.side || record.side === match.side) &&
				(!match.method || record.method.toUpperCase() === match.method.toUpperCase()) &&
				(!match.path || match.path.test(record.path)) &&
				(!match.status || (record.status !== undefined && record.status >= match.status[0] && record.status <= match.status[1])),
		).length;
	}

	async close(): Promise<void> {
		for (const res of this.held) res.destroy();
		this.held.clear();
		const listeners = this.generations.flatMap((generation) => [generation.api, ...(generation.storage ? [generation.storage] : [])]);
		await Promise.all([...listeners, this.sinkListener].map(closeListener));
	}

	// -------------------------------------------------------------------------------------------
	// Handling one request

	private async handle(side: Side | 'sink', generation: number, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		this.held.add(res);
		res.on('close', () => this.held.delete(res));
		try {
			await this.serve(side, generation, req, res);
		} catch {
			// The client went away, or the upstream did: drop the connection like a real proxy would.
			res.destroy();
		}
	}

	private async serve(side: Side | 'sink', generation: number, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const body = await readAll(req);
		const received = new URL(req.url ?? '/', 'http://placeholder');
		const redirected = received.searchParams.has(REDIRECT_MARKER);
		received.searchParams.delete(REDIRECT_MARKER);
		let targetSide: Side = side === 'sink' ? 'api' : side;
		let path = received.pathname;
		if (side === 'sink') {
			// The sink forwards /__api/... and /__storage/... to the side the redirect came from.
			const match = /^\/__(api|storage)(\/.*)?$/.exec(path);
			targetSide = match?.[1] === 'storage' ? 'storage' : 'api';
			path = match?.[2] ?? '/';
		}
		const query = received.searchParams.toString();
		const pathAndQuery = `${path}${query ? `?${query}` : ''}`;
		const hostHeader = String(req.headers.host ?? '');
		const record: ProxyRecord = {
			seq: ++this.seq,
			side,
			host: hostHeader.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''),
			method: req.method ?? 'GET',
			path,
			url: req.url ?? '/',
			headers: { ...req.headers },
			body: body.toString('utf8').slice(0, RECORDED_BODY_CHARS),
			at: Date.now(),
			redirected,
			toApiOrigin: side === 'api' && hostHeader === `${this.upstreamApi.hostname}:${this.generations[generation].api.port}`,
			generation,
		};
		this.records.push(record);
		res.once('close', () => {
			if (res.headersSent) record.status = res.statusCode;
		});
		const info: RequestInfo = {
			side: targetSide,
			method: record.method,
			path,
			pathAndQuery,
			headers: req.headers,
			body: body.toString('utf8'),
			origin: `http://${hostHeader}`,
		};
		const rule = side === 'sink' ? undefined : this.pick(info);
		if (rule) record.rule = rule.name;
		const action: FaultAction = rule?.action ?? { kind: 'pass' };
		const hit = () => rule && this.hit(rule);
		await this.act(action, info, body, req, res, hit);
	}

	/** The first rule whose turn this request is; every matching rule counts it. */
	private pick(info: RequestInfo): ActiveRule | undefined {
		let chosen: ActiveRule | undefined;
		for (const rule of this.rules) {
			if (rule.side !== info.side) continue;
			if (rule.method && rule.method.toUpperCase() !== info.method.toUpperCase()) continue;
			if (rule.path && !rule.path.test(info.path)) continue;
			if (rule.body && !rule.body.test(info.body)) continue;
			rule.seen++;
			const skip = rule.skip ?? 0;
			const active = rule.seen > skip && rule.seen <= skip + (rule.times ?? Infinity);
			if (active && !chosen) chosen = rule;
		}
		return chosen;
	}

	private hit(rule: ActiveRule): void {
		rule.hits++;
		for (const waiter of [...rule.waiters]) {
			if (rule.hits >= waiter.count) {
				rule.waiters.splice(rule.waiters.indexOf(waiter), 1);
				waiter.resolve();
			}
		}
	}

	private async act(action: FaultAction, info: RequestInfo, body: Buffer, req: http.IncomingMessage, res: http.ServerResponse, hit: () => void): Promise<void> {
		switch (action.kind) {
			case 'pass': {
				const answer = await this.forward(info, body);
				hit();
				return send(res, answer.status, answer.headers, answer.body);
			}
			case 'respond': {
				hit();
				const headers = typeof action.headers === 'function' ? action.headers() : action.headers ?? {};
				const content = typeof action.body === 'function' ? action.body(info) : action.body ?? '';
				return sendSource(res, action.status, headers, content, 'exact');
			}
			case 'reset':
				hit();
				return resetConnection(req.socket);
			case 'noAnswer':
				hit();
				return; // the response stays open: the client waits until it gives up
			case 'resetMidBody':
			case 'truncate':
			case 'stall': {
				const answer = await this.forward(info, body);
				const cut = Math.min(action.afterBytes, answer.body.length);
				res.writeHead(answer.status, { ...plainHeaders(answer.headers), 'content-length': String(answer.body.length) });
				res.flushHeaders();
				if (cut > 0) await write(res, answer.body.subarray(0, cut));
				hit();
				if (action.kind === 'resetMidBody') return resetConnection(req.socket);
				if (action.kind === 'truncate') return void req.socket.end();
				return; // stall: silence
			}
			case 'body': {
				const upstream = action.fromUpstream ? (await this.forward(info, body)).body : undefined;
				const content = await action.make(upstream, info);
				hit();
				const headers = { 'content-type': 'application/octet-stream', ...action.headers };
				const length = action.contentLength ?? (typeof content === 'string' || Buffer.isBuffer(content) ? 'exact' : 'none');
				return sendSource(res, action.status ?? 200, headers, content, length);
			}
			case 'rewrite': {
				const answer = await this.forward(info, body);
				hit();
				const text = action.transform(answer.body.toString('utf8'), info);
				return send(res, action.status ?? answer.status, answer.headers, Buffer.from(text, 'utf8'));
			}
			case 'redirect': {
				hit();
				const location = withMarker(action.location(info, this));
				return send(res, action.status, { location, 'content-type': 'text/html' }, Buffer.from(`<a href="${location}">moved</a>`));
			}
			case 'echo': {
				hit();
				const echo = echoOf(info);
				const shape = action.shape ?? ((echoed: EchoedRequest) => ({ message: echoed.text, Message: echoed.text, request: { headers: echoed.headers, body: echoed.body } }));
				return send(res, action.status, { 'content-type': 'application/json' }, Buffer.from(JSON.stringify(shape(echo))));
			}
		}
	}

	/** Asks the emulator, and rewrites its origins to the proxy's in what it answers. */
	private async forward(info: RequestInfo, body: Buffer): Promise<UpstreamAnswer> {
		const upstream = info.side === 'storage' ? this.upstreamStorage : this.upstreamApi;
		if (!upstream) throw new Error('This proxy has no storage upstream');
		const headers: http.OutgoingHttpHeaders = { ...info.headers, host: upstream.host };
		delete headers.connection;
		delete headers['keep-alive'];
		// The emulator's host names resolve to loopback; connect by address to avoid resolver order.
		const address = upstream.hostname === 'localhost' ? '127.0.0.1' : upstream.hostname;
		const answer = await new Promise<UpstreamAnswer>((resolve, reject) => {
			const request = http.request(
				{ host: address, port: upstream.port, method: info.method, path: info.pathAndQuery, headers, agent: false },
				(response) => {
					readAll(response).then((content) => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: content }), reject);
				},
			);
			request.on('error', reject);
			request.end(body);
		});
		// Files are passed on byte for byte: decoding a range that starts mid-character would change it.
		return info.side === 'storage' ? this.rewriteLocation(answer) : this.rewriteOrigins(answer);
	}

	/** Only the Location of a storage answer points at the proxy. */
	private rewriteLocation(answer: UpstreamAnswer): UpstreamAnswer {
		const rewritten = this.rewriteOrigins({ ...answer, body: Buffer.alloc(0) });
		return { ...answer, headers: rewritten.headers };
	}

	/** Points the emulator's own URLs (in API answers and any Location) at the proxy. */
	private rewriteOrigins(answer: UpstreamAnswer): UpstreamAnswer {
		const swaps: Array<[string, string]> = [];
		if (this.upstreamStorage && this.storageOrigin) swaps.push([this.upstreamStorage.origin, this.storageOrigin]);
		swaps.push([this.upstreamApi.origin, this.apiOrigin]);
		const rewrite = (text: string) =>
			swaps.reduce((result, [from, to]) => result.split(from).join(to).split(from.replace(/\//g, '\\/')).join(to.replace(/\//g, '\\/')), text);
		const headers = { ...answer.headers };
		if (typeof headers.location === 'string') headers.location = rewrite(headers.location);
		const type = String(headers['content-type'] ?? '');
		const textual = /json|text|xml|html|javascript/i.test(type) || type === '';
		const body = textual && answer.body.length < 16 * 1024 * 1024 ? Buffer.from(rewrite(answer.body.toString('utf8')), 'utf8') : answer.body;
		return { ...answer, headers, body };
	}
}

// ---------------------------------------------------------------------------------------------
// Redirect targets

/** The same URL on the other loopback host name: localhost for 127.0.0.1 and back (same port). */
export function otherHostOf(request: RequestInfo): string {
	const url = new URL(request.pathAndQuery, request.origin);
	url.hostname = url.hostname === 'localhost' ? '127.0.0.1' : 'localhost';
	return url.href;
}

/** The same request on the sink (another port), which forwards it to the side it came from. */
export function sinkOf(request: RequestInfo, proxy: FaultProxy): string {
	return `${proxy.sinkOrigin}/__${request.side}${request.pathAndQuery}`;
}

/** The same URL again: a redirect loop. */
export function sameUrlOf(request: RequestInfo): string {
	return new URL(request.pathAndQuery, request.origin).href;
}

function withMarker(location: string): string {
	if (!/^https?:\/\//i.test(location)) return location;
	const url = new URL(location);
	url.searchParams.set(REDIRECT_MARKER, randomUUID().slice(0, 8));
	return url.href;
}

// ---------------------------------------------------------------------------------------------
// Low-level sending

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
	const parts: Buffer[] = [];
	let size = 0;
	for await (const chunk of stream) {
		const buffer = Buffer.isBuffer(chunk) ? chunk : typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
		size += buffer.length;
		if (size > MAX_BODY_BYTES) throw new Error('body too large for the proxy');
		parts.push(buffer);
	}
	return Buffer.concat(parts);
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'proxy-connection', 'upgrade', 'te', 'trailer']);

function plainHeaders(headers: http.IncomingHttpHeaders | Record<string, string>): Record<string, string | string[]> {
	const result: Record<string, string | string[]> = {};
	for (const [name, value] of Object.entries(headers)) {
		if (value === undefined || HOP_BY_HOP.has(name.toLowerCase())) continue;
		result[name] = value;
	}
	return result;
}

function send(res: http.ServerResponse, status: number, headers: http.IncomingHttpHeaders | Record<string, string>, body: Buffer): void {
	res.writeHead(status, { ...plainHeaders(headers), 'content-length': String(body.length) });
	res.end(body);
}

async function sendSource(res: http.ServerResponse, status: number, headers: Record<string, string>, content: BodySource, length: 'exact' | 'none' | number): Promise<void> {
	if (typeof content === 'string' || Buffer.isBuffer(content)) {
		const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
		const announced = length === 'exact' ? bytes.length : length;
		res.writeHead(status, { ...plainHeaders(headers), ...(announced === 'none' ? {} : { 'content-length': String(announced) }) });
		if (typeof announced === 'number' && announced > bytes.length) {
			// A lie: less than announced, then the connection closes.
			await write(res, bytes);
			res.socket?.end();
			return;
		}
		res.end(bytes);
		return;
	}
	res.writeHead(status, { ...plainHeaders(headers), ...(typeof length === 'number' ? { 'content-length': String(length) } : {}) });
	for await (const chunk of content) {
		if (res.destroyed) return;
		await write(res, chunk);
	}
	res.end();
}

/** Writes with backpressure; resolves when the chunk was handed to the socket. */
function write(res: http.ServerResponse, chunk: Uint8Array): Promise<void> {
	return new Promise((resolve, reject) => {
		if (res.destroyed) return reject(new Error('the client went away'));
		const onClose = () => reject(new Error('the client went away'));
		res.once('close', onClose);
		const flushed = res.write(chunk, () => undefined);
		const done = () => {
			res.off('close', onClose);
			resolve();
		};
		if (flushed) done();
		else res.once('drain', done);
	});
}

function resetConnection(socket: Socket): void {
	// A TCP RST, as a crashed server or a middlebox sends (ECONNRESET on the client).
	if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
	else socket.destroy();
}

function echoOf(info: RequestInfo): EchoedRequest {
	const headerLines = Object.entries(info.headers).map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(', ') : value}`);
	const text = `Upstream rejected the request ${info.method} ${info.pathAndQuery}. Headers: ${headerLines.join('; ')}. Body: ${info.body}`;
	return { text, method: info.method, url: info.pathAndQuery, headers: info.headers, body: info.body };
}
