'use strict';
// Waiting for many jobs: list pages replace per-job GETs where the list proves usable (answers,
// honours the job-type filter and paging, shows the awaited jobs); otherwise — and for any job the
// list did not show — one GET per job. Either way every job's end is seen.
const { useFake, imageCreateParameters, runDreamlook, NODE_NAME } = require('./helpers');

const ITEMS = 8;
const items = (count = ITEMS) => Array.from({ length: count }, (_, i) => ({ json: { i } }));
const promptOf = (i) => `batch item ${i}`;

const waitParameters = (options = {}) =>
	imageCreateParameters({
		prompt: '={{ $json.i === 3 ? "batch item 3 FAIL_ME" : "batch item " + $json.i }}',
		downloadImages: true,
		// Timeout far from any test's run time: the last round (every job asked itself) never comes early on a loaded machine.
		options: { pollInterval: 0.25, timeout: 300, ...options },
	});

const isJobGet = (entry) => entry.method === 'GET' && /^\/jobs\/[^/]+\/[^/]+$/.test(entry.path);
const isList = (entry) => entry.method === 'GET' && entry.path === '/jobs';

/** Every item ended as its job did: success with its image, or item 3's failure. */
function expectEveryEndSeen(fake, result) {
	const output = result.outputOf(NODE_NAME);
	expect(output).toHaveLength(ITEMS);
	output.forEach((item, index) => {
		expect(item.pairedItem).toEqual({ item: index });
		if (index === 3) {
			expect(item.json.error).toMatch(/failed/);
			return;
		}
		expect(item.json.state).toBe('success');
		expect(fake.getJob(item.json.job_id).config.prompt).toBe(promptOf(index));
		expect(item.binary?.data_0?.mimeType).toBe('image/png');
	});
}

