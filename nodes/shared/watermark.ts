import { createHash } from 'crypto';

import type { IDataObject } from 'n8n-workflow';

import type { Row } from './types';

/**
 * What a polling trigger remembers between polls (in workflow static data): how far it has
 * emitted changes, the export job it started and has not finished reading, and fingerprints
 * of rows it emitted recently, because the next export overlaps the last one on purpose.
 */
export interface IncrementalState extends IDataObject {
	/** Changes after this moment (ISO) have not all been emitted yet. */
	watermark?: string;
	/** A started job that has not been emitted: the next poll resumes it instead of starting another. */
	pendingJob?: PendingJob;
	/** Fingerprints of emitted rows, per poll, kept while a later export can still contain them. */
	recent?: Array<{ startedAt: string; keys: string[] }>;
}

export interface PendingJob extends IDataObject {
	id: string;
	/** The watermark the job exports from (absent: a full export). */
	from?: string;
	startedAt: string;
}

// Fingerprints kept per poll; beyond this a huge first export is not deduplicated row by row.
const MAX_KEYS_PER_POLL = 50_000;

/** A short fingerprint of a row: the same record with the same content gives the same key. */
export function rowKey(row: Row): string {
	return createHash('sha1').update(JSON.stringify(row)).digest('base64').slice(0, 16);
}

/** Rows not emitted by an earlier poll (an overlapping export returns some again). */
export function dropEmitted(rows: Row[], state: IncrementalState): Row[] {
	if (!state.recent?.length) return rows;
	const seen = new Set(state.recent.flatMap((poll) => poll.keys));
	return rows.filter((row) => !seen.has(rowKey(row)));
}

/**
 * Moves the watermark after the rows of a job were emitted: to the job's start minus an
 * overlap (so clock differences lose nothing), and keeps fingerprints only of polls whose
 * rows a future export can still return.
 */
export function advance(state: IncrementalState, job: PendingJob, emitted: Row[], overlapMs: number): void {
	// Never backwards: polls closer together than the overlap keep the older watermark.
	const moved = Date.parse(job.startedAt) - overlapMs;
	const watermark = new Date(Math.max(moved, state.watermark ? Date.parse(state.watermark) : moved)).toISOString();
	const keys = emitted.length <= MAX_KEYS_PER_POLL ? emitted.map(rowKey) : [];
	state.recent = [...(state.recent ?? []), { startedAt: job.startedAt, keys }].filter(
		(poll) => Date.parse(poll.startedAt) > Date.parse(watermark),
	);
	state.watermark = watermark;
	delete state.pendingJob;
}
