'use strict';
// Bench — Dreamlook Trigger.
// 1. Idle polls for 100, 1 000 and 10 000 jobs of history: the compiled trigger (dist/, see lib.js)
//    runs in n8n-core's PollContext (test/harness) against the fake API in a child process
//    (bench/fake-process.js; real loopback HTTP). The history ended over the past days (one job
//    a minute), the trigger was activated over it, then 50 jobs ended and went through it. Then
//    idle polls (nothing new) are measured: list requests per idle poll (goal: 1, with the 10-minute
//    look-back), poll() and whole-tick time (median, p95), static data bytes (goal: <= 4 KB).
// 2. Server behaviours, with the fake in process on a simulated clock that the trigger reads
//    (trigger/clock.ts): a list ordered by creation time (order_by ignored) with 10 000 jobs and 20
//    running (requests per idle poll, state bytes); 10 000 jobs on one timestamp at activation and
//    5 000 more later (state bytes); 1 000 jobs inside the look-back window (state bytes, requests).
const path = require('node:path');
const fs = require('node:fs');
const { ROOT, prepareSnapshot, snapshotDir, runAsScript } = require('./lib');
const { startFakeProcess } = require('./fake-process');

const SIZES = [100, 1000, 10_000];
const IDLE_POLLS = 50;
const AFTER = 50;
const GOAL = { requestsPerIdlePoll: 1, pollMsAt10k: 50, stateBytes: 4096 };

function loadTrigger() {
	let dir = snapshotDir();
	// A snapshot older than the trigger's clock module (run alone, not from run.js): make a new one.
	if (!process.env.BENCH_DIST && !fs.existsSync(path.join(dir, 'nodes/Dreamlook/trigger/clock.js'))) {
		prepareSnapshot();
		dir = snapshotDir();
	}
	const { DreamlookTrigger } = require(path.join(dir, 'nodes/Dreamlook/DreamlookTrigger.node.js'));
	const { DreamlookApi } = require(path.join(dir, 'credentials/DreamlookApi.credentials.js'));
	return { DreamlookTrigger, DreamlookApi };
}

