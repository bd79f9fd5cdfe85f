// The real-n8n cases: the n8n 2.41.1 of the e2e setup (test/e2e/n8n.ts), this package installed
// from its `npm pack` tarball, Webhook-triggered workflows, and a fresh `n8n start` per case.
//
// Per case: start n8n, wait for /healthz, run the workflow once on a tiny file (loads the nodes'
// code), force a full GC through n8n's inspector (127.0.0.1; no session stays open), read the RSS
// of n8n and of the processes it started (its JavaScript task runner, which runs the Code node) and
// reset their peaks (clear_refs), call the webhook with the real file and time the answer, read
// their VmHWM and the CPU time they used, stop n8n.
// Peak growth = the sum over those processes of VmHWM after the run - RSS before it (each process's
// own peak: an upper bound of their peak together; the idle runner adds about nothing to the cases
// without a Code node). Executions are not saved (EXECUTIONS_DATA_SAVE_ON_SUCCESS=none), as the
// benchmark notes advise. n8n runs with V8's --trace-gc: the heap after each full collection during
// the run (what stays live, as opposed to the garbage RSS also counts) comes from that trace. A case
// may cap n8n's heap as a memory-limited container would (HeapLimit).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import { Agent, fetch as undiciFetch } from 'undici';

import { ensureN8nInstalled, N8N_VERSION, N8nInstance, packPackage } from '../test/e2e/n8n';
import { BENCH_ACCOUNT, BENCH_TOKEN, procMemory, resetPeak, type Measured } from './lib';

const n8nBin = join(__dirname, '..', '.n8n-e2e', `n8n-${N8N_VERSION}`, 'node_modules', 'n8n', 'bin', 'n8n');

export type N8nWorkflowKind = 'diy-csv' | 'diy-zip' | 'diy-jsonl' | 'ours-rows' | 'ours-rows-mews' | 'ours-file' | 'ours-batches' | 'ours-batches-mews';

export interface N8nRunResult extends Measured {
	/** Whether a full GC ran before the measured run (see collectGarbage). */
	gcBefore: boolean;
	startupSeconds: number;
	/** What the workflow's last node answered (Summarize count, or the file item). */
	answer: Record<string, unknown>;
	/** n8n's own process alone (the totals above add the processes it started). */
	n8nPeakGrowthMB: number;
	n8nCpuSeconds: number;
	/** How much n8n's database grew during the run (it stores every sub-workflow execution with its input). */
	databaseGrowthMB: number;
	/**
	 * n8n's heap (MB) after each full collection (V8's --trace-gc): the one forced before the run, and
	 * the lowest and highest during it. What the heap holds, where RSS also counts the garbage V8 lets
	 * pile up before it collects (on a large machine, up to about twice the live heap).
	 */
	heapAfterFullGc: { beforeMB?: number; minMB?: number; maxMB?: number; collections: number };
	/** The --max-old-space-size / --max-semi-space-size n8n ran with (undefined: Node's defaults for this machine). */
	heapLimit?: HeapLimit;
	/** The processes n8n started (the task runner): each one's RSS before, peak and CPU during the run. */
	children: Array<{ pid: number; command: string; rssBeforeMB: number; peakRssMB?: number; cpuSeconds?: number }>;
}

/**
 * A heap limit for n8n. `ONE_GIB_CONTAINER` is what Node 24 gives a process in a 1 GiB memory cgroup
 * (measured on this machine: heap_size_limit 560 MB, old space 512 MB + young generation 3 × 16 MB).
 */
export interface HeapLimit {
	oldSpaceMB: number;
	semiSpaceMB: number;
	/** How a report names it, e.g. "1 GiB container". */
	name: string;
}

export const ONE_GIB_CONTAINER: HeapLimit = { oldSpaceMB: 512, semiSpaceMB: 16, name: '1 GiB container' };

/**
 * One line of V8's --trace-gc for a full collection: "[pid:isolate] … Mark-Compact heap before
 * (committed) -> after (committed) MB, … reason". n8n's worker threads have isolates (heaps) of
 * their own; the main one is the one the inspector's collection before the run went to (its reason:
 * "low memory notification").
 */
