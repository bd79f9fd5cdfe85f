// Queue mode (issue #18): throughput and peak memory per worker for the 1M-row CSV (4me stand-in),
// with one and with two `n8n worker`s: `npm run bench:queue` (about 6 minutes; the data sets of
// `npm run bench` are made when missing). The cluster is the queue-mode e2e's (test/e2e/queue.ts):
// Redis, a throw-away PostgreSQL, one main, the workers, our package from `npm pack`.
//
// Per setup, two exports of csv-1m are started together through production webhooks, as row items
// (4me node → Summarize) and as batches of 10,000 to a sub-workflow that counts them (the bench
// server checks each row came once). Measured: the wall time until both answered (rows per second
// over both), and each worker's peak RSS growth (VmHWM after, RSS before, the peak reset first).
// Results: bench/out/queue.json, and RESULTS.md between the `bench:queue` markers.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { ensureN8nInstalled } from '../test/e2e/n8n';
import { QueueCluster } from '../test/e2e/queue';
import { ensureDataSets } from './data';
import { BENCH_ACCOUNT, BENCH_TOKEN, procMemory, resetPeak } from './lib';
import { benchWorkflows } from './n8n';

const BENCH = __dirname;
const log = (line: string) => console.log(`[bench:queue ${new Date().toISOString().slice(11, 19)}] ${line}`);

interface QueueCase {
	workers: number;
	output: 'rows' | 'batches';
	exports: number;
	rows: number;
	seconds: number;
	rowsPerSecond: number;
	workerPeakGrowthMB: number[];
	executionsPerWorker: number[];
	ok: boolean;
	note?: string;
}

