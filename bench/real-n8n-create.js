'use strict';
// 100 creates in the real n8n of the e2e runtime (.n8n-runtime/, provisioned by
// scripts/n8n-runtime.js; never installed from here): the Dreamlook node (this package's compiled
// snapshot, installed into a private user folder as n8n's community-package installer would) and
// n8n's own HTTP Request node (n8n-nodes-base, typeVersion 4.2), each as Manual Trigger → Code
// (N items) → node, run with `n8n execute --rawOutput`. The time compared is the node's own
// executionTime from n8n's run data (n8n's start-up is not part of it). Used by bench/create.js.
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, imageGenBody, snapshotDir } = require('./lib');

const rt = require(path.join(ROOT, 'scripts', 'n8n-runtime.js'));
const { freePort } = require(path.join(ROOT, 'test', 'e2e', 'runner.js'));
const setup = require(path.join(ROOT, 'test', 'e2e', 'n8n-setup.js'));

const USER_FOLDER = path.join(ROOT, 'node_modules', '.cache', 'n8n-nodes-dreamlook-bench', 'n8n-create-user');
const HTTP_REQUEST_TYPE_VERSION = 4.2;
const CREDENTIAL_ID = 'BenchDreamlook01';

function available() {
	return rt.isInstalled();
}


/** The compiled snapshot as an installed community package (package.json without dev/peer deps, dist/, icons). */
function installSnapshot() {
	const dir = setup.packageDir(USER_FOLDER);
	fs.rmSync(dir, { recursive: true, force: true });
	fs.mkdirSync(dir, { recursive: true });
	const { devDependencies, peerDependencies, optionalDependencies, scripts, ...pkg } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
	fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
	fs.cpSync(snapshotDir(), path.join(dir, 'dist'), { recursive: true });
	fs.cpSync(path.join(ROOT, 'icons'), path.join(dir, 'dist', 'icons'), { recursive: true });
	const nodesPkg = path.join(setup.nodesDir(USER_FOLDER), 'package.json');
	fs.writeFileSync(nodesPkg, JSON.stringify({ name: 'installed-nodes', private: true, dependencies: { [pkg.name]: pkg.version } }, null, 2));
}

const trigger = { id: 'c0000000-0000-4000-8000-000000000001', name: 'Manual Trigger', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} };

function itemsNode(items) {
	const bodies = Array.from({ length: items }, (_, i) => imageGenBody(i));
	return {
		id: 'c0000000-0000-4000-8000-000000000002',
		name: 'Items',
		type: 'n8n-nodes-base.code',
		typeVersion: 2,
		position: [220, 0],
		parameters: { jsCode: `return ${JSON.stringify(bodies)}.map((body, i) => ({ json: { i, body } }));` },
	};
}

function workflow(id, name, node, items) {
	return {
		id,
		name,
		nodes: [trigger, itemsNode(items), { id: 'c0000000-0000-4000-8000-000000000003', position: [440, 0], ...node }],
		connections: {
			'Manual Trigger': { main: [[{ node: 'Items', type: 'main', index: 0 }]] },
			Items: { main: [[{ node: node.name, type: 'main', index: 0 }]] },
		},
		settings: { executionOrder: 'v1' },
		active: false,
		pinData: {},
	};
}

const NODES = {
	dreamlook: (concurrency) => ({
		name: 'Dreamlook',
		type: 'n8n-nodes-dreamlook.dreamlook',
		typeVersion: 1,
		parameters: {
			resource: 'image',
			operation: 'create',
			prompt: '={{ $json.body.prompt }}',
			modelType: 'sd-v1',
			width: 512,
			height: 512,
			numSamples: 1,
			waitForCompletion: false,
			downloadImages: false,
			simplify: true,
			additionalFields: {},
			options: concurrency === undefined ? {} : { concurrency },
		},
		credentials: { dreamlookApi: { id: CREDENTIAL_ID, name: 'Dreamlook bench' } },
	}),
	httpRequest: (_, { url, apiKey }) => ({
		name: 'HTTP Request',
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: HTTP_REQUEST_TYPE_VERSION,
		parameters: {
			method: 'POST',
			url: `${url}/image_gen`,
			sendHeaders: true,
			headerParameters: { parameters: [{ name: 'authorization', value: `Bearer ${apiKey}` }] },
			sendBody: true,
			specifyBody: 'json',
			jsonBody: '={{ JSON.stringify($json.body) }}',
			options: {},
		},
	}),
};

