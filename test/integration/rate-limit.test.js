'use strict';
// A 429 is a known rejection: the node repeats it more often than other failures, so many items
// against a concurrency limit all finish, with exactly one job each.
const { useFake, resetFake, imageCreateParameters, runDreamlook, requestsTo, NODE_NAME } = require('./helpers');

const createOnly = (options = {}) =>
	imageCreateParameters({ prompt: '={{ "rate limit item " + $json.i }}', waitForCompletion: false, options });

describe('429 under load', () => {
	const fake = useFake();

	it('repeats a POST through more 429s than the general attempt limit: one job', async () => {
		fake.faults.add({ method: 'POST', path: '/image_gen', times: 6, action: { status: 429, retryAfter: 0 } });
		const result = await runDreamlook(fake, createOnly(), { inputItems: [{ json: { i: 0 } }] });
		expect(result.error).toBeUndefined();
		expect(requestsTo(fake, 'POST', '/image_gen')).toHaveLength(7);
		expect(fake.jobs()).toHaveLength(1);
	}, 20000);

	it('gives up after a bounded number of 429s', async () => {
		fake.faults.add({ method: 'POST', path: '/image_gen', times: Infinity, action: { status: 429, retryAfter: 0 } });
		const result = await runDreamlook(fake, createOnly(), { inputItems: [{ json: { i: 0 } }] });
		expect(result.error?.message).toMatch(/rate limiting.*tried 12 times/);
		expect(requestsTo(fake, 'POST', '/image_gen')).toHaveLength(12);
		expect(fake.jobs()).toHaveLength(0);
	}, 20000);

	it('40 items at concurrency 40 against a server that allows 5 in flight: all created, no duplicate', async () => {
		fake.setLatency(50);
		fake.setMaxInFlight(5, { retryAfter: 0 });
		const items = Array.from({ length: 40 }, (_, i) => ({ json: { i } }));
		const result = await runDreamlook(fake, createOnly({ concurrency: 40 }), { inputItems: items });
		expect(result.error).toBeUndefined();
		const output = result.outputOf(NODE_NAME);
		expect(output).toHaveLength(40);
		expect(output.filter((item) => item.json.error)).toEqual([]);
		expect(requestsTo(fake, 'POST', '/image_gen').some((entry) => entry.status === 429)).toBe(true);
		const prompts = fake.jobs().map((job) => job.config.prompt);
		expect(new Set(prompts).size).toBe(40);
		expect(prompts).toHaveLength(40);
		output.forEach((item, index) => {
			expect(item.pairedItem).toEqual({ item: index });
			expect(fake.getJob(item.json.job_id).config.prompt).toBe(`rate limit item ${index}`);
		});
	}, 30000);
});

describe('Concurrency Auto (the default)', () => {
	const fake = useFake();
	const items = (count) => Array.from({ length: count }, (_, i) => ({ json: { i } }));

	/** Every item has exactly one job with its own prompt, paired to its input. */
	function expectOneJobEach(result, count) {
		expect(result.error).toBeUndefined();
		const output = result.outputOf(NODE_NAME);
		expect(output).toHaveLength(count);
		expect(output.filter((item) => item.json.error)).toEqual([]);
		const prompts = fake.jobs().map((job) => job.config.prompt);
		expect(prompts).toHaveLength(count);
		expect(new Set(prompts).size).toBe(count);
		output.forEach((item, index) => expect(fake.getJob(item.json.job_id).config.prompt).toBe(`rate limit item ${index}`));
	}

	it('no server limit: starts at the ceiling of 128 (paced), never more in flight', async () => {
		// Warm-up: the first requests of a test file load modules (slow under Jest), which would space them.
		await runDreamlook(fake, createOnly(), { inputItems: items(4) });
		resetFake(fake);
		// 1 s per answer: even on a loaded machine (several ms per start) all first starts fit before the first answer.
		fake.setLatency(1000);
		fake.resetStats();
		const result = await runDreamlook(fake, createOnly(), { inputItems: items(150) });
		expectOneJobEach(result, 150);
		expect(fake.stats.maxInFlight).toBe(128);
		// More than the former ceiling of 64 leave before the first answer (128 unless starts take 8 ms each), never more than 128.
		const posts = requestsTo(fake, 'POST', '/image_gen');
		const firstAnswerAt = Math.min(...posts.map((entry) => entry.at + entry.durationMs));
		const beforeFirstAnswer = posts.filter((entry) => entry.at < firstAnswerAt).length;
		expect(beforeFirstAnswer).toBeGreaterThan(64);
		expect(beforeFirstAnswer).toBeLessThanOrEqual(128);
	}, 30000);

	it('a server that allows 5 in flight (429 + Retry-After above): every item once, 429s stop after the first burst', async () => {
		fake.setLatency(50);
		fake.setMaxInFlight(5, { retryAfter: 1 });
		const result = await runDreamlook(fake, createOnly(), { inputItems: items(40) });
		expectOneJobEach(result, 40);
		const posts = requestsTo(fake, 'POST', '/image_gen');
		const rejected = posts.filter((entry) => entry.status === 429);
		expect(rejected.length).toBeGreaterThan(0);
		// The limit is learned: 429s come in the first burst only, not again for every wave of items.
		const firstRejectedAt = Math.min(...rejected.map((entry) => entry.at));
		expect(rejected.filter((entry) => entry.at > firstRejectedAt + 300).length).toBeLessThanOrEqual(2);
	}, 30000);

	it('an option stored as a number keeps that fixed number (no growth)', async () => {
		fake.setLatency(50);
		fake.resetStats();
		const result = await runDreamlook(fake, createOnly({ concurrency: 3 }), { inputItems: items(20) });
		expectOneJobEach(result, 20);
		expect(fake.stats.maxInFlight).toBe(3);
	}, 30000);

	it('"auto" from an expression is Auto', async () => {
		fake.setLatency(100);
		fake.resetStats();
		const result = await runDreamlook(fake, createOnly({ concurrency: '={{ "auto" }}' }), { inputItems: items(40) });
		expectOneJobEach(result, 40);
		expect(fake.stats.maxInFlight).toBeGreaterThan(16);
	}, 30000);
});
