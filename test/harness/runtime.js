'use strict';
/**
 * Process-wide (really: per jest module registry, i.e. per test file) setup of the pieces of
 * n8n-core that are looked up through `@n8n/di`'s Container while a workflow runs:
 *
 *  - InstanceSettings   (every node execution context reads it in its constructor)
 *  - Logger             (`this.logger` in nodes is `Container.get(Logger)`) -> captured
 *  - LoggerProxy        (n8n-workflow's static logger, used by WorkflowExecute) -> captured
 *  - ErrorReporter      (WorkflowExecute / CredentialsTester report unexpected errors) -> captured
 *  - BinaryDataService  (`this.helpers.prepareBinaryData` & co) -> n8n-core's real service,
 *                        filesystem mode under a temp dir, or default (in-memory) mode per run
 *
 * Captured output is routed to the run that produced it through an AsyncLocalStorage, so
 * several runs may be in flight at once (e.g. `test.concurrent`).
 */
const { AsyncLocalStorage } = require('node:async_hooks');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createRequire } = require('node:module');

const core = require('n8n-core');
const workflowLib = require('n8n-workflow');

// n8n-core 2.41.1 ships its own nested copies of @n8n/di, @n8n/backend-common,
// @n8n/backend-network and @n8n/config (newer than the top-level ones). The Container that
// n8n-core reads is the nested one, so everything DI-related must be resolved from n8n-core.
const coreRequire = createRequire(require.resolve('n8n-core'));
const { Container } = coreRequire('@n8n/di');
const { Logger } = coreRequire('@n8n/backend-common');

if (coreRequire.resolve('n8n-workflow') !== require.resolve('n8n-workflow')) {
	// Error classes (NodeApiError, NodeOperationError, ...) would then come from two copies and
	// `instanceof` checks in tests and inside n8n-core would silently fail.
	throw new Error(
		`test/harness: n8n-core resolves n8n-workflow at ${coreRequire.resolve('n8n-workflow')} but the ` +
			`project uses ${require.resolve('n8n-workflow')}; dedupe node_modules (one n8n-workflow only).`,
	);
}

/**
 * @typedef {{ level: 'error'|'warn'|'info'|'debug', message: string, meta?: object, scopes?: string[] }} LogEntry
 * @typedef {object} RunContext
 * @property {string} id
 * @property {LogEntry[]} logs          entries logged through Container's Logger (`this.logger`)
 * @property {LogEntry[]} engineLogs    entries logged through n8n-workflow's LoggerProxy
 * @property {Array<{level: string, error: unknown, options?: object}>} reportedErrors
 * @property {'filesystem'|'default'} binaryMode
 * @property {import('n8n-workflow').INodeExecutionData[]} [inputItems]
 * @property {Array<{ node: string, error: unknown }>} thrownErrors errors thrown out of node methods, as thrown
 */

/** @type {AsyncLocalStorage<RunContext>} */
const runStorage = new AsyncLocalStorage();

/** Output produced outside of any run (module load, stray timers after a run ended). */
const orphan = { logs: [], engineLogs: [], reportedErrors: [] };

const LEVELS = ['error', 'warn', 'info', 'debug'];
const LEVEL_RANK = { error: 0, warn: 1, info: 2, debug: 3 };
// HARNESS_LOG=debug|info|warn|error also echoes captured log lines to stderr (off by default).
const echoLevel = process.env.HARNESS_LOG && LEVEL_RANK[process.env.HARNESS_LOG];

let runCounter = 0;

/**
 * @param {Partial<RunContext>} [init]
 * @returns {RunContext}
 */
function createRunContext(init = {}) {
	runCounter += 1;
	return {
		id: String(init.id ?? runCounter),
		logs: [],
		engineLogs: [],
		reportedErrors: [],
		thrownErrors: [],
		binaryMode: init.binaryMode ?? 'filesystem',
		inputItems: init.inputItems,
	};
}

function currentRun() {
	return runStorage.getStore();
}

/**
 * @param {'logs'|'engineLogs'} sink
 * @param {string[]|undefined} scopes
 */
function makeCaptureLogger(sink, scopes) {
	/** @type {Record<string, Function>} */
	const logger = {};
	for (const level of LEVELS) {
		logger[level] = (message, meta) => {
			/** @type {LogEntry} */
			const entry = { level, message, meta };
			if (scopes) entry.scopes = scopes;
			(currentRun() ?? orphan)[sink].push(entry);
			if (echoLevel !== undefined && LEVEL_RANK[level] <= echoLevel) {
				process.stderr.write(`[harness ${sink} ${level}] ${message}\n`);
			}
		};
	}
	logger.scoped = (s) => makeCaptureLogger(sink, [].concat(s));
	return logger;
}

const nodeLogger = makeCaptureLogger('logs');
const engineLogger = makeCaptureLogger('engineLogs');

const errorReporter = {
	error(error, options) {
		(currentRun() ?? orphan).reportedErrors.push({ level: 'error', error, options });
	},
	warn(warning, options) {
		(currentRun() ?? orphan).reportedErrors.push({ level: 'warning', error: warning, options });
	},
	info(message, options) {
		(currentRun() ?? orphan).reportedErrors.push({ level: 'info', error: message, options });
	},
};

