/**
 * The fault matrix: every fault, written once for every provider profile, each with the outcome
 * it SHOULD have (the target, not necessarily today's behaviour).
 *
 * Export cases run the Export operation with one fault injected; cancel cases stop it in each
 * state; trigger cases interrupt a poll at each step, by an error and by killing the process,
 * under both of n8n's static-data modes, then poll again.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

import type { IDataObject } from 'n8n-workflow';

import type { StaticDataPersistence } from '../helpers/n8n';
import { INVALID_JSON, NGINX_502_PAGE, damage, repeatedRows, traversalZip, withHugeField, zipBomb, type Damage } from './payloads';
import { DEFAULT_UNKNOWN_STATUS, type ProviderProfile, type ProviderRun, type Row } from './profiles';
import { otherHostOf, sameUrlOf, sinkOf, type FaultAction, type FaultProxy, type FaultRule } from './proxy';
import { ABOUT, type CallKind } from './wording';

// ---------------------------------------------------------------------------------------------
// Case types

export type Expectation =
	/** Every row, exactly once, and no error. */
	| { outcome: 'rows' }
	/** A clear error: it names the provider, the failing call (none: the job itself failed) and the job. */
	| { outcome: 'error'; call?: CallKind; about?: About }
	/** Either of the two: no wrong rows, no silent loss. */
	| { outcome: 'rows-or-error'; call?: CallKind; about?: About }
	/** Stopped promptly, no request after the stop, the job named for later. */
	| { outcome: 'cancelled' };

/** What the error must say about the fault; a function when it depends on the provider. */
export type About = RegExp | ((profile: ProviderProfile) => RegExp);

export interface CaseContext {
	profile: ProviderProfile;
	run: ProviderRun;
	proxy: FaultProxy;
	/** Unique per case: for names of files a case checks for. */
	tag: string;
	/** Adds a proxy rule for one of the provider's calls. */
	on(call: CallKind, rule: Omit<FaultRule, 'side' | 'method' | 'path'>): string;
	/** State a case keeps between arrange(), cancelOn() and check(). */
	memo: Record<string, unknown>;
}

export interface ExportCase {
	kind: 'export' | 'cancel';
	name: string;
	/** The fault in words, for the report. */
	fault: string;
	expect: Expectation;
	arrange(context: CaseContext): void | Promise<void>;
	/** Node options on top of the profile's. */
	options?: IDataObject;
	/** When this resolves, the execution is cancelled (as the Stop button does). */
	cancelOn?(context: CaseContext): Promise<void>;
	/** Run in a child process with a memory limit: payloads that could take the process down. */
	isolate?: boolean;
	/** The case fails when it takes longer (default DEFAULT_BOUND_MS). */
	boundMs?: number;
	/** More checks on what came out: problems, if any. */
	check?(context: CaseContext, delivered: Row[]): string[];
}

/** Where a trigger poll is interrupted. */
export type TriggerStep = 'afterStart' | 'midPoll' | 'midDownload' | 'afterEmit' | 'beforeSave';

export interface TriggerCase {
	kind: 'trigger';
	name: string;
	fault: string;
	step: TriggerStep;
	way: 'error' | 'kill';
	persistence: StaticDataPersistence;
	boundMs?: number;
}

export type FaultCase = ExportCase | TriggerCase;

export const DEFAULT_BOUND_MS = 20_000;
export const TRIGGER_BOUND_MS = 40_000;

// ---------------------------------------------------------------------------------------------
// Building blocks

const JSON_TYPE = { 'content-type': 'application/json' };
const INJECTED_ERROR = JSON.stringify({ message: 'Injected failure (fault matrix)', Message: 'Injected failure (fault matrix)' });
const TOO_MANY = JSON.stringify({ message: 'Too Many Requests', Message: 'Too many requests.' });

