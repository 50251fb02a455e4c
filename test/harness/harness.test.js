'use strict';
/**
 * Proves the harness against a real loopback HTTP server: n8n-core's WorkflowExecute runs inline
 * node/credential types defined below. Run with: npx jest --rootDir . test/harness
 */
const http = require('node:http');
const { createHash } = require('node:crypto');
const { NodeApiError, NodeOperationError, sleep } = require('n8n-workflow');
const { runWorkflow, manualTriggerNode, pollOnce, testCredential, NO_OP } = require('.');

const API_KEY = 'dl-test-key-0123456789';
/** 300 KB of deterministic, non-repeating-ish bytes (bigger than one stream chunk). */
const FILE_BYTES = Buffer.concat(
	Array.from({ length: 300 * 1024 / 32 }, (_, i) => createHash('sha256').update(String(i)).digest()),
);

// ---------------------------------------------------------------------------------------------
// fake API on 127.0.0.1:<random port>
// ---------------------------------------------------------------------------------------------
/** @type {http.Server} */
let server;
let baseUrl = '';
/** @type {Array<{ method: string, url: string, authorization?: string }>} */
let requests = [];
let issuedTokens = 0;
/** session tokens the fake API accepts (tests revoke them to force a refresh) */
const validSessions = new Set(['session-1', 'session-2', 'session-3']);
const events = [
	{ id: 1, name: 'first' },
	{ id: 2, name: 'second' },
	{ id: 3, name: 'third' },
];

function handle(req, res) {
	const url = new URL(req.url, 'http://localhost');
	requests.push({ method: req.method, url: req.url, authorization: req.headers.authorization });
	const send = (status, body, headers = { 'content-type': 'application/json' }) => {
		res.writeHead(status, headers);
		res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
	};
	const chunks = [];
	req.on('data', (chunk) => chunks.push(chunk));
	req.on('end', () => {
		if (url.pathname === '/token' && req.method === 'POST') {
			const { apiKey } = JSON.parse(Buffer.concat(chunks).toString() || '{}');
			if (apiKey !== API_KEY) return send(403, { error: 'bad key' });
			issuedTokens += 1;
			return send(200, { token: `session-${issuedTokens}` });
		}
		const auth = req.headers.authorization;
		if (auth !== `Bearer ${API_KEY}` && !(auth && validSessions.has(auth.slice('Bearer '.length)))) {
			return send(401, { error: 'invalid api key' });
		}
		switch (url.pathname) {
			case '/items':
				return send(200, { ok: true, index: Number(url.searchParams.get('i')) });
			case '/file.png':
				return send(200, FILE_BYTES, { 'content-type': 'image/png', 'content-length': FILE_BYTES.length });
			case '/boom':
				return send(500, { message: 'Internal failure in fake API' });
			case '/verify':
				return send(200, { valid: url.searchParams.get('flag') !== 'bad', plan: 'free' });
			case '/events': {
				const after = Number(url.searchParams.get('after') ?? 0);
				return send(200, { events: events.filter((e) => e.id > after) });
			}
			default:
				return send(404, { error: 'not found' });
		}
	});
}

beforeAll(async () => {
	server = http.createServer(handle);
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	baseUrl = `http://127.0.0.1:${server.address().port}`;
});

afterAll(async () => {
	server.closeAllConnections();
	await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
	requests = [];
});

// ---------------------------------------------------------------------------------------------
// inline credential type and node types
// ---------------------------------------------------------------------------------------------
class TestApi {
	constructor() {
		this.name = 'testApi';
		this.displayName = 'Test API';
		this.properties = [
			{ displayName: 'API Key', name: 'apiKey', type: 'string', typeOptions: { password: true }, default: '' },
			{ displayName: 'Base URL', name: 'baseUrl', type: 'string', default: 'https://example.invalid' },
			{ displayName: 'Label', name: 'label', type: 'string', default: 'default-label' },
		];
		this.authenticate = {
			type: 'generic',
			properties: { headers: { Authorization: '=Bearer {{$credentials.apiKey}}' } },
		};
		this.test = {
			request: { baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}', url: '/verify', method: 'GET' },
		};
	}
}

