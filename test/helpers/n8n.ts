/**
 * Runs n8n nodes in-process with n8n's own engine (n8n-core / n8n-workflow 2.41), the way an
 * n8n instance runs them: a real `Workflow`, `WorkflowExecute` with `ExecutionLifecycleHooks`,
 * n8n's real `this.helpers` (HTTP goes over the wire), `PollContext` + `TriggersAndPollers` for
 * polling triggers, and n8n's `RoutingNode` for credential tests.
 *
 * Only the pieces an n8n server provides from its database are stood in for here: the node-type
 * registry, the credentials store (`HarnessCredentialsHelper`, which applies credentials as
 * packages/cli/src/credentials-helper.ts does) and `additionalData`.
 * Modelled on n8n's own harness: packages/core/nodes-testing/ and
 * packages/nodes-base/test/nodes/TriggerHelpers.ts in the n8n-io/n8n monorepo.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';

import { Logger } from '@n8n/backend-common';
import { Container } from '@n8n/di';
import {
	BinaryDataService,
	Credentials,
	ExecuteContext,
	ExecutionLifecycleHooks,
	ExternalSecretsProxy,
	PollContext,
	RoutingNode,
	TriggersAndPollers,
	WorkflowExecute,
	getAdditionalKeys,
} from 'n8n-core';
import {
	ICredentialsHelper,
	LoggerProxy,
	NodeConnectionTypes,
	NodeHelpers,
	UnexpectedError,
	Workflow,
	createRunExecutionData,
	deepCopy,
	isExpression,
} from 'n8n-workflow';
import type {
	IBinaryData,
	IConnections,
	ICredentialDataDecryptedObject,
	ICredentialType,
	ICredentialsDecrypted,
	ICredentialsExpressionResolveValues,
	IDataObject,
	IExecuteData,
	IExecuteFunctions,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INode,
	INodeCredentialTestResult,
	INodeCredentials,
	INodeCredentialsDetails,
	INodeExecutionData,
	INodeParameters,
	INodeProperties,
	INodeType,
	INodeTypes,
	IRequestOptionsSimplified,
	IRun,
	IRunData,
	IVersionedNodeType,
	IWorkflowBase,
	IWorkflowDataProxyAdditionalKeys,
	IWorkflowExecuteAdditionalData,
	LogMetadata,
	WorkflowActivateMode,
	WorkflowExecuteMode,
} from 'n8n-workflow';

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/** A node class instance, e.g. `new FourMe()` (plain or versioned). */
export type NodeUnderTest = INodeType | IVersionedNodeType;

/** A credential as stored in n8n: its type definition plus the values the user entered. */
export interface TestCredential {
	type: ICredentialType;
	data: ICredentialDataDecryptedObject;
}

/** Credentials by credential type name (`ICredentialType.name`). */
export type TestCredentials = Record<string, TestCredential>;

export interface LogLine {
	level: 'error' | 'warn' | 'info' | 'debug';
	message: string;
	meta?: LogMetadata;
}

export interface ExecuteNodeOptions {
	node: NodeUnderTest;
	/** Only what a user would change: n8n fills in the node's defaults. */
	parameters?: INodeParameters;
	/** Defaults to the version n8n puts on a new node (`defaultVersion`, else the latest). */
	typeVersion?: number;
	credentials?: TestCredentials;
	/** Items the start node emits into the node (default: one empty item). */
	input?: INodeExecutionData[];
	/** The node's "On Error: Continue" setting (`onError: 'continueRegularOutput'`). */
	continueOnFail?: boolean;
	/** Stop the execution after this many ms, as the Stop button does. */
	cancelAfterMs?: number;
	/** Stop the execution when this signal aborts (an event a test waits for), as the Stop button does. */
	cancelSignal?: AbortSignal;
	/** Workflow static data. Only non-manual runs write changes back to it, as in n8n. */
	staticData?: IDataObject;
	/** 'manual' ("Execute workflow", the default) or a production mode such as 'trigger'. */
	mode?: WorkflowExecuteMode;
	/** Workflows in "n8n's database" that the node may run with this.executeWorkflow (by ID). */
	subWorkflows?: SubWorkflow[];
}

/**
 * A workflow the node under test can run as a sub-workflow, started by its
 * SUB_WORKFLOW_TRIGGER_TYPE node (n8n's "When Executed by Another Workflow", Accept All Data).
 */
export interface SubWorkflow {
	id: string;
	nodes: INode[];
	connections: IConnections;
	/** The types of its nodes besides the trigger. */
	nodeTypes: Record<string, NodeUnderTest>;
	/** n8n runs the published version outside manual runs, and refuses an unpublished one (default: published). */
	published?: boolean;
}

/** One run of a sub-workflow, as n8n would have stored it. */
export interface SubExecution {
	workflowId: string;
	executionId: string;
	mode: WorkflowExecuteMode;
	/** The items it was given. */
	inputItems: number;
	status: IRun['status'];
}

/**
 * A node's error as n8n records it in the run data: a plain copy of the thrown error's own
 * fields plus `message` and `stack` (WorkflowExecute spreads it), so not an `instanceof`
 * NodeApiError — `name` says which class was thrown.
 */
export interface RecordedError {
	name: string;
	message: string;
	description?: string | null;
	httpCode?: string | null;
	context?: IDataObject;
	node?: INode;
	stack?: string;
	[field: string]: unknown;
}

