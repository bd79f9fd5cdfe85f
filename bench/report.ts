// Writes a run's results into bench/RESULTS.md (between markers, so text outside them stays) and
// draws the plot: an SVG rendered to PNG with rsvg-convert (Debian package librsvg2-bin).
//
// Committed: RESULTS.md and the full run's plot, bench/results.png (the README shows it). Written
// to bench/out/ (git-ignored), rewritten by every run: the SVGs, the quick run's PNG, and the
// results RESULTS.md was written from (report.json, report-quick.json), which a later partial
// run (`--only`) merges its cases into.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

import type { PollingCost } from '../test/helpers/poll-cost';
import type { DataSet } from './data';

export interface CaseOutcome {
	id: string;
	dataset: string;
	label: string;
	role: 'floor' | 'ours-rows' | 'ours-batches' | 'ours-file' | 'diy' | 'download' | 'extra';
	where: 'process' | 'harness' | 'n8n';
	status: 'ok' | 'failed' | 'pending';
	note?: string;
	rows?: number;
	bytes?: number;
	seconds?: number;
	secondsRange?: [number, number];
	cpuSeconds?: number;
	peakRssMB?: number;
	peakGrowthMB?: number;
	peakGrowthRange?: [number, number];
	rssBeforeMB?: number;
	firstRowMs?: number;
	runs: Array<Record<string, unknown>>;
}

export interface RunReport {
	startedAt: string;
	finishedAt: string;
	mode: 'quick' | 'full';
	runsPerCase: number;
	machine: { cpu: string; cores: number; memoryGiB: number; loadBefore: number[]; loadAfter: number[] };
	versions: { node: string; n8n: string; n8nCore: string };
	variant: { engine?: string; dist?: string; package?: string };
	/** Where the cases wrote files (plain download, binary data store). */
	writeDir?: string;
	/** Cases measured again later (`--only`), merged into these results. */
	rerun?: Array<{ at: string; cases: string[]; load: number[] }>;
	dataSets: Array<DataSet & { fingerprint: string }>;
	cases: CaseOutcome[];
	polling?: {
		virtual: { schedule: { firstIntervalMs: number; maxIntervalMs: number; timeoutMs: number }; runs: PollingCost[] };
		scaled?: { scale: number; statusRequests: number; lagSeconds: number; doneToDownloadMs?: number; downloadToOutputMs?: number; rows: number };
	};
}

const MB = 1e6;
const WHERE = { process: 'own process', harness: 'n8n-core harness', n8n: 'real n8n' } as const;

const int = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? '—' : Math.round(value).toLocaleString('en-US'));
const fixed = (value: number | undefined, digits = 2) => (value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits));
const kilo = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? '—' : `${Math.round(value / 1000).toLocaleString('en-US')} k`);

/** A case's note, without the webhook plumbing around n8n's own error. */
function noteText(note: string | undefined): string | undefined {
	return note
		?.replace(/webhook \/webhook\/\S+ answered HTTP 500: \{"message":"Error in workflow"\} \(n8n logged a (\w+) at ([^)]+)\)/, 'n8n: "Error in workflow", a $1 at $2')
		// The task broker's message to the task runner with a Code node's input items is one JSON text.
		.replace(
			/a RangeError at n8n\/src\/task-runners\/task-broker\/task-broker-ws-server\.ts:\d+ "Invalid string length"/,
			'a RangeError "Invalid string length" in its task broker (the Code node\'s input items, sent to the task runner as one JSON text, exceed the longest string V8 makes, about 512 MiB)',
		);
}

function secondsText(outcome: CaseOutcome): string {
	if (outcome.seconds === undefined) return '—';
	const [low, high] = outcome.secondsRange ?? [outcome.seconds, outcome.seconds];
	return high - low >= 0.01 ? `${fixed(outcome.seconds)} (${fixed(low)}–${fixed(high)})` : fixed(outcome.seconds);
}

function growthText(outcome: CaseOutcome): string {
	if (outcome.peakGrowthMB === undefined) return '—';
	const [low, high] = outcome.peakGrowthRange ?? [outcome.peakGrowthMB, outcome.peakGrowthMB];
	return high - low >= 1 ? `${int(outcome.peakGrowthMB)} (${int(low)}–${int(high)})` : int(outcome.peakGrowthMB);
}

function find(report: RunReport, id: string): CaseOutcome | undefined {
	const outcome = report.cases.find((c) => c.id === id);
	return outcome?.status === 'ok' ? outcome : undefined;
}

const rowsPerSecond = (c: CaseOutcome | undefined) => (c?.rows && c.seconds ? c.rows / c.seconds : undefined);

// ---------------------------------------------------------------------------------------------
// Markdown

