'use strict';
// A 429 is a known rejection: the node repeats it more often than other failures, so many items
// against a concurrency limit all finish, with exactly one job each.
const { useFake, imageCreateParameters, runDreamlook, requestsTo, NODE_NAME } = require('./helpers');

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