export interface ExecuteNodeResult {
	/** The node's outputs, one array per output (empty outputs as []). */
	outputs: INodeExecutionData[][];
	/** Output 0. */
	items: INodeExecutionData[];
	/**
	 * The error as n8n recorded it: the node's run error, else the execution's error. Also set
	 * when the node continued on fail (n8n then passes the input items through).
	 */
	error?: RecordedError;
	/**
	 * The engine's final status. After a cancel it is 'canceled' if the node returned, but
	 * 'error' if it threw (e.g. the AbortError of `sleep(ms, signal)`): that error is recorded.
	 */
	status: IRun['status'];
	/** Whether `cancelAfterMs` or `cancelSignal` fired before the execution finished. */
	cancelled: boolean;
	runData: IRunData;
	/** The workflow's static data after the run. */
	staticData: IDataObject;
	durationMs: number;
	/** What was logged through n8n's logger (`this.logger`, LoggerProxy) during the run. */
	logs: LogLine[];
	/** The sub-workflow runs the node started, in order. */
	subExecutions: SubExecution[];
}

export interface PollTriggerOptions {
	node: NodeUnderTest;
	parameters?: INodeParameters;
	typeVersion?: number;
	credentials?: TestCredentials;
	/** 'trigger' is a scheduled poll of an active workflow; 'manual' is "Fetch test event". */
	mode?: 'trigger' | 'manual';
	/** Pass the same object to consecutive 'trigger' polls: it persists as in an active workflow. */
	staticData?: IDataObject;
	/**
	 * Instead of `staticData`: the active workflow's static data as n8n keeps it in memory and
	 * in its database, with n8n's rules for when a poll's changes are kept and saved.
	 */
	persistence?: ActiveWorkflowStaticData;
}

export interface PollTriggerResult {
	/** Output 0 of the poll, or null when the poll found nothing (no execution is started). */
	items: INodeExecutionData[] | null;
	outputs: INodeExecutionData[][] | null;
	staticData: IDataObject;
	logs: LogLine[];
	/**
	 * With `persistence`: the poll belonged to a process that was killed (restart()) while it
	 * ran, so n8n never emitted its items and nothing it changed was kept.
	 */
	abandoned?: boolean;
	/** With `persistence`: what happened to the static data after the poll. */
	saved?: SaveOutcome;
}

// ---------------------------------------------------------------------------------------------
// Static data of an active workflow across polls and restarts
// ---------------------------------------------------------------------------------------------

/**
 * How n8n 2.41 keeps a polling trigger's static data:
 * - 'memory' (the default): the poll changes the workflow's live static data in place; it is
 *   written to the database only when the poll emits (ActiveWorkflowManager saves it as it
 *   starts the execution). A poll that throws keeps its changes in memory, unsaved.
 * - 'durable' (N8N_POLLER_DURABLE_CURSORS_ENABLED=true): the poll works on a staged copy of
 *   its node's static data, committed (and saved) when it emits or returns null
 *   (`__commitCursor`), and discarded when it throws.
 */
export type StaticDataPersistence = 'memory' | 'durable';

/** saved: written to the database; failed: the write failed (n8n logs it and goes on); killed: the process died first; none: nothing to write. */
export type SaveOutcome = 'saved' | 'failed' | 'killed' | 'none';

/**
 * The static data of one active workflow: `live` in the n8n process, `saved` in its database.
 * `restart()` models a killed process: the next n8n process starts from what the database
 * holds, and a poll still running in the dead process keeps its own copy and commits nothing.
 */
export class ActiveWorkflowStaticData {
	live: IDataObject;
	saved: IDataObject;
	/** Bumped by every restart; a poll that started in an earlier process is abandoned. */
	process = 0;
	private nextSave: 'fail' | 'kill' | undefined;

	constructor(
		readonly mode: StaticDataPersistence,
		initial: IDataObject = {},
	) {
		this.live = deepCopy(initial);
		this.saved = deepCopy(initial);
	}

	/** The n8n process dies and starts again: the live data is what the database holds. */
	restart(): void {
		this.process++;
		this.live = deepCopy(this.saved);
	}

	/** The next database write fails ('fail'), or the process dies just before it ('kill'). */
	interruptNextSave(how: 'fail' | 'kill'): void {
		this.nextSave = how;
	}

	/** Writes the live data to the database, unless an interruption was asked for. */
	save(): SaveOutcome {
		const how = this.nextSave;
		this.nextSave = undefined;
		if (how === 'fail') return 'failed';
		if (how === 'kill') {
			this.restart();
			return 'killed';
		}
		this.saved = deepCopy(this.live);
		return 'saved';
	}
}

// ---------------------------------------------------------------------------------------------
// Engine set-up: n8n-core services live in the @n8n/di Container
// ---------------------------------------------------------------------------------------------

const logSinks = new AsyncLocalStorage<LogLine[]>();
const printLogs = process.env.N8N_HARNESS_LOG === '1';

function record(level: LogLine['level'], message: string, meta?: LogMetadata) {
	logSinks.getStore()?.push({ level, message, meta });
	if (printLogs) console.error(`[n8n ${level}] ${message}`, meta ?? '');
}

/** Stands in for n8n's winston logger: nodes get it as `this.logger`, the engine via LoggerProxy. */
const capturingLogger = {
	error: (message: string, meta?: LogMetadata) => record('error', message, meta),
	warn: (message: string, meta?: LogMetadata) => record('warn', message, meta),
	info: (message: string, meta?: LogMetadata) => record('info', message, meta),
	debug: (message: string, meta?: LogMetadata) => record('debug', message, meta),
	scoped: () => capturingLogger,
};

let engineReady: Promise<void> | undefined;

/** Once per process: a throw-away n8n user folder, the logger, and binary-data storage. */
async function setUpEngine(): Promise<void> {
	engineReady ??= (async () => {
		// InstanceSettings writes its config (encryption key) and BinaryDataService its files
		// under the user folder, so point both at a temp dir that disappears with the process.
		const userFolder = mkdtempSync(join(tmpdir(), 'n8n-harness-'));
		process.on('exit', () => rmSync(userFolder, { recursive: true, force: true }));
		process.env.N8N_USER_FOLDER = userFolder;
		delete process.env.N8N_BINARY_DATA_STORAGE_PATH;
		delete process.env.N8N_STORAGE_PATH;
		// 2.41 has no in-memory binary mode: BinaryDataService only sets up the filesystem store.
		process.env.N8N_DEFAULT_BINARY_DATA_MODE = 'filesystem';

		Container.set(Logger, capturingLogger as unknown as Logger);
		LoggerProxy.init(capturingLogger);
		await Container.get(BinaryDataService).init();
	})();
	await engineReady;
}