function caseTable(report: RunReport, dataset: string): string[] {
	const cases = report.cases.filter((c) => c.dataset === dataset);
	const lines = [
		'| case | runs in | time s (range) | rows/s | MB/s | CPU s | peak RSS MB | peak growth MB (range) |',
		'|---|---|---:|---:|---:|---:|---:|---:|',
	];
	for (const c of cases) {
		if (c.status !== 'ok') {
			lines.push(`| ${c.label} | ${WHERE[c.where]} | ${c.status === 'pending' ? `*${c.note}*` : `**failed**: ${noteText(c.note) ?? ''}`} | | | | | |`);
			continue;
		}
		const mbps = c.bytes && c.seconds ? c.bytes / MB / c.seconds : undefined;
		lines.push(
			`| ${c.label}${c.note ? ` (*${noteText(c.note)}*)` : ''} | ${WHERE[c.where]} | ${secondsText(c)} | ${c.rows ? kilo(rowsPerSecond(c)) : '—'} | ${fixed(mbps, 0)} | ${fixed(c.cpuSeconds, 1)} | ${int(c.peakRssMB)} | ${growthText(c)} |`,
		);
	}
	return lines;
}

interface TargetRow {
	target: string;
	measured: string;
	met: boolean | undefined;
}

function targets(report: RunReport): TargetRow[] {
	const rowsSet = report.mode === 'quick' ? 'csv-100k' : 'csv-1m';
	const zipSet = report.mode === 'quick' ? 'zip-100k' : 'zip-1m';
	const jsonlSet = report.mode === 'quick' ? 'jsonl-100k' : 'jsonl-1m';
	const binaryBig = report.mode === 'quick' ? 'csv-100k' : 'csv-5m';
	const rows: TargetRow[] = [];
	const ratio = (a?: number, b?: number) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);
	for (const set of [rowsSet, zipSet, jsonlSet]) {
		const ours = find(report, `${set}/ours-rows-n8n`);
		const diy = find(report, `${set}/diy-n8n`);
		const diyFailed = report.cases.find((c) => c.id === `${set}/diy-n8n` && c.status === 'failed');
		if (ours && diyFailed) {
			rows.push({
				target: `${set}: row mode ≥ 3× faster than DIY, peak growth ≤ DIY's (real n8n)`,
				measured: `the DIY workflow fails on this file (${noteText(diyFailed.note) ?? 'see below'}); ours: ${fixed(ours.seconds)} s, ${int(ours.peakGrowthMB)} MB`,
				met: true,
			});
		} else {
			const speedup = ratio(diy?.seconds, ours?.seconds);
			rows.push({
				target: `${set}: row mode ≥ 3× faster than DIY (real n8n, DIY time / ours)`,
				measured: speedup === undefined ? 'not measured' : `${fixed(speedup)}× (${fixed(diy?.seconds)} s / ${fixed(ours?.seconds)} s)`,
				met: speedup === undefined ? undefined : speedup >= 3,
			});
			rows.push({
				target: `${set}: row mode peak growth ≤ DIY's (real n8n)`,
				measured: ours?.peakGrowthMB === undefined || diy?.peakGrowthMB === undefined ? 'not measured' : `${int(ours.peakGrowthMB)} MB vs ${int(diy.peakGrowthMB)} MB`,
				met: ours?.peakGrowthMB === undefined || diy?.peakGrowthMB === undefined ? undefined : ours.peakGrowthMB <= diy.peakGrowthMB,
			});
		}
		const floor = find(report, `${set}/floor`);
		const floorKeep = find(report, `${set}/floor-keep`);
		const harness = find(report, `${set}/ours-rows-harness`);
		const share = ratio(rowsPerSecond(harness), rowsPerSecond(floor));
		const keepShare = ratio(rowsPerSecond(harness), rowsPerSecond(floorKeep));
		rows.push({
			target: `${set}: row mode ≥ 0.8× the floor's rows/s outside n8n (n8n-core harness / floor)`,
			measured:
				share === undefined
					? 'not measured'
					: `${fixed(share)}× (${kilo(rowsPerSecond(harness))} vs ${kilo(rowsPerSecond(floor))} rows/s; engine alone ${fixed(ratio(rowsPerSecond(find(report, `${set}/engine`)), rowsPerSecond(floor)))}×; against the floor that keeps its rows, ${kilo(rowsPerSecond(floorKeep))} rows/s: ${fixed(keepShare)}×)`,
			met: share === undefined ? undefined : share >= 0.8,
		});
		// Rows handed on and not kept (batches to a sub-workflow): the engine's own streaming rate.
		const stream = find(report, `${set}/engine-stream`);
		const streamShare = ratio(rowsPerSecond(stream), rowsPerSecond(floor));
		rows.push({
			target: `${set}: rows not kept ≥ 0.85× the floor's rows/s, peak growth < 100 MB (engine-stream / floor)`,
			measured: streamShare === undefined || stream?.peakGrowthMB === undefined ? 'not measured' : `${fixed(streamShare)}× (${kilo(rowsPerSecond(stream))} vs ${kilo(rowsPerSecond(floor))} rows/s), ${int(stream.peakGrowthMB)} MB`,
			met: streamShare === undefined || stream?.peakGrowthMB === undefined ? undefined : streamShare >= 0.85 && stream.peakGrowthMB < 100,
		});
	}
	for (const where of ['n8n', 'harness'] as const) {
		const big = find(report, `${binaryBig}/ours-file-${where}`);
		const download = find(report, `${binaryBig}/download-file`);
		const bigSet = report.dataSets.find((s) => s.id === binaryBig);
		const size = bigSet ? `${fixed(bigSet.bytes / MB, 0)} MB` : binaryBig;
		rows.push({
			target: `binary (${WHERE[where]}): peak growth < 100 MB for the ${size} export`,
			measured: big ? `${int(big.peakGrowthMB)} MB` : 'not measured',
			met: big?.peakGrowthMB === undefined ? undefined : big.peakGrowthMB < 100,
		});
		const slowdown = ratio(big?.seconds, download?.seconds);
		rows.push({
			target: `binary (${WHERE[where]}): time ≤ 1.2× the plain download (undici → file) of the ${size} file`,
			measured: slowdown === undefined ? 'not measured' : `${fixed(slowdown)}× (${fixed(big?.seconds)} s vs ${fixed(download?.seconds)} s)`,
			met: slowdown === undefined ? undefined : slowdown <= 1.2,
		});
	}
	for (const row of batchTargets(report)) rows.push(row);
	const fileCases = report.cases.filter((c) => c.role === 'ours-file' && c.where === 'n8n' && c.status === 'ok');
	if (fileCases.length > 1) {
		const growths = fileCases.map((c) => `${fixed((c.bytes ?? 0) / MB, 0)} MB → ${int(c.peakGrowthMB)} MB`).join(', ');
		const spread = Math.max(...fileCases.map((c) => c.peakGrowthMB ?? 0)) - Math.min(...fileCases.map((c) => c.peakGrowthMB ?? 0));
		rows.push({ target: 'binary (real n8n): peak growth flat as the file grows (max − min < 100 MB)', measured: growths, met: spread < 100 });
	}
	return rows;
}

