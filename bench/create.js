'use strict';
// Bench 1 — Create items at 100 ms simulated latency.
//  - In-process (n8n-core's engine, test/harness): the node one at a time (Concurrency 1), with a
//    fixed 10 (the former default) and with Auto (the default): time, speed-up, most in flight.
//  - In the real n8n of the e2e runtime (.n8n-runtime/, when provisioned): the Dreamlook node (Auto)
//    and n8n's own HTTP Request node, 100 creates each, the node's executionTime from n8n's run data
//    (bench/real-n8n-create.js); without the runtime the ratio is skipped, never modelled.
//  - The fake answering 429 + Retry-After 1 whenever more than 10 requests are in flight: Auto must
//    finish every item with no duplicate job, in time close to the floor (100 × 100 ms ÷ 10 = 1.0 s);
//    fixed 10 and 25 for reference; the HTTP Request node model (every POST at once) fails items.
//  - 500 and 1 000 creates with Auto, no limit and under the 10-in-flight limit: time per item at
//    1 000 against 500 (linear) and the process's peak RSS growth (bounded; n8n keeps the output items).
const path = require('node:path');
const { ROOT, imageParameters, runNode, imageGenBody, httpJson, jobCounts, runAsScript } = require('./lib');
const { startFakeProcess } = require('./fake-process');
const realN8n = require('./real-n8n-create');

const ITEMS = 100;
const MID = 500;
const BIG = 1000;
const LATENCY_MS = 100;
const SERVER_LIMIT = 10;
const FLOOR_MS = (ITEMS * LATENCY_MS) / SERVER_LIMIT;

function failedItems(output) {
	return output.filter((item) => item.json.error !== undefined).length;
}

/** Forget jobs and logs; `limit` = the 429 regime (more than `limit` in flight → 429 + Retry-After 1). */
async function resetFake(fake, limit) {
	await fake.call('reset');
	if (limit) await fake.call('setMaxInFlight', limit, { retryAfter: 1 });
	await fake.call('resetStats');
}

/** Peak RSS growth during `fn` (sampled every 5 ms), in MB. */
async function withPeakRss(fn) {
	if (global.gc) global.gc();
	const before = process.memoryUsage().rss;
	let peak = before;
	const timer = setInterval(() => {
		peak = Math.max(peak, process.memoryUsage().rss);
	}, 5);
	try {
		const value = await fn();
		peak = Math.max(peak, process.memoryUsage().rss);
		return { value, peakGrowthMb: (peak - before) / 2 ** 20 };
	} finally {
		clearInterval(timer);
	}
}

async function runCase(fake, label, concurrency, limit, items = ITEMS) {
	await resetFake(fake, limit);
	const options = concurrency === undefined ? {} : { concurrency };
	const { value, peakGrowthMb } = await withPeakRss(async () => await runNode(fake, imageParameters({ options }), { items }));
	const { output, ms } = value;
	const counts = await jobCounts(fake, items);
	const log = await fake.call('requestLog');
	const { maxInFlight } = await fake.get('stats');
	const answered429 = log.filter((entry) => entry.status === 429).length;
	const result = { ms, maxInFlight, failed: failedItems(output), items: output.length, ...counts, answered429, posts: log.length, peakGrowthMb };
	process.stderr.write(`  ${label}: ${JSON.stringify(result)}\n`);
	return result;
}

/** Best of two runs (the machine may be shared); in-flight maximum and failures over both. */
async function bestOf(fake, label, concurrency, limit) {
	const runs = [await runCase(fake, label, concurrency, limit), await runCase(fake, label, concurrency, limit)];
	const best = runs[0].ms <= runs[1].ms ? runs[0] : runs[1];
	return {
		...best,
		maxInFlight: Math.max(...runs.map((r) => r.maxInFlight)),
		failed: runs[0].failed + runs[1].failed,
		duplicates: runs[0].duplicates + runs[1].duplicates,
		missing: runs[0].missing + runs[1].missing,
		items: Math.min(runs[0].items, runs[1].items),
		runs: runs.map((r) => Math.round(r.ms)),
	};
}

/** What a plain HTTP Request node does with 100 items: every POST at once, no retry. */
async function httpRequestNodeModel(fake, limit) {
	await resetFake(fake, limit);
	const started = performance.now();
	const responses = await Promise.all(Array.from({ length: ITEMS }, (_, i) => httpJson(fake, 'POST', '/image_gen', imageGenBody(i))));
	const ms = performance.now() - started;
	const { maxInFlight } = await fake.get('stats');
	return { ms, maxInFlight, failed: responses.filter((r) => r.status !== 200).length };
}

