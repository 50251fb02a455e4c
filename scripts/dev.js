#!/usr/bin/env node
// `npm run dev`: real n8n on http://localhost:5678 with this package loaded, a Dreamlook credential
// and the example workflows imported, and the owner account created. n8n runs as its Docker image
// runs it (NODE_ENV=production, N8N_RELEASE_TYPE=stable: no "[DEV]" in the editor's title; see
// n8nEnv in scripts/n8n-runtime.js).
//
//   npm run dev                          fake Dreamlook API on loopback (no API key needed)
//   DREAMLOOK_API_KEY=dl-... npm run dev  the credential points at the real dreamlook.ai instead
//   npm run dev -- --reset               forget the dev n8n (workflows, executions) and start anew
//
// Options: --port N (default 5678, or N8N_PORT), --fake-port N (default 4010), --no-build.
// The n8n user folder is .n8n-runtime/dev-user (git-ignored). Ctrl-C stops n8n and the fake API.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const net = require('node:net');

const rt = require('./n8n-runtime');
const setup = require('../test/e2e/n8n-setup');
const wt = require('../test/e2e/workflow-tools');

const PROJECT_DIR = rt.PROJECT_DIR;
const DEV_DIR = path.join(rt.RUNTIME_DIR, 'dev-user');
const USER_FOLDER = DEV_DIR;
const FILES_DIR = path.join(DEV_DIR, 'files');
const OUTPUT_FOLDER = path.join(FILES_DIR, 'dreamlook');
const STATE_FILE = path.join(DEV_DIR, 'dev-setup.json');
const EXAMPLES_DIR = path.join(PROJECT_DIR, 'examples');

const DEMO_OWNER = { email: 'demo@example.com', password: 'Dreamlook-demo-1', firstName: 'Demo', lastName: 'User' };
const CREDENTIAL = { id: 'devDreamlookCred', name: 'Dreamlook account' };

const args = process.argv.slice(2);
const option = (name, fallback) => {
	const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
	if (i < 0) return fallback;
	return args[i].includes('=') ? args[i].split('=')[1] : args[i + 1];
};
const PORT = Number(option('--port', process.env.N8N_PORT || 5678));
const FAKE_PORT = Number(option('--fake-port', process.env.DREAMLOOK_FAKE_PORT || 4010));
const REAL_KEY = (process.env.DREAMLOOK_API_KEY || '').trim();
const REAL_BASE_URL = (process.env.DREAMLOOK_BASE_URL || 'https://api.dreamlook.ai').trim();

function say(msg) {
	process.stdout.write(`[dev] ${msg}\n`);
}

function portFree(port) {
	return new Promise((resolve) => {
		const s = net.createServer();
		s.once('error', () => resolve(false));
		s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
	});
}

function readState() {
	try {
		return JSON.parse(fs.readFileSync(STATE_FILE, 'utf8'));
	} catch {
		return {};
	}
}

