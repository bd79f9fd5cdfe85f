// The trigger's position: the pass over the objects and, within it, the cursor to go on from.
// "3:" starts pass 3 from the beginning; "3:<nextCursor>" goes on in pass 3 after a finished job.

export function formatPosition(pass: number, cursor?: string): string {
	return `${pass}:${cursor ?? ''}`;
}

export function parsePosition(position: string | undefined): { pass: number; cursor?: string } {
	const match = /^(\d+):([\s\S]*)$/.exec(position ?? '');
	if (!match) return { pass: 0 };
	return { pass: Number(match[1]), cursor: match[2] || undefined };
}
