import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { route, type Operations } from '../../shared/router';
import * as job from './job/Job.resource';

const operations: Operations = {
	job: {
		export: { perItem: job.exportRows.execute },
		start: { perItem: job.start.execute },
		getStatus: { perItem: job.getStatus.execute },
		getResult: { perItem: job.getResult.execute },
	},
};

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return route(this, operations);
}
