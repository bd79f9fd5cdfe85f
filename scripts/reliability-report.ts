// Renders docs/reliability.md from the fault matrix's records (test/faults, see matrix.ts).
//   node --import tsx scripts/reliability-report.ts                 reads .cache/faults/results-*.json
//   FAULTS_RESULTS=<path> node --import tsx scripts/…               the same path the matrix wrote to
//   node --import tsx scripts/reliability-report.ts a.json b.json   given files
//   … --out <file>                                                  another output (default docs/reliability.md)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

import { ALL_CASES } from '../test/faults/cases';
import { findResults, readResults, ROOT, type ResultsFile } from '../test/faults/results';
import type { CaseRecord, Leak } from '../test/faults/runner';

const REGENERATE = [
	'npm run build',
	'node --import tsx --test --test-force-exit --test-concurrency=2 test/faults/*.test.ts',
	'node --import tsx scripts/reliability-report.ts',
];

interface Totals {
	cases: number;
	passed: number;
	crashes: number;
	hangs: number;
	wrongRows: number;
	lostRows: number;
	leaks: number;
	duplicates: number;
	allowedDuplicates: number;
	orphanedJobs: number;
}

function totalsOf(cases: CaseRecord[]): Totals {
	const sum = (pick: (record: CaseRecord) => number) => cases.reduce((total, record) => total + pick(record), 0);
	return {
		cases: cases.length,
		passed: cases.filter((record) => record.passed).length,
		crashes: cases.filter((record) => record.crashed).length,
		hangs: cases.filter((record) => record.hung).length,
		wrongRows: sum((record) => record.wrongRows),
		lostRows: sum((record) => record.lostRows),
		leaks: cases.filter((record) => leakCount(record) > 0).length,
		duplicates: sum((record) => record.duplicates),
		allowedDuplicates: sum((record) => record.allowedDuplicates),
		orphanedJobs: sum((record) => record.jobsOrphaned),
	};
}

/** The targets in one line: each count, and whether it meets its target. */
function targetsLine(totals: Totals): string {
	const mark = (ok: boolean) => (ok ? '✅' : '❌');
	const unallowed = totals.duplicates - totals.allowedDuplicates;
	return [
		`${mark(totals.crashes === 0)} crashes ${totals.crashes}`,
		`${mark(totals.hangs === 0)} hangs ${totals.hangs}`,
		`${mark(totals.wrongRows === 0)} wrong rows ${totals.wrongRows}`,
		`${mark(totals.lostRows === 0)} lost rows ${totals.lostRows}`,
		`${mark(totals.leaks === 0)} leaks ${totals.leaks}`,
		`${mark(unallowed === 0)} duplicates ${totals.duplicates} (${totals.allowedDuplicates} allowed by at-least-once)`,
	].join(' · ');
}

/** Table cells hold one line, no pipes. */
function cell(text: string | number | undefined, max = 0): string {
	// Control characters (a NUL from a damaged file) would make the page binary.
	let value = String(text ?? '')
		.replace(/\s+/g, ' ')
		.replace(/[\u0000-\u001f\u007f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
		.trim();
	if (max && value.length > max) value = `${value.slice(0, max - 1)}…`;
	return value.replace(/\|/g, '\\|').replace(/</g, '&lt;');
}

/** Records written before leaks were recorded by field held `secretsFound`: only its count is shown. */
type AnyRecord = Omit<CaseRecord, 'leaks'> & { leaks?: Leak[]; secretsFound?: unknown[] };

function leakCount(record: AnyRecord): number {
	return record.leaks?.length ?? record.secretsFound?.length ?? 0;
}

/** Which credential fields leaked and where, by name: the page never shows a credential's value. */
function leaksCell(record: AnyRecord): string {
	if (record.leaks) return cell(record.leaks.map((leak: Leak) => `${leak.fields.join(', ')} ${leak.where}`).join('; ') || '—');
	const count = record.secretsFound?.length ?? 0;
	return count ? `${count} (an older record: rerun the matrix for the fields)` : '—';
}

function seconds(ms: number): string {
	return ms < 1000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`;
}

function outcome(record: CaseRecord): string {
	const notes = record.notes.filter((note) => !note.startsWith('stderr:'));
	const noted = notes.length ? ` <sub>${cell(notes.join('; '), 200)}</sub>` : '';
	if (record.passed) return `pass${noted}`;
	const tags = [record.crashed ? 'CRASH' : '', record.hung ? 'HANG' : ''].filter(Boolean).join(', ');
	return `**FAIL**${tags ? ` (${tags})` : ''}: ${cell(record.problems.join('; '), 300)}${noted}`;
}

function caseTable(cases: CaseRecord[]): string[] {
	const lines = [
		'| Case | Fault | Expected | Outcome | Rows served / delivered | Duplicates | Requests | Jobs (orphaned) | Time | Error | Leaked credential fields |',
		'| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
	];
	for (const record of cases) {
		const duplicates = record.allowedDuplicates ? `${record.duplicates} (${record.allowedDuplicates} allowed)` : String(record.duplicates);
		const jobs = record.jobsOrphaned ? `${record.jobsStarted} (${record.jobsOrphaned})` : String(record.jobsStarted);
		const error = record.error ? `${record.error.message}${record.error.description ? ` — ${record.error.description}` : ''}` : '';
		lines.push(
			`| \`${record.case}\` | ${cell(record.fault)} | ${cell(record.expected)} | ${outcome(record)} | ${record.rowsServed} / ${record.rowsDelivered} | ${duplicates} | ${record.requests} | ${jobs} | ${seconds(record.durationMs)} | ${cell(error, 140)} | ${leaksCell(record)} |`,
		);
	}
	return lines;
}

