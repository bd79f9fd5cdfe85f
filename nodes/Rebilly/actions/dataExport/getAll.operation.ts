import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { header } from '../../../shared/retry';
import { EXPORTS_PATH, type DataExport } from '../../helpers/exportJob';
import { rebillyRequest } from '../../transport';
import { forOperations, optionsCollection } from './common';

// parameters/collectionLimit.yaml and collectionOffset.yaml: both 0..1000.
const MAX_LIMIT = 1000;
const MAX_OFFSET = 1000;

export const description: INodeProperties[] = forOperations(['getAll'], [
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: MAX_LIMIT },
		default: 50,
		description: 'Max number of results to return',
		displayOptions: { show: { returnAll: [false] } },
	},
	optionsCollection([
		{
			displayName: 'Filter',
			name: 'filter',
			type: 'string',
			default: '',
			placeholder: 'resource:transactions;status:completed',
			description: 'Rebilly\'s filter syntax over the exports\' fields (resource, status, name, format, …)',
		},
		{ displayName: 'Sort', name: 'sort', type: 'string', default: '', placeholder: '-updatedTime', description: 'A field to sort by; a leading - sorts descending' },
		{ displayName: 'Search', name: 'q', type: 'string', default: '', description: 'Rebilly\'s full-text search (q)' },
	]),
]);

/** Data exports, a page of up to 1,000 at a time (Rebilly's Pagination-* headers say how many there are). */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<INodeExecutionData[]> {
	const returnAll = this.getNodeParameter('returnAll', itemIndex) as boolean;
	const wanted = returnAll ? Infinity : (this.getNodeParameter('limit', itemIndex) as number);
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const query: IDataObject = {};
	for (const key of ['filter', 'sort', 'q']) if (typeof options[key] === 'string' && options[key]) query[key] = options[key];
	const found: DataExport[] = [];
	let total = 0;
	for (let offset = 0; found.length < wanted && offset <= MAX_OFFSET; offset += MAX_LIMIT) {
		const limit = Math.min(MAX_LIMIT, wanted - found.length);
		const response = await rebillyRequest<DataExport[]>(this, { method: 'GET', path: EXPORTS_PATH, qs: { ...query, limit, offset } });
		const page = Array.isArray(response.body) ? response.body : [];
		total = Number(header(response.headers, 'pagination-total') ?? found.length + page.length);
		for (const entry of page) found.push(entry);
		if (page.length < limit || found.length >= total) break;
	}
	if (returnAll && total > found.length) {
		this.logger.warn(`Rebilly: ${total} data exports match, but Rebilly lists at most ${MAX_OFFSET + MAX_LIMIT} (offset up to ${MAX_OFFSET}); narrow the filter or sort to see the others`);
	}
	return found.map((json) => ({ json, pairedItem: { item: itemIndex } }));
}