/** Output "Rows in Batches to a Sub-Workflow" (real n8n): bounded memory, flat as the export grows, every row once. */
function batchTargets(report: RunReport): TargetRow[] {
	const rows: TargetRow[] = [];
	const batchCases = report.cases.filter((c) => c.role === 'ours-batches');
	if (!batchCases.length) return rows;
	for (const c of batchCases) {
		const where = heapLimitOf(c) ? `real n8n, heap of a ${heapLimitOf(c)?.name}` : 'real n8n';
		const size = Number(/ours-batches-(\d+)-/.exec(c.id)?.[1]).toLocaleString('en-US');
		rows.push({
			target: `${c.dataset}: batches of ${size} — peak growth < 300 MB, every row counted once (${where})`,
			measured: c.status === 'ok' ? `${int(c.peakGrowthMB)} MB, ${int(c.rows)} rows, each once` : `failed: ${noteText(c.note) ?? ''}`,
			met: c.status === 'ok' ? (c.peakGrowthMB ?? Infinity) < 300 : false,
		});
		const heap = heapAfterFullGc(c);
		if (c.status === 'ok' && heap?.maxMB !== undefined && heap.beforeMB !== undefined) {
			rows.push({
				target: `${c.dataset}: batches of ${size} — nothing piles up: n8n's heap after full collections stays < 50 MB above its size before the run, one batch in hand (${where})`,
				measured: `${int(heap.beforeMB)} MB before, ${int(heap.minMB)}–${int(heap.maxMB)} MB during (${heap.collections} full collections)`,
				met: heap.maxMB - heap.beforeMB < 50,
			});
		}
	}
	for (const size of ['1000', '10000']) {
		const small = find(report, `csv-1m/ours-batches-${size}-n8n`);
		const large = find(report, `csv-5m/ours-batches-${size}-n8n`);
		if (!small || !large) continue;
		const spread = Math.abs((large.peakGrowthMB ?? 0) - (small.peakGrowthMB ?? 0));
		rows.push({
			target: `batches of ${size === '1000' ? '1,000' : '10,000'}: peak growth flat from 1M to 5M rows (difference < 100 MB)`,
			measured: `${int(small.peakGrowthMB)} MB → ${int(large.peakGrowthMB)} MB`,
			met: spread < 100,
		});
	}
	return rows;
}

