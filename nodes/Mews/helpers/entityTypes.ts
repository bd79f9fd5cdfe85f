import type { INodePropertyOptions } from 'n8n-workflow';

// The entity types exports/add accepts (docs.mews.com/connector-api/operations/exports, "Exported
// entity type"); LedgerEntry is in beta. Older versions of the API exported only OrderItem.
export const ENTITY_TYPES = [
	{ value: 'OrderItem', name: 'Order Items', description: 'Items of orders: products, services, nights, fees' },
	{ value: 'Payment', name: 'Payments' },
	{ value: 'Reservation', name: 'Reservations' },
	{ value: 'Customer', name: 'Customers' },
	{ value: 'Company', name: 'Companies' },
	{ value: 'Bill', name: 'Bills' },
	{ value: 'AvailabilityAdjustment', name: 'Availability Adjustments' },
	{ value: 'AvailabilityBlock', name: 'Availability Blocks' },
	{ value: 'ResourceBlock', name: 'Resource Blocks', description: 'Blocks that take rooms or other resources out of service' },
	{ value: 'LedgerEntry', name: 'Ledger Entries', description: 'Accounting ledger entries (beta at Mews)' },
] as const;

export type EntityType = (typeof ENTITY_TYPES)[number]['value'];

export const entityTypeOptions: INodePropertyOptions[] = ENTITY_TYPES.map((type) => ({ ...type }));

const VALUES = new Set<string>(ENTITY_TYPES.map((type) => type.value));

export function isEntityType(value: unknown): value is EntityType {
	return typeof value === 'string' && VALUES.has(value);
}
