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
import { cpSync, globSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import { ASSET_GLOBS, esbuildOptions } from '../scripts/build-options.mjs';

const root = resolve(__dirname, '..');

function variantDir(name: string): string {
	if (!/^[\w.-]+$/.test(name)) throw new Error(`bad variant name ${name}`);
	return join(__dirname, 'out', 'variants', name);
}

async function build(dir: string): Promise<void> {
	const { build: esbuild } = await import('esbuild');
	rmSync(join(dir, 'dist'), { recursive: true, force: true });
	// scripts/build.mjs's options, on the copy.
	await esbuild(esbuildOptions({ root, sourceDir: dir }));
	// The icons and codex files as gulp build:icons copies them, and a package.json for npm pack.
	for (const path of globSync(ASSET_GLOBS, { cwd: dir })) {
		mkdirSync(dirname(join(dir, 'dist', path)), { recursive: true });
		cpSync(join(dir, path), join(dir, 'dist', path));
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
