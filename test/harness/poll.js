'use strict';
/**
 * pollOnce: one poll of a polling trigger node with n8n-core's PollContext.
 *  - mode 'trigger' mirrors an active workflow's poll tick (PollTriggerExecutor +
 *    TriggersAndPollers.runPollFunction): the node's static data lives in the workflow's
 *    staticData under `node:<name>`, which is what you pass as `staticData` and get back mutated.
 *  - mode 'manual' mirrors "Fetch test event" (WorkflowExecute.executePollNode): n8n never saves
 *    static data then, so the node works on a copy and the object you passed stays untouched.
 */
const { isDeepStrictEqual } = require('node:util');
const { Workflow, deepCopy } = require('n8n-workflow');
const { PollContext, TriggersAndPollers, runPollInStagingScope, commitStagedCursor } = require('n8n-core');
const { Container, runStorage, createRunContext, ensureRuntime, createAdditionalData } = require('./runtime');
const { HarnessNodeTypes } = require('./node-types');
const { HarnessCredentialTypes, HarnessCredentialsHelper, toStore } = require('./credentials');

const POLL_NODE_TYPE = 'n8n-nodes-harness.pollUnderTest';

/**
 * @param {object} options
 * @param {Function|object} options.nodeType the polling trigger class (or instance)
 * @param {string} [options.nodeTypeName] full type name to register it under (default a harness name)
 * @param {Record<string, Function|object>} [options.credentialTypes]
 * @param {Record<string, {id?: string, name?: string, data: object}>} [options.credentials]
 * @param {import('n8n-workflow').INodeParameters} [options.parameters] node parameters (pollTimes is added if missing)
 * @param {import('n8n-workflow').IDataObject} [options.staticData] the node's static data (getWorkflowStaticData('node'))
 * @param {'trigger'|'manual'} [options.mode] default 'trigger'
 * @param {import('n8n-workflow').WorkflowActivateMode} [options.activation] default 'activate' ('manual' in manual mode)
 * @param {string} [options.nodeName] default 'Poll Trigger'
 * @param {number} [options.typeVersion] default: the node's latest version
 * @param {Record<string, {id: string, name: string}>} [options.nodeCredentials] default: one reference per `credentials` entry
 * @param {'filesystem'|'default'} [options.binaryMode]
 * @param {string} [options.timezone] workflow timezone (default 'UTC')
 * @param {() => number} [options.getPollBudgetMs]
 * @param {boolean} [options.durableCursors] n8n's durable poll cursors (2.41 with N8N_SCHEDULER_ENABLED,
 *   N8N_SCHEDULER_POLL_TRIGGERS_ENABLED, N8N_USE_WORKFLOW_PUBLICATION_SERVICE and
 *   N8N_POLLER_DURABLE_CURSORS_ENABLED; see n8n's trigger-execution-context.factory and
 *   poll-trigger-task-handler): the node works on a per-poll copy of `staticData`, which is committed
 *   back only when the poll emits (with its execution) or returns nothing (cursor-only commit) and
 *   the copy changed; a poll that throws commits nothing. `committed` in the result says which.
 */
async function pollOnce(options) {
	await ensureRuntime();
	const run = createRunContext({ binaryMode: options.binaryMode ?? 'filesystem' });
	return await runStorage.run(run, async () => {
		const result = await poll(options, run);
		return { ...result, logs: run.logs, engineLogs: run.engineLogs, reportedErrors: run.reportedErrors };
	});
}