/** Same credential with `rules`, as some n8n credentials define them. */
class TestApiWithRules extends TestApi {
	constructor() {
		super();
		this.test = {
			request: { ...this.test.request, qs: { flag: '={{$credentials.label}}' } },
			rules: [
				{ type: 'responseCode', properties: { value: 401, message: 'The API key is wrong' } },
				{ type: 'responseSuccessBody', properties: { key: 'valid', value: false, message: 'Key rejected by flag' } },
			],
		};
	}
}

/** Session-token credential: preAuthentication fetches a token into an expirable hidden field. */
class SessionApi {
	constructor() {
		this.name = 'sessionApi';
		this.displayName = 'Session API';
		this.properties = [
			{ displayName: 'API Key', name: 'apiKey', type: 'string', typeOptions: { password: true }, default: '' },
			{ displayName: 'Base URL', name: 'baseUrl', type: 'string', default: '' },
			{ displayName: 'Session Token', name: 'sessionToken', type: 'hidden', typeOptions: { expirable: true }, default: '' },
		];
		this.authenticate = {
			type: 'generic',
			properties: { headers: { Authorization: '=Bearer {{$credentials.sessionToken}}' } },
		};
	}

	/** @this {import('n8n-workflow').IHttpRequestHelper} */
	async preAuthentication(credentials) {
		const { token } = await this.helpers.httpRequest({
			method: 'POST',
			url: `${credentials.baseUrl}/token`,
			body: { apiKey: credentials.apiKey },
			json: true,
		});
		return { sessionToken: token };
	}
}

class Fetcher {
	constructor() {
		this.description = {
			displayName: 'Fetcher',
			name: 'fetcher',
			group: ['transform'],
			version: 1,
			description: 'Test node',
			defaults: { name: 'Fetcher' },
			inputs: ['main'],
			outputs: ['main'],
			credentials: [
				{ name: 'testApi', required: true, displayOptions: { show: { authentication: ['apiKey'] } } },
				{ name: 'sessionApi', required: true, displayOptions: { show: { authentication: ['session'] } } },
			],
			properties: [
				{
					displayName: 'Authentication',
					name: 'authentication',
					type: 'options',
					options: [
						{ name: 'API Key', value: 'apiKey' },
						{ name: 'Session', value: 'session' },
					],
					default: 'apiKey',
				},
				{
					displayName: 'Operation',
					name: 'operation',
					type: 'options',
					noDataExpression: true,
					options: ['json', 'binary', 'fail', 'throw', 'sleep'].map((v) => ({ name: v, value: v })),
					default: 'json',
				},
			],
		};
	}

