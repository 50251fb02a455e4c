'use strict';
// Shared setup for the in-process workflow tests: the fake Dreamlook API on loopback and a
// runner for workflow fixtures (Manual Trigger → Dreamlook → …) on n8n-core's engine.
const fs = require('node:fs');
const path = require('node:path');
const { startFakeDreamlook, DEFAULT_API_KEY } = require('../fake-dreamlook');
const { runWorkflow, manualTriggerNode, testCredential } = require('../harness');
const { Dreamlook } = require('../../nodes/Dreamlook/Dreamlook.node');
const { DreamlookApi } = require('../../credentials/DreamlookApi.credentials');

const NODE_TYPE = 'n8n-nodes-dreamlook.dreamlook';
const NODE_NAME = 'Dreamlook';

const FAST_TIMING = { queuedMs: 100, runningMs: 300 };

/** A fake with short, real-time job timings so waits take a fraction of a second. */
async function startFake(options = {}) {
	return await startFakeDreamlook({ clock: 'real', timing: FAST_TIMING, quiet: true, ...options });
}

/** Forget jobs, faults and requests between tests, keeping the short timings. */
function resetFake(fake) {
	fake.reset();
	fake.setOptions({ timing: FAST_TIMING });
}

function credentialsFor(fake, apiKey = DEFAULT_API_KEY, baseUrl = fake.url) {
	return { dreamlookApi: { id: '1', name: 'Dreamlook account', data: { apiKey, baseUrl } } };
}

/**
 * One fake per test file: started before the tests, reset before each, closed after. Returns a
 * stand-in that forwards to the live fake, so tests can write `fake.url`, `fake.jobs()` as usual.
 */
function useFake(options = {}) {
	let current;
	beforeAll(async () => {
		current = await startFake(options);
	});
	afterAll(async () => {
		await current.close();
	});
	beforeEach(() => resetFake(current));
	return new Proxy(
		{},
		{
			get(_target, property) {
				const value = current[property];
				return typeof value === 'function' ? value.bind(current) : value;
			},
		},
	);
}

/** Image → Create parameters as the editor stores them, with overrides. */
function imageCreateParameters(overrides = {}) {
	return {
		resource: 'image',
		operation: 'create',
		prompt: 'a lighthouse at dusk',
		modelType: 'sd-v1',
		width: 512,
		height: 512,
		numSamples: 1,
		waitForCompletion: true,
		downloadImages: true,
		simplify: true,
		additionalFields: {},
		options: { pollInterval: 0.2, timeout: 20 },
		...overrides,
	};
}

/** A workflow fixture from workflows/<name>.json, with node parameters optionally overridden. */
function loadWorkflow(name, parameterOverrides = {}) {
	const workflow = JSON.parse(fs.readFileSync(path.join(__dirname, 'workflows', `${name}.json`), 'utf8'));
	for (const node of workflow.nodes) {
		if (parameterOverrides[node.name]) Object.assign(node.parameters, parameterOverrides[node.name]);
	}
	return workflow;
}

/** Runs Manual Trigger → Dreamlook (with `parameters`) and returns the harness result. */
async function runDreamlook(fake, parameters, options = {}) {
	const node = {
		id: 'dreamlook-1',
		name: NODE_NAME,
		type: NODE_TYPE,
		typeVersion: 1,
		position: [200, 0],
		parameters,
		credentials: { dreamlookApi: { id: '1', name: 'Dreamlook account' } },
		...(options.continueOnFail ? { onError: 'continueRegularOutput' } : {}),
		// Node settings as the editor stores them, e.g. { retryOnFail: true, maxTries: 3, waitBetweenTries: 0 }.
		...(options.nodeSettings ?? {}),
	};
	const trigger = manualTriggerNode();
	return await runFixture(fake, {
		nodes: [trigger, node],
		connections: { [trigger.name]: { main: [[{ node: NODE_NAME, type: 'main', index: 0 }]] } },
	}, options);
}

async function runFixture(fake, workflow, options = {}) {
	return await runWorkflow({
		nodeTypes: { [NODE_TYPE]: Dreamlook },
		credentialTypes: { dreamlookApi: DreamlookApi },
		credentials: credentialsFor(fake, options.apiKey, options.baseUrl),
		nodes: workflow.nodes,
		connections: workflow.connections,
		inputItems: options.inputItems,
		abortAfterMs: options.abortAfterMs,
		mode: options.mode,
	});
}

async function testDreamlookCredential(fake, apiKey) {
	return await testCredential({ credentialType: DreamlookApi, data: { apiKey, baseUrl: fake.url } });
}

/** Image → Create without waiting (the create request alone). */
const createOnly = (overrides = {}) => imageCreateParameters({ prompt: 'a quiet harbour', waitForCompletion: false, options: {}, ...overrides });
const getJobParameters = (jobId) => ({ resource: 'job', operation: 'get', jobId, jobType: 'fromJobId', simplify: true });

/** Everything a failed run exposes that could end up in execution data or logs. */
function everythingVisible(result) {
	const error = result.error;
	return JSON.stringify({
		message: error?.message,
		description: error?.description,
		json: error?.toJSON?.(),
		errorResponse: error?.errorResponse,
		context: error?.context,
		runData: result.runData,
		executionError: result.executionError,
		logs: result.logs,
	});
}

function requestsTo(fake, method, pathPrefix) {
	return fake.requests.filter((entry) => entry.method === method && entry.path.startsWith(pathPrefix));
}

module.exports = {
	DEFAULT_API_KEY,
	NODE_NAME,
	startFake,
	resetFake,
	useFake,
	imageCreateParameters,
	loadWorkflow,
	runDreamlook,
	runFixture,
	testDreamlookCredential,
	requestsTo,
	createOnly,
	getJobParameters,
	everythingVisible,
};
