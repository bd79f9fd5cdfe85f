import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type { INode } from 'n8n-workflow';

export type NodeError = NodeApiError | NodeOperationError;

export function isNodeError(error: unknown): error is NodeError {
	return error instanceof NodeApiError || error instanceof NodeOperationError;
}

/**
 * n8n shows NodeApiError and NodeOperationError with their description; anything else
 * (a parser's error, a bug) is wrapped so the user sees its message and the job context.
 */
export function asNodeError(node: INode, error: unknown, description?: string): NodeError {
	if (isNodeError(error)) return error;
	const message = error instanceof Error ? error.message : String(error);
	return new NodeOperationError(node, message, { description });
}
