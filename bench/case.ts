// One benchmark case in a fresh process: `node --expose-gc --import tsx bench/case.ts '<json>'`.
// It runs the case once on a small warm-up file (loads and compiles the code), then measures one
// run on the real file and prints `BENCH_RESULT {...}`. Modules are loaded only as a case needs
// them, so the floor's process never holds n8n.
//
// Kinds:
//   download     undici GET of the file(s), bytes discarded or written to a file (the plain download)
//   floor        undici streaming into papaparse (CSV; a zip's entries through zlib) or a line
//                splitter + JSON.parse (JSON Lines), counting rows; nothing kept
//   floor-keep   the same, keeping every row as a plain object in one array (keyed by the header;
//                JSON Lines: the parsed objects): the least a row mode can cost
//   engine       the shared engine's filesToRows (download + parse + one n8n item per row), no n8n
//   stream       the shared engine's openDownload + parseFile, rows counted, not kept (CSV values not
//                shared, as a mode that hands rows on reads them; first-row time)
//   node         the built 4me node, executed by n8n-core's WorkflowExecute (test/helpers/n8n.ts)
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';

import { BENCH_ACCOUNT, BENCH_TOKEN, emitResult, measure } from './lib';

export interface FileRef {
	url: string;
	name: string;
	size: number;
}

export type CaseSpec =
	| { kind: 'download'; files: FileRef[]; sink: 'discard' | 'file'; warmup: FileRef[] }
	| { kind: 'floor' | 'floor-keep'; format: 'csv' | 'jsonl' | 'zip'; files: FileRef[]; warmup: FileRef[] }
	| { kind: 'engine' | 'stream'; format: 'csv' | 'jsonl' | 'zip'; files: FileRef[]; warmup: FileRef[] }
	| { kind: 'node'; apiUrl: string; warmupApiUrl: string; types: string[]; output: 'rows' | 'file' }
	| { kind: 'mews-node'; apiUrl: string; warmupApiUrl: string };

export interface CaseResult {
	rows?: number;
	bytes?: number;
	firstRowMs?: number;
	items?: number;
	fileSize?: number;
	[extra: string]: unknown;
}

const OUT = join(__dirname, 'out');

async function undiciGet(url: string) {
	const { request } = await import('undici');
	const response = await request(url, { method: 'GET', headers: { 'accept-encoding': 'identity' } });
	if (response.statusCode !== 200) throw new Error(`GET ${url}: HTTP ${response.statusCode}`);
	return response;
}

// ---------------------------------------------------------------------------------------------
// Plain download

async function download(files: FileRef[], sink: 'discard' | 'file'): Promise<CaseResult> {
	let bytes = 0;
	for (const file of files) {
		const { body } = await undiciGet(file.url);
		if (sink === 'discard') {
			for await (const chunk of body) bytes += (chunk as Buffer).length;
		} else {
			const dir = process.env.BENCH_WRITE_DIR ?? join(OUT, 'tmp');
			mkdirSync(dir, { recursive: true });
			const target = join(dir, `download-${process.pid}`);
			const out = createWriteStream(target);
			await pipeline(body, out);
			bytes += out.bytesWritten;
			rmSync(target, { force: true });
		}
	}
	return { bytes };
}

// ---------------------------------------------------------------------------------------------
// Floor

/** Rows a floor keeps (floor-keep), or undefined when it only counts them. */
type Kept = unknown[] | undefined;

/**
 * papaparse's own stream reader, array mode, counting records (header row excluded); to keep them,
 * each record becomes a plain object keyed by the header (a loop of assignments: cheaper than
 * papaparse's header mode, whose per-value checks cost a third of its time).
 */
async function countCsv(stream: Readable, kept: Kept): Promise<number> {
	const { default: Papa } = await import('papaparse');
	stream.setEncoding('utf8');
	return await new Promise<number>((resolve, reject) => {
		let records = 0;
		let header: string[] | undefined;
		Papa.parse(stream as unknown as File, {
			header: false,
			delimiter: ',',
			newline: '\n',
			skipEmptyLines: true,
			chunk: (results: Papa.ParseResult<string[]>) => {
				records += results.data.length;
				if (!kept) return;
				for (const values of results.data) {
					if (!header) {
						header = values;
						continue;
					}
					const row: Record<string, string> = {};
					for (let c = 0; c < header.length; c++) row[header[c]] = values[c];
					kept.push(row);
				}
			},
			complete: () => resolve(records - 1),
			error: (error: Error) => reject(error),
		});
	});
}

async function countJsonLines(stream: Readable, kept: Kept): Promise<number> {
	stream.setEncoding('utf8');
	let rows = 0;
	let pending = '';
	for await (const text of stream) {
		pending += text as string;
		let start = 0;
		for (let end = pending.indexOf('\n', start); end >= 0; end = pending.indexOf('\n', start)) {
			if (end > start) {
				const record: unknown = JSON.parse(pending.slice(start, end));
				kept?.push(record);
				rows++;
			}
			start = end + 1;
		}
		pending = pending.slice(start);
	}
	if (pending.trim()) {
		kept?.push(JSON.parse(pending));
		rows++;
	}
	return rows;
}