const FULL_GC_LINE = /^\[(\d+:0x[0-9a-f]+)\].*Mark-Compact(?: \(reduce\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/;
/** Any --trace-gc line ("[pid:0xaddress] 1234 ms: ..."), kept out of the output kept for errors. */
const TRACE_GC_LINE = /^\[\d+:0x[0-9a-f]+\]\s+\d+ ms: /;

const CREDENTIAL = { id: 'benchFourMe', name: 'bench 4me stand-in' };
const MEWS_CREDENTIAL = { id: 'benchMews', name: 'bench Mews stand-in' };

function webhook(path: string, name = 'Webhook') {
	return {
		parameters: { path, responseMode: 'lastNode', options: {} },
		id: `${path}-webhook`,
		name,
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		position: [0, 0],
		webhookId: `${path}-hook`,
	};
}

function httpFile(id: string) {
	return {
		parameters: { url: '={{ $json.query.url }}', options: { response: { response: { responseFormat: 'file' } } } },
		id,
		name: 'HTTP Request',
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		position: [220, 0],
	};
}

function extractCsv(id: string, name: string, binaryPropertyName: string, y = 0) {
	return {
		parameters: { operation: 'csv', binaryPropertyName, options: {} },
		id,
		name,
		type: 'n8n-nodes-base.extractFromFile',
		typeVersion: 1,
		position: [660, y],
	};
}

/** Summarize: count of `field` (answers `count_<field>`). */
function countRows(id: string, field = 'id') {
	return {
		parameters: { fieldsToSummarize: { values: [{ aggregation: 'count', field }] }, options: {} },
		id,
		name: 'Count rows',
		type: 'n8n-nodes-base.summarize',
		typeVersion: 1.1,
		position: [1100, 0],
	};
}

function fourMe(id: string, output: 'rows' | 'file') {
	return {
		parameters: { recordTypes: '={{ $json.query.types }}', output, options: {} },
		id,
		name: '4me export',
		type: 'n8n-nodes-bulk-export.fourMe',
		typeVersion: 1,
		position: [220, 0],
		credentials: { fourMeApi: CREDENTIAL },
	};
}

/** Output "Rows in Batches to a Sub-Workflow" into the counting sub-workflow; the batch size comes in the query. */
const batchesOutput = {
	output: 'batches',
	workflowId: { __rl: true, mode: 'id', value: 'benchCountBatch' },
	batchSize: '={{ Number($json.query.batchSize) }}',
};

function fourMeBatches(id: string) {
	return { ...fourMe(id, 'rows'), parameters: { recordTypes: '={{ $json.query.types }}', ...batchesOutput, options: {} } };
}

/** Our Mews node, Export (rows) of OrderItem, as the harness case runs it (bench/case.ts runMewsNode). */
function mews(id: string, output: 'rows' | 'batches' = 'rows') {
	return {
		parameters: { resource: 'export', operation: 'export', entityType: 'OrderItem', ...(output === 'batches' ? batchesOutput : { output }), options: { firstPollSeconds: 0.01 } },
		id,
		name: 'Mews export',
		type: 'n8n-nodes-bulk-export.mews',
		typeVersion: 1,
		position: [220, 0],
		credentials: { mewsConnectorApi: MEWS_CREDENTIAL },
	};
}

/**
 * The Code node of the JSON Lines DIY: "Run Once for All Items" (the Code node's default mode, and the
 * only one that may return more items than it gets), splitting each file's text into lines and
 * JSON.parse-ing them, one item per line (the plain way to read JSON Lines in a Code node).
 */
// String.raw: the code keeps its '\n' (a backslash and an n).
const PARSE_JSON_LINES = String.raw`// Each input item holds one downloaded JSON Lines file as text (HTTP Request, Response Format: Text).
const rows = [];
for (const item of $input.all()) {
  for (const line of item.json.data.split('\n')) {
    if (line.trim() !== '') rows.push({ json: JSON.parse(line) });
  }
}
return rows;`;

const link = (node: string, index = 0) => ({ node, type: 'main', index });

/**
 * The sub-workflow of the batches cases: it counts its rows by posting their ids to the bench
 * server once per batch (HTTP Request, Execute Once), which checks that each row came once.
 */
function countBatchWorkflow(serverOrigin: string) {
	return {
		id: 'benchCountBatch',
		name: 'bench: count a batch (sub-workflow)',
		nodes: [
			{ parameters: { inputSource: 'passthrough' }, id: 'count-batch-trigger', name: 'When Executed by Another Workflow', type: 'n8n-nodes-base.executeWorkflowTrigger', typeVersion: 1.1, position: [0, 0] },
			{
				parameters: {
					method: 'POST',
					url: `${serverOrigin}/_bench/batch`,
					sendBody: true,
					specifyBody: 'json',
					jsonBody: '={{ JSON.stringify({ ids: $input.all().map((item) => item.json.id ?? item.json.Id) }) }}',
					options: {},
				},
				id: 'count-batch-post',
				name: 'Post the ids',
				type: 'n8n-nodes-base.httpRequest',
				typeVersion: 4.2,
				position: [220, 0],
				executeOnce: true,
			},
		],
		connections: { 'When Executed by Another Workflow': { main: [[link('Post the ids')]] } },
		settings: { executionOrder: 'v1', saveDataSuccessExecution: 'none', saveManualExecutions: false },
		active: false,
	};
}

/** The workflows, one per kind; the file (DIY) or the record types (ours) come in the webhook's query. */
export function benchWorkflows(serverOrigin = 'http://127.0.0.1') {
	const settings = { executionOrder: 'v1', saveDataSuccessExecution: 'none', saveManualExecutions: false };
	return [
		{
			id: 'benchDiyCsv',
			name: 'bench: DIY HTTP Request + Extract From File (CSV)',
			nodes: [webhook('bench-diy-csv'), httpFile('diy-csv-http'), extractCsv('diy-csv-extract', 'Extract From File', 'data'), countRows('diy-csv-count')],
			connections: {
				Webhook: { main: [[link('HTTP Request')]] },
				'HTTP Request': { main: [[link('Extract From File')]] },
				'Extract From File': { main: [[link('Count rows')]] },
			},
			settings,
			active: false,
		},
		{
			id: 'benchDiyZip',
			name: 'bench: DIY HTTP Request + Compression + 3x Extract From File + Merge',
			nodes: [
				webhook('bench-diy-zip'),
				httpFile('diy-zip-http'),
				{
					parameters: { operation: 'decompress', binaryPropertyName: 'data', outputPrefix: 'file_' },
					id: 'diy-zip-unzip',
					name: 'Decompress',
					type: 'n8n-nodes-base.compression',
					typeVersion: 1.1,
					position: [440, 0],
				},
				extractCsv('diy-zip-extract-0', 'Extract file_0', 'file_0', -200),
				extractCsv('diy-zip-extract-1', 'Extract file_1', 'file_1', 0),
				extractCsv('diy-zip-extract-2', 'Extract file_2', 'file_2', 200),
				{
					parameters: { numberInputs: 3 },
					id: 'diy-zip-merge',
					name: 'Merge',
					type: 'n8n-nodes-base.merge',
					typeVersion: 3.2,
					position: [880, 0],
				},
				countRows('diy-zip-count'),
			],
			connections: {
				Webhook: { main: [[link('HTTP Request')]] },
				'HTTP Request': { main: [[link('Decompress')]] },
				Decompress: { main: [[link('Extract file_0'), link('Extract file_1'), link('Extract file_2')]] },
				'Extract file_0': { main: [[link('Merge', 0)]] },
				'Extract file_1': { main: [[link('Merge', 1)]] },
				'Extract file_2': { main: [[link('Merge', 2)]] },
				Merge: { main: [[link('Count rows')]] },
			},
			settings,
			active: false,
		},
		{
			// The DIY for Mews export files (JSON Lines, several per export), on the same files as the Mews
			// node. n8n has no JSON Lines parser: Extract From File's "JSON" (fromJson) parses one JSON
			// document per file, and its "Text" only gives the text. So a Code node parses the lines.
			// HTTP Request's Response Format "Text" hands the Code node the text directly; the other usual
			// way, Response "File" (the default for these application/octet-stream files) + Extract From
			// File "Text", writes each file to the binary data store and reads it back into the same string
			// first: one more copy of every file, so the text response is the more favourable DIY. The
			// export itself (exports/add, polling exports/getAll until Success) is left out: the webhook
			// gets the files' URLs (query `urls`, one per file), as a user's earlier steps would.
			id: 'benchDiyJsonl',
			name: 'bench: DIY Split Out + HTTP Request per file (text) + Code (JSON Lines)',
			nodes: [
				webhook('bench-diy-jsonl'),
				{
					parameters: { fieldToSplitOut: 'query.urls', include: 'noOtherFields', options: { destinationFieldName: 'url' } },
					id: 'diy-jsonl-split',
					name: 'Split Out',
					type: 'n8n-nodes-base.splitOut',
					typeVersion: 1,
					position: [220, 0],
				},
				{
					parameters: { url: '={{ $json.url }}', options: { response: { response: { responseFormat: 'text', outputPropertyName: 'data' } } } },
					id: 'diy-jsonl-http',
					name: 'HTTP Request',
					type: 'n8n-nodes-base.httpRequest',
					typeVersion: 4.2,
					position: [440, 0],
				},
				{
					parameters: { mode: 'runOnceForAllItems', language: 'javaScript', jsCode: PARSE_JSON_LINES },
					id: 'diy-jsonl-code',
					name: 'Parse JSON Lines',
					type: 'n8n-nodes-base.code',
					typeVersion: 2,
					position: [660, 0],
				},
				countRows('diy-jsonl-count', 'Id'),
			],
			connections: {
				Webhook: { main: [[link('Split Out')]] },
				'Split Out': { main: [[link('HTTP Request')]] },
				'HTTP Request': { main: [[link('Parse JSON Lines')]] },
				'Parse JSON Lines': { main: [[link('Count rows')]] },
			},
			settings,
			active: false,
		},
		{
			id: 'benchOursRows',
			name: 'bench: 4me node (rows) + count',
			nodes: [webhook('bench-ours-rows'), fourMe('ours-rows-4me', 'rows'), countRows('ours-rows-count')],
			connections: { Webhook: { main: [[link('4me export')]] }, '4me export': { main: [[link('Count rows')]] } },
			settings,
			active: false,
		},
		{
			id: 'benchOursRowsMews',
			name: 'bench: Mews node (rows) + count',
			nodes: [webhook('bench-ours-rows-mews'), mews('ours-rows-mews'), countRows('ours-rows-mews-count', 'Id')],
			connections: { Webhook: { main: [[link('Mews export')]] }, 'Mews export': { main: [[link('Count rows')]] } },
			settings,
			active: false,
		},
		{
			id: 'benchOursBatches',
			name: 'bench: 4me node (rows in batches to a sub-workflow)',
			nodes: [webhook('bench-ours-batches'), fourMeBatches('ours-batches-4me')],
			connections: { Webhook: { main: [[link('4me export')]] } },
			settings,
			active: false,
		},
		{
			id: 'benchOursBatchesMews',
			name: 'bench: Mews node (rows in batches to a sub-workflow)',
			nodes: [webhook('bench-ours-batches-mews'), mews('ours-batches-mews', 'batches')],
			connections: { Webhook: { main: [[link('Mews export')]] } },
			settings,
			active: false,
		},
		countBatchWorkflow(serverOrigin),
		{
			id: 'benchOursFile',
			name: 'bench: 4me node (file)',
			nodes: [webhook('bench-ours-file'), fourMe('ours-file-4me', 'file')],
			connections: { Webhook: { main: [[link('4me export')]] } },
			settings,
			active: false,
		},
	];
}

const WEBHOOK_PATHS: Record<N8nWorkflowKind, string> = {
	'diy-csv': 'bench-diy-csv',
	'diy-zip': 'bench-diy-zip',
	'diy-jsonl': 'bench-diy-jsonl',
	'ours-rows': 'bench-ours-rows',
	'ours-rows-mews': 'bench-ours-rows-mews',
	'ours-file': 'bench-ours-file',
	'ours-batches': 'bench-ours-batches',
	'ours-batches-mews': 'bench-ours-batches-mews',
};

/** `count` distinct free ports on 127.0.0.1 (all held open until all are known). */
async function freePorts(count: number): Promise<number[]> {
	const servers = await Promise.all(
		Array.from({ length: count }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
			const server = createServer();
			server.once('error', reject);
			server.listen(0, '127.0.0.1', () => resolve(server));
		})),
	);
	const ports = servers.map((server) => (server.address() as { port: number }).port);
	await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
	return ports;
}

