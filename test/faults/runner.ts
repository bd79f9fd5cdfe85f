/**
 * Runs one fault case against one provider profile and judges it against the targets:
 * no crash, no hang (a hard bound per case), no wrong rows, no silently lost rows, no leaked
 * secret, duplicates only where at-least-once allows them, and errors that say what failed.
 * What it saw goes into a CaseRecord, which the report (scripts/reliability-report.ts) renders.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';

import { ActiveWorkflowStaticData, findLeakedFields, redactSecrets, type PollTriggerResult, type TestCredentials } from '../helpers/n8n';
import {
	DEFAULT_BOUND_MS,
	TRIGGER_BOUND_MS,
	findCase,
	triggerErrorRules,
	triggerKillRule,
	type About,
	type CaseContext,
	type ExportCase,
	type FaultCase,
	type TriggerCase,
} from './cases';
import { PROFILES, startRun, type JobInfo, type ProviderProfile, type ProviderRun, type Row } from './profiles';
import type { ProxyRecord } from './proxy';
import { ABOUT, CANCEL_MISLEADS, wordingProblems, type CallKind, type ErrorText } from './wording';

export interface CaseRecord {
	profile: string;
	case: string;
	kind: FaultCase['kind'];
	fault: string;
	expected: string;
	passed: boolean;
	/** Why it failed: the to-do list. */
	problems: string[];
	rowsServed: number;
	rowsDelivered: number;
	wrongRows: number;
	/** Rows missing although no error said so (a trigger: never emitted by any later poll). */
	lostRows: number;
	duplicates: number;
	/** Of those, the ones at-least-once delivery allows (a crash between emit and save). */
	allowedDuplicates: number;
	requests: number;
	jobsStarted: number;
	/** Jobs started and never read (informational). */
	jobsOrphaned: number;
	durationMs: number;
	error?: ErrorText;
	/** Where a credential value showed up, by the name of its field: the record never holds a secret. */
	leaks: Leak[];
	crashed: boolean;
	hung: boolean;
	notes: string[];
}

/** A credential that showed up where it must not: its field names (never the values) and where. */
export interface Leak {
	/** Names of the credential's password fields, e.g. `['token']`. */
	fields: string[];
	/** `in the log`, `sent to GET /x on the other port`, … */
	where: string;
}

/** A case's result after its hard bound, when it does not stop even when cancelled. */
const GRACE_MS = 5_000;
/** How long the matrix watches for requests a node sends after it returned. */
const STRAY_WATCH_MS = 400;
/** A cancelled execution must have ended this long after the cancel (generous: CI runs cases side by side). */
const CANCEL_STOP_MS = 5_000;
/**
 * A request that reaches the proxy this long after the cancel was sent after it: one already on its
 * way may arrive late on a loaded machine, and a node that goes on polling sends more than one.
 */
const AFTER_CANCEL_GRACE_MS = 1_500;
/** One trigger poll's bound. */
const POLL_BOUND_MS = 15_000;
const FOLLOW_UP_POLLS = 4;
/** Changed records per batch in a trigger case. */
const BATCH_SIZE = 3;
/** Resident memory an isolated case may reach (Buffers count, which the V8 heap limit does not see). */
const ISOLATED_RSS_LIMIT_MB = 768;
const ISOLATED_HEAP_MB = 512;
/** Startup of a child process (tsx, n8n) on top of a case's bound. */
const CHILD_STARTUP_MS = 20_000;

// ---------------------------------------------------------------------------------------------
// Entry points

export async function runCase(profile: ProviderProfile, faultCase: FaultCase): Promise<CaseRecord> {
	if (faultCase.kind !== 'trigger' && faultCase.isolate) {
		// One heavy child at a time: a CPU-bound case must not push another past its bound.
		const turn = isolatedQueue.then(() => runIsolated(profile, faultCase));
		isolatedQueue = turn.then(
			() => undefined,
			() => undefined,
		);
		return turn;
	}
	return runCaseHere(profile, faultCase);
}

let isolatedQueue: Promise<void> = Promise.resolve();

/** Runs the case in this process. */
export async function runCaseHere(profile: ProviderProfile, faultCase: FaultCase): Promise<CaseRecord> {
	const run = await startRun(profile);
	try {
		return faultCase.kind === 'trigger' ? await runTriggerCase(profile, run, faultCase) : await runExportCase(profile, run, faultCase);
	} finally {
		await run.close().catch(() => undefined);
	}
}

