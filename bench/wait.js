'use strict';
// Bench 2 — Wait for completion: API calls per job and detection delay, the node vs the loop users
// build today (HTTP Request → Wait → HTTP Request → If, looping back), at the same interval.
//
// The loop is modelled as the HTTP sequence n8n would send: every item's POST at once (HTTP
// Request node), then per round: wait one interval, GET every item still in the loop (all at
// once), items whose job ended leave through the If node's true branch — in that round's run —
// and the rest go round again. Both runs get the same jobs (running time fixed per prompt).
// Calls and delays are read from the fake API's request log: the detection of a job is the
// response to the GET that saw it ended (its last GET), its delay = that instant − the job's end.
const path = require('node:path');
const { ROOT, imageParameters, runNode, imageGenBody, httpJson, sleep, runAsScript } = require('./lib');
const { startFakeProcess } = require('./fake-process');

const ITEMS = 20;
const INTERVAL_MS = 1000;
const LATENCY_MS = 50;
const QUEUED_MS = 500;

/** Running time of item i's job: spread over 1.5–6.5 s, the same in both runs. */
function runningMsOf(i) {
	return 1500 + ((i * 2903 + 1201) % 5000);
}

const TERMINAL = new Set(['success', 'failure']);

async function userLoop(fake) {
	const created = await Promise.all(Array.from({ length: ITEMS }, (_, i) => httpJson(fake, 'POST', '/image_gen', imageGenBody(i))));
	let pending = created.map((response, i) => ({ i, jobId: response.body.job_id }));
	const leftInRound = new Map();
	let round = 0;
	while (pending.length > 0) {
		await sleep(INTERVAL_MS);
		round++;
		const states = await Promise.all(pending.map((entry) => httpJson(fake, 'GET', `/jobs/image-gen/${entry.jobId}`)));
		const next = [];
		states.forEach((response, index) => {
			if (TERMINAL.has(response.body.state)) leftInRound.set(pending[index].i, round);
			else next.push(pending[index]);
		});
		pending = next;
	}
	return { rounds: new Set(leftInRound.values()).size, lastOutAt: performance.timeOrigin + performance.now() };
}

const isList = (entry) => entry.method === 'GET' && entry.path === '/jobs';

/**
 * Calls per job and detection delays from the fake's log. A job is detected by its last GET (the
 * one that saw it ended), or by the first list request answered after its end (in the runs where
 * the list serves), whichever came first; its delay = that answer − the job's end.
 * Status requests per job per interval: (job GETs + list requests) ÷ Σ over jobs of (time from its
 * create to its detection) ÷ interval — 1.0 for the loop (one GET per job per interval).
 */
async function measure(fake, { intervalMs = INTERVAL_MS, listServes = true } = {}) {
	const log = await fake.call('requestLog');
	const ends = await fake.call('jobEnds');
	const ok = (entry) => entry.status === 200;
	const lists = listServes ? log.filter((entry) => isList(entry) && ok(entry)) : [];
	const listRequests = log.filter(isList).length;
	let jobGets = 0;
	const perJob = ends.map((job) => {
		const gets = log.filter((entry) => entry.method === 'GET' && entry.path.endsWith(`/${job.id}`));
		jobGets += gets.length;
		const post = log.find((entry) => entry.method === 'POST' && ok(entry));
		// The last GET of a job is the one that saw it ended (nobody asks again); a list request saw
		// it when it was answered after the end.
		const answeredAt = (entry) => entry.at + entry.durationMs;
		const okGets = gets.filter(ok);
		const lastGet = okGets.length ? answeredAt(okGets[okGets.length - 1]) : Number.POSITIVE_INFINITY;
		const firstList = lists.map(answeredAt).filter((at) => at >= job.endMs).sort((a, b) => a - b)[0] ?? Number.POSITIVE_INFINITY;
		const detectedAt = Math.min(lastGet, firstList);
		return { id: job.id, prompt: job.prompt, calls: 1 + gets.length, delayMs: detectedAt - job.endMs, endMs: job.endMs, createdAt: job.createdMs ?? post?.at ?? job.endMs, detectedAt };
	});
	const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
	const jobIntervals = perJob.reduce((sum, job) => sum + Math.max(0, job.detectedAt - job.createdAt) / intervalMs, 0);
	return {
		jobs: perJob.length,
		callsPerJob: mean(perJob.map((job) => job.calls)) + listRequests / perJob.length,
		statusRequests: jobGets + listRequests,
		listRequests,
		jobGets,
		perJobPerInterval: (jobGets + listRequests) / jobIntervals,
		meanDelayMs: mean(perJob.map((job) => job.delayMs)),
		maxDelayMs: Math.max(...perJob.map((job) => job.delayMs)),
		lastEndMs: Math.max(...perJob.map((job) => job.endMs)),
		perJob,
	};
}

