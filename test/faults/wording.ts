/**
 * What an error must say, in one place: adjust the wording rules here, not in the cases.
 *
 * Every error names the provider and the call that failed; once a job was started it also
 * names the job (its id, or the trigger's cursor) so the user can pick it up again. Some faults
 * also need the error to say what was wrong (`about`).
 */
export type CallKind = 'start' | 'status' | 'download';

/** How errors name each call, whatever the provider (a profile may add its own words). */
export const CALL_WORDS: Record<CallKind, RegExp> = {
	start: /\bstart|\bPOST\b|\bcreat|\badd\b/i,
	status: /status|\bGET\b|\bpoll|\bcheck/i,
	download: /download|\bfile\b|\blink\b/i,
};

/** What an error says about the fault, by kind of fault. */
export const ABOUT = {
	rateLimit: /rate|too many|429|wait|retry-after/i,
	serverError: /HTTP 5\d\d|server|unavailable|5\d\d/i,
	network: /reach|connect|network|timed? ?out|time-?out|reset|socket|silent|no answer|respond/i,
	notJson: /json|html|unexpected|not .*valid|could not (read|understand)|malformed|garbled/i,
	empty: /empty|no (content|data|body)|nothing|\b0 bytes/i,
	failedJob: /fail|could not complete|error/i,
	expiredJob: /expired|gone|no longer/i,
	stuckJob: /did not finish|timed? ?out|timeout|still (pending|running|queued|processing)/i,
	refusedLink: /refused|expired|forbidden|403/i,
	redirect: /redirect/i,
	unsafeRedirect: /redirect|scheme|protocol|not (allowed|supported)|unsupported|refus/i,
	tooLarge: /too (large|big|long)|limit|exceed|size|ratio|bomb/i,
	rowShape: /\b(line|row|record)s?\b[^.]*\d+|\d+[^.]*\b(line|row|record)\b/i,
	encoding: /utf-?8|encod|charset|invalid (byte|character)/i,
	binary: /nul|null (byte|character)|binary|control character|\\0|invalid (byte|character)/i,
	quote: /quot|unterminated|unclosed|unexpected end/i,
	cancelled: /cancel|stopp/i,
};

/** A cancelled execution's error must not read like a failure of the provider or the network. */
export const CANCEL_MISLEADS = /could not (reach|be downloaded)|failed|refused|answered/i;

export interface ErrorText {
	message: string;
	description?: string | null;
}

export interface WordingRule {
	provider: RegExp;
	/** The call that failed; undefined when the job itself failed (the status call worked). */
	call?: CallKind;
	callWords?: Partial<Record<CallKind, RegExp>>;
	/** Ids of jobs started before the failure: the error names one of them. */
	jobIds: string[];
	about?: RegExp;
}

/** The rules an error breaks (empty: it says what it must). */
export function wordingProblems(error: ErrorText, rule: WordingRule): string[] {
	const text = `${error.message}\n${error.description ?? ''}`;
	const problems: string[] = [];
	if (!rule.provider.test(text)) problems.push(`does not name the provider (${rule.provider})`);
	if (rule.call) {
		const words = rule.callWords?.[rule.call] ?? CALL_WORDS[rule.call];
		if (!words.test(text)) problems.push(`does not name the ${rule.call} call (${words})`);
	}
	if (rule.jobIds.length && !rule.jobIds.some((id) => text.includes(id))) problems.push('does not name the job that was started');
	if (rule.about && !rule.about.test(text)) problems.push(`does not say what went wrong (${rule.about})`);
	return problems;
}
