import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { binaryToBuffer } from '@n8n/backend-network';
import type { Readable } from 'node:stream';

import { openDownload } from '../../nodes/shared/download';
import type { EngineContext } from '../../nodes/shared/types';

const FILE = Buffer.alloc(48 * 1024 * 1024);
for (let i = 0; i < FILE.length; i += 4) FILE.writeUInt32LE((i * 2654435761) >>> 0, i);
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A file host on 127.0.0.1 that honours Range and can break the next transfer after some bytes. */
function fileHost() {
	const state = { breakAfter: 0, ranges: [] as string[], sent: 0, closedEarly: 0 };
	const server: Server = createServer((req, res) => {
		const range = /bytes=(\d+)-/.exec(req.headers.range ?? '');
		if (range) state.ranges.push(req.headers.range as string);
		const start = range ? Number(range[1]) : 0;
		res.writeHead(range ? 206 : 200, { 'content-length': FILE.length - start, 'content-type': 'application/octet-stream' });
		const breakAt = state.breakAfter ? start + state.breakAfter : Infinity;
		state.breakAfter = 0;
		let offset = start;
		state.sent = 0;
		res.on('close', () => {
			if (!res.writableFinished) state.closedEarly++;
		});
		const pump = () => {
			while (offset < FILE.length) {
				if (offset >= breakAt) {
					req.socket.destroy();
					return;
				}
				const end = Math.min(offset + 64 * 1024, FILE.length, breakAt);
				const ok = res.write(FILE.subarray(offset, end));
				state.sent += end - offset;
				offset = end;
				if (!ok) {
					res.once('drain', pump);
					return;
				}
			}
			res.end();
		};
		pump();
	});
	return { server, state };
}

const logs: string[] = [];
const ctx = {
	getNode: () => ({ id: 'download-test', name: 'Download', type: 'test', typeVersion: 1, position: [0, 0], parameters: {} }),
	logger: { info: (message: string) => logs.push(message), debug: () => {}, warn: () => {}, error: () => {} },
	getExecutionCancelSignal: () => undefined,
} as unknown as EngineContext;

describe('openDownload', () => {
	const host = fileHost();
	let url = '';
	before(async () => {
		host.server.listen(0, '127.0.0.1');
		await once(host.server, 'listening');
		url = `http://127.0.0.1:${(host.server.address() as AddressInfo).port}/exports/file.bin`;
	});
	after(() => host.server.close());

	it('hands n8n a Readable that its binary stores read byte for byte (buffer modes and the file store)', async () => {
		// Memory, S3, Azure and database modes read the stream with binaryToBuffer ('data' events)...
		const inMemory = await binaryToBuffer((await openDownload(ctx, url)).readable() as Readable);
		assert.equal(sha(inMemory), sha(FILE));
		// ...the filesystem mode writes it with fs.promises.writeFile (async iteration).
		const path = join(tmpdir(), `download-test-${process.pid}.bin`);
		try {
			await writeFile(path, (await openDownload(ctx, url)).readable() as Readable);
			assert.equal(sha(await readFile(path)), sha(FILE));
		} finally {
			await rm(path, { force: true });
		}
	});

	it('resumes a transfer that broke off with a Range request, also when n8n stores the file', async () => {
		host.state.breakAfter = 5 * 1024 * 1024;
		host.state.ranges.length = 0;
		const data = await binaryToBuffer((await openDownload(ctx, url, { expectedBytes: FILE.length })).readable() as Readable);
		assert.equal(sha(data), sha(FILE));
		assert.equal(host.state.ranges.length, 1);
		assert.ok(logs.some((line) => /broke after \d+ bytes/.test(line)));
	});

	it('stops reading from the network while the consumer is busy', async () => {
		const download = await openDownload(ctx, url);
		const iterator = download.chunks[Symbol.asyncIterator]();
		await iterator.next();
		await sleep(400);
		// Unthrottled, all 48 MB would be sent by now; the read-ahead is 4 MB plus socket buffers.
		assert.ok(host.state.sent < 24 * 1024 * 1024, `the host sent ${host.state.sent} bytes to a consumer that took one chunk`);
		let received = 0;
		for (let next = await iterator.next(); !next.done; next = await iterator.next()) received += next.value.length;
		assert.ok(received > FILE.length - 1024 * 1024);
	});

	it('closes the connection when the consumer stops early', async () => {
		const closedBefore = host.state.closedEarly;
		const download = await openDownload(ctx, url);
		for await (const chunk of download.chunks) {
			assert.ok(chunk.length > 0);
			break;
		}
		for (let waited = 0; host.state.closedEarly === closedBefore && waited < 2000; waited += 20) await sleep(20);
		assert.equal(host.state.closedEarly, closedBefore + 1);
	});

	it('fails with the announced size when the file is shorter, without retrying the whole file', async () => {
		const download = await openDownload(ctx, url, { expectedBytes: FILE.length + 10, errorContext: 'Export job 42' });
		await assert.rejects(binaryToBuffer(download.readable() as Readable), (error: Error & { description?: string }) => {
			assert.match(error.message, /has \d+ bytes, but the provider announced \d+/);
			assert.equal(error.description, 'Export job 42');
			return true;
		});
	});
});

describe('openDownload: file names', () => {
	const server: Server = createServer((req, res) => {
		const disposition = req.url?.startsWith('/named') ? { 'content-disposition': 'attachment; filename="Q3 100% done.csv"' } : {};
		res.writeHead(200, { 'content-type': 'text/csv', ...disposition });
		res.end('id\n1\n');
	});
	let origin = '';
	before(async () => {
		server.listen(0, '127.0.0.1');
		await once(server, 'listening');
		origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	});
	after(() => server.close());

	it('keeps a name with a bare % as it is, and decodes a percent-encoded one', async () => {
		const named = await openDownload(ctx, `${origin}/named`);
		assert.equal(named.fileName, 'Q3 100% done.csv');
		(named.readable() as Readable).resume();
		const bare = await openDownload(ctx, `${origin}/exports/50%off.csv`);
		assert.equal(bare.fileName, '50%off.csv');
		(bare.readable() as Readable).resume();
		const encoded = await openDownload(ctx, `${origin}/exports/caf%C3%A9%20list.csv`);
		assert.equal(encoded.fileName, 'café list.csv');
		(encoded.readable() as Readable).resume();
	});
});
