'use strict';
// Transport safety through n8n-core's real HTTP helpers against the fake API: redirects are never
// followed (the key never reaches another host), ambiguous creates are reported and not repeated,
// the key never shows in any spelling, and a deadline bounds every wait.
const { startRecorder } = require('../fake-dreamlook');
const { runWorkflow, manualTriggerNode, testCredential } = require('../harness');
const { Dreamlook } = require('../../nodes/Dreamlook/Dreamlook.node');
const { DreamlookApi } = require('../../credentials/DreamlookApi.credentials');
const { dreamlookRequest } = require('../../nodes/Dreamlook/transport/request');
const { isDeadlineError, isOutcomeUnknownError } = require('../../nodes/Dreamlook/transport/errors');
const { useFake, runDreamlook, requestsTo, testDreamlookCredential, DEFAULT_API_KEY, createOnly, getJobParameters: getJob, everythingVisible } = require('./helpers');


/** A node whose execute() makes one dreamlookRequest as told by its parameters (deadline relative to now). */
class TransportProbe {
	constructor() {
		this.description = {
			displayName: 'Transport Probe',
			name: 'transportProbe',
			group: ['transform'],
			version: 1,
			description: 'test only',
			defaults: { name: 'Probe' },
			inputs: ['main'],
			outputs: ['main'],
			credentials: [{ name: 'dreamlookApi', required: true }],
			properties: [
				{ displayName: 'Method', name: 'method', type: 'string', default: 'GET' },
				{ displayName: 'Path', name: 'path', type: 'string', default: '/jobs' },
				{ displayName: 'Body', name: 'body', type: 'json', default: '{}' },
				{ displayName: 'Deadline In (ms)', name: 'deadlineInMs', type: 'number', default: -1 },
				{ displayName: 'Raw n8n Request', name: 'raw', type: 'boolean', default: false },
			],
		};
	}
	async execute() {
		const method = this.getNodeParameter('method', 0);
		const path = this.getNodeParameter('path', 0);
		const body = JSON.parse(this.getNodeParameter('body', 0));
		const deadlineInMs = this.getNodeParameter('deadlineInMs', 0);
		if (this.getNodeParameter('raw', 0)) {
			// Control: n8n's helper with its defaults, i.e. what the node did before (follows, re-sends the header).
			const credentials = await this.getCredentials('dreamlookApi');
			const answer = await this.helpers.httpRequestWithAuthentication.call(this, 'dreamlookApi', {
				method,
				url: `${credentials.baseUrl}${path}`,
				body: method === 'POST' ? body : undefined,
				json: true,
			});
			return [[{ json: { answer } }]];
		}
		const startedAt = Date.now();
		const response = await dreamlookRequest(this, {
			method,
			path,
			body: method === 'POST' ? body : undefined,
			action: method === 'POST' ? 'create an image job' : 'list jobs',
			deadline: deadlineInMs >= 0 ? startedAt + deadlineInMs : undefined,
		});
		return [[{ json: { status: response.status } }]];
	}
}

async function runProbe(fake, parameters, credentialData = {}) {
	const trigger = manualTriggerNode();
	const probe = {
		id: 'probe-1',
		name: 'Probe',
		type: 'test.transportProbe',
		typeVersion: 1,
		position: [200, 0],
		parameters,
		credentials: { dreamlookApi: { id: '1', name: 'Dreamlook account' } },
	};
	const startedAt = Date.now();
	const result = await runWorkflow({
		nodeTypes: { 'test.transportProbe': TransportProbe },
		credentialTypes: { dreamlookApi: DreamlookApi },
		credentials: { dreamlookApi: { id: '1', name: 'Dreamlook account', data: { apiKey: DEFAULT_API_KEY, baseUrl: fake.url, ...credentialData } } },
		nodes: [trigger, probe],
		connections: { [trigger.name]: { main: [[{ node: 'Probe', type: 'main', index: 0 }]] } },
	});
	return { result, elapsedMs: Date.now() - startedAt };
}

async function runWithCredential(fake, parameters, data) {
	const trigger = manualTriggerNode();
	const node = {
		id: 'dreamlook-1',
		name: 'Dreamlook',
		type: 'n8n-nodes-dreamlook.dreamlook',
		typeVersion: 1,
		position: [200, 0],
		parameters,
		credentials: { dreamlookApi: { id: '1', name: 'Dreamlook account' } },
	};
	return await runWorkflow({
		nodeTypes: { 'n8n-nodes-dreamlook.dreamlook': Dreamlook },
		credentialTypes: { dreamlookApi: DreamlookApi },
		credentials: { dreamlookApi: { id: '1', name: 'Dreamlook account', data } },
		nodes: [trigger, node],
		connections: { [trigger.name]: { main: [[{ node: 'Dreamlook', type: 'main', index: 0 }]] } },
	});
}

