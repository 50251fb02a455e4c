'use strict';
/**
 * Credential types registry, an in-memory ICredentialsHelper that behaves like n8n's
 * (packages/cli/src/credentials-helper.ts: defaults + expression resolution in getDecrypted,
 * generic/function `authenticate`, `preAuthentication` on an expirable hidden property) and a
 * credential test runner modelled on packages/cli/src/services/credentials-tester.service.ts.
 */
const {
	ICredentials,
	ICredentialsHelper,
	NodeHelpers,
	Workflow,
	UnexpectedError,
	UserError,
	isExpression,
	deepCopy,
} = require('n8n-workflow');
const { getAdditionalKeys, ExecuteContext, RoutingNode, CredentialTestContext } = require('n8n-core');
const { runStorage, createRunContext, ensureRuntime, createAdditionalData } = require('./runtime');
const { HarnessNodeTypes, NO_OP } = require('./node-types');

/** @typedef {import('n8n-workflow').ICredentialDataDecryptedObject} CredentialData */
/** @typedef {{ id?: string|null, name?: string, data: CredentialData }} StoredCredential */

const mockNode = { id: 'mock', name: '', typeVersion: 1, type: 'mock', position: [0, 0], parameters: {} };
const mockNodeTypes = {
	getByName: () => ({ description: { properties: [] } }),
	getByNameAndVersion: () => ({ description: { properties: [] } }),
	getKnownTypes: () => ({}),
};

class HarnessCredentialTypes {
	/**
	 * @param {Record<string, Function|object>} [credentialTypes] type name -> ICredentialType class or instance
	 * @param {HarnessNodeTypes} [nodeTypes] used for getSupportedNodes()
	 */
	constructor(credentialTypes = {}, nodeTypes) {
		/** @type {Record<string, import('n8n-workflow').ICredentialType>} */
		this.types = {};
		for (const [key, value] of Object.entries(credentialTypes)) {
			const instance = typeof value === 'function' ? new value() : value;
			if (instance.name && instance.name !== key) {
				throw new UnexpectedError(
					`test/harness: credentialTypes key "${key}" does not match the type's name "${instance.name}"`,
				);
			}
			this.types[instance.name ?? key] = instance;
		}
		this.nodeTypes = nodeTypes;
	}

	recognizes(name) {
		return name in this.types;
	}

	getByName(name) {
		const type = this.types[name];
		if (!type) {
			throw new UnexpectedError(`test/harness: unknown credential type "${name}". Pass it in credentialTypes.`);
		}
		return type;
	}

	/** Like n8n's CredentialTypes.getParentTypes: all ancestors through `extends`. */
	getParentTypes(name) {
		const type = this.types[name];
		if (!type?.extends) return [];
		const parents = [];
		for (const parent of type.extends) {
			parents.push(parent, ...this.getParentTypes(parent));
		}
		return parents;
	}

	getSupportedNodes(name) {
		const result = [];
		if (!this.nodeTypes) return result;
		for (const { name: nodeName, nodeType } of this.nodeTypes.allVersions()) {
			if ((nodeType.description.credentials ?? []).some((c) => c.name === name) && !result.includes(nodeName)) {
				result.push(nodeName);
			}
		}
		return result;
	}
}

/** ICredentials over the in-memory store (n8n-core's Credentials would need an encryption-key provider). */
class HarnessCredentials extends ICredentials {
	/** @param {StoredCredential} entry */
	constructor(nodeCredentials, type, entry) {
		super(nodeCredentials, type);
		this.entry = entry;
	}
	async getData() {
		return deepCopy(this.entry.data);
	}
	getDataToSave() {
		return { id: this.id, name: this.name, type: this.type, data: JSON.stringify(this.entry.data) };
	}
	async setData(data) {
		this.entry.data = deepCopy(data);
	}
	async updateData(toUpdate, toDelete = []) {
		const data = { ...this.entry.data, ...toUpdate };
		for (const key of toDelete) delete data[key];
		this.entry.data = data;
	}
}

class HarnessCredentialsHelper extends ICredentialsHelper {
	/**
	 * @param {HarnessCredentialTypes} credentialTypes
	 * @param {Record<string, StoredCredential>} store credential type name -> stored credential (mutated by updates)
	 */
	constructor(credentialTypes, store = {}) {
		super();
		this.credentialTypes = credentialTypes;
		this.store = store;
		/** @type {Array<{ type: string, data: CredentialData }>} */
		this.updates = [];
	}

	getParentTypes(name) {
		return this.credentialTypes.getParentTypes(name);
	}

	isCredentialUsableByNode(credentialType, nodeType) {
		let typeDef;
		try {
			typeDef = this.credentialTypes.getByName(credentialType);
		} catch {
			return true;
		}
		if (!typeDef.restrictToSupportedNodes) return true;
		return this.credentialTypes.getSupportedNodes(credentialType).includes(nodeType);
	}

