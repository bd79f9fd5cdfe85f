import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { retryFailedOption as sharedRetryFailedOption, showFor, waitOptions as sharedWaitOptions, whenRunningOption as sharedWhenRunningOption } from '../../../shared/description';
import type { EngineContext } from '../../../shared/types';
import { ANDUIN_POLL_SCHEDULE, OBJECTS_PER_JOB, type ExportRequest } from '../../helpers/exportJob';
import { objectTypeOptions, readObjectType } from '../../helpers/objectTypes';

export { batchFieldsOption, maxFileSizeOption, maxRowsOption, startAtRowOption, optionsCollection, outputFields, readOutput, readRunOptions } from '../../../shared/description';

/** Shows fields only for the given export operations. */
export function forOperations(operations: string[], fields: INodeProperties[]): INodeProperties[] {
	return showFor('export', operations, fields);
}

export const objectTypeField: INodeProperties = {
	displayName: 'Object Type',
	name: 'objectType',
	type: 'options',
	options: objectTypeOptions,
	default: 'investment-entities',
	description:
		'The IDM objects to export. For another object Anduin exports, use an expression with its path segment (POST /api/v1/idm/{firmId}/<object type>/export).',
};

// developers.anduintransact.com/reference/bulk-export-profiles
export const profileFields: INodeProperties[] = [
	{
		displayName: 'Investment Entity IDs',
		name: 'investmentEntityIds',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'fdf….ien…, IE-000042',
		description: 'The investment entities whose profiles to export: Anduin IDs or tracking IDs, separated by commas, or a list from an expression',
		displayOptions: { show: { objectType: ['profiles'] } },
	},
	{
		displayName: 'Export Template ID',
		name: 'exportTemplateId',
		type: 'string',
		default: '',
		description: 'The export template that picks the profile fields; may stay empty when the firm has only one',
		displayOptions: { show: { objectType: ['profiles'] } },
	},
];

export const cursorOption: INodeProperties = {
	displayName: 'Cursor',
	name: 'cursor',
	type: 'string',
	default: '',
	description:
		'Start from this nextCursor of an earlier export (an error of this node or Get Request Status gives it), to go on without exporting the finished jobs again',
};

export const whenRunningOption = sharedWhenRunningOption(
	'Use it if this node started the same export, else ask again with a growing pause until Anduin takes the new one (within the timeout)',
	'Anduin allows each user (API key) one Pending or InProgress export at a time',
);

export const retryFailedOption = sharedRetryFailedOption('Whether to start a job Anduin reports Failed once more before giving up');

export const convertNumbersOption: INodeProperties = {
	displayName: 'Convert Numeric Values',
	name: 'convertNumbers',
	type: 'boolean',
	default: false,
	description:
		'Whether to turn values that look like numbers (1,250,000.00 or 42) into numbers. Zero-padded values such as 000123 and very long digit strings stay text. Off: every value stays as Anduin wrote it.',
	displayOptions: { show: { '/output': ['rows'] } },
};

export const waitOptions = sharedWaitOptions('Anduin to finish each export job', 'request ID', ANDUIN_POLL_SCHEDULE);

export const rowsDescription = `Each exported object becomes an item, in the order of the jobs (${OBJECTS_PER_JOB.toLocaleString('en-US')} objects per job); the file's format (CSV, JSON, JSON Lines, zip) is read from its bytes`;

/** A list of IDs from a comma-separated text or a list (an expression). */
export function readIdList(value: unknown): string[] {
	const list = (Array.isArray(value) ? value : String(value ?? '').split(/[\s,;]+/)).map((id) => String(id).trim()).filter(Boolean);
	return [...new Set(list)];
}

/** The export the node's parameters ask for (the object type, its filters, an optional cursor). */
export function readExportRequest(
	ctx: EngineContext,
	parameter: (name: string, fallback?: unknown) => unknown,
	options: IDataObject,
): ExportRequest {
	const objectType = readObjectType(ctx, parameter('objectType'));
	const request: ExportRequest = { objectType };
	if (objectType === 'profiles') {
		const ids = readIdList(parameter('investmentEntityIds', ''));
		if (!ids.length) {
			throw new NodeOperationError(ctx.getNode(), '"Investment Entity IDs" is empty', {
				description: 'Anduin exports the profiles of the investment entities you name: give their Anduin IDs or tracking IDs.',
			});
		}
		request.investmentEntityIds = ids;
		const template = String(parameter('exportTemplateId', '') ?? '').trim();
		if (template) request.exportTemplateId = template;
	}
	const cursor = typeof options.cursor === 'string' ? options.cursor.trim() : '';
	if (cursor) request.cursor = cursor;
	return request;
}

/** The request ID field of Get Request Status and Download. */
export function readRequestId(ctx: EngineContext, value: unknown, itemIndex: number): string {
	const id = String(value ?? '').trim();
	if (!id) throw new NodeOperationError(ctx.getNode(), '"Request ID" is empty', { itemIndex, description: 'Give the requestId that Start Export (or an error of this node) returned.' });
	return id;
}

export const requestIdField: INodeProperties = {
	displayName: 'Request ID',
	name: 'requestId',
	type: 'string',
	default: '',
	required: true,
	placeholder: 'export-8f7g6h5e-4d3c-2b1a-9098-f7e6d5c4b3a2',
	description: 'The requestId from Start Export, or from an error of this node',
	hint: 'Use an expression such as {{ $json.requestId }}',
};
