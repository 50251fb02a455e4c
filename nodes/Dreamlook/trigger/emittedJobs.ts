/**
 * The Instant Trigger's durable record of the jobs it emitted, kept in the workflow's static data
 * (n8n saves it after every production webhook call), so that a duplicate callback after an n8n
 * restart, or one answered by another n8n process, emits nothing. The in-process RecentJobs
 * settles concurrent duplicates; this record outlives the process. Two n8n processes that emit
 * at the same moment can still overwrite each other's entries (n8n saves static data whole). Bounded: at most `maxEntries`
 * ids, each kept `ttlMs` (oldest first). Pure: the caller passes the store and the time.
 */
import type { IDataObject } from 'n8n-workflow';

export interface EmittedJobsLimits {
	maxEntries: number;
	ttlMs: number;
}

/** ~30 bytes an entry: at most ~30 KB in the workflow's static data. */
export const EMITTED_JOBS_LIMITS: EmittedJobsLimits = { maxEntries: 1000, ttlMs: 48 * 3600_000 };

const KEY = 'emittedJobs';

/** id → when it was emitted (epoch seconds), oldest first; unreadable entries are dropped. */
function entriesOf(store: IDataObject): Array<[string, number]> {
	const raw = store[KEY];
	if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return [];
	return Object.entries(raw as Record<string, unknown>)
		.filter((entry): entry is [string, number] => typeof entry[1] === 'number' && Number.isFinite(entry[1]))
		.sort((a, b) => a[1] - b[1]);
}

/** Whether `jobId` was emitted within the window. */
export function wasEmitted(store: IDataObject, jobId: string, now: number, limits: EmittedJobsLimits = EMITTED_JOBS_LIMITS): boolean {
	const at = entriesOf(store).find(([id]) => id === jobId)?.[1];
	return at !== undefined && at * 1000 > now - limits.ttlMs;
}

/**
 * Adds `emitted` ([id, epoch ms]) to the record; drops entries past the window and the oldest beyond
 * the limit. n8n saves the whole static data after each call, so concurrent calls overwrite each
 * other's records: the caller passes every job its process emitted (not only this call's), just
 * before returning, so that the last save of a process holds them all.
 */
export function recordEmitted(
	store: IDataObject,
	emitted: Array<[string, number]>,
	now: number,
	limits: EmittedJobsLimits = EMITTED_JOBS_LIMITS,
): void {
	const merged = new Map<string, number>(entriesOf(store));
	for (const [id, atMs] of emitted) merged.set(id, Math.max(merged.get(id) ?? 0, Math.floor(atMs / 1000)));
	const kept = [...merged].filter(([, at]) => at * 1000 > now - limits.ttlMs).sort((a, b) => a[1] - b[1]);
	// a new object each time: n8n notices the change and saves the static data
	store[KEY] = Object.fromEntries(kept.slice(-limits.maxEntries));
}