/** 100 jobs at a 5 s interval, the node waiting: the list serving, then not (404). */
const MANY = 100;
const MANY_INTERVAL_MS = 5000;
const MANY_LATENCY_MS = 50;
/** Running time of item i's job in the 100-job run: spread over 5–25 s. */
function manyRunningMsOf(i) {
	return 5000 + ((i * 7919 + 1201) % 20000);
}

async function waitForMany(fake, listServes) {
	await fake.call('reset');
	await fake.call('setLatency', MANY_LATENCY_MS);
	const durations = {};
	for (let i = 0; i < MANY; i++) durations[`bench item ${i}`] = manyRunningMsOf(i);
	await fake.call('setRunningMsByPrompt', durations);
	if (!listServes) {
		const response = await fetch(`${fake.url}/__fake/faults`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ method: 'GET', pathRegex: '^/jobs$', times: 1e9, action: { status: 404 } }),
		});
		if (!response.ok) throw new Error(`adding the list fault failed: ${response.status}`);
	}
	const { output, result } = await runNode(
		fake,
		imageParameters({ waitForCompletion: true, downloadImages: false, options: { pollInterval: MANY_INTERVAL_MS / 1000, timeout: 120 } }),
		{ items: MANY },
	);
	if (result.error) throw result.error;
	const failed = output.filter((item) => item.json.error || item.json.state !== 'success').length;
	const measured = await measure(fake, { intervalMs: MANY_INTERVAL_MS, listServes });
	process.stderr.write(`  ${MANY} jobs, list ${listServes ? 'serves' : 'answers 404'}: ${JSON.stringify({ ...measured, perJob: undefined, failed })}\n`);
	return { ...measured, failed };
}

