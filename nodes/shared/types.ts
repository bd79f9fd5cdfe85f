import type { IDataObject, IExecuteFunctions, IPollFunctions } from 'n8n-workflow';

/** The n8n contexts the engine runs in: an action node's execute() or a trigger's poll(). */
export type EngineContext = IExecuteFunctions | IPollFunctions;

export type FileFormat = 'csv' | 'jsonl' | 'json' | 'zip' | 'xlsx' | 'unknown';

/** One file of a finished export, as the provider describes it. */
export interface ExportFile {
	url: string;
	name?: string;
	size?: number;
	format?: FileFormat;
	recordType?: string;
	/** The file is on the provider's API and needs the credential (default: a signed link, none). */
	auth?: FileAuth;
	/**
	 * Paged results: the file after this one, from this one's answer headers (Salesforce's
	 * Sforce-Locator); undefined after the last page.
	 */
	next?: (headers: Record<string, unknown>) => ExportFile | undefined;
}

/** A credential for a download, sent only to `origin` (scheme, host and port), never on a redirect elsewhere. */
export interface FileAuth {
	credentialType: string;
	origin: string;
}

/** A provider's job status, mapped onto the engine's phases. */
export type JobState =
	| { phase: 'pending' | 'running'; progress?: string }
	| {
			phase: 'done';
			files: ExportFile[];
			expiresAt?: string;
			/** The provider's answer, for what a chain or an output needs of it (a next cursor, a record count). */
			details?: IDataObject;
			/** How many records the provider says the job's files hold: the rows read are checked against it. */
			recordCount?: number;
			/** Rows the provider gives instead of files: inline in the status answer, or JSON pages. */
			rows?: () => AsyncIterable<Row[]>;
	  }
	| {
			phase: 'failed' | 'expired';
			reason: string;
			description?: string;
			/** A provider's machine-readable cause, e.g. 4me's `rate_limit_exceeded`. */
			code?: string;
	  };

export type DoneJobState = Extract<JobState, { phase: 'done' }>;
export type FailedJobState = Extract<JobState, { phase: 'failed' | 'expired' }>;
export type RunningJobState = Extract<JobState, { phase: 'pending' | 'running' }>;

export type Row = Record<string, unknown>;

/** Bytes as they arrive from a download, a zip entry or a test. */
export type ByteChunks = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