const respond = (status: number, body: string, headers: Record<string, string> | (() => Record<string, string>) = JSON_TYPE): FaultAction => ({ kind: 'respond', status, headers, body });
const throttle = (headers: () => Record<string, string>): FaultAction => ({ kind: 'respond', status: 429, headers: () => ({ ...JSON_TYPE, ...headers() }), body: TOO_MANY });
const YEAR_MS = 365 * 24 * 60 * 60_000;

function exportCase(name: string, fault: string, expect: Expectation, arrange: ExportCase['arrange'], extra: Partial<ExportCase> = {}): ExportCase {
	return { kind: 'export', name, fault, expect, arrange, ...extra };
}

const rows: Expectation = { outcome: 'rows' };
const error = (call: CallKind | undefined, about?: About): Expectation => ({ outcome: 'error', call, about });
const rowsOrError = (call: CallKind, about?: About): Expectation => ({ outcome: 'rows-or-error', call, about });

function fileDigest(path: string): string {
	return existsSync(path) ? createHash('sha256').update(readFileSync(path)).digest('hex') : 'missing';
}

/** Rows of the provider's own file must never carry text that came from somewhere else. */
function noForeignText(pattern: RegExp, what: string) {
	return (_context: CaseContext, delivered: Row[]) => (delivered.some((row) => pattern.test(JSON.stringify(row))) ? [`a row holds ${what}`] : []);
}

// ---------------------------------------------------------------------------------------------
// Export cases

const rateLimits: ExportCase[] = [
	exportCase('429-seconds-start', '429 with Retry-After: 1 (seconds), twice, on the start call', rows, (c) => {
		c.on('start', { times: 2, action: throttle(() => ({ 'Retry-After': '1' })) });
	}),
	exportCase('429-http-date-status', '429 with Retry-After as an HTTP date 2 s ahead, on a status call', rows, (c) => {
		c.on('status', { times: 1, action: throttle(() => ({ 'Retry-After': new Date(Date.now() + 2000).toUTCString() })) });
	}),
	exportCase('429-epoch-status', '429 with X-RateLimit-Retry-After as epoch seconds (Rebilly style), on a status call', rows, (c) => {
		c.on('status', { times: 1, action: throttle(() => ({ 'X-RateLimit-Retry-After': String(Math.ceil(Date.now() / 1000) + 1) })) });
	}),
	exportCase('429-download', '429 with Retry-After: 1 on a file download', rows, (c) => {
		c.on('download', { times: 1, action: throttle(() => ({ 'Retry-After': '1' })) });
	}),
	exportCase('429-absurd-seconds-status', '429 with Retry-After: 86400 (a day) on a status call', error('status', ABOUT.rateLimit), (c) => {
		c.on('status', { times: 1, action: throttle(() => ({ 'Retry-After': '86400' })) });
	}),
	exportCase('429-absurd-date-start', '429 with Retry-After a year ahead (HTTP date) on the start call', error('start', ABOUT.rateLimit), (c) => {
		c.on('start', { times: 1, action: throttle(() => ({ 'Retry-After': new Date(Date.now() + YEAR_MS).toUTCString() })) });
	}),
	exportCase('429-garbage-status', '429 with Retry-After: "soon, maybe" on a status call', rows, (c) => {
		c.on('status', { times: 1, action: throttle(() => ({ 'Retry-After': 'soon, maybe' })) });
	}),
	exportCase('429-negative-status', '429 with Retry-After: -5 on a status call', rows, (c) => {
		c.on('status', { times: 1, action: throttle(() => ({ 'Retry-After': '-5' })) });
	}),
	exportCase('429-forever-status', 'every status call answers 429 with Retry-After: 1', error('status', ABOUT.rateLimit), (c) => {
		c.on('status', { action: throttle(() => ({ 'Retry-After': '1' })) });
	}),
];

