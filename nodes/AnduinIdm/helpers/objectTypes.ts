import type { INodePropertyOptions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { EngineContext } from '../../shared/types';

// The [objects] of POST /api/v1/idm/{firm-id}/[objects]/export. Anduin's reference names profiles
// (bulk-export-profiles); investments and the two communication matrices are paths a public API
// script calls; clients, investment entities and contacts are documented IDM objects whose export
// path follows the same pattern. Any other path segment can be given by expression.
export const OBJECT_TYPES = [
	{ value: 'investment-entities', name: 'Investment Entities', description: 'The investment vehicles of clients' },
	{ value: 'clients', name: 'Clients', description: 'Investors, each with one or more investment entities' },
	{ value: 'contacts', name: 'Contacts', description: 'People linked to investment entities' },
	{ value: 'investments', name: 'Investments', description: 'Commitments of investment entities to fund legal entities' },
	{ value: 'communication-matrices', name: 'Communication Matrices', description: 'Which contact receives which communications, per investment entity and fund' },
	{ value: 'investment-communication-matrices', name: 'Investment Communication Matrices', description: 'Which contact receives which communications, per investment' },
	{ value: 'profiles', name: 'Profiles', description: 'Profile data of given investment entities, through an export template (CSV)' },
] as const;

export const objectTypeOptions: INodePropertyOptions[] = OBJECT_TYPES.map((type) => ({ ...type }));

/** A path segment as Anduin spells them: lower case words joined by hyphens. */
const SEGMENT = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** The object type of the node (a listed one, or a path segment from an expression). */
export function readObjectType(ctx: EngineContext, value: unknown): string {
	const text = String(value ?? '').trim();
	if (SEGMENT.test(text)) return text;
	throw new NodeOperationError(ctx.getNode(), `"Object Type" is not an Anduin object path: ${JSON.stringify(text.slice(0, 60))}`, {
		description: `Use one of ${OBJECT_TYPES.map((type) => type.value).join(', ')}, or the path segment of another exportable object in lower case with hyphens (POST /api/v1/idm/{firmId}/<object type>/export).`,
	});
}

export function objectTypeLabel(objectType: string): string {
	return OBJECT_TYPES.find((type) => type.value === objectType)?.name.toLowerCase() ?? objectType;
}