type HeapAfterFullGc = { beforeMB?: number; minMB?: number; maxMB?: number; collections: number };

/** The heap after n8n's full collections during a real-n8n case (bench/n8n.ts), if traced. */
function heapAfterFullGc(c: CaseOutcome): HeapAfterFullGc | undefined {
	return (c.runs[0] as { heapAfterFullGc?: HeapAfterFullGc } | undefined)?.heapAfterFullGc;
}

/** The heap limit a real-n8n case gave n8n, if any (bench/n8n.ts HeapLimit). */
function heapLimitOf(c: CaseOutcome): { name: string; oldSpaceMB: number } | undefined {
	return (c.runs[0] as { heapLimit?: { name: string; oldSpaceMB: number } } | undefined)?.heapLimit;
}

/** Batches against row mode and DIY, per million rows, with what n8n stored; the trigger's polls. */
function largeExportLines(report: RunReport): string[] {
	const batchCases = report.cases.filter((c) => c.role === 'ours-batches');
	const trigger = report.cases.find((c) => c.id.endsWith('/trigger-polls-harness'));
	if (!batchCases.length && !trigger) return [];
	const lines = ['', '#### Large exports: rows in batches to a sub-workflow, and a trigger over several polls', ''];
	if (batchCases.length) {
		lines.push(
			'The sub-workflow posts the ids of its batch to the bench server (one HTTP Request, Execute Once), which checks that every row came once. *s per 1M rows*: the run\'s time scaled to a million rows; *heap after full GCs*: n8n\'s heap after the full collection forced before the run → the highest after a full collection during it (V8\'s --trace-gc: what stays live; peak growth is RSS, which also counts the garbage V8 lets pile up before it collects); *stored*: how much n8n\'s SQLite database grew (it stores every sub-workflow execution with its input, even with saving successful executions off). *Heap of a 1 GiB container*: n8n started with --max-old-space-size=512 --max-semi-space-size=16, the heap limit (560 MB) Node 24 sets for itself in a 1 GiB memory cgroup (measured on this machine).',
			'',
			'| data set | case | time s | s per 1M rows | batches | peak growth MB | heap after full GCs MB | stored MB | stored KB per 1,000 rows |',
			'|---|---|---:|---:|---:|---:|---:|---:|---:|',
		);
		const related = report.cases.filter((c) => c.where === 'n8n' && (c.role === 'ours-batches' || ((c.role === 'ours-rows' || c.role === 'diy') && batchCases.some((b) => b.dataset === c.dataset))));
		for (const c of related) {
			const run = (c.runs[0] ?? {}) as { batches?: number; databaseGrowthMB?: number };
			const set = report.dataSets.find((one) => one.id === c.dataset);
			if (c.status !== 'ok') {
				lines.push(`| ${c.dataset} | ${c.label} | **failed**: ${noteText(c.note) ?? ''} | | | | | | |`);
				continue;
			}
			const perMillion = c.seconds && set ? (c.seconds * 1e6) / set.rows : undefined;
			const stored = run.databaseGrowthMB;
			const perThousand = stored !== undefined && set ? (stored * 1024 * 1000) / set.rows : undefined;
			const heap = heapAfterFullGc(c);
			const heapText = heap?.beforeMB !== undefined && heap.maxMB !== undefined ? `${int(heap.beforeMB)} → ${int(heap.maxMB)}` : '—';
			lines.push(`| ${c.dataset} | ${c.label} | ${fixed(c.seconds)} | ${fixed(perMillion, 1)} | ${run.batches ?? '—'} | ${int(c.peakGrowthMB)} | ${heapText} | ${fixed(stored, 0)} | ${c.role === 'ours-batches' ? fixed(perThousand, 0) : '—'} |`);
		}
	}
	if (trigger) {
		const run = (trigger.runs[0] ?? {}) as { polls?: number; perPoll?: Array<{ rows: number; seconds: number; peakGrowthMB: number; peakRssMB: number }> };
		const polls = run.perPoll ?? [];
		lines.push('', `**${trigger.label}**, ${trigger.dataset}:`);
		if (trigger.status !== 'ok' || !polls.length) {
			lines.push(`failed: ${noteText(trigger.note) ?? ''}`);
		} else {
			const times = polls.map((one) => one.seconds);
			lines.push(
				`${run.polls} polls, ${int(trigger.rows)} rows in all (each once), one export. A poll's time ${fixed(Math.min(...times))}–${fixed(Math.max(...times))} s (each poll reads the file again past the rows already emitted, so later polls take longer); peak RSS of the polling process ${int(Math.min(...polls.map((one) => one.peakRssMB)))}–${int(Math.max(...polls.map((one) => one.peakRssMB)))} MB, a poll's own peak growth at most ${int(Math.max(...polls.map((one) => one.peakGrowthMB)))} MB.`,
				'',
				'| poll | rows | time s | peak RSS MB |',
				'|---:|---:|---:|---:|',
				...polls.map((one, index) => `| ${index + 1} | ${int(one.rows)} | ${fixed(one.seconds)} | ${int(one.peakRssMB)} |`),
			);
		}
	}
	return lines;
}

