// Every node's codex file (<Node>.node.json: categories, aliases, documentation links) is built
// into dist/ next to the node, in n8n's format, and n8n's package loader attaches it to the node.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';

import { PackageDirectoryLoader } from 'n8n-core';
import type { CodexData, INodeTypeDescription } from 'n8n-workflow';

const root = resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; n8n: { nodes: string[] } };

// The categories of n8n's nodes panel, as n8n's codex-file reference lists them
// (https://docs.n8n.io/integrations/creating-nodes/build/reference/node-codex-files/).
const KNOWN_CATEGORIES = [
	'Data & Storage',
	'Finance & Accounting',
	'Marketing & Content',
	'Productivity',
	'Miscellaneous',
	'Sales',
	'Development',
	'Analytics',
	'Communication',
	'Utility',
];

interface CodexFile extends CodexData {
	node: string;
	nodeVersion: string;
	codexVersion: string;
}

/** `dist/nodes/X/X.node.js` → `dist/nodes/X/X.node.json`: where n8n's loader looks (`${filePath}on`). */
const codexPath = (nodePath: string) => `${nodePath}on`;

describe('codex files', () => {
	const descriptions = new Map<string, INodeTypeDescription>();
	const loaded = new Map<string, CodexData | undefined>();

	before(async () => {
		// n8n's loader for installed community packages, on the built package (dist/).
		const loader = new PackageDirectoryLoader(root);
		await loader.loadAll();
		for (const [name, { sourcePath }] of Object.entries(loader.known.nodes)) {
			const description = loader.nodeTypes[name].type.description as INodeTypeDescription;
			descriptions.set(sourcePath, description);
			loaded.set(sourcePath, description.codex);
		}
	});

	for (const nodePath of pkg.n8n.nodes) {
		describe(nodePath, () => {
			const file = join(root, codexPath(nodePath));
			const source = join(root, codexPath(nodePath).replace(/^dist\//, ''));
			const read = () => JSON.parse(readFileSync(file, 'utf8')) as CodexFile;

			it('is in dist/ next to the node, valid JSON, and the same as its source in nodes/', () => {
				assert.ok(existsSync(file), `${codexPath(nodePath)} exists (npm run build copies nodes/**/*.node.json)`);
				const codex = read();
				assert.deepEqual(codex, JSON.parse(readFileSync(source, 'utf8')), 'dist/ has the current codex file');
			});

			it("names the node as n8n does: `<package name>.<description name>`, at the node's version", () => {
				const codex = read();
				const description = descriptions.get(nodePath);
				assert.ok(description, `n8n's loader loaded ${nodePath}`);
				// n8n (packages/cli LoadNodesAndCredentials.postProcessLoaders) names a package's node
				// types `${loader.packageName}.${description.name}`, the loader's packageName being
				// the package.json name (n8n-core PackageDirectoryLoader).
				assert.equal(codex.node, `${pkg.name}.${description.name}`);
				const versions = [description.version].flat();
				assert.equal(Number(codex.nodeVersion), Math.max(...versions), 'nodeVersion is the latest version');
				assert.match(codex.nodeVersion, /^\d+\.\d+$/);
				assert.equal(codex.codexVersion, '1.0');
			});

			it("has categories from n8n's list and https documentation links", () => {
				const codex = read();
				assert.ok(codex.categories?.length, 'has categories');
				for (const category of codex.categories ?? []) assert.ok(KNOWN_CATEGORIES.includes(category), `"${category}" is one of n8n's categories`);
				for (const category of Object.keys(codex.subcategories ?? {})) assert.ok(codex.categories?.includes(category), `subcategories of "${category}", a category of the node`);
				const { primaryDocumentation = [], credentialDocumentation = [] } = codex.resources ?? {};
				assert.ok(primaryDocumentation.length > 0, 'has primary documentation');
				assert.ok(credentialDocumentation.length > 0, 'has credential documentation');
				for (const { url } of [...primaryDocumentation, ...credentialDocumentation]) {
					assert.equal(new URL(url).protocol, 'https:', url);
				}
				for (const alias of codex.alias ?? []) assert.equal(typeof alias, 'string');
			});

			it("is what n8n's loader attaches to the node", () => {
				const { categories, subcategories, alias, resources } = read();
				assert.deepEqual(loaded.get(nodePath), {
					...(categories && { categories }),
					...(subcategories && { subcategories }),
					...(alias && { alias }),
					resources: {
						primaryDocumentation: resources?.primaryDocumentation,
						credentialDocumentation: resources?.credentialDocumentation,
					},
				});
			});
		});
	}
});