export function boundOf(faultCase: FaultCase): number {
	if (faultCase.kind === 'trigger') return faultCase.boundMs ?? TRIGGER_BOUND_MS;
	return faultCase.boundMs ?? DEFAULT_BOUND_MS;
}

// ---------------------------------------------------------------------------------------------
// Export and cancel cases

function contextFor(profile: ProviderProfile, run: ProviderRun): CaseContext {
	return {
		profile,
		run,
		proxy: run.proxy,
		tag: randomUUID().slice(0, 8),
		memo: {},
		on: (call, rule) => run.proxy.addRule({ ...run.calls[call], ...rule }),
	};
}

async function runExportCase(profile: ProviderProfile, run: ProviderRun, spec: ExportCase): Promise<CaseRecord> {
	const context = contextFor(profile, run);
	const record = emptyRecord(profile, spec);
	const problems = record.problems;
	await spec.arrange(context);

	const bound = boundOf(spec);
	const stop = new AbortController();
	let cancelledAt: number | undefined;
	let requestsAtCancel = 0;
	const boundTimer = setTimeout(() => {
		record.hung = true;
		stop.abort();
	}, bound);
	spec.cancelOn?.(context).then(
		() => {
			if (stop.signal.aborted) return;
			cancelledAt = Date.now();
			requestsAtCancel = run.proxy.records.length;
			stop.abort();
		},
		() => undefined,
	);

	const startedAt = Date.now();
	const execution = run.runExport({ options: spec.options, cancelSignal: stop.signal });
	const result = await within(execution, bound + GRACE_MS);
	clearTimeout(boundTimer);
	const endedAt = Date.now();
	record.durationMs = endedAt - startedAt;
	if (record.hung) problems.push(`did not end within its bound of ${bound / 1000} s${result === undefined ? ', and not even when cancelled' : ' (stopped by a cancel)'}`);
	if (result === undefined) {
		record.requests = run.proxy.records.length;
		record.rowsServed = run.expectedRows().length;
		record.jobsStarted = run.jobs().length;
		return finish(record, run.credentials());
	}

	// Requests a node sends after it returned are work nobody waits for.
	await sleep(STRAY_WATCH_MS);
	const stray = run.proxy.records.filter((request) => request.at > endedAt);
	if (stray.length) problems.push(`sent ${stray.length} request(s) after it ended (${describeRequest(stray[0])})`);

	// Orphans are counted for triggers: an export's error names its job for the user to pick up.
	const jobs = run.jobs();
	record.jobsStarted = jobs.length;
	record.requests = run.proxy.records.length;
	const error = result.error ? { message: String(result.error.message ?? ''), description: result.error.description ?? undefined } : undefined;
	record.error = error;

	const delivered = result.items.map((item) => item.json as Row);
	const expected = run.expectedRows();
	record.rowsServed = expected.length;
	record.rowsDelivered = delivered.length;
	const expectation = spec.expect;
	const wording = (call: CallKind | undefined, about: About | undefined) =>
		error
			? wordingProblems(error, {
					provider: profile.provider,
					call,
					callWords: profile.callWords,
					jobIds: jobs.map((job) => job.id),
					about: typeof about === 'function' ? about(profile) : about,
				}).map((problem) => `the error ${problem}`)
			: [];

	if (expectation.outcome === 'cancelled') {
		if (cancelledAt === undefined) problems.push('ended before the point where it was to be cancelled');
		else {
			if (!result.cancelled) problems.push('the cancel did not reach the execution');
			if (endedAt - cancelledAt > CANCEL_STOP_MS) problems.push(`went on for ${((endedAt - cancelledAt) / 1000).toFixed(1)} s after the cancel`);
			const afterCancel = run.proxy.records.slice(requestsAtCancel).filter((request) => request.at > cancelledAt! + AFTER_CANCEL_GRACE_MS);
			if (afterCancel.length) problems.push(`sent ${afterCancel.length} request(s) after the cancel (${describeRequest(afterCancel[0])})`);
			if (error && jobs.length && !jobs.some((job) => `${error.message} ${error.description ?? ''}`.includes(job.id))) {
				problems.push('the cancel error does not name the job that was started (to pick it up later)');
			}
			if (error && (!ABOUT.cancelled.test(error.message) || CANCEL_MISLEADS.test(error.message))) {
				problems.push(`the error does not simply say the execution was cancelled: "${shorten(error.message)}"`);
			}
		}
	} else {
		const rows = compareRows(profile, expected, delivered);
		record.wrongRows = rows.wrong;
		record.duplicates = rows.duplicates;
		if (!error) record.lostRows = rows.lost;
		if (rows.wrong) problems.push(`delivered ${rows.wrong} wrong row(s)`);
		if (expectation.outcome === 'rows') {
			if (error) problems.push(`failed instead of delivering the rows: "${shorten(error.message)}"`);
			else {
				if (rows.lost) problems.push(`lost ${rows.lost} of ${expected.length} rows without an error`);
				if (rows.duplicates) problems.push(`delivered ${rows.duplicates} duplicate row(s)`);
			}
		} else if (expectation.outcome === 'error') {
			if (!error) problems.push(`did not fail: delivered ${delivered.length} of ${expected.length} rows${rows.lost ? `, ${rows.lost} lost` : ''}`);
			problems.push(...wording(expectation.call, expectation.about));
		} else if (error) {
			problems.push(...wording(expectation.call, expectation.about));
		} else {
			if (rows.lost) problems.push(`lost ${rows.lost} of ${expected.length} rows without an error`);
			if (rows.duplicates) problems.push(`delivered ${rows.duplicates} duplicate row(s)`);
		}
		problems.push(...(spec.check?.(context, delivered) ?? []));
	}

	record.leaks = leaksIn(run, {
		'the node output': result.outputs,
		'the error': result.error,
		'the log': result.logs,
		'the static data': result.staticData,
	});
	return finish(record, run.credentials());
}

