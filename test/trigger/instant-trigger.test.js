'use strict';
/**
 * The Dreamlook Instant Trigger's webhook() in n8n-core's WebhookContext (test/harness
 * callWebhook) against the fake API: it re-reads every job it is told about, emits each job that
 * reached the chosen state once, ignores forged and unknown ids, and answers before downloads.
 * The last block lets the fake send real callbacks (duplicated, delayed, reordered, early) to a
 * loopback server that hands each one to the trigger, as n8n's webhook server would.
 */
const http = require('node:http');
const { startFakeDreamlook, DEFAULT_API_KEY } = require('../fake-dreamlook');
const { callWebhook } = require('../harness');
const { DreamlookInstantTrigger } = require('../../nodes/Dreamlook/DreamlookInstantTrigger.node');
const { DreamlookApi } = require('../../credentials/DreamlookApi.credentials');

/** @type {import('../fake-dreamlook/fake').FakeDreamlook} */
let fake;
let workflowSeq = 0;

beforeAll(async () => {
	fake = await startFakeDreamlook({ clock: 'manual', quiet: true, imageBytes: 500 });
});
afterAll(async () => {
	await fake.close();
});
beforeEach(() => {
	fake.reset();
	workflowSeq += 1; // each test its own trigger (the dedupe memory is per workflow + node)
});

function call(body, extra = {}) {
	return callWebhook({
		credentialTypes: { dreamlookApi: DreamlookApi },
		credentials: { dreamlookApi: { id: '1', name: 'Dreamlook', data: { apiKey: DEFAULT_API_KEY, baseUrl: fake.url } } },
		parameters: { event: 'success', jobType: 'all', simplify: true, downloadImages: false, ...extra.parameters },
		request: { body },
		onAnswer: extra.onAnswer,
		workflowId: extra.workflowId ?? `wf-${workflowSeq}`,
		staticData: extra.staticData,
		nodeType: extra.nodeType ?? DreamlookInstantTrigger,
	});
}

