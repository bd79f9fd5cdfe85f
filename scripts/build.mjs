// Bundles every node and credential into dist/ with its libraries (undici, papaparse, jszip)
// inlined: n8n community packages must have no runtime dependencies. n8n-workflow
// and luxon stay external because n8n provides them (luxon is on n8n's list of modules nodes may use).
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const entryPoints = [...pkg.n8n.nodes, ...pkg.n8n.credentials].map((distPath) =>
	distPath.replace(/^dist\//, '').replace(/\.js$/, '.ts'),
);

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
	entryPoints,
	outdir: 'dist',
	outbase: '.',
	bundle: true,
	platform: 'node',
	target: 'node22',
	format: 'cjs',
	external: ['n8n-workflow', 'luxon'],
	sourcemap: 'linked',
	logLevel: 'warning',
	// Keep class names: n8n looks up the node class by its file name.
	keepNames: true,
});
