'use strict';
// The scanner-style package check (scripts/check-package.js) against the real packed package.
// It runs as a child process: the check lints with ESLint's ESM plugins, which jest's VM cannot import.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const SCRIPT = path.join(ROOT, 'scripts', 'check-package.js');

jest.setTimeout(120000);

describe('packed tarball passes what n8n\'s community-package scanner enforces', () => {
	let result;
	beforeAll(() => {
		// Builds first when dist/ is missing (a fresh clone running `npm test` alone).
		const run = spawnSync(process.execPath, [SCRIPT, '--json'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
		if (!run.stdout.trim().startsWith('{')) throw new Error(`check-package did not run:\n${run.stdout}\n${run.stderr}`);
		result = JSON.parse(run.stdout);
	});

	test('every check passes', () => {
		const failed = result.checks.filter((c) => !c.ok).map((c) => `${c.name}${c.details ? `: ${c.details}` : ''}`);
		expect(failed).toEqual([]);
	});

	test('covers package.json, contents, every node and credential, codex, compiled code', () => {
		const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
		const names = result.checks.map((c) => c.name);
		for (const file of [...pkg.n8n.nodes, ...pkg.n8n.credentials]) {
			expect(names).toContain(`${file} is under dist/ and in the tarball`);
			expect(names.some((name) => name.startsWith(`${file} icon `))).toBe(true);
		}
		for (const file of pkg.n8n.nodes) expect(names).toContain(`${file.replace(/\.js$/, '.json')}: categories`);
		expect(names).toContain('peerDependencies are exactly {"n8n-workflow": "*"}');
		expect(names).toContain('tarball holds only dist/, README.md, LICENSE, package.json');
		expect(names.some((name) => name.startsWith('scanner ESLint pass on the tarball'))).toBe(true);
		expect(result.tarball.size).toBeGreaterThan(0);
	});

	test('the ESLint pass catches what the scanner rejects (planted violations)', () => {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dreamlook-planted-'));
		try {
			fs.mkdirSync(path.join(dir, 'dist'));
			fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'n8n-nodes-x', version: '1.0.0', dependencies: { axios: '1' }, scripts: { postinstall: 'x' } }));
			fs.writeFileSync(path.join(dir, 'dist', 'a.js'), 'const u = require("undici"); const x = process.env.A; setTimeout(() => {}, 1); console.log(globalThis); module.exports = { u, x };');
			const out = execFileSync(process.execPath, ['-e', `require(${JSON.stringify(SCRIPT)}).runScannerLint(${JSON.stringify(dir)}, ${JSON.stringify(ROOT)}).then((r) => process.stdout.write(JSON.stringify(r)))`], { encoding: 'utf8' });
			const text = JSON.parse(out).problems.join('\n');
			for (const expected of ["'undici'", "'process'", "'setTimeout'", "'globalThis'", 'no-console', 'no-runtime-dependencies', 'no-forbidden-lifecycle-scripts']) {
				expect(text).toContain(expected);
			}
		} finally {
			fs.rmSync(dir, { recursive: true, force: true });
		}
	});
});
