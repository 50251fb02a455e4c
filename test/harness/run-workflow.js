'use strict';
/**
 * runWorkflow: executes a stored-workflow-shaped fixture (nodes + connections) in 'manual' mode
 * with n8n-core's WorkflowExecute, the way n8n's own nodes-testing harness does it.
 */
const { Workflow, deepCopy, UnexpectedError } = require('n8n-workflow');
const { WorkflowExecute, ExecutionLifecycleHooks, BinaryDataService } = require('n8n-core');
const {
	Container,
	runStorage,
	createRunContext,
	ensureRuntime,
	createAdditionalData,
} = require('./runtime');
const { HarnessNodeTypes, MANUAL_TRIGGER } = require('./node-types');
const { HarnessCredentialTypes, HarnessCredentialsHelper, toStore } = require('./credentials');

/** @typedef {import('n8n-workflow').INodeExecutionData} INodeExecutionData */

let executionCounter = 0;

/**
 * A node of type n8n-nodes-base.manualTrigger, to put in front of the node under test.
 * @param {Partial<import('n8n-workflow').INode>} [overrides]
 * @returns {import('n8n-workflow').INode}
 */
function manualTriggerNode(overrides = {}) {
	return {
		id: 'harness-manual-trigger',
		name: "When clicking 'Execute workflow'",
		type: MANUAL_TRIGGER,
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
		...overrides,
	};
}

/**
 * @param {object} options
 * @param {Record<string, Function|object>} [options.nodeTypes] full node type name -> INodeType class (or instance)
 * @param {Record<string, Function|object>} [options.credentialTypes] credential type name -> ICredentialType class (or instance)
 * @param {Record<string, {id?: string, name?: string, data: object}>} [options.credentials] credential type name -> stored credential
 * @param {import('n8n-workflow').INode[]} options.nodes
 * @param {import('n8n-workflow').IConnections} [options.connections]
 * @param {INodeExecutionData[]} [options.inputItems] what the manual trigger emits (default [{ json: {} }])
 * @param {string} [options.startNode] name of the node to start from (default: n8n's choice, i.e. the trigger)
 * @param {number} [options.timeoutMs] n8n's execution timeout: cancels the run (TimeoutExecutionCancelledError)
 * @param {number} [options.abortAfterMs] "Stop execution" after this many ms (aborts getExecutionCancelSignal())
 * @param {'filesystem'|'default'} [options.binaryMode] where prepareBinaryData puts bytes (default 'filesystem')
 * @param {import('n8n-workflow').IWorkflowSettings} [options.settings] workflow settings (default executionOrder v1)
 * @param {import('n8n-workflow').IDataObject} [options.staticData] workflow static data ({ 'node:Name': {...} })
 * @param {import('n8n-workflow').IPinData} [options.pinData]
 * @param {string} [options.workflowId]
 * @param {string} [options.name] workflow name
 */
async function runWorkflow(options) {
	if (!options || !Array.isArray(options.nodes)) {
		throw new TypeError('runWorkflow: options.nodes (INode[]) is required');
	}
	await ensureRuntime();
	executionCounter += 1;
	const executionId = `harness-${executionCounter}`;
	const run = createRunContext({
		id: executionId,
		binaryMode: options.binaryMode ?? 'filesystem',
		inputItems: options.inputItems,
	});
	return await runStorage.run(run, async () => await execute(options, run, executionId));
}

async function execute(options, run, executionId) {
	const nodeTypes = new HarnessNodeTypes(options.nodeTypes);
	const credentialTypes = new HarnessCredentialTypes(options.credentialTypes, nodeTypes);
	const credentialsHelper = new HarnessCredentialsHelper(credentialTypes, toStore(options.credentials));

	const workflowId = options.workflowId ?? 'harness-workflow';
	const nodes = deepCopy(options.nodes);
	const connections = deepCopy(options.connections ?? {});
	const settings = options.settings ?? { executionOrder: 'v1' };
	const workflow = new Workflow({
		id: workflowId,
		name: options.name ?? 'Harness workflow',
		nodes,
		connections,
		active: false,
		nodeTypes,
		staticData: options.staticData ? deepCopy(options.staticData) : undefined,
		settings,
		pinData: options.pinData,
	});

	const startNode = options.startNode ? workflow.getNode(options.startNode) : workflow.getStartNode();
	if (!startNode) {
		throw new UnexpectedError(
			`runWorkflow: no start node${options.startNode ? ` named "${options.startNode}"` : ''} in the workflow`,
		);
	}

	/** @type {string[]} */
	const executionOrder = [];
	const mode = options.mode ?? 'manual';
	const hooks = new ExecutionLifecycleHooks(mode, executionId, {
		id: workflowId,
		name: workflow.name,
		active: false,
		isArchived: false,
		nodes,
		connections,
		settings,
		createdAt: new Date(),
		updatedAt: new Date(),
	});
	hooks.addHandler('nodeExecuteAfter', (nodeName) => {
		executionOrder.push(nodeName);
	});
	/** @type {import('n8n-workflow').IDataObject | undefined} */
	let newStaticData;
	/** @type {import('n8n-workflow').IRun | undefined} */
	let hookRun;
	hooks.addHandler('workflowExecuteAfter', (fullRunData, staticData) => {
		// The first call is what n8n saves: on "Stop execution" it comes from the cancel handler
		// (status 'canceled') and the later end of the loop does not call the hook again.
		hookRun ??= fullRunData;
		if (staticData) newStaticData = staticData;
	});

	const additionalData = createAdditionalData({
		credentialsHelper,
		hooks,
		executionId,
		workflowId,
		executionTimeoutTimestamp: options.timeoutMs !== undefined ? Date.now() + options.timeoutMs : undefined,
	});

	const runExecutionData = {
		startData: {},
		resultData: { runData: {}, pinData: options.pinData },
		executionData: {
			contextData: {},
			metadata: {},
			// Outside manual mode n8n does not run a trigger node: it passes the stack's data through.
			nodeExecutionStack: [{ node: startNode, data: { main: [mode === 'manual' ? [{ json: {} }] : structuredClone(options.inputItems ?? [{ json: {} }])] }, source: null }],
			waitingExecution: {},
			waitingExecutionSource: {},
		},
	};

	const workflowExecute = new WorkflowExecute(additionalData, mode, runExecutionData);
	/** @type {import('n8n-workflow').IRun | undefined} */
	let fullRun;
	/** @type {unknown} */
	let thrown;
	const timers = [];
	try {
		const execution = workflowExecute.processRunExecutionData(workflow);
		// n8n stops a running execution by cancelling this PCancelable (ActiveExecutions.stopExecution):
		// WorkflowExecute then aborts the signal nodes get from getExecutionCancelSignal().
		if (options.abortAfterMs !== undefined) {
			timers.push(setTimeout(() => execution.cancel(), options.abortAfterMs));
		}
		if (options.timeoutMs !== undefined) {
			timers.push(setTimeout(() => execution.cancel(), options.timeoutMs));
		}
		fullRun = await execution;
	} catch (error) {
		// e.g. WorkflowHasIssuesError, thrown before anything runs
		thrown = error;
	} finally {
		for (const timer of timers) clearTimeout(timer);
	}

	return buildResult({
		fullRun: hookRun ?? fullRun,
		thrown,
		run,
		executionOrder,
		credentialsHelper,
		workflow,
		newStaticData,
	});
}

