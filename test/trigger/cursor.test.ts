/**
 * The trigger's cursor as a pure function: consecutive polls over one saved state, against an
 * in-memory list (test/trigger/model-list.ts) that changes between (and during) polls, ordered
 * by update, by creation or not at all. The local clock is injected (`nowMicros`).
 */
import {
	ALLOWED_SKEW_MICROS,
	type CursorFilter,
	CursorScan,
	type CursorState,
	filterKey,
	readCursorState,
	stateBytes,
} from '../../nodes/Dreamlook/trigger/cursor';
import { iso, ModelList, type ModelJob, rng, START_US } from './model-list';
import { scanPages } from './scan-helper';

const SUCCESS: CursorFilter = { event: 'success' };
const ANY: CursorFilter = { event: 'anyTerminal' };
const PAGE = 100;
const MIN = 60e6;

interface PollOptions {
	filter?: CursorFilter;
	maxPages?: number;
	lookbackFromMicros?: number;
	now?: number;
	lookups?: boolean;
}

/** One poll as the node makes it: no server-side state filter, lookups of unfinished jobs. */
function poll(list: ModelList, state: CursorState | undefined, options: PollOptions = {}) {
	list.requests = 0;
	list.lookups = 0;
	const nowMicros = options.now ?? Math.max(START_US, ...[...list.jobs.values()].map((job) => job.us)) + 1;
	return scanPages<ModelJob>(
		state,
		options.filter ?? SUCCESS,
		{ pageSize: PAGE, nowMicros, maxPages: options.maxPages, lookbackFromMicros: options.lookbackFromMicros },
		{ page: (offset, limit) => list.page(offset, limit), get: options.lookups === false ? undefined : (ref) => list.get(ref.id) },
	);
}

const ids = (jobs: ModelJob[]) => jobs.map((job) => job.job_id);

/** A history of `n` finished jobs, created in order but finished in another order (so the two orders differ). */
function history(list: ModelList, n: number, from = START_US - n * 10e6) {
	for (let i = 0; i < n; i++) list.add('success', from + i * 10e6 + (i % 2 === 0 ? 15e6 : 0), 'image-gen', undefined, from + i * 10e6);
}

describe('cursor: baseline', () => {
	it('emits nothing on first activation; the newest job marks the start', () => {
		const list = new ModelList();
		history(list, 250);
		const first = poll(list, undefined);
		expect(first.baseline).toBe(true);
		expect(first.emit).toEqual([]);
		expect(first.complete).toBe(true);
		expect(first.state).toMatchObject({ version: 2, filter: filterKey(SUCCESS) });
		expect(first.state?.since).toBe(Math.max(...[...list.jobs.values()].map((job) => job.us)) - 10 * MIN);
		expect(list.requests).toBe(1); // sorted by update only: no need to look further
	});

	it('an empty account: every later job is new', () => {
		const list = new ModelList();
		const first = poll(list, undefined);
		list.add('success', START_US);
		expect(ids(poll(list, first.state).emit)).toEqual(['ig_00000000']);
	});

	it('with a look-back, emits the jobs finished since then, oldest first', () => {
		const list = new ModelList();
		for (let i = 0; i < 10; i++) list.add('success', START_US + i * 3600e6);
		const result = poll(list, undefined, { lookbackFromMicros: START_US + 6.5 * 3600e6 });
		expect(ids(result.emit)).toEqual(['ig_00000007', 'ig_00000008', 'ig_00000009']);
		expect(poll(list, result.state).emit).toEqual([]);
	});

	it('starts over when Event or Job Type changes', () => {
		const list = new ModelList();
		list.add('success', START_US);
		const state = poll(list, undefined).state;
		list.add('failure', START_US + 10);
		const other = poll(list, state, { filter: { event: 'failure' } });
		expect(other.baseline).toBe(true);
		expect(other.emit).toEqual([]);
	});
});