// ---------------------------------------------------------------------------------------------
// Node types
// ---------------------------------------------------------------------------------------------

const START_NODE_TYPE = 'n8n-harness.start';
const START_NODE_NAME = 'Start';
/** The credential tester runs its request as this node type; preAuthentication checks for it. */
const NO_OP_NODE_TYPE = 'n8n-nodes-base.noOp';

/** Like n8n's Manual Trigger, but emits the items the test hands it. */
class HarnessStartNode implements INodeType {
	description = {
		displayName: 'Harness Start',
		name: START_NODE_TYPE,
		group: ['trigger'],
		version: 1,
		description: 'Emits the items given to the harness',
		defaults: { name: START_NODE_NAME },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		properties: [],
	} satisfies INodeType['description'];

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [this.getInputData()];
	}
}

const noOpNodeType: INodeType = {
	description: {
		displayName: 'No Operation, do nothing',
		name: NO_OP_NODE_TYPE,
		group: ['organization'],
		version: 1,
		description: 'No Operation',
		defaults: { name: 'No Operation, do nothing' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties: [],
	},
};

const packageName = (
	JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { name: string }
).name;

/** The type name n8n gives a community node: `<package name>.<description.name>`. */
export function nodeTypeName(node: NodeUnderTest): string {
	return `${packageName}.${node.description.name}`;
}

/** The node-type registry n8n's NodeTypes service provides, over a fixed set of types. */
export class HarnessNodeTypes implements INodeTypes {
	constructor(private readonly types: Record<string, NodeUnderTest>) {}

	getByName(nodeType: string): NodeUnderTest {
		const type = this.types[nodeType];
		if (!type) throw new UnexpectedError(`Unknown node type: ${nodeType}`);
		return type;
	}

	getByNameAndVersion(nodeType: string, version?: number): INodeType {
		return NodeHelpers.getVersionedNodeType(this.getByName(nodeType), version);
	}

	getKnownTypes(): IDataObject {
		return Object.fromEntries(
			Object.keys(this.types).map((name) => [name, { className: name, sourcePath: '' }]),
		);
	}
}

/** The version n8n gives a newly added node. */
function defaultTypeVersion(node: NodeUnderTest): number {
	if ('nodeVersions' in node) return node.currentVersion;
	const { version, defaultVersion } = node.description;
	return defaultVersion ?? (Array.isArray(version) ? Math.max(...version) : version);
}

/** The name the editor gives a new node: the version's default name, else its display name. */
function defaultNodeName(node: NodeUnderTest, typeVersion: number): string {
	const { defaults, displayName } = NodeHelpers.getVersionedNodeType(node, typeVersion).description;
	return defaults.name ?? displayName;
}

// ---------------------------------------------------------------------------------------------
// Credentials
// ---------------------------------------------------------------------------------------------

/**
 * n8n's credential store and credential application, without the database: an in-memory map
 * of credential type name → type + data. `authenticate`, `preAuthentication` and the default /
 * expression handling in `getDecrypted` follow packages/cli/src/credentials-helper.ts.
 */
export class HarnessCredentialsHelper extends ICredentialsHelper {
	constructor(private readonly credentials: TestCredentials = {}) {
		super();
	}

	private credentialType(typeName: string): ICredentialType {
		const entry = this.credentials[typeName];
		if (!entry) throw new UnexpectedError(`Unknown credential type: ${typeName}`);
		return entry.type;
	}

	getParentTypes(typeName: string): string[] {
		const parents = this.credentials[typeName]?.type.extends ?? [];
		return parents.flatMap((parent) => [parent, ...this.getParentTypes(parent)]);
	}

	isCredentialUsableByNode(credentialType: string, nodeType: string): boolean {
		const type = this.credentials[credentialType]?.type;
		if (!type?.restrictToSupportedNodes) return true;
		// supportedNodes holds short names; node types carry the package prefix.
		const shortName = nodeType.split('.').pop();
		return (type.supportedNodes ?? []).some((name) => name === nodeType || name === shortName);
	}

	/** The type's properties, parents' first (child properties win), as n8n merges them. */
	getCredentialsProperties(typeName: string): INodeProperties[] {
		const type = this.credentialType(typeName);
		if (type.extends === undefined) return type.properties;
		const combined: INodeProperties[] = [];
		for (const parent of type.extends) {
			if (this.credentials[parent]) {
				NodeHelpers.mergeNodeProperties(combined, this.getCredentialsProperties(parent));
			}
		}
		NodeHelpers.mergeNodeProperties(combined, type.properties);
		return combined;
	}

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		requestOptions: IHttpRequestOptions | IRequestOptionsSimplified,
		workflow?: Workflow,
		node?: INode,
	): Promise<IHttpRequestOptions> {
		const { authenticate } = this.credentialType(typeName);
		if (typeof authenticate === 'function') {
			return await authenticate(credentials, requestOptions as IHttpRequestOptions);
		}
		if (authenticate?.type === 'generic') {
			if (!workflow || !node) {
				throw new UnexpectedError(
					'Workflow and node are required for declarative credential authentication',
				);
			}
			requestOptions.headers ??= {};
			const resolve = (value: string) =>
				this.resolveValue(value, { $credentials: credentials }, workflow, node);
			// Each of headers / qs / body / auth gets its entries, keys and values resolved.
			for (const [target, entries] of Object.entries(authenticate.properties)) {
				const options = requestOptions as unknown as Record<string, Record<string, string>>;
				options[target] ??= {};
				for (const [key, value] of Object.entries(entries as Record<string, string>)) {
					options[target][resolve(key)] = resolve(value);
				}
			}
		}
		return requestOptions as IHttpRequestOptions;
	}

	/** `={{$credentials.x}}` through n8n's expression engine, as the server resolves it. */
	private resolveValue(
		value: string,
		additionalKeys: IWorkflowDataProxyAdditionalKeys,
		workflow: Workflow,
		node: INode,
	): string {
		if (!isExpression(value)) return value;
		const resolved = workflow.expression.getSimpleParameterValue(
			node,
			value,
			'internal',
			additionalKeys,
			undefined,
			'',
		);
		return resolved ? resolved.toString() : '';
	}

	/** Fetches a fresh token when the credential's expirable field is empty or expired. */
	async preAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
		node: INode,
		credentialsExpired: boolean,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const type = this.credentialType(typeName);
		const expirable = type.properties.find(
			(property) => property.type === 'hidden' && property.typeOptions?.expirable === true,
		);
		if (expirable === undefined || typeof type.preAuthentication !== 'function') return undefined;

		const isTestingCredentials = node?.parameters?.temp === '' && node?.type === NO_OP_NODE_TYPE;
		if (credentials[expirable.name] !== '' && !credentialsExpired && !isTestingCredentials) {
			return undefined;
		}
		const output = await type.preAuthentication.call(helpers, credentials);
		if (output[expirable.name] === undefined) return undefined;
		if (node.credentials) {
			// n8n persists the fresh token so later executions reuse it.
			const stored = this.credentials[typeName];
			stored.data = { ...stored.data, ...(output as ICredentialDataDecryptedObject) };
			return Object.assign(credentials, output);
		}
		return undefined;
	}

	async runPreAuthentication(
		helpers: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
		typeName: string,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const { preAuthentication } = this.credentialType(typeName);
		if (typeof preAuthentication !== 'function') return undefined;
		const output = await preAuthentication.call(helpers, credentials);
		return (output as ICredentialDataDecryptedObject) ?? undefined;
	}

	/** A real n8n-core `Credentials` object (encrypted with the instance key) for the stored data. */
	async getCredentials(nodeCredentials: INodeCredentialsDetails, type: string): Promise<Credentials> {
		const credentials = new Credentials({ id: nodeCredentials.id, name: nodeCredentials.name }, type);
		await credentials.setData(this.storedData(type));
		return credentials;
	}

	async getDecrypted(
		additionalData: IWorkflowExecuteAdditionalData,
		_nodeCredentials: INodeCredentialsDetails,
		type: string,
		mode: WorkflowExecuteMode,
		executeData?: IExecuteData,
		raw?: boolean,
		expressionResolveValues?: ICredentialsExpressionResolveValues,
	): Promise<ICredentialDataDecryptedObject> {
		const data = this.storedData(type);
		if (raw === true) return data;
		return await this.applyDefaultsAndOverwrites(
			additionalData,
			data,
			type,
			mode,
			executeData,
			expressionResolveValues,
		);
	}

	/** Fills in the type's defaults and resolves expressions in the values, as n8n does. */
	async applyDefaultsAndOverwrites(
		additionalData: IWorkflowExecuteAdditionalData,
		original: ICredentialDataDecryptedObject,
		type: string,
		mode: WorkflowExecuteMode,
		executeData?: IExecuteData,
		expressionResolveValues?: ICredentialsExpressionResolveValues,
	): Promise<ICredentialDataDecryptedObject> {
		const withDefaults = NodeHelpers.getNodeParameters(
			this.getCredentialsProperties(type),
			original as INodeParameters,
			true,
			false,
			null,
			null,
		) as ICredentialDataDecryptedObject;
		// Not declared as properties, so getNodeParameters drops them: n8n adds them back.
		for (const key of ['oauthTokenData', 'allowedHttpRequestDomains', 'allowedDomains']) {
			if (withDefaults[key] === undefined && original[key] !== undefined) {
				withDefaults[key] = original[key];
			}
		}

		const additionalKeys = getAdditionalKeys(additionalData, mode, null, { isCredential: true });
		if (expressionResolveValues) {
			const { workflow, runExecutionData, runIndex, itemIndex, node, connectionInputData } =
				expressionResolveValues;
			try {
				return workflow.expression.getParameterValue(
					withDefaults as INodeParameters,
					runExecutionData,
					runIndex,
					itemIndex,
					node.name,
					connectionInputData,
					mode,
					additionalKeys,
					executeData,
					false,
					withDefaults,
				) as ICredentialDataDecryptedObject;
			} catch (error) {
				(error as Error).message += ' [Error resolving credentials]';
				throw error;
			}
		}
		// Outside an execution n8n resolves them against a throw-away one-node workflow.
		const mockNode = workflowNode(noOpNodeType, NO_OP_NODE_TYPE, {});
		const workflow = buildWorkflow([mockNode], { [NO_OP_NODE_TYPE]: noOpNodeType });
		return await workflow.expression.withIsolate(
			async () =>
				workflow.expression.getComplexParameterValue(
					mockNode,
					withDefaults as INodeParameters,
					mode,
					additionalKeys,
					undefined,
					undefined,
					withDefaults,
				) as ICredentialDataDecryptedObject,
		);
	}

	async updateCredentials(
		_nodeCredentials: INodeCredentialsDetails,
		type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		this.credentials[type].data = deepCopy(data);
	}

	async updateCredentialsOauthTokenData(
		_nodeCredentials: INodeCredentialsDetails,
		type: string,
		data: ICredentialDataDecryptedObject,
	): Promise<void> {
		this.credentials[type].data = { ...this.credentials[type].data, oauthTokenData: data.oauthTokenData };
	}

	/** A copy, as each decryption in n8n yields a fresh object. */
	private storedData(type: string): ICredentialDataDecryptedObject {
		const entry = this.credentials[type];
		if (!entry) throw new UnexpectedError(`No credentials of type "${type}" were given to the harness`);
		return deepCopy(entry.data);
	}

	/** Values of the credentials' password fields: these must not leak into results. */
	secretValues(): string[] {
		return this.secretFields().map(({ value }) => value);
	}

	/** The credentials' password fields that hold a value: which field, and the value. */
	secretFields(): Array<{ type: string; field: string; value: string }> {
		return Object.keys(this.credentials).flatMap((type) => {
			const data = this.credentials[type].data;
			return this.getCredentialsProperties(type)
				.filter((property) => property.typeOptions?.password === true)
				.map((property) => ({ type, field: property.name, value: data[property.name] }))
				.filter((entry): entry is { type: string; field: string; value: string } => typeof entry.value === 'string' && entry.value.length > 0);
		});
	}
}

