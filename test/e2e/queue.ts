// n8n in queue mode, started by the test from the machine's packages: Redis (redis-server), a
// throw-away PostgreSQL cluster (initdb / pg_ctl), one `n8n start` (main) and `n8n worker`s of the
// pinned n8n, all on 127.0.0.1 and free ports, sharing one user folder (the packed package, one
// encryption key). Everything it starts is stopped and its folders removed by stop(), also when a
// test fails; a process that exits on its own is noticed by the waits.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { freePort, installDir, n8nBin, N8nInstance, packPackage } from './n8n';

const run = promisify(execFile);

/** Every wait of the queue e2e, scaled by E2E_TIMEOUT_SCALE (e.g. 2 on a slow machine). */
export const TIMEOUT_SCALE = Number(process.env.E2E_TIMEOUT_SCALE) || 1;
export const seconds = (value: number) => value * 1000 * TIMEOUT_SCALE;

export async function waitUntil<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs: number, details: () => string = () => ''): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await check();
		if (value) return value;
		if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${details() ? `\n${details()}` : ''}`);
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
}

/** PostgreSQL's binaries: E2E_PG_BIN, else the newest /usr/lib/postgresql/<n>/bin. */
function pgBin(): string {
	if (process.env.E2E_PG_BIN) return process.env.E2E_PG_BIN;
	for (const version of [17, 16, 15, 14]) {
		const dir = `/usr/lib/postgresql/${version}/bin`;
		if (existsSync(join(dir, 'initdb'))) return dir;
	}
	throw new Error('no PostgreSQL binaries found (set E2E_PG_BIN to the folder of initdb and pg_ctl)');
}

/** One line of n8n's JSON log (N8N_LOG_FORMAT=json), or the raw text of a line that is not JSON. */
export interface LogLine {
	message: string;
	metadata?: Record<string, unknown>;
	[key: string]: unknown;
}

/** A child process whose output is kept (and written to a file in the cluster's folder). */
export class Proc {
	private text = '';
	readonly exited: Promise<number | null>;

	constructor(
		readonly name: string,
		readonly child: ChildProcess,
		private readonly logFile: string,
	) {
		const keep = (chunk: Buffer) => {
			this.text += chunk.toString();
			appendFileSync(this.logFile, chunk);
		};
		child.stdout?.on('data', keep);
		child.stderr?.on('data', keep);
		this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
	}

	get running(): boolean {
		return this.child.exitCode === null && this.child.signalCode === null;
	}

	output(): string {
		return this.text;
	}

	lines(): LogLine[] {
		return this.text
			.split('\n')
			.filter((line) => line.trim())
			.map((line) => {
				if (line.startsWith('{')) {
					try {
						const parsed = JSON.parse(line) as LogLine;
						if (typeof parsed.message === 'string') return parsed;
					} catch {
						// not one of n8n's JSON lines
					}
				}
				return { message: line };
			});
	}

	tail(count = 40): string {
		return `--- last lines of ${this.name} ---\n${this.text.split('\n').slice(-count).join('\n')}`;
	}

	/** Kills the process and its children (n8n's task runner): it leads its own process group. */
	kill(signal: NodeJS.Signals): void {
		if (!this.running || this.child.pid === undefined) return;
		try {
			process.kill(-this.child.pid, signal);
		} catch {
			this.child.kill(signal);
		}
	}

	async stop(graceMs = 10_000): Promise<void> {
		if (!this.running) {
			this.kill('SIGKILL'); // its children, if any are left
			return;
		}
		this.kill('SIGTERM');
		const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
		await this.exited;
		clearTimeout(timer);
		this.kill('SIGKILL');
	}
}

export interface ExecutionRow {
	id: string;
	workflowId: string;
	status: string;
	mode: string;
}

export class QueueCluster {
	readonly dir = mkdtempSync(join(tmpdir(), 'n8n-queue-e2e-'));
	readonly n8n = new N8nInstance();
	readonly procs: Proc[] = [];
	redisPort = 0;
	pgPort = 0;
	mainPort = 0;
	main: Proc | undefined;
	readonly workers: Proc[] = [];
	private pg: { query(sql: string, params?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>; end(): Promise<void> } | undefined;
	private pgStarted = false;
	private readonly onExit = () => this.stopPostgresSync();

	constructor() {
		process.once('exit', this.onExit);
	}

	/** Redis, PostgreSQL and the package in the user folder; then the database schema (a CLI import runs the migrations). */
	async prepare(credentials: unknown[]): Promise<void> {
		await Promise.all([this.startRedis(), this.startPostgres(), packPackage(this.dir).then((tarball) => this.n8n.installPackage(tarball))]);
		Object.assign(this.n8n.env, {
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(this.pgPort),
			DB_POSTGRESDB_DATABASE: 'postgres',
			DB_POSTGRESDB_USER: 'postgres',
			DB_POSTGRESDB_PASSWORD: '',
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: '127.0.0.1',
			QUEUE_BULL_REDIS_PORT: String(this.redisPort),
			N8N_DEFAULT_BINARY_DATA_MODE: 'database',
			N8N_DISABLED_MODULES: 'mcp-registry',
			N8N_LOG_FORMAT: 'json',
			N8N_LOG_LEVEL: 'info',
			N8N_GRACEFUL_SHUTDOWN_TIMEOUT: '5',
		});
		await this.n8n.importJson('credentials', credentials);
		const { Client } = require(join(installDir, 'node_modules', 'pg')) as { Client: new (options: object) => NonNullable<QueueCluster['pg']> & { connect(): Promise<void> } };
		const client = new Client({ host: '127.0.0.1', port: this.pgPort, user: 'postgres', database: 'postgres' });
		await client.connect();
		this.pg = client;
	}

	private spawnProc(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): Proc {
		const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
		const proc = new Proc(name, child, join(this.dir, `${name.replace(/\W+/g, '-')}.log`));
		this.procs.push(proc);
		return proc;
	}

	private async startRedis(): Promise<void> {
		this.redisPort = await freePort();
		const redis = this.spawnProc('redis', process.env.E2E_REDIS_SERVER ?? 'redis-server', ['--port', String(this.redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], process.env);
		await waitUntil(() => !redis.running || redis.output().includes('Ready to accept connections'), 'Redis', seconds(15), () => redis.tail());
		if (!redis.running) throw new Error(`redis-server exited\n${redis.tail()}`);
	}

	/** initdb refuses root: as root, the cluster belongs to the `postgres` user and its tools run as it. */
	private asPostgres(command: string, args: string[]): [string, string[]] {
		return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
	}

	private async startPostgres(): Promise<void> {
		const bin = pgBin();
		const base = join(this.dir, 'pg');
		mkdirSync(join(base, 'socket'), { recursive: true });
		if (process.getuid?.() === 0) {
			const { uid, gid } = userIds('postgres');
			chmodSync(this.dir, 0o755);
			chownSync(base, uid, gid);
			chownSync(join(base, 'socket'), uid, gid);
		}
		this.pgPort = await freePort();
		const data = join(base, 'data');
		await run(...this.asPostgres(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']));
		this.pgStarted = true;
		const options = `-p ${this.pgPort} -k ${join(base, 'socket')} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
		await run(...this.asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-l', join(base, 'server.log'), '-o', options, '-w', '-t', String(Math.ceil(seconds(30) / 1000)), 'start']));
	}

	private stopPostgresSync(): void {
		if (!this.pgStarted) return;
		this.pgStarted = false;
		try {
			const [command, args] = this.asPostgres(join(pgBin(), 'pg_ctl'), ['-D', join(this.dir, 'pg', 'data'), '-m', 'immediate', '-w', 'stop']);
			execFileSync(command, args, { stdio: 'ignore' });
		} catch {
			// already stopped
		}
	}

	async query<Row = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<Row[]> {
		if (!this.pg) throw new Error('the database is not ready');
		return (await this.pg.query(sql, params)).rows as Row[];
	}

	async importWorkflows(workflows: unknown[]): Promise<void> {
		await this.n8n.importJson('workflow', workflows);
	}

	/**
	 * Publishes imported workflows as `n8n publish:workflow` does (WorkflowRepository.publishVersion:
	 * active, and the current version as the active one), in one statement instead of one CLI run
	 * of several seconds per workflow. The main activates them when it starts.
	 */
	async publish(ids: string[]): Promise<void> {
		const rows = await this.query(`UPDATE workflow_entity SET active = true, "activeVersionId" = "versionId" WHERE id = ANY($1) RETURNING id`, [ids]);
		if (rows.length !== ids.length) throw new Error(`published ${rows.length} of ${ids.length} workflows`);
		const history = await this.query(`SELECT count(*)::int AS n FROM workflow_history WHERE "workflowId" = ANY($1)`, [ids]);
		if (Number(history[0].n) < ids.length) throw new Error('an imported workflow has no version in workflow_history');
	}

	private processEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
		return { ...this.n8n.env, ...extra };
	}

	async startWorker(index: number): Promise<Proc> {
		const [brokerPort, healthPort] = [await freePort(), await freePort()];
		const worker = this.spawnProc(`worker${index}`, process.execPath, [n8nBin, 'worker', '--concurrency=10'], this.processEnv({
			N8N_RUNNERS_BROKER_PORT: String(brokerPort),
			QUEUE_HEALTH_CHECK_ACTIVE: 'true',
			QUEUE_HEALTH_CHECK_PORT: String(healthPort),
			N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
		}));
		this.workers.push(worker);
		await waitUntil(
			async () => {
				if (!worker.running) throw new Error(`worker ${index} exited ${worker.child.exitCode}\n${worker.tail()}`);
				const answer = await fetch(`http://127.0.0.1:${healthPort}/healthz/readiness`).then((response) => (response.ok ? response.json() : undefined), () => undefined);
				return (answer as { status?: string } | undefined)?.status === 'ok';
			},
			`worker ${index} to be ready`,
			seconds(90),
			() => worker.tail(),
		);
		return worker;
	}

	/** `n8n start`; resolves when /healthz answers and the active workflows are activated. */
	async startMain(extra: NodeJS.ProcessEnv = {}): Promise<Proc> {
		if (!this.mainPort) this.mainPort = await freePort();
		const brokerPort = await freePort();
		const main = this.spawnProc(`main${this.procs.filter((proc) => proc.name.startsWith('main')).length}`, process.execPath, [n8nBin, 'start'], this.processEnv({
			N8N_PORT: String(this.mainPort),
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_RUNNERS_BROKER_PORT: String(brokerPort),
			...extra,
		}));
		this.main = main;
		await waitUntil(
			async () => {
				if (!main.running) throw new Error(`n8n main exited ${main.child.exitCode}\n${main.tail()}`);
				if (!main.output().includes('Editor is now accessible')) return false;
				return await fetch(`http://127.0.0.1:${this.mainPort}/healthz`).then((response) => response.ok, () => false);
			},
			'the main to be healthy',
			seconds(90),
			() => main.tail(),
		);
		return main;
	}

	get url(): string {
		return `http://127.0.0.1:${this.mainPort}`;
	}

	/** Which worker ran each execution: the main's "Execution N (job J) finished" lines with their workerId. */
	finishedOn(): Map<string, string> {
		const byExecution = new Map<string, string>();
		for (const proc of this.procs.filter((p) => p.name.startsWith('main'))) {
			for (const line of proc.lines()) {
				const match = /^Execution (\d+) \(job \d+\) finished/.exec(line.message);
				if (match && typeof line.metadata?.workerId === 'string') byExecution.set(match[1], line.metadata.workerId);
			}
		}
		return byExecution;
	}

	/** Executions each worker's own log says it started ("Worker started execution N"). */
	startedBy(worker: Proc): string[] {
		return worker
			.lines()
			.map((line) => /^Worker started execution (\d+)/.exec(line.message)?.[1])
			.filter((id): id is string => id !== undefined);
	}

	async executions(workflowIds: string[]): Promise<ExecutionRow[]> {
		return await this.query<ExecutionRow>(`SELECT id::text AS id, "workflowId", status, mode FROM execution_entity WHERE "workflowId" = ANY($1) ORDER BY id`, [workflowIds]);
	}

	/** The run data of an execution as n8n stored it (flatted JSON). */
	async executionData(id: string): Promise<{ resultData: { error?: { message: string; description?: string }; runData: Record<string, Array<{ error?: { message: string; description?: string } }>> } }> {
		const [row] = await this.query<{ data: string }>(`SELECT data FROM execution_data WHERE "executionId" = $1`, [id]);
		const flatted = require(join(installDir, 'node_modules', 'flatted')) as { parse(text: string): never };
		return flatted.parse(row.data);
	}

	logs(): string {
		return this.procs.filter((proc) => proc.name !== 'redis').map((proc) => proc.tail(25)).join('\n');
	}

	async stop(): Promise<void> {
		await Promise.all(this.procs.filter((proc) => proc.name !== 'redis').map((proc) => proc.stop()));
		await this.pg?.end().catch(() => undefined);
		this.stopPostgresSync();
		await Promise.all(this.procs.map((proc) => proc.stop()));
		process.removeListener('exit', this.onExit);
		this.n8n.cleanup();
		if (process.env.E2E_KEEP_LOGS) console.log(`# logs kept in ${this.dir}`);
		else rmSync(this.dir, { recursive: true, force: true });
	}
}

function userIds(name: string): { uid: number; gid: number } {
	const uid = Number(execFileSync('id', ['-u', name]).toString().trim());
	const gid = Number(execFileSync('id', ['-g', name]).toString().trim());
	return { uid, gid };
}