async function main() {
	const fake = await startFakeProcess({ latencyMs: LATENCY_MS, timing: { queuedMs: QUEUED_MS, runningMs: 3000 } });
	try {
		const durations = {};
		for (let i = 0; i < ITEMS; i++) durations[`bench item ${i}`] = runningMsOf(i);
		await fake.call('setRunningMsByPrompt', durations);
		// Warm-up (module loading, first connections).
		await runNode(fake, imageParameters(), { items: 1 });

		await fake.call('reset');
		const loopRun = await userLoop(fake);
		const loop = await measure(fake);

		await fake.call('reset');
		const { output, runs, result } = await runNode(
			fake,
			imageParameters({ waitForCompletion: true, downloadImages: false, options: { pollInterval: INTERVAL_MS / 1000, timeout: 60 } }),
			{ items: ITEMS },
		);
		const nodeOutAt = performance.timeOrigin + performance.now();
		const node = await measure(fake);
		const ends = await fake.call('jobEnds');
		const promptOf = new Map(ends.map((job) => [job.id, job.prompt]));
		const paired = output.length === ITEMS && output.every((item, index) => item.pairedItem?.item === index && promptOf.get(item.json.job_id) === `bench item ${index}` && item.json.state === 'success');
		const failed = output.filter((item) => item.json.error).length;
		process.stderr.write(`  loop: ${JSON.stringify({ ...loop, perJob: undefined, rounds: loopRun.rounds })}\n  node: ${JSON.stringify({ ...node, perJob: undefined, runs, paired, failed })}\n`);
		if (result.error) throw result.error;

		const manyList = await waitForMany(fake, true);
		const manyGets = await waitForMany(fake, false);

		const ratio = node.callsPerJob / loop.callsPerJob;
		const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
		return {
			name: 'wait',
			title: `2. Wait for completion, ${ITEMS} jobs (${QUEUED_MS / 1000} s queued + 1.5–6.5 s running, same jobs for both), interval ${INTERVAL_MS / 1000} s, ${LATENCY_MS} ms latency`,
			rows: [
				{ measure: 'API calls per job: loop / node', value: `${loop.callsPerJob.toFixed(2)} / ${node.callsPerJob.toFixed(2)} (${ratio.toFixed(2)}×)`, goal: '≤ 1.0×', ok: ratio <= 1.0 },
				{
					measure: 'detection delay mean / max: loop',
					value: `${s(loop.meanDelayMs)} / ${s(loop.maxDelayMs)}`,
				},
				{
					measure: 'detection delay mean / max: node',
					value: `${s(node.meanDelayMs)} / ${s(node.maxDelayMs)}`,
					// Both the loop and the node see a finished job at their next status request: up to one
					// interval plus one status request (its round trip and the handling of the previous answer,
					// taken as 3 × latency) late.
					goal: `max ≤ ${s(INTERVAL_MS)} + 1 request (${s(INTERVAL_MS + 3 * LATENCY_MS)})`,
					ok: node.maxDelayMs <= INTERVAL_MS + 3 * LATENCY_MS,
				},
				{
					measure: 'runs items leave in: loop / node',
					value: `${loopRun.rounds} / ${runs} (node: ${output.length} items, ${paired ? 'each paired to its input' : 'PAIRING WRONG'}, ${failed} failed)`,
					goal: 'node: 1, paired',
					ok: runs === 1 && paired && failed === 0,
				},
				{
					measure: 'all items out after the last job ended: loop / node',
					value: `${s(loopRun.lastOutAt - loop.lastEndMs)} / ${s(nodeOutAt - node.lastEndMs)}`,
				},
				{
					measure: `${MANY} jobs (5–25 s running), interval ${MANY_INTERVAL_MS / 1000} s, list serves: status requests per job per interval`,
					value: `${manyList.perJobPerInterval.toFixed(3)} (${manyList.listRequests} list + ${manyList.jobGets} job GETs; ${manyList.failed} failed)`,
					goal: '≤ 0.05',
					ok: manyList.perJobPerInterval <= 0.05 && manyList.failed === 0,
				},
				{
					measure: `  same, the list answers 404 (fallback: one GET per job)`,
					value: `${manyGets.perJobPerInterval.toFixed(3)} (${manyGets.listRequests} list + ${manyGets.jobGets} job GETs; ${manyGets.failed} failed)`,
					goal: '≈ 1.0',
					ok: manyGets.perJobPerInterval <= 1.05 && manyGets.failed === 0,
				},
				{
					measure: `  detection delay mean / max: list / fallback`,
					value: `${s(manyList.meanDelayMs)} / ${s(manyList.maxDelayMs)} vs ${s(manyGets.meanDelayMs)} / ${s(manyGets.maxDelayMs)}`,
					goal: `max ≤ ${s(MANY_INTERVAL_MS + 3 * MANY_LATENCY_MS)} both`,
					ok: Math.max(manyList.maxDelayMs, manyGets.maxDelayMs) <= MANY_INTERVAL_MS + 3 * MANY_LATENCY_MS,
				},
			],
			raw: { loop: { ...loop, rounds: loopRun.rounds }, node: { ...node, runs, paired, failed }, manyList: { ...manyList, perJob: undefined }, manyGets: { ...manyGets, perJob: undefined } },
		};
	} finally {
		await fake.close();
		require(path.join(ROOT, 'test/harness')).cleanupHarness();
	}
}

runAsScript(module, main);
module.exports = { main };
