/**
 * Sub-workflows for the tests of Output "Rows in Batches to a Sub-workflow": n8n's trigger
 * "When Executed by Another Workflow" followed by a node that records each batch it gets (and
 * can fail a batch, or take its time), ending with one small item as a sub-workflow should.
 */
import { randomUUID } from 'node:crypto';

import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType } from 'n8n-workflow';

import { SUB_WORKFLOW_TRIGGER_TYPE, type SubWorkflow } from './n8n';

const RECORD_BATCH_TYPE = 'n8n-harness.recordBatch';

export interface BatchRecorder {
	/** The rows of each batch, in the order the sub-workflow got them. */
	batches: IDataObject[][];
	/** Fail the batch with this number (1-based) once. */
	failBatch?: number;
	/** Each batch takes this long. */
	delayMs?: number;
	/** Called with each batch before it is recorded (e.g. to look at the download meanwhile). */
	onBatch?: (batch: number, rows: IDataObject[]) => void | Promise<void>;
}

export function batchRecorder(settings: Omit<BatchRecorder, 'batches'> = {}): BatchRecorder {
	return { batches: [], ...settings };
}

/** Every row the sub-workflow got, all batches in order. */
export function recordedRows(recorder: BatchRecorder): IDataObject[] {
	return recorder.batches.flat();
}

function recordBatchNode(recorder: BatchRecorder): INodeType {
	return {
		description: {
			displayName: 'Record Batch',
			name: RECORD_BATCH_TYPE,
			group: ['transform'],
			version: 1,
			description: 'Records the batch it gets',
			defaults: { name: 'Record Batch' },
			inputs: [NodeConnectionTypes.Main],
			outputs: [NodeConnectionTypes.Main],
			properties: [],
		},
		async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
			const rows = this.getInputData().map((item) => item.json);
			const batch = recorder.batches.length + 1;
			await recorder.onBatch?.(batch, rows);
			if (recorder.delayMs) await new Promise((resolve) => setTimeout(resolve, recorder.delayMs));
			if (recorder.failBatch === batch) {
				recorder.failBatch = undefined;
				throw new NodeOperationError(this.getNode(), `The database refused batch ${batch} (test)`);
			}
			recorder.batches.push(rows);
			return [[{ json: { rows: rows.length } }]];
		},
	};
}

/** A sub-workflow with this ID that records what it gets. */
export function recordingSubWorkflow(id: string, recorder: BatchRecorder, settings: { published?: boolean } = {}): SubWorkflow {
	const trigger = { id: randomUUID(), name: 'When Executed by Another Workflow', type: SUB_WORKFLOW_TRIGGER_TYPE, typeVersion: 1, position: [0, 0] as [number, number], parameters: {} };
	const record = { id: randomUUID(), name: 'Record Batch', type: RECORD_BATCH_TYPE, typeVersion: 1, position: [200, 0] as [number, number], parameters: {} };
	return {
		id,
		nodes: [trigger, record],
		connections: { [trigger.name]: { main: [[{ node: record.name, type: NodeConnectionTypes.Main, index: 0 }]] } },
		nodeTypes: { [RECORD_BATCH_TYPE]: recordBatchNode(recorder) },
		published: settings.published,
	};
}