describe('cursor: later polls (list sorted by state_updated)', () => {
	it('emits new jobs oldest first, then nothing; an idle poll is one request', () => {
		const list = new ModelList();
		history(list, 5000);
		let state = poll(list, undefined).state;
		const top = Math.max(...[...list.jobs.values()].map((job) => job.us));
		list.add('success', top + 10_000, 'image-gen', 'ig_new_b');
		list.add('success', top + 9_000, 'image-gen', 'ig_new_a');
		const second = poll(list, state);
		expect(ids(second.emit)).toEqual(['ig_new_a', 'ig_new_b']);
		state = second.state;
		const third = poll(list, state);
		expect(third.emit).toEqual([]);
		expect(list.requests).toBe(1);
		expect(stateBytes(third.state)).toBeLessThan(4096);
	});

	it('many jobs on one timestamp, across pages and arriving over several polls: each once', () => {
		const list = new ModelList();
		list.add('success', START_US);
		let state = poll(list, undefined).state;
		const ts = START_US + 500;
		const emitted: string[] = [];
		for (let i = 0; i < 150; i++) list.add('success', ts, 'image-gen', `ig_same_${String(i).padStart(3, '0')}`);
		let result = poll(list, state);
		emitted.push(...ids(result.emit));
		for (let i = 150; i < 230; i++) list.add('success', ts, 'image-gen', `ig_same_${String(i).padStart(3, '0')}`);
		result = poll(list, result.state);
		emitted.push(...ids(result.emit));
		state = result.state;
		expect(emitted).toHaveLength(230);
		expect(new Set(emitted).size).toBe(230);
		expect(poll(list, state).emit).toEqual([]);
	});

	it('pages through a backlog longer than one page', () => {
		const list = new ModelList();
		history(list, 3000);
		const state = poll(list, undefined).state;
		for (let i = 0; i < 1234; i++) list.add('success', START_US + 10_000 + i, 'image-gen', undefined, START_US - 7200e6 + i);
		const result = poll(list, state);
		expect(result.emit).toHaveLength(1234);
		expect(result.emit.map((job) => job.us)).toEqual([...result.emit.map((job) => job.us)].sort((a, b) => a - b));
		expect(poll(list, result.state).emit).toEqual([]);
	});

	it('filters state and job type itself; unknown states never count', () => {
		const list = new ModelList();
		list.add('success', START_US);
		const filter: CursorFilter = { event: 'anyTerminal', jobType: 'dreambooth' };
		const state = poll(list, undefined, { filter }).state;
		list.add('failure', START_US + 1, 'image-gen');
		list.add('failure', START_US + 2, 'dreambooth', 'db_1');
		list.add('success', START_US + 3, 'dreambooth', 'db_2');
		list.add('running', START_US + 4, 'dreambooth', 'db_3');
		list.add('cancelled', START_US + 5, 'dreambooth', 'db_4');
		expect(ids(poll(list, state, { filter }).emit)).toEqual(['db_1', 'db_2']);
	});
});

