/**
 * A scripted export provider for the runner's own tests: jobs whose life cycle a test sets
 * (busy starts, polls until done, failures, expired links), files served over real HTTP on
 * 127.0.0.1 as JSON Lines, and node types that run the shared runners the way provider nodes do,
 * through n8n's engine (executeNode / pollTrigger).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IPollFunctions,
} from 'n8n-workflow';

import type { ExportJob, StartAnswer } from '../../nodes/shared/exportJob';
import { pollIncremental, type IncrementalTrigger } from '../../nodes/shared/trigger';
import type { JobState, Row } from '../../nodes/shared/types';
import { sendText, startServer, type RunningServer } from '../emulators/http';

/** What a test job asks for: a page of a chain, or the records changed in a range. */
export interface TestRequest extends IDataObject {
	page?: number;
	pages?: number;
	since?: string;
	until?: string;
	/** The end of the whole range, when a too-large range was narrowed. */
	end?: string;
	key?: string;
}

export interface ScriptedJob {
	id: string;
	request: TestRequest;
	statusChecks: number;
	/** Status checks until done; Infinity: never. */
	pollsUntilDone: number;
	/** Ends failed (with this code) instead of done. */
	failWith?: string;
	expired?: boolean;
	rows: Row[];
	/** Links signed with an older version are refused, as expired signed URLs are. */
	linkVersion: number;
}

export interface Script {
	/** The next starts answer "busy" this many times. */
	busyStarts: number;
	/** The next start answers "nothing to export" (a request: and to ask that one next time). */
	nothingNext: boolean | TestRequest;
	/** Jobs started from now on take this many status checks. */
	pollsUntilDone: number;
	/** The next job started fails with this code. */
	failNext?: string;
	/** The first download of each job's file is refused once (an expired link). */
	refuseFirstDownload: boolean;
	/**
	 * The first download of each job's file breaks after this many bytes, and its link then counts
	 * as expired (the resume is refused): the file must be read again with a fresh link.
	 */
	breakFirstDownloadAt?: number;
	/** Each status check takes this long. */
	statusDelayMs: number;
	/** Ranges (since..until) wider than this are refused as too large. */
	maxRange?: number;
}

export class ScriptedProvider {
	readonly jobs: ScriptedJob[] = [];
	readonly starts: TestRequest[] = [];
	readonly downloads: string[] = [];
	script: Script = ScriptedProvider.defaultScript();
	/** The rows a job of the request exports. */
	rowsFor: (request: TestRequest) => Row[] = ScriptedProvider.onePerPage;
	private host?: RunningServer;
	private refused = new Set<string>();
	private broken = new Set<string>();

	static onePerPage(request: TestRequest): Row[] {
		return [{ page: request.page ?? 1 }];
	}

	static defaultScript(): Script {
		return { busyStarts: 0, nothingNext: false, pollsUntilDone: 1, refuseFirstDownload: false, statusDelayMs: 0 };
	}

	async open(): Promise<void> {
		this.host = await startServer((req, res) => this.serveFile(req, res));
	}

	async close(): Promise<void> {
		await this.host?.close();
	}

	reset(): void {
		this.jobs.length = 0;
		this.starts.length = 0;
		this.downloads.length = 0;
		this.refused.clear();
		this.broken.clear();
		this.sentBytes = 0;
		this.script = ScriptedProvider.defaultScript();
		this.rowsFor = ScriptedProvider.onePerPage;
	}

	/** The provider's job description, as a provider's helpers/exportJob.ts writes it. */
	job(overrides: Partial<ExportJob<TestRequest>> = {}): ExportJob<TestRequest> {
		return {
			provider: 'Scripted',
			noun: 'export',
			resumeHint: (id) => `Resume the scripted export ${id} later.`,
			schedule: { firstIntervalMs: 5, maxIntervalMs: 20, timeoutMs: 5_000 },
			start: async (request) => this.start(request),
			status: async (id) => {
				if (this.script.statusDelayMs) await new Promise((resolve) => setTimeout(resolve, this.script.statusDelayMs));
				return this.status(id);
			},
			next: (request) => {
				if (request.end !== undefined && Number(request.until) < Number(request.end)) return { ...request, since: request.until, until: request.end };
				return request.page && request.pages && request.page < request.pages ? { ...request, page: request.page + 1 } : undefined;
			},
			busy: {
				keyOf: (request) => request.key ?? 'all',
				running: () => 'an export',
				another: () => 'another export',
				rule: 'Scripted runs one export at a time',
				unseen: 'it lists exports only by id',
			},
			retryable: (failure) => failure.code === 'transient',
			...overrides,
		};
	}