function cpuSecondsOf(pid: number): number {
	// /proc/<pid>/stat fields 14 and 15: utime and stime in clock ticks (100 per second here).
	const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
	return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The processes `pid` started, and theirs (n8n's task runners), from the parent pids in /proc/<pid>/stat. */
function descendants(pid: number): number[] {
	const parents = new Map<number, number>();
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			parents.set(Number(entry), Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ')[1]));
		} catch {
			// gone meanwhile
		}
	}
	const found: number[] = [];
	for (let queue = [pid]; queue.length; ) {
		const parent = queue.shift() as number;
		for (const [child, ppid] of parents) {
			if (ppid !== parent || found.includes(child)) continue;
			found.push(child);
			queue.push(child);
		}
	}
	return found;
}

function commandOf(pid: number): string {
	try {
		return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).map((part) => part.replace(/^.*\/node_modules\//, '')).join(' ').slice(0, 120);
	} catch {
		return '?';
	}
}

/** A process's memory and CPU time, or undefined when it has exited. */
function sample(pid: number): { rssMB: number; hwmMB: number; cpuSeconds: number } | undefined {
	try {
		return { ...procMemory(pid), cpuSeconds: cpuSecondsOf(pid) };
	} catch {
		return undefined;
	}
}

export class BenchN8n {
	private readonly instance = new N8nInstance();
	private tarball = '';

	constructor(private readonly log: (line: string) => void) {}

	/** Installs the package (from BENCH_PACKAGE_DIR, default the repository), the credential and the workflows. */
	async setUp(serverOrigin: string): Promise<void> {
		await ensureN8nInstalled(this.log);
		const packageDir = process.env.BENCH_PACKAGE_DIR;
		this.tarball = packageDir ? await packDir(packageDir, this.instance.userFolder) : await packPackage(this.instance.userFolder);
		await this.instance.installPackage(this.tarball);
		await this.instance.importJson('credentials', [
			{
				...CREDENTIAL,
				type: 'fourMeApi',
				data: { token: BENCH_TOKEN, account: BENCH_ACCOUNT, instance: 'custom', baseUrl: `${serverOrigin}/4me/current/v1` },
			},
			{
				...MEWS_CREDENTIAL,
				type: 'mewsConnectorApi',
				data: { platform: 'custom', platformAddress: `${serverOrigin}/mews/current`, clientToken: BENCH_TOKEN, accessToken: BENCH_TOKEN, client: 'n8n-nodes-bulk-export bench' },
			},
		]);
		const workflows = benchWorkflows(serverOrigin);
		await this.instance.importJson('workflow', workflows);
		for (const workflow of workflows) await this.instance.cliOk(['publish:workflow', `--id=${workflow.id}`]);
	}

	/**
	 * One measured run in a fresh n8n process. `warmupQuery` runs first (tiny file), then
	 * `query` is measured (a list: the key repeated). Gives up after `timeoutMs`.
	 */
	async run(
		kind: N8nWorkflowKind,
		warmupQuery: WebhookQuery,
		query: WebhookQuery,
		timeoutMs: number,
		{ beforeMeasured, heapLimit }: { beforeMeasured?: () => Promise<void>; heapLimit?: HeapLimit } = {},
	): Promise<N8nRunResult> {
		// The task broker's port too: its default (5679) may be taken by another n8n on the machine.
		// An inspector on 127.0.0.1, used once: a full GC before the measured run (see collectGarbage).
		const [port, brokerPort, inspectPort] = await freePorts(3);
		const gcFirst = process.env.BENCH_N8N_GC !== '0';
		const storagePath = process.env.BENCH_WRITE_DIR ? join(process.env.BENCH_WRITE_DIR, `n8n-storage-${port}`) : undefined;
		const started = performance.now();
		// BENCH_N8N_NODE_ARGS: extra Node flags for n8n, e.g. "--cpu-prof --cpu-prof-dir=bench/out/prof".
		const extraArgs = (process.env.BENCH_N8N_NODE_ARGS ?? '').split(' ').filter(Boolean);
		const heapArgs = heapLimit ? [`--max-old-space-size=${heapLimit.oldSpaceMB}`, `--max-semi-space-size=${heapLimit.semiSpaceMB}`] : [];
		const traceArgs = extraArgs.includes('--trace-gc') ? [] : ['--trace-gc'];
		const child = spawn(process.execPath, [...heapArgs, ...traceArgs, ...extraArgs, ...(gcFirst ? [`--inspect=127.0.0.1:${inspectPort}`] : []), n8nBin, 'start'], {
			env: {
				...this.instance.env,
				N8N_PORT: String(port),
				N8N_RUNNERS_BROKER_PORT: String(brokerPort),
				N8N_LISTEN_ADDRESS: '127.0.0.1',
				N8N_HOST: '127.0.0.1',
				N8N_LOG_LEVEL: 'warn',
				EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'none',
				EXECUTIONS_DATA_SAVE_ON_PROGRESS: 'false',
				EXECUTIONS_DATA_SAVE_MANUAL_EXECUTIONS: 'false',
				N8N_METRICS: 'false',
				// Its refresh task calls api.n8n.io; the benchmarks stay on 127.0.0.1.
				N8N_DISABLED_MODULES: 'mcp-registry',
				// Binary data where the other cases write their files (see BENCH_WRITE_DIR in run.ts).
				...(storagePath ? { N8N_STORAGE_PATH: storagePath } : {}),
			},
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let output = '';
		// BENCH_N8N_LOG=<file>: n8n's whole output, the GC trace included.
		const log = process.env.BENCH_N8N_LOG ? createWriteStream(process.env.BENCH_N8N_LOG, { flags: 'a' }) : undefined;
		// The heap after each full collection: the forced one before the measured run (it names the main
		// isolate), and the main isolate's during it.
		const heap: { phase: 'before' | 'during' | 'after'; isolate?: string; beforeMB?: number; duringMB: number[] } = { phase: 'before', duringMB: [] };
		let partialLine = '';
		child.stdout?.on('data', (chunk) => {
			log?.write(chunk);
			const lines = (partialLine + chunk).split('\n');
			partialLine = lines.pop() ?? '';
			for (const line of lines) {
				if (!TRACE_GC_LINE.test(line)) {
					output = (output + line + '\n').slice(-20_000);
					continue;
				}
				const full = FULL_GC_LINE.exec(line);
				if (!full) continue;
				const [, isolate, afterMB] = full;
				if (heap.phase === 'before' && line.includes('low memory notification')) {
					heap.isolate = isolate;
					heap.beforeMB = Number(afterMB);
				} else if (heap.phase === 'during' && isolate === heap.isolate) heap.duringMB.push(Number(afterMB));
			}
		});
		child.stderr?.on('data', (chunk) => {
			output = (output + chunk).slice(-20_000);
			log?.write(chunk);
		});
		const pid = child.pid as number;
		let t0: number | undefined;
		try {
			const base = `http://127.0.0.1:${port}`;
			await waitForHealth(base, child, 90_000, () => output);
			const startupSeconds = (performance.now() - started) / 1000;
			const url = (q: WebhookQuery) => `${base}/webhook/${WEBHOOK_PATHS[kind]}?${new URLSearchParams(Object.entries(q).flatMap(([key, value]) => (Array.isArray(value) ? value : [value]).map((one): [string, string] => [key, one])))}`;
			// The webhook is registered a moment after /healthz answers.
			await callWebhook(url(warmupQuery), 60_000, true);
			await beforeMeasured?.();
			await delay(1000);
			const collected = gcFirst && (await collectGarbage(inspectPort, pid));
			await delay(1000);
			const childrenBefore = new Map(descendants(pid).map((child) => [child, sample(child)] as const));
			const before = procMemory(pid);
			let peakReset = resetPeak(pid);
			for (const child of childrenBefore.keys()) peakReset = resetPeak(child) && peakReset;
			const cpuBefore = cpuSecondsOf(pid);
			const databaseBefore = this.databaseMB();
			t0 = performance.now();
			heap.phase = 'during';
			const answer = await callWebhook(url(query), timeoutMs, false);
			heap.phase = 'after';
			const seconds = (performance.now() - t0) / 1000;
			const cpuSeconds = cpuSecondsOf(pid) - cpuBefore;
			const after = procMemory(pid);
			// A child started during the run (a runner restarted after a crash) counts from 0 MB; one that
			// exited during the run is missing from the peak (listed without it).
			const children = [...new Set([...childrenBefore.keys(), ...descendants(pid)])].map((child) => {
				const was = childrenBefore.get(child);
				const now = sample(child);
				return {
					pid: child,
					command: commandOf(child),
					rssBeforeMB: was?.rssMB ?? 0,
					peakRssMB: now?.hwmMB,
					cpuSeconds: now ? now.cpuSeconds - (was?.cpuSeconds ?? 0) : undefined,
				};
			});
			const sum = (values: Array<number | undefined>) => values.reduce<number>((total, value) => total + (value ?? 0), 0);
			const rssBeforeMB = before.rssMB + sum(children.map((child) => child.rssBeforeMB));
			const peakRssMB = after.hwmMB + sum(children.map((child) => child.peakRssMB ?? child.rssBeforeMB));
			return {
				seconds,
				cpuSeconds: cpuSeconds + sum(children.map((child) => child.cpuSeconds)),
				rssBeforeMB,
				peakRssMB,
				peakGrowthMB: peakRssMB - rssBeforeMB,
				peakReset,
				gcBefore: collected,
				startupSeconds,
				answer,
				n8nPeakGrowthMB: after.hwmMB - before.rssMB,
				n8nCpuSeconds: cpuSeconds,
				databaseGrowthMB: this.databaseMB() - databaseBefore,
				heapAfterFullGc: {
					beforeMB: heap.beforeMB,
					minMB: heap.duringMB.length ? Math.min(...heap.duringMB) : undefined,
					maxMB: heap.duringMB.length ? Math.max(...heap.duringMB) : undefined,
					collections: heap.duringMB.length,
				},
				heapLimit,
				children,
			};
		} catch (error) {
			const ran = t0 === undefined ? '' : `; the measured run ended after ${((performance.now() - t0) / 1000).toFixed(0)} s`;
			throw new Error(`${(error as Error).message}${failureWhere(output)}${ran}\n--- n8n output (tail) ---\n${output.slice(-3000)}`);
		} finally {
			await stop(child);
			if (storagePath) rmSync(storagePath, { recursive: true, force: true });
		}
	}

	/** The size of n8n's SQLite database with its write-ahead log. */
	private databaseMB(): number {
		const folder = join(this.instance.userFolder, '.n8n');
		const bytes = readdirSync(folder)
			.filter((name) => name.startsWith('database.sqlite'))
			.reduce((total, name) => total + statSync(join(folder, name)).size, 0);
		return bytes / 1024 / 1024;
	}

	cleanUp(): void {
		this.instance.cleanup();
	}
}

/**
 * Where a failed workflow failed, from what n8n logged: the n8n node of the stack (e.g. a RangeError
 * in the Merge node); else an error in n8n itself (e.g. its task broker, which hands a Code node's
 * input items to the task runner as one JSON message) with its message, and the task runner's
 * time-out that follows it.
 */
function failureWhere(output: string): string {
	if (/Reached heap limit|JavaScript heap out of memory/.test(output)) return ' (n8n ran out of heap: "JavaScript heap out of memory", and its process ended)';
	const inNode = /\n(\w*Error)[^\n]*\n(?:[^\n]*\n)*?\s+at [^\n]*?n8n-nodes-base\/(?:dist\/)?(nodes\/[^\s):]+:\d+)/.exec(output);
	if (inNode) return ` (n8n logged a ${inNode[1]} at n8n-nodes-base/${inNode[2]})`;
	const inN8n = /\n(\w*Error): ([^\n]*)\n(?:\s+at [^\n]*\n)*?\s+at (?:[\w.<>]+ \()?[^\n]*?node_modules\/((?:n8n|@n8n\/[\w-]+)\/[^\s):]+:\d+)/.exec(output);
	// n8n's "Task execution timed out after 300 seconds", or its runner's "[runner:js] Task <id> timed out".
	const timedOut = /Task execution timed out after \d+ seconds|\[runner:js\] Task \S+ timed out/.test(output);
	if (!inN8n && !timedOut) return '';
	const what = inN8n ? `a ${inN8n[1]} at ${inN8n[3]} "${inN8n[2].slice(0, 80)}"` : '';
	return ` (n8n logged ${[what, timedOut ? 'the Code node\'s task timed out' : ''].filter(Boolean).join('; then ')})`;
}

export type WebhookQuery = Record<string, string | string[]>;

async function packDir(dir: string, destination: string): Promise<string> {
	const { execFile } = await import('node:child_process');
	const { promisify } = await import('node:util');
	const { stdout } = await promisify(execFile)('npm', ['pack', '--json', '--pack-destination', destination], { cwd: dir });
	return join(destination, JSON.parse(stdout)[0].filename);
}

async function waitForHealth(base: string, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (child.exitCode !== null) throw new Error(`n8n exited with ${child.exitCode} while starting`);
		try {
			const response = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) });
			if (response.ok) return;
		} catch {
			// not up yet
		}
		await delay(250);
	}
	throw new Error(`n8n did not answer /healthz within ${timeoutMs / 1000} s: ${output().slice(-500)}`);
}

