'use strict';
// Bench — Dreamlook Trigger idle polls.
// For 100, 1 000 and 10 000 jobs in the account's history: the compiled trigger (dist/, see
// lib.js) runs in n8n-core's PollContext (test/harness) against the fake API in a child process
// (bench/fake-process.js; real loopback HTTP). Every job of the history finished after activation
// and went through the trigger (100 per poll), so the cursor is the one a real workflow would
// have after N jobs. Then idle polls (nothing new) are measured:
//   - list requests per idle poll (goal: 1, whatever the history size);
//   - wall time of one poll: poll() alone (the node: HTTP + cursor) and the whole tick in the
//     harness (n8n-core's Workflow + PollContext set-up included); median and p95;
//   - the node's static data size in bytes (goal: <= 4 KB).
const path = require('node:path');
const { ROOT, snapshotDir, runAsScript } = require('./lib');
const { startFakeProcess } = require('./fake-process');

const SIZES = [100, 1000, 10_000];
const IDLE_POLLS = 50;
const BATCH = 100;
const GOAL = { requestsPerIdlePoll: 1, pollMsAt10k: 50, stateBytes: 4096 };

function loadTrigger() {
	const dir = snapshotDir();
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

		// Activation on an empty account, then the history goes through the trigger.
		await poll();
		const ids = await fake.call('seedJobs', size, { queuedMs: 1e12, runningMs: 1e12 });
		let emitted = 0;
		for (let start = 0; start < ids.length; start += BATCH) {
			for (const id of ids.slice(start, start + BATCH)) await fake.call('finishJob', id, 'success');
			const result = await poll();
			emitted += result.items ? result.items[0].length : 0;
		}
		if (emitted !== size) throw new Error(`history: ${emitted} jobs emitted, expected ${size}`);

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

async function main() {
	const classes = loadTrigger();
	// Warm-up (module loading, n8n-core container, JIT) so the first size is not penalised.
	await benchSize(10, classes);
	const rows = [];
	for (const size of SIZES) rows.push(await benchSize(size, classes));
	const at10k = rows.find((row) => row.jobs === 10_000);
	const verdict = {
		requestsPerIdlePoll: rows.every((row) => row.requestsPerIdlePoll <= GOAL.requestsPerIdlePoll),
		pollMsAt10k: at10k.pollMsMedian < GOAL.pollMsAt10k,
		stateBytes: rows.every((row) => row.stateBytes <= GOAL.stateBytes),
	};
	const lines = [
		'Dreamlook Trigger — idle poll (nothing new), history went through the trigger, fake API in a child process',
		'  jobs    requests/idle poll   poll() ms median/p95   whole tick ms median/p95   state bytes',
		...rows.map(
			(row) =>
				`  ${String(row.jobs).padStart(6)}  ${String(row.requestsPerIdlePoll).padStart(18)}   ${`${row.pollMsMedian} / ${row.pollMsP95}`.padStart(20)}   ${`${row.tickMsMedian} / ${row.tickMsP95}`.padStart(24)}   ${String(row.stateBytes).padStart(11)}`,
		),
		`  goals: ${GOAL.requestsPerIdlePoll} request per idle poll ${verdict.requestsPerIdlePoll ? 'met' : 'MISSED'}; ` +
			`< ${GOAL.pollMsAt10k} ms at 10 000 ${verdict.pollMsAt10k ? 'met' : 'MISSED'}; ` +
			`state <= ${GOAL.stateBytes} B ${verdict.stateBytes ? 'met' : 'MISSED'}`,
	];
	process.stderr.write(`${lines.join('\n')}\n`);
	return { bench: 'trigger', rows, goals: GOAL, met: verdict, table: lines };
}

module.exports = { main };
runAsScript(module, main);