	getCredentialsProperties(type) {
		const typeData = this.credentialTypes.getByName(type);
		if (typeData.extends === undefined) {
			if (['oAuth1Api', 'oAuth2Api'].includes(type)) {
				return [
					...typeData.properties,
					{ displayName: 'oauthTokenData', name: 'oauthTokenData', type: 'json', required: false, default: {} },
				];
			}
			return typeData.properties;
		}
		const combined = [];
		for (const parent of typeData.extends) {
			NodeHelpers.mergeNodeProperties(combined, this.getCredentialsProperties(parent));
		}
		NodeHelpers.mergeNodeProperties(combined, typeData.properties);
		return combined;
	}

	/**
	 * n8n looks a credential up by the id the node references (and its type). The harness keeps one
	 * credential per type; a reference without an `id` key is accepted (handy for inline nodes).
	 * @returns {StoredCredential}
	 */
	lookup(nodeCredentials, type) {
		if (nodeCredentials && 'id' in nodeCredentials && !nodeCredentials.id) {
			// n8n: CredentialMissingIdError
			throw new UnexpectedError('Found credential with no ID.', { tags: { credentialType: type } });
		}
		const entry = this.store[type];
		if (!entry || (nodeCredentials?.id && entry.id && String(entry.id) !== String(nodeCredentials.id))) {
			// n8n: CredentialNotFoundError
			const error = new UserError(`Credential with ID "${nodeCredentials?.id}" does not exist for type "${type}".`);
			error.level = 'warning';
			throw error;
		}
		return entry;
	}

	async getCredentials(nodeCredentials, type) {
		return new HarnessCredentials(nodeCredentials, type, this.lookup(nodeCredentials, type));
	}

	async getDecrypted(additionalData, nodeCredentials, type, mode, executeData, raw, expressionResolveValues) {
		const data = deepCopy(this.lookup(nodeCredentials, type).data);
		if (raw === true) return data;
		return await this.applyDefaultsAndOverwrites(
			additionalData,
			data,
			type,
			mode,
			executeData,
			expressionResolveValues,
		);
	}

	/** Defaults from the credential type's properties, then expressions (`={{ ... }}`) resolved. */
	async applyDefaultsAndOverwrites(additionalData, original, type, mode, executeData, expressionResolveValues) {
		const properties = this.getCredentialsProperties(type);
		let decrypted = NodeHelpers.getNodeParameters(properties, original, true, false, null, null);
		if (original.oauthTokenData !== undefined) decrypted.oauthTokenData = original.oauthTokenData;

		const additionalKeys = getAdditionalKeys(additionalData, mode, null, { isCredential: true });
		if (expressionResolveValues) {
			try {
				decrypted = expressionResolveValues.workflow.expression.getParameterValue(
					decrypted,
					expressionResolveValues.runExecutionData,
					expressionResolveValues.runIndex,
					expressionResolveValues.itemIndex,
					expressionResolveValues.node.name,
					expressionResolveValues.connectionInputData,
					mode,
					additionalKeys,
					executeData,
					false,
					decrypted,
				);
			} catch (e) {
				e.message += ' [Error resolving credentials]';
				throw e;
			}
		} else {
			const workflow = new Workflow({ nodes: [mockNode], connections: {}, active: false, nodeTypes: mockNodeTypes });
			await workflow.expression.acquireIsolate();
			try {
				decrypted = workflow.expression.getComplexParameterValue(
					mockNode,
					decrypted,
					mode,
					additionalKeys,
					undefined,
					undefined,
					decrypted,
				);
			} finally {
				await workflow.expression.releaseIsolate();
			}
		}
		return decrypted;
	}

	async authenticate(credentials, typeName, requestOptions, workflow, node) {
		const credentialType = this.credentialTypes.getByName(typeName);
		const { authenticate } = credentialType;
		if (!authenticate) return requestOptions;
		if (typeof authenticate === 'function') {
			return await authenticate(credentials, requestOptions);
		}
		if (typeof authenticate === 'object') {
			if (!workflow || !node) {
				throw new UnexpectedError('Workflow and node are required for declarative credential authentication');
			}
			if (requestOptions.headers === undefined) requestOptions.headers = {};
			if (authenticate.type === 'generic') {
				for (const [outerKey, outerValue] of Object.entries(authenticate.properties)) {
					for (const [key, value] of Object.entries(outerValue)) {
						const keyResolved = this.resolveValue(key, { $credentials: credentials }, workflow, node);
						const valueResolved = this.resolveValue(value, { $credentials: credentials }, workflow, node);
						if (!requestOptions[outerKey]) requestOptions[outerKey] = {};
						requestOptions[outerKey][keyResolved] = valueResolved;
					}
				}
			}
		}
		return requestOptions;
	}

