/**
 * The fault matrix as node:test suites, one file per provider profile (fourme.test.ts,
 * mews.test.ts), each iterating the shared case list. Every case's record is written to the
 * results file as soon as it is known; scripts/reliability-report.ts renders them.
 *
 * Environment:
 *   FAULTS_RESULTS      where the records go (see results.ts); default .cache/faults/results-<profile>.json.
 *   FAULTS_CASES        a regular expression: run only the cases whose names match.
 *   FAULTS_CONCURRENCY  cases run at once per provider (default 4; each has its own emulator).
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { after, describe, it } from 'node:test';

import { ALL_CASES, type FaultCase } from './cases';
import type { ProviderProfile } from './profiles';
import { resultsPath, type ResultsFile } from './results';
import { boundOf, runCase, type CaseRecord } from './runner';

function selectedCases(): FaultCase[] {
	const filter = process.env.FAULTS_CASES ? new RegExp(process.env.FAULTS_CASES) : undefined;
	return ALL_CASES.filter((faultCase) => !filter || filter.test(faultCase.name));
}

export function defineMatrix(profile: ProviderProfile): void {
	const cases = selectedCases().filter((faultCase) => !(profile.exportOnly && faultCase.kind === 'trigger'));
	const records = new Map<string, CaseRecord>();
	const startedAt = new Date();
	const path = resultsPath(profile.name);
	const write = () => {
		mkdirSync(dirname(path), { recursive: true });
		const file: ResultsFile = {
			profile: profile.name,
			startedAt: startedAt.toISOString(),
			durationMs: Date.now() - startedAt.getTime(),
			node: process.version,
			cpus: cpus().length,
			selected: cases.length,
			// In the order of the case list, whatever order they finished in.
			cases: cases.map((faultCase) => records.get(faultCase.name)).filter((record): record is CaseRecord => record !== undefined),
		};
		writeFileSync(path, `${JSON.stringify(file, null, '\t')}\n`);
	};

	describe(`fault matrix: ${profile.name}`, { concurrency: Number(process.env.FAULTS_CONCURRENCY) || 4 }, () => {
		after(write);
		for (const faultCase of cases) {
			// node:test's own timeout is only a backstop: the runner bounds every case itself.
			it(`${faultCase.name}: ${faultCase.fault}`, { timeout: boundOf(faultCase) + 60_000 }, async () => {
				const record = await runCase(profile, faultCase);
				records.set(faultCase.name, record);
				write();
				assert.ok(record.passed, record.problems.join('\n'));
			});
		}
	});
}