describe('cursor: time and visibility', () => {
	it('a job dated far in the future is emitted once and does not hide the jobs after it', () => {
		const list = new ModelList();
		history(list, 300);
		const now = START_US + MIN;
		let state = poll(list, undefined, { now }).state;
		list.add('success', Date.UTC(2099, 0, 1) * 1000, 'image-gen', 'ig_2099', now - 1000);
		const first = poll(list, state, { now });
		expect(ids(first.emit)).toEqual(['ig_2099']);
		expect(first.stats.future).toBe(1);
		expect(first.state?.high).toBeLessThanOrEqual(now + ALLOWED_SKEW_MICROS);
		state = first.state;
		const emitted: string[] = [];
		for (let i = 0; i < 51; i++) {
			const at = now + (i + 1) * MIN;
			list.add('success', at - 1000, 'image-gen', `ig_after_${i}`, at - 2000);
			const result = poll(list, state, { now: at });
			emitted.push(...ids(result.emit));
			state = result.state;
		}
		expect(emitted).toEqual(Array.from({ length: 51 }, (_, i) => `ig_after_${i}`));
	});

	it('a clock that steps back up to 9 minutes (window 10): each job once', () => {
		const list = new ModelList();
		history(list, 300);
		let now = START_US + MIN;
		let state = poll(list, undefined, { now }).state;
		const emitted: string[] = [];
		for (let i = 0; i < 9; i++) {
			now += MIN;
			list.add('success', now - (i + 1) * MIN, 'image-gen', `ig_back_${i}`, now - (i + 1) * MIN - 1);
			list.add('success', now, 'image-gen', `ig_fwd_${i}`, now - 1);
			const result = poll(list, state, { now });
			emitted.push(...ids(result.emit));
			state = result.state;
		}
		expect(emitted.sort()).toEqual([...Array.from({ length: 9 }, (_, i) => `ig_back_${i}`), ...Array.from({ length: 9 }, (_, i) => `ig_fwd_${i}`)].sort());
	});

	it('a job that becomes visible in the list late, dated before newer ones, is emitted once', () => {
		const list = new ModelList();
		history(list, 300);
		let now = START_US + MIN;
		let state = poll(list, undefined, { now }).state;
		const late = list.add('running', now - 30e6, 'image-gen', 'ig_late', now - 60e6);
		list.lagging.set('ig_late', { ...late });
		list.update('ig_late', 'success', now);
		now += MIN;
		list.add('success', now, 'image-gen', 'ig_newer', now - 1);
		let result = poll(list, state, { now, lookups: false });
		expect(ids(result.emit)).toEqual(['ig_newer']);
		list.lagging.delete('ig_late'); // 5 minutes later the list shows it
		now += 5 * MIN;
		result = poll(list, result.state, { now, lookups: false });
		expect(ids(result.emit)).toEqual(['ig_late']);
		state = result.state;
		expect(poll(list, state, { now: now + MIN }).emit).toEqual([]);
	});

	it('a job without a readable state_updated is emitted once, when first seen (not at activation)', () => {
		const list = new ModelList();
		history(list, 50);
		list.add('success', START_US - 10, 'image-gen', 'ig_old_undated');
		list.undated.add('ig_old_undated');
		let state = poll(list, undefined).state;
		list.add('success', START_US + 10, 'image-gen', 'ig_undated');
		list.undated.add('ig_undated');
		const result = poll(list, state);
		expect(ids(result.emit)).toEqual(['ig_undated']);
		state = result.state;
		expect(poll(list, state).emit).toEqual([]);
	});
});

