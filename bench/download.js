'use strict';
// Bench 3 — Download 16 × 2 MB images: peak RSS growth of the n8n process over the bytes downloaded.
// Each measurement runs in a fresh process (`--measure <binaryMode>`, with --expose-gc) holding
// only n8n-core, the harness and the node; the fake API (which keeps the image bytes it serves in
// memory) runs in another process. RSS is sampled every millisecond during the run and checked
// against the kernel's high-water mark (process.resourceUsage().maxRSS).
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { ROOT, imageParameters, runNode, runAsScript, snapshotDir } = require('./lib');
const { startFakeProcess } = require('./fake-process');

const IMAGES = 16;
const IMAGE_BYTES = 2_000_000;

async function measure(binaryMode) {
	const fake = await startFakeProcess({ imageBytes: IMAGE_BYTES, timing: { queuedMs: 100, runningMs: 300 } });
	try {
		const parameters = (numSamples) =>
			imageParameters({ numSamples, waitForCompletion: true, downloadImages: true, options: { pollInterval: 0.2, timeout: 60 } });
		// Warm-up: modules, binary data service, connections; then settle the heap.
		await runNode(fake, parameters(2), { binaryMode });
		await runNode(fake, parameters(2), { binaryMode });
		for (let i = 0; i < 3; i++) global.gc?.();
		await new Promise((resolve) => setTimeout(resolve, 200));

		const baseline = process.memoryUsage().rss;
		const highWaterBefore = process.resourceUsage().maxRSS * 1024;
		let peak = baseline;
		const sampler = setInterval(() => {
			const rss = process.memoryUsage().rss;
			if (rss > peak) peak = rss;
		}, 1);
		const { output, ms, result } = await runNode(fake, parameters(IMAGES), { binaryMode });
		clearInterval(sampler);
		peak = Math.max(peak, process.memoryUsage().rss);
		const highWaterAfter = process.resourceUsage().maxRSS * 1024;
		// The kernel's high-water mark catches a peak between two samples, if it rose during the run.
		if (highWaterAfter > highWaterBefore) peak = Math.max(peak, highWaterAfter);

		const item = output[0];
		const keys = Object.keys(item.binary ?? {});
		const first = keys.length > 0 ? await result.binaryBuffer('Dreamlook', 0, keys[0]) : Buffer.alloc(0);
		const downloaded = keys.length * IMAGE_BYTES;
		return {
			binaryMode,
			images: keys.length,
			firstImageBytes: first.length,
			downloadedBytes: downloaded,
			baselineRss: baseline,
			peakGrowth: peak - baseline,
			ratio: (peak - baseline) / downloaded,
			ms,
			error: item.json.error,
		};
	} finally {
		await fake.close();
		require(path.join(ROOT, 'test/harness')).cleanupHarness();
	}
}

function measureInFreshProcess(binaryMode) {
	const run = spawnSync(process.execPath, ['--expose-gc', __filename, '--measure', binaryMode], {
		cwd: ROOT,
		encoding: 'utf8',
		env: { ...process.env, BENCH_DIST: snapshotDir() },
		maxBuffer: 16 * 1024 * 1024,
	});
	const last = run.stdout.trim().split('\n').pop();
	if (run.status !== 0 || !last) throw new Error(`download bench (${binaryMode}) failed:\n${run.stderr}`);
	return JSON.parse(last);
}

async function main() {
	const streamed = measureInFreshProcess('filesystem');
	const inMemory = measureInFreshProcess('default');
	process.stderr.write(`  filesystem: ${JSON.stringify(streamed)}\n  default: ${JSON.stringify(inMemory)}\n`);
	const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
	const complete = streamed.images === IMAGES && streamed.firstImageBytes === IMAGE_BYTES && !streamed.error;
	return {
		name: 'download',
		title: `3. Download ${IMAGES} × ${IMAGE_BYTES / 1e6} MB images (one job), peak RSS growth / bytes`,
		rows: [
			{
				measure: 'node, filesystem binary mode (n8n\'s default): streamed to disk',
				value: `${streamed.ratio.toFixed(2)} (${mb(streamed.peakGrowth)} for ${mb(streamed.downloadedBytes)}, ${streamed.images} images, ${(streamed.ms / 1000).toFixed(1)} s)`,
				goal: '< 1.5',
				ok: complete && streamed.ratio < 1.5,
			},
			{
				measure: 'same, "default" binary mode (n8n keeps binaries in memory, base64)',
				value: `${inMemory.ratio.toFixed(2)} (${mb(inMemory.peakGrowth)})`,
			},
		],
		raw: { streamed, inMemory },
	};
}

if (require.main === module && process.argv.includes('--measure')) {
	const mode = process.argv[process.argv.indexOf('--measure') + 1];
	runAsScript(module, () => measure(mode));
} else {
	runAsScript(module, main);
}
module.exports = { main };
