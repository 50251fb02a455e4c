'use strict';
// Shared pieces of the benchmarks: the compiled node (dist/) run in-process on n8n-core's engine
// through test/harness, the fake Dreamlook API, and a plain-HTTP model of what users build today.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const NODE_TYPE = 'n8n-nodes-dreamlook.dreamlook';
const NODE_NAME = 'Dreamlook';

function newestMtime(dir, filter) {
	let newest = 0;
	if (!fs.existsSync(dir)) return newest;
	for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
		const full = path.join(dir, entry.name);
		if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full, filter));
		else if (filter(entry.name)) newest = Math.max(newest, fs.statSync(full).mtimeMs);
	}
	return newest;
}

/**
 * The compiled package the benchmarks load: a private copy of dist/ (other developers may rebuild
 * dist/ while a bench runs; `npm run build` starts by deleting it). Taken from dist/ when dist/ is
 * complete and newer than every source file, else compiled straight into the copy with tsc.
 * Lives under node_modules/.cache so that n8n-workflow resolves from the project.
 */
const SNAPSHOT = path.join(ROOT, 'node_modules', '.cache', 'n8n-nodes-dreamlook-bench', 'dist');

function prepareSnapshot({ log = (line) => process.stderr.write(`${line}\n`) } = {}) {
	const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
	const entries = [...pkg.n8n.nodes, ...pkg.n8n.credentials];
	const outputs = entries.map((file) => path.join(ROOT, file));
	const isSource = (name) => name.endsWith('.ts') || name.endsWith('.json');
	const newestSource = Math.max(newestMtime(path.join(ROOT, 'nodes'), isSource), newestMtime(path.join(ROOT, 'credentials'), isSource));
	const complete = outputs.every((file) => fs.existsSync(file));
	const fresh = complete && Math.min(...outputs.map((file) => fs.statSync(file).mtimeMs)) >= newestSource;
	fs.rmSync(SNAPSHOT, { recursive: true, force: true });
	fs.mkdirSync(path.dirname(SNAPSHOT), { recursive: true });
	if (fresh) {
		fs.cpSync(path.join(ROOT, 'dist'), SNAPSHOT, { recursive: true });
		if (entries.every((file) => fs.existsSync(path.join(SNAPSHOT, file.replace(/^dist\//, ''))))) return { snapshot: SNAPSHOT, source: 'dist/' };
		fs.rmSync(SNAPSHOT, { recursive: true, force: true });
	}
	log(`bench: dist/ is ${complete ? 'older than the sources' : 'incomplete'}; compiling the sources for the bench…`);
	const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
	const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', SNAPSHOT], { cwd: ROOT, encoding: 'utf8' });
	if (result.status !== 0) throw new Error(`tsc failed:\n${result.stdout}\n${result.stderr}`);
	return { snapshot: SNAPSHOT, source: 'compiled from the sources' };
}

function snapshotDir() {
	const dir = process.env.BENCH_DIST || SNAPSHOT;
	if (!fs.existsSync(path.join(dir, 'nodes', 'Dreamlook', 'Dreamlook.node.js'))) prepareSnapshot();
	return dir;
}

function loadNodeClasses() {
	const dir = snapshotDir();
	const { Dreamlook } = require(path.join(dir, 'nodes/Dreamlook/Dreamlook.node.js'));
	const { DreamlookApi } = require(path.join(dir, 'credentials/DreamlookApi.credentials.js'));
	return { Dreamlook, DreamlookApi };
}

/** Image → Create parameters with bench defaults; the prompt carries the item index for pairing checks. */
function imageParameters(overrides = {}) {
	return {
		resource: 'image',
		operation: 'create',
		prompt: '={{ "bench item " + $json.i }}',
		modelType: 'sd-v1',
		width: 512,
		height: 512,
		numSamples: 1,
		waitForCompletion: false,
		downloadImages: false,
		simplify: true,
		additionalFields: {},
		options: {},
		...overrides,
	};
}

/**
 * Manual Trigger → Dreamlook (continue on fail, so each item reports its own error) on n8n-core's
 * engine; `fake` is anything with the fake API's `url`. Input item i is `{ i }`.
 */
async function runNode(fake, parameters, { items = 1, binaryMode } = {}) {
	const { runWorkflow, manualTriggerNode } = require(path.join(ROOT, 'test/harness'));
	const { DEFAULT_API_KEY } = require(path.join(ROOT, 'test/fake-dreamlook'));
	const { Dreamlook, DreamlookApi } = loadNodeClasses();
	const trigger = manualTriggerNode();
	const node = {
		id: 'dreamlook-bench',
		name: NODE_NAME,
		type: NODE_TYPE,
		typeVersion: 1,
		position: [200, 0],
		parameters,
		credentials: { dreamlookApi: { id: '1', name: 'Dreamlook account' } },
		onError: 'continueRegularOutput',
	};
	const started = performance.now();
	const result = await runWorkflow({
		nodeTypes: { [NODE_TYPE]: Dreamlook },
		credentialTypes: { dreamlookApi: DreamlookApi },
		credentials: { dreamlookApi: { id: '1', name: 'Dreamlook account', data: { apiKey: DEFAULT_API_KEY, baseUrl: fake.url } } },
		nodes: [trigger, node],
		connections: { [trigger.name]: { main: [[{ node: NODE_NAME, type: 'main', index: 0 }]] } },
		inputItems: Array.from({ length: items }, (_, i) => ({ json: { i } })),
		binaryMode,
	});
	const ms = performance.now() - started;
	if (result.error) throw result.error;
	const output = result.outputOf(NODE_NAME);
	return { result, output, ms, runs: result.runData[NODE_NAME]?.length ?? 0 };
}

/** The body the node sends for item i (same defaults), for the plain-HTTP models of users' workflows. */
function imageGenBody(i) {
	return {
		prompt: `bench item ${i}`,
		model_type: 'sd-v1',
		width: 512,
		height: 512,
		num_samples: 1,
		num_inference_steps: 20,
		guidance_scale: 7.5,
		scheduler_type: 'dpm++',
		seed: -1,
		base_model: 'stable-diffusion-v1-5',
	};
}

async function httpJson(fake, method, urlPath, body) {
	const { DEFAULT_API_KEY } = require(path.join(ROOT, 'test/fake-dreamlook'));
	const response = await fetch(`${fake.url}${urlPath}`, {
		method,
		headers: { authorization: `Bearer ${DEFAULT_API_KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
		body: body ? JSON.stringify(body) : undefined,
	});
	const text = await response.text();
	let json;
	try {
		json = JSON.parse(text);
	} catch {
		json = text;
	}
	return { status: response.status, body: json };
}

/** Jobs the fake (a bench/fake-process.js handle) created per prompt: duplicates and missing items. */
async function jobCounts(fake, items) {
	const byPrompt = await fake.call('promptCounts');
	let duplicates = 0;
	let missing = 0;
	for (let i = 0; i < items; i++) {
		const count = byPrompt[`bench item ${i}`] ?? 0;
		if (count === 0) missing++;
		else duplicates += count - 1;
	}
	return { jobs: Object.values(byPrompt).reduce((a, b) => a + b, 0), duplicates, missing };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `main` when the file is executed directly and prints its result as the last stdout line. */
function runAsScript(mod, main) {
	if (require.main !== mod) return;
	main()
		.then((result) => {
			process.stdout.write(`${JSON.stringify(result)}\n`);
			process.exit(0);
		})
		.catch((error) => {
			process.stderr.write(`${error.stack || error.message}\n`);
			process.exit(1);
		});
}

module.exports = { ROOT, NODE_NAME, prepareSnapshot, snapshotDir, loadNodeClasses, imageParameters, runNode, imageGenBody, httpJson, jobCounts, sleep, runAsScript };
