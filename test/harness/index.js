'use strict';
/**
 * In-process n8n workflow harness for jest (see README.md in this folder).
 *
 *   const { runWorkflow, manualTriggerNode, pollOnce, testCredential } = require('../harness');
 */
const { runWorkflow, manualTriggerNode } = require('./run-workflow');
const { pollOnce, POLL_NODE_TYPE } = require('./poll');
const { callWebhook } = require('./webhook');
const { testCredential } = require('./credentials');
const { ensureRuntime, cleanupRuntime, runStorage } = require('./runtime');
const { ManualTrigger, NoOp, MANUAL_TRIGGER, NO_OP } = require('./node-types');

// Under jest, drop the temp dir (binary data, instance settings) once the test file is done.
// Registering is only allowed while the file's tests are being collected; elsewhere it throws.
if (typeof afterAll === 'function') {
	try {
		afterAll(() => cleanupRuntime());
	} catch {
		// required from inside a test or hook: call cleanupHarness() yourself
	}
}

module.exports = {
	runWorkflow,
	manualTriggerNode,
	pollOnce,
	callWebhook,
	testCredential,
	/** Registers n8n-core services in the Container; runWorkflow/pollOnce/testCredential call it. */
	setupHarness: ensureRuntime,
	/** Removes the harness temp dir; the next run sets everything up again. */
	cleanupHarness: cleanupRuntime,
	/** Context of the run in progress (logs, binaryMode, ...) — for helpers that run inside a node. */
	currentRun: () => runStorage.getStore(),
	ManualTrigger,
	NoOp,
	MANUAL_TRIGGER,
	NO_OP,
	POLL_NODE_TYPE,
};
