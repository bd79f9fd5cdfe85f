// Deterministic data sets for the benchmarks, written once to bench/out/data/ and reused while
// the generator version and the files' sizes match (bench/out/data/manifest.json).
//
// - CSV: a 4me-like `requests` export (16 columns, 4me's quoting and spreadsheet-injection guard
//   via the emulator's fourMeCsvField; commas, quotes, line breaks and non-ASCII names in values).
//   The 100k / 500k / 1M / 5M-row files are prefixes of one row sequence (about 20 MB, 100 MB,
//   207 MB and 1 GB).
// - JSON Lines: Mews-like `OrderItem` records (nested amounts, nulls, escaped text) split over
//   several files, as Mews' exports/getAll hands out several file URLs.
// - Zip: what 4me sends for an export of three record types: one CSV per type, deflated.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';

import { fourMeCsvField } from '../test/emulators/fourme';

export const DATA_DIR = join(__dirname, 'out', 'data');
const GENERATOR_VERSION = 4;

export interface DataFile {
	/** Path inside DATA_DIR. */
	path: string;
	/** The name the provider gives the file (URL path, Content-Disposition). */
	name: string;
	contentType: string;
	bytes: number;
	rows: number;
}

export interface DataSet {
	id: string;
	kind: 'csv' | 'jsonl' | 'zip';
	rows: number;
	bytes: number;
	files: DataFile[];
	/** Record types of a zip (4me names one CSV per type). */
	types?: string[];
	description: string;
}

export const CSV_ROWS = { '1k': 1_000, '100k': 100_000, '500k': 500_000, '1m': 1_000_000, '5m': 5_000_000 } as const;

// ---------------------------------------------------------------------------------------------
// 4me-like rows

const DAY = 86_400_000;
const BASE_MS = Date.UTC(2026, 0, 1);
const CATEGORIES = ['incident', 'rfc', 'rfi', 'complaint', 'compliment', 'other'];
const IMPACTS = ['low', 'medium', 'high', 'top'];
const STATUSES = ['assigned', 'accepted', 'in_progress', 'waiting_for', 'waiting_for_customer', 'completed', 'declined'];
const TEAMS = ['Service Desk, Tier 1', 'Network', 'Workplace', 'Applications "Core"', 'Datacenter'];
const FIRST = ['Howard', 'Ellen', 'José', 'Zoë', 'Taro', 'Amara', 'Lars', 'Mei', 'Pieter', 'Sofia', 'Ahmed'];
const LAST = ['Tanner', 'Brown', 'Ramírez', 'Smith', 'Yamada', 'Okafor', 'Nielsen', 'Chen', 'de Vries', 'Rossi', 'Haddad'];
const SERVICES = ['Laptop Support (Europe)', 'VPN, Remote Access', 'E-mail', 'ERP "Finance"', 'Printing', 'Wi-Fi'];
const ORGS = ['Widget Data Center, Internal IT', 'Widget Europe', 'Widget North America', 'Widget Asia Pacific'];
const SITES = ['Houston', 'Amsterdam', 'Tokyo', 'São Paulo', 'London', 'Zürich'];
const PRODUCTS = ['Dell Latitude 7440', 'HP LaserJet M507', 'Cisco ASR 1001-X', 'NetApp AFF A250, 2U'];

function personName(n: number): string {
	return `${FIRST[n % FIRST.length]} ${LAST[Math.floor(n / FIRST.length) % LAST.length]}`;
}

/** `2026-01-01T12:00:00Z`, as in 4me exports. */
function isoSeconds(ms: number): string {
	return new Date(ms).toISOString().slice(0, 19) + 'Z';
}

function subject(i: number): string {
	if (i % 50 === 7) return `VPN drops every hour\nsince the update (#${i})`;
	if (i % 25 === 3) return `Error "E${i}" when logging in`;
	if (i % 40 === 11) return `=HYPERLINK("http://example.com/${i}")`;
	if (i % 45 === 13) return `-${i % 9} degrees in server room`;
	if (i % 10 === 1) return `Printer on floor ${i % 7}, room ${i} jams`;
	return `Request ${i}: laptop ${i % 3 === 0 ? 'replacement' : 'is slow'}`;
}

const REQUEST_COLUMNS = [
	'id', 'source', 'source_id', 'subject', 'category', 'impact', 'status', 'team', 'member', 'requested_by',
	'requested_for', 'service_instance', 'organization', 'created_at', 'updated_at', 'completed_at',
];