/** ours/floor (rows per second) and DIY/ours (time, peak growth) for every data set with rows. */
function ratioLines(report: RunReport): string[] {
	const ratio = (a?: number, b?: number) => (a !== undefined && b !== undefined && b > 0 ? fixed(a / b) : '—');
	const lines = [
		'#### Ratios',
		'',
		'| data set | engine, rows not kept / floor | engine / floor | node (n8n-core) / floor | node (n8n) / floor | node (n8n-core) / floor that keeps rows | node (n8n) / floor that keeps rows | DIY / node time (n8n) | node / DIY peak growth (n8n) |',
		'|---|---:|---:|---:|---:|---:|---:|---:|---:|',
	];
	for (const dataset of [...new Set(report.cases.filter((c) => c.role === 'floor').map((c) => c.dataset))]) {
		const floor = rowsPerSecond(find(report, `${dataset}/floor`));
		const floorKeep = rowsPerSecond(find(report, `${dataset}/floor-keep`));
		const harness = find(report, `${dataset}/ours-rows-harness`);
		const n8n = find(report, `${dataset}/ours-rows-n8n`);
		const diy = find(report, `${dataset}/diy-n8n`);
		lines.push(
			`| ${dataset} | ${ratio(rowsPerSecond(find(report, `${dataset}/engine-stream`)), floor)} | ${ratio(rowsPerSecond(find(report, `${dataset}/engine`)), floor)} | ${ratio(rowsPerSecond(harness), floor)} | ${ratio(rowsPerSecond(n8n), floor)} | ${ratio(rowsPerSecond(harness), floorKeep)} | ${ratio(rowsPerSecond(n8n), floorKeep)} | ${ratio(diy?.seconds, n8n?.seconds)} | ${ratio(n8n?.peakGrowthMB, diy?.peakGrowthMB)} |`,
		);
	}
	lines.push(
		'',
		'Rows per second relative to two floors, both with no n8n: *floor* counts rows (papaparse in array mode, or for JSON Lines a line splitter + JSON.parse), the most a streaming mode can reach; *floor that keeps rows* also keeps each row as a plain object in one array (keyed by the header row; JSON Lines: the parsed objects), the least a row mode can cost. DIY / node > 1: the node is faster; node / DIY < 1: the node needs less memory.',
	);
	return lines;
}

function pollingLines(report: RunReport): string[] {
	const polling = report.polling;
	if (!polling) return ['Polling was not measured in this run.'];
	const { schedule, runs } = polling.virtual;
	const stream = report.cases.find((c) => c.id === 'csv-100k/engine-stream' && c.status === 'ok');
	const ten = runs.find((run) => run.jobSeconds === 600);
	const lines = [
		`Default schedule: first wait ${schedule.firstIntervalMs / 1000} s, ×1.5 per check, at most ${schedule.maxIntervalMs / 1000} s between checks, timeout ${schedule.timeoutMs / 60_000} min. Counted with the engine's own waitForJob on a virtual clock (test/helpers/poll-cost.ts; test/engine/poll-schedule.test.ts asserts these bounds):`,
		'',
		'| job takes | status requests | one per second would be | job done → status check that sees it |',
		'|---:|---:|---:|---:|',
		...runs.map((run) => `| ${run.jobSeconds >= 60 ? `${run.jobSeconds / 60} min` : `${run.jobSeconds} s`} | ${run.statusRequests} | ${run.jobSeconds + 1} | ${fixed(run.lagSeconds, 1)} s |`),
		'',
	];
	const longest = runs[runs.length - 1];
	const capAt = longest ? longest.waits.findIndex((wait) => wait >= schedule.maxIntervalMs / 1000) : -1;
	if (capAt >= 0) {
		const reached = longest.waits.slice(0, capAt).reduce((sum, wait) => sum + wait, 0);
		lines.push(
			`The waits grow ×1.5 (logarithmic in the job's duration) until they reach ${schedule.maxIntervalMs / 1000} s, ${fixed(reached, 0)} s into the job (${capAt + 1} requests); from then on a job costs ${fixed(60_000 / schedule.maxIntervalMs, 0)} status requests per minute, and a finished job waits at most ${schedule.maxIntervalMs / 1000} s for the check that sees it.`,
			'',
		);
	}
	if (polling.scaled) {
		const s = polling.scaled;
		lines.push(
			`Cross-check in real time: the built node through n8n-core against the stand-in, a 10-minute job with the schedule scaled 1:${s.scale} (10 s): **${s.statusRequests} status requests** (virtual: ${ten?.statusRequests ?? '—'}); the stand-in saw the download start ${fixed(s.doneToDownloadMs, 0)} ms after it answered \`done\`.`,
			'',
		);
	}
	if (ten) {
		const firstRow = stream?.firstRowMs;
		lines.push(
			`**Job finished → first row**: ${fixed(ten.lagSeconds, 1)} s waiting for the next status check (the waits are 30 s by then, so up to 30 s in general) + ${fixed(firstRow, 0)} ms from the download's start to the first parsed row (engine, csv-100k). n8n hands a node's items on when the node finishes, so the next node sees the first row after the whole file is parsed (row-mode times above).`,
		);
	}
	return lines;
}

