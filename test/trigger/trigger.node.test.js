'use strict';
/**
 * The Dreamlook Trigger node in n8n-core's PollContext (test/harness) against the fake API over
 * loopback: consecutive polls over one shared static-data object, like an active workflow.
 */
const { NodeApiError, NodeOperationError } = require('n8n-workflow');
const { startFakeDreamlook, DEFAULT_API_KEY } = require('../fake-dreamlook');
const { pollOnce } = require('../harness');
const { DreamlookTrigger } = require('../../nodes/Dreamlook/DreamlookTrigger.node');
const { DreamlookApi } = require('../../credentials/DreamlookApi.credentials');
const { triggerClock } = require('../../nodes/Dreamlook/trigger/clock');

/** @type {import('../fake-dreamlook/fake').FakeDreamlook} */
let fake;

const realNow = triggerClock.now;
beforeAll(async () => {
	fake = await startFakeDreamlook({ clock: 'manual', quiet: true });
	// The trigger reads the fake's simulated clock (the look-back and the allowed skew use it).
	triggerClock.now = () => fake.clock.now();
});
afterAll(async () => {
	triggerClock.now = realNow;
	await fake.close();
});
beforeEach(() => {
	fake.reset();
});

function poll(staticData, extra = {}) {
	return pollOnce({
		nodeType: DreamlookTrigger,
		credentialTypes: { dreamlookApi: DreamlookApi },
		credentials: { dreamlookApi: { id: '1', name: 'Dreamlook', data: { apiKey: extra.apiKey ?? DEFAULT_API_KEY, baseUrl: fake.url } } },
		parameters: { event: 'success', jobType: 'all', simplify: true, downloadImages: false, ...extra.parameters },
		staticData,
		mode: extra.mode ?? 'trigger',
		getPollBudgetMs: extra.getPollBudgetMs,
	});
}

const listRequests = () => fake.requests.filter((r) => r.path === '/jobs');
const emittedIds = (result) => (result.items ? result.items[0].map((item) => item.json.job_id) : []);

/** Long-running queued jobs that the test finishes by hand. */
function seedPending(n) {
	return fake.seedJobs(n, { queuedMs: 1e9, runningMs: 1e9 });
}

