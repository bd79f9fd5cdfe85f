// Types of scripts/build-options.mjs, for bench/variant.ts.
import type { BuildOptions } from 'esbuild';

export declare const ASSET_GLOBS: string[];

export declare function esbuildOptions(where: { root: string; sourceDir?: string; outdir?: string }): BuildOptions;
