// The benchmark suite (not part of `npm test`): `npm run bench` (100k and 1M rows, 1 GB binary),
// `npm run bench -- --quick` (100k rows only). See bench/README.md.
//
// Options: --quick | --runs=<n> (repeat every case, default 1) | --only=<text>[,<text>...] (cases
// whose id contains one of them) | --skip-n8n (no real-n8n cases) | --no-report (do not rewrite RESULTS.md and the
// plot) | --out=<file> (raw results JSON, default bench/out/results.json) | --quiet-wait=<s> (before
// each case, wait up to this long for other processes to leave the CPUs idle; default 90, 0: never).
// Scratch variants (for proposals): BENCH_ENGINE=<dir of shared/*.ts>, BENCH_DIST=<dist dir>,
// BENCH_PACKAGE_DIR=<package dir with dist/ for npm pack> are passed to the case processes.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';

import type { CaseSpec, FileRef } from './case';
import { ensureDataSets, fingerprint, type DataSet } from './data';
import { RESULT_PREFIX, waitForQuiet } from './lib';
import { BenchN8n, ONE_GIB_CONTAINER, type HeapLimit, type N8nWorkflowKind, type WebhookQuery } from './n8n';
import { reportJsonPath, writeReport, type CaseOutcome, type RunReport } from './report';

const BENCH = __dirname;

interface Args {
	quick: boolean;
	runs: number;
	only?: string;
	skipN8n: boolean;
	report: boolean;
	out: string;
	/** How long to wait before a case for other processes to leave the CPUs idle. */
	quietWaitMs: number;
}

function parseArgs(argv: string[]): Args {
	const value = (name: string) => argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=').slice(1).join('=');
	return {
		quick: argv.includes('--quick'),
		runs: Math.max(1, Number(value('runs') ?? 1)),
		only: value('only'),
		skipN8n: argv.includes('--skip-n8n'),
		report: !argv.includes('--no-report'),
		out: value('out') ?? join(BENCH, 'out', 'results.json'),
		quietWaitMs: Number(value('quiet-wait') ?? 90) * 1000,
	};
}

const log = (line: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

// ---------------------------------------------------------------------------------------------
// Processes

async function startServer(): Promise<{ origin: string; stop: () => Promise<void> }> {
	const child = spawn(process.execPath, ['--import', 'tsx', join(BENCH, 'server.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
	const [line] = (await Promise.race([
		once(createInterface({ input: child.stdout }), 'line'),
		once(child, 'exit').then(() => {
			throw new Error('the bench server exited');
		}),
	])) as [string];
	return {
		origin: (JSON.parse(line) as { origin: string }).origin,
		stop: async () => {
			if (child.exitCode !== null) return;
			child.kill('SIGTERM');
			await once(child, 'exit');
		},
	};
}

/**
 * Runs a script in a fresh Node process and returns its BENCH_RESULT; kills it (by its pid) after
 * `timeoutMs`. `name` names its profile / heap snapshot files (BENCH_PROFILE_DIR, BENCH_HEAP_SNAPSHOT_DIR).
 */
async function runChild<T>(script: string, arg: unknown, timeoutMs: number, nodeArgs: string[] = ['--expose-gc'], name?: string): Promise<T> {
	const env: NodeJS.ProcessEnv = { ...process.env };
	// The n8n-core harness keeps its user folder (and binary data) in the temp dir.
	if (process.env.BENCH_WRITE_DIR) env.TMPDIR = process.env.BENCH_WRITE_DIR;
	const file = name?.replace(/[^\w.-]+/g, '_');
	if (file && process.env.BENCH_PROFILE_DIR) {
		mkdirSync(process.env.BENCH_PROFILE_DIR, { recursive: true });
		env.BENCH_CPU_PROFILE = join(process.env.BENCH_PROFILE_DIR, `${file}.cpuprofile`);
	}
	if (file && process.env.BENCH_HEAP_SNAPSHOT_DIR) {
		mkdirSync(process.env.BENCH_HEAP_SNAPSHOT_DIR, { recursive: true });
		env.BENCH_HEAP_SNAPSHOT = join(process.env.BENCH_HEAP_SNAPSHOT_DIR, `${file}.heapsnapshot`);
	}
	const extraArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
	const child = spawn(process.execPath, [...nodeArgs, ...extraArgs, '--import', 'tsx', join(BENCH, script), JSON.stringify(arg)], {
		stdio: ['ignore', 'pipe', 'pipe'],
		env,
	});
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (chunk) => (stdout += chunk));
	child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-5000)));
	const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
	const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
	clearTimeout(timer);
	if (file && process.env.BENCH_CHILD_LOG_DIR) writeFileSync(join(process.env.BENCH_CHILD_LOG_DIR, `${file}.log`), stdout + stderr);
	const line = stdout.split('\n').find((text) => text.startsWith(RESULT_PREFIX));
	if (code !== 0 || !line) {
		throw new Error(`${script} ${signal === 'SIGKILL' ? `timed out after ${timeoutMs / 1000} s` : `exited ${code ?? signal}`}: ${stderr.trim().split('\n').slice(-6).join(' | ')}`);
	}
	return JSON.parse(line.slice(RESULT_PREFIX.length)) as T;
}

