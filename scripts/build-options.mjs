// How the package is built, shared by scripts/build.mjs, gulpfile.js and bench/variant.ts (which
// builds a scratch copy of nodes/ and credentials/ the same way).
//
// Every node and credential is bundled with its libraries (undici, papaparse, jszip) inlined:
// n8n community packages must have no runtime dependencies. n8n-workflow and luxon stay external
// because n8n provides them (luxon is on n8n's list of modules nodes may use).
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/**
 * Files copied next to the bundled JavaScript, with their folders (paths relative to the source
 * root): the icons, which n8n resolves (`icon: 'file:...'`) relative to the node or credential
 * file, and the codex files (`<Node>.node.json`), which n8n reads from the node file's folder.
 */
export const ASSET_GLOBS = ['nodes/**/*.{png,svg}', 'credentials/**/*.{png,svg}', 'nodes/**/*.node.json'];

/**
 * The esbuild options that bundle the nodes and credentials listed in `<root>/package.json`.
 * `sourceDir` holds nodes/ and credentials/ (default: root), `outdir` receives them (default:
 * `<sourceDir>/dist`). Paths are given relative to `root`, esbuild's working directory.
 *
 * @param {{ root: string, sourceDir?: string, outdir?: string }} where
 * @returns {import('esbuild').BuildOptions}
 */
export function esbuildOptions(where) {
	const root = resolve(where.root);
	const sourceDir = resolve(where.sourceDir ?? root);
	const outdir = resolve(where.outdir ?? join(sourceDir, 'dist'));
	const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
	const fromRoot = (path) => relative(root, path) || '.';
	const entryPoints = [...pkg.n8n.nodes, ...pkg.n8n.credentials].map((distPath) =>
		fromRoot(join(sourceDir, distPath.replace(/^dist\//, '').replace(/\.js$/, '.ts'))),
	);
	return {
		absWorkingDir: root,
		entryPoints,
		outdir: fromRoot(outdir),
		outbase: fromRoot(sourceDir),
		bundle: true,
		platform: 'node',
		target: 'node22',
		format: 'cjs',
		external: ['n8n-workflow', 'luxon'],
		sourcemap: 'linked',
		logLevel: 'warning',
		// Keep class names: n8n looks up the node class by its file name.
		keepNames: true,
		// A copy outside the package (bench/out/variants/...) resolves the libraries from the package.
		...(sourceDir === root ? {} : { nodePaths: [join(root, 'node_modules')] }),
	};
}
