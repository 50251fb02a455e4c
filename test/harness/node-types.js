'use strict';
/**
 * A small INodeTypes registry built from node classes handed in by a test, prepared the way
 * n8n-core's DirectoryLoader prepares nodes it loads from a package (special polling/CORS
 * parameters, declarative option parameters, loadOptions method names, description checks),
 * plus the two n8n-nodes-base nodes a workflow fixture usually needs.
 */
const { createRequire } = require('node:module');
const { NodeHelpers, VersionedNodeType, UnexpectedError } = require('n8n-workflow');
const { DirectoryLoader } = require('n8n-core');
const { runStorage } = require('./runtime');

const coreRequire = createRequire(require.resolve('n8n-core'));
/** @type {(description: object) => void} */
let validateNodeDescription = () => {};
try {
	({ validateNodeDescription } = coreRequire('./nodes-loader/validate-node-description'));
} catch {
	// moved in a later n8n-core; the check is a nicety only
}

const MANUAL_TRIGGER = 'n8n-nodes-base.manualTrigger';
const NO_OP = 'n8n-nodes-base.noOp';

/**
 * Minimal stand-in for n8n-nodes-base's Manual Trigger (same name, same trigger() contract:
 * in manual mode it returns a manualTriggerFunction that emits). It emits the run's
 * `inputItems` (default: one empty item, like the real node).
 * @implements {import('n8n-workflow').INodeType}
 */
class ManualTrigger {
	constructor() {
		this.description = {
			displayName: 'Manual Trigger',
			name: 'manualTrigger',
			icon: 'fa:mouse-pointer',
			group: ['trigger', 'input'],
			version: 1,
			description: 'Runs the flow on clicking a button in n8n',
			eventTriggerDescription: '',
			maxNodes: 1,
			defaults: { name: "When clicking 'Execute workflow'" },
			inputs: [],
			outputs: ['main'],
			properties: [],
		};
	}

	/** @this {import('n8n-workflow').ITriggerFunctions} */
	async trigger() {
		const items = runStorage.getStore()?.inputItems ?? [{ json: {} }];
		const manualTriggerFunction = async () => {
			this.emit([structuredClone(items)]);
		};
		return { manualTriggerFunction };
	}
}

/** Minimal stand-in for n8n-nodes-base's No Operation node: passes its input through. */
class NoOp {
	constructor() {
		this.description = {
			displayName: 'No Operation, do nothing',
			name: 'noOp',
			icon: 'fa:arrow-right',
			group: ['organization'],
			version: 1,
			description: 'No Operation',
			defaults: { name: 'No Operation, do nothing' },
			inputs: ['main'],
			outputs: ['main'],
			properties: [],
		};
	}

	/** @this {import('n8n-workflow').IExecuteFunctions} */
	async execute() {
		return [this.getInputData()];
	}
}

const BUILTIN_NODE_TYPES = { [MANUAL_TRIGGER]: ManualTrigger, [NO_OP]: NoOp };

/** @type {WeakMap<object, object>} one prepared instance per class (preparation mutates descriptions) */
const preparedByClass = new WeakMap();
/** @type {WeakSet<object>} */
const preparedInstances = new WeakSet();

/**
 * WorkflowExecute keeps only a plain-object copy of a node's error in runData
 * (`{ ...error, message, stack }`), so remember the instance a node method threw, for
 * result.nodeError() / result.error to hand back the real NodeApiError / NodeOperationError.
 */
function recordThrownErrors(nodeType) {
	for (const method of ['execute', 'poll']) {
		const original = nodeType[method];
		if (typeof original !== 'function') continue;
		nodeType[method] = async function (...args) {
			try {
				return await original.apply(this, args);
			} catch (error) {
				runStorage.getStore()?.thrownErrors.push({ node: this.getNode?.().name, error });
				throw error;
			}
		};
	}
}

/** Same steps as DirectoryLoader.loadNodeFromFile (n8n-core 2.41.1) minus icons and codex. */
function prepare(nodeType) {
	if (preparedInstances.has(nodeType)) return nodeType;
	const loaderStep = (version) => {
		DirectoryLoader.prototype.addLoadOptionsMethods.call(undefined, version);
		DirectoryLoader.prototype.applySpecialNodeParameters.call(undefined, version);
	};
	const all = [];
	if (nodeType instanceof VersionedNodeType || 'nodeVersions' in nodeType) {
		for (const version of Object.values(nodeType.nodeVersions)) {
			loaderStep(version);
			all.push(version);
		}
	} else {
		loaderStep(nodeType);
		all.push(nodeType);
	}
	for (const version of all) {
		validateNodeDescription(version.description);
		recordThrownErrors(version);
	}
	preparedInstances.add(nodeType);
	return nodeType;
}

/** @param {Function|object} classOrInstance */
function instantiate(classOrInstance) {
	if (typeof classOrInstance !== 'function') return prepare(classOrInstance);
	let instance = preparedByClass.get(classOrInstance);
	if (!instance) {
		instance = prepare(new classOrInstance());
		preparedByClass.set(classOrInstance, instance);
	}
	return instance;
}

/** @implements {import('n8n-workflow').INodeTypes} */
class HarnessNodeTypes {
	/**
	 * @param {Record<string, Function|object>} [nodeTypes] full type name (e.g. 'n8n-nodes-dreamlook.dreamlook') -> class or instance
	 * @param {{ builtins?: boolean }} [options]
	 */
	constructor(nodeTypes = {}, { builtins = true } = {}) {
		/** @type {Record<string, object>} */
		this.types = {};
		const all = builtins ? { ...BUILTIN_NODE_TYPES, ...nodeTypes } : { ...nodeTypes };
		for (const [name, value] of Object.entries(all)) {
			this.types[name] = instantiate(value);
		}
	}

	getByName(nodeType) {
		const type = this.types[nodeType];
		if (!type) {
			throw new UnexpectedError(
				`test/harness: unknown node type "${nodeType}". Known: ${Object.keys(this.types).join(', ')}`,
			);
		}
		return type;
	}

	getByNameAndVersion(nodeType, version) {
		return NodeHelpers.getVersionedNodeType(this.getByName(nodeType), version);
	}

	getKnownTypes() {
		return Object.fromEntries(
			Object.entries(this.types).map(([name, type]) => [name, { className: type.constructor.name, sourcePath: '' }]),
		);
	}

	/** Every version's INodeType of every registered node. */
	*allVersions() {
		for (const [name, type] of Object.entries(this.types)) {
			const versions = 'nodeVersions' in type ? Object.values(type.nodeVersions) : [type];
			for (const version of versions) yield { name, nodeType: version };
		}
	}
}

module.exports = { HarnessNodeTypes, ManualTrigger, NoOp, MANUAL_TRIGGER, NO_OP };
