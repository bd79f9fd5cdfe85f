import type { IDataObject, IExecuteFunctions, IExecuteWorkflowInfo, INodeExecutionData, IPairedItemData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { asNodeError, describeError } from './errors';
import type { RowSink } from './output';
import type { Row } from './types';

// Output "Rows in Batches to a Sub-workflow": n8n keeps every item of an execution in memory, so
// an export of millions of rows reaches a workflow only in pieces. Each batch is one execution of
// the user's sub-workflow, awaited before the next rows are read; the node outputs a summary.

export interface BatchSpec {
	workflow: IExecuteWorkflowInfo & { id: string };
	size: number;
	/** Put `_batch` and `_jobId` on every row the sub-workflow receives. */
	addBatchFields: boolean;
}

/** The job whose rows are being sent, as errors name it. */
export interface BatchJob {
	id: string;
	/** "Mews export 7f3e…". */
	label: string;
	/** How to pick the job up again (its id, the operation to use). */
	resumeHint: string;
}

export const BATCH_FIELD = '_batch';
export const JOB_ID_FIELD = '_jobId';

export class SubWorkflowBatches {
	private batch: INodeExecutionData[] = [];
	private batches = 0;
	private rowsSent = 0;
	private readonly jobIds: string[] = [];
	private files = 0;
	private lastExecutionId: string | undefined;
	private readonly startedAt = Date.now();
	/** The error of a batch the sub-workflow failed: it passes the reading loop unchanged. */
	private failed: NodeOperationError | undefined;

	constructor(
		private readonly ctx: IExecuteFunctions,
		private readonly spec: BatchSpec,
		private readonly pairedItem: IPairedItemData,
	) {}

	/** Rows handed on to the sub-workflow so far (every job of a chain). */
	get rows(): number {
		return this.rowsSent + this.batch.length;
	}

	/**
	 * Sends the rows `read` gives of one job, in batches; the job's last batch is sent before this
	 * returns (a batch never spans two jobs). `skipped`: the job's rows passed over (Start at Row).
	 * Any failure says how far the rows got and where to start again.
	 */
	async sendJob(job: BatchJob, skipped: number, files: number, read: (sink: RowSink) => Promise<void>): Promise<void> {
		this.jobIds.push(job.id);
		this.files += files;
		const progress = { job, skipped, sentOfJob: 0 };
		const sink: RowSink = async (rows) => {
			for (const row of rows) {
				this.batch.push({ json: (this.spec.addBatchFields ? this.withBatchFields(row, job.id) : row) as IDataObject });
				if (this.batch.length >= this.spec.size) progress.sentOfJob += await this.send(progress);
			}
		};
		try {
			await read(sink);
			if (this.batch.length) progress.sentOfJob += await this.send(progress);
		} catch (error) {
			this.batch = [];
			if (this.failed && error === this.failed) throw this.failed;
			throw this.stoppedError(error, progress);
		}
	}

	/** The node's one output item. */
	summary(): INodeExecutionData {
		return {
			json: {
				jobId: this.jobIds[this.jobIds.length - 1] ?? null,
				...(this.jobIds.length > 1 ? { jobIds: this.jobIds } : {}),
				subWorkflowId: this.spec.workflow.id,
				batches: this.batches,
				rows: this.rowsSent,
				files: this.files,
				lastSubExecutionId: this.lastExecutionId ?? null,
				seconds: Math.round((Date.now() - this.startedAt) / 100) / 10,
			},
			pairedItem: this.pairedItem,
		};
	}

	private withBatchFields(row: Row, jobId: string): Row {
		return { ...row, [BATCH_FIELD]: this.batches + 1, [JOB_ID_FIELD]: jobId };
	}

	/** Runs the sub-workflow on the batch and waits for it; returns the rows sent. */
	private async send(progress: { job: BatchJob; skipped: number; sentOfJob: number }): Promise<number> {
		const items = this.batch;
		this.batch = [];
		const number = this.batches + 1;
		const ctx = this.ctx;
		let result: Awaited<ReturnType<IExecuteFunctions['executeWorkflow']>>;
		try {
			result = await ctx.executeWorkflow(this.spec.workflow, items, undefined, {
				parentExecution: { executionId: ctx.getExecutionId(), workflowId: ctx.getWorkflow().id ?? '', shouldResume: true },
				executionMode: ctx.getMode(),
			});
		} catch (error) {
			throw (this.failed = this.failedBatchError(error, number, items.length, progress));
		}
		if (result.waitTill) {
			const waited = new Error('it went into a wait (a Wait node or a form), and batches need a sub-workflow that finishes');
			throw (this.failed = this.failedBatchError(waited, number, items.length, progress));
		}
		this.batches = number;
		this.rowsSent += items.length;
		this.lastExecutionId = result.executionId;
		ctx.setMetadata({ subExecution: { executionId: result.executionId, workflowId: this.spec.workflow.id }, subExecutionsCount: number });
		ctx.logger.debug(`Batch ${number} (${items.length} rows) handed to sub-workflow ${this.spec.workflow.id}: execution ${result.executionId}`);
		return items.length;
	}

	private failedBatchError(error: unknown, number: number, size: number, progress: { job: BatchJob; skipped: number; sentOfJob: number }) {
		const first = progress.skipped + progress.sentOfJob + 1;
		const said = describeError(error);
		return new NodeOperationError(
			this.ctx.getNode(),
			`The sub-workflow failed on batch ${number} (rows ${first}–${first + size - 1} of ${progress.job.label})`,
			{
				description:
					`It said: "${said}". ${this.handedOnSoFar(progress)} ` +
					`To go on with this batch once the sub-workflow is mended: ${progress.job.resumeHint} Set the option Start at Row to ${first}.`,
			},
		);
	}

	private stoppedError(error: unknown, progress: { job: BatchJob; skipped: number; sentOfJob: number }) {
		const nodeError = asNodeError(this.ctx.getNode(), error);
		const next = progress.skipped + progress.sentOfJob + 1;
		const resume = progress.sentOfJob ? ` To go on from there, set the option Start at Row to ${next}.` : '';
		nodeError.description = [nodeError.description, `${this.handedOnSoFar(progress)}${resume}`].filter(Boolean).join(' ');
		return nodeError;
	}

	private handedOnSoFar(progress: { job: BatchJob; sentOfJob: number }): string {
		const batches = this.batches;
		if (!batches) return 'No batch had been handed on before.';
		return `Before it, ${this.rowsSent} rows went to the sub-workflow in ${batches} batch${batches === 1 ? '' : 'es'} (${progress.sentOfJob} of them from ${progress.job.label}).`;
	}
}