/**
 * A full garbage collection in the n8n process through its inspector (CDP HeapProfiler.collectGarbage),
 * so the RSS read before the run is live memory, not garbage the run would reuse (as gc() does in
 * the child-process cases). The session is closed before the run.
 */
async function collectGarbage(inspectPort: number, pid: number): Promise<boolean> {
	try {
		const response = await fetch(`http://127.0.0.1:${inspectPort}/json/list`, { signal: AbortSignal.timeout(5000) });
		const targets = JSON.parse(await response.text()) as Array<{ webSocketDebuggerUrl: string; description?: string }>;
		// The inspector must be n8n's own (its URL carries no pid, but only n8n was started with this port).
		const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
		await new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error('no answer from the inspector')), 30_000);
			socket.onerror = () => reject(new Error('inspector connection failed'));
			socket.onopen = () => socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
			socket.onmessage = (event) => {
				if (String(event.data).startsWith('{"id":1,')) {
					clearTimeout(timer);
					resolve();
				}
			};
		});
		socket.close();
		return true;
	} catch (error) {
		console.error(`[bench] n8n ${pid}: no GC before the run (${(error as Error).message}); its peak growth may read low`);
		return false;
	}
}

// No undici timeouts of its own (fetch's default gives up on a response's headers after 300 s, when
// a slow workflow, say one that ends in n8n's 5-minute task timeout, has not answered yet): the
// case's time limit (AbortSignal) decides.
const webhookAgent = new Agent({ headersTimeout: 0, bodyTimeout: 0 });

