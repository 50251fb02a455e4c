/**
 * The trigger's cursor as a pure function: consecutive polls over one saved state, against an
 * in-memory list that changes between (and during) polls.
 */
import {
	type CursorFilter,
	CursorScan,
	type CursorState,
	filterKey,
	readCursorState,
	scanPages,
} from '../../nodes/Dreamlook/trigger/cursor';
import { iso, ModelList, type ModelJob, rng, START_US } from './model-list';

const SUCCESS: CursorFilter = { event: 'success' };
const PAGE = 100;

/** One poll: all pages (or at most maxPages), server filtered by state like the node asks. */
function poll(list: ModelList, state: CursorState | undefined, filter = SUCCESS, maxPages?: number, lookbackFromMicros?: number) {
	const serverState = filter.event === 'anyTerminal' ? undefined : filter.event;
	return scanPages<ModelJob>(state, filter, { pageSize: PAGE, maxPages, lookbackFromMicros }, (offset, limit) =>
		list.page(offset, limit, serverState),
	);
}

function ids(jobs: ModelJob[]): string[] {
	return jobs.map((job) => job.job_id);
}

describe('cursor: baseline', () => {
	it('emits nothing on first activation and marks the newest job', () => {
		const list = new ModelList();
		for (let i = 0; i < 250; i++) list.add('success', START_US + i * 1000);
		const first = poll(list, undefined);
		expect(first.baseline).toBe(true);
		expect(first.emit).toEqual([]);
		expect(first.complete).toBe(true);
		expect(first.state).toMatchObject({ v: 1, f: filterKey(SUCCESS), m: START_US + 249 * 1000, i: ['ig_00000249'] });
		expect(list.requests).toBe(1);
	});

	it('an empty account gives a mark of 0, so every later job is new', () => {
		const list = new ModelList();
		const first = poll(list, undefined);
		expect(first.state).toMatchObject({ m: 0, i: [] });
		list.add('success', START_US);
		expect(ids(poll(list, first.state).emit)).toEqual(['ig_00000000']);
	});

	it('with a look-back, emits the jobs finished since then, oldest first', () => {
		const list = new ModelList();
		for (let i = 0; i < 10; i++) list.add('success', START_US + i * 3600e6);
		const result = poll(list, undefined, SUCCESS, undefined, START_US + 6.5 * 3600e6);
		expect(ids(result.emit)).toEqual(['ig_00000007', 'ig_00000008', 'ig_00000009']);
		expect(result.state?.m).toBe(START_US + 9 * 3600e6);
	});

	it('starts over when Event or Job Type changes', () => {
		const list = new ModelList();
		list.add('success', START_US);
		const state = poll(list, undefined).state;
		list.add('failure', START_US + 10);
		const other = poll(list, state, { event: 'failure' });
		expect(other.baseline).toBe(true);
		expect(other.emit).toEqual([]);
	});
});

describe('cursor: later polls', () => {
	it('emits new jobs oldest first, then nothing, with one request per idle poll', () => {
		const list = new ModelList();
		for (let i = 0; i < 5000; i++) list.add('success', START_US + i);
		let state = poll(list, undefined).state;
		list.add('success', START_US + 10_000, 'image-gen', 'ig_new_b');
		list.add('success', START_US + 9_000, 'image-gen', 'ig_new_a');
		const second = poll(list, state);
		expect(ids(second.emit)).toEqual(['ig_new_a', 'ig_new_b']);
		state = second.state;
		list.requests = 0;
		const third = poll(list, state);
		expect(third.emit).toEqual([]);
		expect(third.changed).toBe(false);
		expect(list.requests).toBe(1);
	});

	it('handles many jobs at one timestamp, across pages and arriving in several polls', () => {
		const list = new ModelList();
		const ts = START_US + 500;
		list.add('success', START_US);
		let state = poll(list, undefined).state;
		const emitted: string[] = [];
		for (let i = 0; i < 150; i++) list.add('success', ts, 'image-gen', `ig_same_${String(i).padStart(3, '0')}`);
		let result = poll(list, state);
		emitted.push(...ids(result.emit));
		state = result.state;
		expect(emitted).toHaveLength(150);
		expect(state?.m).toBe(ts);
		expect(state?.i).toHaveLength(150);
		// More jobs finish in that same microsecond but show up later.
		for (let i = 150; i < 230; i++) list.add('success', ts, 'image-gen', `ig_same_${String(i).padStart(3, '0')}`);
		result = poll(list, state);
		emitted.push(...ids(result.emit));
		expect(new Set(emitted).size).toBe(230);
		expect(emitted).toHaveLength(230);
		expect(poll(list, result.state).emit).toEqual([]);
	});

	it('pages through a backlog longer than one page', () => {
		const list = new ModelList();
		for (let i = 0; i < 3000; i++) list.add('success', START_US + i);
		let state = poll(list, undefined).state;
		for (let i = 0; i < 1234; i++) list.add('success', START_US + 10_000 + i);
		list.requests = 0;
		const result = poll(list, state);
		expect(result.emit).toHaveLength(1234);
		expect(result.emit.map((job) => job.us)).toEqual([...result.emit.map((job) => job.us)].sort((a, b) => a - b));
		expect(list.requests).toBe(13); // 99 new jobs per page after the first (one overlaps)
		state = result.state;
		expect(poll(list, state).emit).toEqual([]);
	});

	it('catches a job created long ago that finishes now (no server-side state filter)', () => {
		const any: CursorFilter = { event: 'anyTerminal' };
		const list = new ModelList();
		const old = list.add('running', START_US);
		for (let i = 1; i < 500; i++) list.add('success', START_US + i * 1000);
		let state = poll(list, undefined, any).state;
		expect(poll(list, state, any).emit).toEqual([]);
		list.update(old.job_id, 'success', START_US + 10e6);
		const result = poll(list, state, any);
		expect(ids(result.emit)).toEqual([old.job_id]);
		state = result.state;
		expect(poll(list, state, any).emit).toEqual([]);
	});

	it('filters state and job type itself when the server ignores the filters', () => {
		const list = new ModelList();
		list.add('success', START_US);
		const filter: CursorFilter = { event: 'failure', jobType: 'dreambooth' };
		const state = scanPages<ModelJob>(undefined, filter, { pageSize: PAGE }, (o, l) => list.page(o, l)).state;
		list.add('failure', START_US + 1, 'image-gen');
		list.add('failure', START_US + 2, 'dreambooth', 'db_1');
		list.add('success', START_US + 3, 'dreambooth', 'db_2');
		list.add('running', START_US + 4, 'dreambooth', 'db_3');
		const result = scanPages<ModelJob>(state, filter, { pageSize: PAGE }, (o, l) => list.page(o, l));
		expect(ids(result.emit)).toEqual(['db_1']);
	});
});

