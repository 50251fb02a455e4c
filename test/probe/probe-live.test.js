'use strict';
// npm run probe:live against the fake API, in two configurations, so the probe keeps working in CI:
// the findings must tell a well-behaved list from a misbehaving one, and the probe must stay free
// (GETs and one dry run), bounded, redirect-proof and silent about the key.
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { startFakeDreamlook, startRecorder, DEFAULT_API_KEY } = require('../fake-dreamlook');
const { probe, assertFreeRequest, MAX_REQUESTS } = require('../../scripts/probe-live.js');
const { timestampMicros } = require('../../nodes/Dreamlook/api/contract');

const START = Date.UTC(2026, 10, 25, 12, 0, 0);
const SCRIPT = path.join(__dirname, '../../scripts/probe-live.js');

/** Jobs whose creation order differs from their state_updated order, with ties, tags and every state. */
function seed(fake) {
	// 8 image jobs created at one instant, ending at one instant: a run of equal state_updated.
	fake.seedJobs(8, { createdAt: START - 60_000, queuedMs: 1000, runningMs: 3000 });
	// Trainings created early that end late (a creation-ordered list puts them deep).
	fake.seedJobs(3, {
		job_type: 'dreambooth',
		config: { image_urls: ['https://example.com/a.png'], instance_prompt: 'photo of ukj person' },
		createdAt: START - 50_000,
		spacingMs: 1000,
		queuedMs: 1000,
		runningMs: 40_000,
	});
	fake.seedJobs(3, { createdAt: START - 30_000, spacingMs: 2000, queuedMs: 1000, runningMs: 3000, tags: [{ key: 'n8n_idempotency', value: 'abc' }] });
	fake.seedJobs(2, { createdAt: START - 5000, spacingMs: 1000, queuedMs: 1000, runningMs: 60_000 });
	fake.createJob({ config: { prompt: 'FAIL_ME please' }, createdAt: START - 20_000, queuedMs: 1000, runningMs: 2000 });
	return fake.jobs().length;
}

async function run(fake, extra = {}) {
	const lines = [];
	const findings = await probe({ baseUrl: fake.url, apiKey: DEFAULT_API_KEY, log: (line) => lines.push(line), ...extra });
	return { findings, lines, text: lines.join('\n') };
}

/** Only GETs and one POST /image_gen, which was a dry run. */
function expectOnlyFreeRequests(fake, findings) {
	const nonGet = fake.requests.filter((r) => r.method !== 'GET');
	expect(nonGet.length).toBeLessThanOrEqual(1);
	for (const r of nonGet) {
		expect(r.method).toBe('POST');
		expect(r.path).toBe('/image_gen');
		expect(r.body.dry_run).toBe(true);
	}
	expect(fake.requests.length).toBe(findings.requests);
	expect(findings.requests).toBeLessThanOrEqual(MAX_REQUESTS);
	expect(fake.jobs().every((j) => !j.job_id.startsWith('TEST_'))).toBe(true);
}