/** Rounds of the real-n8n comparison: this shared machine varies by ±30 % between runs, so the median of 4 is compared. */
const REAL_ROUNDS = 4;

/** The Dreamlook node (Auto) and n8n's HTTP Request node in the real n8n, alternating, REAL_ROUNDS runs each. */
async function realComparison(fake) {
	if (!realN8n.available()) return { skipped: 'the real n8n runtime is not provisioned (node scripts/n8n-runtime.js); ratio skipped, not modelled' };
	const { DEFAULT_API_KEY } = require(path.join(ROOT, 'test/fake-dreamlook'));
	const cases = [
		{ id: 'benchCreateDlAuto', kind: 'dreamlook', node: 'Dreamlook' },
		{ id: 'benchCreateHttp01', kind: 'httpRequest', node: 'HTTP Request' },
	];
	try {
		await realN8n.prepare({ items: ITEMS, url: fake.url, apiKey: DEFAULT_API_KEY, cases });
		const results = {};
		for (const c of cases) results[c.kind] = [];
		// Alternate the two, so that both see the same machine load.
		for (let round = 0; round < REAL_ROUNDS; round++) {
			for (const c of cases) {
				await resetFake(fake);
				const run = await realN8n.execute(c.id, c.node);
				const { maxInFlight } = await fake.get('stats');
				const counts = await jobCounts(fake, ITEMS);
				const entry = { ...run, maxInFlight, ...counts };
				process.stderr.write(`  real n8n, ${c.node}: ${JSON.stringify(entry)}\n`);
				if (!run.ok || run.nodeMs === undefined) return { skipped: `the real n8n run of ${c.node} failed: ${run.error ?? 'no run data'}` };
				results[c.kind].push(entry);
			}
		}
		// The Dreamlook node in the 429 regime, in the real n8n too: every item, no duplicate.
		await resetFake(fake, SERVER_LIMIT);
		const limitedRun = await realN8n.execute(cases[0].id, cases[0].node);
		const limited = { ...limitedRun, ...(await jobCounts(fake, ITEMS)), answered429: (await fake.call('requestLog')).filter((entry) => entry.status === 429).length };
		process.stderr.write(`  real n8n, Dreamlook, 429 regime: ${JSON.stringify(limited)}\n`);
		const median = (list) => {
			const sorted = [...list].sort((a, b) => a.nodeMs - b.nodeMs);
			const mid = sorted.length / 2;
			const ms = sorted.length % 2 ? sorted[Math.floor(mid)].nodeMs : (sorted[mid - 1].nodeMs + sorted[mid].nodeMs) / 2;
			return { ...sorted[0], nodeMs: ms, bestMs: sorted[0].nodeMs, maxInFlight: Math.max(...list.map((r) => r.maxInFlight)), duplicates: list.reduce((n, r) => n + r.duplicates, 0) };
		};
		return { dreamlook: median(results.dreamlook), httpRequest: median(results.httpRequest), all: results, limited };
	} catch (error) {
		return { skipped: `the real n8n could not run the comparison: ${String(error.message).slice(0, 200)}` };
	}
}