const serverErrors: ExportCase[] = [
	exportCase('503-burst-start', '503 three times on the start call, then through', rows, (c) => {
		c.on('start', { times: 3, action: respond(503, INJECTED_ERROR) });
	}),
	exportCase('500-burst-status', '500 three times on status calls, then through', rows, (c) => {
		c.on('status', { times: 3, action: respond(500, INJECTED_ERROR) });
	}),
	exportCase('502-burst-download', 'an nginx 502 page three times on a file download, then through', rows, (c) => {
		c.on('download', { times: 3, action: respond(502, NGINX_502_PAGE, { 'content-type': 'text/html' }) });
	}),
	exportCase('503-forever-status', 'every status call answers 503 (no Retry-After)', error('status', ABOUT.serverError), (c) => {
		c.on('status', { action: respond(503, INJECTED_ERROR) });
	}),
];

const connections: ExportCase[] = [
	exportCase('reset-start', 'the connection is reset before the start call is answered (once; it never reached the provider)', rows, (c) => {
		c.on('start', { times: 1, action: { kind: 'reset' } });
	}),
	exportCase('reset-status', 'the connection is reset before a status answer, twice', rows, (c) => {
		c.on('status', { times: 2, action: { kind: 'reset' } });
	}),
	exportCase('reset-forever-status', 'every status call has its connection reset', error('status', ABOUT.network), (c) => {
		c.on('status', { action: { kind: 'reset' } });
	}),
	exportCase('reset-download-midbody', 'a download is reset after 1 KiB of the body (once)', rows, (c) => {
		c.on('download', { times: 1, action: { kind: 'resetMidBody', afterBytes: 1024 } });
	}),
	exportCase('truncated-download', 'a download announces its full Content-Length, sends 1 KiB and closes (once)', rows, (c) => {
		c.on('download', { times: 1, action: { kind: 'truncate', afterBytes: 1024 } });
	}),
	exportCase('stall-status', 'a status answer sends its head and 8 bytes, then silence (once)', rows, (c) => {
		c.on('status', { times: 1, action: { kind: 'stall', afterBytes: 8 } });
	}),
	exportCase('stall-download', 'a download sends 1 KiB, then silence (once)', rows, (c) => {
		c.on('download', { times: 1, action: { kind: 'stall', afterBytes: 1024 } });
	}),
	exportCase('unanswered-start', 'the start call is read and never answered (once; it never reached the provider)', rows, (c) => {
		c.on('start', { times: 1, action: { kind: 'noAnswer' } });
	}),
	exportCase('unanswered-status', 'a status call is read and never answered (once)', rows, (c) => {
		c.on('status', { times: 1, action: { kind: 'noAnswer' } });
	}),
	exportCase('unanswered-forever-status', 'no status call is ever answered', error('status', ABOUT.network), (c) => {
		c.on('status', { action: { kind: 'noAnswer' } });
	}),
	exportCase('unanswered-download', 'a download is read and never answered (once)', rows, (c) => {
		c.on('download', { times: 1, action: { kind: 'noAnswer' } });
	}),
];

const jobs: ExportCase[] = [
	exportCase('job-failed', 'the provider reports the job failed', error(undefined, ABOUT.failedJob), (c) => c.run.jobFaults.failed()),
	exportCase('job-expired', 'the job is gone / expired when its status is asked again', error(undefined, ABOUT.expiredJob), (c) => c.run.jobFaults.expired()),
	// The error names the value the provider gave.
	exportCase('job-unknown-status', 'the job status is a value the node does not know ("paused")', error(undefined, (profile) => new RegExp(profile.unknownStatusValue ?? DEFAULT_UNKNOWN_STATUS, 'i')), (c) =>
		c.run.jobFaults.unknownStatus(),
	),
	exportCase('job-stuck', 'the job never finishes', error(undefined, ABOUT.stuckJob), (c) => c.run.jobFaults.stuck()),
	exportCase('link-expired-once', 'the file link is refused as expired once (403)', rows, (c) => c.run.jobFaults.expireLinks(1)),
	exportCase('link-expired-always', 'every file link is refused as expired (403)', error('download', ABOUT.refusedLink), (c) => c.run.jobFaults.expireLinks(1000)),
];