describe('cursor: a list ordered by creation time (order_by ignored)', () => {
	function creationList() {
		const list = new ModelList();
		list.order = 'created';
		// 10 000 jobs of history; the first 20 created are long trainings still running.
		for (let i = 0; i < 20; i++) list.add('running', START_US - 3600e6 + i, 'dreambooth', `db_long_${i}`, START_US - 3600e6 + i);
		for (let i = 20; i < 10_000; i++) list.add('success', START_US - 3600e6 + i * 7e6, 'image-gen', undefined, START_US - 3600e6 + i * 7e6 - 1000);
		return list;
	}

	it('learns the running jobs at activation and finds them when they end, deep in the list', () => {
		const list = creationList();
		let now = Math.max(...[...list.jobs.values()].map((job) => job.us)) + 1;
		const first = poll(list, undefined, { now });
		expect(first.complete).toBe(true);
		expect(first.state?.open).toHaveLength(20);
		let state = first.state;
		now += MIN;
		const idle = poll(list, state, { now });
		expect(idle.emit).toEqual([]);
		expect(list.requests).toBe(1);
		expect(list.lookups).toBe(20);
		expect(JSON.stringify(idle.state?.open).length).toBeLessThan(20 * 16);
		expect(stateBytes(idle.state)).toBeLessThan(4096);
		now += MIN;
		list.update('db_long_3', 'success', now - 1);
		list.update('db_long_7', 'failure', now - 1);
		const result = poll(list, idle.state, { now });
		expect(ids(result.emit)).toEqual(['db_long_3']);
		expect(result.state?.open).toHaveLength(18);
		state = result.state;
		expect(poll(list, state, { now: now + MIN }).emit).toEqual([]);
	});

	it('finds a job created and finished between two polls, never seen unfinished', () => {
		const list = creationList();
		let now = Math.max(...[...list.jobs.values()].map((job) => job.us)) + 1;
		let state = poll(list, undefined, { now }).state;
		now += MIN;
		list.add('success', now - 10, 'image-gen', 'ig_quick', now - 20e6);
		const result = poll(list, state, { now });
		expect(ids(result.emit)).toEqual(['ig_quick']);
		state = result.state;
		expect(poll(list, state, { now: now + MIN }).emit).toEqual([]);
	});

	it('a job seen running, then finishing, is emitted once with no lookups when it sits on the first page', () => {
		const list = new ModelList();
		list.order = 'created';
		history(list, 200);
		let now = START_US;
		let state = poll(list, undefined, { now }).state;
		list.add('running', now + 1, 'image-gen', 'ig_run', now);
		now += MIN;
		let result = poll(list, state, { now });
		expect(result.state?.open).toEqual(['ig_run']);
		list.update('ig_run', 'success', now + 1);
		now += MIN;
		result = poll(list, result.state, { now });
		expect(ids(result.emit)).toEqual(['ig_run']);
		expect(list.lookups).toBe(0);
		state = result.state;
		expect(state?.open).toEqual([]);
	});
});

describe('cursor: lookups of unfinished jobs', () => {
	it('take turns when more jobs are open than one poll looks up', () => {
		const open = Array.from({ length: 150 }, (_, i) => `db_open${String(i).padStart(4, '0')}`);
		const prior: CursorState = { version: 2, filter: filterKey(SUCCESS), since: START_US, high: START_US, emitted: {}, open, noTimestamp: '' };
		const first = new CursorScan<ModelJob>(prior, SUCCESS, { pageSize: PAGE, nowMicros: START_US + MIN });
		const refs = first.openToCheck();
		expect(refs).toHaveLength(150);
		for (const ref of refs.slice(0, 100)) first.acceptChecked({ job_id: ref.id, state: 'running', state_updated: iso(START_US - MIN), job_type: 'dreambooth', us: 0, createdUs: 0 });
		const next = new CursorScan<ModelJob>(first.result().state, SUCCESS, { pageSize: PAGE, nowMicros: START_US + 2 * MIN });
		expect(next.openToCheck().slice(0, 50).map((ref) => ref.id)).toEqual(open.slice(100));
	});
});

