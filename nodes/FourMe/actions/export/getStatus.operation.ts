import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { getExportStatus } from '../../helpers/exportJob';
import { forOperations } from './common';

export const tokenField: INodeProperties = {
	displayName: 'Export Token',
	// Not named "token": it identifies a job and is no secret, so it stays readable in the editor.
	name: 'exportJob',
	type: 'string',
	default: '',
	required: true,
	placeholder: '68ef5ef0f64c012f2e4598cdb41e68',
	description: 'The token of the export, from the output of "Start Export"',
};

export const description: INodeProperties[] = forOperations(['getStatus'], [
	{ ...tokenField, hint: 'Use an expression such as {{ $json.token }}' },
]);

/** One status check. The state is 4me's: queued, processing, done (with url and expires_at) or failed. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const token = (this.getNodeParameter('exportJob', itemIndex) as string).trim();
	const status = await getExportStatus(this, token, { types: [] });
	return [{ json: status.response, pairedItem: { item: itemIndex } }];
}
