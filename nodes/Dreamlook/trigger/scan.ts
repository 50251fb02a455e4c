/**
 * One poll's read of the job list: pages in (as the server returned them), jobs to emit and the
 * new state out. Pure: no n8n, no HTTP; the local clock comes in as `nowMicros`.
 *
 * Every job read is judged on its own (see `handle`), so the order of the list never decides
 * WHAT is emitted, only WHERE a read may stop:
 *  - the pages read so far are sorted by `state_updated` or by creation time (or both): the read
 *    stops at the first job whose `state_updated` is below the floor (the look-back window's
 *    start). Below it every job is older (sorted by update), or was created before the window and
 *    so was seen earlier — finished (emitted then) or unfinished (kept in `open`, re-checked);
 *  - no usable order: the whole list is read (bounded per poll, resumed at the next poll);
 *  - the first activation reads the whole list too (to learn the unfinished jobs) unless the
 *    pages are sorted by `state_updated` only.
 */
import { timestampMicros } from '../api/contract';
import { type CursorFilter, type CursorJob, filterKey, isOpenState, jobTypeOf, matchesFilter } from './filter';
import { groupAdd, groupHas, shortHash } from './hash';
import {
	ALLOWED_LAG_MICROS,
	ALLOWED_SKEW_MICROS,
	CURSOR_VERSION,
	type CursorState,
	DEFAULT_LOOKBACK_MINUTES,
	type ListOrder,
	markEmitted,
	MAX_NO_TIMESTAMP,
	MAX_OPEN_JOBS,
	pruneEmitted,
	type SweepState,
	wasEmitted,
} from './state';
import { jobTypeOfId, type JobTypeKey } from '../api/contract';

export interface ScanOptions {
	pageSize: number;
	/** the local clock, µs since the epoch (injected) */
	nowMicros: number;
	/** the look-back window re-read by every poll (µs); default 10 minutes */
	lookbackMicros?: number;
	/** first activation only: also emit the jobs that reached the state after this instant (µs) */
	lookbackFromMicros?: number;
}

export interface ScanStats {
	pages: number;
	received: number;
	/** jobs without a readable state_updated (emitted once, when first seen) */
	noTimestamp: number;
	/** jobs dated further ahead of the local clock than the allowed skew */
	future: number;
	stepBacks: number;
	order: ListOrder;
	/** unfinished jobs forgotten because more than MAX_OPEN_JOBS were open */
	openDropped: number;
}

export interface ScanResult<J extends CursorJob> {
	/** the read reached its floor or the end of the list */
	complete: boolean;
	/** jobs to emit, oldest state_updated first (jobs without one last) */
	emit: J[];
	/** the state to keep; undefined = keep nothing (a first activation that read no page) */
	state: CursorState | undefined;
	/** the state differs from the one the scan started with */
	changed: boolean;
	baseline: boolean;
	stats: ScanStats;
}

export interface OpenJobRef {
	id: string;
	type: JobTypeKey | undefined;
}

/** Jobs a first activation remembers by hash at most (the newest inside the look-back window). */
export const BASELINE_REMEMBERED = 300;
/** Consecutive step-backs before the scan gives up (a list that keeps shrinking under us). */
const MAX_STEP_BACKS = 20;

function orderOf(updatedSorted: boolean, createdSorted: boolean): ListOrder {
	if (updatedSorted && createdSorted) return 'both';
	if (updatedSorted) return 'updated';
	if (createdSorted) return 'created';
	return 'none';
}

function sortedDesc(keys: number[]): boolean {
	for (let i = 1; i < keys.length; i++) if (keys[i] > keys[i - 1]) return false;
	return true;
}

/** Reads the `open` entry format: `id`, or `type:id` when the id's prefix does not tell. */
export function readOpenEntry(entry: string): OpenJobRef {
	const colon = entry.indexOf(':');
	if (colon > 0) return { type: entry.slice(0, colon) as JobTypeKey, id: entry.slice(colon + 1) };
	return { id: entry, type: jobTypeOfId(entry) };
}