function requestFields(i: number): string[] {
	const updated = BASE_MS + i * 7_919;
	const created = updated - (i % 90) * DAY;
	const status = STATUSES[i % 7];
	return [
		String(100_000 + i),
		i % 10 === 0 ? 'monitoring' : '',
		i % 10 === 0 ? `MON-${i}` : '',
		subject(i),
		CATEGORIES[i % 6],
		IMPACTS[i % 4],
		status,
		TEAMS[i % 5],
		personName(i * 7 + 3),
		personName(i),
		personName(i + (i % 3)),
		SERVICES[i % 6],
		ORGS[i % 4],
		isoSeconds(created),
		isoSeconds(updated),
		status === 'completed' ? isoSeconds(updated) : '',
	];
}

const PEOPLE_COLUMNS = ['id', 'name', 'primary_email', 'job_title', 'organization', 'site', 'manager', 'disabled', 'created_at', 'updated_at'];

function personFields(i: number): string[] {
	const updated = BASE_MS + i * 11_113;
	return [
		String(500_000 + i),
		personName(i),
		`person${i}@widget.com`,
		i % 30 === 5 ? '+ Contractor' : i % 7 === 2 ? 'Analyst, Level 2' : 'Service Desk Analyst',
		ORGS[i % 4],
		SITES[i % 6],
		personName(i >> 4),
		i % 97 === 0 ? 'true' : 'false',
		isoSeconds(updated - (i % 400) * DAY),
		isoSeconds(updated),
	];
}

const CI_COLUMNS = ['id', 'label', 'name', 'product', 'status', 'site', 'support_team', 'serial_nr', 'remarks', 'created_at', 'updated_at'];

function ciFields(i: number): string[] {
	const updated = BASE_MS + i * 13_007;
	return [
		String(900_000 + i),
		`CI-${String(i).padStart(7, '0')}`,
		`${PRODUCTS[i % 4]} #${i}`,
		PRODUCTS[i % 4],
		i % 11 === 0 ? 'being_repaired' : 'in_production',
		SITES[i % 6],
		TEAMS[i % 5],
		`SN${(i * 2_654_435_761) >>> 0}`,
		i % 20 === 4 ? 'Line one\nline two, with comma' : '',
		isoSeconds(updated - (i % 700) * DAY),
		isoSeconds(updated),
	];
}

const csvLine = (fields: string[]) => fields.map(fourMeCsvField).join(',') + '\n';

// ---------------------------------------------------------------------------------------------
// Mews-like OrderItem records

/** A 32-bit mix (murmur3's finalizer): deterministic ids that look random. */
function mix(n: number): number {
	let h = n >>> 0;
	h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
	h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
	return (h ^ (h >>> 16)) >>> 0;
}

function hex8(n: number): string {
	return n.toString(16).padStart(8, '0');
}