async function callWebhook(url: string, timeoutMs: number, retryNotFound: boolean): Promise<Record<string, unknown>> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const response = await undiciFetch(url, { signal: AbortSignal.timeout(Math.max(1000, deadline - Date.now())), dispatcher: webhookAgent });
		const text = await response.text();
		// Right after /healthz, n8n may still answer "n8n is starting up. Please wait" (HTTP 200 or 503).
		const starting = /starting up/i.test(text.slice(0, 200));
		if (response.ok && !starting) {
			let body: Record<string, unknown> | Array<Record<string, unknown>>;
			try {
				body = JSON.parse(text || '{}') as typeof body;
			} catch {
				throw new Error(`webhook ${new URL(url).pathname} answered something that is not JSON: ${text.slice(0, 200)}`);
			}
			return Array.isArray(body) ? (body[0] ?? {}) : body;
		}
		if (retryNotFound && (response.status === 404 || starting) && Date.now() < deadline) {
			await delay(250);
			continue;
		}
		throw new Error(`webhook ${new URL(url).pathname} answered HTTP ${response.status}: ${text.slice(0, 500)}`);
	}
}

/** SIGTERM, then SIGKILL after 20 s: only the n8n process this module started. */
async function stop(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return;
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	child.kill('SIGTERM');
	const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
	await exited;
	clearTimeout(timer);
}