function buildResult({ fullRun, thrown, run, executionOrder, credentialsHelper, workflow, newStaticData }) {
	const runData = fullRun?.data.resultData.runData ?? {};
	const executionError = fullRun?.data.resultData.error;

	const taskData = (nodeName, runIndex = 0) => {
		const runs = runData[nodeName];
		if (!runs || !runs[runIndex]) {
			throw new UnexpectedError(
				`test/harness: node "${nodeName}" has no run #${runIndex}. Executed: ${executionOrder.join(' -> ') || 'nothing'}` +
					(executionError ? `. Execution error: ${executionError.message}` : ''),
			);
		}
		return runs[runIndex];
	};

	/**
	 * The error a node failed with: the instance it threw (NodeApiError, NodeOperationError, ...)
	 * when the harness saw it leave the node, else n8n's plain copy from runData.
	 */
	const nodeError = (nodeName, runIndex = 0) => {
		const stored = runData[nodeName]?.[runIndex]?.error;
		if (!stored) return undefined;
		const thrownByNode = run.thrownErrors.filter((t) => t.node === nodeName).map((t) => t.error);
		return thrownByNode.reverse().find((e) => e?.message === stored.message) ?? stored;
	};

	// resultData.error is a plain copy as well; prefer the failing node's instance.
	let error = thrown;
	if (!error && executionError) {
		const lastNode = fullRun.data.resultData.lastNodeExecuted;
		const candidate = lastNode ? nodeError(lastNode, (runData[lastNode]?.length ?? 1) - 1) : undefined;
		error = candidate && candidate.message === executionError.message ? candidate : executionError;
	}

	const outputOf = (nodeName, outputIndex = 0, runIndex = 0) => {
		const task = taskData(nodeName, runIndex);
		return task.data?.main?.[outputIndex] ?? [];
	};

	return {
		/** the IRun WorkflowExecute resolved with (undefined if it threw before starting) */
		run: fullRun,
		status: fullRun?.status ?? 'error',
		finished: fullRun?.finished === true,
		runData,
		error,
		executionError,
		executionOrder,
		logs: run.logs,
		engineLogs: run.engineLogs,
		reportedErrors: run.reportedErrors,
		/** credential store after the run (preAuthentication / OAuth token updates land here) */
		credentials: credentialsHelper.store,
		credentialUpdates: credentialsHelper.updates,
		/** the workflow's static data after the run, and whether n8n would have saved it */
		staticData: deepCopy(workflow.staticData),
		staticDataChanged: newStaticData !== undefined,
		ran: (nodeName) => Boolean(runData[nodeName]?.length),
		taskData,
		nodeError,
		outputOf,
		/**
		 * Bytes of a binary property, whatever the binary mode (n8n-core's BinaryDataService.getAsBuffer).
		 * @returns {Promise<Buffer>}
		 */
		async binaryBuffer(nodeName, itemIndex = 0, propertyName = 'data', outputIndex = 0, runIndex = 0) {
			const item = outputOf(nodeName, outputIndex, runIndex)[itemIndex];
			const binary = item?.binary?.[propertyName];
			if (!binary) {
				throw new UnexpectedError(
					`test/harness: "${nodeName}" item ${itemIndex} has no binary property "${propertyName}"` +
						` (has: ${Object.keys(item?.binary ?? {}).join(', ') || 'none'})`,
				);
			}
			return await Container.get(BinaryDataService).getAsBuffer(binary);
		},
	};
}

module.exports = { runWorkflow, manualTriggerNode };