// ---------------------------------------------------------------------------------------------
// Trigger cases

interface PollOutcome {
	result?: PollTriggerResult;
	error?: ErrorText & { json: unknown };
	timedOut?: boolean;
}

async function runTriggerCase(profile: ProviderProfile, run: ProviderRun, spec: TriggerCase): Promise<CaseRecord> {
	const context = contextFor(profile, run);
	const record = emptyRecord(profile, spec);
	const problems = record.problems;
	const store = new ActiveWorkflowStaticData(spec.persistence);
	const delivered: Row[] = [];
	const seen: Record<string, unknown> = {};
	const caseStarted = Date.now();
	let pollIndex = 0;

	const take = (outcome: PollOutcome, label: string) => {
		seen[`poll ${label}`] = outcome.result ? { items: outcome.result.items, logs: outcome.result.logs, staticData: outcome.result.staticData } : outcome.error?.json;
		if (outcome.timedOut) record.hung = true;
		if (outcome.result && !outcome.result.abandoned) for (const item of outcome.result.items ?? []) delivered.push(item.json as Row);
	};
	const poll = async (label: string) => {
		const outcome = await settlePoll(run.poll(store));
		take(outcome, label);
		return outcome;
	};
	const boundLeft = () => boundOf(spec) - (Date.now() - caseStarted);

	// Watching starts now; one change is emitted (and saved: the database has a position).
	const first = await poll('setup 1');
	if (first.error || first.result?.items) problems.push(`setup: the first poll ${first.error ? `failed: "${shorten(first.error.message)}"` : 'emitted rows although it starts from now'}`);
	const keysA = await run.changeRecords(1, BATCH_SIZE);
	const second = await poll('setup 2');
	if (second.error) problems.push(`setup: the poll after the first change failed: "${shorten(second.error.message)}"`);
	const keysB = await run.changeRecords(2, BATCH_SIZE);

	const jobsBefore = run.jobs().length;
	const requestsBefore = run.proxy.records.length;
	const startedAt = Date.now();

	// The interrupted poll.
	let interruptedError: PollOutcome['error'];
	if (spec.way === 'error') {
		for (const { call, rule } of triggerErrorRules(spec.step)) context.on(call, rule);
		// afterEmit: the execution the poll started fails downstream. n8n saved the static data
		// when the poll emitted, so that failure reaches no state: the poll runs unharmed.
		if (spec.step === 'beforeSave') store.interruptNextSave('fail');
		const outcome = await poll('interrupted');
		interruptedError = outcome.error;
	} else {
		const kill = triggerKillRule(spec.step);
		if (kill) {
			const name = context.on(kill.call, kill.rule);
			const inflight = settlePoll(run.poll(store));
			const reached = await Promise.race([run.proxy.waitForHit(name).then(() => true), inflight.then(() => false)]);
			if (!reached) {
				const outcome = await inflight;
				take(outcome, 'interrupted');
				problems.push(`the poll ended before the point of the kill (${outcome.error ? `"${shorten(outcome.error.message)}"` : 'no error'})`);
			}
			// The process dies: n8n restarts from its database; the dead poll keeps its own copy.
			store.restart();
			await run.proxy.restart();
			inflight.then((outcome) => (seen['poll killed'] = outcome.result?.logs ?? outcome.error?.json));
		} else {
			if (spec.step === 'beforeSave') store.interruptNextSave('kill');
			const outcome = await poll('interrupted');
			if (outcome.error) problems.push(`the poll to be interrupted failed: "${shorten(outcome.error.message)}"`);
			if (spec.step === 'afterEmit') store.restart();
			await run.proxy.restart();
		}
	}
	run.proxy.clearRules();

	if (interruptedError && spec.step !== 'afterEmit' && spec.step !== 'beforeSave') {
		const call: CallKind = spec.step === 'midDownload' ? 'download' : 'status';
		const jobIds = run.jobs().slice(jobsBefore).map((job) => job.id);
		problems.push(
			...wordingProblems(interruptedError, { provider: profile.provider, call, callWords: profile.callWords, jobIds }).map((problem) => `the poll's error ${problem}`),
		);
		record.error = { message: interruptedError.message, description: interruptedError.description };
	}

	// Later polls: the provider finishes orphaned jobs in its own time meanwhile.
	const wanted = [...keysA, ...keysB];
	for (pollIndex = 1; pollIndex <= FOLLOW_UP_POLLS && !record.hung && boundLeft() > 0; pollIndex++) {
		await run.finishJobsOnTheirOwn();
		const outcome = await poll(`after ${pollIndex}`);
		if (outcome.error) problems.push(`poll ${pollIndex} after the fault failed: "${shorten(outcome.error.message)}"`);
		const all = wanted.every((key) => delivered.some((row) => profile.rowKey(row) === key));
		if (all && outcome.result?.items === null) break;
	}
	if (record.hung) problems.push(`a poll did not end within ${POLL_BOUND_MS / 1000} s`);
	else if (boundLeft() <= 0) {
		record.hung = true;
		problems.push(`did not settle within its bound of ${boundOf(spec) / 1000} s`);
	}

	record.durationMs = Date.now() - startedAt;
	record.requests = run.proxy.records.length - requestsBefore;
	const jobs = run.jobs().slice(jobsBefore);
	record.jobsStarted = jobs.length;
	record.jobsOrphaned = jobs.filter(orphaned).length;
	if (record.jobsOrphaned) record.notes.push(`${record.jobsOrphaned} job(s) started and never read`);

	const expected = run.rowsNow(wanted);
	const rows = compareRows(profile, expected, delivered);
	record.rowsServed = expected.length;
	record.rowsDelivered = delivered.length;
	record.wrongRows = rows.wrong;
	record.lostRows = rows.lost;
	record.duplicates = rows.duplicates;
	// At least once: after a crash between the emit and the save, the rows of that poll may come again.
	const atLeastOnce = spec.way === 'kill' && spec.step === 'beforeSave';
	record.allowedDuplicates = atLeastOnce ? keysB.reduce((sum, key) => sum + Math.min(1, Math.max(0, (rows.counts.get(key) ?? 0) - 1)), 0) : 0;
	if (rows.wrong) problems.push(`emitted ${rows.wrong} wrong row(s)`);
	if (rows.lost) problems.push(`lost ${rows.lost} of ${expected.length} changed rows (never emitted)`);
	if (rows.duplicates > record.allowedDuplicates) problems.push(`emitted ${rows.duplicates - record.allowedDuplicates} row(s) twice`);

	record.leaks = leaksIn(run, seen);
	return finish(record, run.credentials());
}

