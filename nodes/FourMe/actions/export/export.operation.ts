import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { waitForJob } from '../../../shared/job';
import { emitFiles } from './emit';
import { getExportStatus, resumeHint, startExport } from '../../helpers/exportJob';
import {
	downloadOptions,
	exportRequestFields,
	forOperations,
	optionsCollection,
	formatOption,
	localeOption,
	outputFields,
	readExportRequest,
	readSchedule,
	waitOptions,
} from './common';

export const description: INodeProperties[] = forOperations(['export'], [
	...exportRequestFields,
	...outputFields,
	optionsCollection([formatOption, localeOption, ...downloadOptions, ...waitOptions]),
]);

/** Starts an export, waits until 4me has made the file, downloads and parses it. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const request = readExportRequest(this, itemIndex);
	const output = this.getNodeParameter('output', itemIndex) as string;
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	if (request.format === 'xlsx' && output === 'rows') {
		throw new NodeOperationError(this.getNode(), 'Excel files cannot be split into rows', {
			description: 'Set "Output" to "File" for an Excel export, or choose the CSV file format.',
			itemIndex,
		});
	}

	const token = await startExport(this, request);
	if (!token) {
		this.logger.info('4me: no records changed since the given date, nothing to export');
		return [];
	}
	this.logger.info(`4me export started: ${token}`);
	const done = await waitForJob(this, {
		jobLabel: `4me export ${token}`,
		resumeHint: resumeHint(token),
		poll: async () => (await getExportStatus(this, token, request)).state,
		schedule: readSchedule(options),
	});
	return emitFiles(this, itemIndex, done, { token, types: request.types, expiresAt: done.expiresAt });
}