	/** @this {import('n8n-workflow').IExecuteFunctions} */
	async execute() {
		const items = this.getInputData();
		const out = [];
		const credentialType = this.getNodeParameter('authentication', 0) === 'session' ? 'sessionApi' : 'testApi';
		const credentials = await this.getCredentials(credentialType);
		for (let i = 0; i < items.length; i++) {
			const operation = this.getNodeParameter('operation', i);
			try {
				if (operation === 'json') {
					const response = await this.helpers.httpRequestWithAuthentication.call(this, credentialType, {
						method: 'GET',
						url: `${credentials.baseUrl}/items`,
						qs: { i },
						json: true,
					});
					this.logger.info('Fetcher got item', { itemIndex: i });
					out.push({ json: { ...response, label: credentials.label }, pairedItem: { item: i } });
				} else if (operation === 'binary') {
					const stream = await this.helpers.httpRequestWithAuthentication.call(this, 'testApi', {
						method: 'GET',
						url: `${credentials.baseUrl}/file.png`,
						encoding: 'stream',
					});
					const binary = await this.helpers.prepareBinaryData(stream, `file_${i}.png`, 'image/png');
					out.push({ json: { fileName: binary.fileName }, binary: { data_0: binary }, pairedItem: { item: i } });
				} else if (operation === 'fail') {
					await this.helpers.httpRequestWithAuthentication.call(this, 'testApi', {
						method: 'GET',
						url: `${credentials.baseUrl}/boom`,
						json: true,
					});
				} else if (operation === 'throw') {
					throw new NodeOperationError(this.getNode(), `Item ${i} is not acceptable`, {
						itemIndex: i,
						description: 'Use a better item',
					});
				} else if (operation === 'sleep') {
					this.logger.debug('Fetcher going to sleep');
					await sleep(10_000, this.getExecutionCancelSignal());
					out.push({ json: { slept: true }, pairedItem: { item: i } });
				}
			} catch (error) {
				if (this.continueOnFail()) {
					out.push({ json: { error: error.message }, pairedItem: { item: i } });
					continue;
				}
				throw error;
			}
		}
		return [out];
	}
}

class EventsTrigger {
	constructor() {
		this.description = {
			displayName: 'Events Trigger',
			name: 'eventsTrigger',
			group: ['trigger'],
			version: 1,
			description: 'Polling test node',
			defaults: { name: 'Events Trigger' },
			polling: true,
			inputs: [],
			outputs: ['main'],
			credentials: [{ name: 'testApi', required: true }],
			properties: [{ displayName: 'Limit', name: 'limit', type: 'number', default: 10 }],
		};
	}

	/** @this {import('n8n-workflow').IPollFunctions} */
	async poll() {
		const staticData = this.getWorkflowStaticData('node');
		const { baseUrl: url } = await this.getCredentials('testApi');
		const after = this.getMode() === 'manual' ? 0 : (staticData.lastId ?? 0);
		const { events: found } = await this.helpers.httpRequestWithAuthentication.call(this, 'testApi', {
			method: 'GET',
			url: `${url}/events`,
			qs: { after },
			json: true,
		});
		const limited = found.slice(0, this.getNodeParameter('limit'));
		this.logger.info('poll done', { count: limited.length, mode: this.getMode() });
		if (limited.length === 0) return null;
		if (this.getMode() !== 'manual') staticData.lastId = limited[limited.length - 1].id;
		return [this.helpers.returnJsonArray(limited)];
	}
}

const FETCHER = 'n8n-nodes-test.fetcher';
const nodeTypes = { [FETCHER]: Fetcher };
const credentialTypes = { testApi: TestApi, sessionApi: SessionApi };
const credentials = () => ({
	testApi: { id: '7', name: 'Test account', data: { apiKey: API_KEY, baseUrl } },
});

/** Manual trigger -> Fetcher, as n8n stores it. */
function fetcherWorkflow(parameters, nodeOverrides = {}) {
	const trigger = manualTriggerNode();
	return {
		nodes: [
			trigger,
			{
				id: 'f1',
				name: 'Fetch',
				type: FETCHER,
				typeVersion: 1,
				position: [200, 0],
				parameters,
				credentials: { testApi: { id: '7', name: 'Test account' } },
				...nodeOverrides,
			},
		],
		connections: { [trigger.name]: { main: [[{ node: 'Fetch', type: 'main', index: 0 }]] } },
	};
}

const run = (workflow, extra = {}) =>
	runWorkflow({ nodeTypes, credentialTypes, credentials: credentials(), ...workflow, ...extra });

