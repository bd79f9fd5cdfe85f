// Paths into JSON answers, as a user writes them in the node: `id`, `data.bulkOperation.id`,
// `Exports[0].Status`, `Files[].Url` (`[]` takes the field of every element of an array).

const STEP = /([^.[\]]+)|\[(\d*)\]/g;

type Step = { key: string } | { index: number } | { each: true };

function stepsOf(path: string): Step[] {
	const steps: Step[] = [];
	for (const match of path.trim().matchAll(STEP)) {
		if (match[1] !== undefined) steps.push({ key: match[1] });
		else if (match[2] === '') steps.push({ each: true });
		else steps.push({ index: Number(match[2]) });
	}
	return steps;
}

/** The value at a path, or undefined when the path matches nothing. With `[]`, an array of the matches. */
export function readPath(value: unknown, path: string): unknown {
	let current: unknown[] = [value];
	let mapped = false;
	for (const step of stepsOf(path)) {
		const next: unknown[] = [];
		for (const item of current) {
			if ('each' in step) {
				if (Array.isArray(item)) next.push(...item);
			} else if ('index' in step) {
				if (Array.isArray(item) && step.index < item.length) next.push(item[step.index]);
			} else if (item !== null && typeof item === 'object' && !Array.isArray(item) && step.key in item) {
				next.push((item as Record<string, unknown>)[step.key]);
			}
		}
		if ('each' in step) mapped = true;
		current = next;
	}
	if (mapped) return current;
	return current.length ? current[0] : undefined;
}

/** The top-level keys of an answer, for an error that says what is there (never the values). */
export function topLevelKeys(value: unknown): string {
	if (Array.isArray(value)) return `an array of ${value.length}`;
	if (value === null || typeof value !== 'object') return value === undefined ? 'nothing' : `a ${typeof value}`;
	const keys = Object.keys(value);
	return keys.length ? keys.slice(0, 30).join(', ') : 'no keys (an empty object)';
}

/**
 * `{{ $job.id }}` (and `{{ $job.cursor }}`) in a text the user wrote, filled in, each value
 * encoded for where it goes: a URL, or inside a JSON string.
 */
export function fillPlaceholders(text: string, values: { [name: string]: string | undefined }, into: 'url' | 'json' | 'text'): string {
	const encode = into === 'url' ? encodeURIComponent : into === 'json' ? (value: string) => JSON.stringify(value).slice(1, -1) : (value: string) => value;
	return text.replace(/\{\{\s*\$job\.(\w+)\s*\}\}/g, (whole, name: string) => (values[name] === undefined ? whole : encode(values[name] as string)));
}