describe('Dreamlook Trigger: consecutive polls', () => {
	test('baseline, emit oldest first, then nothing with one request', async () => {
		const done = fake.seedJobs(5, { queuedMs: 10, runningMs: 10 });
		const pending = seedPending(4);
		fake.clock.advance(1000);
		const staticData = {};

		const first = await poll(staticData);
		expect(first.items).toBeNull();
		expect(staticData.cursor).toMatchObject({ version: 2, filter: 'success|all' });
		expect(done).toHaveLength(5);

		fake.finishJob(pending[2], 'success');
		fake.clock.advance(5);
		fake.finishJob(pending[0], 'success');
		fake.finishJob(pending[1], 'failure');
		fake.clock.advance(5);
		const second = await poll(staticData);
		expect(emittedIds(second)).toEqual([pending[2], pending[0]]);
		expect(second.items[0][0].json).toMatchObject({ job_id: pending[2], state: 'success', job_type: 'image-gen' });
		expect(second.staticDataChanged).toBe(true);

		fake.clearRequests();
		const third = await poll(staticData);
		expect(third.items).toBeNull();
		expect(third.staticDataChanged).toBe(false);
		expect(listRequests()).toHaveLength(1);
		expect(listRequests()[0].query).toMatchObject({ order_by: 'state_updated', order: 'desc', limit: '100', offset: '0' });
		// No state filter: the trigger also sees unfinished jobs (see docs/trigger.md).
		expect(listRequests()[0].query.state).toBeUndefined();
	});

	test('equal timestamps and a backlog of several pages', async () => {
		const pending = seedPending(700);
		fake.clock.advance(10);
		const staticData = {};
		await poll(staticData);
		// 300 jobs end in the same microsecond, then 250 more in another.
		for (const id of pending.slice(0, 300)) fake.finishJob(id, 'success');
		fake.clock.advance(1);
		for (const id of pending.slice(300, 550)) fake.finishJob(id, 'success');
		fake.clearRequests();
		const second = await poll(staticData);
		const ids = emittedIds(second);
		expect(ids).toHaveLength(550);
		expect(new Set(ids).size).toBe(550);
		expect(new Set(ids.slice(0, 300))).toEqual(new Set(pending.slice(0, 300)));
		// 700 jobs on two timestamps (and 150 still queued on a third): about 9 pages.
		expect(listRequests().length).toBeLessThanOrEqual(10);
		// More jobs end in that same microsecond after the poll read it.
		for (const id of pending.slice(550, 560)) fake.finishJob(id, 'success');
		const third = await poll(staticData);
		expect(new Set(emittedIds(third))).toEqual(new Set(pending.slice(550, 560)));
		expect((await poll(staticData)).items).toBeNull();
	});

	test('full job objects (validated, unknown fields kept) when Simplify is off; job type filter', async () => {
		const images = fake.seedJobs(2, { queuedMs: 1e9, runningMs: 1e9 });
		const trainings = fake.seedJobs(2, { job_type: 'dreambooth', queuedMs: 1e9, runningMs: 1e9 });
		const staticData = {};
		const parameters = { simplify: false, jobType: 'dreambooth' };
		await poll(staticData, { parameters });
		fake.finishJob(images[0], 'success');
		fake.finishJob(trainings[1], 'success');
		fake.clock.advance(1);
		const result = await poll(staticData, { parameters });
		expect(emittedIds(result)).toEqual([trainings[1]]);
		const job = result.items[0][0].json;
		expect(job).toHaveProperty('config');
		expect(job).toHaveProperty('queueing_state');
		expect(job.dreambooth_result.checkpoints.length).toBeGreaterThan(0);
	});

	test('Download Images attaches binary data', async () => {
		const [id] = seedPending(1);
		const staticData = {};
		await poll(staticData, { parameters: { downloadImages: true } });
		fake.finishJob(id, 'success');
		fake.clock.advance(1);
		const result = await poll(staticData, { parameters: { downloadImages: true } });
		const item = result.items[0][0];
		expect(Object.keys(item.binary)).toEqual(['data_0']);
		expect(item.binary.data_0.mimeType).toBe('image/png');
	});

	test('any terminal state: failures too, and a job created long ago that finishes now', async () => {
		const pending = seedPending(3);
		fake.clock.advance(24 * 3600e3);
		const staticData = {};
		const parameters = { event: 'anyTerminal' };
		await poll(staticData, { parameters });
		fake.finishJob(pending[1], 'failure');
		fake.clock.advance(1);
		fake.finishJob(pending[0], 'success');
		const result = await poll(staticData, { parameters });
		expect(emittedIds(result)).toEqual([pending[1], pending[0]]);
		expect(result.items[0][0].json).toMatchObject({ state: 'failure', failure_reason: 'internal_error' });
		expect(listRequests().at(-1).query.state).toBeUndefined();
	});

	test('look-back option emits jobs finished in the last N hours on first activation', async () => {
		// Finished 5 h, 4 h and 3 h before now (the look-back counts from n8n's clock).
		fake.seedJobs(3, { queuedMs: 0, runningMs: 10, createdAt: fake.clock.now() - 5 * 3600e3, spacingMs: 3600e3 });
		const staticData = {};
		const result = await poll(staticData, { parameters: { options: { lookbackHours: 4.5 } } });
		expect(emittedIds(result)).toHaveLength(2);
	});
});

describe("Dreamlook Trigger: n8n's durable poll cursors", () => {
	const durable = (store, extra = {}) =>
		pollOnce({
			nodeType: DreamlookTrigger,
			credentialTypes: { dreamlookApi: DreamlookApi },
			credentials: { dreamlookApi: { id: '1', name: 'Dreamlook', data: { apiKey: DEFAULT_API_KEY, baseUrl: fake.url } } },
			parameters: { event: 'success', jobType: 'all', simplify: true, downloadImages: false },
			staticData: store,
			durableCursors: true,
			...extra,
		});

	test('commits with the execution or on an empty poll, nothing on a failed poll; exactly once across a restart', async () => {
		const pending = seedPending(5);
		fake.clock.advance(1000);
		const store = {};
		const first = await durable(store);
		expect(first.items).toBeNull();
		expect(first.committed).toBe('cursor-only');
		expect(store.cursor).toMatchObject({ version: 2 });

		fake.finishJob(pending[0], 'success');
		fake.clock.advance(60_000);
		const second = await durable(store);
		expect(emittedIds(second)).toEqual([pending[0]]);
		expect(second.committed).toBe('with-execution');

		// A failed poll commits nothing.
		const before = JSON.stringify(store);
		fake.finishJob(pending[1], 'success');
		fake.clock.advance(60_000);
		fake.faults.add({ path: '/jobs', times: 2, action: { status: 503 } });
		await expect(durable(store)).rejects.toBeInstanceOf(NodeApiError);
		expect(JSON.stringify(store)).toBe(before);

		// A restart: n8n reads the committed cursor again.
		const restarted = JSON.parse(JSON.stringify(store));
		const third = await durable(restarted);
		expect(emittedIds(third)).toEqual([pending[1]]);
		fake.clock.advance(60_000);
		const idle = await durable(restarted);
		expect(idle.items).toBeNull();
	});
});

