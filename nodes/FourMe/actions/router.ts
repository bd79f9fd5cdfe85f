import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { route, type Operations } from '../../shared/router';
import * as exportResource from './export/Export.resource';
import * as importResource from './import/Import.resource';

const operations: Operations = {
	export: {
		export: { perItem: exportResource.exportRows.execute },
		start: { perItem: exportResource.start.execute },
		getStatus: { perItem: exportResource.getStatus.execute },
		download: { perItem: exportResource.download.execute },
	},
	import: {
		import: { allItems: importResource.importFile.executeAll },
		startImport: { allItems: importResource.startImport.executeAll },
		getImportStatus: { perItem: importResource.getImportStatus.execute },
	},
};

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return route(this, operations);
}