	resolveValue(parameterValue, additionalKeys, workflow, node) {
		if (!isExpression(parameterValue)) return parameterValue;
		const value = workflow.expression.getSimpleParameterValue(
			node,
			parameterValue,
			'internal',
			additionalKeys,
			undefined,
			'',
		);
		return value ? value.toString() : '';
	}

	async preAuthentication(helpers, credentials, typeName, node, credentialsExpired) {
		const credentialType = this.credentialTypes.getByName(typeName);
		const expirable = credentialType.properties.find(
			(p) => p.type === 'hidden' && p?.typeOptions?.expirable === true,
		);
		if (expirable?.name === undefined) return undefined;
		const isTestingCredentials = node?.parameters?.temp === '' && node?.type === NO_OP;
		if (typeof credentialType.preAuthentication !== 'function') return undefined;
		if (credentials[expirable.name] === '' || credentialsExpired || isTestingCredentials) {
			const output = await credentialType.preAuthentication.call(helpers, credentials);
			if (output[expirable.name] === undefined) return undefined;
			if (node.credentials) {
				const nodeCredentials = node.credentials[credentialType.name];
				const stored = await (await this.getCredentials(nodeCredentials, credentialType.name)).getData();
				const toPersist = { ...stored };
				for (const [key, value] of Object.entries(output)) {
					if (key === expirable.name || !isExpression(stored[key])) toPersist[key] = value;
				}
				await this.updateCredentials(nodeCredentials, credentialType.name, toPersist);
				return Object.assign(credentials, output);
			}
		}
		return undefined;
	}

	async runPreAuthentication(helpers, credentials, typeName) {
		const credentialType = this.credentialTypes.getByName(typeName);
		if (typeof credentialType.preAuthentication !== 'function') return undefined;
		return (await credentialType.preAuthentication.call(helpers, credentials)) ?? undefined;
	}

	async updateCredentials(nodeCredentials, type, data) {
		const credentials = await this.getCredentials(nodeCredentials, type);
		await credentials.setData(data);
		this.updates.push({ type, data: deepCopy(data) });
	}

	async updateCredentialsOauthTokenData(nodeCredentials, type, data) {
		const credentials = await this.getCredentials(nodeCredentials, type);
		await credentials.updateData({ oauthTokenData: data.oauthTokenData });
		this.updates.push({ type, data: deepCopy(credentials.entry.data) });
	}
}

/**
 * Normalises the `credentials` option: { [type]: { id, name, data } } -> a deep copy.
 * @param {Record<string, StoredCredential>|undefined} credentials
 * @returns {Record<string, StoredCredential>}
 */
function toStore(credentials = {}) {
	const store = {};
	for (const [type, entry] of Object.entries(credentials)) {
		if (!entry || typeof entry !== 'object' || typeof entry.data !== 'object' || entry.data === null) {
			throw new UnexpectedError(
				`test/harness: credentials.${type} must look like { id: '1', name: 'My account', data: { ...fields } }`,
			);
		}
		store[type] = { id: entry.id ?? null, name: entry.name ?? type, data: deepCopy(entry.data) };
	}
	return store;
}

/**
 * Runs a credential type's test the way n8n's CredentialsTester does: a `test` request on the
 * type (or `testedBy` on a node that uses it, request object or methods.credentialTest function),
 * sent through RoutingNode with the credential's `authenticate` applied, then `rules`.
 *
 * @param {object} options
 * @param {Function|import('n8n-workflow').ICredentialType} options.credentialType class or instance to test
 * @param {CredentialData} options.data field values as typed in the credential dialog
 * @param {Record<string, Function|object>} [options.credentialTypes] other credential types (parents of `extends`)
 * @param {Record<string, Function|object>} [options.nodeTypes] nodes that may carry `testedBy`
 * @returns {Promise<{ status: 'OK'|'Error', message: string, reportedErrors: unknown[] }>}
 */
async function testCredential(options) {
	await ensureRuntime();
	const run = createRunContext({ binaryMode: 'default' });
	return await runStorage.run(run, async () => {
		const result = await testCredentialInRun(options);
		return { ...result, reportedErrors: run.reportedErrors.map((r) => r.error) };
	});
}