async function poll(options, run) {
	const mode = options.mode ?? 'trigger';
	const typeName = options.nodeTypeName ?? POLL_NODE_TYPE;
	const nodeTypes = new HarnessNodeTypes({ [typeName]: options.nodeType });
	const typeRoot = nodeTypes.getByName(typeName);
	const typeVersion =
		options.typeVersion ??
		('nodeVersions' in typeRoot
			? typeRoot.currentVersion
			: [].concat(typeRoot.description.version).slice(-1)[0]);
	const credentialTypes = new HarnessCredentialTypes(options.credentialTypes, nodeTypes);
	const store = toStore(options.credentials);
	const credentialsHelper = new HarnessCredentialsHelper(credentialTypes, store);

	const nodeName = options.nodeName ?? 'Poll Trigger';
	const node = {
		id: 'harness-poll-node',
		name: nodeName,
		type: typeName,
		typeVersion,
		position: [0, 0],
		parameters: { pollTimes: { item: [{ mode: 'everyMinute' }] }, ...deepCopy(options.parameters ?? {}) },
		credentials:
			options.nodeCredentials ??
			Object.fromEntries(Object.entries(store).map(([type, { id, name }]) => [type, { id, name }])),
	};

	const passed = options.staticData ?? {};
	// Workflow wraps staticData in ObservableObject proxies (in place, and only once per object), so
	// it gets a fresh copy; in 'trigger' mode the result is written back into `passed` afterwards,
	// like the in-memory workflow of an active trigger keeps it between polls.
	const workflow = new Workflow({
		id: 'harness-poll-workflow',
		name: 'Harness poll workflow',
		nodes: [node],
		connections: {},
		active: mode !== 'manual',
		nodeTypes,
		staticData: { [`node:${nodeName}`]: deepCopy(passed) },
		settings: { executionOrder: 'v1', timezone: options.timezone ?? 'UTC' },
	});
	const workflowNode = workflow.getNode(nodeName);

	const additionalData = createAdditionalData({ credentialsHelper, workflowId: workflow.id });
	/** @type {import('n8n-workflow').INodeExecutionData[][] | null} */
	let emitted = null;
	if (options.durableCursors && mode !== 'manual') return await durablePoll(options, { passed, workflow, workflowNode, additionalData, mode });
	const context = new PollContext(
		workflow,
		workflowNode,
		additionalData,
		mode,
		options.activation ?? (mode === 'manual' ? 'manual' : 'activate'),
		(data) => {
			emitted = data;
		},
		(error) => {
			throw error;
		},
		undefined,
		undefined,
		undefined,
		options.getPollBudgetMs,
	);

	let items;
	if (mode === 'manual') {
		// WorkflowExecute.executePollNode in manual mode: poll() called directly, errors propagate.
		items = await workflow.nodeTypes.getByNameAndVersion(typeName, typeVersion).poll.call(context);
	} else {
		await workflow.expression.acquireIsolate();
		try {
			items = await Container.get(TriggersAndPollers).runPollFunction(workflow, workflowNode, context);
		} finally {
			await workflow.expression.releaseIsolate();
		}
		if (items !== null && items !== undefined) context.__emit(items);
	}

	const after = deepCopy(workflow.getStaticData('node', workflowNode));
	let staticData = after;
	if (mode !== 'manual') {
		for (const key of Object.keys(passed)) delete passed[key];
		Object.assign(passed, after);
		staticData = passed;
	}

	return {
		items: items ?? null,
		/** what the active trigger would have emitted (null when the poll returned null, and in manual mode) */
		emitted,
		/** trigger mode: the object you passed, updated; manual mode: a copy (yours is left untouched) */
		staticData,
		/** true when the node changed its static data (n8n saves it with the next emit) */
		staticDataChanged: workflow.staticData.__dataChanged === true,
		credentials: store,
		credentialUpdates: credentialsHelper.updates,
	};
}

/**
 * One poll as n8n 2.41's durable scheduler runs it (PollTriggerTaskHandler with durable cursors):
 * __runPoll stages a deep copy of the stored cursor (the node's static data), the node reads and
 * writes that copy, and the copy is committed only if it changed and the poll emitted (committed
 * with the execution) or returned nothing (commitStagedCursor → commitCursorOnly). A poll that
 * throws commits nothing.
 */
async function durablePoll(options, { passed, workflow, workflowNode, additionalData, mode }) {
	/** @type {{ snapshot: object, seed: object } | undefined} */
	let staged;
	/** @type {'with-execution' | 'cursor-only' | null} */
	let committed = null;
	const takeStaged = () => {
		if (!staged || isDeepStrictEqual(staged.snapshot, staged.seed)) return null;
		const cursor = deepCopy(staged.snapshot);
		staged.seed = cursor;
		return cursor;
	};
	const commit = (cursor, how) => {
		for (const key of Object.keys(passed)) delete passed[key];
		Object.assign(passed, deepCopy(cursor));
		committed = how;
	};
	/** @type {import('n8n-workflow').INodeExecutionData[][] | null} */
	let emitted = null;
	const context = new PollContext(
		workflow,
		workflowNode,
		additionalData,
		mode,
		options.activation ?? 'activate',
		(data) => {
			emitted = data;
			const cursor = takeStaged();
			if (cursor !== null) commit(cursor, 'with-execution');
		},
		(error) => {
			throw error;
		},
		async () => {
			const cursor = takeStaged();
			if (cursor !== null) commit(cursor, 'cursor-only');
		},
		async (poll) => {
			const seed = deepCopy(passed);
			staged = { snapshot: deepCopy(seed), seed };
			return await poll();
		},
		() => {
			if (!staged) throw new Error('Poll node read its static data outside of a poll');
			return staged.snapshot;
		},
		options.getPollBudgetMs,
	);
	const items = await runPollInStagingScope(context, async () => {
		await workflow.expression.acquireIsolate();
		try {
			const response = await Container.get(TriggersAndPollers).runPollFunction(workflow, workflowNode, context);
			if (response !== null && response !== undefined) context.__emit(response);
			else await commitStagedCursor(context);
			return response;
		} finally {
			await workflow.expression.releaseIsolate();
		}
	});
	return {
		items: items ?? null,
		emitted,
		staticData: passed,
		staticDataChanged: committed !== null,
		committed,
	};
}

module.exports = { pollOnce, POLL_NODE_TYPE };
