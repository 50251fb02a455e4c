/**
 * The Dreamlook Trigger's cursor: a pure state machine (no n8n, no HTTP, no clock).
 *
 * It is fed pages of GET /jobs, requested newest `state_updated` first with limit/offset
 * paging, and answers which offset to read next, which jobs to emit (oldest first) and the
 * state to keep. See docs/trigger.md for the reasoning; in short:
 *
 *  - `m`/`i`: the high-water mark. Every job whose `state_updated` (microseconds) is below `m`
 *    has been dealt with, and so have the jobs AT `m` whose ids are in `i`. A job that finishes
 *    later gets a newer `state_updated`, so it shows up above the mark again: that is how a job
 *    created long ago that finishes now is caught, with no list of every id ever seen.
 *  - A poll reads from the top down until it sees a job below the mark (normally one page). Only
 *    then does the mark move, to the newest timestamp read, with the ids at that timestamp.
 *  - `s`: a sweep in progress. When a poll stops early (time budget, error) with the pages it
 *    read from the top down to a "floor", it emits what those whole pages held and remembers
 *    [floor, top] as done; the next poll resumes below the floor. The mark itself only moves
 *    when the sweep reaches it, so the cursor never passes unread data.
 *  - Pages overlap by one job. A page at offset > 0 must start with a job already read (or a
 *    newer one): otherwise jobs moved up the list (deleted jobs) and the scan steps back.
 *
 * State size: a few numbers plus the ids that share the newest timestamp (and, during a sweep,
 * the two sweep bounds): bounded by how many jobs finish in the same microsecond, not by history.
 */
import { isTerminalState, JOB_TYPES, type JobTypeKey, jobTypeOfApiName, jobTypeOfId, timestampMicros } from '../api/contract';

export type TriggerEvent = 'success' | 'failure' | 'anyTerminal';

export interface CursorFilter {
	event: TriggerEvent;
	/** undefined = all job types */
	jobType?: JobTypeKey;
}

/** What the cursor needs from a job; the full job object passes through untouched. */
export interface CursorJob {
	job_id: string;
	state: string;
	state_updated?: string | null;
	job_type?: string | null;
}

/** A sweep that stopped early: [a, t] is done (ids at the two ends listed), `o` is where to resume. */
export interface SweepState {
	t: number;
	ti: string[];
	a: number;
	ai: string[];
	o: number;
}

/** Kept in the node's static data. Short keys: it is stored with every saved workflow. */
export interface CursorState {
	v: 1;
	/** which Event / Job Type the cursor belongs to; a change starts a new baseline */
	f: string;
	/** high-water mark: state_updated in microseconds since the epoch (UTC) */
	m: number;
	/** ids of the jobs at exactly `m` already dealt with */
	i: string[];
	s?: SweepState;
	/** the server was seen returning a page out of order: every poll reads the whole list */
	u?: true;
}

export interface ScanOptions {
	pageSize: number;
	/** On first activation, also emit jobs that reached the state after this instant (µs). */
	lookbackFromMicros?: number;
}

export interface ScanStats {
	pages: number;
	received: number;
	/** jobs without a readable state_updated (cannot be placed, never emitted) */
	noTimestamp: number;
	stepBacks: number;
	/** the page order contradicted order=desc: the scan restarted reading everything */
	restartedUnordered: boolean;
}

export interface ScanResult<J extends CursorJob> {
	/** the scan reached the mark (or the end of the list): the mark moved */
	complete: boolean;
	/** jobs to emit, oldest state_updated first */
	emit: J[];
	/** the state to keep; undefined = keep nothing (a first activation that could not finish) */
	state: CursorState | undefined;
	/** state differs from the one the scan started with */
	changed: boolean;
	baseline: boolean;
	stats: ScanStats;
}

export const PAGE_OVERLAP = 1;
/** Consecutive step-backs before the scan gives up (a list that keeps shrinking under us). */
const MAX_STEP_BACKS = 20;

export function filterKey(filter: CursorFilter): string {
	return `${filter.event}|${filter.jobType ?? 'all'}`;
}

/** The state to ask the server for; undefined = any (filtered here). */
export function serverStateFilter(event: TriggerEvent): string | undefined {
	return event === 'anyTerminal' ? undefined : event;
}

/** Whether a job is one the trigger emits (also applied when the server already filtered). */
export function matchesFilter(job: CursorJob, filter: CursorFilter): boolean {
	const stateOk = filter.event === 'anyTerminal' ? isTerminalState(job.state) : job.state === filter.event;
	if (!stateOk) return false;
	if (!filter.jobType) return true;
	const type = jobTypeOfApiName(job.job_type ?? undefined) ?? jobTypeOfId(job.job_id);
	return type === filter.jobType;
}

