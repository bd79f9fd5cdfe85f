/** The emulators' clock: real time plus an offset, so time moves on in a demo and jumps in tests. */
export interface EmulatorClock {
	now(): Date;
	set(date: Date): void;
	advance(ms: number): void;
}

/** `frozen`: time moves only by set/advance, for tests that compare times exactly. */
export function createClock(frozen = false): EmulatorClock {
	if (frozen) {
		let nowMs = Date.now();
		return {
			now: () => new Date(nowMs),
			set: (date) => {
				nowMs = date.getTime();
			},
			advance: (ms) => {
				nowMs += ms;
			},
		};
	}
	let offsetMs = 0;
	return {
		now: () => new Date(Date.now() + offsetMs),
		set: (date) => {
			offsetMs = date.getTime() - Date.now();
		},
		advance: (ms) => {
			offsetMs += ms;
		},
	};
}
