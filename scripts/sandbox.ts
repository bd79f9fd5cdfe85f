// The demo's sandbox, shared by `npm run demo` and `npm run screenshots`: the 4me emulator with
// sample data, and a real n8n with this package, the sandbox credential and the examples.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { startFourMeEmulator, type FourMeEmulator } from '../test/emulators/fourme';
import { ensureN8nInstalled, N8nInstance, N8N_VERSION, packPackage } from '../test/e2e/n8n';

export { OWNER_LOGIN as DEMO_LOGIN } from '../test/e2e/n8n';

const EXAMPLES = resolve(__dirname, '../examples');

export async function sandbox(): Promise<FourMeEmulator> {
	const emulator = await startFourMeEmulator();
	emulator.records.generate('requests', 2_000);
	console.log(`4me sandbox: ${emulator.apiUrl} (account "${emulator.account}"), files served from ${emulator.storageOrigin}`);
	return emulator;
}

export async function preparedN8n(emulator: FourMeEmulator): Promise<N8nInstance> {
	await ensureN8nInstalled((line) => console.log(line));
	const n8n = new N8nInstance();
	console.log(`n8n ${N8N_VERSION}: installing this package from its npm pack tarball`);
	await n8n.installPackage(await packPackage(n8n.userFolder));
	await n8n.importJson('credentials', [
		{ id: 'fourMeSandbox', name: '4me sandbox', type: 'fourMeApi', data: { token: emulator.token, account: emulator.account, instance: 'custom', baseUrl: emulator.apiUrl } },
	]);
	for (const file of readdirSync(EXAMPLES).filter((name) => name.endsWith('.json'))) {
		await n8n.importJson('workflow', JSON.parse(readFileSync(join(EXAMPLES, file), 'utf8')));
	}
	return n8n;
}