describe('Dreamlook Trigger: servers that do not sort as asked', () => {
	test('newest created first: a training created before 150 newer jobs that finishes now is emitted once', async () => {
		fake.setOptions({ listOrder: 'created', listTotal: false });
		const [training] = fake.seedJobs(1, { job_type: 'dreambooth', queuedMs: 1e12, runningMs: 1e12 });
		fake.seedJobs(150, { queuedMs: 10, runningMs: 10, spacingMs: 10_000, createdAt: fake.clock.now() + 1000 });
		fake.clock.advance(1560_000);
		const staticData = {};
		await poll(staticData);
		expect(staticData.cursor.open).toEqual([training]);
		fake.clock.advance(60_000);
		fake.clearRequests();
		expect((await poll(staticData)).items).toBeNull();
		// One list request plus one lookup of the open training.
		expect(listRequests()).toHaveLength(1);
		expect(fake.requests.filter((r) => r.path.startsWith('/jobs/'))).toHaveLength(1);
		fake.finishJob(training, 'success');
		fake.clock.advance(60_000);
		expect(emittedIds(await poll(staticData))).toEqual([training]);
		expect((await poll(staticData)).items).toBeNull();
	});

	test('no order at all: everything still emitted, with a warning in n8n\'s log', async () => {
		const pending = fake.seedJobs(250, { queuedMs: 1e9, runningMs: 1e9, spacingMs: 1000 });
		fake.clock.advance(1000);
		const staticData = {};
		await poll(staticData);
		fake.setOptions({ listOrder: 'unordered' });
		pending.slice(0, 120).forEach((id) => {
			fake.finishJob(id, 'success');
			fake.clock.advance(7);
		});
		fake.clock.advance(60_000);
		const result = await poll(staticData);
		expect(new Set(emittedIds(result))).toEqual(new Set(pending.slice(0, 120)));
		expect(result.logs.some((line) => line.level === 'warn' && /no usable order/.test(line.message))).toBe(true);
		fake.setOptions({ listOrder: 'honour' });
		fake.clock.advance(60_000);
		const back = await poll(staticData);
		expect(back.items).toBeNull();
		expect(back.logs.some((line) => /no usable order/.test(line.message))).toBe(false);
	});
});

describe('Dreamlook Trigger: Fetch Test Event (manual mode)', () => {
	test('returns the most recent matching job and leaves the state alone', async () => {
		const pending = seedPending(3);
		fake.finishJob(pending[0], 'success');
		fake.clock.advance(1);
		fake.finishJob(pending[2], 'success');
		const staticData = { cursor: { v: 1, f: 'success|all', m: 5, i: ['x'] } };
		const before = JSON.stringify(staticData);
		const result = await poll(staticData, { mode: 'manual' });
		expect(emittedIds(result)).toEqual([pending[2]]);
		expect(JSON.stringify(staticData)).toBe(before);
	});

	test('for Training, suggests Training → Create', async () => {
		const error = await poll({}, { mode: 'manual', parameters: { jobType: 'dreambooth' } }).catch((e) => e);
		expect(error.description).toMatch(/Training → Create/);
		expect(error.description).not.toMatch(/Image → Create/);
	});

	test('explains how to produce an event when there is none', async () => {
		seedPending(2);
		const error = await poll({}, { mode: 'manual', parameters: { event: 'failure' } }).catch((e) => e);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toBe('No failed job found in this Dreamlook account yet');
		expect(error.description).toMatch(/run the Dreamlook node/);
	});
});