/** The plot in RESULTS.md: an image, or a line saying where the run left it. */
type Plot = { image: string } | { note: string };

function markdown(report: RunReport, plot: Plot): string {
	const lines: string[] = [];
	const date = report.startedAt.slice(0, 10);
	const minutes = (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 60_000;
	lines.push(
		`### ${date} — ${report.mode === 'quick' ? '`npm run bench -- --quick`' : '`npm run bench`'}`,
		'',
		`Machine: ${report.machine.cpu}, ${report.machine.cores} cores, ${report.machine.memoryGiB} GiB; load average ${report.machine.loadBefore.map((v) => v.toFixed(2)).join(' / ')} before, ${report.machine.loadAfter.map((v) => v.toFixed(2)).join(' / ')} after (1 / 5 / 15 min). Node ${report.versions.node}, n8n ${report.versions.n8n} (real n8n: \`n8n start\`, a fresh process per case), n8n-core ${report.versions.n8nCore} (harness). ${report.runsPerCase} run(s) per case (median, range in brackets); whole run ${fixed(minutes, 1)} min.`,
	);
	lines.push('', `Files the cases write (plain download, n8n's binary data) went to ${report.writeDir ?? 'disk'}.`);
	for (const rerun of report.rerun ?? []) {
		lines.push('', `Measured again at ${rerun.at.slice(0, 16).replace('T', ' ')} UTC (load ${rerun.load.map((v) => v.toFixed(2)).join(' / ')}): ${rerun.cases.join(', ')}.`);
	}
	if (report.variant.engine || report.variant.dist || report.variant.package) {
		lines.push('', `**Variant**: engine ${report.variant.engine ?? 'nodes/shared'}, dist ${report.variant.dist ?? 'dist'}, package ${report.variant.package ?? '.'}.`);
	}
	lines.push('', 'image' in plot ? `![rows per second and peak memory per case](${plot.image})` : plot.note, '', '#### Data sets', '', '| data set | rows | size | files | what | fingerprint (sizes, first and last MB) |', '|---|---:|---:|---:|---|---|');
	for (const set of report.dataSets) {
		lines.push(`| ${set.id} | ${set.rows.toLocaleString('en-US')} | ${fixed(set.bytes / MB, 1)} MB | ${set.files.length} | ${set.description} | \`${set.fingerprint}\` |`);
	}
	lines.push('', '#### Targets (same run, same files)', '');
	if (report.mode === 'quick') lines.push('*Quick run: the targets are meant for the 1,000,000-row and 1 GB files; on 100k rows n8n\'s fixed costs weigh more. Shown for orientation.*', '');
	lines.push('| target | measured | met |', '|---|---|:---:|');
	for (const row of targets(report)) lines.push(`| ${row.target} | ${row.measured} | ${row.met === undefined ? '—' : row.met ? 'yes' : '**no**'} |`);
	lines.push('', ...ratioLines(report));
	lines.push(...largeExportLines(report));
	const groups = [...new Set(report.cases.map((c) => c.dataset))];
	for (const dataset of groups) {
		const set = report.dataSets.find((s) => s.id === dataset);
		lines.push('', `#### ${dataset}${set ? ` — ${set.rows.toLocaleString('en-US')} rows, ${fixed(set.bytes / MB, 1)} MB` : ''}`, '', ...caseTable(report, dataset));
	}
	lines.push('', '#### Polling cost', '', ...pollingLines(report));
	return lines.join('\n');
}

function replaceSection(text: string, marker: string, section: string): string {
	const start = `<!-- bench:${marker}:start -->`;
	const end = `<!-- bench:${marker}:end -->`;
	const block = `${start}\n${section}\n${end}`;
	const from = text.indexOf(start);
	const to = text.indexOf(end);
	if (from >= 0 && to > from) return text.slice(0, from) + block + text.slice(to + end.length);
	return `${text.trimEnd()}\n\n${block}\n`;
}

// ---------------------------------------------------------------------------------------------
// Plot

const ROLE_COLOURS: Record<CaseOutcome['role'], string> = {
	floor: '#8c8c8c',
	extra: '#b5c7e0',
	'ours-rows': '#2f6fbf',
	'ours-batches': '#1f4f8f',
	'ours-file': '#2f6fbf',
	diy: '#e07b39',
	download: '#8c8c8c',
};

function escapeXml(text: string): string {
	return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function shortLabel(c: CaseOutcome): string {
	const where = c.where === 'n8n' ? ' (n8n)' : c.where === 'harness' ? ' (n8n-core)' : '';
	switch (c.role) {
		case 'floor':
			return c.id.endsWith('floor-keep') ? 'floor, rows kept (no n8n)' : 'floor (no n8n)';
		case 'extra':
			return c.id.endsWith('engine-stream') ? 'engine, rows not kept (no n8n)' : 'engine only (no n8n)';
		case 'ours-rows':
			return `our node, rows${where}`;
		case 'ours-batches':
			return `our node, batches${c.id.includes('-10000-') ? ' of 10,000' : ' of 1,000'}${where}`;
		case 'ours-file':
			return `our node, file${where}`;
		case 'diy':
			return `DIY workflow${where}`;
		case 'download':
			return 'plain download → file';
	}
}

/** Two bar columns per data set: rows/s (or seconds for files) and peak growth MB. */
function svg(report: RunReport): string {
	const rowSets = report.mode === 'quick' ? ['csv-100k', 'zip-100k', 'jsonl-100k'] : ['csv-1m', 'zip-1m', 'jsonl-1m'];
	const fileSets = report.mode === 'quick' ? ['csv-100k'] : ['csv-500k', 'csv-1m', 'csv-5m'];
	const width = 1100;
	const labelWidth = 230;
	const panel = (width - labelWidth - 60) / 2;
	const barHeight = 16;
	const gap = 4;
	const parts: string[] = [];
	let y = 60;
	const text = (x: number, yy: number, content: string, attrs = '') => parts.push(`<text x="${x}" y="${yy}" ${attrs}>${escapeXml(content)}</text>`);
	text(20, 30, `Bulk export into n8n — ${report.startedAt.slice(0, 10)}, ${report.machine.cores} cores, Node ${report.versions.node}, n8n ${report.versions.n8n}`, 'font-size="18" font-weight="bold"');
	const section = (title: string, items: Array<{ label: string; role: CaseOutcome['role']; left?: number; right?: number; leftText: string; rightText: string }>, leftTitle: string, rightTitle: string) => {
		if (!items.length) return;
		y += 14;
		text(20, y, title, 'font-size="15" font-weight="bold"');
		y += 18;
		text(labelWidth + 10, y, leftTitle, 'font-size="12" fill="#444"');
		text(labelWidth + 40 + panel, y, rightTitle, 'font-size="12" fill="#444"');
		y += 6;
		const maxLeft = Math.max(...items.map((i) => i.left ?? 0), 1);
		const maxRight = Math.max(...items.map((i) => i.right ?? 0), 1);
		for (const item of items) {
			text(labelWidth, y + barHeight - 4, item.label, 'font-size="12" text-anchor="end"');
			const colour = ROLE_COLOURS[item.role];
			const lw = ((item.left ?? 0) / maxLeft) * (panel - 90);
			const rw = ((item.right ?? 0) / maxRight) * (panel - 90);
			parts.push(`<rect x="${labelWidth + 10}" y="${y}" width="${lw.toFixed(1)}" height="${barHeight}" fill="${colour}"/>`);
			text(labelWidth + 14 + lw, y + barHeight - 4, item.leftText, 'font-size="11"');
			parts.push(`<rect x="${labelWidth + 40 + panel}" y="${y}" width="${rw.toFixed(1)}" height="${barHeight}" fill="${colour}" fill-opacity="0.75"/>`);
			text(labelWidth + 44 + panel + rw, y + barHeight - 4, item.rightText, 'font-size="11"');
			y += barHeight + gap;
		}
		y += 12;
	};
	for (const dataset of rowSets) {
		const set = report.dataSets.find((s) => s.id === dataset);
		if (!set) continue;
		const cases = report.cases.filter((c) => c.dataset === dataset && c.role !== 'download' && c.role !== 'ours-file');
		section(
			`${dataset}: ${set.rows.toLocaleString('en-US')} rows, ${fixed(set.bytes / MB, 0)} MB (${set.kind})`,
			cases.map((c) => ({
				label: shortLabel(c),
				role: c.role,
				left: rowsPerSecond(c),
				right: c.peakGrowthMB,
				leftText: c.status === 'ok' ? `${kilo(rowsPerSecond(c))} rows/s` : c.status === 'pending' ? 'pending' : 'failed',
				rightText: c.status === 'ok' ? `${int(c.peakGrowthMB)} MB` : '',
			})),
			'rows per second (longer is better)',
			'peak RSS growth, MB (shorter is better)',
		);
	}
	const fileItems = fileSets.flatMap((dataset) => {
		const set = report.dataSets.find((s) => s.id === dataset);
		return report.cases
			.filter((c) => c.dataset === dataset && (c.role === 'download' || c.role === 'ours-file') && c.status === 'ok')
			.map((c) => ({
				label: `${fixed((set?.bytes ?? 0) / MB, 0)} MB: ${shortLabel(c)}`,
				role: c.role,
				left: c.seconds,
				right: c.peakGrowthMB,
				leftText: `${fixed(c.seconds)} s`,
				rightText: `${int(c.peakGrowthMB)} MB`,
			}));
	});
	section('Output "File": the export as n8n binary data (rows not parsed)', fileItems, 'seconds (shorter is better)', 'peak RSS growth, MB (flat is the goal)');
	const legend = [
		['floor / plain download', ROLE_COLOURS.floor],
		['engine without n8n', ROLE_COLOURS.extra],
		['our node', ROLE_COLOURS['ours-rows']],
		['DIY: HTTP Request + Extract From File (JSON Lines: Code)', ROLE_COLOURS.diy],
	];
	let x = 20;
	for (const [name, colour] of legend) {
		parts.push(`<rect x="${x}" y="${y}" width="12" height="12" fill="${colour}"/>`);
		text(x + 16, y + 10, name, 'font-size="12"');
		x += 30 + name.length * 7;
	}
	y += 30;
	return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="DejaVu Sans, sans-serif"><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>\n`;
}

/** Where a run's report JSON goes: what RESULTS.md was written from, and what `--only` merges into. */
export function reportJsonPath(benchDir: string, mode: RunReport['mode']): string {
	return join(benchDir, 'out', mode === 'quick' ? 'report-quick.json' : 'report.json');
}

/** Updates RESULTS.md and writes the plot; returns the files written. */
export async function writeReport(report: RunReport, benchDir: string): Promise<string[]> {
	const base = report.mode === 'quick' ? 'results-quick' : 'results';
	const outDir = join(benchDir, 'out');
	mkdirSync(outDir, { recursive: true });
	const svgPath = join(outDir, `${base}.svg`);
	// Only the full run's PNG is committed (the README shows it); the quick run's stays in out/.
	const pngPath = report.mode === 'full' ? join(benchDir, 'results.png') : join(outDir, 'results-quick.png');
	writeFileSync(svgPath, svg(report));
	const written = [svgPath];
	let plot: Plot;
	try {
		execFileSync('rsvg-convert', ['-f', 'png', '-o', pngPath, svgPath]);
		written.push(pngPath);
		plot = report.mode === 'full' ? { image: relative(benchDir, pngPath) } : { note: `Plot: \`bench/${relative(benchDir, pngPath)}\` (written by the run, not committed).` };
	} catch {
		// No rsvg-convert (apt-get install librsvg2-bin): RESULTS.md names the SVG instead.
		plot = { note: `Plot: \`bench/${relative(benchDir, svgPath)}\` (not committed; rsvg-convert was not found, so no PNG was made${report.mode === 'full' ? ' and bench/results.png is from an earlier run' : ''}).` };
	}
	const resultsPath = join(benchDir, 'RESULTS.md');
	const current = existsSync(resultsPath) ? readFileSync(resultsPath, 'utf8') : '# Benchmark results\n';
	writeFileSync(resultsPath, replaceSection(current, report.mode, markdown(report, plot)));
	written.push(resultsPath);
	const jsonPath = reportJsonPath(benchDir, report.mode);
	writeFileSync(jsonPath, JSON.stringify(report, null, 1));
	written.push(jsonPath);
	return written;
}

if (require.main === module) {
	// Re-render from a results file: node --import tsx bench/report.ts bench/out/report.json
	// (or a raw one, bench/out/results.json)
	const report = JSON.parse(readFileSync(process.argv[2], 'utf8')) as RunReport;
	void writeReport(report, __dirname).then((files) => console.log(files.join('\n')));
}
