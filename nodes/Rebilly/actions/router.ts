import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { route, type Operations } from '../../shared/router';
import * as dataExport from './dataExport/DataExport.resource';

const operations: Operations = {
	dataExport: {
		export: { perItem: dataExport.exportRows.execute },
		create: { perItem: dataExport.create.execute },
		get: { perItem: dataExport.get.execute },
		getAll: { perItem: dataExport.getAll.execute },
		update: { perItem: dataExport.update.execute },
		delete: { perItem: dataExport.deleteExport.execute },
		download: { perItem: dataExport.download.execute },
	},
};

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return route(this, operations);
}