// ---------------------------------------------------------------------------------------------
describe('runWorkflow', () => {
	test('sends the credential header over loopback, returns JSON and captures this.logger', async () => {
		const result = await run(fetcherWorkflow({ operation: 'json' }), {
			inputItems: [{ json: { a: 1 } }, { json: { a: 2 } }],
		});

		expect(result.error).toBeUndefined();
		expect(result.status).toBe('success');
		expect(result.finished).toBe(true);
		expect(result.executionOrder).toEqual(["When clicking 'Execute workflow'", 'Fetch']);
		expect(requests.map((r) => r.authorization)).toEqual([`Bearer ${API_KEY}`, `Bearer ${API_KEY}`]);
		expect(result.outputOf('Fetch').map((item) => item.json)).toEqual([
			{ ok: true, index: 0, label: 'default-label' },
			{ ok: true, index: 1, label: 'default-label' },
		]);
		expect(result.logs).toEqual([
			{ level: 'info', message: 'Fetcher got item', meta: { itemIndex: 0 } },
			{ level: 'info', message: 'Fetcher got item', meta: { itemIndex: 1 } },
		]);
		expect(result.engineLogs.some((l) => l.message === 'Workflow execution started')).toBe(true);
	});

	test('preAuthentication fills the expirable token, persists it, and refreshes it after a 401', async () => {
		const workflow = fetcherWorkflow(
			{ authentication: 'session', operation: 'json' },
			{ credentials: { sessionApi: { id: '9', name: 'Session account' } } },
		);
		const sessionCredentials = {
			sessionApi: { id: '9', name: 'Session account', data: { apiKey: API_KEY, baseUrl, sessionToken: '' } },
		};
		issuedTokens = 0;
		const first = await runWorkflow({ nodeTypes, credentialTypes, credentials: sessionCredentials, ...workflow });
		expect(first.error).toBeUndefined();
		expect(requests.map((r) => `${r.method} ${r.url} ${r.authorization ?? '-'}`)).toEqual([
			'POST /token -',
			'GET /items?i=0 Bearer session-1',
		]);
		expect(first.credentials.sessionApi.data.sessionToken).toBe('session-1');
		expect(first.credentialUpdates).toEqual([
			{ type: 'sessionApi', data: { apiKey: API_KEY, baseUrl, sessionToken: 'session-1' } },
		]);
		expect(sessionCredentials.sessionApi.data.sessionToken).toBe(''); // the input is not mutated

		// a stored token the API no longer accepts: 401, then n8n-core re-runs preAuthentication and retries
		validSessions.delete('session-1');
		requests = [];
		const second = await runWorkflow({
			nodeTypes,
			credentialTypes,
			credentials: { sessionApi: { ...sessionCredentials.sessionApi, data: first.credentials.sessionApi.data } },
			...workflow,
		});
		expect(second.error).toBeUndefined();
		expect(requests.map((r) => `${r.method} ${r.url} ${r.authorization ?? '-'}`)).toEqual([
			'GET /items?i=0 Bearer session-1',
			'POST /token -',
			'GET /items?i=0 Bearer session-2',
		]);
		expect(second.credentials.sessionApi.data.sessionToken).toBe('session-2');
	});

	test('a wrong API key reaches the server and fails the node with a NodeApiError', async () => {
		const result = await runWorkflow({
			nodeTypes,
			credentialTypes,
			credentials: { testApi: { id: '7', name: 'Test account', data: { apiKey: 'dl-wrong', baseUrl } } },
			...fetcherWorkflow({ operation: 'json' }),
		});
		expect(requests[0].authorization).toBe('Bearer dl-wrong');
		expect(result.status).toBe('error');
		expect(result.error).toBeInstanceOf(NodeApiError);
		expect(result.error.httpCode).toBe('401');
		expect(result.nodeError('Fetch')).toBe(result.error);
	});

	test.each(['filesystem', 'default'])('binary bytes round-trip (%s mode, streamed prepareBinaryData)', async (binaryMode) => {
		const workflow = fetcherWorkflow({ operation: 'binary' });
		workflow.nodes.push({ id: 'n1', name: 'Pass', type: NO_OP, typeVersion: 1, position: [400, 0], parameters: {} });
		workflow.connections.Fetch = { main: [[{ node: 'Pass', type: 'main', index: 0 }]] };
		const result = await run(workflow, { binaryMode });
		expect(result.executionOrder).toEqual(["When clicking 'Execute workflow'", 'Fetch', 'Pass']);
		expect(result.error).toBeUndefined();
		const [item] = result.outputOf('Fetch');
		expect(item.binary.data_0).toMatchObject({ fileName: 'file_0.png', mimeType: 'image/png', bytes: FILE_BYTES.length });
		if (binaryMode === 'filesystem') {
			expect(item.binary.data_0.id).toMatch(/^filesystem-v2:/);
			expect(item.binary.data_0.data).toBe('filesystem-v2');
		} else {
			expect(item.binary.data_0.id).toBeUndefined();
			expect(item.binary.data_0.data).toBe(FILE_BYTES.toString('base64'));
		}
		const bytes = await result.binaryBuffer('Fetch', 0, 'data_0');
		expect(Buffer.compare(bytes, FILE_BYTES)).toBe(0);
		const passedOn = await result.binaryBuffer('Pass', 0, 'data_0');
		expect(Buffer.compare(passedOn, FILE_BYTES)).toBe(0);
	});

	test('a failing request stops the workflow; the NodeApiError keeps message, description and httpCode', async () => {
		const result = await run(fetcherWorkflow({ operation: 'fail' }));
		expect(result.status).toBe('error');
		const error = result.nodeError('Fetch');
		expect(error).toBeInstanceOf(NodeApiError);
		expect(error.httpCode).toBe('500');
		expect(error.message).toBe('The service was not able to process your request');
		expect(error.description).toBe('Internal failure in fake API');
		expect(result.error).toBe(error);
	});

	test('continueOnFail (legacy flag) turns the error into an item with json.error', async () => {
		const result = await run(fetcherWorkflow({ operation: 'fail' }, { continueOnFail: true }));
		expect(result.error).toBeUndefined();
		expect(result.status).toBe('success');
		const [item] = result.outputOf('Fetch');
		expect(item.json.error).toBe('The service was not able to process your request');
	});

	test("onError 'continueErrorOutput' routes error items to the error output", async () => {
		const result = await run(fetcherWorkflow({ operation: 'fail' }, { onError: 'continueErrorOutput' }));
		expect(result.error).toBeUndefined();
		expect(result.outputOf('Fetch', 0)).toEqual([]);
		const [item] = result.outputOf('Fetch', 1);
		expect(item.json.error).toBe('The service was not able to process your request');
	});

	test("onError 'continueRegularOutput' and a thrown (not caught) NodeOperationError", async () => {
		// Fetcher catches and re-throws; with continueRegularOutput n8n itself makes the error item.
		const failing = await run(fetcherWorkflow({ operation: 'throw' }));
		expect(failing.error).toBeInstanceOf(NodeOperationError);
		expect(failing.error.message).toBe('Item 0 is not acceptable');
		expect(failing.error.description).toBe('Use a better item');
		expect(failing.executionError.message).toBe('Item 0 is not acceptable');

		const continued = await run(fetcherWorkflow({ operation: 'throw' }, { onError: 'continueRegularOutput' }));
		expect(continued.error).toBeUndefined();
		expect(continued.outputOf('Fetch')[0].json.error).toBe('Item 0 is not acceptable');
	});

	test('abortAfterMs stops a node sleeping on getExecutionCancelSignal()', async () => {
		const started = Date.now();
		const result = await run(fetcherWorkflow({ operation: 'sleep' }), { abortAfterMs: 150 });
		expect(Date.now() - started).toBeLessThan(3000);
		expect(result.status).toBe('canceled');
		expect(result.ran('Fetch')).toBe(true);
		expect(result.outputOf('Fetch')).toEqual([]);
		expect(result.logs.map((l) => l.message)).toEqual(['Fetcher going to sleep']);
	});

	test('timeoutMs cancels the execution like n8n\'s execution timeout', async () => {
		const started = Date.now();
		const result = await run(fetcherWorkflow({ operation: 'sleep' }), { timeoutMs: 150 });
		expect(Date.now() - started).toBeLessThan(3000);
		expect(result.status).toBe('canceled');
		expect(result.nodeError('Fetch')).toBeDefined();
	});

	test('a missing credential on the node is reported like n8n does', async () => {
		const result = await run(fetcherWorkflow({ operation: 'json' }, { credentials: undefined }));
		expect(result.status).toBe('error');
		expect(requests).toEqual([]);
		expect(result.error).toBeInstanceOf(NodeOperationError);
		expect(result.error.message).toBe('Node does not have any credentials set');
	});

	test('a credential reference with another id fails like n8n', async () => {
		const result = await run(
			fetcherWorkflow({ operation: 'json' }, { credentials: { testApi: { id: '8', name: 'Other account' } } }),
		);
		expect(result.status).toBe('error');
		expect(result.error.message).toBe('Credential with ID "8" does not exist for type "testApi".');
	});

	test('workflow issues (a required parameter left empty) stop the run before any node executes', async () => {
		class Needy {
			constructor() {
				this.description = {
					displayName: 'Needy',
					name: 'needy',
					group: ['transform'],
					version: 1,
					description: 'Needs a prompt',
					defaults: { name: 'Needy' },
					inputs: ['main'],
					outputs: ['main'],
					properties: [{ displayName: 'Prompt', name: 'prompt', type: 'string', required: true, default: '' }],
				};
			}
			async execute() {
				throw new Error('must not run');
			}
		}
		const trigger = manualTriggerNode();
		const result = await runWorkflow({
			nodeTypes: { 'n8n-nodes-test.needy': Needy },
			nodes: [trigger, { id: 'n', name: 'Needy', type: 'n8n-nodes-test.needy', typeVersion: 1, position: [0, 0], parameters: {} }],
			connections: { [trigger.name]: { main: [[{ node: 'Needy', type: 'main', index: 0 }]] } },
		});
		expect(result.error.name).toBe('WorkflowHasIssuesError');
		expect(result.executionOrder).toEqual([]);
		expect(result.run).toBeUndefined();
	});

	test('concurrent runs keep their logs and binary modes apart', async () => {
		const [one, three] = await Promise.all([
			run(fetcherWorkflow({ operation: 'json' }), { inputItems: [{ json: {} }] }),
			run(fetcherWorkflow({ operation: 'json' }), { inputItems: [{ json: {} }, { json: {} }, { json: {} }] }),
		]);
		expect(one.logs).toHaveLength(1);
		expect(three.logs).toHaveLength(3);
		const [fs, mem] = await Promise.all([
			run(fetcherWorkflow({ operation: 'binary' }), { binaryMode: 'filesystem' }),
			run(fetcherWorkflow({ operation: 'binary' }), { binaryMode: 'default' }),
		]);
		expect(fs.outputOf('Fetch')[0].binary.data_0.id).toBeDefined();
		expect(mem.outputOf('Fetch')[0].binary.data_0.id).toBeUndefined();
	});

	test('outputOf names the executed nodes when asked about one that did not run', async () => {
		const result = await run(fetcherWorkflow({ operation: 'json' }));
		expect(() => result.outputOf('Nope')).toThrow(/Executed: When clicking 'Execute workflow' -> Fetch/);
	});
});

