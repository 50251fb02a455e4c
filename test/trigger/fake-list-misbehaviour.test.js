'use strict';
// The fake API's list misbehaviours that the trigger's tests rely on (test/fake-dreamlook/jobs.js):
// each one must really happen, or the trigger tests prove nothing.
const { startFakeDreamlook, DEFAULT_API_KEY } = require('../fake-dreamlook');

const START = Date.UTC(2026, 10, 25, 12, 0, 0);

async function list(fake, query = '') {
	const res = await fetch(`${fake.url}/jobs?order_by=state_updated&order=desc&limit=100${query}`, {
		headers: { authorization: `Bearer ${DEFAULT_API_KEY}` },
	});
	expect(res.status).toBe(200);
	return await res.json();
}
const us = (ts) => Date.parse(`${ts.slice(0, 23)}Z`) * 1000 + Number(ts.slice(23, 26));

describe('fake: list misbehaviours', () => {
	let fake;
	beforeEach(async () => {
		fake = await startFakeDreamlook({ clock: { type: 'manual', startTime: START }, quiet: true, seed: 7 });
	});
	afterEach(async () => {
		await fake.close();
	});

	it("listOrder 'created' lists newest created first whatever order_by says", async () => {
		const ids = fake.seedJobs(5, { queuedMs: 1e9, runningMs: 1e9, spacingMs: 1000 });
		fake.clock.advance(1000);
		fake.finishJob(ids[0], 'success'); // the oldest job finishes last
		fake.setOptions({ listOrder: 'created' });
		const body = await list(fake);
		expect(body.jobs.map((job) => job.job_id)).toEqual([...ids].reverse());
		fake.setOptions({ listOrder: 'honour' });
		expect((await list(fake)).jobs[0].job_id).toBe(ids[0]);
	});

	it("listOrder 'unordered' is stable between requests and sorted by nothing", async () => {
		fake.seedJobs(50, { queuedMs: 10, runningMs: 10, spacingMs: 1000 });
		fake.clock.advance(1000);
		fake.setOptions({ listOrder: 'unordered' });
		const a = (await list(fake)).jobs;
		const b = (await list(fake)).jobs;
		expect(a.map((job) => job.job_id)).toEqual(b.map((job) => job.job_id));
		const times = a.map((job) => us(job.state_updated));
		const created = a.map((job) => us(job.state_queued_start));
		const sortedDesc = (values) => values.every((v, i) => i === 0 || v <= values[i - 1]);
		expect(sortedDesc(times)).toBe(false);
		expect(sortedDesc(created)).toBe(false);
	});

	it("tieOrder 'unstable' reshuffles equal timestamps on every request", async () => {
		fake.seedJobs(30, { queuedMs: 10, runningMs: 10, spacingMs: 0 });
		fake.clock.advance(1000);
		fake.setOptions({ tieOrder: 'unstable' });
		const orders = new Set();
		for (let i = 0; i < 5; i++) orders.add((await list(fake)).jobs.map((job) => job.job_id).join(','));
		expect(orders.size).toBeGreaterThan(1);
	});

	it('stateUpdatedShiftMs dates the end in the future or in the past (list and GET)', async () => {
		const [future, past] = fake.seedJobs(2, { queuedMs: 1e9, runningMs: 1e9 });
		fake.clock.advance(60_000);
		const now = fake.clock.now() * 1000;
		fake.finishJob(future, 'success', { stateUpdatedShiftMs: 3600_000 });
		fake.finishJob(past, 'success', { stateUpdatedShiftMs: -600_000 });
		const byId = Object.fromEntries((await list(fake)).jobs.map((job) => [job.job_id, job]));
		expect(us(byId[future].state_updated)).toBe(now + 3600e6);
		expect(us(byId[past].state_updated)).toBe(now - 600e6);
		expect(fake.getJob(past).state_updated).toBe(byId[past].state_updated);
	});

	it('visibleAfterMs: the list shows the job as before until the lag is over; GET is up to date', async () => {
		const [id] = fake.seedJobs(1, { queuedMs: 10, runningMs: 1e9 });
		fake.clock.advance(1000);
		fake.finishJob(id, 'success', { visibleAfterMs: 5000 });
		expect((await list(fake)).jobs[0].state).toBe('running');
		expect(fake.getJob(id).state).toBe('success');
		fake.clock.advance(5000);
		expect((await list(fake)).jobs[0].state).toBe('success');
	});

	it('noStateUpdated: state_updated reads null', async () => {
		const [id] = fake.seedJobs(1, { queuedMs: 10, runningMs: 1e9 });
		fake.clock.advance(1000);
		fake.finishJob(id, 'success', { noStateUpdated: true });
		expect((await list(fake)).jobs[0]).toMatchObject({ job_id: id, state: 'success', state_updated: null });
	});

	it('listTotal false: the object has no total', async () => {
		fake.seedJobs(3);
		fake.setOptions({ listTotal: false });
		const body = await list(fake);
		expect(body.jobs).toHaveLength(3);
		expect(body).not.toHaveProperty('total');
	});
});