/** Describes the filter in words, for messages. */
export function describeFilter(filter: CursorFilter): string {
	const what = filter.jobType ? `${JOB_TYPES[filter.jobType].label.toLowerCase()} ` : '';
	if (filter.event === 'success') return `succeeded ${what}job`;
	if (filter.event === 'failure') return `failed ${what}job`;
	return `finished ${what}job`;
}

/** Reads a saved state; anything unexpected (older format, hand-edited) counts as none. */
export function readCursorState(value: unknown): CursorState | undefined {
	if (!value || typeof value !== 'object') return undefined;
	const state = value as Partial<CursorState>;
	if (state.v !== 1 || typeof state.f !== 'string' || typeof state.m !== 'number' || !Array.isArray(state.i)) return undefined;
	const ids = (list: unknown) => Array.isArray(list) && list.every((id) => typeof id === 'string');
	if (!ids(state.i)) return undefined;
	const s = state.s;
	const sweepOk =
		s === undefined ||
		(typeof s === 'object' &&
			typeof s.t === 'number' &&
			typeof s.a === 'number' &&
			typeof s.o === 'number' &&
			ids(s.ti) &&
			ids(s.ai) &&
			s.a <= s.t &&
			s.o >= 0);
	if (!sweepOk) return undefined;
	return state as CursorState;
}

