/**
 * Tests of the 4me emulator's Import API, over real HTTP with the global fetch.
 * Run: node --import tsx --test test/emulators/fourme-import.test.ts
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import Papa from 'papaparse';
import { startFourMeEmulator, type FourMeEmulator, type FourMeImportJob } from './fourme';

type Json = Record<string, unknown>;

interface CallOptions {
	body?: FormData | string;
	headers?: Record<string, string>;
	/** null: no Authorization header. */
	token?: string | null;
	account?: string;
}

function call(emu: FourMeEmulator, method: string, path: string, options: CallOptions = {}): Promise<Response> {
	const headers: Record<string, string> = { ...options.headers };
	if (options.token !== null) headers.Authorization = `Bearer ${options.token ?? emu.token}`;
	if (options.account !== undefined) headers['X-4me-Account'] = options.account;
	return fetch(`${emu.apiUrl}${path}`, { method, headers, body: options.body });
}

/** The documented request: `-F type=people -F file=@people.csv` (pm:152). */
function importForm(type: string | undefined, file: Buffer | string | undefined, fileName = 'people.csv'): FormData {
	const data = new FormData();
	if (type !== undefined) data.append('type', type);
	if (file !== undefined) {
		const bytes = typeof file === 'string' ? Buffer.from(file, 'utf8') : file;
		data.append('file', new Blob([new Uint8Array(bytes)], { type: 'text/csv' }), fileName);
	}
	return data;
}

async function startImport(emu: FourMeEmulator, type: string, file: Buffer | string, fileName?: string): Promise<string> {
	const res = await call(emu, 'POST', '/import', { body: importForm(type, file, fileName) });
	const raw = await res.text();
	assert.equal(res.status, 200, raw);
	const body = JSON.parse(raw) as Json;
	assert.deepEqual(Object.keys(body), ['token']);
	assert.match(String(body.token), /^[0-9a-f]{32}$/);
	return String(body.token);
}

async function poll(emu: FourMeEmulator, token: string, options: CallOptions = {}): Promise<{ status: number; raw: string; body: Json }> {
	const res = await call(emu, 'GET', `/import/${token}`, options);
	const raw = await res.text();
	return { status: res.status, raw, body: raw ? (JSON.parse(raw) as Json) : {} };
}

async function pollToEnd(emu: FourMeEmulator, token: string): Promise<{ states: Json[]; last: Json; raw: string }> {
	const states: Json[] = [];
	for (let i = 0; i < 20; i++) {
		const { status, raw, body } = await poll(emu, token);
		assert.equal(status, 200, raw);
		states.push(body);
		if (body.state !== 'queued' && body.state !== 'processing') return { states, last: body, raw };
	}
	throw new Error(`import ${token} did not finish`);
}

async function importToEnd(emu: FourMeEmulator, type: string, file: Buffer | string, fileName?: string): Promise<{ token: string; last: Json; raw: string; job: FourMeImportJob }> {
	const token = await startImport(emu, type, file, fileName);
	const { last, raw } = await pollToEnd(emu, token);
	const job = emu.imports.find((candidate) => candidate.token === token);
	assert.ok(job);
	return { token, last, raw, job };
}

async function download(url: string): Promise<{ res: Response; text: string }> {
	const res = await fetch(url);
	return { res, text: await res.text() };
}

function stamp(date: Date): string {
	return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/-/g, ''); // 20251123T10:00:00Z
}

async function partialExport(emu: FourMeEmulator, type: string, from: Date): Promise<Array<Record<string, string>>> {
	const res = await call(emu, 'POST', '/export', { body: (() => {
		const data = new FormData();
		data.append('type', type);
		data.append('from', stamp(from));
		return data;
	})() });
	assert.equal(res.status, 200, await res.clone().text());
	const { token } = (await res.json()) as { token: string };
	for (let i = 0; i < 10; i++) {
		const answer = await call(emu, 'GET', `/export/${token}`);
		const body = (await answer.json()) as Json;
		if (body.state === 'done') {
			const { text } = await download(String(body.url));
			return Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true }).data;
		}
		assert.ok(body.state === 'queued' || body.state === 'processing', JSON.stringify(body));
	}
	throw new Error('export did not finish');
}

