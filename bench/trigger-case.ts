// The trigger case in a fresh process: `node --expose-gc --import tsx bench/trigger-case.ts '<json>'`.
// The built 4me Trigger, "A Full Export First" of a large data set with Max Rows per Poll, polled
// by n8n-core's TriggersAndPollers (test/helpers/n8n.ts pollTrigger) poll after poll, its static
// data kept between polls as in an active workflow, until the job's last rows are out and the
// position has moved. Each poll is measured on its own (a full GC before, the peak reset), the
// rows it emitted are counted and dropped. Prints `BENCH_RESULT {...}`.
import type { IDataObject } from 'n8n-workflow';

import { BENCH_ACCOUNT, BENCH_TOKEN, emitResult, measure } from './lib';

export interface TriggerCaseSpec {
	apiUrl: string;
	warmupApiUrl: string;
	maxRowsPerPoll: number;
	/** Stop after this many polls (a runaway guard). */
	maxPolls: number;
}

const distDir = process.env.BENCH_DIST ?? `${__dirname}/../dist`;

async function main(spec: TriggerCaseSpec) {
	const { pollTrigger } = await import('../test/helpers/n8n');
	const { FourMeTrigger } = require(`${distDir}/nodes/FourMe/FourMeTrigger.node.js`) as typeof import('../nodes/FourMe/FourMeTrigger.node');
	const { FourMeApi } = require(`${distDir}/credentials/FourMeApi.credentials.js`) as typeof import('../credentials/FourMeApi.credentials');
	const poll = (apiUrl: string, staticData: IDataObject) =>
		pollTrigger({
			node: new FourMeTrigger(),
			parameters: { recordTypes: ['requests'], startWith: 'full', options: { maxRowsPerPoll: spec.maxRowsPerPoll, firstPollSeconds: 0.01 } },
			credentials: { fourMeApi: { type: new FourMeApi(), data: { token: BENCH_TOKEN, account: BENCH_ACCOUNT, instance: 'custom', baseUrl: apiUrl } } },
			mode: 'trigger',
			staticData,
		});
	await poll(spec.warmupApiUrl, {});

	const state: IDataObject = {};
	const polls: Array<{ rows: number; seconds: number; peakGrowthMB: number; peakRssMB: number }> = [];
	let rows = 0;
	for (let n = 0; n < spec.maxPolls; n++) {
		const { value, measured } = await measure(async () => (await poll(spec.apiUrl, state)).items?.length ?? 0);
		rows += value;
		polls.push({ rows: value, seconds: measured.seconds, peakGrowthMB: measured.peakGrowthMB, peakRssMB: measured.peakRssMB });
		const node = (state['node:4me Trigger'] ?? {}) as IDataObject;
		if (node.watermark !== undefined && node.pendingJob === undefined) break;
	}
	const growth = polls.map((one) => one.peakGrowthMB);
	emitResult({
		rows,
		polls: polls.length,
		perPoll: polls,
		seconds: polls.reduce((total, one) => total + one.seconds, 0),
		peakGrowthMB: Math.max(...growth),
		rssBeforeMB: Math.min(...polls.map((one) => one.peakRssMB - one.peakGrowthMB)),
		peakRssMB: Math.max(...polls.map((one) => one.peakRssMB)),
	});
}

main(JSON.parse(process.argv[2] ?? '{}') as TriggerCaseSpec).catch((error) => {
	console.error(error);
	process.exit(1);
});