// ---------------------------------------------------------------------------------------------
// Cases

interface CaseDef {
	id: string;
	dataset: string;
	/** Table row label. */
	label: string;
	/** Which issue case it is: floor, ours-rows, ours-file, diy, download, extra. */
	role: CaseOutcome['role'];
	where: CaseOutcome['where'];
	pending?: string;
	/** Runs at least this often (median): the few-second cases whose ratio to each other is a target. */
	minRuns?: number;
	run?: (id: string) => Promise<Record<string, unknown>>;
}

function fileRefs(origin: string, set: DataSet): FileRef[] {
	return set.files.map((file, index) => ({
		url: `${origin}/files/${set.id}/${index}/${encodeURIComponent(file.name)}`,
		name: file.name,
		size: file.bytes,
	}));
}

function planCases(args: Args, origin: string, sets: Record<string, DataSet>, n8n: () => Promise<BenchN8n>): CaseDef[] {
	const cases: CaseDef[] = [];
	const child = (spec: CaseSpec, timeoutMs = 300_000) => (id: string) => runChild<Record<string, unknown>>('case.ts', spec, timeoutMs, undefined, id);
	const warm = { csv: 'csv-1k', jsonl: 'jsonl-1k', zip: 'zip-1k' } as const;
	const select = (dataset: string) => async () => {
		await fetch(`${origin}/_bench/select?dataset=${dataset}`, { method: 'POST' });
	};
	// The DIY workflows get the file's URL (`url`; JSON Lines: every file's, `urls`), ours the record
	// types and the data set chosen on the stand-in (select: the real n8n has one credential per API).
	const inN8n = (kind: N8nWorkflowKind, dataset: string, warmup: string, types: string, timeoutMs: number, batchSize?: number, heapLimit?: HeapLimit) => async () => {
		const instance = await n8n();
		const isDiy = kind.startsWith('diy');
		const batches = kind.startsWith('ours-batches');
		const query = (id: string): WebhookQuery => {
			const files = fileRefs(origin, sets[id]).map((file) => file.url);
			if (kind === 'diy-jsonl') return { urls: files };
			const ours: WebhookQuery = kind.endsWith('-mews') ? {} : { types };
			return isDiy ? { url: files[0] } : batches ? { ...ours, batchSize: String(batchSize) } : ours;
		};
		await select(warmup)();
		const beforeMeasured = async () => {
			await select(dataset)();
			await fetch(`${origin}/_bench/batches/reset`, { method: 'POST' });
		};
		const result = await instance.run(kind, query(warmup), query(dataset), timeoutMs, { beforeMeasured: isDiy ? undefined : beforeMeasured, heapLimit });
		const answer = result.answer;
		if (batches) {
			// The sub-workflow posted each batch's ids: every row must have come once.
			const received = (await (await fetch(`${origin}/_bench/batches`)).json()) as { batches: number; rows: number; distinct: number };
			const once = received.rows === received.distinct && received.rows === answer.rows;
			return { ...result, rows: once ? received.rows : -1, batches: received.batches, received };
		}
		// Summarize answers count_<field>: count_id (4me CSV), count_Id (Mews JSON Lines).
		const count = answer.count_id ?? answer.count_Id;
		return {
			...result,
			rows: typeof count === 'number' ? count : undefined,
			fileBytes: typeof answer.fileName === 'string' ? sets[dataset].bytes : undefined,
		};
	};

	const rowSets = args.quick ? ['csv-100k', 'zip-100k'] : ['csv-100k', 'csv-1m', 'zip-100k', 'zip-1m'];
	for (const id of rowSets) {
		const set = sets[id];
		const format = set.kind === 'zip' ? 'zip' : 'csv';
		const files = fileRefs(origin, set);
		const warmup = fileRefs(origin, sets[warm[format]]);
		const types = set.types?.join(',') ?? 'requests';
		const big = set.rows >= 1_000_000;
		cases.push(
			{ id: `${id}/floor`, dataset: id, label: format === 'zip' ? 'floor: undici → zlib → papaparse, count' : 'floor: undici → papaparse, count', role: 'floor', where: 'process', minRuns: 3, run: child({ kind: 'floor', format, files, warmup }) },
			{
				id: `${id}/floor-keep`,
				dataset: id,
				label: format === 'zip' ? 'floor, rows kept: undici → zlib → papaparse → an object per row, in an array' : 'floor, rows kept: undici → papaparse → an object per row, in an array',
				role: 'floor',
				where: 'process',
				run: child({ kind: 'floor-keep', format, files, warmup }),
			},
			{ id: `${id}/engine-stream`, dataset: id, label: 'engine only: openDownload + parseFile, rows not kept', role: 'extra', where: 'process', minRuns: 3, run: child({ kind: 'stream', format, files, warmup }) },
			{ id: `${id}/engine`, dataset: id, label: 'engine only: filesToRows, no n8n', role: 'extra', where: 'process', run: child({ kind: 'engine', format, files, warmup }) },
			{
				id: `${id}/ours-rows-harness`,
				dataset: id,
				label: '4me node, rows (n8n-core WorkflowExecute)',
				role: 'ours-rows',
				where: 'harness',
				run: child({ kind: 'node', output: 'rows', types: types.split(','), apiUrl: `${origin}/4me/${id}/v1`, warmupApiUrl: `${origin}/4me/${warm[format]}/v1` }),
			},
		);
		if (!args.skipN8n) {
			cases.push(
				{ id: `${id}/ours-rows-n8n`, dataset: id, label: '4me node, rows → Summarize (n8n start)', role: 'ours-rows', where: 'n8n', run: inN8n('ours-rows', id, warm[format], types, big ? 600_000 : 120_000) },
				{
					id: `${id}/diy-n8n`,
					dataset: id,
					label: format === 'zip' ? 'DIY: HTTP Request → Compression → 3× Extract From File → Merge → Summarize' : 'DIY: HTTP Request (file) → Extract From File → Summarize',
					role: 'diy',
					where: 'n8n',
					run: inN8n(format === 'zip' ? 'diy-zip' : 'diy-csv', id, warm[format], types, big ? 600_000 : 120_000),
				},
			);
		}
	}

	const jsonlSets = args.quick ? ['jsonl-100k'] : ['jsonl-100k', 'jsonl-1m'];
	for (const id of jsonlSets) {
		const files = fileRefs(origin, sets[id]);
		const warmup = fileRefs(origin, sets[warm.jsonl]);
		const big = sets[id].rows >= 1_000_000;
		cases.push(
			{ id: `${id}/floor`, dataset: id, label: 'floor: undici → line splitter + JSON.parse, count', role: 'floor', where: 'process', minRuns: 3, run: child({ kind: 'floor', format: 'jsonl', files, warmup }) },
			{ id: `${id}/floor-keep`, dataset: id, label: 'floor, rows kept: undici → line splitter + JSON.parse, the objects in an array', role: 'floor', where: 'process', run: child({ kind: 'floor-keep', format: 'jsonl', files, warmup }) },
			{ id: `${id}/engine-stream`, dataset: id, label: 'engine only: openDownload + parseFile, rows not kept', role: 'extra', where: 'process', minRuns: 3, run: child({ kind: 'stream', format: 'jsonl', files, warmup }) },
			{ id: `${id}/engine`, dataset: id, label: 'engine only: filesToRows, no n8n', role: 'extra', where: 'process', run: child({ kind: 'engine', format: 'jsonl', files, warmup }) },
			{
				id: `${id}/ours-rows-harness`,
				dataset: id,
				label: 'Mews node, rows (n8n-core WorkflowExecute)',
				role: 'ours-rows',
				where: 'harness',
				run: child({ kind: 'mews-node', apiUrl: `${origin}/mews/${id}`, warmupApiUrl: `${origin}/mews/${warm.jsonl}` }),
			},
		);
		if (!args.skipN8n) {
			cases.push(
				{ id: `${id}/ours-rows-n8n`, dataset: id, label: 'Mews node, rows → Summarize (n8n start)', role: 'ours-rows', where: 'n8n', run: inN8n('ours-rows-mews', id, warm.jsonl, '', big ? 600_000 : 120_000) },
				{
					id: `${id}/diy-n8n`,
					dataset: id,
					label: 'DIY: Split Out → HTTP Request per file (text) → Code (split lines, JSON.parse) → Summarize',
					role: 'diy',
					where: 'n8n',
					run: inN8n('diy-jsonl', id, warm.jsonl, '', big ? 600_000 : 120_000),
				},
			);
		}
	}

	// Output "Rows in Batches to a Sub-Workflow" in a real n8n: a sub-workflow that counts its rows
	// (posts their ids here), batches of 1,000 and 10,000; the 5M-row CSV in rows and DIY too, to
	// show what they do with it.
	if (!args.skipN8n) {
		const batchSets = args.quick ? ['csv-100k'] : ['csv-1m', 'csv-5m', 'jsonl-1m'];
		for (const id of batchSets) {
			const mewsSet = sets[id].kind === 'jsonl';
			for (const size of [1000, 10_000]) {
				cases.push({
					id: `${id}/ours-batches-${size}-n8n`,
					dataset: id,
					label: `${mewsSet ? 'Mews' : '4me'} node, rows in batches of ${size.toLocaleString('en-US')} → sub-workflow (n8n start)`,
					role: 'ours-batches',
					where: 'n8n',
					run: inN8n(mewsSet ? 'ours-batches-mews' : 'ours-batches', id, mewsSet ? warm.jsonl : warm.csv, 'requests', 1_800_000, size),
				});
			}
		}
		// The same in an n8n whose heap is what Node gives a 1 GiB container: V8 collects sooner there,
		// so peak growth shows what batches need, not the garbage a large machine lets pile up (also
		// the default batch size, 5,000). Row mode beside it, to show what it does there.
		const capped: Array<[string, number]> = args.quick ? [['csv-100k', 1000]] : [['csv-1m', 1000], ['csv-1m', 5000], ['csv-1m', 10_000], ['jsonl-1m', 1000], ['jsonl-1m', 5000], ['jsonl-1m', 10_000], ['csv-5m', 10_000]];
		for (const [id, size] of capped) {
			const mewsSet = sets[id].kind === 'jsonl';
			cases.push({
				id: `${id}/ours-batches-${size}-n8n-1gib`,
				dataset: id,
				label: `${mewsSet ? 'Mews' : '4me'} node, rows in batches of ${size.toLocaleString('en-US')} → sub-workflow (n8n start, heap of a ${ONE_GIB_CONTAINER.name})`,
				role: 'ours-batches',
				where: 'n8n',
				run: inN8n(mewsSet ? 'ours-batches-mews' : 'ours-batches', id, mewsSet ? warm.jsonl : warm.csv, 'requests', 1_800_000, size, ONE_GIB_CONTAINER),
			});
		}
		const cappedRows = args.quick ? 'csv-100k' : 'csv-1m';
		cases.push({
			id: `${cappedRows}/ours-rows-n8n-1gib`,
			dataset: cappedRows,
			label: `4me node, rows → Summarize (n8n start, heap of a ${ONE_GIB_CONTAINER.name})`,
			role: 'ours-rows',
			where: 'n8n',
			run: inN8n('ours-rows', cappedRows, warm.csv, 'requests', 600_000, undefined, ONE_GIB_CONTAINER),
		});
		if (!args.quick) {
			cases.push(
				{ id: 'csv-5m/ours-rows-n8n', dataset: 'csv-5m', label: '4me node, rows → Summarize (n8n start)', role: 'ours-rows', where: 'n8n', run: inN8n('ours-rows', 'csv-5m', warm.csv, 'requests', 600_000) },
				{ id: 'csv-5m/diy-n8n', dataset: 'csv-5m', label: 'DIY: HTTP Request (file) → Extract From File → Summarize', role: 'diy', where: 'n8n', run: inN8n('diy-csv', 'csv-5m', warm.csv, 'requests', 600_000) },
			);
		}
	}

	// A trigger's first full export of a large set spread over polls (Max Rows per Poll 50,000):
	// how many polls, and each poll's time and peak memory.
	const triggerSet = args.quick ? 'csv-100k' : 'csv-1m';
	cases.push({
		id: `${triggerSet}/trigger-polls-harness`,
		dataset: triggerSet,
		label: '4me Trigger, A Full Export First, Max Rows per Poll 50,000 (n8n-core TriggersAndPollers), poll after poll',
		role: 'extra',
		where: 'harness',
		run: (id: string) =>
			runChild<Record<string, unknown>>('trigger-case.ts', { apiUrl: `${origin}/4me/${triggerSet}/v1`, warmupApiUrl: `${origin}/4me/csv-1k/v1`, maxRowsPerPoll: 50_000, maxPolls: 200 }, 900_000, undefined, id),
	});

	const binarySets = args.quick ? ['csv-100k'] : ['csv-100k', 'csv-500k', 'csv-1m', 'csv-5m'];
	for (const id of binarySets) {
		const files = fileRefs(origin, sets[id]);
		const warmup = fileRefs(origin, sets['csv-1k']);
		const big = sets[id].bytes > 500e6;
		cases.push(
			{ id: `${id}/download-file`, dataset: id, label: 'plain download: undici → file', role: 'download', where: 'process', run: child({ kind: 'download', sink: 'file', files, warmup }) },
			{
				id: `${id}/ours-file-harness`,
				dataset: id,
				label: '4me node, file (n8n-core WorkflowExecute, filesystem binary store)',
				role: 'ours-file',
				where: 'harness',
				run: child({ kind: 'node', output: 'file', types: ['requests'], apiUrl: `${origin}/4me/${id}/v1`, warmupApiUrl: `${origin}/4me/csv-1k/v1` }),
			},
		);
		if (!args.skipN8n) {
			cases.push({ id: `${id}/ours-file-n8n`, dataset: id, label: '4me node, file (n8n start)', role: 'ours-file', where: 'n8n', run: inN8n('ours-file', id, 'csv-1k', 'requests', big ? 300_000 : 120_000) });
		}
	}
	const only = args.only?.split(',');
	return only ? cases.filter((c) => only.some((part) => c.id.includes(part))) : cases;
}

