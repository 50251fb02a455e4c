'use strict';
// n8n's real HTTP Request node (n8n-nodes-base, typeVersion 4.2) in the real n8n of the e2e runtime
// (.n8n-runtime/, provisioned by scripts/n8n-runtime.js; never installed from here): Manual Trigger →
// Code (N items, each with its /image_gen body) → HTTP Request POST /image_gen with Retry On Fail
// (3 tries, 1 s apart), run with `n8n execute`. Used by bench/money.js when the runtime exists.
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, imageGenBody } = require('./lib');

const rt = require(path.join(ROOT, 'scripts', 'n8n-runtime.js'));
const { freePort } = require(path.join(ROOT, 'test', 'e2e', 'runner.js'));
const USER_FOLDER = path.join(ROOT, 'node_modules', '.cache', 'n8n-nodes-dreamlook-bench', 'n8n-user');
const HTTP_REQUEST_TYPE_VERSION = 4.2;

function available() {
	return rt.isInstalled();
}


function workflow(id, { items, url, apiKey, retry }) {
	const bodies = Array.from({ length: items }, (_, i) => imageGenBody(i));
	return {
		id,
		name: `bench: HTTP Request POST /image_gen, ${items} items, Retry On Fail`,
		nodes: [
			{ id: 'b0000000-0000-4000-8000-000000000001', name: 'Manual Trigger', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			{
				id: 'b0000000-0000-4000-8000-000000000002',
				name: 'Items',
				type: 'n8n-nodes-base.code',
				typeVersion: 2,
				position: [220, 0],
				parameters: { jsCode: `return ${JSON.stringify(bodies)}.map((body, i) => ({ json: { i, body } }));` },
			},
			{
				id: 'b0000000-0000-4000-8000-000000000003',
				name: 'HTTP Request',
				type: 'n8n-nodes-base.httpRequest',
				typeVersion: HTTP_REQUEST_TYPE_VERSION,
				position: [440, 0],
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
				...retry,
			},
		],
		connections: {
			'Manual Trigger': { main: [[{ node: 'Items', type: 'main', index: 0 }]] },
			Items: { main: [[{ node: 'HTTP Request', type: 'main', index: 0 }]] },
		},
		settings: { executionOrder: 'v1' },
		active: false,
		pinData: {},
	};
}

const imported = new Map();

/**
 * Runs the workflow for `items` items against `url` (the fake). Imports it on first use.
 * @returns {Promise<{ok: boolean, ms: number, error?: string}>}
 */
async function runRealHttpRequest({ items, url, apiKey, retry }) {
	const id = `benchMoneyHttp${String(items).padStart(3, '0')}`.slice(0, 16);
	const env = { N8N_LOG_LEVEL: 'warn', HOME: USER_FOLDER, N8N_RUNNERS_TASK_TIMEOUT: '120' };
	if (imported.get(id) !== url) {
		const dir = path.join(USER_FOLDER, 'import');
		fs.rmSync(dir, { recursive: true, force: true });
		fs.mkdirSync(dir, { recursive: true });
		fs.writeFileSync(path.join(dir, `${id}.json`), JSON.stringify(workflow(id, { items, url, apiKey, retry }), null, 2));
		const r = await rt.runN8n(['import:workflow', '--separate', `--input=${dir}`], { userFolder: USER_FOLDER, env, brokerPort: await freePort() });
		if (r.code !== 0) throw new Error(`n8n import:workflow failed: ${(r.stdout + r.stderr).slice(-2000)}`);
		imported.set(id, url);
	}
	const started = performance.now();
	const r = await rt.runN8n(['execute', `--id=${id}`, '--rawOutput'], { userFolder: USER_FOLDER, env, timeoutMs: 180_000, brokerPort: await freePort() });
	const ms = performance.now() - started;
	const text = `${r.stdout}\n${r.stderr}`;
	fs.writeFileSync(path.join(USER_FOLDER, `execute-${id}.log`), text);
	if (r.timedOut) throw new Error('n8n execute timed out');
	const error = r.code === 0 ? undefined : (/"message":\s*"([^"]{1,200})/.exec(text)?.[1] ?? text.trim().split('\n').slice(-1)[0]?.slice(0, 200));
	return { ok: r.code === 0, ms, error };
}

module.exports = { available, runRealHttpRequest, USER_FOLDER };