// ---------------------------------------------------------------------------------------------
// Workflow plumbing
// ---------------------------------------------------------------------------------------------

function buildAdditionalData(
	credentialsHelper: ICredentialsHelper,
	executionId: string,
	hooks?: ExecutionLifecycleHooks,
): IWorkflowExecuteAdditionalData {
	const baseUrl = 'http://localhost:5678';
	const unsupported = (what: string) => async () => {
		throw new UnexpectedError(`${what} is not supported by the test harness`);
	};
	return {
		credentialsHelper,
		hooks,
		executionId,
		currentNodeExecutionIndex: 0,
		externalSecretsProxy: new ExternalSecretsProxy(),
		variables: {},
		instanceBaseUrl: `${baseUrl}/`,
		restApiUrl: `${baseUrl}/rest`,
		formBaseUrl: `${baseUrl}/form`,
		formWaitingBaseUrl: `${baseUrl}/form-waiting`,
		formTestBaseUrl: `${baseUrl}/form-test`,
		webhookBaseUrl: `${baseUrl}/webhook`,
		webhookWaitingBaseUrl: `${baseUrl}/webhook-waiting`,
		webhookTestBaseUrl: `${baseUrl}/webhook-test`,
		mcpBaseUrl: `${baseUrl}/mcp`,
		mcpTestBaseUrl: `${baseUrl}/mcp-test`,
		executeWorkflow: unsupported('Executing sub-workflows'),
		getRunExecutionData: async () => undefined,
		getRuntimeCredential: async () => undefined,
		startRunnerTask: unsupported('The task runner'),
		logAiEvent: () => {},
	};
}

