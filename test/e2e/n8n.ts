// A real n8n, installed from the npm registry the way a self-hoster installs it, with this
// package installed from its `npm pack` tarball the way n8n installs community packages.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const N8N_VERSION = '2.41.1';
const root = resolve(__dirname, '../..');
// Cached between local runs, ignored by git; CI starts without it.
export const installDir = join(root, '.n8n-e2e', `n8n-${N8N_VERSION}`);
const readyMarker = join(installDir, '.ready');
export const n8nBin = join(installDir, 'node_modules', 'n8n', 'bin', 'n8n');
// The Node the tests run under (24, from the `node` devDependency) is the one n8n runs under.
export const pathWithOurNode = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;

/**
 * Installs n8n once (about 6 minutes): without install scripts (the Kafka node's downloads from
 * the internet), then compiles SQLite's binding. It uses Node-API, so headers of the machine's
 * Node (npm's `nodedir`) build a binding that Node 24 loads.
 */
export async function ensureN8nInstalled(log: (line: string) => void = () => {}): Promise<void> {
	if (existsSync(readyMarker)) return;
	mkdirSync(installDir, { recursive: true });
	writeFileSync(join(installDir, 'package.json'), JSON.stringify({ name: 'n8n-e2e', private: true }));
	const env = { ...process.env, PATH: pathWithOurNode };
	log(`installing n8n ${N8N_VERSION} into ${installDir} (several minutes, once)`);
	await run('npm', ['install', `n8n@${N8N_VERSION}`, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
		cwd: installDir,
		env,
		maxBuffer: 64 * 1024 * 1024,
	});
	log('compiling sqlite3 (about 2 minutes)');
	const nodeDir = (await run('npm', ['config', 'get', 'nodedir'], { env })).stdout.trim();
	await run(process.execPath, [nodeGyp(), 'rebuild', '-j', '2', ...(nodeDir && nodeDir !== 'undefined' ? [`--nodedir=${nodeDir}`] : [])], {
		cwd: join(installDir, 'node_modules', 'sqlite3'),
		env,
		maxBuffer: 64 * 1024 * 1024,
	});
	writeFileSync(readyMarker, new Date().toISOString());
}

