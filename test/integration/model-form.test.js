'use strict';
// Issue 12, "a form that knows the model": Model Type drives every default, a base model of the other
// type is refused before any request, per-item settings are honoured, per-run Options may not differ,
// and a failed job's readable failure text reaches the error.
const { useFake, imageCreateParameters, runDreamlook, requestsTo, NODE_NAME } = require('./helpers');

const trainingParameters = (overrides = {}) => ({
	resource: 'training',
	operation: 'create',
	imageUrls: 'https://example.com/me-1.jpg\nhttps://example.com/me-2.jpg',
	instancePrompt: 'photo of ukj person',
	modelType: 'sd-v1',
	waitForCompletion: false,
	simplify: true,
	additionalFields: {},
	options: {},
	...overrides,
});

describe('Model Type drives the defaults', () => {
	const fake = useFake();

	it.each([
		['sdxl-v1', 'stable-diffusion-xl-v1-0', 'dpmpp-2m-karras'],
		['sd-v1', 'stable-diffusion-v1-5', 'dpm++'],
	])('Image → Create %s with Base Model and Scheduler added at their defaults sends that type\'s values', async (modelType, baseModel, scheduler) => {
		// What the editor stores when the two fields are added and left as they are.
		const additionalFields = { baseModel: '', schedulerType: '', numInferenceSteps: 20, guidanceScale: 7.5 };
		const result = await runDreamlook(fake, imageCreateParameters({ modelType, waitForCompletion: false, additionalFields }));
		expect(result.error).toBeUndefined();
		const [post] = requestsTo(fake, 'POST', '/image_gen');
		expect(post.body).toMatchObject({ model_type: modelType, base_model: baseModel, scheduler_type: scheduler, num_inference_steps: 20, guidance_scale: 7.5 });
	});

	it('Training → Create SDXL with Steps, Learning Rate and Base Model added at their defaults sends SDXL\'s values', async () => {
		const additionalFields = { baseModel: '', steps: 0, learningRate: 0, learningRateTe1: 0.000003, learningRateTe2: 0 };
		const result = await runDreamlook(fake, trainingParameters({ modelType: 'sdxl-v1', additionalFields }));
		expect(result.error).toBeUndefined();
		const [post] = requestsTo(fake, 'POST', '/dreambooth');
		expect(post.body).toMatchObject({
			model_type: 'sdxl-v1',
			base_model: 'stable-diffusion-xl-v1-0',
			steps: 1500,
			learning_rate: 0.00001,
			learning_rate_te1: 0.000003,
			learning_rate_te2: 0,
		});
	});

	it('Training → Create SD 1.5 with the same fields sends SD 1.5\'s values and no text-encoder rates', async () => {
		const result = await runDreamlook(fake, trainingParameters({ additionalFields: { baseModel: '', steps: 0, learningRate: 0 } }));
		expect(result.error).toBeUndefined();
		const [post] = requestsTo(fake, 'POST', '/dreambooth');
		expect(post.body).toMatchObject({ model_type: 'sd-v1', base_model: 'stable-diffusion-v1-5', steps: 1200, learning_rate: 0.000001 });
		expect(post.body.learning_rate_te1).toBeUndefined();
		expect(post.body.learning_rate_te2).toBeUndefined();
	});

	it('a value the user set is sent as set', async () => {
		const result = await runDreamlook(fake, trainingParameters({ modelType: 'sdxl-v1', additionalFields: { steps: 800, learningRate: 0.000002, baseModel: 'realism-engine-sdxl-v3-0' } }));
		expect(result.error).toBeUndefined();
		expect(requestsTo(fake, 'POST', '/dreambooth')[0].body).toMatchObject({ steps: 800, learning_rate: 0.000002, base_model: 'realism-engine-sdxl-v3-0' });
	});

	it.each([
		['Image → Create', imageCreateParameters({ modelType: 'sdxl-v1', additionalFields: { baseModel: 'realistic-vision-v5-1' } }), '/image_gen',
			/^Base Model: Realistic Vision 5\.1 is a Stable Diffusion 1\.5 model, but Model Type is Stable Diffusion XL$/],
		['Training → Create', trainingParameters({ additionalFields: { baseModel: 'stable-diffusion-xl-v1-0' } }), '/dreambooth',
			/^Base Model: Stable Diffusion XL 1\.0 is a Stable Diffusion XL model, but Model Type is Stable Diffusion 1\.5$/],
		['Train and Generate', trainingParameters({ operation: 'trainAndGenerate', generationPrompts: 'photo of ukj person', imagesPerPrompt: 1, imageWidth: 512, imageHeight: 512,
			additionalFields: { baseModel: 'stable-diffusion-xl-v1-0' } }), '/dreambooth_image_gen', /^Base Model: .* but Model Type is Stable Diffusion 1\.5$/],
	])('%s refuses a base model of the other model type before any request', async (_name, parameters, path, message) => {
		const result = await runDreamlook(fake, parameters);
		expect(result.error?.message).toMatch(message);
		expect(result.error?.description).toMatch(/Pick a Stable Diffusion/);
		expect(requestsTo(fake, 'POST', path)).toHaveLength(0);
	});

	it('refuses SDXL-only fields with SD 1.5 and an unknown model type from an expression', async () => {
		let result = await runDreamlook(fake, trainingParameters({ additionalFields: { learningRateTe1: 0.000003 } }));
		expect(result.error?.message).toBe('Learning Rate Text Encoder 1 (SDXL): applies to Stable Diffusion XL only, but Model Type is Stable Diffusion 1.5');
		result = await runDreamlook(fake, imageCreateParameters({ modelType: '={{ "sdxl" }}' }));
		expect(result.error?.message).toMatch(/^Model Type: must be "sd-v1" .* or "sdxl-v1" .* \(got "sdxl"\)/);
		expect(fake.requests.filter((entry) => entry.method === 'POST')).toHaveLength(0);
	});
});

