import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { collectJob, emitJob } from '../../../shared/exportJob';
import { fourMeExportJob, usableUrl } from '../../helpers/exportJob';
import { downloadOptions, forOperations, optionsCollection, outputFields, readOutput, startAtRowOption, waitOptions } from './common';

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
	optionsCollection([...downloadOptions, startAtRowOption, ...waitOptions]),
]);

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const value = (this.getNodeParameter('exportJob', itemIndex) as string).trim();
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	if (!value) {
		throw new NodeOperationError(this.getNode(), '"Export Token or Download URL" is empty', { itemIndex });
	}
	const job = fourMeExportJob(this, options);
	const output = readOutput(this, itemIndex, options);
	if (!/^https?:\/\//i.test(value)) return collectJob(this, job, value, output);
	// A download URL outlives the token: there is no job to ask for a new link.
	const url = usableUrl(value);
	const byUrl = { ...job, resumeHint: () => 'Start a new export to get a fresh download link.', freshFiles: async () => undefined };
	const files = [{ url, name: new URL(url).pathname.split('/').pop() }];
	return emitJob(this, byUrl, { id: '', done: { phase: 'done', files } }, output);
}
