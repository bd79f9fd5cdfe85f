/**
 * Where the fault matrix keeps its per-case records, shared by the test files (which write
 * them) and scripts/reliability-report.ts (which renders them).
 *
 * FAULTS_RESULTS: a file path (`<profile>` in it is replaced; without it the profile name is
 * added before the extension) or a directory (ending in / or existing). Default:
 * .cache/faults/results-<profile>.json.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

import type { CaseRecord } from './runner';

export const ROOT = resolve(__dirname, '..', '..');

export interface ResultsFile {
	profile: string;
	startedAt: string;
	durationMs: number;
	node: string;
	cpus: number;
	/** Cases selected for the run (FAULTS_CASES may narrow it). */
	selected: number;
	cases: CaseRecord[];
}

export function resultsPath(profile: string, setting = process.env.FAULTS_RESULTS): string {
	return resultsTemplate(setting).replace(/<profile>/g, profile);
}

/** The results path with `<profile>` where the profile name goes. */
function resultsTemplate(setting: string | undefined): string {
	if (!setting) return join(ROOT, '.cache', 'faults', 'results-<profile>.json');
	const path = resolve(ROOT, setting);
	if (path.includes('<profile>')) return path;
	if (setting.endsWith('/') || (existsSync(path) && statSync(path).isDirectory())) return join(path, 'results-<profile>.json');
	return /\.json$/i.test(path) ? path.replace(/\.json$/i, '-<profile>.json') : `${path}-<profile>.json`;
}

/** Every results file the setting points to, one per profile. */
export function findResults(setting = process.env.FAULTS_RESULTS): string[] {
	const template = resultsTemplate(setting);
	const folder = dirname(template);
	if (!existsSync(folder)) return [];
	const [before, after] = basename(template).split('<profile>');
	return readdirSync(folder)
		.filter((name) => name.startsWith(before) && name.endsWith(after) && name.length > before.length + after.length)
		.sort()
		.map((name) => join(folder, name));
}

export function readResults(path: string): ResultsFile {
	return JSON.parse(readFileSync(path, 'utf8')) as ResultsFile;
}
