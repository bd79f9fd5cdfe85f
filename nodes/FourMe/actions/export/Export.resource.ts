import type { INodeProperties } from 'n8n-workflow';

import * as download from './download.operation';
import * as exportRows from './export.operation';
import * as getStatus from './getStatus.operation';
import * as start from './start.operation';

export { download, exportRows, getStatus, start };

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
				description: 'Export records and output them as rows or as a file, in one step',
				action: 'Export records',
			},
			{
				name: 'Start Export',
				value: 'start',
				description: 'Start an export and output its token at once, to pick up later',
				action: 'Start an export',
			},
			{
				name: 'Get Export Status',
				value: 'getStatus',
				description: 'Check once whether an export is done',
				action: 'Get the status of an export',
			},
			{
				name: 'Download Export',
				value: 'download',
				description: 'Get the rows or the file of a started export, waiting for it if needed',
				action: 'Download an export',
			},
		],
		default: 'export',
	},
	...exportRows.description,
	...start.description,
	...getStatus.description,
	...download.description,
];