const invalidAnswers: ExportCase[] = [
	exportCase('html-200-start', 'the start call answers an nginx error page with 200 (text/html)', error('start', ABOUT.notJson), (c) => {
		c.on('start', { action: respond(200, NGINX_502_PAGE, { 'content-type': 'text/html' }) });
	}),
	exportCase('html-200-status', 'status calls answer an nginx error page with 200 (text/html)', error('status', ABOUT.notJson), (c) => {
		c.on('status', { action: respond(200, NGINX_502_PAGE, { 'content-type': 'text/html' }) });
	}),
	exportCase('html-200-download', 'downloads answer an nginx error page with 200 (text/html)', error('download', ABOUT.notJson), (c) => {
		c.on('download', { action: respond(200, NGINX_502_PAGE, { 'content-type': 'text/html' }) });
	}),
	exportCase('html-as-csv-download', 'downloads answer an nginx error page with 200, labelled text/csv', error('download', ABOUT.notJson), (c) => {
		c.on('download', { action: respond(200, NGINX_502_PAGE, { 'content-type': 'text/csv' }) });
	}, { check: noForeignText(/Bad Gateway|<html|nginx/i, 'the error page') }),
	exportCase('invalid-json-start', 'the start call answers cut-off JSON with 200', error('start', ABOUT.notJson), (c) => {
		c.on('start', { action: respond(200, INVALID_JSON) });
	}),
	exportCase('invalid-json-status', 'status calls answer cut-off JSON with 200', error('status', ABOUT.notJson), (c) => {
		c.on('status', { action: respond(200, INVALID_JSON) });
	}),
	// Any clear error will do: a parser's words ("a quote never closes") or a size check's.
	exportCase('invalid-json-download', 'downloads answer cut-off JSON with 200 (application/json)', error('download'), (c) => {
		c.on('download', { action: respond(200, INVALID_JSON) });
	}),
	exportCase('empty-200-start', 'the start call answers 200 with an empty body', error('start', ABOUT.empty), (c) => {
		c.on('start', { action: respond(200, '') });
	}),
	exportCase('empty-200-status', 'status calls answer 200 with an empty body', error('status', ABOUT.empty), (c) => {
		c.on('status', { action: respond(200, '') });
	}),
	exportCase('empty-200-download', 'downloads answer 200 with an empty body', error('download', ABOUT.empty), (c) => {
		c.on('download', { action: respond(200, '', { 'content-type': 'application/octet-stream' }) });
	}),
];