describe('batch status checks while waiting', () => {
	const fake = useFake();

	beforeEach(() => {
		fake.setLatency(10);
		fake.setOptions({ timing: { queuedMs: 100, runningMs: 700 } });
	});

	it('a list that serves: list pages instead of per-job GETs, every end seen', async () => {
		// Jobs of another type in the account: the job-type filter keeps them out of the pages.
		fake.seedJobs(30, { type: 'dreambooth' });
		const result = await runDreamlook(fake, waitParameters(), { inputItems: items(), continueOnFail: true });
		expect(result.error).toBeUndefined();
		expectEveryEndSeen(fake, result);
		const lists = fake.requests.filter(isList);
		const gets = fake.requests.filter(isJobGet);
		expect(lists.length).toBeGreaterThanOrEqual(2);
		lists.forEach((entry) => expect(entry.query).toMatchObject({ job_type: 'image-gen', limit: '100' }));
		// The last round (at the deadline only) asks jobs themselves; not needed here. A job left alone
		// at the end (a straggler on a loaded machine) is asked itself, once: a list is not worth it then.
		expect(gets.length).toBeLessThanOrEqual(1);
		// One list request per round, not one request per job, and rounds one interval apart.
		expect(lists.length).toBeLessThan(ITEMS);
		for (let k = 1; k < lists.length; k++) expect(lists[k].at - (lists[k - 1].at + lists[k - 1].durationMs)).toBeGreaterThanOrEqual(250 - 5);
	}, 30000);

	it('a list that does not exist (404): one GET per job, every end seen', async () => {
		fake.faults.add({ method: 'GET', path: /^\/jobs$/, times: Infinity, action: { status: 404 } });
		const result = await runDreamlook(fake, waitParameters(), { inputItems: items(), continueOnFail: true });
		expect(result.error).toBeUndefined();
		expectEveryEndSeen(fake, result);
		// Tried once, then never again in this wait.
		expect(fake.requests.filter(isList)).toHaveLength(1);
		for (const item of result.outputOf(NODE_NAME)) {
			if (item.json.job_id) expect(fake.requests.filter((entry) => isJobGet(entry) && entry.path.endsWith(`/${item.json.job_id}`)).length).toBeGreaterThanOrEqual(1);
		}
	}, 30000);

	it('a list that ignores the job-type filter: back to one GET per job after one page', async () => {
		fake.setOptions({ ignoreListFilters: true });
		fake.seedJobs(5, { type: 'dreambooth' });
		const result = await runDreamlook(fake, waitParameters(), { inputItems: items(), continueOnFail: true });
		expect(result.error).toBeUndefined();
		expectEveryEndSeen(fake, result);
		expect(fake.requests.filter(isList)).toHaveLength(1);
		expect(fake.requests.filter(isJobGet).length).toBeGreaterThanOrEqual(ITEMS);
	}, 30000);

	it('a list that ignores the page offset is not trusted', async () => {
		// 150 other image jobs, and one of ours never listed: the round reads a second page, which
		// is the first one again.
		fake.seedJobs(150, { type: 'image-gen' });
		fake.setOptions({ listHiddenPrompts: [promptOf(0)] });
		const original = fake.store.list.bind(fake.store);
		fake.store.list = (q, nowUs, behaviour) => original({ ...q, offset: 0 }, nowUs, behaviour);
		let result;
		try {
			result = await runDreamlook(fake, waitParameters(), { inputItems: items(), continueOnFail: true });
		} finally {
			fake.store.list = original;
		}
		expect(result.error).toBeUndefined();
		expectEveryEndSeen(fake, result);
		expect(fake.requests.filter(isList)).toHaveLength(2);
		expect(fake.requests.filter(isJobGet).length).toBeGreaterThanOrEqual(ITEMS);
	}, 30000);

	it('jobs the list does not show get their own GET; the others do not', async () => {
		fake.setOptions({ listHiddenPrompts: [promptOf(0), promptOf(5)] });
		const result = await runDreamlook(fake, waitParameters(), { inputItems: items(), continueOnFail: true });
		expect(result.error).toBeUndefined();
		expectEveryEndSeen(fake, result);
		const output = result.outputOf(NODE_NAME);
		const getsOf = (index) => fake.requests.filter((entry) => isJobGet(entry) && entry.path.endsWith(`/${output[index].json.job_id}`)).length;
		expect(getsOf(0)).toBeGreaterThanOrEqual(1);
		expect(getsOf(5)).toBeGreaterThanOrEqual(1);
		// Shown jobs are checked through the list. One may get a single GET of its own when it is the
		// last one left (or the hidden jobs are most of those left): then the wait leaves the list
		// (BatchStatus.shouldUse / the half rule), as designed; which job straggles depends on timing.
		const shown = [1, 2, 4, 6, 7];
		const lists = fake.requests.filter(isList).length;
		expect(lists).toBeGreaterThanOrEqual(2);
		for (const index of shown) expect(getsOf(index)).toBeLessThanOrEqual(1);
		expect(shown.map(getsOf).reduce((a, b) => a + b, 0)).toBeLessThan(shown.length);
	}, 30000);

	it('a list that shows too few of the awaited jobs is turned off', async () => {
		fake.setOptions({ listHiddenPrompts: [0, 1, 2, 4, 5, 6].map(promptOf) });
		const result = await runDreamlook(fake, waitParameters(), { inputItems: items(), continueOnFail: true });
		expect(result.error).toBeUndefined();
		expectEveryEndSeen(fake, result);
		expect(fake.requests.filter(isList)).toHaveLength(1);
	}, 30000);

	it('fewer than 5 jobs: one GET per job, no list request', async () => {
		const result = await runDreamlook(fake, waitParameters(), { inputItems: items(4), continueOnFail: true });
		expect(result.error).toBeUndefined();
		expect(result.outputOf(NODE_NAME)).toHaveLength(4);
		expect(fake.requests.filter(isList)).toHaveLength(0);
	}, 30000);
});
