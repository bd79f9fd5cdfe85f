// The benchmarks' file host and 4me stand-in, in its own process (its memory and CPU are not the
// measured process's). Listens on 127.0.0.1 only and prints one JSON line: {"origin": ...}.
//
// - GET /files/<data set>/<n>/<file name>: the data set's n-th file from bench/out/data, streamed
//   from disk with Content-Length, Content-Type and Content-Disposition (like a pre-signed S3 link;
//   a single byte range is honoured). The floor, the do-it-yourself workflows and the nodes all
//   download these same bytes.
// - A stand-in for the 4me export API (the emulator in test/emulators builds its files in memory,
//   which does not scale to 1 GB): POST <api>/export answers {"token"}, GET <api>/export/<token>
//   answers 4me's `processing` until the job's duration has passed, then `done` with the URL of the
//   data set's file. <api> is /4me/<data set>/v1 (or /4me/<data set>@<job ms>/v1 for a job that
//   takes that long), or /4me/current/v1 for the set chosen with
//   POST /_bench/select?dataset=<id>&jobMs=<ms> (one credential for all runs of a real n8n).
//   Requests need `Authorization: Bearer bench-token`; downloads must not carry it.
// - A stand-in for the Mews Connector API exports: POST /mews/<data set>/api/connector/v1/
//   configuration/get, exports/add (an export of the set), exports/getAll (Success at once, the
//   set's files with their SizeInBytes). The body must carry ClientToken = AccessToken = bench-token.
//   /mews/current/... answers for the set chosen with POST /_bench/select (the real n8n's one credential).
// - GET /_bench/jobs: every job with the times of its status requests and downloads (for the
//   polling measurement); POST /_bench/reset clears them.
// - POST /_bench/batch {"batch", "ids"}: what one run of the batches cases' sub-workflow got;
//   GET /_bench/batches: how many batches and rows arrived, and how many distinct ids (each row
//   once: distinct = rows); POST /_bench/batches/reset.
import { createReadStream, statSync } from 'node:fs';
import type * as http from 'node:http';
import { join } from 'node:path';

import { headerValue, parseByteRange, readBody, readParams, sendJson, sendText, startServer } from '../test/emulators/http';
import { DATA_DIR, ensureDataSets, type DataSet } from './data';
import { BENCH_ACCOUNT, BENCH_TOKEN } from './lib';


interface Job {
	token: string;
	dataset: string;
	types: string;
	createdAt: number;
	doneAfterMs: number;
	polls: number[];
	doneAnsweredAt?: number;
	downloads: Array<{ path: string; startedAt: number; endedAt?: number; bytes: number }>;
}

const sets = new Map<string, DataSet>();
const jobs: Job[] = [];
const received = { batches: 0, rows: 0, ids: new Set<string>() };
let current = { dataset: '', jobMs: 0 };
let origin = '';

function dataSet(id: string): DataSet {
	let set = sets.get(id);
	if (!set) {
		set = ensureDataSets([id])[id];
		sets.set(id, set);
	}
	return set;
}

function fileUrl(set: DataSet, index: number): string {
	return `${origin}/files/${set.id}/${index}/${encodeURIComponent(set.files[index].name)}?X-Bench-Signature=static`;
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
	const url = new URL(req.url ?? '/', origin);
	const path = url.pathname;
	const method = req.method ?? 'GET';

	const file = /^\/files\/([^/]+)\/(\d+)\/[^/]+$/.exec(path);
	if (file && (method === 'GET' || method === 'HEAD')) return sendFile(req, res, file[1], Number(file[2]));

	if (path === '/_bench/select' && method === 'POST') {
		const dataset = url.searchParams.get('dataset') ?? '';
		dataSet(dataset);
		current = { dataset, jobMs: Number(url.searchParams.get('jobMs') ?? 0) };
		return sendJson(res, 200, current);
	}
	if (path === '/_bench/jobs') return sendJson(res, 200, jobs);
	if (path === '/_bench/reset' && method === 'POST') {
		jobs.length = 0;
		return sendJson(res, 200, {});
	}
	if (path === '/healthz') return sendJson(res, 200, { ok: true });
	if (path === '/_bench/batch' && method === 'POST') {
		const body = JSON.parse((await readBody(req)).toString('utf8') || '{}') as { ids?: unknown[] };
		received.batches++;
		for (const id of body.ids ?? []) {
			received.rows++;
			received.ids.add(String(id));
		}
		return sendJson(res, 200, { ok: true });
	}
	if (path === '/_bench/batches') return sendJson(res, 200, { batches: received.batches, rows: received.rows, distinct: received.ids.size });
	if (path === '/_bench/batches/reset' && method === 'POST') {
		received.batches = 0;
		received.rows = 0;
		received.ids = new Set();
		return sendJson(res, 200, {});
	}

	const mews = /^\/mews\/([^/]+)\/api\/connector\/v1\/(.+)$/.exec(path);
	if (mews && method === 'POST') return answerMews(req, res, mews[1], mews[2]);

	const api = /^\/4me\/([^/]+)\/v1(\/.*)$/.exec(path);
	if (api) {
		if (headerValue(req, 'authorization') !== `Bearer ${BENCH_TOKEN}`) return sendJson(res, 401, { message: 'Unauthorized' });
		const [named, jobMs = '0'] = api[1].split('@');
		const selected = named === 'current' ? current : { dataset: named, jobMs: Number(jobMs) };
		const route = api[2];
		if (method === 'POST' && route === '/export') {
			const params = await readParams(req);
			const job: Job = {
				token: `bench${jobs.length + 1}x${Date.now().toString(16)}`,
				dataset: selected.dataset,
				types: String(params.fields.type ?? ''),
				createdAt: Date.now(),
				doneAfterMs: selected.jobMs,
				polls: [],
				downloads: [],
			};
			dataSet(job.dataset);
			jobs.push(job);
			return sendJson(res, 200, { token: job.token });
		}
		const poll = /^\/export\/([^/]+)$/.exec(route);
		if (method === 'GET' && poll) {
			const job = jobs.find((candidate) => candidate.token === poll[1]);
			if (!job) return sendJson(res, 404, { message: 'Not Found' });
			const now = Date.now();
			job.polls.push(now);
			const elapsed = now - job.createdAt;
			if (elapsed < job.doneAfterMs) {
				const set = dataSet(job.dataset);
				const line = Math.floor((set.rows * elapsed) / job.doneAfterMs);
				return sendJson(res, 200, job.polls.length === 1 ? { state: 'queued' } : { state: 'processing', type: job.types.split(',')[0], line });
			}
			job.doneAnsweredAt ??= now;
			const set = dataSet(job.dataset);
			return sendJson(res, 200, { state: 'done', url: fileUrl(set, 0), expires_at: new Date(now + 2 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, '+00:00') });
		}
		if (method === 'GET' && route === '/me') return sendJson(res, 200, { id: 6, name: 'Bench', account: { id: BENCH_ACCOUNT } });
	}
	sendText(res, 404, 'not found', 'text/plain');
}

