/**
 * The Dreamlook Trigger's cursor, in small pure modules (no n8n, no HTTP, no clock):
 *  - filter.ts: which jobs are emitted (Event, Job Type) and which states are unfinished;
 *  - hash.ts: compact job ids for the stored state;
 *  - state.ts: the stored state (named fields) and its window bookkeeping;
 *  - scan.ts: one poll's read of the list (pages in, jobs to emit and the new state out).
 * See docs/trigger.md for the reasoning and the guarantees.
 */
export { type CursorFilter, type CursorJob, describeFilter, filterKey, matchesFilter, type TriggerEvent } from './filter';
export { CursorError, CursorScan, type OpenJobRef, readOpenEntry, type ScanOptions, type ScanResult, type ScanStats } from './scan';
export {
	ALLOWED_SKEW_MICROS,
	type CursorState,
	DEFAULT_LOOKBACK_MINUTES,
	type ListOrder,
	MAX_OPEN_JOBS,
	readCursorState,
	stateBytes,
	type SweepState,
} from './state';