async function main() {
	let fake = null;
	let n8n = null;
	let stopping = false;
	const stop = async (code) => {
		if (stopping) return;
		stopping = true;
		say('stopping n8n and the fake API …');
		if (n8n) await n8n.stop().catch(() => {});
		if (fake) await fake.close().catch(() => {});
		rt.killAllStarted('SIGKILL');
		process.exit(code);
	};
	process.on('SIGINT', () => stop(0));
	process.on('SIGTERM', () => stop(0));

	if (!rt.isInstalled()) say('first run: installing Node 24 and n8n into .n8n-runtime/ (about 5–7 minutes, once)');
	await rt.ensureRuntime();

	if (!(await portFree(PORT))) {
		throw new Error(`port ${PORT} is in use (another n8n?). Stop it or run: npm run dev -- --port 5680`);
	}
	if (args.includes('--reset')) {
		say(`--reset: removing ${path.relative(PROJECT_DIR, DEV_DIR)}`);
		fs.rmSync(DEV_DIR, { recursive: true, force: true });
	}
	fs.mkdirSync(OUTPUT_FOLDER, { recursive: true });

	// What users get: build, pack, install the tarball into the dev n8n
	say(args.includes('--no-build') ? 'packing (no build)' : 'building and packing the package');
	const packed = await setup.buildAndPack(PROJECT_DIR, path.join(DEV_DIR, 'pack'), { build: !args.includes('--no-build') });
	await setup.installTarball(packed.tarball, USER_FOLDER);
	say(`installed ${path.basename(packed.tarball)} into ${path.relative(PROJECT_DIR, setup.packageDir(USER_FOLDER))}`);

	// Dreamlook: the fake on loopback, or the real service with DREAMLOOK_API_KEY
	let apiKey;
	let baseUrl;
	if (REAL_KEY) {
		apiKey = REAL_KEY;
		baseUrl = REAL_BASE_URL;
		say(`DREAMLOOK_API_KEY is set: the credential uses the real API at ${baseUrl} (jobs cost tokens)`);
	} else {
		const { startFakeDreamlook, DEFAULT_API_KEY } = require('../test/fake-dreamlook');
		if (!(await portFree(FAKE_PORT))) throw new Error(`port ${FAKE_PORT} for the fake Dreamlook API is in use: run npm run dev -- --fake-port 4011`);
		fake = await startFakeDreamlook({
			port: FAKE_PORT,
			host: '127.0.0.1',
			clock: { type: 'real', speed: 1 },
			timing: { queuedMs: 1000, runningMs: 3000 },
			imageBytes: 20000,
			quiet: true,
		});
		apiKey = DEFAULT_API_KEY;
		baseUrl = fake.url;
		say(`fake Dreamlook API on ${fake.url} (key ${DEFAULT_API_KEY}); jobs finish in about 4 s`);
	}

	const env = { N8N_RESTRICT_FILE_ACCESS_TO: FILES_DIR };
	const state = readState();
	const mode = REAL_KEY ? `real:${baseUrl}` : `fake:${baseUrl}`;
	// the credential follows the mode on every start (import updates it in place)
	await setup.importCredentials([{ ...CREDENTIAL, type: 'dreamlookApi', data: { apiKey, baseUrl } }], {
		userFolder: USER_FOLDER,
		workDir: path.join(DEV_DIR, 'tmp'),
		env,
	});
	// example workflows: each once (later starts keep whatever was changed in the editor; examples
	// added to the project since the last start are imported then)
	const imported = new Set((state.examplesImported || []).map((w) => w.id));
	const workflows = fs
		.readdirSync(EXAMPLES_DIR)
		.filter((f) => f.endsWith('.json'))
		.sort()
		.map((f) =>
			wt.prepareWorkflow(wt.readWorkflow(path.join(EXAMPLES_DIR, f)), {
				credential: CREDENTIAL,
				pollIntervalSeconds: REAL_KEY ? undefined : 2,
				textReplacements: { [wt.EXAMPLE_OUTPUT_FOLDER]: OUTPUT_FOLDER },
			}),
		)
		.filter((w) => !imported.has(w.id));
	if (workflows.length > 0) {
		wt.writeImportDir(path.join(DEV_DIR, 'tmp', 'import'), workflows);
		await setup.importWorkflowDir(path.join(DEV_DIR, 'tmp', 'import'), { userFolder: USER_FOLDER, env });
		state.examplesImported = [...(state.examplesImported || []), ...workflows.map((w) => ({ id: w.id, name: w.name }))];
	}
	fs.writeFileSync(STATE_FILE, JSON.stringify({ ...state, mode }, null, 2) + '\n');

	say(`starting n8n ${rt.N8N_VERSION} on http://localhost:${PORT} …`);
	let banner = false;
	n8n = await rt.startN8n({
		port: PORT,
		userFolder: USER_FOLDER,
		env,
		logFile: path.join(DEV_DIR, 'n8n.log'),
		onOutput: (text) => {
			if (banner) process.stdout.write(text);
		},
		timeoutMs: 180_000,
	});
	n8n.child.on('exit', (code, signal) => {
		if (stopping) return;
		say(`n8n exited (code ${code}, signal ${signal}); see ${path.relative(PROJECT_DIR, path.join(DEV_DIR, 'n8n.log'))}`);
		stop(code || 1);
	});
	await setup.ensureOwner(n8n.url, DEMO_OWNER);

	const examples = (state.examplesImported || []).map((w) => `    http://localhost:${PORT}/workflow/${w.id}  ${w.name}`).join('\n');
	process.stdout.write(
		[
			'',
			'  n8n with n8n-nodes-dreamlook is running',
			'',
			`    editor:      http://localhost:${PORT}`,
			`    login:       ${DEMO_OWNER.email} / ${DEMO_OWNER.password}`,
			`    credential:  "${CREDENTIAL.name}" → ${REAL_KEY ? `the real API (${baseUrl})` : `the fake API (${baseUrl}, no key needed)`}`,
			`    images:      example workflows save to ${OUTPUT_FOLDER}`,
			'    examples:',
			examples,
			'',
			'  Add a node → search "Dreamlook" → Image → Create, then "Execute step": the images come back',
			'  as binary data. Ctrl-C stops everything.',
			'',
		].join('\n') + '\n',
	);
	banner = true;
}

main().catch(async (e) => {
	process.stderr.write(`[dev] ${e instanceof rt.RuntimeError ? e.message : e.stack || e}\n`);
	rt.killAllStarted('SIGKILL');
	process.exit(1);
});
