// Benchmark (not a test): a 4me export of N generated request rows through the built 4me node,
// executed by n8n's engine, against the emulator running in a separate process.
// Usage: npm run bench -- [rows=100000] [output=rows|file]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

import { FourMeApi } from '../credentials/FourMeApi.credentials';
import { executeNode, readBinary } from '../test/helpers/n8n';

const { FourMe } = require('../dist/nodes/FourMe/FourMe.node.js') as typeof import('../nodes/FourMe/FourMe.node');

const MB = 1024 * 1024;
const maxRssMb = () => process.resourceUsage().maxRSS / 1024;
const rssMb = () => process.memoryUsage().rss / MB;

async function startEmulator(rows: number) {
	const child = spawn(process.execPath, ['--import', 'tsx', `${__dirname}/emulator-process.ts`, String(rows)], {
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
	return { child, ...(JSON.parse(line) as { apiUrl: string; token: string; account: string }) };
}

async function main() {
	const rows = Number(process.argv[2] ?? 100_000);
	const output = process.argv[3] === 'file' ? 'file' : 'rows';
	const emulator = await startEmulator(rows);
	try {
		const credentials = {
			fourMeApi: { type: new FourMeApi(), data: { token: emulator.token, account: emulator.account, instance: 'custom', baseUrl: emulator.apiUrl } },
		};
		const parameters = { recordTypes: ['requests'], output, options: { firstPollSeconds: 0.1, maxPollSeconds: 0.5 } };
		// Warm-up: loads n8n's engine and the node, so the measured run is the export alone.
		emulator.child.stdout?.resume();
		// (A small type: a second full export of a type over 10,000 records would hit 4me's once-a-day rule.)
		await executeNode({ node: new FourMe(), parameters: { ...parameters, recordTypes: ['sites'] }, credentials });
		global.gc?.();
		const rssBefore = rssMb();
		const started = process.hrtime.bigint();
		const result = await executeNode({ node: new FourMe(), parameters, credentials });
		const seconds = Number(process.hrtime.bigint() - started) / 1e9;
		if (result.error) throw new Error(result.error.message);
		const bytes = output === 'file' ? (await readBinary(result.items[0])).length : undefined;
		const report = {
			rows,
			output,
			items: result.items.length,
			seconds: Number(seconds.toFixed(2)),
			rowsPerSecond: Math.round(rows / seconds),
			fileMB: bytes ? Number((bytes / MB).toFixed(1)) : undefined,
			rssBeforeMB: Math.round(rssBefore),
			peakRssMB: Math.round(maxRssMb()),
			peakGrowthMB: Math.round(maxRssMb() - rssBefore),
			node: process.version,
		};
		console.log(JSON.stringify(report));
	} finally {
		emulator.child.kill();
	}
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