function sameState(a: CursorState | undefined, b: CursorState): boolean {
	return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

/** Drops undefined keys so the state compares and stores cleanly. */
function clean(state: CursorState): CursorState {
	const copy = { ...state };
	if (copy.s === undefined) delete copy.s;
	if (copy.u === undefined) delete copy.u;
	return copy;
}

function byTimeThenId<J extends CursorJob>(a: { ts: number; job: J }, b: { ts: number; job: J }): number {
	if (a.ts !== b.ts) return a.ts - b.ts;
	return a.job.job_id < b.job.job_id ? -1 : a.job.job_id > b.job.job_id ? 1 : 0;
}

/**
 * One poll's walk down the list. Drive it with `nextOffset()` / `accept()` and finish with
 * `result()`, which is valid at any point: a scan stopped early gives a partial result
 * (the pages accepted so far), never one that skips unread jobs.
 */
export class CursorScan<J extends CursorJob> {
	readonly filter: CursorFilter;
	readonly pageSize: number;
	readonly baseline: boolean;
	private readonly prior: CursorState | undefined;
	private readonly key: string;
	/** emit nothing (plain first activation) */
	private readonly silent: boolean;
	private unordered: boolean;

	/** lower bound: the mark (undefined until the first page of a plain baseline) */
	private M: number | undefined;
	private MI: Set<string>;
	/** top of this sweep: the newest timestamp of its first page */
	private T: number | undefined;
	private TI = new Set<string>();
	/** floor: the oldest position read so far */
	private F = Number.POSITIVE_INFINITY;
	private FI = new Set<string>();

	private offset = 0;
	private finished = false;
	private reachedBelow = false;
	private stepBacks = 0;
	private lastPageIds: string | undefined;
	private samePages = 0;
	private candidates: Array<{ ts: number; job: J }> = [];
	/** unordered mode only: everything read in this scan, and the newest timestamp */
	private seen = new Set<string>();
	private unorderedTop: { ts: number; ids: Set<string> } | undefined;
	readonly stats: ScanStats = { pages: 0, received: 0, noTimestamp: 0, stepBacks: 0, restartedUnordered: false };

	constructor(prior: CursorState | undefined, filter: CursorFilter, options: ScanOptions) {
		this.filter = filter;
		this.pageSize = Math.max(2, Math.floor(options.pageSize));
		this.key = filterKey(filter);
		const usable = prior && prior.f === this.key ? prior : undefined;
		this.prior = usable;
		this.baseline = usable === undefined;
		this.unordered = usable?.u === true;
		if (usable) {
			this.silent = false;
			this.M = usable.m;
			this.MI = new Set(usable.i);
			if (usable.s && !this.unordered) {
				this.T = usable.s.t;
				this.TI = new Set(usable.s.ti);
				this.F = usable.s.a;
				this.FI = new Set(usable.s.ai);
				this.offset = usable.s.o;
			}
		} else if (options.lookbackFromMicros !== undefined) {
			this.silent = false;
			this.M = Math.floor(options.lookbackFromMicros);
			this.MI = new Set();
		} else {
			this.silent = true;
			this.M = undefined;
			this.MI = new Set();
		}
	}

	/** The offset to read next, or undefined when the scan is complete. */
	nextOffset(): number | undefined {
		return this.finished ? undefined : this.offset;
	}

	/**
	 * One page, exactly as the server returned it (in its order). `received` counts every entry,
	 * readable or not; `total` is the server's count when it gives one.
	 */
	accept(offset: number, jobs: J[], received: number, total?: number): void {
		if (this.finished) return;
		this.stats.pages++;
		this.stats.received += received;

		const valid = jobs.filter((job) => {
			const ok = !Number.isNaN(timestampMicros(job.state_updated));
			if (!ok) this.stats.noTimestamp++;
			return ok;
		});
		const micros = valid.map((job) => timestampMicros(job.state_updated));

		if (!this.unordered && micros.some((ts, index) => index > 0 && ts > micros[index - 1])) {
			// The server does not sort as asked: nothing read so far can be trusted to be complete.
			this.restartUnordered();
			return;
		}
		if (this.unordered) {
			this.acceptUnordered(offset, valid, micros, received, total);
			return;
		}

		// Continuity: a page past the first must start at or above what was read already.
		if (offset > 0 && this.F !== Number.POSITIVE_INFINITY) {
			const first = valid[0];
			const covered =
				first !== undefined &&
				(this.isAboveTop(micros[0], first.job_id) || this.isAlreadyRead(micros[0], first.job_id));
			if (!covered && received > 0) {
				this.stepBack();
				return;
			}
			if (received === 0) {
				// With overlapping pages the true end answers at least the overlap job: the list shrank.
				this.stepBack();
				return;
			}
		}
		// A server that ignores `offset` answers the same page forever (one repeat can be a
		// coincidence of jobs arriving between two reads; three cannot).
		const pageIds = jobs.map((job) => job.job_id).join(',');
		this.samePages = offset > 0 && received > 0 && pageIds === this.lastPageIds ? this.samePages + 1 : 0;
		if (this.samePages >= 3) {
			throw new CursorError('Dreamlook returned the same page of jobs for different offsets: paging does not work');
		}
		this.lastPageIds = pageIds;

		if (this.T === undefined && valid.length > 0) {
			this.T = Math.max(...micros);
			// A plain first activation: everything up to the newest job is history.
			if (this.M === undefined) this.M = this.T;
		}

		valid.forEach((job, index) => this.place(job, micros[index]));
		this.stepBacks = 0;

		const next = offset + received - PAGE_OVERLAP;
		const end =
			received === 0 ||
			(total !== undefined && offset + received >= total) ||
			(received <= PAGE_OVERLAP && offset > 0) ||
			next <= offset;
		if (this.reachedBelow || end) {
			this.finished = true;
			return;
		}
		this.offset = next;
	}

	private isAboveTop(ts: number, id: string): boolean {
		if (this.T === undefined) return false;
		if (ts > this.T) return true;
		// At the top timestamp but not read while the sweep passed it: it arrived later.
		return ts === this.T && this.F < this.T && !this.TI.has(id);
	}

	private isAlreadyRead(ts: number, id: string): boolean {
		return ts > this.F || (ts === this.F && this.FI.has(id));
	}

	private place(job: J, ts: number): void {
		const id = job.job_id;
		// Newer than this sweep's top: left for the next sweep, which starts from the new mark.
		if (this.isAboveTop(ts, id) || this.isAlreadyRead(ts, id)) return;
		if (ts < this.F) {
			this.F = ts;
			this.FI = new Set([id]);
		} else {
			this.FI.add(id);
		}
		const M = this.M as number;
		if (ts < M) {
			this.reachedBelow = true;
			return;
		}
		if (ts === M && this.MI.has(id)) return;
		if (ts === this.T) this.TI.add(id);
		if (!this.silent && matchesFilter(job, this.filter)) this.candidates.push({ ts, job });
	}

	private stepBack(): void {
		this.stepBacks++;
		this.stats.stepBacks++;
		if (this.stepBacks > MAX_STEP_BACKS) {
			throw new CursorError('The job list kept changing under the trigger while it paged through it');
		}
		this.lastPageIds = undefined;
		this.offset = Math.max(0, this.offset - (this.pageSize - PAGE_OVERLAP));
	}

	private restartUnordered(): void {
		this.unordered = true;
		this.stats.restartedUnordered = true;
		this.candidates = [];
		this.offset = 0;
		this.finished = false;
		this.reachedBelow = false;
	}

	/** Whether a job was dealt with before this scan (mark, and a prior sweep's done range). */
	private handledBefore(ts: number, id: string): boolean {
		if (this.M === undefined) return true;
		if (ts < this.M || (ts === this.M && this.MI.has(id))) return true;
		const s = this.prior?.s;
		if (!s) return false;
		return (ts > s.a && ts < s.t) || (ts === s.t && s.ti.includes(id)) || (ts === s.a && s.ai.includes(id));
	}

	private acceptUnordered(offset: number, valid: J[], micros: number[], received: number, total?: number): void {
		if (this.M === undefined) this.M = Number.POSITIVE_INFINITY; // plain baseline: nothing is new
		valid.forEach((job, index) => {
			const ts = micros[index];
			if (this.seen.has(job.job_id)) return;
			this.seen.add(job.job_id);
			if (!this.unorderedTop || ts > this.unorderedTop.ts) this.unorderedTop = { ts, ids: new Set([job.job_id]) };
			else if (ts === this.unorderedTop.ts) this.unorderedTop.ids.add(job.job_id);
			if (this.silent || this.handledBefore(ts, job.job_id)) return;
			if (matchesFilter(job, this.filter)) this.candidates.push({ ts, job });
		});
		const next = offset + received - PAGE_OVERLAP;
		const end = received === 0 || (total !== undefined && offset + received >= total) || received <= PAGE_OVERLAP || next <= offset;
		if (end) this.finished = true;
		else this.offset = next;
	}

	result(): ScanResult<J> {
		const complete = this.finished;
		const raw = this.unordered ? this.unorderedState(complete) : this.orderedState(complete);
		const state = raw && clean(raw);
		const emit =
			this.unordered && !complete
				? []
				: [...this.candidates].sort(byTimeThenId).map((entry) => entry.job);
		return {
			complete,
			emit,
			state,
			changed: state !== undefined && !sameState(this.prior, state),
			baseline: this.baseline,
			stats: { ...this.stats },
		};
	}

	private base(): CursorState {
		return { v: 1, f: this.key, m: 0, i: [] };
	}

	private orderedState(complete: boolean): CursorState | undefined {
		const M = this.M;
		if (complete) {
			const state = this.base();
			const T = this.T;
			if (M === undefined) {
				// Plain baseline over an empty list: every job that appears later is new.
				state.m = 0;
			} else if (T === undefined || T < M) {
				state.m = M;
				state.i = [...this.MI];
			} else if (T === M) {
				state.m = M;
				state.i = [...new Set([...this.MI, ...this.TI])];
			} else {
				state.m = T;
				state.i = [...this.TI];
			}
			return state;
		}
		// Stopped early. A baseline that did not finish keeps nothing (it is redone next poll).
		if (M === undefined || this.silent) return this.prior;
		const state: CursorState = this.prior ? { ...this.prior } : { ...this.base(), m: M };
		if (this.T !== undefined && this.F !== Number.POSITIVE_INFINITY) {
			state.s = { t: this.T, ti: [...this.TI], a: this.F, ai: [...this.FI], o: this.offset };
		}
		return state;
	}

	private unorderedState(complete: boolean): CursorState | undefined {
		const prior = this.prior ?? this.base();
		if (!complete) return this.prior ? { ...this.prior, u: true } : undefined;
		const state: CursorState = { v: 1, f: this.key, m: prior.m, i: [...prior.i], u: true };
		const top = this.unorderedTop;
		const M = this.M === Number.POSITIVE_INFINITY || this.M === undefined ? undefined : this.M;
		const sweepTop = this.prior?.s?.t;
		// The prior sweep's done range counts as passed: the new mark covers it.
		let m = M ?? Number.NEGATIVE_INFINITY;
		let ids = new Set(M === undefined ? [] : this.MI);
		if (sweepTop !== undefined && sweepTop >= m && this.prior?.s) {
			ids = sweepTop === m ? new Set([...ids, ...this.prior.s.ti]) : new Set(this.prior.s.ti);
			m = sweepTop;
		}
		if (top && top.ts >= m) {
			ids = top.ts === m ? new Set([...ids, ...top.ids]) : top.ids;
			m = top.ts;
		}
		state.m = m === Number.NEGATIVE_INFINITY ? 0 : m;
		state.i = [...ids];
		return state;
	}
}

/** The list misbehaved in a way the cursor cannot work around (the poll fails, the cursor stays). */
export class CursorError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'CursorError';
	}
}

/**
 * Convenience for tests and tools: one whole scan over pages given by a synchronous function.
 * `pageAt(offset, limit)` returns the page the server would answer.
 */
export function scanPages<J extends CursorJob>(
	prior: CursorState | undefined,
	filter: CursorFilter,
	options: ScanOptions & { maxPages?: number },
	pageAt: (offset: number, limit: number) => { jobs: J[]; received?: number; total?: number },
): ScanResult<J> {
	const scan = new CursorScan<J>(prior, filter, options);
	const maxPages = options.maxPages ?? Number.POSITIVE_INFINITY;
	for (let pages = 0; pages < maxPages; pages++) {
		const offset = scan.nextOffset();
		if (offset === undefined) break;
		const page = pageAt(offset, scan.pageSize);
		scan.accept(offset, page.jobs, page.received ?? page.jobs.length, page.total);
	}
	return scan.result();
}
