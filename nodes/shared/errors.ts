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
	// Passing the Error itself keeps its stack for n8n's error details.
	return new NodeOperationError(node, error instanceof Error ? error : String(error), { description });
}

/** A short, secret-free description of a low-level failure (a network error's code and message). */
export function describeError(error: unknown): string {
	if (error && typeof error === 'object') {
		const { code, message } = error as { code?: unknown; message?: unknown };
		if (typeof message === 'string' && message) return typeof code === 'string' ? `${message} (${code})` : message;
		if (typeof code === 'string') return code;
	}
	return String(error);
}
