import type { INodeProperties } from 'n8n-workflow';

import * as exportRows from './export.operation';
import * as getResult from './getResult.operation';
import * as getStatus from './getStatus.operation';
import * as start from './start.operation';

export { exportRows, getResult, getStatus, start };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['job'] } },
		options: [
			{
				name: 'Export (Start, Wait and Get Rows)',
				value: 'export',
				description: 'Start an export job, check its status until it is done, and output its rows or files',
				action: 'Export records',
			},
			{ name: 'Get Result', value: 'getResult', description: 'Wait for a job started earlier and output its rows or files', action: 'Get the result of a job' },
			{ name: 'Get Status', value: 'getStatus', description: 'Check the status of a job once', action: 'Get the status of a job' },
			{ name: 'Start Job', value: 'start', description: 'Start an export job and output its reference at once', action: 'Start a job' },
		],
		default: 'export',
	},
	...exportRows.description,
	...start.description,
	...getStatus.description,
	...getResult.description,
];
