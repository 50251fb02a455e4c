'use strict';
// Shared by scripts/e2e.js, scripts/e2e-queue.js and scripts/dev.js: turn a stored workflow (test/e2e/workflows/*.json,
// examples/*.json) into what gets imported into a given n8n.

const fs = require('node:fs');
const path = require('node:path');

const DREAMLOOK_NODE = 'n8n-nodes-dreamlook.dreamlook';
const DREAMLOOK_TRIGGER = 'n8n-nodes-dreamlook.dreamlookTrigger';
/** The node as an AI agent's tool (n8n generates it from `usableAsTool`). */
const DREAMLOOK_TOOL = 'n8n-nodes-dreamlook.dreamlookTool';
/** Where examples/*.json save images (n8n's Docker image: HOME=/home/node, files allowed in ~/.n8n-files). */
const EXAMPLE_OUTPUT_FOLDER = '/home/node/.n8n-files/dreamlook';

/** @param {string} file */
function readWorkflow(file) {
	return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Every `@@NAME@@` placeholder in a workflow file. @param {any} wf */
function placeholdersOf(wf) {
	return [...new Set([...JSON.stringify(wf).matchAll(/@@([A-Z0-9_]+)@@/g)].map((m) => m[1]))];
}

/**
 * @param {any} wf
 * @param {{credential?: {id: string, name: string}, replacements?: Record<string, string>,
 *   pollIntervalSeconds?: number, setValues?: Record<string, string>}} o
 *   credential: point every Dreamlook node (and trigger) at this credential;
 *   replacements: @@NAME@@ -> value (JSON-string-escaped);
 *   pollIntervalSeconds: override the Poll Interval of create operations and of Job → Get with Wait for
 *   Completion (fast fake API);
 *   setValues: Set-node assignments by name -> new value;
 *   textReplacements: literal text -> new text anywhere in the workflow (e.g. the examples' output
 *   folder EXAMPLE_OUTPUT_FOLDER).
 */
function prepareWorkflow(wf, { credential, replacements = {}, pollIntervalSeconds, setValues = {}, textReplacements = {} } = {}) {
	let text = JSON.stringify(wf);
	for (const [from, to] of Object.entries(textReplacements)) {
		text = text.split(JSON.stringify(from).slice(1, -1)).join(JSON.stringify(to).slice(1, -1));
	}
	for (const [name, value] of Object.entries(replacements)) {
		text = text.split(`@@${name}@@`).join(JSON.stringify(String(value)).slice(1, -1));
	}
	const left = [...text.matchAll(/@@([A-Z0-9_]+)@@/g)].map((m) => m[1]);
	if (left.length) throw new Error(`workflow "${wf.name}" has unfilled placeholders: ${[...new Set(left)].join(', ')}`);
	const out = JSON.parse(text);
	for (const node of out.nodes) {
		if (credential && (node.type === DREAMLOOK_NODE || node.type === DREAMLOOK_TRIGGER || node.type === DREAMLOOK_TOOL)) {
			node.credentials = { dreamlookApi: { id: credential.id, name: credential.name } };
		}
		if (pollIntervalSeconds && (node.type === DREAMLOOK_NODE || node.type === DREAMLOOK_TOOL) && node.parameters?.operation === 'create') {
			node.parameters.options = { ...(node.parameters.options ?? {}), pollInterval: pollIntervalSeconds };
		}
		if (pollIntervalSeconds && node.type === DREAMLOOK_NODE && node.parameters?.operation === 'get' && node.parameters?.waitForCompletion) {
			node.parameters.waitOptions = { ...(node.parameters.waitOptions ?? {}), pollInterval: pollIntervalSeconds };
		}
		const assignments = node.type === 'n8n-nodes-base.set' ? node.parameters?.assignments?.assignments : null;
		if (Array.isArray(assignments)) {
			for (const a of assignments) if (a.name in setValues) a.value = setValues[a.name];
		}
	}
	return out;
}

/** The workflow's first node type (what it starts with). @param {any} wf */
function startsWithManualTrigger(wf) {
	return wf.nodes.some((n) => n.type === 'n8n-nodes-base.manualTrigger');
}

/** @param {any} wf */
function usesTrigger(wf) {
	return wf.nodes.some((n) => n.type === DREAMLOOK_TRIGGER);
}

/**
 * A copy of an example started by a production Webhook (POST webhookPath, answered on receipt) instead
 * of its Manual Trigger (same node name), so that `n8n start` runs it and can be restarted while it
 * waits; limitSeconds shortens the Wait node's limit. Used for examples/wait-by-callback.json.
 * @param {any} example @param {{id: string, path: string, limitSeconds?: number}} o
 */
function webhookStartedCopy(example, { id, path: webhookPath, limitSeconds }) {
	const wf = JSON.parse(JSON.stringify(example));
	Object.assign(wf, { id, name: `${example.name} (e2e ${id})` });
	const trigger = wf.nodes.find((n) => n.type === 'n8n-nodes-base.manualTrigger');
	if (!trigger) throw new Error(`${example.name}: no Manual Trigger to replace`);
	Object.assign(trigger, {
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		parameters: { httpMethod: 'POST', path: webhookPath, responseMode: 'onReceived', options: {} },
		webhookId: require('node:crypto').randomUUID(),
	});
	if (limitSeconds) {
		const wait = wf.nodes.find((n) => n.type === 'n8n-nodes-base.wait');
		Object.assign(wait.parameters, { limitWaitTime: true, limitType: 'afterTimeInterval', resumeAmount: limitSeconds, resumeUnit: 'seconds' });
	}
	return { id, path: webhookPath, wf };
}

/** Write workflows as one file each into dir (for `n8n import:workflow --separate --input=dir`). */
function writeImportDir(dir, workflows) {
	fs.rmSync(dir, { recursive: true, force: true });
	fs.mkdirSync(dir, { recursive: true });
	for (const wf of workflows) fs.writeFileSync(path.join(dir, `${wf.id}.json`), JSON.stringify(wf, null, 2));
}

module.exports = {
	DREAMLOOK_NODE,
	DREAMLOOK_TRIGGER,
	DREAMLOOK_TOOL,
	EXAMPLE_OUTPUT_FOLDER,
	readWorkflow,
	placeholdersOf,
	prepareWorkflow,
	startsWithManualTrigger,
	usesTrigger,
	webhookStartedCopy,
	writeImportDir,
};