const redirects: ExportCase[] = [
	exportCase('redirect-download-other-host', 'a download answers 302 to the same URL on the other loopback name (localhost / 127.0.0.1)', rows, (c) => {
		c.on('download', { times: 1, action: { kind: 'redirect', status: 302, location: otherHostOf } });
	}),
	exportCase('redirect-download-other-port', 'a download answers 307 to another port (a recording listener)', rows, (c) => {
		c.on('download', { times: 1, action: { kind: 'redirect', status: 307, location: sinkOf } });
	}),
	exportCase('redirect-download-loop', 'downloads answer 302 to themselves (a loop)', error('download', ABOUT.redirect), (c) => {
		c.on('download', { action: { kind: 'redirect', status: 302, location: sameUrlOf } });
	}),
	exportCase('redirect-download-ftp', 'a download answers 302 to ftp://', error('download', ABOUT.unsafeRedirect), (c) => {
		c.on('download', { action: { kind: 'redirect', status: 302, location: () => 'ftp://127.0.0.1:2121/export.csv' } });
	}),
	exportCase('redirect-download-file', 'a download answers 302 to file:///etc/passwd', error('download', ABOUT.unsafeRedirect), (c) => {
		c.on('download', { action: { kind: 'redirect', status: 302, location: () => 'file:///etc/passwd' } });
	}, { check: noForeignText(/root:x?:0:0/, 'the content of /etc/passwd') }),
	exportCase('redirect-download-javascript', 'a download answers 302 to javascript:', error('download', ABOUT.unsafeRedirect), (c) => {
		c.on('download', { action: { kind: 'redirect', status: 302, location: () => 'javascript:alert(document.cookie)' } });
	}),
	exportCase('redirect-api-other-host', 'a status call answers 307 to the other loopback name (credentials must not follow)', rowsOrError('status', ABOUT.redirect), (c) => {
		c.on('status', { times: 1, action: { kind: 'redirect', status: 307, location: otherHostOf } });
	}),
	exportCase('redirect-api-other-port', 'a status call answers 307 to another port (credentials must not follow)', rowsOrError('status', ABOUT.redirect), (c) => {
		c.on('status', { times: 1, action: { kind: 'redirect', status: 307, location: sinkOf } });
	}),
	// 307: the method stays (a 302 turns a POST into a GET, which ends the loop).
	exportCase('redirect-api-loop', 'status calls answer 307 to themselves (a loop)', error('status', ABOUT.redirect), (c) => {
		c.on('status', { action: { kind: 'redirect', status: 307, location: sameUrlOf } });
	}),
	exportCase('redirect-api-file', 'status calls answer 302 to file:///etc/passwd', error('status', ABOUT.unsafeRedirect), (c) => {
		c.on('status', { action: { kind: 'redirect', status: 302, location: () => 'file:///etc/passwd' } });
	}, { check: noForeignText(/root:x?:0:0/, 'the content of /etc/passwd') }),
];

const archives: ExportCase[] = [
	exportCase('zip-bomb', 'a download answers a ~1 MiB zip whose entry inflates to 1 GiB of zeros', error('download', ABOUT.tooLarge), (c) => {
		c.on('download', { times: 1, action: { kind: 'body', headers: { 'content-type': 'application/zip' }, make: () => zipBomb({ entryName: c.profile.zipEntryName }) } });
	}, { isolate: true }),
	exportCase('zip-bomb-lying-size', 'the same zip bomb, its directory claiming 4 KiB', error('download', ABOUT.tooLarge), (c) => {
		c.on('download', { times: 1, action: { kind: 'body', headers: { 'content-type': 'application/zip' }, make: () => zipBomb({ entryName: c.profile.zipEntryName, claimedBytes: 4096 }) } });
	}, { isolate: true }),
	exportCase('zip-traversal', 'a download answers a zip with the real file plus entries named ../../etc/passwd, ../../…/tmp/…, /tmp/… and ..\\…', rowsOrError('download'), (c) => {
		c.memo.passwd = fileDigest('/etc/passwd');
		c.on('download', {
			times: 1,
			action: {
				kind: 'body',
				fromUpstream: true,
				headers: { 'content-type': 'application/zip' },
				make: (upstream) => {
					const zip = traversalZip(upstream ?? Buffer.alloc(0), c.profile.fileKind, c.profile.zipEntryName, c.tag);
					c.memo.escapes = zip.escapes;
					return zip.zip;
				},
			},
		});
	}, {
		check: (c) => [
			...((c.memo.escapes as string[] | undefined) ?? []).filter((path) => existsSync(path)).map((path) => `a zip entry was written outside: ${path}`),
			...(fileDigest('/etc/passwd') !== c.memo.passwd ? ['/etc/passwd changed'] : []),
		],
	}),
];

function damaged(name: string, what: Damage, fault: string, about: RegExp): ExportCase {
	return exportCase(name, fault, error('download', about), (c) => {
		c.on('download', { times: 1, action: { kind: 'body', fromUpstream: true, make: (upstream) => damage(upstream ?? Buffer.alloc(0), c.profile.fileKind, what) } });
	});
}

/** Either says what is wrong, or where (the line or row). */
const either = (...patterns: RegExp[]) => new RegExp(patterns.map((pattern) => pattern.source).join('|'), 'i');

