// The first thing to run after `npm install`: a 4me sandbox (the local emulator) and the built
// 4me node executed by n8n's own workflow engine against it, printing the rows it outputs.
import type { INodeExecutionData } from 'n8n-workflow';

import { startFourMeEmulator } from '../test/emulators/fourme';
import { executeNode } from '../test/helpers/n8n';
import { credentialsFor } from '../test/nodes/fourme';

const { FourMe } = require('../dist/nodes/FourMe/FourMe.node.js') as typeof import('../nodes/FourMe/FourMe.node');

function printRows(title: string, items: INodeExecutionData[], columns: string[], show = 8) {
	console.log(`\n${title}: ${items.length} items`);
	const clip = (value: unknown) => String(value ?? '').replace(/\s+/g, ' ').slice(0, 38);
	console.table(items.slice(0, show).map((item) => Object.fromEntries(columns.map((column) => [column, clip(item.json[column])]))));
	if (items.length > show) console.log(`… and ${items.length - show} more`);
}

async function main() {
	const emulator = await startFourMeEmulator();
	emulator.records.generate('requests', 25_000);
	console.log(`4me sandbox: ${emulator.apiUrl} (account "${emulator.account}"), files served from ${emulator.storageOrigin}`);
	const credentials = credentialsFor(emulator);
	const polling = { firstPollSeconds: 0.2, maxPollSeconds: 1 };

	try {
		const full = await executeNode({
			node: new FourMe(),
			parameters: { recordTypes: ['requests'], options: polling },
			credentials,
		});
		if (full.error) throw new Error(full.error.message);
		printRows('Export requests (full export)', full.items, ['id', 'subject', 'category', 'status', 'updated_at']);
		console.log(`  took ${(full.durationMs / 1000).toFixed(1)} s through n8n's engine`);

		const since = new Date(emulator.clock.now().getTime() - 3 * 24 * 3600 * 1000).toISOString();
		const partial = await executeNode({
			node: new FourMe(),
			parameters: { recordTypes: ['requests'], exportKind: 'partial', from: since, options: polling },
			credentials,
		});
		if (partial.error) throw new Error(partial.error.message);
		printRows(`Export requests changed since ${since} (partial export)`, partial.items, ['id', 'subject', 'updated_at'], 5);

		const several = await executeNode({
			node: new FourMe(),
			parameters: { recordTypes: ['people', 'sites', 'teams'], options: polling },
			credentials,
		});
		if (several.error) throw new Error(several.error.message);
		printRows('Export people, sites and teams (one zip, rows tagged with _recordType)', several.items, ['_recordType', 'id', 'name'], 12);
	} finally {
		await emulator.close();
	}
	console.log('\nNext: `npm test` runs every test. README.md explains the node\'s fields and how to install it in n8n.');
}

main().catch((error) => {
	console.error(error);
	process.exitCode = 1;
});
