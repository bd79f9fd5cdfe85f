// The package as a user installs it: `npm pack`, unpacked where only what n8n itself provides
// (n8n-workflow, luxon) can be resolved, and loaded with n8n's own community-package loader.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { PackageDirectoryLoader } from 'n8n-core';

const root = resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

describe('published package', () => {
	let work: string;
	let installed: string;
	let files: string[];

	before(() => {
		work = mkdtempSync(join(tmpdir(), 'bulk-export-pack-'));
		const [packed] = JSON.parse(
			execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
		);
		files = packed.files.map((file: { path: string }) => file.path);
		installed = join(work, 'node_modules', pkg.name);
		mkdirSync(installed, { recursive: true });
		execFileSync('tar', ['-xzf', join(work, packed.filename), '-C', installed, '--strip-components=1']);
		// What n8n provides to community nodes, and nothing else.
		for (const provided of ['n8n-workflow', 'luxon']) {
			symlinkSync(join(root, 'node_modules', provided), join(work, 'node_modules', provided), 'dir');
		}
	});

	after(() => rmSync(work, { recursive: true, force: true }));

	it('has no runtime dependencies and ships only dist/', () => {
		assert.deepEqual(pkg.dependencies ?? {}, {});
		assert.deepEqual(pkg.peerDependencies, { 'n8n-workflow': '*' });
		assert.ok(pkg.keywords.includes('n8n-community-node-package'));
		for (const file of files) assert.match(file, /^(dist\/|package\.json$|README\.md$|LICENSE)/, file);
		for (const entry of [...pkg.n8n.nodes, ...pkg.n8n.credentials]) assert.ok(files.includes(entry), `${entry} is packed`);
		// Each node's codex file (categories, documentation links), next to it (test/package/codex.test.ts).
		for (const entry of pkg.n8n.nodes) assert.ok(files.includes(`${entry}on`), `${entry}on is packed`);
	});

	it("loads every node and credential with n8n's package loader, bundled libraries included", async () => {
		const loader = new PackageDirectoryLoader(installed);
		await loader.loadAll();
		const nodeNames = Object.keys(loader.nodeTypes);
		const credentialNames = Object.keys(loader.credentialTypes);
		assert.equal(nodeNames.length, pkg.n8n.nodes.length);
		assert.equal(credentialNames.length, pkg.n8n.credentials.length);
		assert.ok(nodeNames.includes('fourMe'));
		assert.ok(credentialNames.includes('fourMeApi'));
		for (const { type } of Object.values(loader.credentialTypes)) {
			// An OAuth2 credential is tested by n8n's Connect flow (the token it obtains).
			if (type.extends?.includes('oAuth2Api')) continue;
			assert.ok(type.test, `${type.name} has a credential test`);
		}
		for (const { type } of Object.values(loader.nodeTypes)) {
			assert.ok(type.description.codex?.categories?.length, `${type.description.name} has its codex`);
		}
		// Every icon the loader resolved exists in the package.
		for (const { type } of [...Object.values(loader.nodeTypes), ...Object.values(loader.credentialTypes)]) {
			const description = 'description' in type ? type.description : type;
			const icon = (description as { iconUrl?: unknown }).iconUrl;
			const icons = typeof icon === 'string' ? [icon] : Object.values((icon ?? {}) as Record<string, string>);
			assert.ok(icons.length > 0, 'has an icon');
			for (const iconPath of icons) {
				const relative = iconPath.replace(`icons/${pkg.name}/`, '');
				assert.ok(existsSync(join(installed, relative)), `${relative} exists`);
			}
		}
	});

	it('cannot reach the libraries it bundles from outside the package', () => {
		assert.throws(() => require.resolve('undici', { paths: [dirname(join(installed, pkg.n8n.nodes[0]))] }));
	});
});
