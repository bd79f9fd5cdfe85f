// Screenshots for the README: the sandbox n8n (see scripts/sandbox.ts) in Debian's Chromium,
// driven by playwright-core (no downloaded browser). Writes docs/images/*.png.
//   apt-get install chromium && npm run screenshots
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

import { chromium, type Page } from 'playwright-core';

import { preparedN8n, sandbox } from './sandbox';

const OUT = resolve(__dirname, '../docs/images');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

async function shoot(page: Page, name: string) {
	const path = resolve(OUT, name);
	await page.screenshot({ path });
	console.log(`wrote ${path}`);
}

async function main() {
	mkdirSync(OUT, { recursive: true });
	const emulators = await sandbox();
	const n8n = await preparedN8n(emulators);
	const server = await n8n.start();
	const browser = await chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
	try {
		await server.setUpOwner();
		const token = await server.logIn();
		const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
		await context.addCookies([{ name: 'n8n-auth', value: token, domain: '127.0.0.1', path: '/' }]);
		const page = await context.newPage();
		await page.goto(`http://127.0.0.1:${server.port}/workflow/ex4meRequestsXlsx`, { waitUntil: 'networkidle' });
		await page.getByText('Export requests').first().waitFor({ timeout: 60_000 });
		await page.keyboard.press('Escape');
		await page.waitForTimeout(1500);
		await page.getByRole('button', { name: /execute workflow/i }).filter({ visible: true }).last().click();
		await page.getByText(/2000 items|2,000 items/).first().waitFor({ timeout: 60_000 });
		// Let the Filter and Convert to File nodes finish too.
		await page.getByText(/429 items/).first().waitFor({ timeout: 60_000 }).catch(() => undefined);
		await page.waitForTimeout(3000);
		await shoot(page, 'workflow-canvas.png');
		// Open the node's details, as a user double-clicking its icon does.
		const node = page.locator('[data-node-name="Export requests"]').first();
		if (await node.count()) await node.dblclick({ force: true });
		else await page.mouse.dblclick(628, 463);
		await page.getByText(/2000 items|2,000 items/).last().waitFor({ timeout: 30_000 }).catch(() => undefined);
		await page.waitForTimeout(2000);
		await shoot(page, 'node-output.png');
	} finally {
		await browser.close();
		await server.stop();
		n8n.cleanup();
		await emulators.close();
	}
}

main().catch((error) => {
	console.error(error);
	process.exit(1);
});
