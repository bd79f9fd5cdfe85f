import { DateTime, type DurationLikeObject } from 'luxon';

/**
 * Rebilly takes dateRange start and end as "any PHP datetime format": ISO 8601, or relative
 * words such as `yesterday`, `-7 days`, `first day of last month midnight`. The node sends them
 * as they are; it reads them itself only to halve a range that is too large for one export, and
 * for the common forms below. Undefined when the text is not one of them.
 */
export function resolveRebillyDate(text: string, now: DateTime): DateTime | undefined {
	const value = text.trim().toLowerCase();
	if (!value) return undefined;
	const iso = DateTime.fromISO(text.trim(), { zone: 'utc' });
	if (iso.isValid) return iso;
	let at = now.setZone('utc');
	let rest = value;
	const take = (pattern: RegExp): RegExpExecArray | null => {
		const match = pattern.exec(rest);
		if (match) rest = rest.slice(match[0].length).trim();
		return match;
	};
	while (rest) {
		let match: RegExpExecArray | null;
		if (take(/^now\b/)) continue;
		if (take(/^today\b/) || take(/^midnight\b/)) {
			at = at.startOf('day');
			continue;
		}
		if (take(/^noon\b/)) {
			at = at.startOf('day').set({ hour: 12 });
			continue;
		}
		if (take(/^yesterday\b/)) {
			at = at.minus({ days: 1 }).startOf('day');
			continue;
		}
		if (take(/^tomorrow\b/)) {
			at = at.plus({ days: 1 }).startOf('day');
			continue;
		}
		if ((match = take(/^(first|last) day of (this|last|next|previous) month\b/))) {
			const month = at.plus({ months: match[2] === 'this' ? 0 : match[2] === 'next' ? 1 : -1 });
			// PHP keeps the time of day here; "midnight" after it sets it to 00:00.
			at = (match[1] === 'first' ? month.startOf('month') : month.endOf('month')).set({ hour: at.hour, minute: at.minute, second: at.second, millisecond: 0 });
			continue;
		}
		if ((match = take(/^([+-]?\d+)\s*(second|sec|minute|min|hour|day|week|fortnight|month|year)s?(\s+ago)?\b/))) {
			const amount = Number(match[1]) * (match[3] ? -1 : 1);
			const unit = match[2] === 'sec' ? 'second' : match[2] === 'min' ? 'minute' : match[2];
			at = unit === 'fortnight' ? at.plus({ weeks: 2 * amount }) : at.plus({ [`${unit}s`]: amount } as DurationLikeObject);
			continue;
		}
		return undefined;
	}
	return at;
}
