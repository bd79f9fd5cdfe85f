import type { IDataObject, IExecuteFunctions, INodeExecutionData, IPairedItemData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { setDeadline, sleepUnlessCancelled } from './cancel';
import type { DownloadOptions } from './download';
import { asNodeError } from './errors';
import { JobFailedError, waitForJob, type PollSchedule, type WaitResult } from './job';
import { forEachFileWithFreshLinks } from './links';
import { SubWorkflowBatches, type BatchSpec } from './batches';
import { filesToBinary, RowWindow, streamFileRows, type RowSink } from './output';
import type { ParseOptions } from './parse';
import { backoffMs, describeWait } from './retry';
import type { DoneJobState, EngineContext, ExportFile, FailedJobState, JobState } from './types';
import { describeAddress, isHttpUrl } from './urls';

// The life cycle of a provider's export job, written once: a provider describes its job (how
// to start it, one status check, its files, the next job of a chain, its busy rule) and the
// runner starts or joins it, waits, retries a failed one once, downloads with fresh links,
// parses, emits rows or files, and runs a chain to its end.

/** What a provider's start request answered. */
export type StartAnswer<Request = unknown> =
	/** `existing`: a job that was already there (found, not created), such as a finished export to read. */
	| { started: string; details?: IDataObject; existing?: boolean }
	/** Another job holds the provider's slot (Mews: one export per entity type); the provider's words. */
	| { busy: string }
	/**
	 * Nothing to export (4me's 204 for a partial export with no changes); why, for the log.
	 * `request`: where a trigger asks from next time, past what the provider looked at (Rebilly's
	 * completed exports that did not match); the trigger's position follows it.
	 */
	| { nothing: string; request?: Request }
	/**
	 * Not this request, but that one (why, for the log): Rebilly's export too large for one job
	 * becomes the first half of its date range (`next` goes on with the rest); a cursor Anduin no
	 * longer takes becomes a new pass from the start.
	 */
	| { instead: Request; why: string };

/** Jobs with the same key take turns at the provider. */
export interface BusyRule<Request> {
	/** Mews: the entity type; Anduin: the user. */
	keyOf(request: Request): string;
	/** The job holding the slot in words, for messages: "an export of Reservation". */
	running(request: Request): string;
	/** The same for the log while waiting: "another export of Reservation". */
	another(request: Request): string;
	/** The provider's rule, for messages: "Mews runs one export per entity type at a time". */
	rule: string;
	/** Why a job started elsewhere cannot be named, when the provider does not list jobs. */
	unseen?: string;
}

export interface ExportJob<Request> {
	/** Names the provider in logs and errors: "4me", "Mews". */
	provider: string;
	/** What one job is called: "export". */
	noun: string;
	/** Tells the user how to pick a started job up again (its id and the operation to use). */
	resumeHint(id: string): string;
	/** The user's poll schedule (defaults and options applied). */
	schedule: PollSchedule;
	start(request: Request): Promise<StartAnswer<Request>>;
	/** One status check, mapped onto the engine's job phases. */
	status(id: string, request?: Request): Promise<JobState>;
	/**
	 * The files of a finished job with newly signed links (same order), or undefined when there
	 * are none to give; default: the files of a new status check.
	 */
	freshFiles?(id: string, request?: Request): Promise<ExportFile[] | undefined>;
	/**
	 * A provider that signs a job's links once: an expired link is replaced by running the same
	 * request again and reading that job's files. `withoutRequest` explains why it cannot be done
	 * for a job known only by its id.
	 */
	rerunForFreshLinks?: { withoutRequest(id: string): { message: string; description?: string } };
	/** How long a file link works after the provider returned it; older links are renewed first. */
	linkValidityMs?: number;
	/** The next job of a chain (a cursor, the next date range), or undefined after the last. */
	next?(request: Request, done: DoneJobState): Request | undefined;
	/** How to go on from a job of a chain after a failure (its cursor, its range), for errors mid-chain. */
	resumeFrom?(request: Request): string;
	busy?: BusyRule<Request>;
	/** Compares requests, so that an identical running job is joined; default: their JSON. */
	requestKey?(request: Request): string;
	/** Whether a failed job may be started once more when the user asks for it. */
	retryable?(failure: FailedJobState): boolean;
	parse?: ParseOptions;
	/** Fields put on every file item of Output "File". */
	fileFields?(finished: FinishedJob<Request>): IDataObject;
	mimeTypeOf?(file: ExportFile, contentType: string | undefined): string | undefined;
}

export interface FinishedJob<Request> {
	/** The job whose files are read (another one once it was run again for fresh links). */
	id: string;
	request?: Request;
	done: DoneJobState;
}

export interface RunOptions {
	/** When another job holds the slot: wait for it, fail, or (a trigger) give up for this poll. */
	whenBusy: 'wait' | 'fail' | 'skip';
	retryFailedOnce: boolean;
}

export type Started<Request = unknown> =
	/** `request`: what was started (another request than asked when the provider answered `instead`). */
	| { id: string; details?: IDataObject; joined: boolean; request: Request }
	| { nothing: string; request?: Request }
	/** Only with `whenBusy: 'skip'`. */
	| { busy: string };

export function jobLabel(job: ExportJob<unknown>, id: string): string {
	return `${job.provider} ${job.noun} ${id}`;
}

/**
 * Starts a job, or deals with the one that holds the provider's slot: an identical job this
 * node started is joined; with `wait`, the node waits for another one it started to stop, or
 * (a job started elsewhere) asks again with backoff until the provider takes the new job.
 */
export async function startOrJoin<Request>(
	ctx: EngineContext,
	job: ExportJob<Request>,
	request: Request,
	options: Pick<RunOptions, 'whenBusy'>,
): Promise<Started<Request>> {
	const firstAsked = Date.now();
	const deadline = firstAsked + job.schedule.timeoutMs;
	for (let attempt = 0; ; attempt++) {
		const answer = await job.start(request);
		if ('instead' in answer) {
			ctx.logger.info(`${job.provider}: ${answer.why}`);
			request = answer.instead;
			attempt = -1;
			continue;
		}
		if ('started' in answer) {
			if (!answer.existing) rememberStarted(ctx, job, request, answer.started);
			ctx.logger.info(`${jobLabel(job, answer.started)} ${answer.existing ? 'found' : 'started'}`);
			return { id: answer.started, details: answer.details, joined: false, request };
		}
		if ('nothing' in answer) {
			ctx.logger.info(`${job.provider}: ${answer.nothing}`);
			return answer;
		}
		const busy = job.busy;
		const running = busy ? await runningStartedHere(ctx, job, busy.keyOf(request)) : [];
		const same = running.find((started) => started.request === requestKeyOf(job, request));
		if (same) {
			ctx.logger.info(`${jobLabel(job, same.id)} of the same records is already running: using it`);
			return { id: same.id, joined: true, request };
		}
		if (options.whenBusy === 'skip') return answer;
		const other = running[0];
		const what = busy?.running(request) ?? `another ${job.noun}`;
		const holder = other
			? `the ${job.noun} ${other.id}, which this node started earlier with other settings`
			: `${article(job.noun)} ${job.noun} started outside this node${busy?.unseen ? ` (${busy.unseen})` : ''}`;
		if (options.whenBusy === 'fail' || Date.now() >= deadline) {
			throw new NodeOperationError(ctx.getNode(), `${job.provider} is already running ${what}`, {
				description:
					`${busy?.rule ?? `${job.provider} refused to start another ${job.noun}`}; it is busy with ${holder}. ` +
					(options.whenBusy === 'fail'
						? 'Run again when it has finished, or set the option If an Export Is Already Running to Wait for It.'
						: `It did not finish within the timeout of ${describeWait(job.schedule.timeoutMs)}; run again later.`) +
					(answer.busy ? ` ${job.provider} said: "${answer.busy}"` : ''),
			});
		}
		const waited = describeWait(Date.now() - firstAsked);
		if (other) {
			ctx.logger.warn(`${job.provider} is busy with ${job.noun} ${other.id} (${what}), which this node started: waiting for it before starting ours (waited ${waited} so far)`);
			// Its outcome is not ours: only that it stopped running matters.
			const before = Date.now();
			await waitForJob(ctx, {
				jobLabel: jobLabel(job, other.id),
				resumeHint: '',
				poll: () => job.status(other.id),
				schedule: { ...job.schedule, timeoutMs: Math.max(1, deadline - Date.now()) },
				onTimeout: 'return',
			}).catch(() => undefined);
			// However the wait ended, the provider is never asked again at once.
			if (Date.now() - before < job.schedule.firstIntervalMs) await sleepUnlessCancelled(ctx, job.schedule.firstIntervalMs);
		} else {
			const wait = Math.min(backoffMs(attempt, job.schedule.firstIntervalMs, job.schedule.maxIntervalMs, 1.5), Math.max(0, deadline - Date.now()));
			const line = `${job.provider} is busy with ${busy?.another(request) ?? `another ${job.noun}`}, started outside this node: trying again in ${describeWait(wait)} (waited ${waited} so far)`;
			if (attempt === 0 || wait >= 30_000) ctx.logger.warn(line);
			else ctx.logger.info(line);
			await sleepUnlessCancelled(ctx, wait);
		}
	}
}

/**
 * Waits for a started job. A failed job that the provider allows to retry is started once more
 * when the user asked for it; any other failure throws its JobFailedError.
 */
export async function finishJob<Request>(
	ctx: EngineContext,
	job: ExportJob<Request>,
	started: { id: string; request?: Request },
	options: RunOptions & { timeoutMs?: number; onTimeout: 'fail' | 'return' },
): Promise<{ finished: FinishedJob<Request> } | { running: WaitResult & { finished: false }; job: { id: string; request?: Request } }> {
	const wait = async (current: { id: string; request?: Request }, timeoutMs: number) =>
		waitForJob(ctx, {
			jobLabel: jobLabel(job, current.id),
			resumeHint: job.resumeHint(current.id),
			poll: () => job.status(current.id, current.request),
			schedule: { ...job.schedule, timeoutMs },
			onTimeout: options.onTimeout,
		});
	const deadline = Date.now() + (options.timeoutMs ?? job.schedule.timeoutMs);
	// The job waited on: a failed one started again is another job (perhaps for another request).
	let current = { id: started.id, request: started.request };
	let result: WaitResult;
	try {
		result = await wait(current, deadline - Date.now());
	} catch (error) {
		const retry = error instanceof JobFailedError && options.retryFailedOnce && started.request !== undefined && job.retryable?.(error.state);
		if (!retry || started.request === undefined) throw asNodeError(ctx.getNode(), error);
		ctx.logger.info(`${jobLabel(job, current.id)} failed; starting it again once`);
		const again = await startOrJoin(ctx, job, started.request, { whenBusy: options.whenBusy === 'skip' ? 'fail' : options.whenBusy });
		if (!('id' in again)) throw asNodeError(ctx.getNode(), error);
		current = { id: again.id, request: again.request };
		result = await wait(current, Math.max(1, deadline - Date.now()));
	}
	if (!result.finished) return { running: result, job: current };
	checkFiles(ctx, job, current.id, result.state.files);
	return { finished: { id: current.id, request: current.request, done: result.state } };
}

/** A finished job's files must have absolute http(s) addresses; say which one does not. */
function checkFiles<Request>(ctx: EngineContext, job: ExportJob<Request>, id: string, files: ExportFile[]): void {
	files.forEach((file, index) => {
		if (isHttpUrl(file.url)) return;
		throw new NodeOperationError(ctx.getNode(), `${job.provider} reported ${jobLabel(job, id)} done, but file ${index + 1} of ${files.length} has no usable download address (${describeAddress(file.url)})`, {
			description: `Only absolute http and https addresses can be downloaded. ${job.resumeHint(id)}`,
		});
	});
}

export interface OutputSpec {
	mode: 'rows' | 'file' | 'batches';
	/** The binary field of Output "File". */
	binaryPropertyName: string;
	/** Rows still wanted; 0 or undefined: all. */
	rowLimit?: number;
	/** Rows of the (first) job passed over: "Start at Row" minus one. */
	skipRows?: number;
	/** The sub-workflow of Output "Rows in Batches to a Sub-workflow". */
	batches?: BatchSpec;
	download: Omit<DownloadOptions, 'errorContext'>;
	pairedItem: IPairedItemData;
}

/** The rows or files of a finished job, as the node's Output asks, with its links kept fresh. */
export async function emitJob<Request>(
	ctx: IExecuteFunctions,
	job: ExportJob<Request>,
	finished: FinishedJob<Request>,
	output: OutputSpec,
): Promise<INodeExecutionData[]> {
	if (output.mode === 'rows') return readJobRows(ctx, job, finished, output);
	if (output.mode === 'batches') {
		const batches = new SubWorkflowBatches(ctx, batchSpecOf(ctx, output), output.pairedItem);
		await sendJobRows(ctx, job, finished, output, batches, windowOf(output));
		return [batches.summary()];
	}
	if (finished.done.rows) {
		throw new NodeOperationError(ctx.getNode(), `${jobLabel(job, finished.id)} gives its rows in its answers, not as a file`, {
			description: 'Set "Output" to "One Item per Row" (the Convert to File node can make a file of them).',
		});
	}
	const download = { ...output.download, errorContext: job.resumeHint(finished.id) };
	return forEachFileWithFreshLinks(ctx, finished.done.files, freshLinks(ctx, job, finished), async (file) =>
		filesToBinary(ctx, [file], {
			download,
			pairedItem: output.pairedItem,
			binaryPropertyName: output.binaryPropertyName,
			json: job.fileFields?.(finished),
			mimeTypeOf: job.mimeTypeOf,
		}),
	);
}

/** The rows a job's output wants: after Start at Row, up to Max Rows. */
function windowOf(output: Pick<OutputSpec, 'rowLimit' | 'skipRows'>): RowWindow {
	return new RowWindow(output.skipRows ?? 0, output.rowLimit && output.rowLimit > 0 ? output.rowLimit : Infinity);
}

function batchSpecOf(ctx: EngineContext, output: OutputSpec): BatchSpec {
	if (!output.batches) throw new NodeOperationError(ctx.getNode(), 'Output "Rows in Batches to a Sub-workflow" needs a sub-workflow');
	return output.batches;
}

/** A finished job's rows, in batches to the sub-workflow. */
async function sendJobRows<Request>(
	ctx: EngineContext,
	job: ExportJob<Request>,
	finished: FinishedJob<Request>,
	output: Pick<OutputSpec, 'download'>,
	batches: SubWorkflowBatches,
	window: RowWindow,
): Promise<void> {
	const ref = { id: finished.id, label: jobLabel(job, finished.id), resumeHint: job.resumeHint(finished.id) };
	// A batch's rows are dropped once the sub-workflow has them: sharing repeated values would only cost time.
	const read = (sink: RowSink) => streamJobRows(ctx, job, finished, output.download, window, sink, { rowsKept: false });
	await batches.sendJob(ref, window.skip, finished.done.files.length, read);
}

/** Every row of a finished job's files (after Start at Row, up to Max Rows), as items. */
export async function readJobRows<Request>(
	ctx: EngineContext,
	job: ExportJob<Request>,
	finished: FinishedJob<Request>,
	output: Pick<OutputSpec, 'rowLimit' | 'skipRows' | 'download' | 'pairedItem'>,
): Promise<INodeExecutionData[]> {
	const items: INodeExecutionData[] = [];
	// One pairedItem object for all rows of an input item: large exports make millions of items.
	const pairedItem = output.pairedItem;
	await streamJobRows(ctx, job, finished, output.download, windowOf(output), (rows) => {
		for (const row of rows) items.push({ json: row as IDataObject, pairedItem });
	});
	return items;
}

/**
 * The rows of a finished job that `window` wants, handed to `sink` as they are read: its files
 * one after another with fresh links, or the rows the provider gives without files.
 */
export async function streamJobRows<Request>(
	ctx: EngineContext,
	job: ExportJob<Request>,
	finished: FinishedJob<Request>,
	download: OutputSpec['download'],
	window: RowWindow,
	sink: RowSink,
	{ rowsKept = true }: { rowsKept?: boolean } = {},
): Promise<void> {
	const parse: ParseOptions = rowsKept ? (job.parse ?? {}) : { ...job.parse, csv: { ...job.parse?.csv, shareValues: false } };
	if (finished.done.rows) {
		let position = 0;
		for await (const batch of finished.done.rows()) {
			const wanted = window.take(position, batch);
			position += batch.length;
			if (wanted.length) await sink(parse.mapRow ? wanted.map(parse.mapRow) : wanted);
			if (window.full) return;
		}
		return;
	}
	const options = { download: { ...download, errorContext: job.resumeHint(finished.id) }, parse };
	// Where each file starts in the job's rows: a file read again starts there again.
	const fileStarts: number[] = [];
	let position = 0;
	await forEachFileWithFreshLinks(ctx, finished.done.files, freshLinks(ctx, job, finished), async (file, index) => {
		if (window.full) return [];
		position = await streamFileRows(ctx, [file], options, window, (fileStarts[index] ??= position), sink);
		return [];
	});
	checkRecordCount(ctx, job, finished, position, window.full);
}

/** Rows that do not add up to the records the provider announced: a file cut short or replaced. */
function checkRecordCount<Request>(ctx: EngineContext, job: ExportJob<Request>, finished: FinishedJob<Request>, rows: number, stoppedAtLimit: boolean): void {
	const announced = finished.done.recordCount;
	if (announced === undefined || stoppedAtLimit || rows === announced) return;
	throw new NodeOperationError(ctx.getNode(), `${job.provider} says ${jobLabel(job, finished.id)} holds ${announced} records, but its file gave ${rows} rows`, {
		description: `The file was cut short or replaced on its way (an empty file, an error page, another file), so none of its rows are used. ${job.resumeHint(finished.id)}`,
	});
}

function freshLinks<Request>(ctx: EngineContext, job: ExportJob<Request>, finished: FinishedJob<Request>) {
	return {
		validityMs: job.linkValidityMs,
		refresh: async (): Promise<ExportFile[] | undefined> => {
			if (job.rerunForFreshLinks) return runAgainForFiles(ctx, job, finished, job.rerunForFreshLinks);
			if (job.freshFiles) return job.freshFiles(finished.id, finished.request);
			const state = await job.status(finished.id, finished.request);
			// A job that is no longer done (expired, gone) has no new links: the refusal stands.
			return state.phase === 'done' ? state.files : undefined;
		},
	};
}

/**
 * Runs a finished job's request again for files with working links. `finished` becomes the new
 * job, so that what is read from it next (its record count, a chain's next cursor) is the new one's.
 */
async function runAgainForFiles<Request>(
	ctx: EngineContext,
	job: ExportJob<Request>,
	finished: FinishedJob<Request>,
	rerun: NonNullable<ExportJob<Request>['rerunForFreshLinks']>,
): Promise<ExportFile[] | undefined> {
	if (finished.request === undefined) {
		const { message, description } = rerun.withoutRequest(finished.id);
		throw new NodeOperationError(ctx.getNode(), message, { description });
	}
	ctx.logger.info(`${jobLabel(job, finished.id)}: its file links were refused (expired?); running the same ${job.noun} again`);
	const started = await startOrJoin(ctx, job, finished.request, { whenBusy: 'wait' });
	if (!('id' in started)) return undefined;
	const result = await finishJob(ctx, job, { id: started.id, request: started.request }, { whenBusy: 'wait', retryFailedOnce: false, onTimeout: 'fail' });
	if (!('finished' in result)) return undefined;
	finished.id = result.finished.id;
	finished.done = result.finished.done;
	return finished.done.files;
}

/**
 * "Export": starts the job (or joins an identical running one), waits, emits its rows or
 * files, and runs a chain job after job until the provider says it has ended.
 */
export async function runExport<Request>(
	ctx: IExecuteFunctions,
	job: ExportJob<Request>,
	request: Request,
	options: RunOptions,
	output: OutputSpec,
): Promise<INodeExecutionData[]> {
	const items: INodeExecutionData[] = [];
	const batches = output.mode === 'batches' ? new SubWorkflowBatches(ctx, batchSpecOf(ctx, output), output.pairedItem) : undefined;
	const rowsSoFar = () => batches?.rows ?? items.length;
	const limit = output.rowLimit && output.rowLimit > 0 ? output.rowLimit : Infinity;
	let finishedJobs = 0;
	for (let current: Request | undefined = request; current !== undefined; ) {
		if (finishedJobs > 0) ctx.logger.info(`${job.provider}: ${job.noun} ${finishedJobs + 1} of the chain`);
		setDeadline(ctx, Date.now() + job.schedule.timeoutMs);
		try {
			const started: Started<Request> = await startOrJoin(ctx, job, current, options);
			if (!('id' in started)) break;
			current = started.request;
			const result: Awaited<ReturnType<typeof finishJob<Request>>> = await finishJob(ctx, job, { id: started.id, request: current }, { ...options, onTimeout: 'fail' });
			if (!('finished' in result)) break; // onTimeout 'fail' throws instead
			// Start at Row is a position in the first job's rows.
			const jobOutput = { ...output, rowLimit: limit === Infinity ? 0 : limit - rowsSoFar(), skipRows: finishedJobs === 0 ? output.skipRows : 0 };
			if (batches) await sendJobRows(ctx, job, result.finished, jobOutput, batches, windowOf(jobOutput));
			else for (const item of await emitJob(ctx, job, result.finished, jobOutput)) items.push(item);
			finishedJobs++;
			if (rowsSoFar() >= limit) break;
			current = job.next?.(current, result.finished.done);
		} catch (error) {
			throw withChainProgress(ctx, job, error, current, finishedJobs, rowsSoFar());
		}
	}
	return batches ? [batches.summary()] : items;
}

/** An error in a chain says how far the chain got and how to go on without starting over. */
function withChainProgress<Request>(ctx: EngineContext, job: ExportJob<Request>, error: unknown, current: Request, finishedJobs: number, rows: number) {
	const nodeError = asNodeError(ctx.getNode(), error);
	if (!job.next) return nodeError;
	const progress = finishedJobs
		? `${finishedJobs} ${job.noun}${finishedJobs === 1 ? '' : 's'} of the chain finished before this one (${rows} rows).`
		: undefined;
	const resume = job.resumeFrom?.(current);
	if (!progress && !resume) return nodeError;
	nodeError.description = [nodeError.description, progress, resume].filter(Boolean).join(' ');
	return nodeError;
}

/** "Download": waits for a job started earlier (by id) and emits its rows or files. */
export async function collectJob<Request>(
	ctx: IExecuteFunctions,
	job: ExportJob<Request>,
	id: string,
	output: OutputSpec,
): Promise<INodeExecutionData[]> {
	setDeadline(ctx, Date.now() + job.schedule.timeoutMs);
	const result = await finishJob(ctx, job, { id }, { whenBusy: 'fail', retryFailedOnce: false, onTimeout: 'fail' });
	if (!('finished' in result)) return [];
	return emitJob(ctx, job, result.finished, output);
}

// ---------------------------------------------------------------------------------------------
// Jobs this node started, kept in workflow static data: some providers (Mews) list jobs only by
// id, so this is how the node recognises its own running job when the provider says "busy".

interface StartedJob extends IDataObject {
	id: string;
	key: string;
	request: string;
	startedAt: string;
}

const KEPT_PER_NODE = 20;

function startedList(ctx: EngineContext): StartedJob[] {
	const data = ctx.getWorkflowStaticData('node');
	if (!Array.isArray(data.startedJobs)) data.startedJobs = [];
	return data.startedJobs as StartedJob[];
}

function requestKeyOf<Request>(job: ExportJob<Request>, request: Request): string {
	return job.requestKey ? job.requestKey(request) : JSON.stringify(request);
}

function rememberStarted<Request>(ctx: EngineContext, job: ExportJob<Request>, request: Request, id: string): void {
	// n8n keeps static data of active workflows only; a manual run works on a copy.
	if (!job.busy || ctx.getMode() === 'manual') return;
	const list = startedList(ctx);
	list.push({ id, key: job.busy.keyOf(request), request: requestKeyOf(job, request), startedAt: new Date().toISOString() });
	list.splice(0, Math.max(0, list.length - KEPT_PER_NODE));
}

/**
 * Jobs with the key this node started that the provider still has pending or running; the ones
 * that have ended are forgotten, so that each busy answer asks only about jobs that may still run.
 */
async function runningStartedHere<Request>(ctx: EngineContext, job: ExportJob<Request>, key: string): Promise<StartedJob[]> {
	const running: StartedJob[] = [];
	const ended = new Set<string>();
	for (const started of startedList(ctx).filter((entry) => entry.key === key)) {
		const state = await job.status(started.id);
		if (state.phase === 'pending' || state.phase === 'running') running.push(started);
		else ended.add(started.id);
	}
	if (ended.size) {
		const list = startedList(ctx);
		list.splice(0, list.length, ...list.filter((entry) => !ended.has(entry.id)));
	}
	return running;
}

function article(noun: string): string {
	return /^[aeiou]/i.test(noun) ? 'an' : 'a';
}

