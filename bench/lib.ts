// Helpers shared by the benchmark runner and the case processes.
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

export const MB = 1024 * 1024;

/** The 4me stand-in's personal access token and account (bench/server.ts). */
export const BENCH_TOKEN = 'bench-token';
export const BENCH_ACCOUNT = 'wdc';
export const RESULT_PREFIX = 'BENCH_RESULT ';

export interface ProcMemory {
	/** Resident set size now, MiB. */
	rssMB: number;
	/** High-water mark of the resident set size (VmHWM), MiB. */
	hwmMB: number;
}

/** VmRSS and VmHWM of a process (default: this one) from /proc/<pid>/status. */
export function procMemory(pid: number | 'self' = 'self'): ProcMemory {
	const status = readFileSync(`/proc/${pid}/status`, 'utf8');
	const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
	return { rssMB: kb('VmRSS') / 1024, hwmMB: kb('VmHWM') / 1024 };
}

/**
 * Resets the process's peak RSS (VmHWM, and getrusage's maxrss) to its current RSS, so the peak
 * read after a run belongs to that run and not to start-up (Linux: "5" > /proc/<pid>/clear_refs).
 */
export function resetPeak(pid: number | 'self' = 'self'): boolean {
	try {
		writeFileSync(`/proc/${pid}/clear_refs`, '5');
		return true;
	} catch {
		return false;
	}
}

export interface Measured {
	seconds: number;
	cpuSeconds: number;
	rssBeforeMB: number;
	peakRssMB: number;
	peakGrowthMB: number;
	peakReset: boolean;
}

/**
 * Runs `work` once and measures it: wall time, CPU time of the process, and peak RSS growth
 * (high-water mark after the run minus the RSS just before, after a full GC).
 */
export async function measure<T>(work: () => Promise<T>): Promise<{ value: T; measured: Measured }> {
	const gc = (globalThis as { gc?: () => void }).gc;
	gc?.();
	await delay(50);
	gc?.();
	const before = procMemory();
	const peakReset = resetPeak();
	const cpu = process.cpuUsage();
	const started = performance.now();
	const value = await work();
	const seconds = (performance.now() - started) / 1000;
	const used = process.cpuUsage(cpu);
	const after = procMemory();
	// Without the reset, maxRSS may still hold a start-up peak; it is then only an upper bound.
	const peak = Math.max(after.hwmMB, process.resourceUsage().maxRSS / 1024);
	return {
		value,
		measured: {
			seconds,
			cpuSeconds: (used.user + used.system) / 1e6,
			rssBeforeMB: before.rssMB,
			peakRssMB: peak,
			peakGrowthMB: peak - before.rssMB,
			peakReset,
		},
	};
}

export function emitResult(result: unknown): void {
	process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

export function round(value: number | undefined, digits = 0): number | undefined {
	if (value === undefined || Number.isNaN(value)) return undefined;
	const factor = 10 ** digits;
	return Math.round(value * factor) / factor;
}

/** Busy share of all CPUs over `ms` (0..1), from /proc/stat. */
export async function cpuBusy(ms = 500): Promise<number> {
	const sample = () => {
		const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
		const idle = fields[3] + (fields[4] ?? 0);
		return { idle, total: fields.reduce((sum, value) => sum + value, 0) };
	};
	const first = sample();
	await delay(ms);
	const second = sample();
	const total = second.total - first.total;
	return total > 0 ? 1 - (second.idle - first.idle) / total : 0;
}

/**
 * Waits (up to `maxMs`) until other processes leave the CPUs mostly idle, so a case does not
 * share the machine with someone else's work; returns the busy share seen last.
 */
export async function waitForQuiet(threshold = 0.2, maxMs = 90_000, log?: (line: string) => void): Promise<number> {
	const deadline = Date.now() + maxMs;
	let busy = await cpuBusy();
	let told = false;
	while (busy > threshold && Date.now() < deadline) {
		if (!told) log?.(`the machine is busy (${Math.round(busy * 100)}% CPU), waiting up to ${maxMs / 1000} s for it to calm down`);
		told = true;
		await delay(2000);
		busy = await cpuBusy();
	}
	return busy;
}
