import type { INodeProperties } from 'n8n-workflow';

import { batchFieldsOption, maxFileSizeOption, maxRowsOption, optionsCollection, outputFields, showFor, startAtRowOption, waitOptions as sharedWaitOptions } from '../../../shared/description';
import { DEFAULT_POLL_SCHEDULE } from '../../../shared/job';

// The fields of the generic node: the start request, the status request and what it says, and
// where the rows are. `{{ $job.id }}` in a URL or body stands for the job's reference.

const METHODS = ['GET', 'POST', 'PUT', 'PATCH'].map((method) => ({ name: method, value: method }));

const keyValues = (name: string, displayName: string, placeholder: string): INodeProperties => ({
	displayName,
	name,
	type: 'fixedCollection',
	typeOptions: { multipleValues: true },
	placeholder,
	default: {},
	options: [
		{
			name: 'parameters',
			displayName: 'Parameter',
			values: [
				{ displayName: 'Name', name: 'name', type: 'string', default: '' },
				{ displayName: 'Value', name: 'value', type: 'string', default: '' },
			],
		},
	],
});

export const startFields: INodeProperties[] = [
	{
		displayName:
			'Write {{ $job.id }} (as fixed text) where a later request needs the job\'s reference, e.g. https://api.example.com/jobs/{{ $job.id }}. Keep keys and tokens in the credential, not in headers or bodies.',
		name: 'placeholderNotice',
		type: 'notice',
		default: '',
	},
	{ displayName: 'Start Method', name: 'startMethod', type: 'options', options: METHODS, default: 'POST' },
	{
		displayName: 'Start URL',
		name: 'startUrl',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'https://api.example.com/v1/exports',
		description: 'The request that starts the export job',
	},
	keyValues('startQuery', 'Start Query Parameters', 'Add Query Parameter'),
	{ ...keyValues('headers', 'Headers', 'Add Header'), description: 'Sent with every request to the API: the start, each status check, each page of results' },
	{
		displayName: 'Start Body',
		name: 'startBodyType',
		type: 'options',
		options: [
			{ name: 'None', value: 'none' },
			{ name: 'JSON', value: 'json' },
			{ name: 'Form (URL-Encoded)', value: 'form' },
			{ name: 'Raw', value: 'raw' },
		],
		default: 'json',
	},
	{
		displayName: 'JSON Body',
		name: 'startJsonBody',
		type: 'json',
		default: '{}',
		displayOptions: { show: { startBodyType: ['json'] } },
	},
	{ ...keyValues('startForm', 'Form Fields', 'Add Field'), displayOptions: { show: { startBodyType: ['form'] } } },
	{
		displayName: 'Raw Body',
		name: 'startRawBody',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
		displayOptions: { show: { startBodyType: ['raw'] } },
	},
	{
		displayName: 'Raw Content Type',
		name: 'startRawContentType',
		type: 'string',
		default: 'text/plain',
		displayOptions: { show: { startBodyType: ['raw'] } },
	},
	{
		displayName: 'Job Reference',
		name: 'jobReference',
		type: 'options',
		options: [
			{ name: 'From the Answer (JSON Path)', value: 'path', description: 'The job\'s ID in the start answer, e.g. id or data.bulkOperation.id' },
			{ name: 'Location Header', value: 'location', description: 'The answer\'s Location header is the job\'s status address (202 Accepted)' },
		],
		default: 'path',
	},
	{
		displayName: 'Job ID Path',
		name: 'jobIdPath',
		type: 'string',
		default: 'id',
		required: true,
		placeholder: 'data.bulkOperationRunQuery.bulkOperation.id',
		description: 'Where the start answer says the job\'s ID: a path of field names separated by dots, with [0] for an array element',
		displayOptions: { show: { jobReference: ['path'] } },
	},
];

export const statusFields: INodeProperties[] = [
	{ displayName: 'Status Method', name: 'statusMethod', type: 'options', options: METHODS, default: 'GET' },
	{
		displayName: 'Status URL',
		name: 'statusUrl',
		type: 'string',
		default: '',
		placeholder: 'https://api.example.com/v1/exports/{{ $job.id }}',
		description: 'One status check of the job. With the Location header as reference, leave it empty to ask the Location itself.',
	},
	{
		displayName: 'Status JSON Body',
		name: 'statusJsonBody',
		type: 'json',
		default: '',
		description: 'For status checks that are POSTs, such as GraphQL queries: {"variables": {"id": "{{ $job.id }}"}}',
		displayOptions: { show: { statusMethod: ['POST', 'PUT', 'PATCH'] } },
	},
	{
		displayName: 'Status Path',
		name: 'statusPath',
		type: 'string',
		default: 'status',
		required: true,
		placeholder: 'data.node.status',
		description: 'Where the status answer says the job\'s state',
	},
	{
		displayName: 'Done When Status Is',
		name: 'doneValues',
		type: 'string',
		default: 'completed, complete, done, succeeded, success',
		description: 'The values that mean the job is done, comma-separated (any case)',
	},
	{
		displayName: 'Failed When Status Is',
		name: 'failedValues',
		type: 'string',
		default: 'failed, failure, error, canceled, cancelled, aborted, expired',
		description: 'The values that mean the job has failed, comma-separated (any case)',
	},
	{
		displayName: 'Running When Status Is',
		name: 'runningValues',
		type: 'string',
		default: 'pending, queued, created, notstarted, running, processing, in_progress, inprogress',
		description: 'The values that mean the job is still on its way; any other value stops the node with the value it saw',
	},
];