export class CursorScan<J extends CursorJob> {
	readonly pageSize: number;
	readonly baseline: boolean;
	readonly stats: ScanStats;
	private readonly filter: CursorFilter;
	private readonly prior: CursorState | undefined;
	private readonly state: CursorState;
	private readonly lookbackMicros: number;
	private readonly trustedUntil: number;
	private readonly oldestWindowStart: number;
	/** a plain first activation's first poll: everything read is history */
	private readonly silent: boolean;
	private readonly sweep: SweepState;
	private updatedSorted: boolean;
	private createdSorted: boolean;
	private offset: number;
	private finished = false;
	private stepBacks = 0;
	private samePages = 0;
	private lastPageIds: string | undefined;
	private lastKeys: { updated?: number; created?: number } = {};
	private newest = Number.NEGATIVE_INFINITY;
	private readonly seen = new Set<string>();
	private readonly open: Map<string, string>;
	private readonly candidates: Array<{ ts: number; job: J }> = [];
	private pagesRead = 0;
	/** a plain first activation: the terminal matching jobs read (see result) */
	private readonly history: Array<{ ts: number; hash: string }> = [];

	constructor(prior: CursorState | undefined, filter: CursorFilter, options: ScanOptions) {
		this.filter = filter;
		this.pageSize = Math.max(2, Math.floor(options.pageSize));
		this.lookbackMicros = Math.max(0, options.lookbackMicros ?? DEFAULT_LOOKBACK_MINUTES * 60e6);
		this.trustedUntil = options.nowMicros + ALLOWED_SKEW_MICROS;
		this.oldestWindowStart = options.nowMicros - ALLOWED_LAG_MICROS - this.lookbackMicros;
		const key = filterKey(filter);
		const usable = prior && prior.filter === key ? prior : undefined;
		this.prior = usable;
		this.baseline = usable === undefined;
		if (usable) {
			this.state = { ...usable, emitted: { ...usable.emitted }, open: [...usable.open] };
			this.silent = false;
			const floor = Math.min(this.windowFloor(usable.high), usable.nextFloor ?? Number.POSITIVE_INFINITY);
			this.sweep = usable.sweep ? { ...usable.sweep } : { offset: 0, floor, order: 'both', startHigh: usable.high };
		} else {
			const since = options.lookbackFromMicros !== undefined ? Math.floor(options.lookbackFromMicros) : Number.NEGATIVE_INFINITY;
			this.silent = options.lookbackFromMicros === undefined;
			this.state = { version: CURSOR_VERSION, filter: key, since, high: 0, emitted: {}, open: [], noTimestamp: '' };
			this.sweep = { offset: 0, floor: Number.isFinite(since) ? since : 0, order: 'both', baseline: true, startHigh: 0 };
		}
		this.offset = this.sweep.offset;
		this.updatedSorted = this.sweep.order === 'both' || this.sweep.order === 'updated';
		this.createdSorted = this.sweep.order === 'both' || this.sweep.order === 'created';
		this.open = new Map(this.state.open.map((entry) => [readOpenEntry(entry).id, entry]));
		this.stats = { pages: 0, received: 0, noTimestamp: 0, future: 0, stepBacks: 0, order: this.order(), openDropped: 0 };
	}

	/** Where the look-back window starts: a look-back below the newest job, or later when the newest job is old. */
	private windowFloor(high: number): number {
		return Math.max(high - this.lookbackMicros, this.oldestWindowStart);
	}

	order(): ListOrder {
		return orderOf(this.updatedSorted, this.createdSorted);
	}

	/** The offset to read next, or undefined when the read is complete. */
	nextOffset(): number | undefined {
		return this.finished ? undefined : this.offset;
	}

