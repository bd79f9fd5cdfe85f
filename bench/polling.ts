// Polling cost of the default schedule (first wait 2 s, x1.5 per check, at most 30 s).
//
// 1. Exact, on a virtual clock: the shared engine's waitForJob (nodes/shared/job.ts, the code the
//    node bundles; BENCH_ENGINE: a variant's) with DEFAULT_POLL_SCHEDULE against jobs of 10 s ...
//    60 min, through test/helpers/poll-cost.ts, the helper test/engine/poll-schedule.test.ts
//    asserts the schedule with. Counts status requests and the lag between the job finishing and
//    the status check that sees it.
// 2. Real, time-scaled: the built 4me node through n8n's engine against the stand-in API, with a
//    10-minute job and the default schedule all divided by SCALE (so it takes 10 s); the stand-in
//    counts the status requests, and logs when it answered `done` and when the download started.
//
// Usage (a child process of bench/run.ts): node --import tsx bench/polling.ts '{"origin": "..."}'
import { join } from 'node:path';

import { pollingCost, type PollingCost } from '../test/helpers/poll-cost';
import { BENCH_ACCOUNT, BENCH_TOKEN, emitResult } from './lib';

const SCALE = 60;
const JOB_SECONDS = [10, 60, 300, 600, 1800, 3600];

async function virtualRuns(): Promise<{ schedule: unknown; runs: PollingCost[] }> {
	const engineDir = process.env.BENCH_ENGINE ?? join(__dirname, '..', 'nodes', 'shared');
	const { waitForJob, DEFAULT_POLL_SCHEDULE } = (await import(join(engineDir, 'job.ts'))) as typeof import('../nodes/shared/job');
	const runs: PollingCost[] = [];
	for (const jobSeconds of JOB_SECONDS) runs.push(await pollingCost(waitForJob, DEFAULT_POLL_SCHEDULE, jobSeconds));
	return { schedule: DEFAULT_POLL_SCHEDULE, runs };
}

async function scaledRun(origin: string, dataset: string) {
	const { executeNode } = await import('../test/helpers/n8n');
	const distDir = process.env.BENCH_DIST ?? join(__dirname, '..', 'dist');
	const { FourMe } = require(join(distDir, 'nodes', 'FourMe', 'FourMe.node.js')) as typeof import('../nodes/FourMe/FourMe.node');
	const { FourMeApi } = require(join(distDir, 'credentials', 'FourMeApi.credentials.js')) as typeof import('../credentials/FourMeApi.credentials');
	const { DEFAULT_POLL_SCHEDULE } = await import('../nodes/shared/job');
	const jobMs = (600 * 1000) / SCALE;
	await fetch(`${origin}/_bench/reset`, { method: 'POST' });
	const started = Date.now();
	const run = await executeNode({
		node: new FourMe(),
		parameters: {
			resource: 'export',
			operation: 'export',
			recordTypes: ['requests'],
			output: 'rows',
			options: {
				firstPollSeconds: DEFAULT_POLL_SCHEDULE.firstIntervalMs / 1000 / SCALE,
				maxPollSeconds: DEFAULT_POLL_SCHEDULE.maxIntervalMs / 1000 / SCALE,
			},
		},
		credentials: {
			fourMeApi: {
				type: new FourMeApi(),
				data: { token: BENCH_TOKEN, account: BENCH_ACCOUNT, instance: 'custom', baseUrl: `${origin}/4me/${dataset}@${jobMs}/v1` },
			},
		},
	});
	const finished = Date.now();
	if (run.error) throw new Error(run.error.message);
	const [job] = (await (await fetch(`${origin}/_bench/jobs`)).json()) as Array<{
		createdAt: number;
		polls: number[];
		doneAnsweredAt: number;
		downloads: Array<{ startedAt: number; endedAt: number }>;
	}>;
	const jobEnd = job.createdAt + jobMs;
	return {
		scale: SCALE,
		jobSecondsScaled: jobMs / 1000,
		statusRequests: job.polls.length,
		/** Scaled back to the real schedule. */
		lagSeconds: ((job.doneAnsweredAt - jobEnd) / 1000) * SCALE,
		doneToDownloadMs: job.downloads[0] ? job.downloads[0].startedAt - job.doneAnsweredAt : undefined,
		downloadToOutputMs: job.downloads[0] ? finished - job.downloads[0].startedAt : undefined,
		rows: run.items.length,
		totalSeconds: (finished - started) / 1000,
	};
}

async function main() {
	const { origin, dataset } = JSON.parse(process.argv[2] ?? '{}') as { origin?: string; dataset?: string };
	const virtual = await virtualRuns();
	const scaled = origin ? await scaledRun(origin, dataset ?? 'csv-100k') : undefined;
	emitResult({ virtual, scaled });
}

main().then(
	() => process.exit(0),
	(error: unknown) => {
		console.error(error);
		process.exit(1);
	},
);