describe('probe:live against the fake', () => {
	let fake;
	let jobCount;
	beforeEach(async () => {
		fake = await startFakeDreamlook({ clock: { type: 'manual', startTime: START }, quiet: true, seed: 11 });
		jobCount = seed(fake);
	});
	afterEach(async () => {
		await fake.close();
	});

	it('finds a well-behaved list: /jobs object with total, every parameter honoured, stable ties', async () => {
		const before = fake.jobs().length;
		const { findings, text } = await run(fake);
		expect(findings.auth).toBe('ok');
		expect(findings.listPath).toBe('/jobs');
		expect(findings.listPaths.find((p) => p.path === '/jobs')).toMatchObject({ status: 200, shape: 'object.jobs' });
		expect(findings.listPaths.find((p) => p.path === '/jobs/image-gen').status).toBe(404);
		expect(findings.shape).toMatchObject({ kind: 'object', arrayKey: 'jobs', hasTotal: true, total: jobCount, contractReads: true });
		expect(findings.sampleSize).toBe(jobCount);
		expect(findings.params).toEqual({ limit: 'honoured', offset: 'honoured', order: 'honoured', state: 'honoured', job_type: 'honoured' });
		// The fake lists newest created first unless asked otherwise.
		expect(findings.ordering.default).toEqual(['created desc']);
		expect(findings.ordering.requested).toEqual(['state_updated desc']);
		expect(findings.ordering.ascRequested).toEqual(['state_updated asc']);
		expect(findings.ordering.ties).toEqual({ groups: 1, largest: 8, within: ['job_id desc'] });
		expect(findings.ordering.stableAcrossRequests).toBe(true);
		expect(findings.timestamps).toMatchObject({ fractionDigits: [6], zones: ['none'], unreadable: 0 });
		// The probe reads timestamps exactly as contract.ts does.
		for (const ts of findings.timestamps.examples) expect(Number.isNaN(timestampMicros(ts))).toBe(false);
		expect(findings.createdField).toBe('state_queued_start');
		expect(findings.tags).toMatchObject({ field: true, jobsWithTags: 3, shapes: ['array of {key, value}'] });
		expect(findings.dryRun).toMatchObject({ status: 200, keys: ['job_id'], extraKeys: [], jobIdPrefix: 'TEST_' });
		expect(findings.stoppedEarly).toBeNull();
		expect(findings.recommendations.join('\n')).toMatch(/LIST_PATH '\/jobs' is right/);
		expect(findings.recommendations.join('\n')).toMatch(/order_by=state_updated&order=desc is honoured/);
		expect(text).toMatch(/What to change in nodes\/Dreamlook\/api\/contract\.ts/);
		expect(text).not.toContain(DEFAULT_API_KEY);
		expect(fake.jobs().length).toBe(before);
		expectOnlyFreeRequests(fake, findings);
	});

	it('finds a misbehaving list: bare array, no total, creation order, ignored filters, unstable ties; never follows a redirect; survives a hang', async () => {
		fake.setOptions({ listOrder: 'created', ignoreListFilters: true, listShape: 'array', listTotal: false, tieOrder: 'unstable' });
		const rec = await startRecorder();
		try {
			fake.faults.add({ method: 'GET', path: '/jobs/dreambooth', times: 1, action: { redirect: `${rec.url}/steal` } });
			fake.faults.add({ method: 'GET', path: '/jobs/image_gen', times: 1, action: { hangMs: 5000 } });
			const { findings, text } = await run(fake, { timeoutMs: 1500 });
			expect(findings.listPath).toBe('/jobs');
			expect(findings.shape).toMatchObject({ kind: 'array', arrayKey: null, hasTotal: false, contractReads: true });
			expect(findings.params).toEqual({ limit: 'honoured', offset: 'honoured', order: 'ignored', state: 'ignored', job_type: 'ignored' });
			expect(findings.ordering.default).toEqual(['created desc']);
			expect(findings.ordering.requested).toEqual(['created desc']);
			expect(findings.ordering.ascRequested).toEqual(['created desc']);
			expect(findings.ordering.stableAcrossRequests).toBe(false);
			const redirected = findings.listPaths.find((p) => p.path === '/jobs/dreambooth');
			expect(redirected.status).toBe(307);
			expect(redirected.redirect).toBe(`${rec.url}/steal`);
			expect(rec.requests).toEqual([]);
			expect(findings.listPaths.find((p) => p.path === '/jobs/image_gen').error).toMatch(/timeout/);
			const advice = findings.recommendations.join('\n');
			expect(advice).toMatch(/No `total`/);
			expect(advice).toMatch(/order_by\/order is ignored; the server lists by created desc — the trigger must treat the list as creation-ordered/);
			expect(advice).toMatch(/state filter ignored/);
			expect(advice).toMatch(/job_type filter ignored/);
			expect(advice).toMatch(/NOT stable between requests/);
			expect(text).not.toContain(DEFAULT_API_KEY);
			expectOnlyFreeRequests(fake, findings);
		} finally {
			await rec.close();
		}
	});

	it('stops at a rejected key, and never prints a key the server echoes', async () => {
		fake.faults.add({ method: 'GET', path: '/jobs', times: 1, action: { status: 401, echoAuth: 'verbatim' } });
		const { findings, text } = await run(fake);
		expect(findings.auth).toBe('rejected');
		expect(findings.stoppedEarly).toMatch(/rejected/);
		expect(findings.dryRun).toBeNull();
		expect(fake.requests.length).toBe(2); // /openapi.json, /jobs
		expect(text).not.toContain(DEFAULT_API_KEY);
		expect(text).not.toMatch(/dl-[0-9a-f]{32}/);
	});

	it('reads /openapi.json when published and tries the list paths it names', async () => {
		const paths = {
			'/jobs/list': { get: { parameters: [{ name: 'limit', in: 'query' }, { name: 'cursor', in: 'query' }] } },
			'/jobs/{job_type}/{job_id}': { get: { parameters: [{ name: 'job_id', in: 'path' }] } },
			'/image_gen': { post: {} },
		};
		fake.faults.add({ method: 'GET', path: '/openapi.json', times: 1, action: { status: 200, body: JSON.stringify({ paths }), headers: { 'content-type': 'application/json' } } });
		const { findings, text } = await run(fake);
		expect(findings.openapi.status).toBe(200);
		expect(findings.openapi.listPaths).toEqual([
			{ path: '/jobs/list', methods: ['get'], query: ['limit', 'cursor'] },
			{ path: '/jobs/{job_type}/{job_id}', methods: ['get'], query: [] },
		]);
		expect(findings.openapi.other).toEqual(['/image_gen']);
		expect(findings.listPaths.map((p) => p.path)).toContain('/jobs/list');
		expect(findings.listPath).toBe('/jobs');
		expect(text).toMatch(/GET \/jobs\/list {2}query: limit, cursor/);
	});

	it('keeps within its request budget', async () => {
		const { findings } = await run(fake, { maxRequests: 5 });
		expect(findings.requests).toBe(5);
		expect(fake.requests.length).toBe(5);
		expect(findings.stoppedEarly).toMatch(/budget/);
	});
});