	/**
	 * One page exactly as the server returned it. `received` counts every entry, readable or
	 * not; `total` is the server's count when it gives one.
	 */
	accept(offset: number, jobs: J[], received: number, total?: number): void {
		if (this.finished) return;
		this.stats.pages++;
		this.pagesRead++;
		this.stats.received += received;

		const updated = jobs.map((job) => timestampMicros(job.state_updated));
		const created = jobs.map((job) => timestampMicros(job.state_queued_start));
		const validUpdated = updated.filter((ts) => !Number.isNaN(ts));
		const validCreated = created.filter((ts) => !Number.isNaN(ts));
		// The order is judged on the pages read so far, including the step from the page before.
		const withPrevious = (keys: number[], previous: number | undefined) => (previous === undefined || offset === 0 ? keys : [previous, ...keys]);
		if (!sortedDesc(withPrevious(validUpdated, this.lastKeys.updated))) this.updatedSorted = false;
		if (validCreated.length === 0 || !sortedDesc(withPrevious(validCreated, this.lastKeys.created))) this.createdSorted = false;
		const order = this.order();
		this.stats.order = order;

		// A page past the first must not start below what was read: jobs were removed and the
		// list moved up; step back a page.
		const sortKeys = order === 'created' ? validCreated : validUpdated;
		const gap =
			offset > 0 && order !== 'none' && this.sweep.low !== undefined && sortKeys.length > 0 && sortKeys[0] < this.sweep.low;

		// A server that ignores `offset` answers the same page forever.
		const pageIds = jobs.map((job) => job.job_id).join(',');
		this.samePages = offset > 0 && received > 0 && pageIds === this.lastPageIds ? this.samePages + 1 : 0;
		if (this.samePages >= 3) {
			throw new CursorError('Dreamlook returned the same page of jobs for different offsets, so the trigger cannot page through the job list.');
		}
		this.lastPageIds = pageIds;

		jobs.forEach((job, index) => this.handle(job, updated[index], false));

		if (sortKeys.length > 0) {
			const lowest = Math.min(...sortKeys);
			this.sweep.low = this.sweep.low === undefined ? lowest : Math.min(this.sweep.low, lowest);
		}
		this.lastKeys = { updated: validUpdated[validUpdated.length - 1], created: validCreated[validCreated.length - 1] };

		if (gap) {
			this.stepBack();
			return;
		}
		this.stepBacks = 0;

		// A plain first activation needs nothing below the newest job (unless it must learn the
		// unfinished jobs, see fullRead).
		if (this.silent && Number.isFinite(this.newest)) this.sweep.floor = Math.max(this.sweep.floor, this.newest - this.lookbackMicros);
		const fullRead = order === 'none' || (this.sweep.baseline === true && order !== 'updated');
		const belowFloor = !fullRead && validUpdated.some((ts) => ts < this.sweep.floor);
		// Pages overlap: by the trailing jobs that share the last sort key (so ties cut by a page
		// boundary are read whole again, in whatever order they come), else by one job.
		const keys = order === 'none' ? [] : sortKeys;
		let tail = 1;
		if (keys.length > 1) {
			const last = keys[keys.length - 1];
			let same = 0;
			for (let i = keys.length - 1; i >= 0 && keys[i] === last; i--) same++;
			if (same < received) tail = Math.max(1, same);
		}
		const next = offset + received - tail;
		const end =
			received === 0 ||
			(total !== undefined && offset + received >= total) ||
			(offset > 0 && received <= tail) ||
			next <= offset;
		if (belowFloor || end) {
			this.finished = true;
			return;
		}
		this.offset = next;
	}

	/** Unfinished jobs to look up one by one: those not read this poll, unless the list puts changed jobs on top. */
	openToCheck(): OpenJobRef[] {
		if (this.order() === 'updated') return [];
		return [...this.open.entries()].filter(([id]) => !this.seen.has(id)).map(([, entry]) => readOpenEntry(entry));
	}

	/** A job read on its own (an unfinished job looked up). */
	acceptChecked(job: J): void {
		// Looked-up jobs go to the end of the list, so that lookups capped per poll take turns.
		const entry = this.open.get(job.job_id);
		if (entry !== undefined) {
			this.open.delete(job.job_id);
			this.open.set(job.job_id, entry);
		}
		this.handle(job, timestampMicros(job.state_updated), true);
	}

	/** An unfinished job that no longer exists (404): forget it. */
	gone(id: string): void {
		this.open.delete(id);
	}

	private handle(job: J, ts: number, viaLookup: boolean): void {
		const id = job.job_id;
		if (typeof id !== 'string' || !id) return;
		if (this.seen.has(id) && !viaLookup) return;
		this.seen.add(id);
		const valid = !Number.isNaN(ts);
		if (valid) {
			if (ts > this.trustedUntil) this.stats.future++;
			this.newest = Math.max(this.newest, Math.min(ts, this.trustedUntil));
		}
		if (isOpenState(job.state)) {
			this.remember(job);
			return;
		}
		const wasOpen = this.open.delete(id);
		if (!matchesFilter(job, this.filter)) return;
		if (!valid) {
			this.stats.noTimestamp++;
			const hash = shortHash(id);
			if (groupHas(this.state.noTimestamp, hash)) return;
			this.state.noTimestamp = groupAdd(this.state.noTimestamp, hash, MAX_NO_TIMESTAMP);
			if (this.sweep.baseline && !wasOpen) return;
			this.candidates.push({ ts: Number.POSITIVE_INFINITY, job });
			return;
		}
		const hash = shortHash(id);
		if (this.silent) {
			// History. The jobs inside the look-back window are remembered as handled, so that
			// the boundary can sit a window below the newest job: a job that shows up later,
			// dated inside that window (a lagging list, a clock that stepped back), is still new.
			this.history.push({ ts, hash });
			return;
		}
		if (!wasOpen && ts <= this.state.since) return;
		if (wasEmitted(this.state, ts, hash)) return;
		if (!wasOpen && ts < this.sweep.floor) return;
		markEmitted(this.state, ts, hash);
		this.candidates.push({ ts, job });
	}