function nodeCredentialsFor(credentials: TestCredentials = {}): INodeCredentials {
	return Object.fromEntries(
		Object.keys(credentials).map((type) => [type, { id: `harness-${type}`, name: `${type} (test)` }]),
	);
}

interface NodeSettings {
	parameters?: INodeParameters;
	typeVersion?: number;
	credentials?: TestCredentials;
}

/** The workflow node for a node type, as the editor adds it (name, version, credentials). */
function workflowNode(nodeType: NodeUnderTest, typeName: string, settings: NodeSettings): INode {
	const typeVersion = settings.typeVersion ?? defaultTypeVersion(nodeType);
	return {
		id: randomUUID(),
		name: defaultNodeName(nodeType, typeVersion),
		type: typeName,
		typeVersion,
		position: [200, 0],
		// A copy: the Workflow constructor writes the defaults into node.parameters.
		parameters: deepCopy(settings.parameters ?? {}),
		credentials: nodeCredentialsFor(settings.credentials),
	};
}

/** `new Workflow()` applies each node type's parameter defaults (NodeHelpers.getNodeParameters). */
function buildWorkflow(
	nodes: INode[],
	nodeTypes: Record<string, NodeUnderTest>,
	connections: IConnections = {},
	staticData?: IDataObject,
): Workflow {
	return new Workflow({
		id: 'harness-workflow',
		name: 'Harness workflow',
		nodes,
		connections,
		nodeTypes: new HarnessNodeTypes(nodeTypes),
		active: false,
		staticData,
		settings: { executionOrder: 'v1' },
	});
}

function workflowData(workflow: Workflow): IWorkflowBase {
	const now = new Date();
	return {
		id: workflow.id,
		name: workflow.name ?? 'Harness workflow',
		active: workflow.active,
		isArchived: false,
		activeVersionId: null,
		createdAt: now,
		updatedAt: now,
		nodes: Object.values(workflow.nodes),
		connections: workflow.connectionsBySourceNode,
		settings: workflow.settings,
	};
}

// ---------------------------------------------------------------------------------------------
// executeNode
// ---------------------------------------------------------------------------------------------

/**
 * Runs `options.node` in a two-node workflow (harness start node → node under test) with
 * n8n's WorkflowExecute, and returns what the node produced as n8n recorded it.
 */
export async function executeNode(options: ExecuteNodeOptions): Promise<ExecuteNodeResult> {
	await setUpEngine();
	const mode = options.mode ?? 'manual';
	const { workflow, startNode, node } = startAndTestNodeWorkflow(options, mode);
	const credentialsHelper = new HarnessCredentialsHelper(copyCredentials(options.credentials));

	const executionId = randomUUID();
	const hooks = new ExecutionLifecycleHooks(mode, executionId, workflowData(workflow));
	const additionalData = buildAdditionalData(credentialsHelper, executionId, hooks);
	const subExecutions: SubExecution[] = [];
	additionalData.executeWorkflow = subWorkflowRunner(credentialsHelper, options.subWorkflows ?? [], subExecutions);
	// What n8n's own harness does: the start node is put on the stack with the input items.
	const input = deepCopy(options.input ?? [{ json: {} }]);
	const runExecutionData = createRunExecutionData({
		executionData: {
			nodeExecutionStack: [{ node: startNode, data: { main: [input] }, source: null }],
		},
	});

	const logs: LogLine[] = [];
	const startedAt = performance.now();
	const { run, cancelled } = await logSinks.run(logs, async () => {
		const execution = new WorkflowExecute(additionalData, mode, runExecutionData)
			.processRunExecutionData(workflow);
		return await settle(execution, options.cancelAfterMs, options.cancelSignal);
	});
	const durationMs = performance.now() - startedAt;

	return { ...nodeResult(run, node.name), cancelled, staticData: workflow.staticData, durationMs, logs, subExecutions };
}