/** @type {{ root: string, binaryDir: string, services: {filesystem: any, default: any} } | undefined} */
let state;
/** @type {Promise<NonNullable<typeof state>> | undefined} */
let initPromise;

/**
 * Registers everything in the Container. Idempotent; safe to call before every run.
 * @returns {Promise<NonNullable<typeof state>>}
 */
function ensureRuntime() {
	if (!initPromise) {
		initPromise = init().catch((error) => {
			initPromise = undefined;
			throw error;
		});
	}
	return initPromise;
}

async function init() {
	const root = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-harness-'));
	const n8nFolder = path.join(root, '.n8n');
	// '<n8nFolder>/storage' is n8n 2.x's storage dir; '<n8nFolder>/binaryData' would make
	// StorageConfig log a deprecation warning into the first run's logs.
	const binaryDir = path.join(n8nFolder, 'storage');

	Container.set(Logger, nodeLogger);
	workflowLib.LoggerProxy.init(engineLogger);
	Container.set(core.ErrorReporter, errorReporter);

	// InstanceSettings writes `<n8nFolder>/config` (the encryption key) on construction, so point
	// it at the temp dir instead of ~/.n8n. Passing the config object skips N8N_* env parsing.
	const instanceSettings = new core.InstanceSettings(
		{
			n8nFolder,
			userHome: root,
			encryptionKey: 'n8n-nodes-dreamlook-harness-key',
			enforceSettingsFilePermissions: false,
		},
		nodeLogger,
	);
	Container.set(core.InstanceSettings, instanceSettings);

	// Two real BinaryDataService instances sharing one storage dir: 'filesystem' (n8n's default
	// since 1.x; prepareBinaryData streams to disk and items carry an `id`) and 'default'
	// (base64 in `data`). Reads work with either since they dispatch on the id's prefix.
	const makeService = async (mode) => {
		const config = {
			mode,
			availableModes: ['filesystem'],
			localStoragePath: binaryDir,
			signingSecret: 'n8n-nodes-dreamlook-harness-signing-secret',
			dbMaxFileSize: 512,
		};
		const service = new core.BinaryDataService(config, errorReporter, nodeLogger);
		await service.init();
		return service;
	};
	const services = { filesystem: await makeService('filesystem'), default: await makeService('default') };
	const router = new Proxy(services.filesystem, {
		get(_target, property) {
			const service = currentRun()?.binaryMode === 'default' ? services.default : services.filesystem;
			const value = service[property];
			return typeof value === 'function' ? value.bind(service) : value;
		},
	});
	Container.set(core.BinaryDataService, router);

	state = { root, binaryDir, services };
	return state;
}

/** Removes the temp dir (binary files, InstanceSettings config). The next run re-creates it. */
function cleanupRuntime() {
	if (state) {
		fs.rmSync(state.root, { recursive: true, force: true });
	}
	state = undefined;
	initPromise = undefined;
}

/**
 * The additionalData object WorkflowExecute and the node contexts read (IWorkflowExecuteAdditionalData
 * plus n8n-core 2.41's module augmentation: hooks, externalSecretsProxy, ...).
 * @param {{ credentialsHelper: any, hooks?: any, executionId?: string, workflowId?: string, executionTimeoutTimestamp?: number, variables?: object }} options
 */
function createAdditionalData(options) {
	const base = 'http://localhost:5678';
	return {
		credentialsHelper: options.credentialsHelper,
		hooks: options.hooks,
		executionId: options.executionId,
		workflowId: options.workflowId,
		userId: 'harness-user',
		projectId: 'harness-project',
		executionTimeoutTimestamp: options.executionTimeoutTimestamp,
		currentNodeParameters: undefined,
		currentNodeExecutionIndex: 0,
		restApiUrl: `${base}/rest`,
		instanceBaseUrl: `${base}/`,
		formBaseUrl: `${base}/form`,
		formWaitingBaseUrl: `${base}/form-waiting`,
		formTestBaseUrl: `${base}/form-test`,
		webhookBaseUrl: `${base}/webhook`,
		webhookWaitingBaseUrl: `${base}/webhook-waiting`,
		webhookTestBaseUrl: `${base}/webhook-test`,
		mcpBaseUrl: `${base}/mcp`,
		mcpTestBaseUrl: `${base}/mcp-test`,
		variables: options.variables ?? {},
		externalSecretsProxy: new core.ExternalSecretsProxy(),
		setExecutionStatus: () => {},
		sendDataToUI: () => {},
		logAiEvent: () => {},
		getRunExecutionData: async () => undefined,
		getRuntimeCredential: async () => undefined,
		executeWorkflow: async () => {
			throw new workflowLib.UnexpectedError('test/harness: sub-workflow execution is not supported');
		},
		startRunnerTask: async () => {
			throw new workflowLib.UnexpectedError('test/harness: task runners (Code node) are not supported');
		},
	};
}

module.exports = {
	Container,
	core,
	coreRequire,
	runStorage,
	currentRun,
	createRunContext,
	ensureRuntime,
	cleanupRuntime,
	createAdditionalData,
	orphan,
	getRuntimeState: () => state,
};