const percentile = (values, p) => {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const round = (ms) => Math.round(ms * 10) / 10;

async function benchSize(size, classes) {
	const { pollOnce } = require(path.join(ROOT, 'test/harness'));
	const { DEFAULT_API_KEY } = require(path.join(ROOT, 'test/fake-dreamlook'));
	const fake = await startFakeProcess({ quiet: true, maxLoggedRequests: 100_000 });
	try {
		// The node instance is wrapped so that poll() itself is timed apart from the harness.
		const nodeType = new classes.DreamlookTrigger();
		const innerPoll = nodeType.poll;
		let lastPollMs = 0;
		nodeType.poll = async function timedPoll() {
			const started = performance.now();
			try {
				return await innerPoll.call(this);
			} finally {
				lastPollMs = performance.now() - started;
			}
		};
		const staticData = {};
		const poll = () =>
			pollOnce({
				nodeType,
				credentialTypes: { dreamlookApi: classes.DreamlookApi },
				credentials: { dreamlookApi: { id: '1', name: 'Dreamlook', data: { apiKey: DEFAULT_API_KEY, baseUrl: fake.url } } },
				parameters: { event: 'success', jobType: 'all', simplify: true, downloadImages: false },
				staticData,
			});

		// History that ended over the past hours, activation over it, then 50 jobs through the trigger.
		await fake.call('seedJobs', size, { queuedMs: 10, runningMs: 10, spacingMs: 60_000, createdAt: Date.now() - size * 60_000 - 60_000 });
		await poll();
		const ids = await fake.call('seedJobs', AFTER, { queuedMs: 1e12, runningMs: 1e12 });
		for (const id of ids) await fake.call('finishJob', id, 'success');
		const result = await poll();
		const emitted = result.items ? result.items[0].length : 0;
		if (emitted !== AFTER) throw new Error(`${emitted} jobs emitted, expected ${AFTER}`);

		await fake.call('clearRequests');
		const tick = [];
		const inPoll = [];
		for (let i = 0; i < IDLE_POLLS; i++) {
			const started = performance.now();
			const result = await poll();
			tick.push(performance.now() - started);
			inPoll.push(lastPollMs);
			if (result.items) throw new Error('an idle poll emitted items');
		}
		const log = await fake.call('requestLog');
		const listRequests = log.filter((entry) => entry.path === '/jobs').length;
		return {
			jobs: size,
			requestsPerIdlePoll: listRequests / IDLE_POLLS,
			pollMsMedian: round(percentile(inPoll, 50)),
			pollMsP95: round(percentile(inPoll, 95)),
			tickMsMedian: round(percentile(tick, 50)),
			tickMsP95: round(percentile(tick, 95)),
			stateBytes: JSON.stringify(staticData).length,
		};
	} finally {
		await fake.close();
	}
}

/** Scenarios on a simulated clock, fake API in process (requests and bytes only: no timings). */
async function behaviours(classes) {
	const { pollOnce } = require(path.join(ROOT, 'test/harness'));
	const { startFakeDreamlook, DEFAULT_API_KEY } = require(path.join(ROOT, 'test/fake-dreamlook'));
	const { triggerClock } = require(path.join(snapshotDir(), 'nodes/Dreamlook/trigger/clock.js'));
	const MINUTE = 60_000;
	const realNow = triggerClock.now;
	const out = {};
	const scenario = async (name, body) => {
		const fake = await startFakeDreamlook({ clock: 'manual', quiet: true, seed: 5, maxLoggedRequests: 100_000 });
		triggerClock.now = () => fake.clock.now();
		const staticData = {};
		const poll = () =>
			pollOnce({
				nodeType: classes.DreamlookTrigger,
				credentialTypes: { dreamlookApi: classes.DreamlookApi },
				credentials: { dreamlookApi: { id: '1', name: 'Dreamlook', data: { apiKey: DEFAULT_API_KEY, baseUrl: fake.url } } },
				parameters: { event: 'success', jobType: 'all', simplify: true, downloadImages: false },
				staticData,
			});
		const idle = async (polls = 10) => {
			fake.clearRequests();
			for (let i = 0; i < polls; i++) {
				fake.clock.advance(MINUTE);
				const result = await poll();
				if (result.items) throw new Error(`${name}: an idle poll emitted items`);
			}
			const list = fake.requests.filter((entry) => entry.path === '/jobs').length / polls;
			const lookups = fake.requests.filter((entry) => entry.path.startsWith('/jobs/')).length / polls;
			return { list, lookups, bytes: JSON.stringify(staticData).length };
		};
		try {
			out[name] = await body({ fake, poll, idle, staticData, bytes: () => JSON.stringify(staticData).length });
		} finally {
			triggerClock.now = realNow;
			await fake.close();
		}
	};

	await scenario('createdOrder', async ({ fake, poll, idle }) => {
		// 10 000 jobs over the past 28 hours (one every 10 s); every 500th one is a training still running.
		fake.setOptions({ listOrder: 'created' });
		const start = fake.clock.now() - 10_000 * 10_000;
		fake.seedJobs(10_000, {
			spacingMs: 10_000,
			createdAt: start,
			each: (i) => (i % 500 === 250 ? { job_type: 'dreambooth', queuedMs: 1e12, runningMs: 1e12 } : { queuedMs: 10, runningMs: 10 }),
		});
		fake.clearRequests();
		await poll();
		const activationRequests = fake.requests.filter((entry) => entry.path === '/jobs').length;
		const figures = await idle();
		return { ...figures, activationRequests };
	});

	await scenario('oneTimestamp', async ({ fake, poll, idle, bytes }) => {
		// 10 000 jobs that all ended in the same microsecond, before activation.
		fake.seedJobs(10_000, { queuedMs: 10, runningMs: 10, spacingMs: 0, createdAt: fake.clock.now() - 3600_000 });
		fake.clock.advance(MINUTE);
		await poll();
		const atActivation = bytes();
		// Later, 5 000 more end in one microsecond.
		fake.seedJobs(5000, { queuedMs: 10, runningMs: 10, spacingMs: 0, createdAt: fake.clock.now() });
		fake.clock.advance(MINUTE);
		const later = await poll();
		const emitted = later.items ? later.items[0].length : 0;
		const afterLater = bytes();
		fake.clock.advance(40 * MINUTE);
		const idleLater = await idle(2);
		return { atActivation, emitted, afterLater, idleBytes: idleLater.bytes };
	});

	await scenario('inWindow', async ({ fake, poll, idle, bytes }) => {
		fake.seedJobs(2000, { queuedMs: 10, runningMs: 10, spacingMs: 10_000, createdAt: fake.clock.now() - 2000 * 10_000 - MINUTE });
		await poll();
		const pending = fake.seedJobs(1000, { queuedMs: 1e12, runningMs: 1e12, spacingMs: 0 });
		// 1 000 jobs end over 5 minutes, each in its own microsecond.
		for (const id of pending) {
			fake.finishJob(id, 'success');
			fake.clock.advance(300);
		}
		const result = await poll();
		const emitted = result.items ? result.items[0].length : 0;
		const after = bytes();
		const figures = await idle(3);
		return { emitted, bytes: after, idleRequests: figures.list };
	});
	return out;
}

async function main() {
	const classes = loadTrigger();
	// Warm-up (module loading, n8n-core container, JIT) so the first size is not penalised.
	await benchSize(10, classes);
	const rows = [];
	for (const size of SIZES) rows.push(await benchSize(size, classes));
	const b = await behaviours(classes);
	const at10k = rows.find((row) => row.jobs === 10_000);
	const perJob = (bytes, jobs) => Math.round((bytes / jobs) * 10) / 10;
	const table = [
		...rows.map((row) => ({
			measure: `${row.jobs} jobs of history, idle poll: list requests / poll() ms median, p95 / state`,
			value: `${row.requestsPerIdlePoll} / ${row.pollMsMedian}, ${row.pollMsP95} ms / ${row.stateBytes} B`,
			goal: `1 / < ${GOAL.pollMsAt10k} ms at 10 000 / ≤ ${GOAL.stateBytes} B`,
			ok: row.requestsPerIdlePoll <= 1 && row.stateBytes <= GOAL.stateBytes && (row.jobs !== 10_000 || row.pollMsMedian < GOAL.pollMsAt10k),
		})),
		{
			measure: 'creation-ordered list, 10 000 jobs, 20 running: idle poll list requests + lookups / state',
			value: `${b.createdOrder.list} + ${b.createdOrder.lookups} / ${b.createdOrder.bytes} B (activation read ${b.createdOrder.activationRequests} pages once)`,
			goal: '1 + ≤ 20 / tens of B per open job',
			ok: b.createdOrder.list <= 1 && b.createdOrder.lookups <= 20 && b.createdOrder.bytes <= 4096,
		},
		{
			measure: '10 000 jobs on one timestamp: state at activation / after 5 000 more on one timestamp / idle later',
			value: `${b.oneTimestamp.atActivation} B / ${b.oneTimestamp.afterLater} B (${perJob(b.oneTimestamp.afterLater, b.oneTimestamp.emitted)} B per job) / ${b.oneTimestamp.idleBytes} B`,
			goal: 'a few B per job, ≤ 4096 B idle',
			ok: b.oneTimestamp.emitted === 5000 && b.oneTimestamp.afterLater / 5000 <= 8 && b.oneTimestamp.idleBytes <= 4096,
		},
		{
			measure: '1 000 jobs inside the look-back window: state / list requests per idle poll',
			value: `${b.inWindow.bytes} B (${perJob(b.inWindow.bytes, b.inWindow.emitted)} B per job) / ${b.inWindow.idleRequests}`,
			goal: 'a few B per job / (1 once the window holds < 100 jobs)',
			ok: b.inWindow.emitted === 1000 && b.inWindow.bytes / 1000 <= 8,
		},
	];
	const lines = [
		'Dreamlook Trigger — idle polls and server behaviours',
		...table.map((row) => `  ${row.ok ? 'met   ' : 'MISSED'}  ${row.measure}: ${row.value}   (goal ${row.goal})`),
	];
	process.stderr.write(`${lines.join('\n')}\n`);
	return { bench: 'trigger', title: '5. Trigger (bench/trigger.js)', rows: table, raw: { rows, behaviours: b, at10k }, goals: GOAL };
}

module.exports = { main };
runAsScript(module, main);
