'use strict';
// Money safety when nobody watches: n8n's own Retry On Fail (run by n8n-core's WorkflowExecute,
// which re-runs the whole node for every item), ambiguous creates, fail-fast after the create
// phase, fail-closed switches from expressions, the cost guard, unknown end states.
const { useFake, imageCreateParameters, runDreamlook, requestsTo, NODE_NAME } = require('./helpers');

const RETRY = { retryOnFail: true, maxTries: 3, waitBetweenTries: 0 };
const items = (...prompts) => prompts.map((prompt) => ({ json: { prompt } }));
const perItemPrompt = (overrides = {}) => imageCreateParameters({ prompt: '={{ $json.prompt }}', ...overrides });
const postsFor = (fake, prompt) => requestsTo(fake, 'POST', '/image_gen').filter((entry) => entry.body?.prompt === prompt);
const statusChecks = (fake) => requestsTo(fake, 'GET', '/jobs/');

describe('Retry On Fail never creates a second paid job', () => {
	const fake = useFake();

	it('an item whose create got no answer is found again by its tag on the retry, the other item is reused', async () => {
		// Try 1: item "a" is created but its answer is lost and the list cannot be read, so item "a"
		// fails and the node stops (item "b" was created). Try 2 (n8n's retry): both are reused.
		fake.faults.add({ method: 'POST', path: '/image_gen', times: 1, action: { dropAfterCommit: true } });
		const listFaults = fake.faults.add({ method: 'GET', path: /^\/jobs$/, times: 1, action: { status: 404 } });
		const result = await runDreamlook(fake, perItemPrompt({ options: { pollInterval: 0.2, timeout: 20, concurrency: 1 } }), {
			inputItems: items('a', 'b'),
			nodeSettings: RETRY,
		});
		expect(listFaults.hits).toBe(1);
		expect(result.error).toBeUndefined();
		expect(postsFor(fake, 'a')).toHaveLength(1);
		expect(postsFor(fake, 'b')).toHaveLength(1);
		expect(fake.jobs()).toHaveLength(2);
		const output = result.outputOf(NODE_NAME);
		expect(output.map((item) => item.json.job_id).sort()).toEqual(fake.jobs().map((job) => job.job_id).sort());
		expect(output.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(output.every((item) => item.binary?.data_0)).toBe(true);
	});

	it('a 502 after the job was created is never re-sent; when the job cannot be found the item says it may exist', async () => {
		fake.faults.add({ method: 'POST', path: '/image_gen', times: 1, action: { statusAfterCommit: 502 } });
		fake.faults.add({ method: 'GET', path: /^\/jobs$/, times: Infinity, action: { status: 404 } });
		const result = await runDreamlook(fake, perItemPrompt(), { inputItems: items('a'), nodeSettings: RETRY });
		expect(result.error?.message).toMatch(/may have been created/);
		expect(result.error?.description).toMatch(/Job → Get Many/);
		expect(result.error?.description).not.toMatch(/try again later/i);
		expect(postsFor(fake, 'a')).toHaveLength(1);
		expect(fake.jobs()).toHaveLength(1);
	});

	it('a known rejection is sent again on the retry, while the jobs already created are reused', async () => {
		// Item "b" is refused for lack of tokens on every try; item "a" is created once.
		fake.setBalance(1);
		const result = await runDreamlook(fake, perItemPrompt({ options: { pollInterval: 0.2, timeout: 20, concurrency: 1 } }), {
			inputItems: items('a', 'b'),
			nodeSettings: RETRY,
		});
		expect(result.error?.message).toMatch(/Not enough Dreamlook tokens/);
		expect(postsFor(fake, 'a')).toHaveLength(1);
		expect(postsFor(fake, 'b')).toHaveLength(3);
		expect(fake.jobs()).toHaveLength(1);
		expect(result.error?.description).toContain(fake.jobs()[0].job_id);
	});

	it('a different body on the retry (an expression that changed) is a new request', async () => {
		// Without the retry nothing is remembered across executions: two runs, two jobs.
		await runDreamlook(fake, perItemPrompt({ waitForCompletion: false }), { inputItems: items('a') });
		await runDreamlook(fake, perItemPrompt({ waitForCompletion: false }), { inputItems: items('a') });
		expect(postsFor(fake, 'a')).toHaveLength(2);
	});
});

describe('a failed create stops the node before waiting (without Continue On Fail)', () => {
	const fake = useFake();

	it('names the failed item and lists the jobs already created, without waiting for them', async () => {
		fake.setBalance(1);
		const result = await runDreamlook(fake, perItemPrompt({ options: { pollInterval: 0.2, timeout: 20, concurrency: 1 } }), {
			inputItems: items('a', 'b'),
		});
		expect(result.error?.message).toMatch(/Not enough Dreamlook tokens/);
		const [job] = fake.jobs();
		expect(result.error?.description).toContain(`item 1: ${job.job_id}`);
		expect(result.error?.description).toMatch(/Item 2 could not be created/);
		expect(statusChecks(fake)).toHaveLength(0);
		expect(requestsTo(fake, 'GET', '/images/')).toHaveLength(0);
	});

	it('with Continue On Fail the other items still wait and download', async () => {
		fake.setBalance(1);
		const result = await runDreamlook(fake, perItemPrompt({ options: { pollInterval: 0.2, timeout: 20, concurrency: 1 } }), {
			inputItems: items('a', 'b'),
			continueOnFail: true,
		});
		const output = result.outputOf(NODE_NAME);
		expect(output[0].binary?.data_0).toBeDefined();
		expect(output[1].json.error).toMatch(/Not enough Dreamlook tokens/);
	});
});

describe('money-relevant switches from expressions are read fail-closed', () => {
	const fake = useFake();
	const dryRun = (value) => perItemPrompt({ additionalFields: { dryRun: value } });

	it.each([['={{ "true" }}'], ['={{ 1 }}'], ['={{ "1" }}'], ['={{ true }}']])('Dry Run %s is a dry run: no job', async (value) => {
		const result = await runDreamlook(fake, dryRun(value), { inputItems: items('a') });
		expect(result.error).toBeUndefined();
		expect(result.outputOf(NODE_NAME)[0].json).toMatchObject({ state: 'dry_run', dry_run: true });
		expect(postsFor(fake, 'a')[0].body.dry_run).toBe(true);
		expect(fake.jobs()).toHaveLength(0);
	});

	it.each([['={{ "false" }}'], ['={{ 0 }}'], ['={{ "" }}']])('Dry Run %s creates the job', async (value) => {
		const result = await runDreamlook(fake, dryRun(value), { inputItems: items('a') });
		expect(result.error).toBeUndefined();
		expect(fake.jobs()).toHaveLength(1);
	});

	it.each([['={{ "yes" }}'], ['={{ "tru" }}'], ['={{ 2 }}']])('Dry Run %s is an error before any request', async (value) => {
		const result = await runDreamlook(fake, dryRun(value), { inputItems: items('a') });
		expect(result.error?.message).toMatch(/^Dry Run: must be true or false/);
		expect(fake.requests).toHaveLength(0);
	});

	it('Wait for Completion and Download Images from expressions: strings are read, nonsense is refused', async () => {
		const waitAsString = await runDreamlook(fake, perItemPrompt({ waitForCompletion: '={{ "false" }}' }), { inputItems: items('a') });
		expect(waitAsString.outputOf(NODE_NAME)[0].json.state).toBe('queued');
		expect(statusChecks(fake)).toHaveLength(0);
		fake.clearRequests();
		const nonsense = await runDreamlook(fake, perItemPrompt({ downloadImages: '={{ "maybe" }}' }), { inputItems: items('a') });
		expect(nonsense.error?.message).toMatch(/^Download Images: must be true or false \(got "maybe"\)/);
		expect(fake.requests).toHaveLength(0);
	});
});

describe('cost guard and the dry run answer', () => {
	const fake = useFake();

	it('sends Expected Token Cost as validate_token_cost; a differing cost is refused by Dreamlook', async () => {
		const matching = await runDreamlook(fake, perItemPrompt({ waitForCompletion: false, additionalFields: { expectedTokenCost: 1 } }), { inputItems: items('a') });
		expect(matching.error).toBeUndefined();
		expect(postsFor(fake, 'a')[0].body.validate_token_cost).toBe(1);
		const differing = await runDreamlook(fake, perItemPrompt({ waitForCompletion: false, additionalFields: { expectedTokenCost: 5 } }), { inputItems: items('b') });
		expect(differing.error?.message).toMatch(/Expected Token Cost/);
		expect(differing.error?.description).toMatch(/validate_token_cost mismatch: this job costs 1 tokens/);
		expect(fake.jobs()).toHaveLength(1);
	});

	it('0 (the default) sends no cost check', async () => {
		await runDreamlook(fake, perItemPrompt({ waitForCompletion: false, additionalFields: { expectedTokenCost: 0 } }), { inputItems: items('a') });
		expect(postsFor(fake, 'a')[0].body).not.toHaveProperty('validate_token_cost');
	});

	it('shows the dry run answer in full (a cost, when Dreamlook returns one)', async () => {
		fake.faults.add({ method: 'POST', path: '/image_gen', action: { status: 200, body: { job_id: 'TEST_abcdefgh', token_cost: 4 } } });
		const result = await runDreamlook(fake, perItemPrompt({ additionalFields: { dryRun: true } }), { inputItems: items('a') });
		expect(result.outputOf(NODE_NAME)[0].json).toMatchObject({ job_id: 'TEST_abcdefgh', token_cost: 4, state: 'dry_run' });
	});
});

describe('an end state the docs do not list ends the wait', () => {
	const fake = useFake();

	it('a cancelled job fails its item at once, naming the state, long before the Timeout', async () => {
		const result = await runDreamlook(fake, perItemPrompt({ options: { pollInterval: 0.2, timeout: 600 } }), { inputItems: items('CANCEL_ME now') });
		expect(result.error?.message).toMatch(/ended in state "cancelled"/);
		expect(result.error?.message).not.toMatch(/did not finish/);
		// Queued 100 ms + running 300 ms at a 200 ms interval: a handful of checks, not 600 s of them.
		expect(statusChecks(fake).length).toBeLessThan(10);
	});
});

describe('the wait Timeout is a hard bound', () => {
	const fake = useFake();

	it('status checks answered 503 with a long Retry-After do not stretch the wait past its Timeout', async () => {
		fake.setOptions({ timing: { queuedMs: 100, runningMs: 60000 } });
		fake.faults.add({ method: 'GET', path: '/jobs/', times: Infinity, action: { status: 503, retryAfter: 50 } });
		const started = Date.now();
		const result = await runDreamlook(fake, perItemPrompt({ options: { pollInterval: 0.2, timeout: 2 } }), { inputItems: items('a') });
		expect(result.error?.message).toMatch(/did not finish within 2 s/);
		// One 50 s Retry-After honoured would take 50 s: the wait ends by its 2 s deadline instead.
		expect(Date.now() - started).toBeLessThan(15000);
		expect(fake.jobs()).toHaveLength(1);
	});
});

describe('Get Many re-applies its filters when the server ignores them', () => {
	const fake = useFake();

	it('Job Type', async () => {
		fake.setOptions({ ignoreListFilters: true });
		fake.createJob({ type: 'image-gen', body: { prompt: 'x' } });
		fake.createJob({ type: 'dreambooth', body: { image_urls: ['https://example.com/a.jpg'], instance_prompt: 'photo of ukj person' } });
		const result = await runDreamlook(fake, { resource: 'job', operation: 'getMany', jobType: 'dreambooth', state: 'all', returnAll: true, simplify: true });
		expect(requestsTo(fake, 'GET', '/jobs')[0].query.job_type).toBe('dreambooth');
		const output = result.outputOf(NODE_NAME);
		expect(output).toHaveLength(1);
		expect(output[0].json.job_id).toMatch(/^db_/);
	});
});

describe('n8n retrying a failed execution (mode "retry")', () => {
	const fake = useFake();

	it('reuses the job the failed execution created for the same item and body, and creates anew otherwise', async () => {
		// The first execution creates the job, then fails at the wait (the job outlives the Timeout).
		fake.setOptions({ timing: { queuedMs: 100, runningMs: 1500 } });
		const first = await runDreamlook(fake, perItemPrompt({ options: { pollInterval: 0.2, timeout: 0.5 } }), { inputItems: items('a') });
		expect(first.error?.message).toMatch(/did not finish/);
		const retried = await runDreamlook(fake, perItemPrompt({ options: { pollInterval: 0.2, timeout: 20 } }), { inputItems: items('a', 'b'), mode: 'retry' });
		expect(retried.error).toBeUndefined();
		expect(postsFor(fake, 'a')).toHaveLength(1);
		expect(postsFor(fake, 'b')).toHaveLength(1);
		expect(retried.outputOf(NODE_NAME)[0].json.job_id).toBe(first.error?.message.match(/job (ig_\w+)/)?.[1]);
	});

	it('a job of the failed execution that ended in failure is not reused', async () => {
		const first = await runDreamlook(fake, perItemPrompt(), { inputItems: items('FAIL_ME') });
		expect(first.error?.message).toMatch(/failed/);
		await runDreamlook(fake, perItemPrompt(), { inputItems: items('FAIL_ME'), mode: 'retry' });
		expect(postsFor(fake, 'FAIL_ME')).toHaveLength(2);
	});
});