describe('cursor: no usable order', () => {
	it('reads the whole list in bounded, resumable steps, then returns to the cheap path', () => {
		const list = new ModelList();
		history(list, 2000);
		let now = START_US;
		let state = poll(list, undefined, { now }).state;
		list.order = 'unordered';
		list.add('success', now + 10, 'image-gen', 'ig_a');
		const emitted: string[] = [];
		let polls = 0;
		let result;
		do {
			now += MIN;
			result = poll(list, state, { now, maxPages: 5 });
			expect(list.requests).toBeLessThanOrEqual(5);
			expect(result.stats.order).toBe('none');
			emitted.push(...ids(result.emit));
			state = result.state;
			polls++;
		} while (!result.complete && polls < 20);
		expect(polls).toBeGreaterThan(1);
		expect(emitted).toEqual(['ig_a']);
		list.order = 'updated';
		now += MIN;
		list.add('success', now, 'image-gen', 'ig_b', now - 5);
		result = poll(list, state, { now });
		expect(ids(result.emit)).toEqual(['ig_b']);
		expect(result.stats.order).not.toBe('none');
		result = poll(list, result.state, { now: now + MIN });
		expect(list.requests).toBe(1);
	});

	it('equal timestamps across a page boundary in an order that changes on every request: no miss, no duplicate', () => {
		for (let seed = 1; seed <= 10; seed++) {
			const list = new ModelList();
			list.unstableTies = true;
			history(list, 500);
			let now = START_US;
			let state = poll(list, undefined, { now }).state;
			const emitted: string[] = [];
			for (let round = 0; round < 6; round++) {
				now += MIN;
				// 60 jobs on one timestamp and 90 on another: both groups straddle page boundaries.
				if (round === 0) {
					for (let i = 0; i < 60; i++) list.add('success', now - 20, 'image-gen', `ig_s${seed}_a${i}`, now - 1e6 - i);
					for (let i = 0; i < 90; i++) list.add('success', now - 10, 'image-gen', `ig_s${seed}_b${i}`, now - 2e6 - i);
				}
				const result = poll(list, state, { now });
				emitted.push(...ids(result.emit));
				state = result.state;
			}
			expect(new Set(emitted).size).toBe(emitted.length);
			expect(emitted).toHaveLength(150);
		}
	});
});

describe('cursor: state size', () => {
	it('10 000 jobs on one timestamp at first activation, and 5 000 more later: a few bytes per job at most', () => {
		const list = new ModelList();
		for (let i = 0; i < 10_000; i++) list.add('success', START_US, 'image-gen', undefined, START_US - 1e6 - i);
		const now = START_US + 1;
		const first = poll(list, undefined, { now });
		expect(stateBytes(first.state)).toBeLessThan(4096);
		for (let i = 0; i < 5000; i++) list.add('success', START_US + 30e6, 'image-gen', undefined, START_US - i);
		const second = poll(list, first.state, { now: now + MIN });
		expect(second.emit).toHaveLength(5000);
		expect(stateBytes(second.state)).toBeLessThan(5000 * 7 + 400);
		// Once the window has moved past them, the state is small again.
		list.add('success', START_US + 30 * MIN, 'image-gen', 'ig_later', START_US + 30 * MIN - 1);
		const later = poll(list, second.state, { now: START_US + 31 * MIN });
		expect(ids(later.emit)).toEqual(['ig_later']);
		expect(stateBytes(later.state)).toBeLessThan(4096);
	});

	it('ignores saved data it does not recognise (older formats included)', () => {
		expect(readCursorState(undefined)).toBeUndefined();
		expect(readCursorState({ v: 1, f: 'success|all', m: 5, i: ['a'] })).toBeUndefined();
		const good = { version: 2, filter: 'success|all', since: 1, high: 2, emitted: {}, open: [], noTimestamp: '' };
		expect(readCursorState(good)).toEqual(good);
		expect(readCursorState({ ...good, sweep: { offset: -1, floor: 0, order: 'both' } })).toBeUndefined();
	});

	it('a scan can be driven page by page', () => {
		const list = new ModelList();
		list.add('success', START_US);
		const scan = new CursorScan<ModelJob>(undefined, SUCCESS, { pageSize: 10, nowMicros: START_US });
		expect(scan.nextOffset()).toBe(0);
		const page = list.page(0, 10);
		scan.accept(0, page.jobs, page.received, page.total);
		expect(scan.nextOffset()).toBeUndefined();
		expect(scan.result().state?.since).toBe(START_US - 10 * MIN);
		expect(iso(START_US)).toBe('2026-11-25T12:00:00.000000');
	});
});

