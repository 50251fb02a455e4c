'use strict';
const { useFake, runDreamlook, requestsTo, NODE_NAME } = require('./helpers');

const list = (overrides = {}) => ({
	resource: 'job',
	operation: 'getMany',
	jobType: 'all',
	state: 'all',
	returnAll: false,
	limit: 50,
	simplify: true,
	...overrides,
});

describe('Job → Get', () => {
	const fake = useFake();

	it('returns the validated job with unknown fields kept', async () => {
		const job = fake.createJob({ type: 'image-gen' });
		fake.finishJob(job.job_id, 'success');
		const result = await runDreamlook(fake, { resource: 'job', operation: 'get', jobId: job.job_id, jobType: 'fromJobId', simplify: false });
		const [item] = result.outputOf(NODE_NAME);
		expect(item.json).toMatchObject({ job_id: job.job_id, state: 'success', job_type: 'image-gen' });
		expect(item.json.queueing_state).toBeDefined();
		expect(item.pairedItem).toEqual({ item: 0 });
	});

	it('falls back to the image_gen spelling once when image-gen answers 404', async () => {
		fake.setOptions({ imageGenPathSegment: 'image_gen' });
		const job = fake.createJob({ type: 'image-gen' });
		const result = await runDreamlook(fake, { resource: 'job', operation: 'get', jobId: job.job_id, jobType: 'imageGen', simplify: true });
		expect(result.error).toBeUndefined();
		expect(result.outputOf(NODE_NAME)[0].json.job_id).toBe(job.job_id);
		expect(requestsTo(fake, 'GET', '/jobs/image-gen/')).toHaveLength(1);
		expect(requestsTo(fake, 'GET', '/jobs/image_gen/')).toHaveLength(1);
	});

	it('downloads the images of a finished job on request', async () => {
		const job = fake.createJob({ type: 'image-gen', body: { prompt: 'x', num_samples: 3 } });
		fake.finishJob(job.job_id, 'success');
		const result = await runDreamlook(fake, { resource: 'job', operation: 'get', jobId: job.job_id, jobType: 'fromJobId', simplify: true, downloadImages: true });
		expect(result.error).toBeUndefined();
		const [item] = result.outputOf(NODE_NAME);
		expect(Object.keys(item.binary)).toEqual(['data_0', 'data_1', 'data_2']);
	});

	it('reads training jobs with their checkpoint IDs', async () => {
		const job = fake.createJob({ type: 'dreambooth', body: { image_urls: ['https://example.com/a.jpg'], instance_prompt: 'photo of ukj person', extract_lora: 'original' } });
		fake.finishJob(job.job_id, 'success');
		const result = await runDreamlook(fake, { resource: 'job', operation: 'get', jobId: job.job_id, jobType: 'fromJobId', simplify: true });
		const [item] = result.outputOf(NODE_NAME);
		expect(item.json.checkpoint_ids).toHaveLength(1);
		expect(item.json.checkpoint_ids[0]).toMatch(/^ckp_/);
		expect(item.json.lora_checkpoint_ids).toHaveLength(1);
		expect(requestsTo(fake, 'GET', `/jobs/dreambooth/${job.job_id}`)).toHaveLength(1);
	});

	describe('Wait for Completion', () => {
		const get = (jobId, extra = {}) => ({ resource: 'job', operation: 'get', jobId, jobType: 'fromJobId', simplify: true, ...extra });

		it('waits for a running job, then downloads its images; without it the job is returned as it is now', async () => {
			const job = fake.createJob({ type: 'image-gen', body: { prompt: 'x', num_samples: 2 } });
			const now = await runDreamlook(fake, get(job.job_id));
			expect(now.outputOf(NODE_NAME)[0].json.state).not.toBe('success');
			const waited = await runDreamlook(fake, get(job.job_id, { waitForCompletion: true, waitOptions: { pollInterval: 0.1, timeout: 20 }, downloadImages: true }));
			expect(waited.error).toBeUndefined();
			const [item] = waited.outputOf(NODE_NAME);
			expect(item.json).toMatchObject({ job_id: job.job_id, state: 'success' });
			expect(Object.keys(item.binary)).toEqual(['data_0', 'data_1']);
			expect(requestsTo(fake, 'GET', `/jobs/image-gen/${job.job_id}`).length).toBeGreaterThan(2);
		});

		it('a job that does not finish within the Timeout fails its item naming the job; a finished job costs one GET', async () => {
			const stuck = fake.createJob({ type: 'image-gen', queuedMs: 1e9, runningMs: 1e9 });
			const result = await runDreamlook(fake, get(stuck.job_id, { waitForCompletion: true, waitOptions: { pollInterval: 0.1, timeout: 0.5 } }));
			expect(result.error?.message).toMatch(new RegExp(`${stuck.job_id} did not finish within`));
			const done = fake.createJob({ type: 'image-gen' });
			fake.finishJob(done.job_id, 'failure', { failure_reason: 'nsfw' });
			const failed = await runDreamlook(fake, get(done.job_id, { waitForCompletion: true }));
			expect(failed.outputOf(NODE_NAME)[0].json.state).toBe('failure');
			expect(requestsTo(fake, 'GET', `/jobs/image-gen/${done.job_id}`)).toHaveLength(1);
		});
	});
});