async function answerMews(req: http.IncomingMessage, res: http.ServerResponse, dataset: string, operation: string): Promise<void> {
	const body = JSON.parse((await readBody(req)).toString('utf8') || '{}') as Record<string, unknown>;
	if (body.ClientToken !== BENCH_TOKEN || body.AccessToken !== BENCH_TOKEN) return sendJson(res, 401, { Message: 'Invalid tokens.' });
	const set = dataSet(dataset === 'current' ? current.dataset : dataset);
	const exportOf = (id: string) => ({
		Id: id,
		Status: 'Success',
		EntityType: 'OrderItem',
		Files: set.files.map((file, index) => ({ Url: fileUrl(set, index), SizeInBytes: file.bytes })),
		ExpiresUtc: new Date(Date.now() + 7 * 86_400_000).toISOString(),
	});
	if (operation === 'configuration/get') return sendJson(res, 200, { NowUtc: new Date().toISOString() });
	if (operation === 'exports/add') return sendJson(res, 200, { Export: { ...exportOf(`00000000-0000-4000-8000-${String(Date.now() % 1e12).padStart(12, '0')}`), Status: 'Pending', Files: [] } });
	if (operation === 'exports/getAll') return sendJson(res, 200, { Exports: ((body.ExportIds as string[]) ?? []).map(exportOf) });
	return sendJson(res, 404, { Message: 'Not found.' });
}

function sendFile(req: http.IncomingMessage, res: http.ServerResponse, id: string, index: number): void {
	if (req.headers.authorization !== undefined) return sendText(res, 400, 'pre-signed URL: no Authorization header', 'text/plain');
	const set = dataSet(id);
	const file = set.files[index];
	if (!file) return sendText(res, 404, 'no such file', 'text/plain');
	const fullPath = join(DATA_DIR, file.path);
	const size = statSync(fullPath).size;
	const range = parseByteRange(headerValue(req, 'range'), size);
	const headers: Record<string, string | number> = {
		'Content-Type': file.contentType,
		'Content-Disposition': `attachment; filename="${file.name}"`,
		'Accept-Ranges': 'bytes',
	};
	let start = 0;
	let end = size - 1;
	let status = 200;
	if (range.kind === 'unsatisfiable') return sendText(res, 416, 'range not satisfiable', 'text/plain', { 'Content-Range': `bytes */${size}` });
	if (range.kind === 'range') {
		({ start, end } = range);
		status = 206;
		headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
	}
	headers['Content-Length'] = end - start + 1;
	res.writeHead(status, headers);
	if (req.method === 'HEAD' || size === 0) {
		res.end();
		return;
	}
	const download = { path: `${id}/${index}`, startedAt: Date.now(), endedAt: undefined as number | undefined, bytes: end - start + 1 };
	for (const job of jobs) if (job.dataset === id && job.doneAnsweredAt !== undefined && !job.downloads.length) job.downloads.push(download);
	const stream = createReadStream(fullPath, { start, end, highWaterMark: 256 * 1024 });
	stream.pipe(res);
	res.on('close', () => {
		download.endedAt = Date.now();
		stream.destroy();
	});
}

async function main() {
	const port = Number(process.env.BENCH_SERVER_PORT ?? 0);
	const server = await startServer(handle, { host: '127.0.0.1', port });
	origin = server.origin;
	console.log(JSON.stringify({ origin }));
	process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
}

if (require.main === module) {
	main().catch((error) => {
		console.error(error);
		process.exit(1);
	});
}