// ---------------------------------------------------------------------------------------------

function summarize(def: CaseDef, set: DataSet, runs: Array<Record<string, unknown>>, errors: string[]): CaseOutcome {
	const base = { id: def.id, dataset: def.dataset, label: def.label, role: def.role, where: def.where };
	if (def.pending) return { ...base, status: 'pending', note: def.pending, runs: [] };
	if (!runs.length) return { ...base, status: 'failed', note: errors.join(' / '), runs: [] };
	const median = (values: number[]) => {
		const sorted = [...values].sort((a, b) => a - b);
		const mid = Math.floor(sorted.length / 2);
		return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
	};
	const pick = (key: string) => runs.map((run) => Number(run[key])).filter((value) => Number.isFinite(value));
	const seconds = pick('seconds');
	const growth = pick('peakGrowthMB');
	const rows = def.role === 'download' || def.role === 'ours-file' ? undefined : Number(runs[0].rows ?? runs[0].items);
	const countOk = rows === undefined || rows === set.rows;
	const busiest = Math.max(0, ...pick('busyBefore'));
	if (busiest > 0.2) errors.push(`other processes used ${Math.round(busiest * 100)}% of the CPUs just before a run`);
	return {
		...base,
		status: countOk ? 'ok' : 'failed',
		note: countOk ? (errors.length ? errors.join(' / ') : undefined) : `row count ${rows}, expected ${set.rows}`,
		rows,
		bytes: set.bytes,
		seconds: median(seconds),
		secondsRange: [Math.min(...seconds), Math.max(...seconds)],
		cpuSeconds: median(pick('cpuSeconds')),
		peakRssMB: median(pick('peakRssMB')),
		peakGrowthMB: median(growth),
		peakGrowthRange: [Math.min(...growth), Math.max(...growth)],
		rssBeforeMB: median(pick('rssBeforeMB')),
		firstRowMs: pick('firstRowMs')[0],
		runs,
	};
}

