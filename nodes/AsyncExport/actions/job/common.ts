import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { ExportJob } from '../../../shared/exportJob';
import { genericJob, type GenericRequest } from '../../helpers/job';
import { readSpec } from '../../helpers/spec';

/** The credential the user chose (None: requests go without one). */
export function credentialTypeOf(ctx: IExecuteFunctions): string | undefined {
	const authentication = ctx.getNodeParameter('authentication', 0, 'none') as string;
	return authentication === 'none' ? undefined : authentication;
}

/** The job an operation runs: `parts` says which of the start and status fields it has. */
export function jobOf(
	ctx: IExecuteFunctions,
	itemIndex: number,
	options: IDataObject,
	parts: { start: boolean; status: boolean; reference?: string },
): ExportJob<GenericRequest> {
	return genericJob(ctx, readSpec(ctx, itemIndex, options, parts), options, credentialTypeOf(ctx));
}