describe('testCredential', () => {
	test('OK with a good key (expression in the request, authenticate applied)', async () => {
		const result = await testCredential({ credentialType: TestApi, data: { apiKey: API_KEY, baseUrl: `${baseUrl}/` } });
		expect(result).toMatchObject({ status: 'OK', message: 'Connection successful!' });
		expect(requests).toEqual([{ method: 'GET', url: '/verify', authorization: `Bearer ${API_KEY}` }]);
	});

	test("Error with a bad key: n8n's default message is the HTTP status text", async () => {
		const result = await testCredential({ credentialType: TestApi, data: { apiKey: 'nope', baseUrl } });
		expect(result).toMatchObject({ status: 'Error', message: 'Unauthorized' });
	});

	test('rules: responseCode and responseSuccessBody', async () => {
		const wrongKey = await testCredential({ credentialType: TestApiWithRules, data: { apiKey: 'nope', baseUrl } });
		expect(wrongKey).toMatchObject({ status: 'Error', message: 'The API key is wrong' });
		// n8n-core retries a 401 once after preAuthentication (even when the type has none)
		expect(requests.map((r) => r.authorization)).toEqual(['Bearer nope', 'Bearer nope']);

		const flagged = await testCredential({
			credentialType: TestApiWithRules,
			data: { apiKey: API_KEY, baseUrl, label: 'bad' },
		});
		expect(flagged).toMatchObject({ status: 'Error', message: 'Key rejected by flag' });
		expect(requests.at(-1).url).toBe('/verify?flag=bad');

		const fine = await testCredential({ credentialType: TestApiWithRules, data: { apiKey: API_KEY, baseUrl } });
		expect(fine.status).toBe('OK');
	});

	test('connection refused reports the error code', async () => {
		const result = await testCredential({ credentialType: TestApi, data: { apiKey: API_KEY, baseUrl: 'http://127.0.0.1:1' } });
		expect(result).toMatchObject({ status: 'Error', message: 'ECONNREFUSED' });
	});
});