describe('Job → Get Many', () => {
	const fake = useFake();

	it('pages through everything with Return All', async () => {
		fake.seedJobs(250, { type: 'image-gen' });
		const result = await runDreamlook(fake, list({ returnAll: true }));
		const output = result.outputOf(NODE_NAME);
		expect(output).toHaveLength(250);
		expect(new Set(output.map((item) => item.json.job_id)).size).toBe(250);
		expect(requestsTo(fake, 'GET', '/jobs').map((request) => request.query.offset)).toEqual(['0', '100', '200']);
		expect(output.every((item) => item.pairedItem.item === 0)).toBe(true);
	});

	it('stops at the limit, with one request when it fits a page', async () => {
		fake.seedJobs(80);
		const result = await runDreamlook(fake, list({ limit: 30 }));
		expect(result.outputOf(NODE_NAME)).toHaveLength(30);
		expect(requestsTo(fake, 'GET', '/jobs')).toHaveLength(1);
		expect(requestsTo(fake, 'GET', '/jobs')[0].query.limit).toBe('30');
	});

	it('filters by job type and state', async () => {
		const done = fake.createJob({ type: 'dreambooth' });
		fake.finishJob(done.job_id, 'success');
		fake.createJob({ type: 'dreambooth' });
		const image = fake.createJob({ type: 'image-gen' });
		fake.finishJob(image.job_id, 'success');
		const result = await runDreamlook(fake, list({ jobType: 'dreambooth', state: 'success' }));
		const output = result.outputOf(NODE_NAME);
		expect(output.map((item) => item.json.job_id)).toEqual([done.job_id]);
		expect(requestsTo(fake, 'GET', '/jobs')[0].query).toMatchObject({ job_type: 'dreambooth', state: 'success' });
	});

	it('reads a bare-array list body too', async () => {
		fake.setOptions({ listShape: 'array' });
		fake.seedJobs(120);
		const result = await runDreamlook(fake, list({ returnAll: true }));
		expect(result.outputOf(NODE_NAME)).toHaveLength(120);
	});
});

describe('Training → Create', () => {
	const fake = useFake();

	it('trains with SDXL defaults, waits, and returns checkpoint IDs ready for image generation', async () => {
		const result = await runDreamlook(fake, {
			resource: 'training',
			operation: 'create',
			imageUrls: 'https://example.com/me-1.jpg, https://example.com/me-2.jpg\nhttps://example.com/me-3.jpg',
			instancePrompt: 'photo of ukj person',
			modelType: 'sdxl-v1',
			waitForCompletion: true,
			simplify: true,
			additionalFields: { imageCaptions: '{"me-1.jpg": "photo of ukj person smiling"}' },
			options: { pollInterval: 0.2, timeout: 20 },
		});
		expect(result.error).toBeUndefined();
		const [post] = requestsTo(fake, 'POST', '/dreambooth');
		expect(post.body).toMatchObject({
			image_urls: ['https://example.com/me-1.jpg', 'https://example.com/me-2.jpg', 'https://example.com/me-3.jpg'],
			model_type: 'sdxl-v1',
			base_model: 'stable-diffusion-xl-v1-0',
			steps: 1500,
			learning_rate: 0.00001,
			learning_rate_te1: 0.000003,
			learning_rate_te2: 0,
			image_captions: { 'me-1.jpg': 'photo of ukj person smiling' },
		});
		const [item] = result.outputOf(NODE_NAME);
		expect(item.json.state).toBe('success');
		expect(item.json.checkpoint_ids[0]).toMatch(/^ckp_/);
	});
});

describe('Training → Train and Generate', () => {
	const fake = useFake();
	const trainAndGenerate = (overrides = {}) => ({
		resource: 'training',
		operation: 'trainAndGenerate',
		imageUrls: 'https://example.com/me-1.jpg\nhttps://example.com/me-2.jpg',
		instancePrompt: 'photo of ukj person',
		modelType: 'sd-v1',
		generationPrompts: 'photo of ukj person as an astronaut, cinematic\nphoto of ukj person as a pirate',
		imagesPerPrompt: 2,
		imageWidth: 512,
		imageHeight: 768,
		waitForCompletion: true,
		downloadImages: true,
		simplify: true,
		additionalFields: {},
		options: { pollInterval: 0.2, timeout: 20 },
		...overrides,
	});

	it('trains and generates in one job: checkpoint IDs and every image as binary', async () => {
		const result = await runDreamlook(fake, trainAndGenerate());
		expect(result.error).toBeUndefined();
		const [post] = requestsTo(fake, 'POST', '/dreambooth_image_gen');
		expect(post.body.dreambooth).toMatchObject({ image_urls: ['https://example.com/me-1.jpg', 'https://example.com/me-2.jpg'], steps: 1200 });
		// A prompt may contain commas: one prompt per line.
		expect(post.body.image_gen.map((entry) => entry.prompt)).toEqual(['photo of ukj person as an astronaut, cinematic', 'photo of ukj person as a pirate']);
		expect(post.body.image_gen[0]).toMatchObject({ num_samples: 2, width: 512, height: 768, scheduler_type: 'dpm++' });
		const [item] = result.outputOf(NODE_NAME);
		expect(item.json.job_id).toMatch(/^dbig_/);
		expect(item.json.checkpoint_ids[0]).toMatch(/^ckp_/);
		expect(Object.keys(item.binary)).toEqual(['data_0', 'data_1', 'data_2', 'data_3']);
		expect(requestsTo(fake, 'GET', `/jobs/dreambooth_image_gen/${item.json.job_id}`).length).toBeGreaterThan(0);
	});

	it('checks the generation fields before sending', async () => {
		const result = await runDreamlook(fake, trainAndGenerate({ generationPrompts: '  \n ', waitForCompletion: false }));
		expect(result.error?.message).toMatch(/^Prompts to Generate: is empty/);
		expect(fake.requests).toHaveLength(0);
	});
});
