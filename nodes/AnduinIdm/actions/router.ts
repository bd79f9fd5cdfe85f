import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { route, type Operations } from '../../shared/router';
import * as exportResource from './export/Export.resource';

const operations: Operations = {
	export: {
		exportAll: { perItem: exportResource.exportAll.execute },
		start: { perItem: exportResource.start.execute },
		getStatus: { perItem: exportResource.getStatus.execute },
		download: { perItem: exportResource.download.execute },
	},
};

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return route(this, operations);
}