	private remember(job: J): void {
		const id = job.job_id;
		if (this.open.has(id)) return;
		const type = jobTypeOf(job);
		if (this.filter.jobType && type && type !== this.filter.jobType) return;
		this.open.set(id, type && jobTypeOfId(id) !== type ? `${type}:${id}` : id);
		if (this.open.size > MAX_OPEN_JOBS) {
			const oldest = this.open.keys().next().value as string;
			this.open.delete(oldest);
			this.stats.openDropped++;
		}
	}

	private stepBack(): void {
		this.stepBacks++;
		this.stats.stepBacks++;
		if (this.stepBacks > MAX_STEP_BACKS) {
			throw new CursorError('The job list kept changing while the trigger paged through it.');
		}
		this.lastPageIds = undefined;
		this.offset = Math.max(0, this.offset - (this.pageSize - 1));
	}

	result(): ScanResult<J> {
		const complete = this.finished;
		const stats = { ...this.stats, order: this.order() };
		const emit = [...this.candidates]
			.sort((a, b) => a.ts - b.ts || (a.job.job_id < b.job.job_id ? -1 : a.job.job_id > b.job.job_id ? 1 : 0))
			.map((entry) => entry.job);
		if (this.baseline && this.pagesRead === 0) {
			return { complete: false, emit: [], state: undefined, changed: false, baseline: true, stats };
		}
		const state: CursorState = { ...this.state, emitted: { ...this.state.emitted }, open: [...this.open.values()] };
		const newest = Number.isFinite(this.newest) ? this.newest : 0;
		if (this.silent) {
			// A plain first activation: everything read so far is history (the window's jobs
			// by their hashes, everything older by the boundary).
			// At most BASELINE_REMEMBERED of them by hash: with more inside the window, the
			// boundary moves up to keep the state small.
			let since = Math.max(newest - this.lookbackMicros, 0);
			const inWindow = this.history.filter((entry) => entry.ts > since).sort((a, b) => b.ts - a.ts);
			if (inWindow.length > BASELINE_REMEMBERED) since = inWindow[BASELINE_REMEMBERED - 1].ts;
			for (const entry of inWindow) if (entry.ts > since) markEmitted(state, entry.ts, entry.hash);
			state.since = since;
			state.high = Math.max(newest, 0);
		} else {
			if (!Number.isFinite(state.since)) state.since = 0;
			state.high = Math.max(state.high, newest, this.baseline ? state.since : 0);
		}
		let sweepFloor = Number.POSITIVE_INFINITY;
		if (complete) {
			delete state.sweep;
			delete state.nextFloor;
			// A read that spanned polls may have passed jobs that appeared above where it was,
			// dated up to a look-back before its start: the next read goes down that far.
			const resumed = this.prior?.sweep !== undefined && !this.prior.sweep.baseline;
			if (resumed && this.windowFloor(this.sweep.startHigh) < this.windowFloor(state.high)) {
				state.nextFloor = this.windowFloor(this.sweep.startHigh);
			}
		} else {
			const sweep: SweepState = { offset: this.offset, floor: this.sweep.floor, order: this.order(), startHigh: this.sweep.startHigh };
			if (this.sweep.low !== undefined) sweep.low = this.sweep.low;
			if (this.sweep.baseline) {
				sweep.baseline = true;
				// A plain first activation reads down to nothing: it looks for unfinished jobs only.
				if (this.silent) sweep.floor = state.since;
			}
			state.sweep = sweep;
			sweepFloor = sweep.floor;
		}
		state.order = this.order();
		state.emitted = pruneEmitted(state.emitted, Math.min(this.windowFloor(state.high), sweepFloor, state.nextFloor ?? Number.POSITIVE_INFINITY));
		const changed = !this.prior || JSON.stringify(this.prior) !== JSON.stringify(state);
		return { complete, emit, state, changed, baseline: this.baseline, stats };
	}
}

/** The list misbehaved in a way the trigger cannot work around (the poll fails, the state stays). */
export class CursorError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'CursorError';
	}
}
