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

/**
 * UTF-8 text from bytes that arrive in pieces. Export files are UTF-8: bytes that are not, and
 * NUL characters (a binary file, a damaged one), fail instead of becoming wrong rows.
 */
export class Utf8Text {
	private readonly decoder = new TextDecoder('utf-8', { fatal: true });
	private chars = 0;

	decode(chunk?: Uint8Array): string {
		const text = decodeOrUndefined(this.decoder, chunk);
		if (text === undefined) throw new BrokenFileError(`The file is not valid UTF-8 text (bytes that are not UTF-8 after ${this.chars} characters)`);
		const nul = text.indexOf('\u0000');
		if (nul >= 0) throw new BrokenFileError(`The file has a NUL character after ${this.chars + nul} characters: it is damaged, or binary`);
		this.chars += text.length;
		return text;
	}
}

function decodeOrUndefined(decoder: InstanceType<typeof TextDecoder>, chunk: Uint8Array | undefined): string | undefined {
	try {
		return chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
	} catch {
		return undefined;
	}
}
