'use strict';
// Waiting checks each job one interval after its own last answer (the Wait → HTTP Request loop's
// rhythm, per job): never more often than the interval, whatever the number of jobs.
const { useFake, imageCreateParameters, runDreamlook, NODE_NAME } = require('./helpers');

describe('wait rhythm', () => {
	const fake = useFake();

	it('6 jobs at Concurrency 2: each job checked at most once per interval, all out together, paired', async () => {
		// Per-job GETs, as when the job list does not serve (else it checks the 6 jobs, see batch-wait.test.js).
		fake.faults.add({ method: 'GET', path: /^\/jobs$/, times: Infinity, action: { status: 404 } });
		fake.setLatency(30);
		fake.setOptions({ timing: { queuedMs: 100, runningMs: 900 } });
		const items = Array.from({ length: 6 }, (_, i) => ({ json: { i } }));
		const result = await runDreamlook(
			fake,
			imageCreateParameters({
				prompt: '={{ "rhythm item " + $json.i }}',
				downloadImages: false,
				options: { pollInterval: 0.3, timeout: 20, concurrency: 2 },
			}),
			{ inputItems: items },
		);
		expect(result.error).toBeUndefined();
		const output = result.outputOf(NODE_NAME);
		expect(output.map((item) => item.json.state)).toEqual(Array(6).fill('success'));
		output.forEach((item, index) => {
			expect(item.pairedItem).toEqual({ item: index });
			expect(fake.getJob(item.json.job_id).config.prompt).toBe(`rhythm item ${index}`);
			const gets = fake.requests.filter((entry) => entry.method === 'GET' && entry.path.endsWith(`/${item.json.job_id}`));
			expect(gets.length).toBeGreaterThan(0);
			for (let k = 1; k < gets.length; k++) {
				// The next check leaves one interval after the previous answer arrived.
				expect(gets[k].at - (gets[k - 1].at + gets[k - 1].durationMs)).toBeGreaterThanOrEqual(300 - 5);
			}
		});
	}, 30000);
});
