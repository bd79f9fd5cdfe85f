import type { INodeProperties } from 'n8n-workflow';

import * as create from './create.operation';
import * as deleteExport from './delete.operation';
import * as download from './download.operation';
import * as exportRows from './export.operation';
import * as get from './get.operation';
import * as getAll from './getAll.operation';
import * as update from './update.operation';

export { create, deleteExport, download, exportRows, get, getAll, update };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['dataExport'] } },
		options: [
			{
				name: 'Export (Create, Wait and Get Rows)',
				value: 'export',
				description: 'Create a data export, wait until Rebilly has made its file, and output its records',
				action: 'Export records',
			},
			{ name: 'Create', value: 'create', description: 'Create a data export (or a recurring one) and output it at once', action: 'Create a data export' },
			{ name: 'Delete', value: 'delete', description: 'Delete a data export', action: 'Delete a data export' },
			{ name: 'Download', value: 'download', description: 'Get the records or file of a data export created earlier', action: 'Download a data export' },
			{ name: 'Get', value: 'get', description: 'Get a data export: its status, file and record count', action: 'Get a data export' },
			{ name: 'Get Many', value: 'getAll', description: 'List data exports', action: 'Get many data exports' },
			{ name: 'Update', value: 'update', description: 'Change a data export while it is pending', action: 'Update a data export' },
		],
		default: 'export',
	},
	...exportRows.description,
	...create.description,
	...get.description,
	...getAll.description,
	...update.description,
	...deleteExport.description,
	...download.description,
];
