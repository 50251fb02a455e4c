import { callbackJobId, RecentJobs } from '../../nodes/Dreamlook/trigger/recentJobs';

describe('RecentJobs: the Instant Trigger dedupe memory', () => {
	it('claims a job once; a confirmed job is refused until its window ends', () => {
		const memory = new RecentJobs({ maxEntries: 10, ttlMs: 1000 });
		expect(memory.claim('ig_a', 0)).toBe(true);
		expect(memory.claim('ig_a', 1)).toBe(false); // being verified by another call
		memory.confirm('ig_a', 10);
		expect(memory.claim('ig_a', 500)).toBe(false);
		expect(memory.claim('ig_a', 1010)).toBe(true); // the window (ttl) has passed
	});

	it('a released claim (not emitted) can be claimed again at once; a confirmed one cannot be released', () => {
		const memory = new RecentJobs({ maxEntries: 10, ttlMs: 1000 });
		expect(memory.claim('ig_a', 0)).toBe(true);
		memory.release('ig_a');
		expect(memory.claim('ig_a', 1)).toBe(true);
		memory.confirm('ig_a', 2);
		memory.release('ig_a');
		expect(memory.has('ig_a', 3)).toBe(true);
	});

	it('stays bounded: the oldest entries go first', () => {
		const memory = new RecentJobs({ maxEntries: 3, ttlMs: 1e9 });
		for (const id of ['a', 'b', 'c', 'd', 'e']) {
			expect(memory.claim(id, 0)).toBe(true);
			memory.confirm(id, 0);
		}
		expect(memory.size).toBe(3);
		expect(memory.has('a', 0)).toBe(false);
		expect(memory.has('b', 0)).toBe(false);
		expect(memory.has('e', 0)).toBe(true);
	});
});

describe('callbackJobId: only the job id of a callback body is used', () => {
	it.each([
		[{ job_id: 'ig_abc123' }, 'ig_abc123'],
		[{ job: { job_id: 'db_x1' } }, 'db_x1'],
		[{ data: { job_id: 'dbig_x2' } }, 'dbig_x2'],
		[{ job_id: '  ig_trim  ' }, 'ig_trim'],
	])('%j → %s', (body, id) => {
		expect(callbackJobId(body)).toEqual({ jobId: id });
	});

	it.each([[{}], [null], ['ig_abc'], [{ job_id: 42 }], [{ job_id: '' }], [{ job_id: '../etc/passwd' }], [{ job_id: 'a'.repeat(200) }]])('refuses %j', (body) => {
		expect(callbackJobId(body)).toHaveProperty('error');
	});

	it('lists the emitted jobs (not those being verified) with when they were emitted, oldest first', () => {
		const memory = new RecentJobs({ maxEntries: 10, ttlMs: 1000 });
		memory.claim('a', 0);
		memory.confirm('a', 10);
		memory.claim('b', 20);
		memory.claim('c', 30);
		memory.confirm('c', 40);
		expect(memory.emitted(50)).toEqual([
			['a', 10],
			['c', 40],
		]);
		expect(memory.emitted(1015)).toEqual([['c', 40]]);
	});
});
