/** A file whose content cannot be read as its format says (the output adds the job and file). */
export class BrokenFileError extends Error {}

/** An HTML (or other markup) page where a data file was due: a proxy's or a login page. */
export class MarkupError extends BrokenFileError {
	constructor(readonly title: string | undefined) {
		super(`An HTML page came back instead of the export file${title ? ` ("${title}")` : ''}`);
	}
}

/**
 * The longest record (CSV record, JSON Lines line, JSON record) the parsers hold, in characters:
 * a file without record breaks (a damaged file, a zip bomb of zeros) fails instead of filling memory.
 */
export const MAX_RECORD_CHARS = 32 * 1024 * 1024;

export function recordTooLong(what: string): BrokenFileError {
	return new BrokenFileError(`The file has ${what} longer than ${MAX_RECORD_CHARS / (1024 * 1024)} MB: it is damaged, or not the format it claims to be`);
}
