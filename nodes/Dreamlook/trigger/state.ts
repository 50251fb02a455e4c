/**
 * The trigger's stored state (the node's static data `cursor`) and its small operations. Pure.
 *
 * - `since`: the history boundary set at first activation. A job whose `state_updated` is at or
 *   before it is history and never emitted (unless it was seen unfinished after activation).
 * - `high`: the newest `state_updated` seen, never ahead of the local clock plus ALLOWED_SKEW_MICROS.
 *   Every poll re-reads the look-back window [high − lookback, …]: a job that shows up late, or
 *   dated before newer ones (a clock that stepped back, ties in a new order), is still found.
 * - `emitted`: compact hashes of the jobs emitted inside the window, grouped by the minute of their
 *   `state_updated`, so a re-read never emits twice; groups below the window are dropped.
 * - `open`: jobs seen queued or running (bounded): re-checked until they end, so a job created long
 *   ago that ends now is found even where the list does not put it near the top.
 * - `noTimestamp`: hashes of jobs without a readable `state_updated` already handled (first seen).
 * - `sweep`: a read that did not finish (time budget, page limit, error, a full read of an
 *   unordered list): where to resume, and the floor it reads down to.
 */
import { groupAdd, groupHas } from './hash';

export const CURSOR_VERSION = 2;
const MINUTE_MICROS = 60_000_000;
/** Timestamps further ahead of the local clock than this are not trusted to move the window. */
export const ALLOWED_SKEW_MICROS = 120_000_000;
export const DEFAULT_LOOKBACK_MINUTES = 10;
/**
 * How far Dreamlook's clock may lag behind the local clock: the window never starts earlier than
 * this plus the look-back before now, so an idle trigger forgets the hashes of old jobs.
 */
export const ALLOWED_LAG_MICROS = 30 * 60e6;
/** Jobs remembered as unfinished at most (about as many as an account runs at once). */
export const MAX_OPEN_JOBS = 500;
/** Jobs without a readable state_updated remembered at most (the oldest are forgotten). */
export const MAX_NO_TIMESTAMP = 200;

/** How the pages read were ordered: by state_updated, by creation, both (cannot tell), or neither. */
export type ListOrder = 'updated' | 'created' | 'both' | 'none';

export interface SweepState {
	/** offset to resume from */
	offset: number;
	/** reads down to the first job whose state_updated is below this (µs); 0 = the whole list */
	floor: number;
	order: ListOrder;
	/** the lowest sort key read so far (sorted orders): a resumed page must not start below it */
	low?: number;
	/** the first activation's read: nothing is emitted below `since` */
	baseline?: true;
	/** `high` when this read started (a read spanning polls lets the next one start lower) */
	startHigh: number;
}

export interface CursorState {
	version: typeof CURSOR_VERSION;
	/** which Event / Job Type the cursor belongs to; a change starts a new baseline */
	filter: string;
	since: number;
	high: number;
	/** minute of state_updated (µs / 60e6, floored) → concatenated hashes */
	emitted: Record<string, string>;
	/** ids of jobs seen unfinished; `type:id` when the id's prefix does not tell the type */
	open: string[];
	noTimestamp: string;
	sweep?: SweepState;
	/** the floor of the next read when a read that spanned several polls ended (below `high` − look-back) */
	nextFloor?: number;
	/** the order the last poll saw (for the warning on unordered lists) */
	order?: ListOrder;
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** Reads a saved state; anything unexpected (older format, hand-edited) counts as none. */
export function readCursorState(value: unknown): CursorState | undefined {
	if (!value || typeof value !== 'object') return undefined;
	const state = value as Partial<CursorState>;
	if (state.version !== CURSOR_VERSION || typeof state.filter !== 'string') return undefined;
	if (!isNumber(state.since) || !isNumber(state.high)) return undefined;
	if (!state.emitted || typeof state.emitted !== 'object' || Object.values(state.emitted).some((g) => typeof g !== 'string')) return undefined;
	if (!Array.isArray(state.open) || !state.open.every((id) => typeof id === 'string')) return undefined;
	if (typeof state.noTimestamp !== 'string') return undefined;
	const sweep = state.sweep;
	if (sweep !== undefined) {
		const ok =
			typeof sweep === 'object' &&
			isNumber(sweep.offset) &&
			sweep.offset >= 0 &&
			isNumber(sweep.floor) &&
			['updated', 'created', 'both', 'none'].includes(sweep.order) &&
			(sweep.low === undefined || isNumber(sweep.low)) &&
			isNumber(sweep.startHigh);
		if (!ok) return undefined;
	}
	if (state.nextFloor !== undefined && !isNumber(state.nextFloor)) return undefined;
	return state as CursorState;
}

export function minuteOf(micros: number): string {
	return String(Math.floor(micros / MINUTE_MICROS));
}

export function wasEmitted(state: Pick<CursorState, 'emitted'>, micros: number, hash: string): boolean {
	return groupHas(state.emitted[minuteOf(micros)], hash);
}

export function markEmitted(state: Pick<CursorState, 'emitted'>, micros: number, hash: string): void {
	const key = minuteOf(micros);
	state.emitted[key] = groupAdd(state.emitted[key], hash);
}

/** Drops the groups wholly below `threshold` (µs). */
export function pruneEmitted(emitted: Record<string, string>, threshold: number): Record<string, string> {
	const kept: Record<string, string> = {};
	for (const [minute, group] of Object.entries(emitted)) {
		if ((Number(minute) + 1) * MINUTE_MICROS > threshold && group) kept[minute] = group;
	}
	return kept;
}

export function stateBytes(state: CursorState | undefined): number {
	return state ? JSON.stringify(state).length : 0;
}
