// Builds a variant of the package from a scratch copy, to benchmark a proposed engine change
// without touching nodes/:
//
//   node --import tsx bench/variant.ts init <name>     copies nodes/ and credentials/ to bench/out/variants/<name>/
//   (edit bench/out/variants/<name>/nodes/shared/...)
//   node --import tsx bench/variant.ts build <name>    bundles it like scripts/build.mjs into .../<name>/dist
//   node --import tsx bench/variant.ts env <name>      prints the BENCH_* variables that make
//                                                      `node --import tsx bench/run.ts` use it
//
// bench/out/ is git-ignored.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..');

function variantDir(name: string): string {
	if (!/^[\w.-]+$/.test(name)) throw new Error(`bad variant name ${name}`);
	return join(__dirname, 'out', 'variants', name);
}

async function build(dir: string): Promise<void> {
	const { build: esbuild } = await import('esbuild');
	const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { n8n: { nodes: string[]; credentials: string[] } };
	const entryPoints = [...pkg.n8n.nodes, ...pkg.n8n.credentials].map((path) => join(dir, path.replace(/^dist\//, '').replace(/\.js$/, '.ts')));
	rmSync(join(dir, 'dist'), { recursive: true, force: true });
	// The same options as scripts/build.mjs.
	await esbuild({
		entryPoints,
		outdir: join(dir, 'dist'),
		outbase: dir,
		bundle: true,
		platform: 'node',
		target: 'node22',
		format: 'cjs',
		external: ['n8n-workflow', 'luxon'],
		sourcemap: 'linked',
		logLevel: 'warning',
		keepNames: true,
		nodePaths: [join(root, 'node_modules')],
	});
	// Icons as gulp build:icons copies them, and a package.json for npm pack.
	for (const path of pkg.n8n.nodes) {
		const from = join(root, path, '..');
		const to = join(dir, path, '..');
		for (const icon of ['fourme.svg', 'fourme.dark.svg']) if (existsSync(join(from, icon))) cpSync(join(from, icon), join(to, icon));
	}
	writeFileSync(join(dir, 'package.json'), readFileSync(join(root, 'package.json')));
}

async function main() {
	const [command, name] = process.argv.slice(2);
	const dir = variantDir(name ?? '');
	switch (command) {
		case 'init':
			mkdirSync(dir, { recursive: true });
			cpSync(join(root, 'nodes'), join(dir, 'nodes'), { recursive: true });
			cpSync(join(root, 'credentials'), join(dir, 'credentials'), { recursive: true });
			console.log(dir);
			return;
		case 'build':
			await build(dir);
			console.log(join(dir, 'dist'));
			return;
		case 'env':
			console.log(`BENCH_ENGINE=${join(dir, 'nodes', 'shared')} BENCH_DIST=${join(dir, 'dist')} BENCH_PACKAGE_DIR=${dir}`);
			return;
		default:
			throw new Error('usage: bench/variant.ts init|build|env <name>');
	}
}

main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