async function settlePoll(poll: Promise<PollTriggerResult>): Promise<PollOutcome> {
	try {
		const result = await within(poll, POLL_BOUND_MS);
		return result === undefined ? { timedOut: true } : { result };
	} catch (error) {
		const thrown = error as { message?: string; description?: string | null; toJSON?: () => unknown };
		// What n8n persists of a poll's error is its toJSON().
		const json = typeof thrown.toJSON === 'function' ? thrown.toJSON() : { message: thrown.message, description: thrown.description };
		return { error: { message: String(thrown.message ?? error), description: thrown.description ?? undefined, json } };
	}
}

// ---------------------------------------------------------------------------------------------
// Isolated cases: a child process with a memory limit; a crash is a result, not the end

async function runIsolated(profile: ProviderProfile, faultCase: ExportCase, attempt = 1): Promise<CaseRecord> {
	const bound = boundOf(faultCase) + GRACE_MS + CHILD_STARTUP_MS;
	const child = spawn(
		process.execPath,
		[`--max-old-space-size=${ISOLATED_HEAP_MB}`, '--import', 'tsx', join(__dirname, 'child.ts'), profile.name, faultCase.name],
		{ cwd: join(__dirname, '..', '..'), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
	);
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
	child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8000)));
	let killed = false;
	const timer = setTimeout(() => {
		killed = true;
		child.kill('SIGKILL');
	}, bound);
	const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
	clearTimeout(timer);
	const line = stdout.split('\n').find((text) => text.startsWith(RECORD_PREFIX));
	if (line) return JSON.parse(line.slice(RECORD_PREFIX.length)) as CaseRecord;
	// dist/ is rebuilt by others now and then (it is deleted first): that is no crash of the node.
	if (!killed && attempt < 3 && /Cannot find module[^\n]*dist|ENOENT[^\n]*dist/.test(stderr)) {
		await sleep(5_000);
		return runIsolated(profile, faultCase, attempt + 1);
	}
	const record = emptyRecord(profile, faultCase);
	if (killed) {
		record.hung = true;
		record.problems.push(`the child process did not end within ${Math.round(bound / 1000)} s`);
	} else {
		record.crashed = true;
		const reason = /heap limit|out of memory|allocation failed/i.test(stderr) ? 'out of memory' : exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
		const cause = stderr.split('\n').find((text) => /error|fatal/i.test(text)) ?? stderr.trim().split('\n').slice(-3).join(' ');
		record.problems.push(`the process crashed (${reason}): ${shorten(cause, 200)}`);
		record.notes.push(`stderr: ${shorten(stderr, 1500)}`);
	}
	return finish(record);
}