const getsOf = (jobId) => fake.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/${jobId}`));
const finished = (outcome = 'success', config = {}) => {
	const job = fake.createJob({ config: { prompt: 'a red fox', ...config }, queuedMs: 1e9, runningMs: 1e9 });
	return fake.finishJob(job.job_id, outcome);
};

describe('Dreamlook Instant Trigger: one callback', () => {
	test('a finished job is re-read with the API key and emitted once, from what Dreamlook says', async () => {
		const job = finished('success');
		// the body is not trusted: its prompt and images are forged, only job_id is used
		const result = await call({ ...job, config: { prompt: 'forged' }, image_gen_results: [] });
		expect(result.status).toBe(200);
		expect(result.body).toMatchObject({ received: true, emitted: true });
		expect(result.items).toHaveLength(1);
		expect(result.items[0].json.job_id).toBe(job.job_id);
		expect(result.items[0].json.state).toBe('success');
		expect(JSON.stringify(result.items[0].json)).not.toContain('forged');
		const gets = getsOf(job.job_id);
		expect(gets).toHaveLength(1);
		expect(gets[0].authorized).toBe(true); // the fake accepted the configured key
	});

	test('a duplicate or replayed callback emits nothing; another trigger still gets it', async () => {
		const job = finished('success');
		const first = await call(job);
		const second = await call(job);
		expect(first.items).toHaveLength(1);
		expect(second.items).toBeNull();
		expect(second.body).toMatchObject({ emitted: false, reason: 'already emitted' });
		expect(getsOf(job.job_id)).toHaveLength(1); // the replay cost no request
		const other = await call(job, { workflowId: `wf-${workflowSeq}-other` });
		expect(other.items).toHaveLength(1);
	});

	test('after an n8n restart (a fresh process memory), a duplicate emits nothing: the record is in the static data n8n saves', async () => {
		const job = finished('success');
		const staticData = {};
		const first = await call(job, { staticData });
		expect(first.items).toHaveLength(1);
		expect(Object.keys(staticData['node:Webhook Trigger'].emittedJobs)).toEqual([job.job_id]);
		/** the node module loaded anew, as in a restarted n8n: its in-process memory is empty */
		const restarted = () => {
			let type;
			jest.isolateModules(() => {
				type = require('../../nodes/Dreamlook/DreamlookInstantTrigger.node').DreamlookInstantTrigger;
			});
			return type;
		};
		const afterRestart = await call(job, { staticData, nodeType: restarted() });
		expect(afterRestart.items).toBeNull();
		expect(afterRestart.body).toMatchObject({ emitted: false, reason: 'already emitted' });
		expect(getsOf(job.job_id)).toHaveLength(1); // the duplicate cost no request
		// without the saved record a restarted process would emit it again
		const lost = await call(job, { staticData: {}, nodeType: restarted() });
		expect(lost.items).toHaveLength(1);
	});

	test('concurrent callbacks for different jobs, each request with its own copy of the static data and the last save winning (as n8n does): the record keeps both', async () => {
		const jobs = [finished('success'), finished('success')];
		const saved = JSON.stringify({});
		const saves = [];
		await Promise.all(
			jobs.map(async (job) => {
				const staticData = JSON.parse(saved);
				const result = await call(job, { staticData });
				expect(result.items).toHaveLength(1);
				saves.push(JSON.stringify(staticData)); // in the order the calls end
			}),
		);
		const last = JSON.parse(saves[saves.length - 1]);
		expect(Object.keys(last['node:Webhook Trigger'].emittedJobs).sort()).toEqual(jobs.map((j) => j.job_id).sort());
	});

	test('concurrent duplicates: exactly one emits', async () => {
		const job = finished('success');
		const results = await Promise.all([call(job), call(job), call(job), call(job)]);
		expect(results.filter((r) => r.items !== null)).toHaveLength(1);
		expect(results.every((r) => r.status === 200)).toBe(true);
	});

	test('a forged call claiming success for a job still running emits nothing; the real callback later does', async () => {
		const job = fake.createJob({ config: { prompt: 'slow' }, queuedMs: 1e9, runningMs: 1e9 });
		const forged = await call({ ...job, state: 'success' });
		expect(forged.items).toBeNull();
		expect(forged.body).toMatchObject({ emitted: false });
		expect(forged.body.reason).toMatch(/queued/);
		const done = fake.finishJob(job.job_id, 'success');
		const real = await call(done);
		expect(real.items).toHaveLength(1);
	});

	test('an id this API key does not know: 200, nothing emitted, logged', async () => {
		const result = await call({ job_id: 'ig_doesnotexist', state: 'success' });
		expect(result.status).toBe(200);
		expect(result.items).toBeNull();
		expect(result.body).toMatchObject({ emitted: false, reason: 'unknown job' });
		expect(result.logs.some((l) => l.level === 'warn' && /ig_doesnotexist/.test(l.message))).toBe(true);
	});

	test('a body without a job id: 400 before any request', async () => {
		const before = fake.requests.length;
		for (const body of [{}, { job_id: '' }, { job_id: '../../etc/passwd' }, { job_id: 42 }]) {
			const result = await call(body);
			expect(result.status).toBe(400);
			expect(result.items).toBeNull();
		}
		expect(fake.requests.length).toBe(before);
	});

	test('the event filter: a failed job does not start a "Job Succeeded" trigger, but does "Job Failed"', async () => {
		const job = finished('failure');
		const onSuccess = await call(job);
		expect(onSuccess.items).toBeNull();
		const onFailure = await call(job, { parameters: { event: 'failure' } });
		expect(onFailure.items).toHaveLength(1);
		expect(onFailure.items[0].json.state).toBe('failure');
	});

	test('the job type filter: an image job does not start a Training trigger', async () => {
		const job = finished('success');
		const result = await call(job, { parameters: { jobType: 'dreambooth' } });
		expect(result.items).toBeNull();
	});

	test('Dreamlook unreachable while verifying: 503 (send again), nothing emitted, and the next call is not refused as a duplicate', async () => {
		const job = finished('success');
		fake.faults.add({ method: 'GET', path: `/jobs/image-gen/${job.job_id}`, times: 20, action: { status: 500 } });
		const failed = await call(job);
		expect(failed.status).toBe(503);
		expect(failed.items).toBeNull();
		expect(failed.logs.some((l) => l.level === 'warn' && /nothing was emitted/.test(l.message))).toBe(true);
		fake.faults.clear();
		const again = await call(job);
		expect(again.status).toBe(200);
		expect(again.items).toHaveLength(1); // not refused as "already emitted": the job is not lost
	});

	test('images as binary data, downloaded after the caller got its answer', async () => {
		const job = finished('success', { num_samples: 2 });
		const imageRequests = () => fake.requests.filter((r) => r.path.startsWith('/images/')).length;
		let imagesWhenAnswered = -1;
		const result = await call(job, { parameters: { downloadImages: true }, onAnswer: () => (imagesWhenAnswered = imageRequests()) });
		expect(result.answered).toBe(true);
		expect(imagesWhenAnswered).toBe(0); // Dreamlook got its answer before any image was fetched
		expect(imageRequests()).toBeGreaterThan(0);
		expect(result.body).toMatchObject({ emitted: true });
		const binary = result.items[0].binary;
		expect(Object.keys(binary).sort()).toEqual(expect.arrayContaining(['data_0']));
		expect(binary.data_0.mimeType).toBe('image/png');
	});
});

describe('Dreamlook Instant Trigger: real callbacks from the fake', () => {
	/** A loopback "n8n webhook server": every POST goes to the trigger's webhook(). */
	async function startReceiver(extra = {}) {
		const results = [];
		const server = http.createServer((req, res) => {
			let raw = '';
			req.on('data', (c) => (raw += c));
			req.on('end', async () => {
				let body;
				try {
					body = JSON.parse(raw);
				} catch {
					body = {};
				}
				const result = await call(body, extra);
				results.push(result);
				res.writeHead(result.status, { 'content-type': 'application/json' });
				res.end(JSON.stringify(result.body ?? {}));
			});
		});
		await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
		const url = `http://127.0.0.1:${server.address().port}/webhook/abc/dreamlook`;
		return { url, results, close: () => new Promise((resolve) => server.close(resolve)) };
	}

	test('10 jobs, each callback sent 3 times, delayed and reordered, plus an early call at creation: each job emitted exactly once', async () => {
		const receiver = await startReceiver();
		try {
			fake.setOptions({ callbacks: { copies: 3, delayMs: 5, jitterMs: 40, early: true } });
			const jobs = [];
			for (let i = 0; i < 10; i++) {
				jobs.push(fake.createJob({ config: { prompt: `job ${i}` }, callback: receiver.url, queuedMs: 100 + i * 10, runningMs: 100 }));
			}
			fake.clock.advance(10_000); // every job ends; the fake sends its callbacks
			await fake.waitForCallbacks(10 * 4, 10_000);
			await fake.callbacksSettled();
			const sent = fake.callbacks;
			expect(sent.filter((c) => c.state === 'queued')).toHaveLength(10); // the early calls happened
			expect(sent.filter((c) => c.state === 'success')).toHaveLength(30); // the duplicates happened
			const order = sent.filter((c) => c.state === 'success').map((c) => c.job_id);
			const firstSeen = [...new Set(order)];
			const created = jobs.map((j) => j.job_id);
			expect(firstSeen).not.toEqual(created); // arrived reordered (jitter)
			const emitted = receiver.results.flatMap((r) => (r.items ?? []).map((item) => item.json.job_id));
			expect(emitted.sort()).toEqual([...created].sort());
		} finally {
			await receiver.close();
		}
	});
});