describe('settings per item and per run', () => {
	const fake = useFake();
	const inputItems = [{ json: { n: 0, wait: true, download: true, simplify: true } }, { json: { n: 1, wait: true, download: false, simplify: false } }, { json: { n: 2, wait: false, download: true, simplify: true } }];

	it('Wait for Completion, Download Images and Simplify take each item\'s own value', async () => {
		const result = await runDreamlook(
			fake,
			imageCreateParameters({
				prompt: '={{ "harbour " + $json.n }}',
				waitForCompletion: '={{ $json.wait }}',
				downloadImages: '={{ $json.download }}',
				simplify: '={{ $json.simplify }}',
			}),
			{ inputItems },
		);
		expect(result.error).toBeUndefined();
		const [first, second, third] = result.outputOf(NODE_NAME);
		expect(first.json).toMatchObject({ state: 'success', image_urls: [expect.any(String)] });
		expect(Object.keys(first.binary ?? {})).toEqual(['data_0']);
		expect(second.json).toMatchObject({ state: 'success', image_gen_results: expect.any(Array) });
		expect(second.binary).toBeUndefined();
		expect(third.json).toMatchObject({ state: 'queued' });
		expect(third.binary).toBeUndefined();
		expect(requestsTo(fake, 'GET', `/jobs/image-gen/${third.json.job_id}`)).toHaveLength(0);
	});

	it('a bad per-item switch fails only that item with Continue On Fail', async () => {
		const result = await runDreamlook(fake, imageCreateParameters({ waitForCompletion: false, simplify: '={{ $json.n === 1 ? "yes" : true }}' }), { inputItems, continueOnFail: true });
		const output = result.outputOf(NODE_NAME);
		expect(output[1].json.error).toMatch(/^Simplify: must be true or false \(got "yes"\)/);
		expect(output[0].json.state).toBe('queued');
		expect(output[2].json.state).toBe('queued');
		expect(requestsTo(fake, 'POST', '/image_gen')).toHaveLength(2);
	});

	it('Options that differ per item are an error naming the option, before any request', async () => {
		const result = await runDreamlook(fake, imageCreateParameters({ options: { pollInterval: 0.2, timeout: '={{ $json.n === 2 ? 30 : 20 }}' } }), { inputItems });
		expect(result.error?.message).toBe('Timeout (Seconds): must be the same for every item (item 1: 20, item 3: 30)');
		expect(result.error?.description).toMatch(/Options apply to the whole run/);
		expect(fake.requests.filter((entry) => entry.method === 'POST')).toHaveLength(0);
	});

	it('Options from an expression that gives one value for all items are fine', async () => {
		const result = await runDreamlook(fake, imageCreateParameters({ waitForCompletion: false, options: { binaryPrefix: '={{ "img" }}', timeout: '={{ 10 + 10 }}' } }), { inputItems });
		expect(result.error).toBeUndefined();
		expect(result.outputOf(NODE_NAME)).toHaveLength(3);
	});
});

describe('failure text', () => {
	const fake = useFake();

	it('a failed job\'s error shows Dreamlook\'s readable failure text, and its code in the description', async () => {
		const result = await runDreamlook(fake, imageCreateParameters({ prompt: 'FAIL_ME please' }));
		expect(result.error?.message).toMatch(/^The image generation job ig_\w+ failed on Dreamlook: The prompt contains FAIL_ME$/);
		expect(result.error?.description).toMatch(/^Dreamlook's failure code: test_failure_requested\. /);
	});

	it('Job → Get of a failed job has failure_message in the simplified output', async () => {
		const job = fake.createJob({ type: 'dreambooth', outcome: 'failure', failure_reason: 'no_face', failure_reason_data: { detail: 'No face found in image 2' } });
		fake.finishJob(job.job_id, 'failure', { failure_reason: 'no_face', failure_reason_data: 'No face found in image 2' });
		const result = await runDreamlook(fake, { resource: 'job', operation: 'get', jobId: job.job_id, jobType: 'fromJobId', simplify: true });
		expect(result.error).toBeUndefined();
		expect(result.outputOf(NODE_NAME)[0].json).toMatchObject({ state: 'failure', failure_reason: 'no_face', failure_message: 'No face found in image 2' });
	});
});
