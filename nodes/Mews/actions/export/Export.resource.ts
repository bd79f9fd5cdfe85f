import type { INodeProperties } from 'n8n-workflow';

import * as add from './add.operation';
import * as download from './download.operation';
import * as exportRows from './export.operation';
import * as getAll from './getAll.operation';

export { add, download, exportRows, getAll };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['export'] } },
		options: [
			{
				name: 'Export (Start, Wait and Get Rows)',
				value: 'export',
				description: 'Export records and output them as rows or as files, in one step',
				action: 'Export records',
			},
			{
				name: 'Add Export',
				value: 'add',
				description: 'Start an export and output its ID at once, to pick up later',
				action: 'Add an export',
			},
			{
				name: 'Get Exports',
				value: 'getAll',
				description: 'Get the status and files of exports by their IDs',
				action: 'Get exports',
			},
			{
				name: 'Download Export',
				value: 'download',
				description: 'Get the rows or files of a started export, waiting for it if needed',
				action: 'Download an export',
			},
		],
		default: 'export',
	},
	...exportRows.description,
	...add.description,
	...getAll.description,
	...download.description,
];
