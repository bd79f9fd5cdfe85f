// Bundles every node and credential into dist/ (the options, and why: scripts/build-options.mjs).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { esbuildOptions } from './build-options.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build(esbuildOptions({ root }));