export const SUB_WORKFLOW_TRIGGER_TYPE = 'n8n-nodes-base.executeWorkflowTrigger';

/** n8n's "When Executed by Another Workflow" in its Accept All Data mode: the items it is given. */
class SubWorkflowTriggerNode implements INodeType {
	description = {
		displayName: 'When Executed by Another Workflow',
		name: SUB_WORKFLOW_TRIGGER_TYPE,
		group: ['trigger'],
		version: 1,
		description: 'Emits the items the calling workflow hands it',
		defaults: { name: 'When Executed by Another Workflow' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		properties: [],
	} satisfies INodeType['description'];

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [this.getInputData()];
	}
}

/**
 * What n8n's additionalData.executeWorkflow does (packages/cli workflow-execute-additional-data.ts):
 * finds the workflow by ID (its draft in manual runs, else the published version), puts its
 * trigger on the stack with the input items, runs it with WorkflowExecute in 'integrated' mode,
 * and answers the last executed node's output, or throws the execution's error.
 */
function subWorkflowRunner(
	credentialsHelper: ICredentialsHelper,
	subWorkflows: SubWorkflow[],
	record: SubExecution[],
): IWorkflowExecuteAdditionalData['executeWorkflow'] {
	const runner: IWorkflowExecuteAdditionalData['executeWorkflow'] = async (workflowInfo, _parentData, options) => {
		const sub = subWorkflows.find((candidate) => candidate.id === workflowInfo.id);
		if (!sub) throw new UnexpectedError('Workflow does not exist.');
		const manual = options.executionMode === 'manual' || options.executionMode === 'chat';
		if (!manual && sub.published === false) throw new UnexpectedError('Workflow is not active and cannot be executed.');
		const nodes = deepCopy(sub.nodes);
		const start = nodes.find((node) => node.type === SUB_WORKFLOW_TRIGGER_TYPE);
		if (!start) throw new UnexpectedError('Missing node to start execution');
		const workflow = new Workflow({
			id: sub.id,
			name: `Sub-workflow ${sub.id}`,
			nodes,
			connections: sub.connections,
			nodeTypes: new HarnessNodeTypes({ [SUB_WORKFLOW_TRIGGER_TYPE]: new SubWorkflowTriggerNode(), ...sub.nodeTypes }),
			active: sub.published !== false,
			settings: { executionOrder: 'v1' },
		});
		const executionId = randomUUID();
		const childData = buildAdditionalData(credentialsHelper, executionId, new ExecutionLifecycleHooks('integrated', executionId, workflowData(workflow)));
		childData.executeWorkflow = runner;
		const input = options.inputData ?? [{ json: {} }];
		const runExecutionData = createRunExecutionData({
			executionData: {
				nodeExecutionStack: [{ node: start, data: { main: [input] }, metadata: { parentExecution: options.parentExecution }, source: null }],
			},
			parentExecution: options.parentExecution,
		});
		const run = await new WorkflowExecute(childData, 'integrated', runExecutionData).processRunExecutionData(workflow);
		record.push({ workflowId: sub.id, executionId, mode: options.executionMode ?? 'integrated', inputItems: input.length, status: run.status });
		if (run.finished === true || run.status === 'waiting') {
			const { lastNodeExecuted, runData } = run.data.resultData;
			const tasks = lastNodeExecuted ? runData[lastNodeExecuted] : undefined;
			return { executionId, data: tasks?.[tasks.length - 1]?.data?.main ?? [null], waitTill: run.waitTill };
		}
		const error = run.data.resultData.error;
		throw Object.assign(new Error(error?.message ?? 'The sub-workflow failed'), { executionId, workflowId: sub.id, description: error?.description });
	};
	return runner;
}

function startAndTestNodeWorkflow(options: ExecuteNodeOptions, mode: WorkflowExecuteMode) {
	const typeName = nodeTypeName(options.node);
	const startNode: INode = {
		id: randomUUID(),
		name: START_NODE_NAME,
		type: START_NODE_TYPE,
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
	};
	const node = workflowNode(options.node, typeName, options);
	if (options.continueOnFail) node.onError = 'continueRegularOutput';
	const workflow = buildWorkflow(
		[startNode, node],
		{ [START_NODE_TYPE]: new HarnessStartNode(), [typeName]: options.node },
		{ [START_NODE_NAME]: { main: [[{ node: node.name, type: NodeConnectionTypes.Main, index: 0 }]] } },
		// n8n only writes static data back after production runs: manual runs see a copy.
		runStaticData(options.staticData, mode),
	);
	return { workflow, startNode, node };
}

/** The node's first run as recorded in the execution's run data. */
function nodeResult(run: IRun, nodeName: string) {
	const { runData } = run.data.resultData;
	const task = runData[nodeName]?.[0];
	const outputs = (task?.data?.[NodeConnectionTypes.Main] ?? []).map((output) => output ?? []);
	return {
		outputs,
		items: outputs[0] ?? [],
		error: (task?.error ?? run.data.resultData.error) as RecordedError | undefined,
		status: run.status,
		runData,
	};
}

/**
 * Waits for the execution to finish. `PCancelable.cancel()` is what n8n's Stop button ends up
 * calling: it aborts the execution's AbortController (the node's getExecutionCancelSignal()),
 * and the promise still settles once the running node returns or throws.
 */