describe('cursor: polls that stop early', () => {
	it('resumes a sweep where it stopped; each job once, each chunk oldest first', () => {
		const list = new ModelList();
		list.add('success', START_US);
		let state = poll(list, undefined).state;
		for (let i = 0; i < 1000; i++) list.add('success', START_US + 1000 + i);
		const emitted: string[] = [];
		let polls = 0;
		for (;;) {
			const result = poll(list, state, SUCCESS, 3);
			polls++;
			const us = result.emit.map((job) => job.us);
			expect(us).toEqual([...us].sort((a, b) => a - b));
			emitted.push(...ids(result.emit));
			state = result.state;
			if (result.complete) break;
			expect(state?.s).toBeDefined();
			// New jobs keep arriving while the sweep is under way.
			if (polls < 3) list.add('success', START_US + 5000 + polls);
		}
		// The late arrivals come with the next sweep.
		for (;;) {
			const result = poll(list, state, SUCCESS, 3);
			emitted.push(...ids(result.emit));
			state = result.state;
			if (result.complete && result.emit.length === 0) break;
		}
		expect(emitted).toHaveLength(1002);
		expect(new Set(emitted).size).toBe(1002);
	});

	it('a baseline that cannot finish keeps nothing', () => {
		const list = new ModelList();
		for (let i = 0; i < 300; i++) list.add('success', START_US);
		const result = poll(list, undefined, SUCCESS, 1);
		expect(result.complete).toBe(false);
		expect(result.state).toBeUndefined();
	});
});

describe('cursor: a list that changes while it is read', () => {
	it('jobs arriving at the top between two pages are neither missed nor doubled', () => {
		const list = new ModelList();
		list.add('success', START_US);
		let state = poll(list, undefined).state;
		for (let i = 0; i < 450; i++) list.add('success', START_US + 100 + i);
		let next = 10_000;
		list.beforePage = (offset) => {
			if (offset > 0) for (let k = 0; k < 37; k++) list.add('success', START_US + next++);
		};
		const emitted: string[] = [];
		for (let round = 0; round < 20; round++) {
			const result = poll(list, state);
			emitted.push(...ids(result.emit));
			state = result.state;
			if (round === 10) list.beforePage = undefined;
		}
		const expected = list.sorted('success').filter((job) => job.us > START_US);
		expect(new Set(emitted).size).toBe(emitted.length);
		expect(new Set(emitted)).toEqual(new Set(ids(expected)));
	});

	it('jobs deleted between two pages make the scan step back instead of skipping', () => {
		const list = new ModelList();
		list.add('success', START_US);
		const state = poll(list, undefined).state;
		for (let i = 0; i < 400; i++) list.add('success', START_US + 100 + i);
		const doomed = list.sorted('success').slice(0, 150).map((job) => job.job_id);
		let deleted = false;
		list.beforePage = (offset) => {
			if (offset > 0 && !deleted) {
				deleted = true;
				doomed.forEach((id) => list.remove(id));
			}
		};
		const result = poll(list, state);
		expect(result.stats.stepBacks).toBeGreaterThan(0);
		const remaining = list.sorted('success').filter((job) => job.us > START_US);
		const emitted = new Set(ids(result.emit));
		for (const job of remaining) expect(emitted.has(job.job_id)).toBe(true);
	});

	it('falls back to reading the whole list when the server ignores the order', () => {
		const list = new ModelList();
		for (let i = 0; i < 300; i++) list.add('success', START_US + i);
		let state = poll(list, undefined).state;
		list.order = 'shuffled';
		list.add('success', START_US + 5000, 'image-gen', 'ig_late');
		const result = poll(list, state);
		expect(result.stats.restartedUnordered).toBe(true);
		expect(ids(result.emit)).toEqual(['ig_late']);
		state = result.state;
		expect(state?.u).toBe(true);
		expect(poll(list, state).emit).toEqual([]);
	});
});

