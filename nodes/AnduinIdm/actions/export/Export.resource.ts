import type { INodeProperties } from 'n8n-workflow';

import * as download from './download.operation';
import * as exportAll from './exportAll.operation';
import * as getStatus from './getStatus.operation';
import * as start from './start.operation';

export { download, exportAll, getStatus, start };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['export'] } },
		options: [
			{
				name: 'Export All (Follow Cursors)',
				value: 'exportAll',
				description: 'Export every object of a type: start a job, wait, read its file, and go on with its next cursor until the last',
				action: 'Export all objects',
			},
			{
				name: 'Start Export',
				value: 'start',
				description: 'Start one export job (optionally from a cursor) and output its request ID at once',
				action: 'Start an export',
			},
			{
				name: 'Get Request Status',
				value: 'getStatus',
				description: 'Get the status, progress, file URL and next cursor of a request',
				action: 'Get the status of a request',
			},
			{
				name: 'Download',
				value: 'download',
				description: 'Get the rows or the file of one export job by its request ID, waiting for it if needed',
				action: 'Download an export',
			},
		],
		default: 'exportAll',
	},
	...exportAll.description,
	...start.description,
	...getStatus.description,
	...download.description,
];