export const RECORD_PREFIX = 'FAULT-RECORD ';

/** The child's side: runs one case and prints its record. */
export async function runChild(profileName: string, caseName: string): Promise<void> {
	const profile = PROFILES[profileName];
	if (!profile) throw new Error(`No profile named ${profileName}`);
	const record = await runCaseHere(profile, findCase(caseName));
	const peakMb = Math.round(process.resourceUsage().maxRSS / 1024);
	record.notes.push(`peak memory ${peakMb} MB (isolated, heap limit ${ISOLATED_HEAP_MB} MB)`);
	if (peakMb > ISOLATED_RSS_LIMIT_MB) {
		record.problems.push(`took ${peakMb} MB of memory (limit ${ISOLATED_RSS_LIMIT_MB} MB)`);
		record.passed = false;
	}
	process.stdout.write(`\n${RECORD_PREFIX}${JSON.stringify(record)}\n`);
}

// ---------------------------------------------------------------------------------------------
// Judging

/** A job started and never read (one with nothing to read does not count). */
function orphaned(job: JobInfo): boolean {
	return !job.downloaded && !job.empty;
}

function emptyRecord(profile: ProviderProfile, faultCase: FaultCase): CaseRecord {
	return {
		profile: profile.name,
		case: faultCase.name,
		kind: faultCase.kind,
		fault: faultCase.fault,
		expected: expectedText(faultCase),
		passed: false,
		problems: [],
		rowsServed: 0,
		rowsDelivered: 0,
		wrongRows: 0,
		lostRows: 0,
		duplicates: 0,
		allowedDuplicates: 0,
		requests: 0,
		jobsStarted: 0,
		jobsOrphaned: 0,
		durationMs: 0,
		leaks: [],
		crashed: false,
		hung: false,
		notes: [],
	};
}

/**
 * Judges the record. With the run's credentials, any secret in the texts it keeps (the error,
 * the problems, which quote errors, and the notes) is replaced by its field's name: the record
 * is written to disk and rendered into docs/reliability.md.
 */
function finish(record: CaseRecord, credentials?: TestCredentials): CaseRecord {
	if (record.leaks.length) record.problems.push(`leaked a secret: ${record.leaks.map(describeLeak).join('; ')}`);
	if (credentials) redactRecord(record, credentials);
	record.passed = record.problems.length === 0;
	return record;
}

