'use strict';
const { useFake, imageCreateParameters: imageParameters, loadWorkflow, runFixture, runDreamlook, requestsTo, NODE_NAME } = require('./helpers');


describe('Image → Create in a workflow', () => {
	const fake = useFake();

	it('creates, waits, downloads every image as binary and hands them to the next node', async () => {
		const result = await runFixture(fake, loadWorkflow('generate-and-measure'));
		expect(result.error).toBeUndefined();
		const [item] = result.outputOf('Use Images');
		expect(item.json.state).toBe('success');
		expect(item.json.image_urls).toHaveLength(2);
		expect(item.json.seeds).toEqual([1234, 1235]);
		expect(item.json.running_duration).toEqual(expect.any(Number));
		expect(Object.keys(item.binary).sort()).toEqual(['data_0', 'data_1']);

		const job = fake.getJob(item.json.job_id);
		const imageIds = job.image_gen_results[0].generated_images.map((image) => image.generated_image_id);
		for (const [index, imageId] of imageIds.entries()) {
			const bytes = await result.binaryBuffer('Create Image Job', 0, `data_${index}`);
			expect(bytes.equals(fake.imageBytesFor(imageId))).toBe(true);
			expect(item.binary[`data_${index}`].mimeType).toBe('image/png');
			expect(item.binary[`data_${index}`].fileName).toBe(`${item.json.job_id}_${index}.png`);
		}
		expect(requestsTo(fake, 'POST', '/image_gen')).toHaveLength(1);
		const sent = requestsTo(fake, 'POST', '/image_gen')[0].body;
		expect(sent).toMatchObject({ prompt: 'photo of a red fox in the snow', num_samples: 2, seed: 1234, scheduler_type: 'dpm++', base_model: 'stable-diffusion-v1-5' });
		// Progress is logged through n8n's logger, once per state change.
		const progress = result.logs.filter((log) => log.message.startsWith(`Dreamlook job ${item.json.job_id}:`));
		expect(progress.some((log) => / success/.test(log.message))).toBe(true);
	});

	it('sends the request with the bearer key and SDXL defaults', async () => {
		const result = await runDreamlook(fake, imageParameters({ modelType: 'sdxl-v1', width: 1024, height: 1024, waitForCompletion: false }));
		expect(result.error).toBeUndefined();
		const [post] = requestsTo(fake, 'POST', '/image_gen');
		expect(post.authorized).toBe(true);
		expect(post.body).toMatchObject({ model_type: 'sdxl-v1', base_model: 'stable-diffusion-xl-v1-0', scheduler_type: 'dpmpp-2m-karras' });
		const [item] = result.outputOf(NODE_NAME);
		expect(item.json).toMatchObject({ state: 'queued', job_type: 'image-gen' });
		expect(item.json.job_id).toMatch(/^ig_/);
	});

	it('keeps every item paired to its input and waits for all jobs together', async () => {
		const inputItems = [0, 1, 2, 3, 4].map((n) => ({ json: { n } }));
		const result = await runDreamlook(fake, imageParameters({ prompt: '={{ "cat number " + $json.n }}', downloadImages: false }), { inputItems });
		expect(result.error).toBeUndefined();
		const output = result.outputOf(NODE_NAME);
		expect(output).toHaveLength(5);
		output.forEach((item, index) => {
			expect(item.pairedItem).toEqual({ item: index });
			expect(item.json.state).toBe('success');
			expect(fake.getJob(item.json.job_id).config.prompt).toBe(`cat number ${index}`);
		});
	});

	it('returns the raw job object, unknown fields kept, when Simplify is off', async () => {
		const result = await runDreamlook(fake, imageParameters({ simplify: false, downloadImages: false }));
		const [item] = result.outputOf(NODE_NAME);
		expect(item.json).toMatchObject({ state: 'success', job_type: 'image-gen', config: expect.any(Object) });
		expect(item.json.image_gen_results[0].generated_images).toHaveLength(1);
		expect(item.json.queueing_state).toBeDefined();
	});

	it('generates with a trained checkpoint', async () => {
		const training = fake.createJob({ type: 'dreambooth', outcome: 'success' });
		fake.finishJob(training.job_id, 'success');
		const checkpointId = fake.getJob(training.job_id).dreambooth_result.checkpoints[0].checkpoint_id;
		const result = await runDreamlook(fake, imageParameters({ downloadImages: false, additionalFields: { checkpointId } }));
		expect(result.error).toBeUndefined();
		const [post] = requestsTo(fake, 'POST', '/image_gen');
		expect(post.body.checkpoint_id).toBe(checkpointId);
		expect(post.body.base_model).toBeUndefined();
	});

	describe('a Callback URL Dreamlook cannot reach', () => {
		const local = 'http://localhost:5678/webhook-waiting/17?signature=abc';

		it('fails before any request when the API is on the internet and the callback on this machine', async () => {
			// the check needs no request: the Base URL below is never contacted
			const result = await runDreamlook(fake, imageParameters({ waitForCompletion: false, additionalFields: { callbackUrl: local } }), { baseUrl: 'https://api.dreamlook.ai' });
			expect(result.error?.message).toBe('Dreamlook cannot reach the Callback URL: localhost is this machine or a private network (Callback URL)');
			expect(result.error?.description).toMatch(/WEBHOOK_URL.*Nothing was sent to Dreamlook/);
			const privateNet = await runDreamlook(fake, imageParameters({ waitForCompletion: false, additionalFields: { callbackUrl: 'http://192.168.1.20:5678/webhook/x/dreamlook' } }), { baseUrl: 'https://api.dreamlook.ai', continueOnFail: true });
			expect(privateNet.outputOf(NODE_NAME)[0].json.error).toMatch(/192\.168\.1\.20 is this machine or a private network/);
		});

		it('is sent when the API is local too (the fake, a local proxy), and a public callback always is', async () => {
			const result = await runDreamlook(fake, imageParameters({ waitForCompletion: false, additionalFields: { callbackUrl: local } }));
			expect(result.error).toBeUndefined();
			expect(fake.getJob(result.outputOf(NODE_NAME)[0].json.job_id).config.callback).toBe(local);
			const pub = await runDreamlook(fake, imageParameters({ waitForCompletion: false, additionalFields: { callbackUrl: 'https://n8n.example.com/webhook/x/dreamlook' } }));
			expect(pub.error).toBeUndefined();
		});
	});

	it('answers a dry run without waiting and without a stored job', async () => {
		const result = await runDreamlook(fake, imageParameters({ additionalFields: { dryRun: true } }));
		const [item] = result.outputOf(NODE_NAME);
		expect(item.json).toMatchObject({ state: 'dry_run', dry_run: true });
		expect(item.json.job_id).toMatch(/^TEST_/);
		expect(requestsTo(fake, 'GET', '/jobs')).toHaveLength(0);
	});

	it('re-signs expired image links by fetching the job again', async () => {
		fake.faults.add({ method: 'GET', path: '/images/', times: 1, action: { status: 403, body: '<Error><Code>ExpiredToken</Code></Error>' } });
		const result = await runDreamlook(fake, imageParameters());
		expect(result.error).toBeUndefined();
		const [item] = result.outputOf(NODE_NAME);
		expect(item.binary.data_0).toBeDefined();
		const jobGets = requestsTo(fake, 'GET', `/jobs/image-gen/${item.json.job_id}`);
		expect(jobGets.length).toBeGreaterThanOrEqual(2);
	});

	it('fails an item whose job ends in failure, with the reason', async () => {
		const result = await runDreamlook(fake, imageParameters({ prompt: 'FAIL_ME please' }));
		expect(result.error?.message).toMatch(/^The image generation job ig_\w+ failed on Dreamlook: The prompt contains FAIL_ME$/);
		expect(result.error?.description).toMatch(/failure code: test_failure_requested/);
	});

	it('stops at the timeout and names the job, its last state and the ways out', async () => {
		fake.setOptions({ timing: { queuedMs: 100, runningMs: 60000 } });
		const result = await runDreamlook(fake, imageParameters({ options: { pollInterval: 0.2, timeout: 1 } }));
		expect(result.error?.message).toMatch(/job ig_\w+ did not finish within 1 s \(last state: (queued|running)/);
		expect(result.error?.description).toMatch(/Timeout.*Job → Get.*Dreamlook Trigger/s);
	});

	it('honours Stop Execution while waiting', async () => {
		fake.setOptions({ timing: { queuedMs: 100, runningMs: 60000 } });
		const started = Date.now();
		const result = await runDreamlook(fake, imageParameters({ options: { pollInterval: 5, timeout: 600 } }), { abortAfterMs: 500 });
		expect(Date.now() - started).toBeLessThan(4000);
		expect(result.status === 'canceled' || result.error !== undefined).toBe(true);
		expect(result.outputOf(NODE_NAME)).toHaveLength(0);
	});
});