describe('cursor: randomised model check', () => {
	it('every success exactly once: any order, unstable ties, visibility lag, undated jobs, skew, page limits, reloads', () => {
		const orders = ['updated', 'created', 'unordered'] as const;
		for (let seed = 1; seed <= 12; seed++) {
			const random = rng(seed);
			const list = new ModelList();
			list.order = orders[seed % 3];
			list.unstableTies = seed % 2 === 0;
			let now = START_US;
			const pending: string[] = [];
			for (let i = 0; i < 300; i++) pending.push(list.add('queued', START_US - 1e9 + i, 'image-gen', undefined, START_US - 1e9 + i).job_id);
			for (let i = 0; i < 50; i++) list.add('success', START_US - 1e6 + Math.floor(random() * 100), 'image-gen', undefined, START_US - 2e9 + i);
			const filter = seed % 4 < 2 ? SUCCESS : ANY;
			const created: string[] = [];
			const finishedAfterActivation = new Set<string>();
			const lagUntil = new Map<string, number>();
			const finishSome = () => {
				const n = Math.floor(random() * 6);
				for (let k = 0; k < n; k++) {
					const r = random();
					const state = random() < 0.8 ? 'success' : 'failure';
					if (r < 0.3) {
						// a new job, created and finished between polls
						const id = `ig_n${created.length}`;
						created.push(id);
						finishedAfterActivation.add(id);
						list.add(state, now - Math.floor(random() * 1000), 'image-gen', id, now - 2000);
					} else if (pending.length > 0) {
						const id = pending.splice(Math.floor(random() * pending.length), 1)[0];
						const before = list.jobs.get(id) as ModelJob;
						// dated up to 5 minutes back (skew) or exactly now (ties)
						const at = random() < 0.2 ? now - Math.floor(random() * 5 * MIN) : random() < 0.5 ? now : now - 1;
						list.update(id, state, at);
						finishedAfterActivation.add(id);
						const odd = random();
						if (odd < 0.1) {
							// the list shows the old copy for 1–4 more polls (visibility lag)
							list.lagging.set(id, before);
							lagUntil.set(id, now + (1 + Math.floor(random() * 4)) * MIN);
						} else if (odd < 0.13) {
							list.undated.add(id);
						}
					}
				}
			};
			let saved = poll(list, undefined, { filter, now }).state;
			let memory = saved;
			const emittedCount = new Map<string, number>();
			list.beforePage = (offset) => {
				if (offset > 0 && random() < 0.3) finishSome();
			};
			for (let round = 0; round < 100; round++) {
				now += MIN;
				for (const [id, until] of lagUntil) {
					if (until <= now) {
						list.lagging.delete(id);
						lagUntil.delete(id);
					}
				}
				if (random() < 0.7) for (let k = 0; k < 1 + Math.floor(random() * 20); k++) finishSome();
				const result = poll(list, memory, { filter, now, maxPages: 1 + Math.floor(random() * 4) });
				for (const job of result.emit) emittedCount.set(job.job_id, (emittedCount.get(job.job_id) ?? 0) + 1);
				memory = result.state;
				if (result.emit.length > 0) saved = memory; // n8n saves with the emit
				if (random() < 0.1) memory = saved; // restart: what was only in memory is gone
			}
			list.beforePage = undefined;
			list.lagging.clear();
			for (let round = 0; round < 40; round++) {
				now += MIN;
				const result = poll(list, memory, { filter, now });
				for (const job of result.emit) emittedCount.set(job.job_id, (emittedCount.get(job.job_id) ?? 0) + 1);
				memory = result.state;
			}
			const expected = [...list.jobs.values()].filter(
				(job) => finishedAfterActivation.has(job.job_id) && (filter.event === 'anyTerminal' ? job.state === 'success' || job.state === 'failure' : job.state === 'success'),
			);
			const missing = expected.filter((job) => !emittedCount.has(job.job_id)).map((job) => job.job_id);
			const doubled = [...emittedCount].filter(([, count]) => count > 1);
			const unexpected = [...emittedCount.keys()].filter((id) => !expected.some((job) => job.job_id === id));
			expect({ seed, missing, doubled, unexpected }).toEqual({ seed, missing: [], doubled: [], unexpected: [] });
		}
	});
});
