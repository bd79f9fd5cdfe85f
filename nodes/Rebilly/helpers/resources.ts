import type { INodePropertyOptions } from 'n8n-workflow';

// What each resource can export, from Rebilly/api-definitions (657cabcf):
// openapi/components/schemas/<Resource>DataExport.yaml, discriminated by `resource` in DataExport.yaml.

export type Resource =
	| 'customers'
	| 'subscriptions'
	| 'transactions'
	| 'invoices'
	| 'invoiceItems'
	| 'amlChecks'
	| 'disputes'
	| 'journalRecords'
	| 'payoutRequests'
	| 'payoutRequestAllocations'
	| 'users';

export type Format = 'csv' | 'detailed-csv' | 'json' | 'json-api' | 'xml' | 'pdf';

const FIVE: Format[] = ['csv', 'detailed-csv', 'json', 'json-api', 'xml'];
const FOUR: Format[] = ['csv', 'json', 'json-api', 'xml'];

export const RESOURCES: Record<Resource, { label: string; formats: Format[]; dateField: string }> = {
	customers: { label: 'Customers', formats: FIVE, dateField: 'createdTime' },
	subscriptions: { label: 'Subscriptions', formats: FIVE, dateField: 'createdTime' },
	transactions: { label: 'Transactions', formats: FIVE, dateField: 'processedTime' },
	invoices: { label: 'Invoices', formats: [...FIVE, 'pdf'], dateField: 'issuedTime' },
	invoiceItems: { label: 'Invoice Items', formats: FIVE, dateField: 'issuedTime' },
	amlChecks: { label: 'AML Checks', formats: FIVE, dateField: 'createdTime' },
	disputes: { label: 'Disputes', formats: FOUR, dateField: 'createdTime' },
	journalRecords: { label: 'Journal Records', formats: FOUR, dateField: 'createdTime' },
	payoutRequests: { label: 'Payout Requests', formats: FOUR, dateField: 'createdTime' },
	payoutRequestAllocations: { label: 'Payout Request Allocations', formats: FOUR, dateField: 'createdTime' },
	users: { label: 'Users', formats: ['csv', 'json'], dateField: 'createdTime' },
};

export const resourceOptions: INodePropertyOptions[] = (Object.keys(RESOURCES) as Resource[])
	.map((value) => ({ name: RESOURCES[value].label, value }))
	.sort((a, b) => a.name.localeCompare(b.name));

export function isResource(value: unknown): value is Resource {
	return typeof value === 'string' && value in RESOURCES;
}

export const FORMAT_LABELS: Record<Format, { name: string; description: string }> = {
	csv: { name: 'CSV', description: 'One item per record, columns as Rebilly names them' },
	'detailed-csv': { name: 'Detailed CSV', description: 'CSV with every field of the record' },
	json: { name: 'JSON', description: 'One item per record, with nested fields and typed values' },
	'json-api': { name: 'JSON:API', description: 'One item per record of the document\'s data: its id and attributes' },
	xml: { name: 'XML (File)', description: 'Returned as a file (Output: File)' },
	pdf: { name: 'PDF (File)', description: 'A zip of one PDF per invoice, returned as a file (Output: File)' },
};

/** Formats the node parses into rows; the others come back as files. */
export const ROW_FORMATS: Format[] = ['csv', 'detailed-csv', 'json', 'json-api'];
