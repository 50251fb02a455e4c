'use strict';
// Bench 6 — Money: paid jobs per item when nobody watches.
// Manual Trigger → node with n8n's node setting Retry On Fail (maxTries 3, 1 s between tries), run
// in-process on n8n-core's WorkflowExecute (test/harness), which re-runs a failed node as n8n does.
//  - a create whose answer is lost after the server made the job (the socket dropped, or 502 after
//    commit) on the first POST of every item: the Dreamlook node (goal: 1.00 paid job per item)
//    and n8n's HTTP Request node, which POSTs once per item with no memory, so Retry On Fail POSTs
//    every item again (expected 2.00): the real one in the real n8n of .n8n-runtime when it is
//    provisioned (bench/real-http-request.js, `n8n execute`), else a model of it run in-process
//    (bench/http-request-model.js), labelled MODEL in the table; BENCH_MONEY_MODEL=1 forces the model;
//  - the same lost answers while the job list (where the node looks up its idempotency tag) answers
//    503 for the first try's reads: the first try fails and n8n runs the node again (goal: 1.00);
//  - the 429 regime: the fake answers 429 + Retry-After 1 above 10 requests in flight, 50 items
//    at Concurrency 50 (goal: 1.00 paid job per item, no failed item).
// "Paid jobs" are the jobs the fake holds (a dry run is none); the count is per prompt ("bench item i").
const path = require('node:path');
const { ROOT, NODE_NAME, loadNodeClasses, imageParameters, jobCounts, runAsScript } = require('./lib');
const { startFakeProcess } = require('./fake-process');
const { HttpRequestModel, MODEL_TYPE } = require('./http-request-model');
const realHttpRequest = require('./real-http-request');

const NODE_TYPE = 'n8n-nodes-dreamlook.dreamlook';
const ITEMS = 10;
const STORM_ITEMS = 50;
const STORM_CONCURRENCY = 50;
const SERVER_LIMIT = 10;
const STORM_LATENCY_MS = 300;
const RETRY = { retryOnFail: true, maxTries: 3, waitBetweenTries: 1000 };

/** Manual Trigger → `kind` ('dreamlook' | 'model') with Retry On Fail; input item i is `{ i }`. */
async function runWithRetry(fake, kind, { items, parameters = {} }) {
	const { runWorkflow, manualTriggerNode } = require(path.join(ROOT, 'test/harness'));
	const { DEFAULT_API_KEY } = require(path.join(ROOT, 'test/fake-dreamlook'));
	const { Dreamlook, DreamlookApi } = loadNodeClasses();
	const trigger = manualTriggerNode();
	const node =
		kind === 'dreamlook'
			? {
					id: 'money-dreamlook',
					name: NODE_NAME,
					type: NODE_TYPE,
					typeVersion: 1,
					position: [200, 0],
					parameters: imageParameters(parameters),
					credentials: { dreamlookApi: { id: '1', name: 'Dreamlook account' } },
					...RETRY,
				}
			: {
					id: 'money-http-model',
					name: NODE_NAME,
					type: MODEL_TYPE,
					typeVersion: 1,
					position: [200, 0],
					parameters: { baseUrl: fake.url, apiKey: DEFAULT_API_KEY },
					...RETRY,
				};
	const started = performance.now();
	const result = await runWorkflow({
		nodeTypes: { [NODE_TYPE]: Dreamlook, [MODEL_TYPE]: HttpRequestModel },
		credentialTypes: { dreamlookApi: DreamlookApi },
		credentials: { dreamlookApi: { id: '1', name: 'Dreamlook account', data: { apiKey: DEFAULT_API_KEY, baseUrl: fake.url } } },
		nodes: [trigger, node],
		connections: { [trigger.name]: { main: [[{ node: NODE_NAME, type: 'main', index: 0 }]] } },
		inputItems: Array.from({ length: items }, (_, i) => ({ json: { i } })),
	});
	const ms = performance.now() - started;
	const output = result.error ? [] : result.outputOf(NODE_NAME);
	return { result, output, ms };
}