let prepared = null;

/**
 * Installs the package and imports the credential and the workflows (once per fake URL).
 * @param {{items: number, url: string, apiKey: string, cases: Array<{id: string, kind: 'dreamlook'|'httpRequest', concurrency?: number}>}} o
 */
async function prepare({ items, url, apiKey, cases }) {
	if (prepared === url) return;
	const env = { N8N_LOG_LEVEL: 'warn', HOME: USER_FOLDER };
	fs.rmSync(USER_FOLDER, { recursive: true, force: true });
	fs.mkdirSync(setup.nodesDir(USER_FOLDER), { recursive: true });
	installSnapshot();
	const workDir = path.join(USER_FOLDER, 'import');
	await setup.importCredentials([{ id: CREDENTIAL_ID, name: 'Dreamlook bench', type: 'dreamlookApi', data: { apiKey, baseUrl: url } }], { userFolder: USER_FOLDER, workDir, env });
	const dir = path.join(workDir, 'workflows');
	fs.mkdirSync(dir, { recursive: true });
	for (const c of cases) {
		const node = NODES[c.kind](c.concurrency, { url, apiKey });
		fs.writeFileSync(path.join(dir, `${c.id}.json`), JSON.stringify(workflow(c.id, `bench: ${node.name}, ${items} creates`, node, items), null, 2));
	}
	const r = await rt.runN8n(['import:workflow', '--separate', `--input=${dir}`], { userFolder: USER_FOLDER, env, brokerPort: await freePort() });
	if (r.code !== 0) throw new Error(`n8n import:workflow failed: ${(r.stdout + r.stderr).slice(-2000)}`);
	prepared = url;
}

/**
 * Runs one prepared workflow; the node's executionTime (ms) from n8n's run data, its items, errors.
 * @returns {Promise<{ok: boolean, nodeMs?: number, items: number, failed: number, error?: string}>}
 */
async function execute(id, nodeName) {
	const env = { N8N_LOG_LEVEL: 'info', HOME: USER_FOLDER, N8N_RUNNERS_TASK_TIMEOUT: '120' };
	const r = await rt.runN8n(['execute', `--id=${id}`, '--rawOutput'], { userFolder: USER_FOLDER, env, timeoutMs: 180_000, brokerPort: await freePort() });
	fs.writeFileSync(path.join(USER_FOLDER, `execute-${id}.log`), `${r.stdout}\n${r.stderr}`);
	const run = setup.parseExecuteOutput(r.stdout);
	const nodeRun = run?.data?.resultData?.runData?.[nodeName]?.[0];
	const output = nodeRun?.data?.main?.[0] ?? [];
	const error = run?.data?.resultData?.error?.message ?? (r.code === 0 ? undefined : `${r.stderr}`.trim().split('\n').slice(-1)[0]?.slice(0, 200));
	return {
		ok: r.code === 0 && !!nodeRun && !error,
		nodeMs: typeof nodeRun?.executionTime === 'number' ? nodeRun.executionTime : undefined,
		/** When n8n started the node (epoch ms), to compare with the fake's request log. */
		startedAt: typeof nodeRun?.startTime === 'number' ? nodeRun.startTime : undefined,
		items: output.length,
		failed: output.filter((item) => item.json?.error !== undefined).length,
		error,
	};
}

module.exports = { available, prepare, execute, USER_FOLDER };
