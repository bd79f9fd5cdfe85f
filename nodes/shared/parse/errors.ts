/** A file whose content cannot be read as its format says (the output adds the job and file). */
export class BrokenFileError extends Error {}
