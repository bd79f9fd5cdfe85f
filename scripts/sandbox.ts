// The demo's sandbox, shared by `npm run demo` and `npm run screenshots`: the provider
// emulators with sample data, and a real n8n with this package, the sandbox credentials and the examples.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { startFourMeEmulator, type FourMeEmulator } from '../test/emulators/fourme';
import { startMewsEmulator, type MewsEmulator } from '../test/emulators/mews';
import { startRebillyEmulator, type RebillyEmulator } from '../test/emulators/rebilly';
import { startAnduinIdmEmulator, type AnduinIdmEmulator } from '../test/emulators/anduin-idm';
import { ensureN8nInstalled, N8nInstance, N8N_VERSION, packPackage } from '../test/e2e/n8n';

export { OWNER_LOGIN as DEMO_LOGIN } from '../test/e2e/n8n';

const EXAMPLES = resolve(__dirname, '../examples');

export interface Sandbox {
	fourMe: FourMeEmulator;
	mews: MewsEmulator;
	rebilly: RebillyEmulator;
	anduin: AnduinIdmEmulator;
	close(): Promise<void>;
}

export async function sandbox(): Promise<Sandbox> {
	const fourMe = await startFourMeEmulator();
	fourMe.records.generate('requests', 2_000);
	console.log(`4me sandbox: ${fourMe.apiUrl} (account "${fourMe.account}"), files served from ${fourMe.storageOrigin}`);
	const mews = await startMewsEmulator({ linesPerFile: 500 });
	mews.entities.generate('Reservation', 1_500, { since: new Date(Date.now() - 60 * 24 * 3600_000), until: new Date(Date.now() - 10 * 60_000) });
	console.log(`Mews sandbox: ${mews.platformAddress}, files served from ${mews.storageOrigin}`);
	const rebilly = await startRebillyEmulator({ rateLimit: false, signedLink: false });
	rebilly.records.generate('transactions', 3_000, { since: new Date(Date.now() - 70 * 24 * 3600_000), until: new Date(Date.now() - 60_000) });
	console.log(`Rebilly sandbox: ${rebilly.baseUrl} (organization "${rebilly.organizationId}"), files served from ${rebilly.storageOrigin}`);
	const anduin = await startAnduinIdmEmulator({ jobSizeLimit: 500, seed: { 'investment-entities': 1_200 } });
	console.log(`Anduin IDM sandbox: ${anduin.apiOrigin} (firm "${anduin.firmId}"), 500 objects per export job, files served from ${anduin.storageOrigin}`);
	const close = async () => void (await Promise.all([fourMe.close(), mews.close(), rebilly.close(), anduin.close()]));
	return { fourMe, mews, rebilly, anduin, close };
}

export async function preparedN8n({ fourMe, mews, rebilly, anduin }: Sandbox): Promise<N8nInstance> {
	await ensureN8nInstalled((line) => console.log(line));
	const n8n = new N8nInstance();
	console.log(`n8n ${N8N_VERSION}: installing this package from its npm pack tarball`);
	await n8n.installPackage(await packPackage(n8n.userFolder));
	await n8n.importJson('credentials', [
		{ id: 'fourMeSandbox', name: '4me sandbox', type: 'fourMeApi', data: { token: fourMe.token, account: fourMe.account, instance: 'custom', baseUrl: fourMe.apiUrl } },
		{
			id: 'mewsSandbox',
			name: 'Mews sandbox',
			type: 'mewsConnectorApi',
			data: { platform: 'custom', platformAddress: mews.platformAddress, clientToken: mews.clientToken, accessToken: mews.accessToken },
		},
		{
			id: 'rebillySandbox',
			name: 'Rebilly sandbox',
			type: 'rebillyApi',
			data: { authType: 'apiKey', apiKey: rebilly.apiKey, organizationId: rebilly.organizationId, environment: 'custom', baseUrl: rebilly.apiOrigin },
		},
		{ id: 'anduinSandbox', name: 'Anduin sandbox', type: 'anduinIdmApi', data: { apiKey: anduin.apiKey, firmId: anduin.firmId, baseUrl: anduin.apiOrigin } },
	]);
	for (const file of readdirSync(EXAMPLES).filter((name) => name.endsWith('.json'))) {
		await n8n.importJson('workflow', JSON.parse(readFileSync(join(EXAMPLES, file), 'utf8')));
	}
	return n8n;
}