const damagedFiles: ExportCase[] = [
	damaged('file-ragged', 'ragged', 'the file has rows with a field too many / too few (JSON Lines: a line that is not an object)', ABOUT.rowShape),
	damaged('file-invalid-utf8', 'invalid-utf8', 'the file has invalid UTF-8 bytes inside a value', either(ABOUT.encoding, ABOUT.rowShape)),
	damaged('file-nul', 'nul', 'the file has NUL bytes inside a value', either(ABOUT.binary, ABOUT.rowShape)),
	damaged('file-unterminated-quote', 'unterminated-quote', 'the file\'s last line opens a quote that never closes', either(ABOUT.quote, ABOUT.rowShape)),
	damaged('file-broken-line', 'broken-line', 'a line of the file is broken in two', ABOUT.rowShape),
	exportCase('file-huge-field', 'the file has a row whose one field holds 128 MiB', error('download', ABOUT.tooLarge), (c) => {
		c.on('download', { times: 1, action: { kind: 'body', fromUpstream: true, make: (upstream) => withHugeField(upstream ?? Buffer.alloc(0), c.profile.fileKind).chunks } });
	}, { isolate: true }),
];

const echoes: ExportCase[] = [
	exportCase('echo-secrets-error', 'status calls answer 400 with a body that echoes every request header and the body', error('status'), (c) => {
		c.on('status', { action: { kind: 'echo', status: 400 } });
	}),
	exportCase('echo-secrets-200', 'status calls answer 200 with an unexpected body that echoes every request header and the body', error('status'), (c) => {
		c.on('status', {
			action: { kind: 'echo', status: 200, shape: (echo) => ({ state: 'echo', Status: 'Echo', message: echo.text, request: { headers: echo.headers, body: echo.body } }) },
		});
	}),
];

const cancellations: ExportCase[] = [
	{
		kind: 'cancel',
		name: 'cancel-starting',
		fault: 'Stop while the start call is unanswered',
		expect: { outcome: 'cancelled' },
		arrange: (c) => void c.on('start', { name: 'held', action: { kind: 'noAnswer' } }),
		cancelOn: (c) => c.proxy.waitForHit('held'),
	},
	{
		kind: 'cancel',
		name: 'cancel-waiting',
		fault: 'Stop while waiting for a job that never finishes (after the third status call)',
		expect: { outcome: 'cancelled' },
		arrange: (c) => {
			c.run.jobFaults.stuck();
			c.on('status', { name: 'third', skip: 2, times: 1, action: { kind: 'pass' } });
		},
		cancelOn: (c) => c.proxy.waitForHit('third'),
	},
	{
		kind: 'cancel',
		name: 'cancel-downloading',
		fault: 'Stop while a download is stalled after 1 KiB',
		expect: { outcome: 'cancelled' },
		arrange: (c) => void c.on('download', { name: 'stalled', action: { kind: 'stall', afterBytes: 1024 } }),
		cancelOn: (c) => c.proxy.waitForHit('stalled'),
	},
	{
		kind: 'cancel',
		name: 'cancel-parsing',
		fault: 'Stop once 8 MiB of a 64 MiB file (arriving at full speed) were read',
		expect: { outcome: 'cancelled' },
		arrange: (c) => {
			let reached: () => void = () => undefined;
			c.memo.eightMiBRead = new Promise<void>((resolve) => (reached = resolve));
			c.on('download', {
				times: 1,
				action: {
					kind: 'body',
					fromUpstream: true,
					make: (upstream) => pulled(repeatedRows(upstream ?? Buffer.alloc(0), c.profile.fileKind, 64 * 1024 * 1024), 8 * 1024 * 1024, reached),
				},
			});
		},
		// The proxy writes with backpressure: 8 MiB pulled means the node is busy reading rows.
		cancelOn: (c) => c.memo.eightMiBRead as Promise<void>,
	},
];