describe('4me emulator: import flow', () => {
	let emu: FourMeEmulator;
	before(async () => {
		emu = await startFourMeEmulator();
	});
	after(() => emu.close());
	afterEach(() => emu.faults.reset());

	it('imports people: 2 created, 1 updated by Source + Source ID, 1 failure; log file; partial export shows them', async () => {
		const now = emu.clock.now();
		// José (id 3) gets a Source and Source ID, with an old change time so only the import touches it.
		emu.records.upsert('people', { id: '3', source: 'hr', source_id: 'E-003' }, new Date(now.getTime() - 10 * 24 * 3600 * 1000));
		const from = new Date(now.getTime() - 60 * 1000);
		const file =
			'ID,Source,Source ID,Name,Primary Email,Job Title,Organization,Created At\n' +
			',hr,E-100,Ann Archer,ann.archer@widget.com,Analyst,"Widget Data Center, Internal IT @widget",2019-10-16T08:15:46-05:00\n' +
			',hr,E-101,Bob Baker,bob.baker@widget.com,"Engineer, Level 2",Widget Europe,\n' +
			',hr,E-003,José Ramírez,jose.ramirez@widget.com,Service Manager,Widget Europe,\n' +
			',hr,E-102,Carl Cole,,Analyst,Widget Europe,\n';
		const token = await startImport(emu, 'people', file);

		assert.deepEqual((await poll(emu, token)).body, { state: 'queued' });
		const processing = (await poll(emu, token)).body;
		assert.equal(processing.state, 'processing');
		assert.equal(typeof processing.line, 'number');
		const done = await poll(emu, token);
		assert.equal(done.status, 200);
		assert.deepEqual(Object.keys(done.body), ['state', 'results', 'logfile']);
		assert.equal(done.body.state, 'done');
		assert.deepEqual(done.body.results, { created: 2, updated: 1, deleted: 0, unchanged: 0, failures: 1, errors: 0 });
		// Like the export's url: & escaped as \u0026 in the JSON text.
		assert.ok(done.raw.includes('\\u0026X-Amz-Expires=172800'), done.raw);
		assert.ok(!done.raw.includes('&'));
		const logfile = new URL(String(done.body.logfile));
		assert.equal(logfile.hostname, 'localhost');
		assert.match(logfile.pathname, /^\/imports\/[0-9a-f]{32}\/wdc-\d{8}-people\.log$/);

		const job = emu.imports.find((candidate) => candidate.token === token);
		assert.ok(job);
		assert.equal(job.encoding, 'utf-8');
		assert.equal(job.delimiter, ',');
		assert.equal(job.fileName, 'people.csv');
		assert.equal(job.bytes, Buffer.byteLength(file));
		assert.equal(job.rows, 4);
		assert.deepEqual(job.columns, ['id', 'source', 'source_id', 'name', 'primary_email', 'job_title', 'organization', 'created_at']);
		assert.equal(job.polls, 3);

		// The log: no 4me credentials at the storage host, and an Authorization header is refused there.
		const log = await download(String(done.body.logfile));
		assert.equal(log.res.status, 200);
		assert.equal(log.res.headers.get('content-type'), 'text/plain; charset=utf-8');
		assert.match(log.text, /^Line 5: Primary Email can't be blank$/m);
		assert.match(log.text, /Import of people file 'people\.csv' done: 2 created, 1 updated, 0 deleted, 0 unchanged, 1 failures, 0 errors\n$/);
		assert.equal(log.text, job.logText);
		const withAuth = await fetch(String(done.body.logfile), { headers: { Authorization: `Bearer ${emu.token}` } });
		assert.equal(withAuth.status, 400);
		await withAuth.arrayBuffer();
		assert.equal((await fetch(String(done.body.logfile).replace(/X-Amz-Signature=[0-9a-f]+/, 'X-Amz-Signature=00'))).status, 403);

		// A later partial export holds exactly the imported records, under the export's column names.
		const rows = await partialExport(emu, 'people', from);
		assert.deepEqual(rows.map((row) => row.name).sort(), ['Ann Archer', 'Bob Baker', 'José Ramírez']);
		const ann = rows.find((row) => row.name === 'Ann Archer');
		assert.equal(ann?.primary_email, 'ann.archer@widget.com');
		assert.equal(ann?.organization, 'Widget Data Center, Internal IT @widget');
		assert.equal(ann?.source, 'hr');
		assert.equal(ann?.source_id, 'E-100');
		assert.ok(Number(ann?.id) > 6, 'a new id');
		assert.notEqual(ann?.created_at, '2019-10-16T08:15:46-05:00', 'Created At is read-only');
		assert.equal(rows.find((row) => row.name === 'Bob Baker')?.job_title, 'Engineer, Level 2');
		const jose = rows.find((row) => row.name === 'José Ramírez');
		assert.equal(jose?.id, '3');
		assert.equal(jose?.job_title, 'Service Manager');
		assert.equal(jose?.site, 'Amsterdam', 'a column left out of the file keeps its value');
		assert.ok(Date.parse(String(jose?.updated_at)) >= Math.floor(from.getTime() / 1000) * 1000);
		assert.equal(emu.records.count('people'), 8);
		assert.ok(emu.requests.filter((r) => r.host === 'storage' && r.headers.authorization === undefined).length >= 2);
	});

	it('matches by ID, by Source + Source ID, by Primary Email (TSV with export-style headers); counts unchanged and unknown IDs', async () => {
		const tsv =
			'id\tsource\tsource_id\tname\tprimary_email\tjob_title\tshoe_size\n' +
			'2\t\t\t"Ellen ""The Fixer"" Brown"\tellen.brown@widget.com\tService Desk Analyst\t42\n' + // equal to the seed: unchanged
			'999\t\t\tNobody\tnobody@widget.com\t\t\n' + // unknown ID: failure
			'\t\t\tHoward Tanner\tHOWARD.TANNER@widget.com\tCTO\t\n' + // e-mail, case-insensitive: update of 1
			'\tldap\tu-77\tMulti Line\tmulti.line@widget.com\tAnalyst\t\n' + // Source + Source ID unknown: a NEW record
			'\t\t\tDora Diaz\tnot-an-email\t\t\n' + // invalid e-mail: failure
			'\t\t\tEd\ted@widget.com\t\t\textra\n'; // more values than columns: error
		const { last, job } = await importToEnd(emu, 'people', tsv, 'people.tsv');
		assert.equal(job.delimiter, '\t');
		assert.equal(last.state, 'done');
		assert.deepEqual(last.results, { created: 1, updated: 1, deleted: 0, unchanged: 1, failures: 2, errors: 1 });
		assert.equal(job.columns[6], undefined, 'unknown column ignored');
		assert.match(String(job.logText), /^Header: column 'shoe_size' is not a people field and was ignored$/m);
		assert.match(String(job.logText), /^Line 3: record with ID 999 not found$/m);
		assert.match(String(job.logText), /^Line 6: Primary Email is invalid$/m);
		assert.match(String(job.logText), /^Line 7: 8 values for 7 columns$/m);
		assert.equal(emu.records.get('people', '1')?.job_title, 'CTO');
		assert.equal(emu.records.get('people', '1')?.primary_email, 'HOWARD.TANNER@widget.com');
		assert.equal(emu.records.list('people').filter((row) => row.name === 'Multi Line').length, 2, 'no fall-through to Primary Email');
	});

	it("accepts the Ruby SDK's hand-built multipart body (path in filename, no final newline) and CRLF lines", async () => {
		// Shape of code4me/4me-sdk-ruby spec/lib/sdk4me/client_spec.rb (pm:S6).
		const boundary = '0123456789ABLEWASIEREISAWELBA9876543210';
		const body =
			`--${boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\npeople\r\n` +
			`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="/tmp/fixtures/people.csv"\r\nContent-Type: text/csv\r\n\r\n` +
			'Primary Email,Name\r\nchess.cole@example.com,Chess Cole\r\ned.turner@example.com,Ed Turner' +
			`\r\n--${boundary}--`;
		const res = await call(emu, 'POST', '/import', { body, headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` } });
		assert.equal(res.status, 200, await res.clone().text());
		const { token } = (await res.json()) as { token: string };
		const { last } = await pollToEnd(emu, token);
		assert.deepEqual(last.results, { created: 2, updated: 0, deleted: 0, unchanged: 0, failures: 0, errors: 0 });
		const job = emu.imports.find((candidate) => candidate.token === token);
		assert.equal(job?.fileName, '/tmp/fixtures/people.csv');
		assert.match(String(job?.logText), /Import of people file 'people\.csv' done/);
		assert.equal(emu.records.list('people').find((row) => row.primary_email === 'ed.turner@example.com')?.name, 'Ed Turner');
	});

	it('reads UTF-16LE files with a BOM, and UTF-8 with a BOM', async () => {
		const text = 'Name,Remarks\nKyoto 京都,"Café ☕, 2nd floor"\nZürich 🚀,\n';
		const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
		const { last, job } = await importToEnd(emu, 'sites', utf16, 'sites.csv');
		assert.equal(job.encoding, 'utf-16le');
		assert.equal(last.state, 'done');
		assert.deepEqual(last.results, { created: 2, updated: 0, deleted: 0, unchanged: 0, failures: 0, errors: 0 });
		const kyoto = emu.records.list('sites').find((row) => row.name === 'Kyoto 京都');
		assert.equal(kyoto?.remarks, 'Café ☕, 2nd floor');

		const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Name,Remarks\nKyoto 京都,"Café ☕, 2nd floor"\n')]);
		const again = await importToEnd(emu, 'sites', bom, 'sites.csv');
		assert.equal(again.job.encoding, 'utf-8-bom');
		assert.deepEqual(again.last.results, { created: 0, updated: 0, deleted: 0, unchanged: 1, failures: 0, errors: 0 });
	});

	it('ends in error on invalid UTF-8, after applying the rows before it', async () => {
		const file = Buffer.concat([
			Buffer.from('Name,Remarks\nGood Site,first\n'),
			Buffer.from([0x42, 0x61, 0x64, 0x20, 0xff, 0x2c, 0x0a]), // "Bad \xff,\n" on line 3
			Buffer.from('Later Site,never\n'),
		]);
		const { last, job } = await importToEnd(emu, 'sites', file, 'sites.csv');
		assert.deepEqual(Object.keys(last), ['state', 'message', 'results', 'logfile']);
		assert.equal(last.state, 'error');
		assert.equal(last.message, 'Invalid byte sequence in UTF-8 on line 3');
		assert.deepEqual(last.results, { created: 1, updated: 0, deleted: 0, unchanged: 0, failures: 0, errors: 1 });
		assert.equal(job.rows, 1);
		const log = await download(String(last.logfile));
		assert.equal(log.res.status, 200);
		assert.match(log.text, /^Error: Invalid byte sequence in UTF-8 on line 3\n.*aborted: 1 created/m);
		const names = emu.records.list('sites').map((row) => row.name);
		assert.ok(names.includes('Good Site'));
		assert.ok(!names.includes('Later Site'));
	});

	it('ends in error when the header names no known field, and on broken quoting', async () => {
		const header = await importToEnd(emu, 'people', 'Shoe Size,Colour\n42,red\n');
		assert.equal(header.last.state, 'error');
		assert.equal(header.last.message, 'Header on line 1 names no known people field');
		assert.deepEqual(header.last.results, { created: 0, updated: 0, deleted: 0, unchanged: 0, failures: 0, errors: 1 });

		const quoting = await importToEnd(emu, 'teams', 'Name,Remarks\nAlpha,"ok"\nBeta,"open\nGamma,x\n');
		assert.equal(quoting.last.state, 'error');
		assert.equal(quoting.last.message, 'Unclosed quoted field on line 3');
		assert.equal((quoting.last.results as Json).created, 1);
	});

	it('refuses a bad request: unknown type 422, missing file 422, no token 401, no right 403, unknown account 404', async () => {
		const unknown = await call(emu, 'POST', '/import', { body: importForm('changes', 'Name\nx\n') });
		assert.equal(unknown.status, 422);
		const body = (await unknown.json()) as Json;
		assert.match(String(body.message), /changes/);
		assert.deepEqual(body.errors, [['type', "'changes' is not a valid import type"]]);

		const missing = await call(emu, 'POST', '/import', { body: importForm('people', undefined) });
		assert.equal(missing.status, 422);
		assert.deepEqual(((await missing.json()) as Json).errors, [['file', "can't be blank"]]);
		const textField = new FormData();
		textField.append('type', 'people');
		textField.append('file', 'Name\nx\n'); // a text field, not a file part
		const asText = await call(emu, 'POST', '/import', { body: textField });
		assert.equal(asText.status, 422);
		assert.equal((((await asText.json()) as Json).errors as string[][])[0][0], 'file');
		const noType = await call(emu, 'POST', '/import', { body: importForm(undefined, 'Name\nx\n') });
		assert.deepEqual(((await noType.json()) as Json).errors, [['type', "can't be blank"]]);

		const anonymous = await call(emu, 'POST', '/import', { body: importForm('people', 'Name\nx\n'), token: null });
		assert.equal(anonymous.status, 401);
		assert.deepEqual(await anonymous.json(), { message: 'Unauthorized' });
		for (const token of [emu.tokenWithoutExportScope, emu.tokenWithoutImportScope]) {
			const forbidden = await call(emu, 'POST', '/import', { body: importForm('people', 'Name\nx\n'), token });
			assert.equal(forbidden.status, 403);
			assert.match(String(((await forbidden.json()) as Json).message), /import/);
		}
		assert.equal((await call(emu, 'POST', '/import', { body: importForm('people', 'Name\nx\n'), account: 'nope' })).status, 404);
		assert.equal((await poll(emu, '0'.repeat(32))).status, 404);
	});

	it('applies the rate-limit and server-error faults to import endpoints', async () => {
		emu.faults.rateLimit(1, 7);
		const limited = await call(emu, 'POST', '/import', { body: importForm('sites', 'Name\nRate Site\n') });
		assert.equal(limited.status, 429);
		assert.equal(limited.headers.get('retry-after'), '7');
		await limited.arrayBuffer();
		const token = await startImport(emu, 'sites', 'Name\nRate Site\n');
		emu.faults.serverError(1, 503);
		assert.equal((await poll(emu, token)).status, 503);
		assert.equal((await poll(emu, token)).status, 200);
	});

	it('importError fault: ends in error with that message after the given rows; consumed once', async () => {
		emu.faults.importError('Too many import failures', 1);
		const file = 'Name\nFault One\nFault Two\nFault Three\n';
		const failed = await importToEnd(emu, 'teams', file, 'teams.csv');
		assert.equal(failed.last.state, 'error');
		assert.equal(failed.last.message, 'Too many import failures');
		assert.deepEqual(failed.last.results, { created: 1, updated: 0, deleted: 0, unchanged: 0, failures: 0, errors: 1 });
		assert.match(String(failed.job.logText), /^Error: Too many import failures$/m);
		const next = await importToEnd(emu, 'teams', file, 'teams.csv');
		assert.equal(next.last.state, 'done');
		assert.deepEqual(next.last.results, { created: 2, updated: 0, deleted: 0, unchanged: 1, failures: 0, errors: 0 });
	});

	it('applies rows while processing; pollsUntilDone is shared with exports', async () => {
		emu.faults.pollsUntilDone(4);
		const rows = Array.from({ length: 8 }, (_, i) => `Progress ${i}`);
		const token = await startImport(emu, 'sites', `Name\n${rows.join('\n')}\n`);
		const count = () => emu.records.list('sites').filter((row) => row.name.startsWith('Progress ')).length;
		assert.equal((await poll(emu, token)).body.state, 'queued');
		assert.equal(count(), 0);
		const second = (await poll(emu, token)).body;
		assert.deepEqual(second, { state: 'processing', line: 3 });
		assert.equal(count(), 2);
		await poll(emu, token);
		await poll(emu, token);
		assert.equal((await poll(emu, token)).body.state, 'done');
		assert.equal(count(), 8);

		emu.faults.pollsUntilDone(0);
		const quick = await startImport(emu, 'sites', 'Name\nQuick\n');
		assert.equal((await poll(emu, quick)).body.state, 'done');
	});

	it('forgets a finished job 5 minutes later (404), while the log file stays valid for 48 hours', async () => {
		const { token, last } = await importToEnd(emu, 'sites', 'Name\nClock Site\n', 'sites.csv');
		assert.deepEqual((await poll(emu, token)).body, last, 'same answer on a later poll');
		assert.equal((await poll(emu, token, { account: emu.otherAccount })).status, 404);
		emu.clock.advance(5 * 60 * 1000 + 1000);
		const gone = await poll(emu, token);
		assert.equal(gone.status, 404);
		assert.deepEqual(gone.body, { message: 'Not Found' });
		assert.equal((await download(String(last.logfile))).res.status, 200);
		emu.clock.advance(48 * 3600 * 1000);
		const expired = await download(String(last.logfile));
		assert.equal(expired.res.status, 403);
		assert.match(expired.text, /Request has expired/);
	});
});