function render(files: ResultsFile[], sources: string[]): string {
	const known = new Map(ALL_CASES.map((faultCase, index) => [faultCase.name, index]));
	const order = (record: CaseRecord) => known.get(record.case) ?? Infinity;
	const lines: string[] = [
		'# Reliability: the fault matrix',
		'',
		'<!-- Generated by scripts/reliability-report.ts from the fault matrix records. Do not edit by hand: regenerate it. -->',
		'',
		'_Generated_ from ' + sources.map((source) => `\`${source}\``).join(', ') + '. To regenerate (about a minute or two on 2 cores):',
		'',
		'```sh',
		...REGENERATE,
		'```',
		'',
		'Every provider runs the same fault matrix (`test/faults/`): its emulator sits behind a hostile proxy (`test/faults/proxy.ts`) that',
		'throttles, fails, resets, stalls, truncates, redirects and corrupts requests and files, and the node runs as n8n runs it (the',
		'Export operation through n8n\'s engine, the Trigger through n8n\'s poller with its static-data rules). Each case is judged on the',
		'targets below; **Expected** is the target outcome, not necessarily today\'s. Trigger cases count over all polls after the fault:',
		'rows lost (never emitted), rows emitted twice, jobs started and jobs orphaned (started, never read).',
		'',
		'Targets: **0 crashes** (zip bombs and huge fields run in a child process with a 512 MB heap), **0 hangs** (a hard bound per case,',
		'20 s for exports, 40 s for a trigger case), **0 wrong rows**, **0 lost rows** (missing without an error), **0 leaks** (a credential',
		'in an output, error or log, or sent to a storage host, another port or a redirect target), **duplicates only where at-least-once',
		'allows them** (a process killed between emitting and saving the trigger state). Errors must name the provider, the call that',
		'failed and, once a job was started, the job (test/faults/wording.ts).',
		'',
		'## Summary',
		'',
		'| Provider | Cases | Passed | Failed | Targets | Run time |',
		'| --- | --- | --- | --- | --- | --- |',
	];
	for (const file of files) {
		const totals = totalsOf(file.cases);
		const partial = file.cases.length < file.selected ? ` (of ${file.selected} selected)` : '';
		lines.push(`| ${file.profile} | ${totals.cases}${partial} | ${totals.passed} | ${totals.cases - totals.passed} | ${targetsLine(totals)} | ${seconds(file.durationMs)} |`);
	}
	for (const file of files) {
		const cases = [...file.cases].sort((a, b) => order(a) - order(b));
		const totals = totalsOf(cases);
		lines.push(
			'',
			`## ${file.profile}`,
			'',
			`Run of ${file.startedAt} on Node ${file.node}, ${file.cpus} CPUs, ${seconds(file.durationMs)}: ${totals.passed} of ${totals.cases} cases pass.`,
			'',
			`**Targets:** ${targetsLine(totals)} · jobs orphaned ${totals.orphanedJobs} (informational).`,
		);
		for (const [title, kinds] of [
			['Export operation', ['export']],
			['Cancellation', ['cancel']],
			['Trigger: interrupted polls', ['trigger']],
		] as const) {
			const group = cases.filter((record) => (kinds as readonly string[]).includes(record.kind));
			if (!group.length) continue;
			lines.push('', `### ${title}`, '', ...caseTable(group));
		}
	}
	return `${lines.join('\n')}\n`;
}

function main(): void {
	const args = process.argv.slice(2);
	const outIndex = args.indexOf('--out');
	const out = resolve(ROOT, outIndex >= 0 ? args[outIndex + 1] : join('docs', 'reliability.md'));
	const given = args.filter((_, index) => outIndex < 0 || (index !== outIndex && index !== outIndex + 1));
	const paths = given.length ? given.map((path) => resolve(path)) : findResults();
	if (!paths.length) {
		console.error('No fault matrix results found: run the matrix first (see the header of docs/reliability.md).');
		process.exit(1);
	}
	const files = paths.map(readResults);
	mkdirSync(dirname(out), { recursive: true });
	writeFileSync(out, render(files, paths.map((path) => relative(ROOT, path) || path)));
	for (const file of files) console.log(`${file.profile}: ${targetsLine(totalsOf(file.cases))}`);
	console.log(`Wrote ${relative(ROOT, out)}`);
}

main();
