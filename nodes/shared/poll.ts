import type { IDataObject, INodeProperties, IPollFunctions } from 'n8n-workflow';

// A poll leaves this much of n8n's poll budget for downloading and emitting.
const POLL_BUDGET_RESERVE_MS = 60_000;
const DEFAULT_MAX_WAIT_MINUTES = 4;

export function maxWaitPerPollOption(provider: string): INodeProperties {
	return {
		displayName: 'Max Wait per Poll (Minutes)',
		name: 'maxWaitMinutes',
		type: 'number',
		typeOptions: { minValue: 0.01 },
		default: DEFAULT_MAX_WAIT_MINUTES,
		description: `How long one poll waits for ${provider} to finish the export; a longer export is picked up again by the next poll, never started twice`,
	};
}

/** The user's wait per poll, within n8n's budget for a poll (minus time to download and emit). */
export function maxWaitPerPollMs(ctx: IPollFunctions, options: IDataObject): number {
	const chosen =
		typeof options.maxWaitMinutes === 'number' && options.maxWaitMinutes > 0
			? options.maxWaitMinutes * 60_000
			: DEFAULT_MAX_WAIT_MINUTES * 60_000;
	const budget = typeof ctx.getPollBudgetMs === 'function' ? ctx.getPollBudgetMs() - POLL_BUDGET_RESERVE_MS : chosen;
	return Math.max(1, Math.min(chosen, budget));
}