	private start(request: TestRequest): StartAnswer<TestRequest> {
		this.starts.push(request);
		// Too large: a range wider than maxRange is refused with its first half to try instead.
		const span = Number(request.until) - Number(request.since);
		if (this.script.maxRange !== undefined && span > this.script.maxRange) {
			const half = { ...request, until: String(Number(request.since) + Math.floor(span / 2)), end: request.end ?? request.until };
			return { instead: half, why: `${span} moments are too many, trying ${half.since} to ${half.until}` };
		}
		if (this.script.busyStarts > 0) {
			this.script.busyStarts--;
			return { busy: 'another export is running' };
		}
		if (this.script.nothingNext) {
			const next = this.script.nothingNext;
			this.script.nothingNext = false;
			return { nothing: 'nothing changed', request: next === true ? undefined : next };
		}
		const job: ScriptedJob = {
			id: `job-${this.jobs.length + 1}`,
			request,
			statusChecks: 0,
			pollsUntilDone: this.script.pollsUntilDone,
			failWith: this.script.failNext,
			rows: this.rowsFor(request),
			linkVersion: 1,
		};
		this.script.failNext = undefined;
		this.jobs.push(job);
		return { started: job.id };
	}

	private status(id: string): JobState {
		const job = this.jobs.find((candidate) => candidate.id === id);
		if (!job) return { phase: 'failed', reason: `Scripted does not know ${id}` };
		if (job.expired) return { phase: 'expired', reason: `The scripted export ${id} has expired` };
		job.statusChecks++;
		if (job.statusChecks < job.pollsUntilDone) return { phase: 'running', progress: `check ${job.statusChecks}` };
		if (job.failWith) return { phase: 'failed', code: job.failWith, reason: `The scripted export ${id} failed (${job.failWith})` };
		// Each answer signs the link anew, as signed-URL storage does.
		if (job.statusChecks > job.pollsUntilDone) job.linkVersion++;
		return {
			phase: 'done',
			files: [{ url: `${this.host!.origin}/files/${id}?v=${job.linkVersion}`, name: `${id}.jsonl`, format: 'jsonl' }],
		};
	}

	/** Bytes of files written to the network so far: what a slow reader has let through. */
	sentBytes = 0;

	/** Writes the body in pieces, each when the network has taken the last (as a file host does). */
	private writeHeld(res: ServerResponse, body: Buffer, at = 0) {
		const PIECE = 64 * 1024;
		while (at < body.length) {
			const piece = body.subarray(at, at + PIECE);
			at += piece.length;
			this.sentBytes += piece.length;
			if (!res.write(piece)) {
				res.once('drain', () => this.writeHeld(res, body, at));
				return;
			}
		}
		res.end();
	}

	private serveFile(req: IncomingMessage, res: ServerResponse) {
		const url = new URL(req.url ?? '/', 'http://host');
		const id = url.pathname.split('/').pop() ?? '';
		this.downloads.push(id);
		const job = this.jobs.find((candidate) => candidate.id === id);
		if (!job) return sendText(res, 404, 'no such file', 'text/plain');
		const stale = Number(url.searchParams.get('v')) < job.linkVersion;
		const refuseOnce = this.script.refuseFirstDownload && !this.refused.has(id);
		if (stale || refuseOnce) {
			this.refused.add(id);
			return sendText(res, 403, '<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>', 'application/xml');
		}
		const body = Buffer.from(job.rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
		const breakAt = this.script.breakFirstDownloadAt;
		if (breakAt !== undefined && !this.broken.has(id)) {
			this.broken.add(id);
			job.linkVersion++;
			res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Content-Length': body.length });
			res.write(body.subarray(0, breakAt), () => setTimeout(() => res.destroy(), 20));
			return;
		}
		res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Content-Length': body.length });
		this.writeHeld(res, body);
	}
}

const testNodeDescription = (name: string, trigger: boolean): INodeTypeDescription => ({
	displayName: name,
	name,
	group: [trigger ? 'trigger' : 'transform'],
	version: 1,
	description: 'Runs the shared runner against a scripted provider',
	defaults: { name },
	...(trigger ? { polling: true } : {}),
	inputs: trigger ? [] : ['main'],
	outputs: ['main'],
	properties: [],
});

/** An action node whose execute() is `run` (e.g. runExport with the scripted job). */
export function runnerTestNode(run: (ctx: IExecuteFunctions) => Promise<INodeExecutionData[]>): INodeType {
	return {
		description: testNodeDescription('runnerTest', false),
		async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
			return [await run(this)];
		},
	};
}

/** A polling trigger whose poll() runs the shared trigger runner with `define(ctx)`. */
export function runnerTestTrigger(define: (ctx: IPollFunctions) => IncrementalTrigger<TestRequest>): INodeType {
	return {
		description: testNodeDescription('runnerTestTrigger', true),
		async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
			return pollIncremental(this, define(this));
		},
	};
}