async function startBenchServer(): Promise<{ origin: string; stop: () => void }> {
	const child = spawn(process.execPath, ['--import', 'tsx', join(BENCH, 'server.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
	const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
	return { origin: (JSON.parse(line) as { origin: string }).origin, stop: () => child.kill('SIGTERM') };
}

async function call(url: string): Promise<Record<string, unknown>> {
	for (let attempt = 0; ; attempt++) {
		const response = await fetch(url, { signal: AbortSignal.timeout(900_000) });
		const text = await response.text();
		// The main registers published workflows a moment after it is healthy.
		if (response.status === 404 && text.includes('not registered') && attempt < 60) {
			await new Promise((resolve) => setTimeout(resolve, 500));
			continue;
		}
		if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${text.slice(0, 300)}`);
		const body = JSON.parse(text) as Record<string, unknown> | Array<Record<string, unknown>>;
		return Array.isArray(body) ? body[0] : body;
	}
}

async function main() {
	await ensureN8nInstalled(log);
	ensureDataSets(['csv-1k', 'csv-1m'], log);
	const server = await startBenchServer();
	const results: QueueCase[] = [];
	const select = (dataset: string) => fetch(`${server.origin}/_bench/select?dataset=${dataset}`, { method: 'POST' });
	for (const workers of [1, 2]) {
		const cluster = new QueueCluster();
		try {
			log(`setting up: Redis, PostgreSQL, the package, one main and ${workers} worker(s)`);
			await cluster.prepare([
				{ id: 'benchFourMe', name: 'bench 4me stand-in', type: 'fourMeApi', data: { token: BENCH_TOKEN, account: BENCH_ACCOUNT, instance: 'custom', baseUrl: `${server.origin}/4me/current/v1` } },
			]);
			const workflows = benchWorkflows(server.origin).filter((workflow) => ['benchOursRows', 'benchOursBatches', 'benchCountBatch'].includes(workflow.id));
			await cluster.importWorkflows(workflows);
			await cluster.publish(workflows.map((workflow) => workflow.id));
			await Promise.all([...Array.from({ length: workers }, (_, index) => cluster.startWorker(index + 1)), cluster.startMain()]);
			const base = `${cluster.url}/webhook`;
			for (const output of ['rows', 'batches'] as const) {
				const path = output === 'rows' ? 'bench-ours-rows' : 'bench-ours-batches';
				const query = `types=requests${output === 'batches' ? '&batchSize=10000' : ''}`;
				await select('csv-1k');
				await call(`${base}/${path}?${query}`);
				await select('csv-1m');
				await fetch(`${server.origin}/_bench/batches/reset`, { method: 'POST' });
				const pids = cluster.workers.map((worker) => worker.child.pid as number);
				const before = pids.map((pid) => procMemory(pid).rssMB);
				for (const pid of pids) resetPeak(pid);
				const startedAt = performance.now();
				const exports = 2;
				const answers = await Promise.all(Array.from({ length: exports }, () => call(`${base}/${path}?${query}`)));
				const seconds = (performance.now() - startedAt) / 1000;
				const growth = pids.map((pid, index) => procMemory(pid).hwmMB - before[index]);
				const rows = output === 'rows' ? answers.reduce((total, answer) => total + Number(answer.count_id ?? 0), 0) : answers.reduce((total, answer) => total + Number(answer.rows ?? 0), 0);
				let ok = rows === exports * 1_000_000;
				let note: string | undefined;
				if (output === 'batches') {
					const received = (await (await fetch(`${server.origin}/_bench/batches`)).json()) as { rows: number; distinct: number };
					// Both exports hand on the same ids: each id twice, every row of each export once.
					ok = ok && received.rows === exports * 1_000_000 && received.distinct === 1_000_000;
					note = `the sub-workflows got ${received.rows.toLocaleString('en-US')} rows, ${received.distinct.toLocaleString('en-US')} distinct ids`;
				}
				const executions = await cluster.executions([output === 'rows' ? 'benchOursRows' : 'benchOursBatches']);
				const measured = executions.slice(-exports).map((row) => row.id);
				const executionsPerWorker = cluster.workers.map((worker) => cluster.startedBy(worker).filter((id) => measured.includes(id)).length);
				const result: QueueCase = { workers, output, exports, rows, seconds, rowsPerSecond: rows / seconds, workerPeakGrowthMB: growth, executionsPerWorker, ok, note };
				results.push(result);
				log(`${workers} worker(s), ${output}: ${seconds.toFixed(1)} s for ${rows.toLocaleString('en-US')} rows, peak growth per worker ${growth.map((mb) => Math.round(mb)).join(' / ')} MB, executions per worker ${executionsPerWorker.join(' / ')}${ok ? '' : ' — WRONG ROW COUNT'}`);
			}
		} finally {
			await cluster.stop();
		}
	}
	server.stop();
	mkdirSync(join(BENCH, 'out'), { recursive: true });
	writeFileSync(join(BENCH, 'out', 'queue.json'), JSON.stringify(results, null, 2));
	writeResults(results);
}

function writeResults(results: QueueCase[]): void {
	const load = loadavg().map((value) => value.toFixed(2)).join(' / ');
	const lines = [
		`### ${new Date().toISOString().slice(0, 10)} — \`npm run bench:queue\``,
		'',
		`n8n 2.41.1 in queue mode (one main, the workers, Redis 7, PostgreSQL 15, binary data in the database) on the same 2-core machine as everything else; load average after the run ${load}. Two exports of csv-1m (1,000,000 rows, 204 MB, 4me stand-in) started together through production webhooks; *rows/s* counts the rows of both over the wall time until both answered; *peak growth* is each worker's VmHWM after minus its RSS before (the peak reset first).`,
		'',
		'| workers | output | time s | rows/s | peak growth per worker MB | executions per worker | every row once |',
		'|---:|---|---:|---:|---|---|:---:|',
		...results.map(
			(c) =>
				`| ${c.workers} | ${c.output === 'rows' ? 'One Item per Row → Summarize' : 'Rows in Batches of 10,000 → counting sub-workflow'} | ${c.seconds.toFixed(1)} | ${Math.round(c.rowsPerSecond / 1000).toLocaleString('en-US')} k | ${c.workerPeakGrowthMB.map((mb) => Math.round(mb).toLocaleString('en-US')).join(' / ')} | ${c.executionsPerWorker.join(' / ')} | ${c.ok ? 'yes' : `**no**${c.note ? ` (${c.note})` : ''}`} |`,
		),
	];
	const path = join(BENCH, 'RESULTS.md');
	const text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmark results\n';
	const start = '<!-- bench:queue:start -->';
	const end = '<!-- bench:queue:end -->';
	const block = `${start}\n${lines.join('\n')}\n${end}`;
	const updated = text.includes(start) ? text.replace(new RegExp(`${start}[\\s\\S]*?${end}`), block) : `${text.trimEnd()}\n\n## Queue mode\n\n${block}\n`;
	writeFileSync(path, updated);
	log('RESULTS.md updated (queue mode section)');
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