function guid(seed: number, kind: number): string {
	const a = hex8(mix(seed * 16 + kind));
	const b = hex8(mix(seed * 16 + kind + 0x9e3779b9));
	const c = hex8(mix(seed ^ (kind << 24)));
	return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-a${c.slice(1, 4)}-${c.slice(4)}${a.slice(0, 4)}${b.slice(0, 4)}`;
}

function money(value: number, withTax: boolean) {
	const net = Math.round(value * 100) / 100;
	const tax = Math.round(net * 21) / 100;
	const gross = Math.round((net + tax) * 100) / 100;
	return withTax ? { Currency: 'EUR', NetValue: net, GrossValue: gross, TaxValues: [{ Code: 'NL-2019-H', Value: tax }] } : { Currency: 'EUR', NetValue: net, GrossValue: gross };
}

/** About 700 bytes of JSON, shaped like a Mews OrderItem export record. */
function orderItem(i: number) {
	const consumed = BASE_MS + i * 5_003;
	const canceled = i % 37 === 0;
	const unit = 80 + (i % 120);
	return {
		Id: guid(i, 1),
		EnterpriseId: guid(i % 3, 2),
		AccountId: guid(i % 50_000, 3),
		AccountType: i % 9 === 0 ? 'Company' : 'Customer',
		ServiceId: guid(i % 4, 4),
		ServiceOrderId: guid(Math.floor(i / 3), 5),
		BillId: i % 5 === 0 ? null : guid(Math.floor(i / 4), 6),
		Type: i % 6 === 0 ? 'CityTax' : 'ServiceRevenue',
		State: canceled ? 'Canceled' : 'Closed',
		UnitCount: 1 + (i % 3),
		UnitAmount: money(unit, false),
		Amount: money(unit * (1 + (i % 3)), true),
		Notes: i % 13 === 0 ? `Late check-out, "VIP" guest ${personName(i)}\nbilled to company` : null,
		ConsumedUtc: new Date(consumed).toISOString(),
		ClosedUtc: new Date(consumed + DAY).toISOString(),
		CanceledUtc: canceled ? new Date(consumed - DAY).toISOString() : null,
		UpdatedUtc: new Date(consumed + DAY).toISOString(),
		Data: { Discriminator: 'Product', Value: { ProductId: guid(i % 40, 8) } },
	};
}

// ---------------------------------------------------------------------------------------------
// Writing

const BATCH_ROWS = 10_000;

class Writer {
	private readonly fd: number;
	bytes = 0;
	constructor(readonly tmpPath: string) {
		this.fd = openSync(tmpPath, 'w');
	}
	write(text: string | Buffer): void {
		const buffer = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
		writeSync(this.fd, buffer);
		this.bytes += buffer.length;
	}
	close(finalPath: string): void {
		closeSync(this.fd);
		renameSync(this.tmpPath, finalPath);
	}
}

/** The request CSVs that are prefixes of one row sequence, written in one pass. */
function writeRequestCsvs(targets: Array<{ path: string; rows: number }>): Map<string, number> {
	const sorted = [...targets].sort((a, b) => a.rows - b.rows);
	const max = sorted[sorted.length - 1].rows;
	const writers = sorted.map((target) => ({ ...target, writer: new Writer(`${target.path}.tmp`) }));
	const header = csvLine(REQUEST_COLUMNS);
	for (const { writer } of writers) writer.write(header);
	for (let start = 0; start < max; start += BATCH_ROWS) {
		const end = Math.min(max, start + BATCH_ROWS);
		const lines: string[] = [];
		for (let i = start; i < end; i++) lines.push(csvLine(requestFields(i)));
		const buffer = Buffer.from(lines.join(''), 'utf8');
		for (const { rows, writer } of writers) {
			if (start >= rows) continue;
			writer.write(rows >= end ? buffer : lines.slice(0, rows - start).join(''));
		}
	}
	const sizes = new Map<string, number>();
	for (const { path, writer } of writers) {
		writer.close(path);
		sizes.set(path, writer.bytes);
	}
	return sizes;
}

function csvText(columns: string[], fields: (i: number) => string[], rows: number): Buffer {
	const parts: Buffer[] = [Buffer.from(csvLine(columns))];
	for (let start = 0; start < rows; start += BATCH_ROWS) {
		let text = '';
		for (let i = start; i < Math.min(rows, start + BATCH_ROWS); i++) text += csvLine(fields(i));
		parts.push(Buffer.from(text, 'utf8'));
	}
	return Buffer.concat(parts);
}

/** A plain zip (deflated entries, no data descriptors), as 4me's export zip. */
function writeZip(path: string, entries: Array<{ name: string; data: Buffer }>): number {
	const writer = new Writer(`${path}.tmp`);
	const central: Buffer[] = [];
	const dosTime = 0; // 00:00:00
	const dosDate = ((2026 - 1980) << 9) | (1 << 5) | 1; // 2026-01-01
	for (const entry of entries) {
		const name = Buffer.from(entry.name, 'utf8');
		const compressed = deflateRawSync(entry.data, { level: 6 });
		const crc = crc32(entry.data);
		const offset = writer.bytes;
		const local = Buffer.alloc(30);
		local.writeUInt32LE(0x04034b50, 0);
		local.writeUInt16LE(20, 4);
		local.writeUInt16LE(0x0800, 6); // UTF-8 names
		local.writeUInt16LE(8, 8); // deflate
		local.writeUInt16LE(dosTime, 10);
		local.writeUInt16LE(dosDate, 12);
		local.writeUInt32LE(crc, 14);
		local.writeUInt32LE(compressed.length, 18);
		local.writeUInt32LE(entry.data.length, 22);
		local.writeUInt16LE(name.length, 26);
		local.writeUInt16LE(0, 28);
		writer.write(local);
		writer.write(name);
		writer.write(compressed);
		const record = Buffer.alloc(46);
		record.writeUInt32LE(0x02014b50, 0);
		record.writeUInt16LE(20, 4);
		record.writeUInt16LE(20, 6);
		record.writeUInt16LE(0x0800, 8);
		record.writeUInt16LE(8, 10);
		record.writeUInt16LE(dosTime, 12);
		record.writeUInt16LE(dosDate, 14);
		record.writeUInt32LE(crc, 16);
		record.writeUInt32LE(compressed.length, 20);
		record.writeUInt32LE(entry.data.length, 24);
		record.writeUInt16LE(name.length, 28);
		record.writeUInt32LE(offset, 42);
		central.push(record, name);
	}
	const centralStart = writer.bytes;
	const centralDir = Buffer.concat(central);
	writer.write(centralDir);
	const end = Buffer.alloc(22);
	end.writeUInt32LE(0x06054b50, 0);
	end.writeUInt16LE(entries.length, 8);
	end.writeUInt16LE(entries.length, 10);
	end.writeUInt32LE(centralDir.length, 12);
	end.writeUInt32LE(centralStart, 16);
	writer.write(end);
	writer.close(path);
	return writer.bytes;
}

// ---------------------------------------------------------------------------------------------
// Data set catalogue

const FILE_DATE = '20261123';
const ACCOUNT = 'wdc';

function rowsLabel(rows: number): string {
	return rows >= 1_000_000 ? `${rows / 1_000_000}m` : `${rows / 1000}k`;
}

export function csvDataSetId(rows: number): string {
	return `csv-${rowsLabel(rows)}`;
}

/** JSON Lines split like a Mews export: at least 4 files, at most 100,000 records per file. */
function jsonlFileRows(rows: number): number[] {
	const files = Math.max(4, Math.ceil(rows / 100_000));
	const per = Math.ceil(rows / files);
	return Array.from({ length: files }, (_, f) => Math.min(per, rows - f * per)).filter((n) => n > 0);
}

/** The three types of the zip and their share of the rows. */
const ZIP_TYPES: Array<{ type: string; columns: string[]; fields: (i: number) => string[]; share: number }> = [
	{ type: 'cis', columns: CI_COLUMNS, fields: ciFields, share: 0.3 },
	{ type: 'people', columns: PEOPLE_COLUMNS, fields: personFields, share: 0.2 },
	{ type: 'requests', columns: REQUEST_COLUMNS, fields: requestFields, share: 0.5 },
];

interface Manifest {
	version: number;
	sets: Record<string, DataSet>;
}

function readManifest(): Manifest {
	const path = join(DATA_DIR, 'manifest.json');
	try {
		const manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
		if (manifest.version === GENERATOR_VERSION) return manifest;
	} catch {
		// none yet
	}
	return { version: GENERATOR_VERSION, sets: {} };
}

function writeManifest(manifest: Manifest): void {
	writeFileSync(join(DATA_DIR, 'manifest.json'), JSON.stringify(manifest, null, 2));
}

function intact(set: DataSet | undefined): set is DataSet {
	return !!set && set.files.every((file) => existsSync(join(DATA_DIR, file.path)) && statSync(join(DATA_DIR, file.path)).size === file.bytes);
}

/**
 * Makes sure the named data sets exist (csv-100k, csv-500k, csv-1m, csv-5m, jsonl-100k,
 * jsonl-1m, zip-100k, zip-1m); returns them. `log` reports what is generated.
 */
export function ensureDataSets(ids: string[], log: (line: string) => void = () => {}): Record<string, DataSet> {
	mkdirSync(DATA_DIR, { recursive: true });
	const manifest = readManifest();
	const missing = ids.filter((id) => !intact(manifest.sets[id]));
	const csvMissing = missing.filter((id) => id.startsWith('csv-'));
	if (csvMissing.length) {
		const started = Date.now();
		const targets = csvMissing.map((id) => {
			const rows = CSV_ROWS[id.slice(4) as keyof typeof CSV_ROWS];
			if (!rows) throw new Error(`unknown data set ${id}`);
			return { id, rows, path: join(DATA_DIR, `${id}.csv`) };
		});
		log(`generating ${csvMissing.join(', ')} ...`);
		const sizes = writeRequestCsvs(targets);
		for (const target of targets) {
			const bytes = sizes.get(target.path) as number;
			const name = `${FILE_DATE}-requests-${ACCOUNT}.csv`;
			manifest.sets[target.id] = {
				id: target.id,
				kind: 'csv',
				rows: target.rows,
				bytes,
				files: [{ path: `${target.id}.csv`, name, contentType: 'text/csv', bytes, rows: target.rows }],
				description: `4me-like requests CSV, ${REQUEST_COLUMNS.length} columns`,
			};
		}
		log(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
		writeManifest(manifest);
	}
	for (const id of missing.filter((id) => id.startsWith('jsonl-'))) {
		const started = Date.now();
		const rows = CSV_ROWS[id.slice(6) as keyof typeof CSV_ROWS];
		if (!rows) throw new Error(`unknown data set ${id}`);
		log(`generating ${id} ...`);
		const files: DataFile[] = [];
		let first = 0;
		const exportId = guid(rows, 9);
		jsonlFileRows(rows).forEach((count, index) => {
			const path = `${id}-${index + 1}.jsonl`;
			const writer = new Writer(join(DATA_DIR, `${path}.tmp`));
			for (let start = first; start < first + count; start += BATCH_ROWS) {
				let text = '';
				for (let i = start; i < Math.min(first + count, start + BATCH_ROWS); i++) text += JSON.stringify(orderItem(i)) + '\n';
				writer.write(text);
			}
			writer.close(join(DATA_DIR, path));
			files.push({ path, name: `${exportId}-${index + 1}.jsonl`, contentType: 'application/octet-stream', bytes: writer.bytes, rows: count });
			first += count;
		});
		manifest.sets[id] = {
			id,
			kind: 'jsonl',
			rows,
			bytes: files.reduce((sum, file) => sum + file.bytes, 0),
			files,
			description: `Mews-like OrderItem JSON Lines, ${files.length} files`,
		};
		log(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
		writeManifest(manifest);
	}
	for (const id of missing.filter((id) => id.startsWith('zip-'))) {
		const started = Date.now();
		const rows = CSV_ROWS[id.slice(4) as keyof typeof CSV_ROWS];
		if (!rows) throw new Error(`unknown data set ${id}`);
		log(`generating ${id} ...`);
		let left = rows;
		const entries = ZIP_TYPES.map((spec, index) => {
			const count = index === ZIP_TYPES.length - 1 ? left : Math.round(rows * spec.share);
			left -= count;
			return { name: `${FILE_DATE}-${spec.type}-${ACCOUNT}.csv`, data: csvText(spec.columns, spec.fields, count), rows: count };
		});
		const path = `${id}.zip`;
		const bytes = writeZip(join(DATA_DIR, path), entries);
		manifest.sets[id] = {
			id,
			kind: 'zip',
			rows,
			bytes,
			files: [{ path, name: `${FILE_DATE}-export-${ACCOUNT}.zip`, contentType: 'application/zip', bytes, rows }],
			types: ZIP_TYPES.map((spec) => spec.type),
			description: `4me-like zip of 3 CSVs (${entries.map((e) => `${e.rows.toLocaleString('en-US')} ${e.name.split('-')[1]}`).join(', ')}; ${(entries.reduce((s, e) => s + e.data.length, 0) / 1e6).toFixed(0)} MB inflated)`,
		};
		log(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
		writeManifest(manifest);
	}
	return Object.fromEntries(ids.map((id) => [id, manifest.sets[id]]));
}

/** A short fingerprint of a data set (sizes, first and last MB of every file), to show that runs used the same bytes. */
export function fingerprint(set: DataSet): string {
	const hash = createHash('sha256');
	for (const file of set.files) {
		const fd = openSync(join(DATA_DIR, file.path), 'r');
		const length = Math.min(1 << 20, file.bytes);
		const buffer = Buffer.alloc(length);
		hash.update(String(file.bytes));
		for (const position of [0, file.bytes - length]) {
			readSync(fd, buffer, 0, length, position);
			hash.update(buffer);
		}
		closeSync(fd);
	}
	return hash.digest('hex').slice(0, 12);
}

if (require.main === module) {
	const ids = process.argv.slice(2);
	const sets = ensureDataSets(ids.length ? ids : ['csv-100k'], (line) => console.log(line));
	for (const set of Object.values(sets)) console.log(`${set.id}: ${set.rows} rows, ${(set.bytes / 1e6).toFixed(1)} MB, ${set.files.length} file(s) — ${set.description}`);
}
