// The first thing to run after `npm install`.
//   npm run demo                  4me, Mews, Rebilly and Anduin IDM sandboxes (local emulators) and a real n8n editor on http://localhost:5678
//                                 with this package, the example workflows and a sandbox credential loaded
//   npm run demo -- --headless    the same, but runs the example workflows once and prints their rows
//   npm run demo -- --in-process  no n8n install: the 4me node run by n8n's engine in this process
// The first real-n8n run installs n8n from the npm registry into .n8n-e2e/ (about 6 minutes, once).
import type { INodeExecutionData } from 'n8n-workflow';

import { itemsOf } from '../test/e2e/n8n';
import { executeNode } from '../test/helpers/n8n';
import { credentialsFor } from '../test/nodes/fourme';
import { DEMO_LOGIN, preparedN8n, sandbox, type Sandbox } from './sandbox';

type Row = Record<string, unknown>;

function printRows(title: string, rows: Row[], columns: string[], show = 8) {
	console.log(`\n${title}: ${rows.length} items`);
	const clip = (value: unknown) => String(value ?? '').replace(/\s+/g, ' ').slice(0, 38);
	console.table(rows.slice(0, show).map((row) => Object.fromEntries(columns.map((column) => [column, clip(row[column])]))));
	if (rows.length > show) console.log(`… and ${rows.length - show} more`);
}


async function headless(emulators: Sandbox) {
	const n8n = await preparedN8n(emulators);
	try {
		const requests = await n8n.execute('ex4meRequestsXlsx');
		printRows('Example "4me: export open high-impact requests to Excel" — node "Export requests"', itemsOf(requests, 'Export requests').map((item) => item.json), ['id', 'subject', 'impact', 'status', 'updated_at']);
		printRows('… after "Open and high impact"', itemsOf(requests, 'Open and high impact').map((item) => item.json), ['id', 'subject', 'impact', 'status'], 5);
		const [file] = itemsOf(requests, 'Convert to Excel');
		console.log(`… "Convert to Excel" made ${file?.binary?.data.fileName}`);
		const several = await n8n.execute('ex4mePeopleTeams');
		printRows('Example "4me: export people, sites and teams" — counted per _recordType', itemsOf(several, 'Count per record type').map((item) => item.json), ['_recordType', 'count_id']);
		const reservations = await n8n.execute('exMewsReservations');
		printRows('Example "Mews: reservations updated in the last 30 days" — node "Export reservations"', itemsOf(reservations, 'Export reservations').map((item) => item.json), ['Id', 'Number', 'State', 'UpdatedUtc']);
		printRows('… counted per State', itemsOf(reservations, 'Count per state').map((item) => item.json), ['State', 'count_Id']);
		const transactions = await n8n.execute('exRebillyTransactions');
		printRows('Example "Rebilly: transactions of last month" — node "Export transactions"', itemsOf(transactions, 'Export transactions').map((item) => item.json), ['id', 'type', 'result', 'amount', 'currency', 'processedTime']);
		printRows('… approved ones summed per currency', itemsOf(transactions, 'Sum per currency').map((item) => item.json), ['currency', 'sum_amount', 'count_id']);
		const entities = await n8n.execute('exAnduinHighRisk');
		const exported = itemsOf(entities, 'Export investment entities');
		printRows('Example "Anduin IDM: high-risk investment entities" — node "Export investment entities" (a chain of export jobs)', exported.map((item) => item.json), ['id', 'name', 'jurisdiction', 'riskLevel']);
		printRows('… high-risk ones counted per jurisdiction', itemsOf(entities, 'Count per jurisdiction').map((item) => item.json), ['jurisdiction', 'count_id']);
	} finally {
		n8n.cleanup();
	}
}

async function editor(emulators: Sandbox) {
	const n8n = await preparedN8n(emulators);
	const port = Number(process.env.DEMO_PORT ?? 5678);
	const server = await n8n.start(port);
	await server.setUpOwner().catch((error: Error) => console.log(`(could not create the demo login: ${error.message}; n8n asks you to create one)`));
	console.log(`
n8n is running: http://localhost:${port}
  log in as ${DEMO_LOGIN.email} / ${DEMO_LOGIN.password}
  open "4me: export open high-impact requests to Excel" and click "Execute workflow":
  the 4me node starts an export in the sandbox, waits for it and outputs one item per request.
  The credential "4me sandbox" points at the local 4me emulator; make your own with your 4me token.
  "Mews: reservations updated in the last 30 days" does the same with the Mews emulator ("Mews sandbox"),
  "Rebilly: transactions of last month" with the Rebilly emulator ("Rebilly sandbox"), and
  "Anduin IDM: high-risk investment entities" with the Anduin emulator ("Anduin sandbox").
Press Ctrl+C to stop.`);
	const stop = async () => {
		await server.stop();
		n8n.cleanup();
		await emulators.close();
		process.exit(0);
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
	await new Promise(() => {});
}

async function inProcess({ fourMe: emulator }: Sandbox) {
	const { FourMe } = require('../dist/nodes/FourMe/FourMe.node.js') as typeof import('../nodes/FourMe/FourMe.node');
	const credentials = credentialsFor(emulator);
	const polling = { firstPollSeconds: 0.2, maxPollSeconds: 1 };
	const run = async (parameters: Record<string, unknown>) => {
		const result = await executeNode({ node: new FourMe(), parameters: { ...parameters, options: polling }, credentials });
		if (result.error) throw new Error(result.error.message);
		return result.items.map((item: INodeExecutionData) => item.json as Row);
	};
	printRows('Export requests (full export)', await run({ recordTypes: ['requests'] }), ['id', 'subject', 'category', 'status', 'updated_at']);
	const since = new Date(emulator.clock.now().getTime() - 3 * 24 * 3600 * 1000).toISOString();
	printRows(`Export requests changed since ${since} (partial export)`, await run({ recordTypes: ['requests'], exportKind: 'partial', from: since }), ['id', 'subject', 'updated_at'], 5);
	printRows('Export people, sites and teams (one zip, rows tagged with _recordType)', await run({ recordTypes: ['people', 'sites', 'teams'] }), ['_recordType', 'id', 'name'], 12);
}

async function main() {
	const mode = process.argv.includes('--in-process') ? inProcess : process.argv.includes('--headless') ? headless : editor;
	const emulators = await sandbox();
	try {
		await mode(emulators);
	} finally {
		if (mode !== editor) await emulators.close();
	}
	console.log('\nNext: `npm test` runs every test; README.md explains the nodes and how to install them in n8n.');
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