/** Reads a zip's central directory from the downloaded archive and streams each entry through zlib into papaparse. */
async function countZip(archive: Buffer, kept: Kept): Promise<number> {
	let end = archive.length - 22;
	while (end >= 0 && archive.readUInt32LE(end) !== 0x06054b50) end--;
	if (end < 0) throw new Error('not a zip');
	const entries = archive.readUInt16LE(end + 10);
	let at = archive.readUInt32LE(end + 16);
	let rows = 0;
	for (let n = 0; n < entries; n++) {
		const method = archive.readUInt16LE(at + 10);
		const compressedSize = archive.readUInt32LE(at + 20);
		const nameLength = archive.readUInt16LE(at + 28);
		const extraLength = archive.readUInt16LE(at + 30);
		const commentLength = archive.readUInt16LE(at + 32);
		const localOffset = archive.readUInt32LE(at + 42);
		at += 46 + nameLength + extraLength + commentLength;
		const dataStart = localOffset + 30 + archive.readUInt16LE(localOffset + 26) + archive.readUInt16LE(localOffset + 28);
		const compressed = archive.subarray(dataStart, dataStart + compressedSize);
		const source = Readable.from([compressed]);
		const stream = method === 8 ? source.pipe(createInflateRaw()) : source;
		rows += await countCsv(stream, kept);
	}
	return rows;
}

async function floor(format: 'csv' | 'jsonl' | 'zip', files: FileRef[], keep: boolean): Promise<{ result: CaseResult; keep?: unknown }> {
	const kept: Kept = keep ? [] : undefined;
	let rows = 0;
	for (const file of files) {
		const { body } = await undiciGet(file.url);
		if (format === 'csv') rows += await countCsv(body, kept);
		else if (format === 'jsonl') rows += await countJsonLines(body, kept);
		else rows += await countZip(Buffer.from(await body.arrayBuffer()), kept);
	}
	return { result: { rows }, keep: kept };
}

// ---------------------------------------------------------------------------------------------
// The shared engine without n8n (nodes/shared as TypeScript, or a scratch copy: BENCH_ENGINE=<dir>)

const engineDir = process.env.BENCH_ENGINE ?? join(__dirname, '..', 'nodes', 'shared');

function engineContext() {
	const quiet = () => {};
	return {
		getNode: () => ({ id: 'bench', name: 'Bench', type: 'bench', typeVersion: 1, position: [0, 0], parameters: {} }),
		logger: { info: quiet, warn: quiet, error: quiet, debug: quiet },
		getExecutionCancelSignal: () => undefined,
	};
}

function engineParseOptions(format: 'csv' | 'jsonl' | 'zip') {
	// What the 4me node passes (nodes/FourMe/actions/export/common.ts readParseOptions).
	if (format === 'jsonl') return { declared: 'jsonl' as const };
	return {
		csv: { stripInjectionGuard: true, delimiter: ',' },
		recordTypeOfEntry: (name: string) => /^\d{8}-(.+)-[^-]+\.csv$/.exec(name)?.[1],
	};
}

async function engineRows(format: 'csv' | 'jsonl' | 'zip', files: FileRef[]): Promise<{ result: CaseResult; keep: unknown }> {
	const { filesToRows } = (await import(join(engineDir, 'output.ts'))) as typeof import('../nodes/shared/output');
	const items = await filesToRows(
		engineContext() as never,
		files.map((file) => ({ url: file.url, name: file.name, size: file.size })),
		{ download: { errorContext: 'bench' }, parse: engineParseOptions(format), pairedItem: { item: 0 } },
	);
	return { result: { rows: items.length, items: items.length }, keep: items };
}

/**
 * The 4me node's options, as a mode that hands rows on and drops them would pass them: values not
 * shared between rows (sharing saves memory only for rows that are kept).
 */
function streamParseOptions(format: 'csv' | 'jsonl' | 'zip') {
	const options = engineParseOptions(format);
	return 'csv' in options ? { ...options, csv: { ...options.csv, shareValues: false } } : options;
}

async function engineStream(format: 'csv' | 'jsonl' | 'zip', files: FileRef[]): Promise<CaseResult> {
	const { openDownload } = (await import(join(engineDir, 'download.ts'))) as typeof import('../nodes/shared/download');
	const { parseFile } = (await import(join(engineDir, 'parse', 'index.ts'))) as typeof import('../nodes/shared/parse');
	const started = performance.now();
	let firstRowMs: number | undefined;
	let rows = 0;
	for (const file of files) {
		const opened = await openDownload(engineContext() as never, file.url, { expectedBytes: file.size });
		for await (const batch of parseFile({ chunks: opened.chunks, contentType: opened.contentType, fileName: file.name }, streamParseOptions(format))) {
			firstRowMs ??= performance.now() - started;
			rows += batch.length;
		}
	}
	return { rows, firstRowMs };
}