async function addFault(fake, rule) {
	const response = await fetch(`${fake.url}/__fake/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rule) });
	if (!response.ok) throw new Error(`adding a fault failed: HTTP ${response.status} ${await response.text()}`);
}

/**
 * One case: fresh fake, optional fault / 429 limit, one run. Failed items: all of them when the
 * execution failed (nothing goes downstream), else items with an error or without a job id.
 */
async function measure(fake, label, kind, { items = ITEMS, fault, faults = fault ? [fault] : [], limit, parameters, latencyMs } = {}) {
	await fake.call('reset');
	if (latencyMs !== undefined) await fake.call('setLatency', latencyMs);
	if (limit) await fake.call('setMaxInFlight', limit, { retryAfter: 1 });
	for (const rule of faults) await addFault(fake, rule);
	await fake.call('resetStats');
	let failed;
	let ms;
	let error;
	if (kind === 'real') {
		const { DEFAULT_API_KEY } = require(path.join(ROOT, 'test/fake-dreamlook'));
		const real = await realHttpRequest.runRealHttpRequest({ items, url: fake.url, apiKey: DEFAULT_API_KEY, retry: RETRY });
		({ ms, error } = real);
		failed = real.ok ? 0 : items;
	} else {
		const run = await runWithRetry(fake, kind, { items, parameters });
		ms = run.ms;
		error = run.result.error ? String(run.result.error.message).slice(0, 200) : undefined;
		failed = run.result.error ? items : run.output.filter((item) => item.json.error !== undefined || !item.json.job_id).length;
	}
	const counts = await jobCounts(fake, items);
	const requests = await fake.get('requests');
	const posts = requests.filter((r) => r.method === 'POST' && r.path === '/image_gen');
	const tagged = posts.filter((r) => JSON.stringify(r.body?.tags ?? []).includes('n8n_idempotency')).length;
	const listRequests = requests.filter((r) => r.method === 'GET' && /^\/jobs\/?$/.test(r.path));
	const lists = listRequests.length;
	const lists503 = listRequests.filter((r) => r.status === 503).length;
	const answered429 = requests.filter((r) => r.status === 429).length;
	const row = {
		label,
		kind,
		paidPerItem: counts.jobs / items,
		failed,
		items,
		...counts,
		posts: posts.length,
		tagged,
		lists,
		lists503,
		answered429,
		ms: Math.round(ms),
		error,
	};
	process.stderr.write(`  ${label}: ${JSON.stringify(row)}\n`);
	return row;
}

const dropEach = (items) => ({ method: 'POST', path: '/image_gen', times: items, action: { dropAfterCommit: true } });
const badGatewayEach = (items) => ({ method: 'POST', path: '/image_gen', times: items, action: { statusAfterCommit: 502 } });

function describe(row) {
	const extra = [`${row.posts} POST`];
	if (row.duplicates) extra.push(`${row.duplicates} second jobs`);
	if (row.missing) extra.push(`${row.missing} items without a job`);
	if (row.tagged) extra.push(`${row.tagged} tagged`);
	if (row.lists) extra.push(`${row.lists} GET /jobs`);
	if (row.answered429) extra.push(`${row.answered429} × 429`);
	extra.push(`${(row.ms / 1000).toFixed(1)} s${row.kind === 'real' ? ' with n8n start-up' : ''}`);
	return `${row.paidPerItem.toFixed(2)} / ${row.failed} of ${row.items} failed (${extra.join(', ')})`;
}

async function main() {
	const fake = await startFakeProcess({ latencyMs: 20, timing: { queuedMs: 500, runningMs: 1000 } });
	try {
		// Warm-up: module loading and the first connections are not what is measured.
		await measure(fake, 'warm-up', 'dreamlook', { items: 2 });

		// n8n's real HTTP Request node when the e2e runtime is there (BENCH_MONEY_MODEL=1: the model)
		const useReal = realHttpRequest.available() && process.env.BENCH_MONEY_MODEL !== '1';
		const other = useReal ? 'real' : 'model';
		const otherName = useReal ? "n8n's HTTP Request node (real, n8n 2.41.1 in .n8n-runtime)" : 'HTTP Request node MODEL (bench/http-request-model.js: one POST per item, no memory)';
		const dropNode = await measure(fake, 'lost answer (drop), Dreamlook node', 'dreamlook', { fault: dropEach(ITEMS) });
		const dropOther = await measure(fake, `lost answer (drop), ${otherName}`, other, { fault: dropEach(ITEMS) });
		// The job list (where the idempotency tag is looked up) also fails for one try's worth of reads
		// (4 attempts per lost item): the first try fails and n8n's Retry On Fail runs the node again.
		const listDownOnce = { method: 'GET', pathRegex: '^/jobs/?$', times: 4 * ITEMS, action: { status: 503 } };
		const retryNode = await measure(fake, 'lost answer + tag lookup down for one try, Dreamlook node', 'dreamlook', { faults: [dropEach(ITEMS), listDownOnce] });
		const gatewayNode = await measure(fake, '502 after commit, Dreamlook node', 'dreamlook', { fault: badGatewayEach(ITEMS) });
		const gatewayOther = await measure(fake, `502 after commit, ${otherName}`, other, { fault: badGatewayEach(ITEMS) });
		// 300 ms per request: creates starting 10 ms apart keep ~30 in flight, so the limit of 10 binds
		const stormOptions = { items: STORM_ITEMS, limit: SERVER_LIMIT, latencyMs: STORM_LATENCY_MS };
		const stormNode = await measure(fake, '429 regime, Dreamlook node', 'dreamlook', { ...stormOptions, parameters: { options: { concurrency: STORM_CONCURRENCY } } });
		const stormOther = await measure(fake, `429 regime, ${otherName}`, other, stormOptions);

		const good = (row) => row.paidPerItem === 1 && row.failed === 0 && row.duplicates === 0 && row.missing === 0;
		// the 429 row means something only when the server did refuse requests
		const stormGood = good(stormNode) && stormNode.answered429 > 0;
		const goal = '1.00 / 0';
		return {
			name: 'money',
			title: `6. Paid jobs per item, Retry On Fail (3 tries, 1 s apart); value: paid jobs per item / failed items`,
			rows: [
				{ measure: `lost answer after the job was made (socket dropped), first POST of each of ${ITEMS} items: Dreamlook node`, value: describe(dropNode), goal, ok: good(dropNode) },
				{
					measure: '  same, and the tag lookup (GET /jobs) answers 503 throughout the first try: n8n re-runs the Dreamlook node',
					value: `${describe(retryNode)}, ${retryNode.lists503} of the GET /jobs answered 503`,
					goal,
					ok: good(retryNode) && retryNode.lists > retryNode.lists503,
				},
				{ measure: `  same, ${otherName} (expected 2.00)`, value: describe(dropOther) },
				{ measure: `502 after the job was made, first POST of each of ${ITEMS} items: Dreamlook node`, value: describe(gatewayNode), goal, ok: good(gatewayNode) },
				{ measure: `  same, ${otherName} (expected 2.00)`, value: describe(gatewayOther) },
				{
					measure: `429 regime (> ${SERVER_LIMIT} in flight → 429, Retry-After 1; ${STORM_LATENCY_MS} ms latency), ${STORM_ITEMS} items: Dreamlook node at Concurrency ${STORM_CONCURRENCY}`,
					value: describe(stormNode),
					goal: `${goal}, some 429`,
					ok: stormGood,
				},
				{ measure: `  same, ${otherName} (all POSTs at once)`, value: describe(stormOther) },
			],
			raw: { other: otherName, dropNode, dropOther, retryNode, gatewayNode, gatewayOther, stormNode, stormOther },
		};
	} finally {
		await fake.close();
		require(path.join(ROOT, 'test/harness')).cleanupHarness();
	}
}

runAsScript(module, main);
module.exports = { main };
