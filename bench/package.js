'use strict';
// Bench 4 — Package: size of the tarball `npm pack` makes, and the cold `require` time of every
// node and credential file of the unpacked tarball in a fresh Node process. n8n has n8n-workflow
// (and zod) loaded long before it loads a community package, so they are required first and not
// counted; the fully cold figure (peer dependencies included) is shown beside it. Median of 5.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { runAsScript } = require('./lib');
const { checkPackage } = require('../scripts/check-package');

const RUNS = 5;

function timeRequires(packageDir, files, preload) {
	const script = `
		const path = require('path');
		const t0 = process.hrtime.bigint();
		for (const name of ${JSON.stringify(preload)}) require(name);
		const t1 = process.hrtime.bigint();
		for (const file of ${JSON.stringify(files)}) require(path.join(${JSON.stringify(packageDir)}, file));
		const t2 = process.hrtime.bigint();
		process.stdout.write(JSON.stringify({ peers: Number(t1 - t0) / 1e6, package: Number(t2 - t1) / 1e6 }));
	`;
	const run = spawnSync(process.execPath, ['-e', script], { cwd: packageDir, encoding: 'utf8' });
	if (run.status !== 0) throw new Error(`require timing failed:\n${run.stderr}`);
	return JSON.parse(run.stdout);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
	const checked = await checkPackage({ keep: true });
	const packageDir = checked.packageDir;
	try {
		const pkg = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
		const files = [...pkg.n8n.nodes, ...pkg.n8n.credentials];
		const warm = [];
		const cold = [];
		for (let i = 0; i < RUNS; i++) {
			warm.push(timeRequires(packageDir, files, ['n8n-workflow', 'zod']));
			cold.push(timeRequires(packageDir, files, []));
		}
		const packageMs = median(warm.map((r) => r.package));
		const coldMs = median(cold.map((r) => r.package));
		const peersMs = median(warm.map((r) => r.peers));
		const { size, unpackedSize, entryCount } = checked.tarball;
		process.stderr.write(`  tarball ${size} B, ${entryCount} files; require ${packageMs.toFixed(1)} ms (peers ${peersMs.toFixed(1)} ms, cold ${coldMs.toFixed(1)} ms)\n`);
		return {
			name: 'package',
			title: '4. Package',
			rows: [
				{
					measure: 'packed tarball',
					value: `${(size / 1024).toFixed(1)} KB (${entryCount} files, ${(unpackedSize / 1024).toFixed(1)} KB unpacked)`,
					goal: '< 150 KB',
					ok: size < 150 * 1024,
				},
				{
					measure: `cold require of ${files.length} node/credential files, fresh process (n8n-workflow + zod loaded first, as in n8n)`,
					value: `${packageMs.toFixed(1)} ms`,
					goal: '< 100 ms',
					ok: packageMs < 100,
				},
				{ measure: 'same, peer dependencies included (n8n-workflow + zod cold)', value: `${coldMs.toFixed(1)} ms (peers alone ${peersMs.toFixed(1)} ms)` },
				{ measure: 'scanner-style package check', value: checked.ok ? 'passed' : `FAILED: ${checked.checks.filter((c) => !c.ok).map((c) => c.name).join('; ')}`, goal: 'pass', ok: checked.ok },
			],
			raw: { tarball: checked.tarball, warm, cold },
		};
	} finally {
		fs.rmSync(path.dirname(packageDir), { recursive: true, force: true });
	}
}

runAsScript(module, main);
module.exports = { main };
