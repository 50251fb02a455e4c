'use strict';
// Checkpoint download (issue 12): Checkpoint → Download of one 2 GB checkpoint from the fake API (in
// another process) in n8n's filesystem binary mode — peak RSS growth of the n8n process, and
// throughput beside a plain `curl` of the same URL and Node's own pipe into a file. Rounds in rotated
// order (node, curl, pipe / curl, pipe, node / pipe, node, curl); every transfer runs in a fresh
// process (as curl does), each file is deleted as soon as it is measured. Run: node
// bench/checkpoint.js [--bytes N] [--rounds N (3)], or as section 8 of `npm run bench` (about a minute).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { ROOT, runAsScript, snapshotDir, httpJson, runNode } = require('./lib');
const { startFakeProcess } = require('./fake-process');

const arg = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const BYTES = Number(arg('--bytes', 2 * 1024 ** 3));
const ROUNDS = Number(arg('--rounds', 3));

const median = (values) => {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
};

/** The fake answers the next checkpoint request with `bytes` bytes (generated, not held in memory). */
const nextBody = (fake, bytes) =>
	httpJson(fake, 'POST', '/__fake/faults', { method: 'GET', path: '/checkpoints/', times: 1, action: { hugeBytes: bytes, contentType: 'application/octet-stream' } });

/** Child process: the node into n8n's binary store (tmpdir), after a 1 MB warm-up; peak RSS growth. */
async function measureNode() {
	const fake = { url: arg('--fake') };
	const harness = require(path.join(ROOT, 'test/harness'));
	const parameters = { resource: 'checkpoint', operation: 'download', jobId: arg('--job'), checkpoints: 'all', checkpointId: '', options: { maxCheckpointSizeMb: 4096, downloadTimeout: 600 } };
	try {
		await runNode(fake, parameters, { binaryMode: 'filesystem' });
		for (let i = 0; i < 3; i++) global.gc?.();
		await new Promise((resolve) => setTimeout(resolve, 200));
		const baseline = process.memoryUsage().rss;
		const highWaterBefore = process.resourceUsage().maxRSS * 1024;
		let peak = baseline;
		const sampler = setInterval(() => {
			peak = Math.max(peak, process.memoryUsage().rss);
		}, 1);
		const { output, ms } = await runNode(fake, parameters, { binaryMode: 'filesystem' });
		clearInterval(sampler);
		peak = Math.max(peak, process.memoryUsage().rss);
		const highWaterAfter = process.resourceUsage().maxRSS * 1024;
		if (highWaterAfter > highWaterBefore) peak = Math.max(peak, highWaterAfter);
		const binary = output[0].binary?.checkpoint_0;
		return { MBps: BYTES / 1e6 / (ms / 1000), seconds: ms / 1000, peakGrowthMB: (peak - baseline) / 1e6, error: output[0].json.error ?? null, storedBytes: binary?.fileSize ?? null };
	} finally {
		harness.cleanupHarness();
	}
}

/** Child process: Node's own pipe of the response into a file (what any Node process writes at). */
async function measurePipe() {
	const target = arg('--target');
	const started = performance.now();
	await require('node:stream/promises').pipeline(await new Promise((resolve) => require('node:http').get(arg('--url'), resolve)), fs.createWriteStream(target));
	const seconds = (performance.now() - started) / 1000;
	fs.rmSync(target, { force: true });
	return { MBps: BYTES / 1e6 / seconds, seconds };
}