describe('probe:live safety and CLI', () => {
	it('refuses anything but GETs and a dry-run POST /image_gen', () => {
		expect(() => assertFreeRequest('GET', '/jobs', undefined)).not.toThrow();
		expect(() => assertFreeRequest('POST', '/image_gen', JSON.stringify({ prompt: 'x', dry_run: true }))).not.toThrow();
		expect(() => assertFreeRequest('POST', '/image_gen', JSON.stringify({ prompt: 'x' }))).toThrow(/refusing/);
		expect(() => assertFreeRequest('POST', '/image_gen', JSON.stringify({ prompt: 'x', dry_run: 'true' }))).toThrow(/refusing/);
		expect(() => assertFreeRequest('POST', '/image_gen', JSON.stringify({ prompt: 'x', dry_run: false }))).toThrow(/refusing/);
		expect(() => assertFreeRequest('POST', '/dreambooth', JSON.stringify({ dry_run: true }))).toThrow(/refusing/);
		expect(() => assertFreeRequest('DELETE', '/jobs/image-gen/ig_1', undefined)).toThrow(/refusing/);
		expect(() => assertFreeRequest('POST', '/image_gen', 'not json')).toThrow(/refusing/);
	});

	it('refuses to send the key over plain http to a non-loopback host', async () => {
		await expect(probe({ baseUrl: 'http://api.example.com', apiKey: DEFAULT_API_KEY, log: () => undefined })).rejects.toThrow(/refusing to send the key/);
	});

	it('without a key says how to get one and exits 0', () => {
		const env = { ...process.env };
		delete env.DREAMLOOK_API_KEY;
		const r = spawnSync(process.execPath, [SCRIPT], { env, encoding: 'utf8', timeout: 15000 });
		expect(r.status).toBe(0);
		expect(r.stdout).toMatch(/dreamlook\.ai dashboard → API/);
	});

	it('runs from the command line with --base-url and --key, printing findings but never the key', async () => {
		const fake = await startFakeDreamlook({ quiet: true, seed: 3 });
		try {
			fake.seedJobs(4, { queuedMs: 0, runningMs: 0, spacingMs: 1000 });
			const env = { ...process.env };
			delete env.DREAMLOOK_API_KEY;
			const { spawn } = require('node:child_process');
			const child = spawn(process.execPath, [SCRIPT, '--base-url', fake.url, '--key', DEFAULT_API_KEY], { env });
			let out = '';
			child.stdout.on('data', (d) => (out += d));
			child.stderr.on('data', (d) => (out += d));
			const code = await new Promise((resolve) => child.on('close', resolve));
			expect(code).toBe(0);
			expect(out).toMatch(/Using list path \/jobs/);
			expect(out).toMatch(/What to change/);
			expect(out).not.toContain(DEFAULT_API_KEY);
		} finally {
			await fake.close();
		}
	});
});