describe('cursor: state', () => {
	it('stays small after 10 000 jobs', () => {
		const list = new ModelList();
		let state = poll(list, undefined).state;
		let emitted = 0;
		for (let batch = 0; batch < 100; batch++) {
			for (let i = 0; i < 100; i++) list.add('success', START_US + batch * 1000 + i);
			const result = poll(list, state);
			emitted += result.emit.length;
			state = result.state;
		}
		expect(emitted).toBe(10_000);
		expect(JSON.stringify(state).length).toBeLessThan(4096);
	});

	it('ignores saved data it does not recognise', () => {
		expect(readCursorState(undefined)).toBeUndefined();
		expect(readCursorState({ v: 2 })).toBeUndefined();
		expect(readCursorState({ v: 1, f: 'x', m: 'no', i: [] })).toBeUndefined();
		const good = { v: 1, f: 'success|all', m: 5, i: ['a'] };
		expect(readCursorState(good)).toEqual(good);
	});

	it('a scan can be driven page by page', () => {
		const list = new ModelList();
		list.add('success', START_US);
		const scan = new CursorScan<ModelJob>(undefined, SUCCESS, { pageSize: 10 });
		expect(scan.nextOffset()).toBe(0);
		const page = list.page(0, 10);
		scan.accept(0, page.jobs, page.received, page.total);
		expect(scan.nextOffset()).toBeUndefined();
		expect(scan.result().state?.m).toBe(START_US);
		expect(iso(START_US)).toBe('2026-11-25T12:00:00.000000');
	});
});

describe('cursor: randomised model check', () => {
	it('every success is emitted exactly once over random arrivals, page limits, reloads and list changes', () => {
		for (let seed = 1; seed <= 40; seed++) {
			const random = rng(seed);
			const list = new ModelList();
			const pending: string[] = [];
			for (let i = 0; i < 400; i++) pending.push(list.add('queued', START_US - 1e9 + i).job_id);
			for (let i = 0; i < 50; i++) list.add('success', START_US - 1e6 + Math.floor(random() * 100));
			const any: CursorFilter = { event: 'anyTerminal' };
			const filter = seed % 2 === 0 ? SUCCESS : any;
			let now = START_US;
			const finishSome = () => {
				const n = Math.floor(random() * 6);
				for (let k = 0; k < n && pending.length > 0; k++) {
					const id = pending.splice(Math.floor(random() * pending.length), 1)[0];
					list.update(id, random() < 0.8 ? 'success' : 'failure', random() < 0.5 ? now : ++now);
				}
			};
			let saved = poll(list, undefined, filter).state;
			let memory = saved;
			const emittedCount = new Map<string, number>();
			list.beforePage = (offset) => {
				if (offset > 0 && random() < 0.3) finishSome();
			};
			for (let round = 0; round < 400 && (pending.length > 0 || round < 5); round++) {
				now += 1 + Math.floor(random() * 50);
				if (random() < 0.7) for (let k = 0; k < 1 + Math.floor(random() * 40); k++) finishSome();
				const result = poll(list, memory, filter, 1 + Math.floor(random() * 4));
				for (const job of result.emit) emittedCount.set(job.job_id, (emittedCount.get(job.job_id) ?? 0) + 1);
				memory = result.state;
				if (result.emit.length > 0) saved = memory; // n8n saves with the emit
				if (random() < 0.1) memory = saved; // restart: what was only in memory is gone
			}
			list.beforePage = undefined;
			for (let round = 0; round < 50; round++) {
				const result = poll(list, memory, filter);
				for (const job of result.emit) emittedCount.set(job.job_id, (emittedCount.get(job.job_id) ?? 0) + 1);
				memory = result.state;
			}
			const expected = [...list.jobs.values()].filter(
				(job) => job.us >= START_US && (filter.event === 'anyTerminal' ? job.state !== 'queued' : job.state === 'success'),
			);
			const missing = expected.filter((job) => !emittedCount.has(job.job_id)).map((job) => job.job_id);
			const doubled = [...emittedCount].filter(([, count]) => count > 1);
			const unexpected = [...emittedCount.keys()].filter((id) => !expected.some((job) => job.job_id === id));
			expect({ seed, missing, doubled, unexpected }).toEqual({ seed, missing: [], doubled: [], unexpected: [] });
		}
	});
});