/** The chunks as they are, calling `then` once `bytes` of them were taken. */
async function* pulled(chunks: AsyncIterable<Buffer>, bytes: number, then: () => void): AsyncGenerator<Buffer> {
	let taken = 0;
	for await (const chunk of chunks) {
		yield chunk;
		taken += chunk.length;
		if (taken >= bytes) then();
	}
	then();
}

export const EXPORT_CASES: ExportCase[] = [
	exportCase('baseline', 'none', rows, () => undefined),
	...rateLimits,
	...serverErrors,
	...connections,
	...jobs,
	...invalidAnswers,
	...redirects,
	...archives,
	...damagedFiles,
	...echoes,
	...cancellations,
];

// ---------------------------------------------------------------------------------------------
// Trigger cases

const STEP_WORDS: Record<TriggerStep, { error: string; kill: string }> = {
	afterStart: { error: 'status calls fail (400) right after the job started', kill: 'the process is killed right after the job started' },
	midPoll: { error: 'status calls fail (400) after the first one', kill: 'the process is killed during the second status call' },
	midDownload: { error: 'the download breaks after 512 bytes, then 404', kill: 'the process is killed during the download' },
	afterEmit: { error: 'the execution the poll started fails (its rows were emitted)', kill: 'the process is killed after the rows were emitted and saved' },
	beforeSave: { error: 'saving the static data fails after the emit', kill: 'the process is killed after the emit, before the static data was saved' },
};

export const TRIGGER_STEPS: TriggerStep[] = ['afterStart', 'midPoll', 'midDownload', 'afterEmit', 'beforeSave'];

export const TRIGGER_CASES: TriggerCase[] = (['memory', 'durable'] as const).flatMap((persistence) =>
	TRIGGER_STEPS.flatMap((step) =>
		(['error', 'kill'] as const).map((way) => ({
			kind: 'trigger' as const,
			name: `trigger-${way}-${step}-${persistence}`,
			fault: `${STEP_WORDS[step][way]} (${persistence === 'memory' ? "n8n's default static data" : 'durable cursors'})`,
			step,
			way,
			persistence,
		})),
	),
);

export const ALL_CASES: FaultCase[] = [...EXPORT_CASES, ...TRIGGER_CASES];

export function findCase(name: string): FaultCase {
	const found = ALL_CASES.find((candidate) => candidate.name === name);
	if (!found) throw new Error(`No fault case named ${name}`);
	return found;
}

/** The interruption of a trigger poll by an error: the rules that make the poll fail. */
export function triggerErrorRules(step: TriggerStep): Array<{ call: CallKind; rule: Omit<FaultRule, 'side' | 'method' | 'path'> }> {
	const failed = respond(400, INJECTED_ERROR);
	switch (step) {
		case 'afterStart':
			return [{ call: 'status', rule: { action: failed } }];
		case 'midPoll':
			return [{ call: 'status', rule: { skip: 1, action: failed } }];
		case 'midDownload':
			return [
				{ call: 'download', rule: { times: 1, action: { kind: 'resetMidBody', afterBytes: 512 } } },
				{ call: 'download', rule: { skip: 1, action: respond(404, INJECTED_ERROR) } },
			];
		default:
			return [];
	}
}

/** The interruption of a trigger poll by a kill: the request to hold while the process dies. */
export function triggerKillRule(step: TriggerStep): { call: CallKind; rule: Omit<FaultRule, 'side' | 'method' | 'path'> } | undefined {
	switch (step) {
		case 'afterStart':
			return { call: 'status', rule: { name: 'kill-here', times: 1, action: { kind: 'noAnswer' } } };
		case 'midPoll':
			return { call: 'status', rule: { name: 'kill-here', skip: 1, times: 1, action: { kind: 'noAnswer' } } };
		case 'midDownload':
			return { call: 'download', rule: { name: 'kill-here', times: 1, action: { kind: 'stall', afterBytes: 512 } } };
		default:
			return undefined;
	}
}