/** Replaces each credential secret in the record's error, problems and notes by its field's name. */
export function redactRecord(record: CaseRecord, credentials: TestCredentials): void {
	const redact = (text: string) => redactSecrets(text, credentials);
	if (record.error) record.error = { message: redact(record.error.message), description: typeof record.error.description === 'string' ? redact(record.error.description) : record.error.description };
	record.problems = record.problems.map(redact);
	record.notes = record.notes.map(redact);
}

export function describeLeak(leak: Leak): string {
	return `${leak.fields.join(', ')} ${leak.where}`;
}

export function expectedText(faultCase: FaultCase): string {
	if (faultCase.kind === 'trigger') {
		const duplicates = faultCase.way === 'kill' && faultCase.step === 'beforeSave' ? 'the last poll\'s rows may come twice' : 'none twice';
		return `every change emitted, ${duplicates}`;
	}
	const expectation = faultCase.expect;
	const names = (call: CallKind | undefined) => (call ? `provider, ${call} call, job` : 'provider, job');
	switch (expectation.outcome) {
		case 'rows':
			return 'all rows, once';
		case 'error':
			return `error naming ${names(expectation.call)}${expectation.about ? ' and the cause' : ''}`;
		case 'rows-or-error':
			return `all rows, or an error naming ${names(expectation.call)}`;
		case 'cancelled':
			return 'stops at once, names the job';
	}
}

interface RowComparison {
	wrong: number;
	lost: number;
	duplicates: number;
	counts: Map<string, number>;
}

function compareRows(profile: ProviderProfile, expected: Row[], delivered: Row[]): RowComparison {
	const added = new Set(profile.addedFields ?? []);
	const content = (row: Row) => canonical(Object.fromEntries(Object.entries(row).filter(([key]) => !added.has(key))));
	const expectedByKey = new Map(expected.map((row) => [profile.rowKey(row), content(row)]));
	const counts = new Map<string, number>();
	let wrong = 0;
	for (const row of delivered) {
		const key = profile.rowKey(row);
		counts.set(key, (counts.get(key) ?? 0) + 1);
		if (expectedByKey.get(key) !== content(row)) wrong++;
	}
	let duplicates = 0;
	for (const count of counts.values()) duplicates += Math.max(0, count - 1);
	const lost = [...expectedByKey.keys()].filter((key) => !counts.has(key)).length;
	return { wrong, lost, duplicates, counts };
}

/** JSON with sorted keys: rows compare by content, whatever the column order. */
function canonical(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
	if (value && typeof value === 'object') {
		return `{${Object.keys(value as object)
			.sort()
			.map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
			.join(',')}}`;
	}
	return JSON.stringify(value) ?? 'undefined';
}

/**
 * Where credential values showed up: in what the node produced or logged, and in any request
 * that went anywhere but the provider's API origin (storage, the other port, a redirect target).
 * Named by field: a leak's record holds no secret (a path that carried one shows its field's name).
 */
export function leaksIn(run: ProviderRun, places: Record<string, unknown>): Leak[] {
	const credentials = run.credentials();
	const found = new Map<string, Leak>();
	const add = (fields: string[], where: string) => {
		if (!fields.length) return;
		const leak = { fields, where: redactSecrets(where, credentials) };
		found.set(describeLeak(leak), leak);
	};
	for (const [place, value] of Object.entries(places)) add(findLeakedFields(value, credentials), `in ${place}`);
	for (const request of run.proxy.records) {
		if (request.toApiOrigin) continue;
		add(findLeakedFields({ url: request.url, headers: request.headers, body: request.body }, credentials), `sent to ${describeRequest(request)}`);
	}
	return [...found.values()];
}

function describeRequest(request: ProxyRecord): string {
	const where = request.side === 'sink' ? 'the other port' : request.redirected ? `a redirect target (${request.host}, ${request.side})` : `the ${request.side} side`;
	return `${request.method} ${request.path} on ${where}`;
}

export function shorten(text: string, max = 160): string {
	const flat = text.replace(/\s+/g, ' ').trim();
	return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The promise's value, or undefined when it takes longer than `ms` (it is left running). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<undefined>((resolve) => {
		timer = setTimeout(() => resolve(undefined), ms);
	});
	try {
		return await Promise.race([promise, timeout]);
	} finally {
		clearTimeout(timer);
	}
}