export const resultFields: INodeProperties[] = [
	{
		displayName: 'Result',
		name: 'resultType',
		type: 'options',
		options: [
			{ name: 'File URLs in the Status Answer', value: 'fileUrls', description: 'One address or a list of them, e.g. url or Files[].Url' },
			{ name: 'Rows in the Status Answer', value: 'inline', description: 'The rows themselves, e.g. result.rows' },
			{ name: 'Pages of Results', value: 'pages', description: 'A results address read page by page with a next-page token' },
		],
		default: 'fileUrls',
	},
	{
		displayName: 'File URL Path',
		name: 'fileUrlPath',
		type: 'string',
		default: 'url',
		required: true,
		placeholder: 'Files[].Url',
		description: 'Where the finished job\'s file address(es) are; [] takes a field of every element of a list. An empty value (null) means no rows.',
		displayOptions: { show: { resultType: ['fileUrls'] } },
	},
	{
		displayName: 'Rows Path',
		name: 'rowsPath',
		type: 'string',
		default: 'result.rows',
		required: true,
		description: 'Where the finished job\'s rows are (a list)',
		displayOptions: { show: { resultType: ['inline'] } },
	},
	{
		displayName: 'Results URL',
		name: 'resultsUrl',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'https://example.my.salesforce.com/services/data/v62.0/jobs/query/{{ $job.id }}/results',
		displayOptions: { show: { resultType: ['pages'] } },
	},
	{
		displayName: 'Next Page Token In',
		name: 'nextPageFrom',
		type: 'options',
		options: [
			{ name: 'A Header', value: 'header', description: 'Pages are files (CSV, JSON…); a header of each says the next page, e.g. Sforce-Locator' },
			{ name: 'The JSON Answer', value: 'path', description: 'Pages are JSON answers with rows and the next token in them' },
		],
		default: 'header',
		displayOptions: { show: { resultType: ['pages'] } },
	},
	{
		displayName: 'Next Page Token Name',
		name: 'nextPageName',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'Sforce-Locator',
		description: 'The header, or the path in the JSON answer, that carries the next page\'s token',
		displayOptions: { show: { resultType: ['pages'] } },
	},
	{
		displayName: 'Page Rows Path',
		name: 'pageRowsPath',
		type: 'string',
		default: 'results',
		required: true,
		description: 'Where each JSON page has its rows',
		displayOptions: { show: { resultType: ['pages'], nextPageFrom: ['path'] } },
	},
	{
		displayName: 'Send Token As Query Parameter',
		name: 'nextPageParam',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'locator',
		description: 'The query parameter of the next page\'s request that carries the token',
		displayOptions: { show: { resultType: ['pages'] } },
	},
	{
		displayName: 'Last Page When Token Is',
		name: 'lastPageValue',
		type: 'string',
		default: 'null',
		description: 'The token value that means there are no more pages (besides an empty or missing one); Salesforce sends the text null',
		displayOptions: { show: { resultType: ['pages'] } },
	},
];

export const chainOptions: INodeProperties[] = [
	{
		displayName: 'Next Cursor Path',
		name: 'nextCursorPath',
		type: 'string',
		default: '',
		placeholder: 'result.nextCursor',
		description: 'Chained jobs: where the finished job\'s status answer gives the cursor of the next job; the node runs job after job until it is empty',
	},
	{
		displayName: 'Send Cursor As',
		name: 'cursorName',
		type: 'string',
		default: 'cursor',
		description: 'The field of the next start request that carries the cursor: a top-level field of the JSON body, or (body None) a query parameter',
	},
	{
		displayName: 'Progress Path',
		name: 'progressPath',
		type: 'string',
		default: '',
		placeholder: 'progress.processed',
		description: 'Where the status answer says how far the job is, for the log',
	},
	{
		displayName: 'Error Message Path',
		name: 'errorPath',
		type: 'string',
		default: '',
		placeholder: 'error.message',
		description: 'Where the status answer of a failed job says why',
	},
	{
		displayName: 'File Format',
		name: 'fileFormat',
		type: 'options',
		options: [
			{ name: 'Detect From the File', value: 'auto' },
			{ name: 'CSV', value: 'csv' },
			{ name: 'JSON', value: 'json', description: 'A JSON array, or an object holding one' },
			{ name: 'JSON Lines', value: 'jsonl' },
			{ name: 'Zip', value: 'zip' },
		],
		default: 'auto',
	},
];

export const waitOptions = sharedWaitOptions('the job to finish', 'job reference', DEFAULT_POLL_SCHEDULE);

export const jobOptions = (extra: INodeProperties[]): INodeProperties => optionsCollection([...chainOptions, ...extra, ...waitOptions]);

export const outputOfRows = outputFields('Each row of the result becomes an item (CSV columns, or JSON records)');

export const referenceField: INodeProperties = {
	displayName: 'Job Reference',
	name: 'jobId',
	type: 'string',
	default: '',
	required: true,
	description: 'The job\'s ID, or its status address (a Location), as "Start Job" gives it',
	hint: 'Use an expression such as {{ $json.jobId }}',
};

export { batchFieldsOption, maxFileSizeOption, maxRowsOption, optionsCollection, showFor, startAtRowOption };