async function main() {
	const fake = await startFakeProcess({ latencyMs: LATENCY_MS, timing: { queuedMs: 1000, runningMs: 3000 } });
	try {
		// Warm-up: module loading and the first connections are not what is measured.
		await runNode(fake, imageParameters(), { items: 20 });
		await runNode(fake, imageParameters({ options: { concurrency: 10 } }), { items: 20 });

		const httpNode = await httpRequestNodeModel(fake);
		const sequential = await bestOf(fake, 'concurrency 1', 1);
		const fixed10 = await bestOf(fake, 'concurrency 10 (fixed)', 10);
		const auto = await bestOf(fake, 'Auto (default)', undefined);
		const real = await realComparison(fake);

		const httpNode429 = await httpRequestNodeModel(fake, SERVER_LIMIT);
		const stormAuto = await bestOf(fake, '429 regime, Auto', undefined, SERVER_LIMIT);
		const storm10 = await runCase(fake, '429 regime, concurrency 10', 10, SERVER_LIMIT);
		const storm25 = await runCase(fake, '429 regime, concurrency 25', 25, SERVER_LIMIT);

		const midFree = await runCase(fake, `${MID} creates, Auto, no limit`, undefined, undefined, MID);
		const bigFree = await runCase(fake, `${BIG} creates, Auto, no limit`, undefined, undefined, BIG);
		const midLimited = await runCase(fake, `${MID} creates, Auto, 429 above ${SERVER_LIMIT}`, undefined, SERVER_LIMIT, MID);
		const bigLimited = await runCase(fake, `${BIG} creates, Auto, 429 above ${SERVER_LIMIT}`, undefined, SERVER_LIMIT, BIG);

		const f = (ms) => `${(ms / 1000).toFixed(2)} s`;
		const clean = (r, items = ITEMS) => r.failed === 0 && r.duplicates === 0 && r.missing === 0 && r.items === items;
		const speedup = sequential.ms / auto.ms;
		const stormRatio = stormAuto.ms / FLOOR_MS;
		const perItem = (r, items) => r.ms / items;
		// Linear: time per item at 1 000 against 500 (100 items are latency-bound, 500 and more CPU- or server-bound).
		const freeLinear = perItem(bigFree, BIG) / perItem(midFree, MID);
		const limitedLinear = perItem(bigLimited, BIG) / perItem(midLimited, MID);
		const bigFloorMs = (BIG * LATENCY_MS) / SERVER_LIMIT;

		const realRows = real.skipped
			? [{ measure: "real n8n 2.41: Dreamlook node (Auto) ÷ n8n's HTTP Request node, 100 creates", value: `skipped: ${real.skipped}`, goal: '≤ 1.0' }]
			: [
					{
						measure: `real n8n 2.41, node executionTime, median of ${REAL_ROUNDS}: n8n's HTTP Request node`,
						value: `${f(real.httpRequest.nodeMs)}, ${real.httpRequest.maxInFlight} in flight (runs ${real.all.httpRequest.map((r) => f(r.nodeMs)).join(', ')})`,
					},
					{
						measure: `real n8n 2.41, node executionTime, median of ${REAL_ROUNDS}: Dreamlook node, Auto`,
						value: `${f(real.dreamlook.nodeMs)}, ${real.dreamlook.maxInFlight} in flight, ${real.dreamlook.duplicates} duplicates (runs ${real.all.dreamlook.map((r) => f(r.nodeMs)).join(', ')})`,
					},
					{
						measure: 'ratio Dreamlook (Auto) ÷ HTTP Request node, same real n8n: medians (best runs)',
						value: `${(real.dreamlook.nodeMs / real.httpRequest.nodeMs).toFixed(2)}× (${(real.dreamlook.bestMs / real.httpRequest.bestMs).toFixed(2)}×)`,
						goal: '≤ 1.0',
						ok: real.dreamlook.nodeMs <= real.httpRequest.nodeMs,
					},
					{
						measure: `real n8n 2.41, 429 regime (> ${SERVER_LIMIT} in flight): Dreamlook node, Auto: failed / duplicates`,
						value: `${real.limited.ok ? real.limited.failed + real.limited.missing : `run failed: ${real.limited.error}`} / ${real.limited.duplicates} (${real.limited.answered429} × 429, ${real.limited.nodeMs === undefined ? '?' : f(real.limited.nodeMs)})`,
						goal: '0 / 0',
						ok: real.limited.ok && real.limited.failed === 0 && real.limited.missing === 0 && real.limited.duplicates === 0 && real.limited.items === ITEMS,
					},
				];

		return {
			name: 'create',
			title: `1. Create ${ITEMS} items, ${LATENCY_MS} ms latency`,
			rows: [
				{ measure: 'HTTP Request node (model: all POSTs at once), in-process', value: `${f(httpNode.ms)}, ${httpNode.maxInFlight} in flight` },
				{ measure: 'node, Concurrency 1 (sequential), best of 2', value: `${f(sequential.ms)}, ${sequential.maxInFlight} in flight` },
				{ measure: 'node, Concurrency 10 (fixed, the former default), best of 2', value: `${f(fixed10.ms)}, ${fixed10.maxInFlight} in flight` },
				{ measure: 'node, Concurrency Auto (default), best of 2', value: `${f(auto.ms)}, ${auto.maxInFlight} in flight (runs ${auto.runs.map(f).join(', ')})` },
				{ measure: 'speed-up Auto vs sequential', value: `${speedup.toFixed(1)}×`, goal: '≥ 8×', ok: speedup >= 8 },
				{ measure: 'Auto: most in flight / failed / duplicates', value: `${auto.maxInFlight} / ${auto.failed} / ${auto.duplicates}`, goal: '≤ 128 / 0 / 0', ok: auto.maxInFlight <= 128 && clean(auto) },
				...realRows,
				{
					measure: `429 regime (> ${SERVER_LIMIT} in flight → 429, Retry-After 1): HTTP Request node model`,
					value: `${httpNode429.failed} of ${ITEMS} failed`,
				},
				{
					measure: '429 regime, node Auto (best of 2): failed / duplicates',
					value: `${stormAuto.failed} / ${stormAuto.duplicates} (${stormAuto.answered429} × 429, most in flight ${stormAuto.maxInFlight})`,
					goal: '0 / 0',
					ok: clean(stormAuto),
				},
				{
					measure: `429 regime, node Auto: time ÷ floor (${ITEMS} × ${LATENCY_MS} ms ÷ ${SERVER_LIMIT} = ${f(FLOOR_MS)})`,
					value: `${f(stormAuto.ms)} = ${stormRatio.toFixed(2)}× (runs ${stormAuto.runs.map(f).join(', ')}; fixed 10, which knows the limit: ${f(storm10.ms)} = ${(storm10.ms / FLOOR_MS).toFixed(2)}×)`,
					goal: '≤ 1.2×',
					ok: stormRatio <= 1.2,
				},
				{
					measure: '429 regime, node Concurrency 10 (fixed): failed / duplicates',
					value: `${storm10.failed} / ${storm10.duplicates} (${storm10.answered429} × 429, ${f(storm10.ms)})`,
					goal: '0 / 0',
					ok: clean(storm10),
				},
				{
					measure: '429 regime, node Concurrency 25 (fixed): failed / duplicates',
					value: `${storm25.failed} / ${storm25.duplicates} (${storm25.answered429} × 429, ${f(storm25.ms)})`,
					goal: '0 / 0',
					ok: clean(storm25),
				},
				{
					measure: `${MID} / ${BIG} creates, Auto, no limit: time / per item at ${BIG} vs ${MID} / failed, duplicates`,
					value: `${f(midFree.ms)} / ${f(bigFree.ms)}, ${bigFree.maxInFlight} in flight / ${freeLinear.toFixed(2)}× / ${bigFree.failed}, ${bigFree.duplicates}`,
					goal: 'linear (≤ 1.2×), 0, 0',
					ok: freeLinear <= 1.2 && clean(bigFree, BIG),
				},
				{
					measure: `${MID} / ${BIG} creates, Auto, 429 above ${SERVER_LIMIT}: time (floor at ${BIG} ${f(bigFloorMs)}) / per item at ${BIG} vs ${MID} / failed, duplicates`,
					value: `${f(midLimited.ms)} / ${f(bigLimited.ms)} (${(bigLimited.ms / bigFloorMs).toFixed(2)}× floor, ${bigLimited.answered429} × 429) / ${limitedLinear.toFixed(2)}× / ${bigLimited.failed}, ${bigLimited.duplicates}`,
					goal: 'linear (≤ 1.2×), 0, 0',
					ok: limitedLinear <= 1.2 && clean(bigLimited, BIG) && clean(midLimited, MID),
				},
				{
					measure: `peak RSS growth during the run: ${MID} / ${BIG} items no limit, ${MID} / ${BIG} items limited (n8n keeps every output item)`,
					value: `${midFree.peakGrowthMb.toFixed(1)} / ${bigFree.peakGrowthMb.toFixed(1)} MB, ${midLimited.peakGrowthMb.toFixed(1)} / ${bigLimited.peakGrowthMb.toFixed(1)} MB`,
					goal: `< 32 MB at ${BIG}`,
					ok: Math.max(bigFree.peakGrowthMb, bigLimited.peakGrowthMb) < 32,
				},
			],
			raw: { httpNode, sequential, fixed10, auto, real, httpNode429, stormAuto, storm10, storm25, midFree, bigFree, midLimited, bigLimited },
		};
	} finally {
		await fake.close();
		require(path.join(ROOT, 'test/harness')).cleanupHarness();
	}
}

runAsScript(module, main);
module.exports = { main };