describe('Dreamlook Trigger: errors', () => {
	test('a bad API key fails activation with a credential message', async () => {
		const error = await poll({}, { apiKey: 'dl-00000000000000000000000000000000' }).catch((e) => e);
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error.message).toBe('Dreamlook rejected the API key');
		expect(error.description).toMatch(/API key in the Dreamlook credential/);
	});

	test('a failure inside n8n (no credential) is not reported as a network or Base URL problem', async () => {
		const error = await pollOnce({
			nodeType: DreamlookTrigger,
			credentialTypes: { dreamlookApi: DreamlookApi },
			credentials: {},
			nodeCredentials: { dreamlookApi: { id: '9', name: 'Deleted credential' } },
			parameters: { event: 'success' },
			staticData: {},
		}).catch((e) => e);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toMatch(/inside n8n/);
		expect(error.description).toMatch(/not a network or Base URL problem: Credential with ID "9" does not exist[^.]*\. The trigger tries again/);
		expect(`${error.message} ${error.description}`).not.toMatch(/Could not reach/);
	});

	test("a proxy's HTML error page becomes clean sentences; no advice the trigger cannot follow", async () => {
		const staticData = {};
		await poll(staticData);
		const page = '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>';
		fake.faults.add({ path: '/jobs', times: 2, action: { status: 502, body: page, headers: { 'content-type': 'text/html' } } });
		const error = await poll(staticData).catch((e) => e);
		expect(error).toBeInstanceOf(NodeApiError);
		expect(`${error.message} ${error.description}`).not.toMatch(/<|>/);
		expect(error.description).toMatch(/\. The trigger tries again at the next poll/);
		fake.faults.add({ path: '/jobs', times: 2, action: { status: 429, retryAfter: 0 } });
		const limited = await poll(staticData).catch((e) => e);
		expect(limited.description).not.toMatch(/Concurrency|run again/);
	});

	test('a list request that hangs is cut at the poll budget (the poll ends in time, the state stays)', async () => {
		const staticData = {};
		await poll(staticData);
		const saved = JSON.stringify(staticData);
		fake.faults.add({ path: '/jobs', times: 2, action: { hangMs: 30_000 } });
		const started = performance.now();
		const error = await poll(staticData, { getPollBudgetMs: () => 2000 }).catch((e) => e);
		const elapsed = performance.now() - started;
		expect(error).toBeInstanceOf(Error);
		// The request deadline is 70 % of the budget; the hang would last 30 s.
		expect(elapsed).toBeLessThan(2000);
		expect(JSON.stringify(staticData)).toBe(saved);
	});

	test('429 and 5xx fail the poll with a retry hint; the cursor does not move', async () => {
		const pending = seedPending(2);
		const staticData = {};
		await poll(staticData);
		const saved = JSON.stringify(staticData);
		fake.finishJob(pending[0], 'success');
		fake.faults.add({ path: '/jobs', times: 2, action: { status: 503, body: { detail: 'down' } } });
		const error = await poll(staticData).catch((e) => e);
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error.httpCode).toBe('503');
		expect(error.description).toMatch(/tries again at the next poll/);
		expect(JSON.stringify(staticData)).toBe(saved);
		fake.faults.add({ path: '/jobs', times: 2, action: { status: 429, body: { detail: 'slow down' }, retryAfter: 0 } });
		const limited = await poll(staticData).catch((e) => e);
		expect(limited.httpCode).toBe('429');
		expect(emittedIds(await poll(staticData))).toEqual([pending[0]]);
	});

	test('a failure after some pages emits those whole pages once and resumes below them', async () => {
		const pending = seedPending(400);
		const staticData = {};
		await poll(staticData);
		pending.forEach((id, i) => {
			fake.finishJob(id, 'success');
			if (i % 3 === 0) fake.clock.advance(0.001);
		});
		// Page 1 answers, page 2 fails twice (both attempts).
		fake.faults.add({ path: '/jobs', times: 1, action: { delayMs: 0 } });
		fake.faults.add({ path: '/jobs', times: 2, action: { status: 502, body: 'bad gateway' } });
		const first = await poll(staticData);
		expect(emittedIds(first)).toHaveLength(100);
		expect(staticData.cursor.sweep).toBeDefined();
		const second = await poll(staticData);
		const all = [...emittedIds(first), ...emittedIds(second)];
		expect(all).toHaveLength(400);
		expect(new Set(all)).toEqual(new Set(pending));
		expect(staticData.cursor.sweep).toBeUndefined();
	});
});
