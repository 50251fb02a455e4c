'use strict';
/**
 * callWebhook: one HTTP call to a webhook-based trigger node, through n8n-core's WebhookContext —
 * what n8n's live-webhooks service does when a request reaches /webhook/<id>/<path> of an
 * active workflow: it builds the context with the request and response, calls the node's
 * webhook(), and starts an execution when `workflowData` comes back.
 */
const { Workflow, deepCopy } = require('n8n-workflow');
const { WebhookContext } = require('n8n-core');
const { runStorage, createRunContext, ensureRuntime, createAdditionalData } = require('./runtime');
const { HarnessNodeTypes } = require('./node-types');
const { HarnessCredentialTypes, HarnessCredentialsHelper, toStore } = require('./credentials');

const WEBHOOK_NODE_TYPE = 'n8n-nodes-harness.webhookUnderTest';

/** An Express-like response that records what the node sent. */
function fakeResponse(onAnswer) {
	const answered = () => {
		res.headersSent = true;
		if (onAnswer) onAnswer(res);
	};
	const res = {
		statusCode: 200,
		headersSent: false,
		/** @type {unknown} */ body: undefined,
		status(code) {
			res.statusCode = code;
			return res;
		},
		json(body) {
			res.body = body;
			answered();
			return res;
		},
		send(body) {
			res.body = body;
			answered();
			return res;
		},
		end() {
			answered();
			return res;
		},
		setHeader() {},
	};
	return res;
}

/**
 * @param {object} options
 * @param {Function|object} options.nodeType the webhook trigger class (or instance)
 * @param {Record<string, Function|object>} [options.credentialTypes]
 * @param {Record<string, {id?: string, name?: string, data: object}>} [options.credentials]
 * @param {import('n8n-workflow').INodeParameters} [options.parameters]
 * @param {{body?: unknown, headers?: object, query?: object, method?: string}} [options.request]
 * @param {string} [options.workflowId] default 'harness-webhook-workflow' (the node's memory is per workflow + node)
 * @param {string} [options.nodeId] default 'harness-webhook-node'
 * @param {object} [options.staticData] the workflow's static data: pass the same object to later calls to keep it, as n8n saves it after each production call
 * @param {'filesystem'|'default'} [options.binaryMode]
 * @param {(res: {statusCode: number, body: unknown}) => void} [options.onAnswer] called the moment the node answers the caller
 */
async function callWebhook(options) {
	await ensureRuntime();
	const run = createRunContext({ binaryMode: options.binaryMode ?? 'filesystem' });
	return await runStorage.run(run, async () => {
		const result = await call(options);
		return { ...result, logs: run.logs, engineLogs: run.engineLogs, reportedErrors: run.reportedErrors };
	});
}

async function call(options) {
	const nodeTypes = new HarnessNodeTypes({ [WEBHOOK_NODE_TYPE]: options.nodeType });
	const type = nodeTypes.getByName(WEBHOOK_NODE_TYPE);
	const description = type.description;
	const typeVersion = [].concat(description.version).slice(-1)[0];
	const credentialTypes = new HarnessCredentialTypes(options.credentialTypes, nodeTypes);
	const store = toStore(options.credentials);
	const credentialsHelper = new HarnessCredentialsHelper(credentialTypes, store);
	const node = {
		id: options.nodeId ?? 'harness-webhook-node',
		name: 'Webhook Trigger',
		type: WEBHOOK_NODE_TYPE,
		typeVersion,
		position: [0, 0],
		webhookId: 'harness-webhook-id',
		parameters: deepCopy(options.parameters ?? {}),
		credentials: Object.fromEntries(Object.entries(store).map(([t, { id, name }]) => [t, { id, name }])),
	};
	const workflow = new Workflow({
		id: options.workflowId ?? 'harness-webhook-workflow',
		name: 'Harness webhook workflow',
		nodes: [node],
		connections: {},
		active: true,
		nodeTypes,
		staticData: options.staticData ?? {},
		settings: { executionOrder: 'v1' },
	});
	const workflowNode = workflow.getNode(node.name);
	const request = options.request ?? {};
	const req = {
		method: request.method ?? 'POST',
		body: request.body ?? {},
		headers: { 'content-type': 'application/json', ...(request.headers ?? {}) },
		query: request.query ?? {},
		params: {},
		contentType: 'application/json',
	};
	const res = fakeResponse(options.onAnswer);
	const additionalData = createAdditionalData({ credentialsHelper, workflowId: workflow.id });
	additionalData.httpRequest = req;
	additionalData.httpResponse = res;
	const webhookDescription = description.webhooks[0];
	const webhookData = {
		httpMethod: req.method,
		node: node.name,
		path: webhookDescription.path,
		webhookDescription,
		workflowId: workflow.id,
		workflowExecuteAdditionalData: additionalData,
	};
	const context = new WebhookContext(workflow, workflowNode, additionalData, 'webhook', webhookData, [], null);
	await workflow.expression.acquireIsolate?.();
	let response;
	try {
		response = await type.webhook.call(context);
	} finally {
		await workflow.expression.releaseIsolate?.();
	}
	return {
		/** what webhook() returned ({ workflowData } starts an execution) */
		response,
		/** the items of the execution it would start, or null */
		items: response?.workflowData?.[0] ?? null,
		/** what the caller received */
		status: res.statusCode,
		body: res.body,
		answered: res.headersSent,
	};
}

module.exports = { callWebhook };
