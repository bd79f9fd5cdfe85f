import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { waitForJob } from '../../../shared/job';
import type { DoneJobState } from '../../../shared/types';
import { getExportStatus, resumeHint, usableUrl } from '../../helpers/exportJob';
import { downloadOptions, forOperations, optionsCollection, outputFields, readSchedule, waitOptions } from './common';
import { emitFiles } from './emit';

export const description: INodeProperties[] = forOperations(['download'], [
	{
		displayName: 'Export Token or Download URL',
		name: 'exportJob',
		type: 'string',
		default: '',
		required: true,
		description:
			'The token from "Start Export" (the node waits until the export is done), or the download URL from "Get Export Status" (valid for 2 days; 4me forgets a token 5 minutes after the export finished)',
		hint: 'Use an expression such as {{ $json.token }} or {{ $json.url }}',
	},
	...outputFields,
	optionsCollection([...downloadOptions, ...waitOptions]),
]);

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const value = (this.getNodeParameter('exportJob', itemIndex) as string).trim();
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	if (!value) {
		throw new NodeOperationError(this.getNode(), '"Export Token or Download URL" is empty', { itemIndex });
	}
	if (/^https?:\/\//i.test(value)) {
		const url = usableUrl(value);
		const done: DoneJobState = { phase: 'done', files: [{ url, name: new URL(url).pathname.split('/').pop() }] };
		return emitFiles(this, itemIndex, done, {});
	}
	const done = await waitForJob(this, {
		jobLabel: `4me export ${value}`,
		resumeHint: resumeHint(value),
		poll: async () => (await getExportStatus(this, value, { types: [] })).state,
		schedule: readSchedule(options),
	});
	return emitFiles(this, itemIndex, done, { token: value, expiresAt: done.expiresAt });
}