async function main() {
	const args = parseArgs(process.argv.slice(2));
	const startedAt = new Date();
	const load = loadavg();
	log(`${args.quick ? 'quick' : 'full'} run, ${args.runs} run(s) per case, load average ${load.map((v) => v.toFixed(2)).join(' ')}`);

	const ids = args.quick
		? ['csv-1k', 'csv-100k', 'jsonl-1k', 'jsonl-100k', 'zip-1k', 'zip-100k']
		: ['csv-1k', 'csv-100k', 'csv-500k', 'csv-1m', 'csv-5m', 'jsonl-1k', 'jsonl-100k', 'jsonl-1m', 'zip-1k', 'zip-100k', 'zip-1m'];
	const sets = ensureDataSets(ids, log);

	// Files the cases write (plain download, n8n's binary data store) go to tmpfs when there is one:
	// the VM disk's write-back and discards would otherwise decide those times (BENCH_WRITE_DIR=disk:
	// the default places on disk).
	const ownWriteDir = !process.env.BENCH_WRITE_DIR && existsSync('/dev/shm') ? mkdtempSync('/dev/shm/n8n-bench-') : undefined;
	if (ownWriteDir) process.env.BENCH_WRITE_DIR = ownWriteDir;
	if (process.env.BENCH_WRITE_DIR === 'disk') delete process.env.BENCH_WRITE_DIR;
	const writeDir = process.env.BENCH_WRITE_DIR;
	log(`files written by the cases go to ${writeDir ?? 'disk (bench/out/tmp, the n8n user folders)'}`);

	const server = await startServer();
	log(`files and the 4me and Mews stand-ins on ${server.origin}`);
	let n8nInstance: BenchN8n | undefined;
	let n8nSetUp: Promise<BenchN8n> | undefined;
	const n8n = () =>
		(n8nSetUp ??= (async () => {
			const started = Date.now();
			log('setting up n8n (package from npm pack, credential, workflows)...');
			n8nInstance = new BenchN8n(log);
			await n8nInstance.setUp(server.origin);
			log(`  n8n ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
			return n8nInstance;
		})());

	const outcomes: CaseOutcome[] = [];
	let polling: RunReport['polling'];
	try {
		const cases = planCases(args, server.origin, sets, n8n);
		for (const def of cases) {
			const runs: Array<Record<string, unknown>> = [];
			const errors: string[] = [];
			const runCount = Math.max(args.runs, def.minRuns ?? 1);
			for (let r = 0; def.run && r < runCount; r++) {
				// Written-back disk state matters for the cases that write a file (plain download, binary
				// store): flush earlier cases' dirty pages first, outside the measurement.
				execFileSync('sync');
				const busyBefore = await waitForQuiet(0.2, args.quietWaitMs, log);
				try {
					const name = runCount > 1 ? `${def.id}#${r + 1}` : def.id;
					// One retry for a run that failed (not for a wrong row count, which is reported).
					const result = await def.run(name).catch((error: unknown) => {
						const message = (error as Error).message.split('\n')[0];
						// A workflow that failed in n8n (HTTP 500) fails again; anything else gets one more try.
						if (/answered HTTP 500|timed out|ran out of heap/.test(message)) throw error;
						log(`${def.id}: run failed (${message.slice(0, 200)}), retrying once`);
						return def.run?.(name) as Promise<Record<string, unknown>>;
					});
					runs.push({ ...result, busyBefore });
					log(`${def.id}: ${Number(result.seconds).toFixed(2)} s, peak growth ${Number(result.peakGrowthMB).toFixed(0)} MB${result.rows !== undefined ? `, ${result.rows} rows` : ''}`);
				} catch (error) {
					errors.push((error as Error).message.split('\n')[0].slice(0, 300));
					log(`${def.id}: FAILED ${(error as Error).message.slice(0, 2000)}`);
				}
			}
			if (def.pending) log(`${def.id}: ${def.pending}`);
			outcomes.push(summarize(def, sets[def.dataset], runs, errors));
		}
		if (!args.only || args.only.split(',').includes('polling')) {
			log('polling cost (virtual clock, then a 10-minute job scaled 1:60)...');
			try {
				polling = await runChild('polling.ts', { origin: server.origin, dataset: 'csv-100k' }, 120_000, []);
			} catch (error) {
				log(`polling: FAILED ${(error as Error).message}`);
			}
		}
	} finally {
		n8nInstance?.cleanUp();
		await server.stop();
		if (ownWriteDir) rmSync(ownWriteDir, { recursive: true, force: true });
	}

	const report: RunReport = {
		startedAt: startedAt.toISOString(),
		finishedAt: new Date().toISOString(),
		mode: args.quick ? 'quick' : 'full',
		runsPerCase: args.runs,
		machine: {
			cpu: cpus()[0]?.model ?? 'unknown',
			cores: cpus().length,
			memoryGiB: Math.round(totalmem() / 2 ** 30),
			loadBefore: load,
			loadAfter: loadavg(),
		},
		versions: { node: process.version, n8n: '2.41.1', n8nCore: require('n8n-core/package.json').version as string },
		variant: { engine: process.env.BENCH_ENGINE, dist: process.env.BENCH_DIST, package: process.env.BENCH_PACKAGE_DIR },
		writeDir: writeDir ? (writeDir.startsWith('/dev/shm') ? 'tmpfs (/dev/shm)' : writeDir) : 'disk',
		dataSets: Object.values(sets)
			.filter((set) => !set.id.endsWith('-1k'))
			.map((set) => ({ ...set, fingerprint: fingerprint(set) })),
		cases: outcomes,
		polling,
	};
	mkdirSync(join(BENCH, 'out'), { recursive: true });
	writeFileSync(args.out, JSON.stringify(report, null, 2));
	log(`raw results: ${args.out}`);
	let writeResults = args.report;
	if (args.report && args.only) {
		// A partial run updates its cases in the last full (or quick) results and keeps the others.
		const previousPath = reportJsonPath(BENCH, report.mode);
		if (existsSync(previousPath)) {
			const previous = JSON.parse(readFileSync(previousPath, 'utf8')) as RunReport;
			const rerun = new Set(outcomes.map((c) => c.id));
			report.cases = [...previous.cases.map((c) => (rerun.has(c.id) ? (outcomes.find((o) => o.id === c.id) as CaseOutcome) : c)), ...outcomes.filter((o) => !previous.cases.some((c) => c.id === o.id))];
			report.polling = polling ?? previous.polling;
			report.dataSets = previous.dataSets;
			report.rerun = [...(previous.rerun ?? []), { at: report.startedAt, cases: [...rerun], load: report.machine.loadBefore }];
			report.startedAt = previous.startedAt;
			report.finishedAt = previous.finishedAt;
			report.machine = previous.machine;
			report.runsPerCase = previous.runsPerCase;
		} else {
			// Without them, the section would shrink to these few cases.
			log(`no ${relative(process.cwd(), previousPath)} (a ${report.mode} run without --only writes it) to merge these cases into: RESULTS.md and the plot left alone`);
			writeResults = false;
		}
	}
	if (writeResults) {
		const written = await writeReport(report, BENCH);
		log(`wrote ${written.join(', ')}`);
	}
	log(`done in ${((Date.now() - startedAt.getTime()) / 60_000).toFixed(1)} min`);
}

main().then(
	() => process.exit(0),
	(error: unknown) => {
		console.error(error);
		process.exit(1);
	},
);