describe('redirects are never followed; the key never reaches another host', () => {
	const fake = useFake();
	let recorder;
	let recorderHost;
	beforeAll(async () => {
		recorder = await startRecorder();
		recorderHost = new URL(recorder.url).host;
	});
	afterAll(async () => {
		await recorder.close();
	});
	beforeEach(() => recorder.clear());

	it.each([307, 308, 302, 301, 303])('a create answered %s: error names the host, nothing sent there, no job', async (status) => {
		fake.faults.add({ method: 'POST', path: '/image_gen', action: { redirect: `${recorder.url}/image_gen?token=abc`, status } });
		const result = await runDreamlook(fake, createOnly());
		expect(result.error?.message).toBe(`Dreamlook's API answered with a redirect to ${recorderHost}; the request was not followed`);
		expect(result.error?.description).toMatch(/final address \(https:\/\/api\.dreamlook\.ai/);
		expect(result.error?.description).toMatch(/not followed there, so nothing was sent/);
		expect(recorder.requests).toEqual([]);
		expect(requestsTo(fake, 'POST', '/image_gen')).toHaveLength(1);
		expect(fake.jobs()).toHaveLength(0);
		expect(everythingVisible(result)).not.toContain('token=abc');
	});

	it('a GET answered 302 is not followed either', async () => {
		fake.faults.add({ method: 'GET', path: '/jobs/', action: { redirect: `${recorder.url}/jobs/image-gen/ig_abcdefgh`, status: 302 } });
		const result = await runDreamlook(fake, getJob('ig_abcdefgh'));
		expect(result.error?.message).toMatch(new RegExp(`redirect to ${recorderHost.replace(/\./g, '\\.')}; the request was not followed`));
		expect(recorder.requests).toEqual([]);
	});

	it('the credential test reports a redirect as an error and sends nothing to the other host', async () => {
		fake.faults.add({ method: 'POST', path: '/image_gen', action: { redirect: `${recorder.url}/image_gen`, status: 307 } });
		const outcome = await testDreamlookCredential(fake, DEFAULT_API_KEY);
		expect(outcome.status).toBe('Error');
		expect(outcome.message).toMatch(/redirect; it was not followed/);
		expect(recorder.requests).toEqual([]);
		// Without the fault the same test passes: the redirect was the only reason.
		expect((await testDreamlookCredential(fake, DEFAULT_API_KEY)).status).toBe('OK');
	});

	it("control: n8n's helper with default options follows the redirect and re-sends the key (what the recorder detects)", async () => {
		fake.faults.add({ method: 'POST', path: '/image_gen', action: { redirect: `${recorder.url}/image_gen`, status: 307 } });
		const { result } = await runProbe(fake, { method: 'POST', path: '/image_gen', body: '{"prompt":"x"}', raw: true });
		expect(result.error).toBeUndefined();
		expect(result.outputOf('Probe')[0].json.answer).toEqual({ job_id: 'ig_evil0001' });
		expect(recorder.requests).toEqual([expect.objectContaining({ method: 'POST', path: '/image_gen', authorization: true, body: { prompt: 'x' } })]);
	});

	it('control: the same credential test without the redirect settings would report OK and leak the key', async () => {
		const naive = new DreamlookApi();
		const { disableFollowRedirect, sendCredentialsOnCrossOriginRedirect, ...request } = naive.test.request;
		expect([disableFollowRedirect, sendCredentialsOnCrossOriginRedirect]).toEqual([true, false]);
		naive.test = { ...naive.test, request };
		fake.faults.add({ method: 'POST', path: '/image_gen', action: { redirect: `${recorder.url}/image_gen`, status: 307 } });
		const outcome = await testCredential({ credentialType: naive, data: { apiKey: DEFAULT_API_KEY, baseUrl: fake.url } });
		expect(outcome.status).toBe('OK');
		expect(recorder.requests).toEqual([expect.objectContaining({ method: 'POST', authorization: true })]);
	});

	it('a relative redirect (same host) is not followed either', async () => {
		fake.faults.add({ method: 'GET', path: '/jobs', action: { redirect: '/v2/jobs', status: 308 } });
		const { result } = await runProbe(fake, { path: '/jobs' });
		expect(result.error?.message).toBe(`Dreamlook's API answered with a redirect to ${new URL(fake.url).host}; the request was not followed`);
		expect(fake.requests.map((r) => r.path)).toEqual(['/jobs']);
	});
});

describe('a create that may have reached Dreamlook is reported, never repeated', () => {
	const fake = useFake();
	const post = { method: 'POST', path: '/image_gen', body: JSON.stringify({ prompt: 'a quiet harbour' }) };

	it.each([
		['a 502 after the job was created', { statusAfterCommit: 502, body: '<html>Bad Gateway</html>', headers: { 'content-type': 'text/html' } }, /server error \(HTTP 502\)/, 1],
		['a 500 after the job was created', { statusAfterCommit: 500 }, /server error \(HTTP 500\)/, 1],
		['a 503 with Retry-After', { statusAfterCommit: 503, headers: { 'retry-after': '1' } }, /server error \(HTTP 503\)/, 1],
		['a 408', { status: 408 }, /timed out \(HTTP 408\)/, 0],
		['a connection lost after the job was created', { dropAfterCommit: true }, /^No answer from Dreamlook/, 1],
		['a 2xx with a truncated body', { malformed: true }, /could not be read/, 1],
		['a 2xx with an empty body', { status: 200, body: '' }, /could not be read/, 0],
	])('%s', async (_name, action, reason, jobs) => {
		fake.faults.add({ method: 'POST', path: '/image_gen', action });
		const { result } = await runProbe(fake, post);
		expect(result.error?.message).toMatch(reason);
		expect(result.error?.message).toMatch(/while trying to create an image job: the job may have been created$/);
		expect(result.error?.description).toMatch(/^Check Job → Get Many or the dreamlook\.ai dashboard before running this item again/);
		expect(result.error?.description).not.toMatch(/try again later/i);
		expect(isOutcomeUnknownError(result.error)).toBe(true);
		expect(requestsTo(fake, 'POST', '/image_gen')).toHaveLength(1);
		expect(fake.jobs()).toHaveLength(jobs);
	});

	it('a create that timed out is not repeated', async () => {
		fake.faults.add({ method: 'POST', path: '/image_gen', action: { hangMs: 5000 } });
		const { result } = await runProbe(fake, { ...post, deadlineInMs: 800 });
		expect(result.error?.message).toMatch(/^No answer from Dreamlook within 1 s while trying to create an image job: the job may have been created/);
		expect(isOutcomeUnknownError(result.error)).toBe(true);
		expect(requestsTo(fake, 'POST', '/image_gen')).toHaveLength(1);
	}, 20000);

	it.each([
		['statusAfterCommit 502', { statusAfterCommit: 502 }],
		['dropAfterCommit', { dropAfterCommit: true }],
	])('through the node (%s): one POST, never a second job', async (_name, action) => {
		fake.faults.add({ method: 'POST', path: '/image_gen', action });
		const result = await runDreamlook(fake, createOnly());
		expect(requestsTo(fake, 'POST', '/image_gen')).toHaveLength(1);
		expect(fake.jobs()).toHaveLength(1);
		// The create flow may find the job it started (by its tag); if not, it must say the job may exist.
		if (result.error) expect(result.error.message).toMatch(/the job may have been created/);
		else expect(result.outputOf('Dreamlook')[0].json.job_id).toBe(fake.jobs()[0].job_id);
	});

	it('a 429 create is repeated (the request was not processed): one job in the end', async () => {
		fake.faults.add({ method: 'POST', path: '/image_gen', times: 1, action: { status: 429, retryAfter: 0 } });
		const { result } = await runProbe(fake, post);
		expect(result.error).toBeUndefined();
		expect(requestsTo(fake, 'POST', '/image_gen')).toHaveLength(2);
		expect(fake.jobs()).toHaveLength(1);
	});
});

describe('the key never shows, in any spelling', () => {
	const fake = useFake();
	// A key that is not dl-…, needs URL encoding and is stored with surrounding spaces.
	const ODD_KEY = ['sk', 'Zx9/q=w', 'rT~!ab'].join('_');
	beforeEach(() => fake.addApiKey(ODD_KEY));

	it.each(['verbatim', 'upper', 'swapcase', 'urlencoded', 'form'])('echoed %s in an error body (text and JSON)', async (echoAuth) => {
		fake.faults.add({ method: 'GET', path: '/jobs', action: { status: 400, echoAuth } });
		const json = await runProbe(fake, { path: '/jobs' }, { apiKey: `  ${ODD_KEY} ` });
		fake.faults.add({ method: 'GET', path: '/jobs', action: { status: 400, body: 'Bad Request', echoAuth } });
		const text = await runProbe(fake, { path: '/jobs' }, { apiKey: `  ${ODD_KEY} ` });
		for (const { result } of [json, text]) {
			expect(result.error?.httpCode).toBe('400');
			const visible = everythingVisible(result);
			const lower = visible.toLowerCase();
			for (const spelling of [ODD_KEY, encodeURIComponent(ODD_KEY), new URLSearchParams({ a: ODD_KEY }).toString().slice(2)]) {
				expect(lower).not.toContain(spelling.toLowerCase());
			}
			expect(lower).not.toContain('zx9/q');
			expect(visible).toContain('[redacted]');
		}
	});

	it('the key stored with spaces is trimmed: requests are authorized', async () => {
		const { result } = await runProbe(fake, { path: '/jobs' }, { apiKey: `\t${ODD_KEY}  ` });
		expect(result.error).toBeUndefined();
		expect(fake.requests.every((r) => r.authorized)).toBe(true);
	});

	it("a Base URL's user:password never shows in an error", async () => {
		const baseUrl = `http://proxyuser:pr0xy-s3cret@127.0.0.1:1/`; // nothing listens on port 1
		const result = await runWithCredential(fake, getJob('ig_abcdefgh'), { apiKey: DEFAULT_API_KEY, baseUrl });
		expect(result.error?.message).toMatch(/^Could not reach Dreamlook/);
		expect(result.error?.description).toContain('http://127.0.0.1:1');
		const visible = everythingVisible(result);
		expect(visible).not.toContain('pr0xy-s3cret');
		expect(visible).not.toContain('proxyuser');
	}, 30000);
});

describe('a deadline bounds every wait', () => {
	const fake = useFake();

	it('a 503 with Retry-After: 30 and a 2 s deadline fails at once, saying the Timeout was reached', async () => {
		fake.faults.add({ method: 'GET', path: '/jobs', times: 10, action: { status: 503, retryAfter: 30 } });
		const { result, elapsedMs } = await runProbe(fake, { path: '/jobs', deadlineInMs: 2000 });
		expect(elapsedMs).toBeLessThan(1500);
		expect(result.error?.message).toMatch(/server error \(HTTP 503\).*; the Timeout was reached$/);
		expect(isDeadlineError(result.error)).toBe(true);
		expect(requestsTo(fake, 'GET', '/jobs')).toHaveLength(1);
	}, 20000);

	it('a 429 whose wait would pass the deadline is not waited for', async () => {
		fake.faults.add({ method: 'GET', path: '/jobs', times: 10, action: { status: 429, retryAfter: 5 } });
		const { result, elapsedMs } = await runProbe(fake, { path: '/jobs', deadlineInMs: 2000 });
		expect(elapsedMs).toBeLessThan(1500);
		expect(result.error?.message).toMatch(/rate limiting.*; the Timeout was reached$/);
	}, 20000);

	it('an attempt that hangs ends at the deadline, not after 60 s', async () => {
		fake.faults.add({ method: 'GET', path: '/jobs', action: { hangMs: 20000 } });
		const { result, elapsedMs } = await runProbe(fake, { path: '/jobs', deadlineInMs: 1000 });
		expect(elapsedMs).toBeGreaterThanOrEqual(900);
		expect(elapsedMs).toBeLessThan(5000);
		expect(result.error?.message).toMatch(/^No answer from Dreamlook within 1 s while trying to list jobs; the Timeout was reached$/);
		expect(isDeadlineError(result.error)).toBe(true);
		expect(requestsTo(fake, 'GET', '/jobs')).toHaveLength(1);
	}, 20000);

	it('short waits that fit are still made', async () => {
		fake.faults.add({ method: 'GET', path: '/jobs', times: 1, action: { status: 503, retryAfter: 0.2 } });
		const { result } = await runProbe(fake, { path: '/jobs', deadlineInMs: 5000 });
		expect(result.error).toBeUndefined();
		expect(requestsTo(fake, 'GET', '/jobs')).toHaveLength(2);
	}, 20000);

	it('a deadline already passed sends nothing', async () => {
		const { result } = await runProbe(fake, { path: '/jobs', deadlineInMs: 0 });
		expect(isDeadlineError(result.error)).toBe(true);
		expect(result.error?.message).toBe('The Timeout was reached before Dreamlook could be asked to list jobs');
		expect(fake.requests).toHaveLength(0);
	});
});