async function settle(
	execution: ReturnType<WorkflowExecute['processRunExecutionData']>,
	cancelAfterMs: number | undefined,
	cancelSignal: AbortSignal | undefined,
): Promise<{ run: IRun; cancelled: boolean }> {
	let cancelled = false;
	const cancel = () => {
		if (cancelled) return;
		cancelled = true;
		execution.cancel();
	};
	const timer = cancelAfterMs === undefined ? undefined : setTimeout(cancel, cancelAfterMs);
	if (cancelSignal?.aborted) cancel();
	cancelSignal?.addEventListener('abort', cancel, { once: true });
	try {
		return { run: await execution, cancelled };
	} finally {
		clearTimeout(timer);
		cancelSignal?.removeEventListener('abort', cancel);
	}
}

/**
 * Each run gets its own copy of the credential store: tokens a preAuthentication stores don't
 * carry over into other tests, and the caller's objects stay untouched.
 */
function copyCredentials(credentials: TestCredentials = {}): TestCredentials {
	return Object.fromEntries(
		Object.entries(credentials).map(([name, { type, data }]) => [name, { type, data: deepCopy(data) }]),
	);
}

function runStaticData(staticData: IDataObject | undefined, mode: WorkflowExecuteMode): IDataObject {
	const data = staticData ?? {};
	return mode === 'manual' ? deepCopy(data) : data;
}

// ---------------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------------

/**
 * Which credential secrets (values of password fields) appear anywhere in `value`, hidden
 * fields and error causes included. n8n 2.41 records a node's error as a spread copy, which
 * drops the HTTP client's `cause` (the request with its auth headers), so an empty list is
 * expected unless the node itself put a secret somewhere.
 */
export function findSecrets(value: unknown, credentials: TestCredentials): string[] {
	const text = inspectAll(value);
	const secrets = new HarnessCredentialsHelper(credentials).secretValues();
	return secrets.filter((secret) => text.includes(secret));
}

/**
 * Like findSecrets, but names the credential fields whose values appear (e.g. `['token']`),
 * never the values: for records that are kept or published (the fault matrix's results).
 */
export function findLeakedFields(value: unknown, credentials: TestCredentials): string[] {
	const text = inspectAll(value);
	const fields = new HarnessCredentialsHelper(credentials).secretFields();
	return [...new Set(fields.filter(({ value: secret }) => text.includes(secret)).map(({ field }) => field))];
}

/** `text` with each credential secret in it replaced by the name of its field, as `‹token›`. */
export function redactSecrets(text: string, credentials: TestCredentials): string {
	// Longest first: a secret that contains another is replaced whole.
	const fields = new HarnessCredentialsHelper(credentials).secretFields().sort((a, b) => b.value.length - a.value.length);
	return fields.reduce((redacted, { field, value }) => redacted.split(value).join(`‹${field}›`), text);
}

function inspectAll(value: unknown): string {
	return inspect(value, { depth: Infinity, showHidden: true, maxStringLength: Infinity });
}

// ---------------------------------------------------------------------------------------------
// pollTrigger
// ---------------------------------------------------------------------------------------------

/**
 * Runs a polling trigger's poll() once. 'trigger' mode goes through n8n's TriggersAndPollers
 * as the poller of an active workflow does; 'manual' calls poll() the way WorkflowExecute does
 * for "Fetch test event". Static data persists across 'trigger' polls that share `staticData`
 * (an active workflow keeps it); a manual fetch works on a copy (n8n doesn't save it).
 * With `persistence`, the poll follows n8n's rules for keeping and saving static data.
 */
export async function pollTrigger(options: PollTriggerOptions): Promise<PollTriggerResult> {
	// Taken before anything else: a restart from now on means this poll's process died.
	const persistence = options.persistence;
	const processAtStart = persistence?.process;
	const liveAtStart = persistence?.live;
	await setUpEngine();
	const mode = options.mode ?? 'trigger';
	if (persistence && mode !== 'trigger') throw new UnexpectedError('persistence is for scheduled (trigger) polls');
	const typeName = nodeTypeName(options.node);
	const staticData = liveAtStart ?? runStaticData(options.staticData, mode);
	const node = workflowNode(options.node, typeName, options);
	const workflow = buildWorkflow([node], { [typeName]: options.node }, {}, staticData);
	const credentialsHelper = new HarnessCredentialsHelper(copyCredentials(options.credentials));
	const additionalData = buildAdditionalData(credentialsHelper, randomUUID());
	const activation: WorkflowActivateMode = mode === 'manual' ? 'manual' : 'activate';
	// Durable cursors: the node's static data is a staged copy, as PollContext lets n8n give it.
	const nodeKey = `node:${node.name}`;
	const staged = persistence?.mode === 'durable' ? deepCopy((staticData[nodeKey] as IDataObject | undefined) ?? {}) : undefined;
	const context = new PollContext(
		workflow,
		node,
		additionalData,
		mode,
		activation,
		undefined,
		undefined,
		undefined,
		undefined,
		staged ? () => staged : undefined,
	);

	const logs: LogLine[] = [];
	const outputs = await logSinks.run(logs, async () => {
		if (mode === 'manual') {
			const nodeType = workflow.nodeTypes.getByNameAndVersion(node.type, node.typeVersion);
			if (!nodeType.poll) throw new UnexpectedError('Node type does not have a poll function');
			return await workflow.expression.withIsolate(async () => await nodeType.poll!.call(context));
		}
		return await workflow.expression.withIsolate(
			async () => await Container.get(TriggersAndPollers).runPollFunction(workflow, node, context),
		);
	});
	const items = outputs?.[0] ?? null;
	if (!persistence) return { items, outputs, staticData: workflow.staticData, logs };

	// A poll of a process that died meanwhile never reached n8n's emit: nothing of it is kept.
	if (persistence.process !== processAtStart) {
		return { items, outputs, staticData: workflow.staticData, logs, abandoned: true, saved: 'none' };
	}
	let saved: SaveOutcome = 'none';
	if (staged) {
		// Committed on emit and on a null return alike (a throw skipped this: the copy is dropped).
		persistence.live[nodeKey] = staged;
		saved = persistence.save();
	} else if (outputs !== null) {
		saved = persistence.save();
	}
	return { items, outputs, staticData: persistence.live, logs, saved };
}