async function testCredentialInRun({ credentialType, data, credentialTypes = {}, nodeTypes = {} }) {
	const typeInstance = typeof credentialType === 'function' ? new credentialType() : credentialType;
	const typeName = typeInstance.name;
	const harnessNodeTypes = new HarnessNodeTypes(nodeTypes);
	const types = new HarnessCredentialTypes({ ...credentialTypes, [typeName]: typeInstance }, harnessNodeTypes);
	const store = { [typeName]: { id: 'harness-credential-test', name: 'Credential test', data: deepCopy(data) } };
	const helper = new HarnessCredentialsHelper(types, store);

	const testFunction = findTestFunction(types, harnessNodeTypes, typeName);
	if (testFunction === undefined) {
		return { status: 'Error', message: 'No testing function found for this credential.' };
	}

	/** @type {import('n8n-workflow').ICredentialsDecrypted} */
	const credentialsDecrypted = { id: store[typeName].id, name: store[typeName].name, type: typeName, data: deepCopy(data) };
	const additionalData = createAdditionalData({ credentialsHelper: helper });
	try {
		credentialsDecrypted.data = await helper.applyDefaultsAndOverwrites(
			additionalData,
			credentialsDecrypted.data,
			typeName,
			'internal',
		);
	} catch (error) {
		return { status: 'Error', message: error.message.toString() };
	}

	if (typeof testFunction === 'function') {
		const context = new CredentialTestContext(additionalData);
		return await testFunction.call(context, credentialsDecrypted);
	}

	const nodeType = testFunction.nodeType ?? harnessNodeTypes.getByNameAndVersion(NO_OP);
	const node = {
		id: 'temp',
		parameters: {},
		name: 'Temp-Node',
		type: nodeType.description.name,
		typeVersion: Array.isArray(nodeType.description.version)
			? nodeType.description.version.slice(-1)[0]
			: nodeType.description.version,
		position: [0, 0],
		credentials: { [typeName]: { id: credentialsDecrypted.id, name: credentialsDecrypted.name } },
	};
	const nodeTypeCopy = {
		description: {
			...nodeType.description,
			credentials: [{ name: typeName, required: true }],
			properties: [
				{
					displayName: 'Temp',
					name: 'temp',
					type: 'string',
					routing: { request: testFunction.testRequest.request },
					default: '',
				},
			],
		},
	};
	const tempNodeTypes = {
		getByName: () => nodeTypeCopy,
		getByNameAndVersion: () => nodeTypeCopy,
		getKnownTypes: () => ({}),
	};
	const workflow = new Workflow({ nodes: [node], connections: {}, active: false, nodeTypes: tempNodeTypes });
	const executeData = { node, data: {}, source: null };
	const context = new ExecuteContext(
		workflow,
		node,
		additionalData,
		'internal',
		{ resultData: { runData: {} } },
		0,
		[],
		{ main: [[{ json: {} }]] },
		executeData,
		[],
	);
	const routingNode = new RoutingNode(context, nodeTypeCopy, credentialsDecrypted);
	const { rules } = testFunction.testRequest;

	let response;
	try {
		response = await routingNode.runNode();
	} catch (error) {
		runStorage.getStore()?.reportedErrors.push({ level: 'error', error });
		if (error.cause?.response) {
			const statusCode = error.cause.response.status;
			const statusMessage = error.cause.response.statusText;
			for (const rule of rules ?? []) {
				if (rule.type === 'responseCode' && statusCode === rule.properties.value) {
					return { status: 'Error', message: rule.properties.message };
				}
			}
			if (statusCode < 199 || statusCode > 299) {
				return { status: 'Error', message: statusMessage || `Received HTTP status code: ${statusCode}` };
			}
		} else if (error.cause?.code) {
			return { status: 'Error', message: error.cause.code };
		}
		return { status: 'Error', message: error.message.toString() };
	}

	for (const rule of Array.isArray(rules) ? rules : []) {
		if (rule.type === 'responseSuccessBody') {
			const responseData = response?.[0]?.[0]?.json;
			if (getPath(responseData, rule.properties.key) === rule.properties.value) {
				return { status: 'Error', message: rule.properties.message };
			}
		}
	}
	return { status: 'OK', message: 'Connection successful!' };
}

function findTestFunction(types, nodeTypes, typeName) {
	const type = types.getByName(typeName);
	if (type.test) return { testRequest: type.test };
	for (const { nodeType } of nodeTypes.allVersions()) {
		for (const { name, testedBy } of nodeType.description.credentials ?? []) {
			if (name !== typeName || !testedBy) continue;
			if (typeof testedBy === 'string') {
				const fn = nodeType.methods?.credentialTest?.[testedBy];
				if (fn) return fn;
				continue;
			}
			return { nodeType, testRequest: testedBy };
		}
	}
	return undefined;
}

/** lodash.get for dotted paths / arrays, as used by rules[].properties.key */
function getPath(object, key) {
	const parts = Array.isArray(key) ? key : String(key).replace(/\[(\w+)\]/g, '.$1').split('.');
	let value = object;
	for (const part of parts) {
		if (value === null || value === undefined) return undefined;
		value = value[part];
	}
	return value;
}

module.exports = {
	HarnessCredentialTypes,
	HarnessCredentialsHelper,
	HarnessCredentials,
	toStore,
	testCredential,
};
