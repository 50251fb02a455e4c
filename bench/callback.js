'use strict';
// Bench — jobs that finish while nobody holds an execution: Dreamlook's callback into the Instant
// Trigger vs the polling Dreamlook Trigger, the same jobs.
// 1. Callback: the compiled Instant Trigger (dist/, see lib.js) runs in n8n-core's WebhookContext
//    (test/harness callWebhook) behind a loopback HTTP server, as n8n's webhook server would run
//    it. JOBS jobs carry its URL as `callback`; the fake API (real clock) calls back when each
//    ends. Measured at the fake: API requests per job besides the create (goal 1: the verifying
//    GET), and the delay from the callback's arrival to the items the trigger hands to n8n (goal
//    < 200 ms).
// 2. Polling: the compiled polling trigger (PollContext, test/harness pollOnce) every INTERVAL of
//    the fake's simulated clock over the same number of jobs ending at spread times: list requests
//    per job and detection delay (a poll's time minus the job's end), which is up to one interval.
const http = require('node:http');
const path = require('node:path');
const { ROOT, prepareSnapshot, snapshotDir, runAsScript } = require('./lib');

const JOBS = 20;
const INTERVAL_MS = 60_000; // n8n's usual "every minute" poll
const percentile = (values, p) => {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

function loadNodes() {
	let dir = snapshotDir();
	if (!process.env.BENCH_DIST && !require('node:fs').existsSync(path.join(dir, 'nodes/Dreamlook/DreamlookInstantTrigger.node.js'))) {
		prepareSnapshot();
		dir = snapshotDir();
	}
	return {
		DreamlookInstantTrigger: require(path.join(dir, 'nodes/Dreamlook/DreamlookInstantTrigger.node.js')).DreamlookInstantTrigger,
		DreamlookTrigger: require(path.join(dir, 'nodes/Dreamlook/DreamlookTrigger.node.js')).DreamlookTrigger,
		triggerClock: require(path.join(dir, 'nodes/Dreamlook/trigger/clock.js')).triggerClock,
		DreamlookApi: require(path.join(dir, 'credentials/DreamlookApi.credentials.js')).DreamlookApi,
	};
}

async function callbackRun(nodes, harness, { startFakeDreamlook, DEFAULT_API_KEY }) {
	const fake = await startFakeDreamlook({ clock: { type: 'real', speed: 1 }, quiet: true });
	const delays = [];
	const emitted = [];
	const server = http.createServer((req, res) => {
		let raw = '';
		req.on('data', (c) => (raw += c));
		req.on('end', async () => {
			const arrived = performance.now();
			const result = await harness.callWebhook({
				nodeType: nodes.DreamlookInstantTrigger,
				credentialTypes: { dreamlookApi: nodes.DreamlookApi },
				credentials: { dreamlookApi: { id: '1', name: 'Dreamlook', data: { apiKey: DEFAULT_API_KEY, baseUrl: fake.url } } },
				parameters: { event: 'success', jobType: 'all', simplify: true, downloadImages: false },
				request: { body: JSON.parse(raw || '{}') },
				workflowId: 'bench-callback',
			});
			if (result.items) {
				delays.push(performance.now() - arrived);
				emitted.push(...result.items.map((item) => item.json.job_id));
			}
			res.writeHead(result.status, { 'content-type': 'application/json' });
			res.end(JSON.stringify(result.body ?? {}));
		});
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	try {
		const url = `http://127.0.0.1:${server.address().port}/webhook/bench/dreamlook`;
		const ids = [];
		for (let i = 0; i < JOBS; i++) ids.push(fake.createJob({ config: { prompt: `callback ${i}` }, callback: url, queuedMs: 50, runningMs: 100 + i * 20 }).job_id);
		await fake.waitForCallbacks(JOBS, 20_000);
		await fake.callbacksSettled();
		const gets = fake.requests.filter((r) => r.method === 'GET').length;
		return {
			emittedOnce: new Set(emitted).size === JOBS && emitted.length === JOBS,
			requestsPerJob: gets / JOBS,
			delayMsMedian: Math.round(percentile(delays, 50) * 10) / 10,
			delayMsMax: Math.round(Math.max(...delays) * 10) / 10,
		};
	} finally {
		await new Promise((resolve) => server.close(resolve));
		await fake.close();
	}
}

async function pollingRun(nodes, harness, { startFakeDreamlook, DEFAULT_API_KEY }) {
	const fake = await startFakeDreamlook({ clock: 'manual', quiet: true });
	const realNow = nodes.triggerClock.now;
	nodes.triggerClock.now = () => fake.clock.now();
	try {
		const poll = (staticData) =>
			harness.pollOnce({
				nodeType: nodes.DreamlookTrigger,
				credentialTypes: { dreamlookApi: nodes.DreamlookApi },
				credentials: { dreamlookApi: { id: '1', name: 'Dreamlook', data: { apiKey: DEFAULT_API_KEY, baseUrl: fake.url } } },
				parameters: { event: 'success', jobType: 'all', simplify: true, downloadImages: false },
				staticData,
			});
		const staticData = {};
		await poll(staticData); // activation: the baseline
		const ends = new Map();
		const start = fake.clock.now();
		for (let i = 0; i < JOBS; i++) {
			// the same jobs end spread over the polls' intervals
			const job = fake.createJob({ config: { prompt: `polled ${i}` }, queuedMs: 50, runningMs: 100 + Math.floor(((i * 7919) % JOBS) * (INTERVAL_MS / 4)) });
			ends.set(job.job_id, null);
		}
		const requestsBefore = fake.requests.length;
		const delays = [];
		const seen = new Set();
		for (let tick = 1; seen.size < JOBS && tick < 200; tick++) {
			fake.clock.advance(INTERVAL_MS);
			const at = fake.clock.now();
			const result = await poll(staticData);
			for (const item of result.items?.[0] ?? []) {
				const id = item.json.job_id;
				seen.add(id);
				const ended = Date.parse(`${item.json.state_updated}Z`);
				delays.push(at - (Number.isNaN(ended) ? start : ended));
			}
		}
		const requests = fake.requests.length - requestsBefore;
		return {
			emittedOnce: seen.size === JOBS,
			requestsPerJob: requests / JOBS,
			delayMsMedian: Math.round(percentile(delays, 50)),
			delayMsMax: Math.round(Math.max(...delays)),
		};
	} finally {
		nodes.triggerClock.now = realNow;
		await fake.close();
	}
}

async function main() {
	const nodes = loadNodes();
	const harness = require(path.join(ROOT, 'test/harness'));
	const fakeModule = require(path.join(ROOT, 'test/fake-dreamlook'));
	try {
		const callback = await callbackRun(nodes, harness, fakeModule);
		const polling = await pollingRun(nodes, harness, fakeModule);
		return {
			name: 'callback',
			title: `7. Jobs finishing while no execution waits: Dreamlook's callback into the Instant Trigger vs the polling trigger (every ${INTERVAL_MS / 1000} s), ${JOBS} jobs`,
			rows: [
				{
					measure: 'Instant Trigger: API requests per job besides the create / each job emitted once',
					value: `${callback.requestsPerJob.toFixed(2)} / ${callback.emittedOnce ? 'yes' : 'NO'}`,
					goal: '1.00 / yes',
					ok: callback.requestsPerJob === 1 && callback.emittedOnce,
				},
				{
					measure: '  delay from the callback reaching n8n to the items handed to n8n: median / max',
					value: `${callback.delayMsMedian} / ${callback.delayMsMax} ms`,
					goal: '< 200 ms',
					ok: callback.delayMsMax < 200,
				},
				{
					measure: 'Polling trigger: list requests per job (idle polls included) / each job emitted once',
					value: `${polling.requestsPerJob.toFixed(2)} / ${polling.emittedOnce ? 'yes' : 'NO'}`,
				},
				{ measure: '  detection delay after the job ended: median / max', value: `${Math.round(polling.delayMsMedian / 1000)} / ${Math.round(polling.delayMsMax / 1000)} s` },
			],
			raw: { callback, polling },
		};
	} finally {
		harness.cleanupHarness();
	}
}

runAsScript(module, main);
module.exports = { main };