// ---------------------------------------------------------------------------------------------
// testCredential
// ---------------------------------------------------------------------------------------------

/**
 * Tests a credential the way n8n's CredentialsTester does for a type with a `test` request:
 * defaults and expressions applied, the request built by RoutingNode from `test.request` with
 * the credential's `authenticate` applied, sent over real HTTP, then `test.rules` checked.
 */
export async function testCredential(
	type: ICredentialType,
	data: ICredentialDataDecryptedObject,
): Promise<INodeCredentialTestResult> {
	await setUpEngine();
	if (!type.test) {
		return { status: 'Error', message: 'No testing function found for this credential.' };
	}
	const credentialsHelper = new HarnessCredentialsHelper({ [type.name]: { type, data: deepCopy(data) } });
	const additionalData = buildAdditionalData(credentialsHelper, randomUUID());
	const credentialsDecrypted: ICredentialsDecrypted = {
		id: `harness-${type.name}`,
		name: `${type.name} (test)`,
		type: type.name,
	};
	try {
		credentialsDecrypted.data = await credentialsHelper.applyDefaultsAndOverwrites(
			additionalData,
			deepCopy(data),
			type.name,
			'internal',
		);
	} catch (error) {
		return { status: 'Error', message: String((error as Error).message) };
	}

	let response: INodeExecutionData[][] | null | undefined;
	try {
		response = await sendCredentialTestRequest(type, credentialsDecrypted, additionalData);
	} catch (error) {
		return credentialTestFailure(error, type);
	}
	return credentialTestBodyRules(response, type) ?? { status: 'OK', message: 'Connection successful!' };
}

/** RoutingNode on a temporary no-op node, in 'internal' mode, as CredentialsTester sets it up. */
async function sendCredentialTestRequest(
	type: ICredentialType,
	credentialsDecrypted: ICredentialsDecrypted,
	additionalData: IWorkflowExecuteAdditionalData,
): Promise<INodeExecutionData[][] | null | undefined> {
	const testNodeType = credentialTestNodeType(type);
	const node: INode = {
		...workflowNode(testNodeType, NO_OP_NODE_TYPE, {}),
		id: 'temp',
		name: 'Temp-Node',
		credentials: { [type.name]: { id: credentialsDecrypted.id, name: credentialsDecrypted.name } },
	};
	const workflow = buildWorkflow([node], { [NO_OP_NODE_TYPE]: testNodeType });
	const context = new ExecuteContext(
		workflow,
		node,
		additionalData,
		'internal',
		createRunExecutionData({ executionData: null }),
		0,
		[],
		{ main: [[{ json: {} }]] },
		{ node, data: {}, source: null },
		[],
	);
	const routingNode = new RoutingNode(context, testNodeType, credentialsDecrypted);
	return await workflow.expression.withIsolate(async () => await routingNode.runNode());
}

/** n8n's stand-in node for credential tests: a no-op whose one property routes `test.request`. */
function credentialTestNodeType(type: ICredentialType): INodeType {
	return {
		description: {
			...noOpNodeType.description,
			credentials: [{ name: type.name, required: true }],
			properties: [
				{
					displayName: 'Temp',
					name: 'temp',
					type: 'string',
					routing: { request: type.test!.request },
					default: '',
				},
			],
		},
	};
}

interface RequestFailure {
	message: string;
	cause?: { code?: string; response?: { status: number; statusText?: string } };
}

/** How CredentialsTester turns a failed test request into a result. */
function credentialTestFailure(error: unknown, type: ICredentialType): INodeCredentialTestResult {
	const failure = error as RequestFailure;
	const response = failure.cause?.response;
	if (response) {
		for (const rule of type.test?.rules ?? []) {
			if (rule.type === 'responseCode' && response.status === rule.properties.value) {
				return { status: 'Error', message: rule.properties.message };
			}
		}
		if (response.status < 199 || response.status > 299) {
			return {
				status: 'Error',
				message: response.statusText || `Received HTTP status code: ${response.status}`,
			};
		}
	} else if (failure.cause?.code) {
		return { status: 'Error', message: failure.cause.code };
	}
	return { status: 'Error', message: String(failure.message) };
}

function credentialTestBodyRules(
	response: INodeExecutionData[][] | null | undefined,
	type: ICredentialType,
): INodeCredentialTestResult | undefined {
	for (const rule of type.test?.rules ?? []) {
		if (rule.type !== 'responseSuccessBody') continue;
		const body = response?.[0]?.[0]?.json;
		if (getPath(body, rule.properties.key) === rule.properties.value) {
			return { status: 'Error', message: rule.properties.message };
		}
	}
	return undefined;
}

function getPath(value: unknown, path: string): unknown {
	return path
		.split('.')
		.reduce<unknown>((current, key) => (current as Record<string, unknown> | undefined)?.[key], value);
}

// ---------------------------------------------------------------------------------------------
// Binary data
// ---------------------------------------------------------------------------------------------

/** The bytes of an item's binary property, read back through n8n's BinaryDataService. */
export async function readBinary(item: INodeExecutionData, propertyName = 'data'): Promise<Buffer> {
	await setUpEngine();
	const binary: IBinaryData | undefined = item.binary?.[propertyName];
	if (!binary) throw new UnexpectedError(`Item has no binary property "${propertyName}"`);
	return await Container.get(BinaryDataService).getAsBuffer(binary);
}
