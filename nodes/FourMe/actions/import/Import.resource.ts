import type { INodeProperties } from 'n8n-workflow';

import * as getImportStatus from './getImportStatus.operation';
import * as importFile from './import.operation';
import * as startImport from './startImport.operation';

export { getImportStatus, importFile, startImport };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['import'] } },
		options: [
			{
				name: 'Import (Upload, Wait and Get Results)',
				value: 'import',
				description: 'Create or update records from a CSV file or from the input items, and output how it went',
				action: 'Import records',
			},
			{
				name: 'Start Import',
				value: 'startImport',
				description: 'Upload the file and output the import\'s token at once',
				action: 'Start an import',
			},
			{
				name: 'Get Import Status',
				value: 'getImportStatus',
				description: 'Check once how an import is doing',
				action: 'Get the status of an import',
			},
		],
		default: 'import',
	},
	...importFile.description,
	...startImport.description,
	...getImportStatus.description,
];