/** Runs a command without blocking this process (the connections to the fake stay alive). */
const run = (file, args, env) =>
	new Promise((resolve) => {
		execFile(file, args, { cwd: ROOT, encoding: 'utf8', env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => resolve({ error, stdout, stderr }));
	});

async function child(args) {
	const { error, stdout, stderr } = await run(process.execPath, ['--expose-gc', __filename, ...args, '--bytes', String(BYTES)], { ...process.env, BENCH_DIST: snapshotDir() });
	const last = stdout.trim().split('\n').pop();
	if (error || !last) throw new Error(`checkpoint bench failed (${args[0]}):\n${stderr}`);
	return JSON.parse(last);
}

async function main() {
	const fake = await startFakeProcess({ timing: { queuedMs: 0, runningMs: 0 } });
	const target = path.join(os.tmpdir(), `dreamlook-bench-${process.pid}.bin`);
	try {
		const job = await fake.call('createJob', { type: 'dreambooth', config: { image_urls: ['https://example.com/a.jpg'], instance_prompt: 'x' }, queuedMs: 0, runningMs: 0, outcome: 'success' });
		const url = (await fake.call('getJob', job.job_id)).dreambooth_result.checkpoints[0].url;
		// curl into a file on the same disk as n8n's binary store (tmpdir).
		const curlRun = async (out) => (await run('curl', ['-s', '-o', out, '-w', '%{time_total} %{size_download}', url], process.env)).stdout.trim().split(' ').map(Number);
		const kinds = {
			node: async () => {
				await nextBody(fake, 1024 * 1024);
				await nextBody(fake, BYTES);
				return child(['--measure-node', '--fake', fake.url, '--job', job.job_id]);
			},
			curl: async () => {
				await nextBody(fake, BYTES);
				const [seconds, bytes] = await curlRun(target);
				fs.rmSync(target, { force: true });
				return { MBps: bytes / 1e6 / seconds, seconds, bytes };
			},
			pipe: async () => {
				await nextBody(fake, BYTES);
				return child(['--measure-pipe', '--url', url, '--target', target]);
			},
		};
		const order = ['node', 'curl', 'pipe'];
		const rounds = [];
		for (let round = 0; round < ROUNDS; round++) {
			const results = { loadAverage: os.loadavg()[0] };
			for (let k = 0; k < order.length; k++) {
				const kind = order[(k + round) % order.length];
				results[kind] = await kinds[kind]();
			}
			rounds.push(results);
		}
		// The server alone: curl to /dev/null (is the fake the bottleneck?).
		await nextBody(fake, BYTES);
		const [nullSeconds, nullBytes] = await curlRun('/dev/null');
		const r = {
			bytes: BYTES,
			error: rounds.find((x) => x.node.error)?.node.error ?? null,
			rounds,
			ratios: rounds.map((x) => x.node.MBps / x.curl.MBps),
			pipeRatios: rounds.map((x) => x.node.MBps / x.pipe.MBps),
			curlToNullMBps: nullBytes / 1e6 / nullSeconds,
			peakGrowthMB: Math.max(...rounds.map((x) => x.node.peakGrowthMB)),
		};
		r.medianRatio = median(r.ratios);
		const list = (values, digits = 0, unit = '') => values.map((value) => `${value.toFixed(digits)}${unit}`).join(', ');
		return {
			name: 'checkpoint',
			title: `8. Checkpoint → Download of one ${(BYTES / 1024 ** 3).toFixed(2)} GiB checkpoint, filesystem binary mode (${ROUNDS} rounds, rotated order, a fresh process per transfer)`,
			rows: [
				{ measure: 'peak RSS growth of the n8n process (largest of the rounds)', value: `${r.peakGrowthMB.toFixed(1)} MB`, goal: '< 64 MB', ok: !r.error && r.peakGrowthMB < 64 },
				{
					measure: 'throughput per round: node (into n8n\'s binary store) / curl (into a file on the same disk); median ratio',
					value: `${list(rounds.map((x) => x.node.MBps))} / ${list(rounds.map((x) => x.curl.MBps))} MB/s = ${list(r.ratios, 2, '×')}; median ${r.medianRatio.toFixed(2)}× (curl to /dev/null: ${r.curlToNullMBps.toFixed(0)} MB/s; load ${list(rounds.map((x) => x.loadAverage), 1)})`,
					goal: '≥ 0.8×',
					ok: r.medianRatio >= 0.8,
				},
				{ measure: 'same, Node\'s own pipe of the response into a file (stream.pipeline → fs.createWriteStream), per round', value: `${list(rounds.map((x) => x.pipe.MBps))} MB/s: the node reaches ${list(r.pipeRatios, 2, '×')} of it` },
			],
			raw: r,
		};
	} finally {
		fs.rmSync(target, { force: true });
		await fake.close();
	}
}

if (require.main === module && process.argv.includes('--measure-node')) runAsScript(module, measureNode);
else if (require.main === module && process.argv.includes('--measure-pipe')) runAsScript(module, measurePipe);
else runAsScript(module, main);
module.exports = { main };