describe('pollOnce', () => {
	const pollOptions = (extra) => ({
		nodeType: EventsTrigger,
		credentialTypes,
		credentials: credentials(),
		parameters: { limit: 2 },
		...extra,
	});

	test('trigger mode: items, static data cursor mutated in place, null when nothing is new', async () => {
		const staticData = {};
		const first = await pollOnce(pollOptions({ staticData }));
		expect(first.items).toEqual([[{ json: { id: 1, name: 'first' } }, { json: { id: 2, name: 'second' } }]]);
		expect(first.emitted).toBe(first.items);
		expect(first.staticData).toBe(staticData);
		expect(staticData).toEqual({ lastId: 2 });
		expect(first.staticDataChanged).toBe(true);
		expect(first.logs).toEqual([{ level: 'info', message: 'poll done', meta: { count: 2, mode: 'trigger' } }]);
		expect(requests[0]).toEqual({ method: 'GET', url: '/events?after=0', authorization: `Bearer ${API_KEY}` });

		const second = await pollOnce(pollOptions({ staticData }));
		expect(second.items).toEqual([[{ json: { id: 3, name: 'third' } }]]);
		expect(staticData).toEqual({ lastId: 3 });
		expect(second.staticDataChanged).toBe(true);

		const third = await pollOnce(pollOptions({ staticData }));
		expect(third.items).toBeNull();
		expect(third.emitted).toBeNull();
		expect(third.staticDataChanged).toBe(false);
		expect(staticData).toEqual({ lastId: 3 });
	});

	test('manual mode: getMode() is manual and the passed static data is left alone', async () => {
		const staticData = { lastId: 3 };
		const result = await pollOnce(pollOptions({ staticData, mode: 'manual', parameters: { limit: 1 } }));
		expect(result.items).toEqual([[{ json: { id: 1, name: 'first' } }]]);
		expect(result.emitted).toBeNull();
		expect(staticData).toEqual({ lastId: 3 });
		expect(result.logs[0].meta).toEqual({ count: 1, mode: 'manual' });
	});

	test('errors from poll() propagate', async () => {
		await expect(
			pollOnce(pollOptions({ credentials: { testApi: { id: '7', name: 'x', data: { apiKey: 'bad', baseUrl } } } })),
		).rejects.toBeInstanceOf(NodeApiError);
	});
});