/** npm's own node-gyp (npm sets npm_config_node_gyp for scripts). */
function nodeGyp(): string {
	if (process.env.npm_config_node_gyp) return process.env.npm_config_node_gyp;
	return join(dirname(require.resolve('npm/package.json', { paths: ['/usr/lib/node_modules', '/usr/local/lib/node_modules'] })), 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
}

/** `npm pack` of this package (dist/ must be built). */
export async function packPackage(destination: string): Promise<string> {
	const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', destination], { cwd: root });
	return join(destination, JSON.parse(stdout)[0].filename);
}

export interface CliResult {
	code: number;
	stdout: string;
	stderr: string;
}

/** One n8n user folder (SQLite database, community nodes, encryption key), deleted by cleanup(). */
export class N8nInstance {
	readonly userFolder = mkdtempSync(join(tmpdir(), 'n8n-e2e-'));

	readonly env: NodeJS.ProcessEnv = {
		...process.env,
		PATH: pathWithOurNode,
		N8N_USER_FOLDER: this.userFolder,
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_RUNNERS_ENABLED: 'false',
		N8N_LOG_LEVEL: 'info',
		N8N_ENCRYPTION_KEY: 'e2e-not-a-secret-key',
		N8N_SECURE_COOKIE: 'false',
	};

	/** Installs the tarball where n8n looks for community packages, as n8n's own installer does. */
	async installPackage(tarball: string): Promise<void> {
		const nodesDir = join(this.userFolder, '.n8n', 'nodes');
		mkdirSync(nodesDir, { recursive: true });
		writeFileSync(join(nodesDir, 'package.json'), JSON.stringify({ name: 'installed-nodes', private: true, dependencies: {} }));
		await run('npm', ['install', tarball, '--omit=peer', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: nodesDir, env: this.env });
	}

	cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> {
		return new Promise((resolvePromise, reject) => {
			const child = spawn(process.execPath, [n8nBin, ...args], { env: { ...this.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
			let stdout = '';
			let stderr = '';
			child.stdout.on('data', (chunk) => (stdout += chunk));
			child.stderr.on('data', (chunk) => (stderr += chunk));
			child.on('error', reject);
			child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
		});
	}

	async cliOk(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> {
		const result = await this.cli(args, extraEnv);
		if (result.code !== 0) throw new Error(`n8n ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
		return result;
	}

	async importJson(kind: 'workflow' | 'credentials', data: unknown): Promise<void> {
		const file = join(this.userFolder, `${kind}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
		writeFileSync(file, JSON.stringify(data));
		await this.cliOk([`import:${kind}`, `--input=${file}`]);
	}

	/** Runs a workflow once with `n8n execute` and returns the run data n8n prints. */
	async execute(workflowId: string): Promise<ExecutionRun> {
		const result = await this.cli(['execute', `--id=${workflowId}`, '--rawOutput']);
		const start = result.stdout.indexOf('{\n');
		if (start < 0) throw new Error(`n8n execute printed no run data (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
		// A failed run prints its error after the run data: the run data is the first JSON object.
		const text = result.stdout.slice(start);
		for (let end = text.indexOf('\n}'); end >= 0; end = text.indexOf('\n}', end + 2)) {
			if (text[end + 2] !== undefined && text[end + 2] !== '\n') continue;
			try {
				return JSON.parse(text.slice(0, end + 2)) as ExecutionRun;
			} catch {
				// not the end of the object yet
			}
		}
		try {
			return JSON.parse(text) as ExecutionRun;
		} catch (error) {
			throw new Error(`n8n execute printed run data that is not JSON (${(error as Error).message}); after it came:\n${result.stdout.slice(start).split('\n}\n').slice(1).join('\n}\n').slice(0, 2000)}\n${result.stderr.slice(-2000)}`);
		}
	}

	async nodeTypes(): Promise<Array<{ name: string }>> {
		const file = join(this.userFolder, 'nodes.json');
		await this.cliOk(['export:nodes', `--output=${file}`]);
		return JSON.parse(readFileSync(file, 'utf8'));
	}

	/** Starts `n8n start` (active workflows poll on their schedule) and waits until it is healthy. */
	async start(fixedPort?: number): Promise<RunningN8n> {
		const port = fixedPort ?? (await freePort());
		// The task broker's own port too: its default (5679) may be taken by another n8n.
		const brokerPort = await freePort();
		const child = spawn(process.execPath, [n8nBin, 'start'], {
			env: {
				...this.env,
				N8N_PORT: String(port),
				N8N_LISTEN_ADDRESS: '127.0.0.1',
				N8N_RUNNERS_BROKER_PORT: String(brokerPort),
				N8N_LOG_LEVEL: 'info',
			},
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let output = '';
		child.stdout.on('data', (chunk) => (output += chunk));
		child.stderr.on('data', (chunk) => (output += chunk));
		const stop = async () => {
			if (child.exitCode !== null) return;
			child.kill('SIGTERM');
			await new Promise((resolvePromise) => child.once('exit', resolvePromise));
		};
		const deadline = Date.now() + 90_000;
		while (Date.now() < deadline) {
			if (child.exitCode !== null) throw new Error(`n8n start exited ${child.exitCode}:\n${output}`);
			const healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then((response) => response.ok, () => false);
			if (healthy) return new RunningN8n(port, () => output, stop);
			await new Promise((resolvePromise) => setTimeout(resolvePromise, 500));
		}
		await stop();
		throw new Error(`n8n did not become healthy:\n${output}`);
	}

	/** Marks a workflow active and publishes it (n8n 2.x runs the published version). */
	async activate(workflowId: string): Promise<void> {
		await this.cliOk(['update:workflow', `--id=${workflowId}`, '--active=true']);
		await this.cliOk(['publish:workflow', `--id=${workflowId}`]);
	}

	cleanup(): void {
		rmSync(this.userFolder, { recursive: true, force: true });
	}
}

/**
 * A fresh n8n with the packed package and the credential the 4me examples use ("4me sandbox"),
 * pointing at a 4me emulator. `env`: settings for its processes.
 */
export async function n8nWithFourMeSandbox(emulator: { token: string; account: string; apiUrl: string }, env: NodeJS.ProcessEnv = {}): Promise<N8nInstance> {
	const n8n = new N8nInstance();
	Object.assign(n8n.env, env);
	await n8n.installPackage(await packPackage(n8n.userFolder));
	await n8n.importJson('credentials', [
		{ id: 'fourMeSandbox', name: '4me sandbox', type: 'fourMeApi', data: { token: emulator.token, account: emulator.account, instance: 'custom', baseUrl: emulator.apiUrl } },
	]);
	return n8n;
}

export const OWNER_LOGIN = { email: 'demo@example.com', password: 'Sandbox-Demo-1', firstName: 'Demo', lastName: 'User' };

/** A started n8n server, driven through the REST API its editor uses. */
export class RunningN8n {
	private cookie: string | undefined;

	constructor(
		readonly port: number,
		readonly logs: () => string,
		readonly stop: () => Promise<void>,
	) {}

	get url(): string {
		return `http://127.0.0.1:${this.port}`;
	}

	/** Creates the owner account of a fresh n8n. /healthz answers before the REST routes exist: retry. */
	async setUpOwner(): Promise<void> {
		for (let attempt = 0; attempt < 60; attempt++) {
			const response = await fetch(`${this.url}/rest/owner/setup`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify(OWNER_LOGIN),
			});
			if (response.ok) return;
			if (response.status !== 404) throw new Error(`owner setup: HTTP ${response.status} ${await response.text()}`);
			await new Promise((resolvePromise) => setTimeout(resolvePromise, 1000));
		}
		throw new Error('owner setup: the REST API never came up');
	}

	/** Logs in as the owner; returns the n8n-auth cookie's value. */
	async logIn(): Promise<string> {
		const response = await fetch(`${this.url}/rest/login`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ emailOrLdapLoginId: OWNER_LOGIN.email, password: OWNER_LOGIN.password }),
		});
		const cookie = response.headers.getSetCookie().find((value) => value.startsWith('n8n-auth='));
		if (!response.ok || !cookie) throw new Error(`login failed: HTTP ${response.status}`);
		this.cookie = cookie.split(';')[0].slice('n8n-auth='.length);
		return this.cookie;
	}

	private async rest(method: string, path: string, body?: unknown): Promise<{ data: unknown }> {
		const response = await fetch(`${this.url}/rest${path}`, {
			method,
			headers: { 'content-type': 'application/json', cookie: `n8n-auth=${this.cookie ?? (await this.logIn())}`, 'browser-id': 'e2e' },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		if (!response.ok) throw new Error(`${method} /rest${path}: HTTP ${response.status} ${await response.text()}`);
		return (await response.json()) as { data: unknown };
	}

	/** What the credential dialog's "Test" does: n8n runs the credential type's test request. */
	async testCredential(credentials: { name: string; type: string; data: Record<string, unknown> }): Promise<{ status: string; message: string }> {
		return (await this.rest('POST', '/credentials/test', { credentials: { id: '', ...credentials } })).data as { status: string; message: string };
	}

	/** What the editor's "Fetch Test Event" does: runs a trigger once in manual mode; returns the run. */
	async fetchTestEvent(workflowId: string, triggerName: string): Promise<ExecutionRun> {
		const started = (await this.rest('POST', `/workflows/${workflowId}/run`, {
			triggerToStartFrom: { name: triggerName },
			destinationNode: { nodeName: triggerName, mode: 'inclusive' },
		})).data as { executionId?: string };
		if (!started.executionId) throw new Error(`the manual run started no execution: ${JSON.stringify(started)}`);
		const flatted = require(join(installDir, 'node_modules', 'flatted')) as { parse(text: string): unknown };
		const deadline = Date.now() + 120_000;
		while (Date.now() < deadline) {
			const execution = (await this.rest('GET', `/executions/${started.executionId}`)).data as { finished?: boolean; status?: string; data?: string };
			if (execution.status && !['new', 'running', 'waiting'].includes(execution.status) && execution.data) {
				return { status: execution.status, data: flatted.parse(execution.data) } as ExecutionRun;
			}
			await new Promise((resolvePromise) => setTimeout(resolvePromise, 500));
		}
		throw new Error(`execution ${started.executionId} did not finish`);
	}
}

export function freePort(): Promise<number> {
	return new Promise((resolvePromise, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as { port: number };
			server.close(() => resolvePromise(port));
		});
	});
}

export interface ExecutionRun {
	data: {
		resultData: {
			error?: { message: string; description?: string };
			runData: Record<string, Array<{ error?: { message: string }; data?: { main: Array<Array<{ json: Record<string, unknown>; binary?: Record<string, { fileName?: string; mimeType?: string }> }>> } }>>;
		};
	};
	status?: string;
}

/** Items a node output in a run (output 0 of its first run). */
export function itemsOf(run: ExecutionRun, nodeName: string) {
	const nodeRuns = run.data.resultData.runData[nodeName];
	if (!nodeRuns) throw new Error(`node "${nodeName}" did not run; ran: ${Object.keys(run.data.resultData.runData).join(', ')}`);
	if (nodeRuns[0].error) throw new Error(`node "${nodeName}" failed: ${nodeRuns[0].error.message}`);
	return nodeRuns[0].data?.main[0] ?? [];
}
