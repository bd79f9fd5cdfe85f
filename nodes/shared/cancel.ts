import { NodeOperationError, sleep } from 'n8n-workflow';

import type { EngineContext } from './types';

// Long waits are cut into slices so that a cancelled execution stops within this time.
// (n8n-workflow 2.41 has no abortable sleep, and node code may not use setTimeout.)
const CANCEL_CHECK_MS = 200;

export function cancelSignalOf(ctx: EngineContext): AbortSignal | undefined {
	return 'getExecutionCancelSignal' in ctx ? ctx.getExecutionCancelSignal() : undefined;
}

/** Throws when the user stopped the execution; `resumeHint` tells how to pick the job up later. */
export function throwIfCancelled(ctx: EngineContext, resumeHint?: string): void {
	if (cancelSignalOf(ctx)?.aborted) {
		throw new NodeOperationError(ctx.getNode(), 'The execution was cancelled', {
			description: resumeHint,
		});
	}
}

export async function sleepUnlessCancelled(
	ctx: EngineContext,
	ms: number,
	resumeHint?: string,
): Promise<void> {
	let remaining = ms;
	while (remaining > 0) {
		throwIfCancelled(ctx, resumeHint);
		const slice = Math.min(remaining, CANCEL_CHECK_MS);
		await sleep(slice);
		remaining -= slice;
	}
	throwIfCancelled(ctx, resumeHint);
}

// The time a node has for its job (the operation's timeout, or a trigger's wait per poll): a
// provider that asks to wait longer than that (Retry-After) gets a clear error at once instead.
const deadlines = new WeakMap<object, number>();

export function setDeadline(ctx: EngineContext, at: number): void {
	deadlines.set(ctx, at);
}

/** Milliseconds left before the node's deadline; undefined when none was set. */
export function timeLeftMs(ctx: EngineContext): number | undefined {
	const at = deadlines.get(ctx);
	return at === undefined ? undefined : Math.max(0, at - Date.now());
}