// ---------------------------------------------------------------------------------------------
// The built 4me node through n8n's engine (BENCH_DIST=<dir> for a scratch build)

const distDir = process.env.BENCH_DIST ?? join(__dirname, '..', 'dist');

async function runNode(apiUrl: string, types: string[], output: 'rows' | 'file'): Promise<{ result: CaseResult; keep: unknown }> {
	const { executeNode } = await import('../test/helpers/n8n');
	const { FourMe } = require(join(distDir, 'nodes', 'FourMe', 'FourMe.node.js')) as typeof import('../nodes/FourMe/FourMe.node');
	const { FourMeApi } = require(join(distDir, 'credentials', 'FourMeApi.credentials.js')) as typeof import('../credentials/FourMeApi.credentials');
	const run = await executeNode({
		node: new FourMe(),
		parameters: { resource: 'export', operation: 'export', recordTypes: types, output, options: {} },
		credentials: { fourMeApi: { type: new FourMeApi(), data: { token: BENCH_TOKEN, account: BENCH_ACCOUNT, instance: 'custom', baseUrl: apiUrl } } },
	});
	if (run.error) throw new Error(`node failed: ${run.error.message} ${run.error.description ?? ''}`);
	const fileSize = output === 'file' ? run.items.reduce((sum, item) => sum + Number(item.json.fileSize ?? 0), 0) : undefined;
	return { result: { items: run.items.length, rows: output === 'rows' ? run.items.length : undefined, fileSize }, keep: run };
}

/** The built Mews node (Export, rows) against the bench server's Mews stand-in. */
async function runMewsNode(platformAddress: string): Promise<{ result: CaseResult; keep: unknown }> {
	const { executeNode } = await import('../test/helpers/n8n');
	const { Mews } = require(join(distDir, 'nodes', 'Mews', 'Mews.node.js')) as typeof import('../nodes/Mews/Mews.node');
	const { MewsConnectorApi } = require(join(distDir, 'credentials', 'MewsConnectorApi.credentials.js')) as typeof import('../credentials/MewsConnectorApi.credentials');
	const run = await executeNode({
		node: new Mews(),
		parameters: { resource: 'export', operation: 'export', entityType: 'OrderItem', options: { firstPollSeconds: 0.01 } },
		credentials: { mewsConnectorApi: { type: new MewsConnectorApi(), data: { platform: 'custom', platformAddress, clientToken: BENCH_TOKEN, accessToken: BENCH_TOKEN } } },
	});
	if (run.error) throw new Error(`node failed: ${run.error.message} ${run.error.description ?? ''}`);
	return { result: { items: run.items.length, rows: run.items.length }, keep: run };
}

// ---------------------------------------------------------------------------------------------

async function runOnce(spec: CaseSpec, warm: boolean): Promise<{ result: CaseResult; keep?: unknown }> {
	switch (spec.kind) {
		case 'download':
			return { result: await download(warm ? spec.warmup : spec.files, spec.sink) };
		case 'floor':
		case 'floor-keep':
			return await floor(spec.format, warm ? spec.warmup : spec.files, spec.kind === 'floor-keep');
		case 'engine':
			return await engineRows(spec.format, warm ? spec.warmup : spec.files);
		case 'stream':
			return { result: await engineStream(spec.format, warm ? spec.warmup : spec.files) };
		case 'node':
			return await runNode(warm ? spec.warmupApiUrl : spec.apiUrl, spec.types, spec.output);
		case 'mews-node':
			return await runMewsNode(warm ? spec.warmupApiUrl : spec.apiUrl);
	}
}

/** BENCH_CPU_PROFILE=<file>: a CPU profile of the measured run only (not start-up or warm-up). */
async function startProfile(): Promise<(file: string) => Promise<void>> {
	const { Session } = await import('node:inspector/promises');
	const session = new Session();
	session.connect();
	await session.post('Profiler.enable');
	await session.post('Profiler.setSamplingInterval', { interval: 500 });
	await session.post('Profiler.start');
	return async (file) => {
		const { profile } = await session.post('Profiler.stop');
		writeFileSync(file, JSON.stringify(profile));
		session.disconnect();
	};
}

async function main() {
	const spec = JSON.parse(process.argv[2]) as CaseSpec;
	await runOnce(spec, true);
	let kept: unknown;
	const profile = process.env.BENCH_CPU_PROFILE ? await startProfile() : undefined;
	const { value, measured } = await measure(async () => {
		const { result, keep } = await runOnce(spec, false);
		kept = keep; // held until the peak is read, as n8n holds a node's output
		return result;
	});
	await profile?.(process.env.BENCH_CPU_PROFILE as string);
	// A heap snapshot while the output is still held (large: about 2× the heap).
	if (process.env.BENCH_HEAP_SNAPSHOT) (await import('node:v8')).writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT);
	emitResult({ ...value, ...measured, node: process.version, kept: kept !== undefined });
}

main().then(
	() => process.exit(0),
	(error: unknown) => {
		console.error(error);
		process.exit(1);
	},
);
