'use strict';
// Issue 12 part 1 (first step): Checkpoint → Download streams a finished training job's checkpoints
// (and its LoRA) into n8n's binary store, bounded by a size limit and a deadline, re-signing an
// expired link once, refusing text that is not a checkpoint.
const { useFake, runDreamlook, requestsTo, NODE_NAME } = require('./helpers');

const download = (jobId, overrides = {}) => ({ resource: 'checkpoint', operation: 'download', jobId, checkpoints: 'all', checkpointId: '', options: {}, ...overrides });

function finishedTraining(fake, { lora = false } = {}) {
	const job = fake.createJob({ type: 'dreambooth', config: { image_urls: ['https://example.com/a.jpg'], instance_prompt: 'photo of ukj person', extract_lora: lora ? 'original' : 'disabled' } });
	fake.finishJob(job.job_id, 'success');
	return fake.getJob(job.job_id);
}

describe('Checkpoint → Download', () => {
	const fake = useFake();

	it('stores the trained model and its LoRA as binary data, byte for byte, with progress in the log', async () => {
		const job = finishedTraining(fake, { lora: true });
		const [model, lora] = job.dreambooth_result.checkpoints;
		expect([model.is_extracted_lora, lora.is_extracted_lora]).toEqual([false, true]);
		const result = await runDreamlook(fake, download(job.job_id));
		expect(result.error).toBeUndefined();
		const [item] = result.outputOf(NODE_NAME);
		expect(Object.keys(item.binary).sort()).toEqual(['checkpoint_0', 'checkpoint_1']);
		for (const [index, checkpoint] of [model, lora].entries()) {
			const bytes = await result.binaryBuffer(NODE_NAME, 0, `checkpoint_${index}`);
			expect(bytes.equals(fake.checkpointBytesFor(checkpoint.checkpoint_id))).toBe(true);
			expect(item.binary[`checkpoint_${index}`]).toMatchObject({ fileName: `${checkpoint.checkpoint_id}.safetensors`, mimeType: 'application/octet-stream' });
		}
		expect(item.json).toMatchObject({ job_id: job.job_id, state: 'success', checkpoint_ids: [model.checkpoint_id], lora_checkpoint_ids: [lora.checkpoint_id] });
		// Dreamlook deletes checkpoints 48 h after training by default: the API's time has no zone (UTC).
		const deletedByDefaultAt = new Date(Date.parse(`${job.state_running_end.slice(0, 23)}Z`) + 48 * 3600_000).toISOString();
		expect(item.json.checkpoints_deleted_by_default_at).toBe(deletedByDefaultAt);
		expect(item.json.checkpoints).toEqual([
			{ checkpoint_id: model.checkpoint_id, is_extracted_lora: false, url: expect.any(String), url_expires_at: expect.any(String), deleted_by_default_at: deletedByDefaultAt, binary_property: 'checkpoint_0' },
			{ checkpoint_id: lora.checkpoint_id, is_extracted_lora: true, url: expect.any(String), url_expires_at: expect.any(String), deleted_by_default_at: deletedByDefaultAt, binary_property: 'checkpoint_1' },
		]);
		expect(result.logs.some((log) => log.message === `Dreamlook: checkpoint ${model.checkpoint_id} of job ${job.job_id} stored (1 KB)`)).toBe(true);
		// The key never goes to the storage host.
		expect(requestsTo(fake, 'GET', '/checkpoints/').every((entry) => !entry.authorized)).toBe(true);
	});

	it('selects the LoRA only, or one checkpoint by ID', async () => {
		const job = finishedTraining(fake, { lora: true });
		const [model, lora] = job.dreambooth_result.checkpoints;
		let result = await runDreamlook(fake, download(job.job_id, { checkpoints: 'lora' }));
		expect(result.outputOf(NODE_NAME)[0].binary.checkpoint_0.fileName).toBe(`${lora.checkpoint_id}.safetensors`);
		expect(result.outputOf(NODE_NAME)[0].binary.checkpoint_1).toBeUndefined();
		result = await runDreamlook(fake, download(job.job_id, { checkpointId: model.checkpoint_id, options: { binaryPrefix: 'model' } }));
		expect(Object.keys(result.outputOf(NODE_NAME)[0].binary)).toEqual(['model_0']);
	});

	it('streams a larger checkpoint and logs its progress in percent', async () => {
		const job = finishedTraining(fake);
		fake.faults.add({ method: 'GET', path: '/checkpoints/', times: 1, action: { hugeBytes: 3 * 1024 * 1024, contentType: 'application/octet-stream' } });
		const result = await runDreamlook(fake, download(job.job_id));
		expect(result.error).toBeUndefined();
		expect((await result.binaryBuffer(NODE_NAME, 0, 'checkpoint_0')).length).toBe(3 * 1024 * 1024);
		const progress = result.logs.filter((log) => / downloaded \(\d+ %\)$/.test(log.message)).map((log) => log.message);
		expect(progress.length).toBeGreaterThanOrEqual(5);
		expect(progress.at(-1)).toMatch(/: 3 MB of 3 MB downloaded \(100 %\)$/);
	});

	it('re-signs an expired link once by fetching the job again', async () => {
		const job = finishedTraining(fake);
		fake.faults.add({ method: 'GET', path: '/checkpoints/', times: 1, action: { status: 403, body: '<Error><Code>ExpiredToken</Code></Error>', headers: { 'content-type': 'application/xml' } } });
		const result = await runDreamlook(fake, download(job.job_id));
		expect(result.error).toBeUndefined();
		expect(result.outputOf(NODE_NAME)[0].binary.checkpoint_0).toBeDefined();
		expect(requestsTo(fake, 'GET', `/jobs/dreambooth/${job.job_id}`)).toHaveLength(2);
	});

	it('refuses a checkpoint whose announced size is over Max Checkpoint Size', async () => {
		const job = finishedTraining(fake);
		fake.faults.add({ method: 'GET', path: '/checkpoints/', times: 1, action: { hugeBytes: 3 * 1024 * 1024, contentType: 'application/octet-stream' } });
		const result = await runDreamlook(fake, download(job.job_id, { options: { maxCheckpointSizeMb: 1 } }));
		expect(result.error?.message).toMatch(new RegExp(`^Could not download checkpoint 1 of 1 of Dreamlook job ${job.job_id}: it is larger than the 1 MB limit`));
		expect(result.error?.description).toMatch(/Max Checkpoint Size \(MB\)/);
	});

	it('stops at the Download Time Limit', async () => {
		const job = finishedTraining(fake);
		fake.faults.add({ method: 'GET', path: '/checkpoints/', times: 1, action: { trickle: { bytesPerChunk: 16, intervalMs: 200 } } });
		const started = Date.now();
		const result = await runDreamlook(fake, download(job.job_id, { options: { downloadTimeout: 1 } }));
		expect(Date.now() - started).toBeLessThan(5000);
		expect(result.error?.message).toMatch(/Could not download checkpoint 1 of 1 .*: the time allowed for downloads ran out/);
	});

	it('refuses text (an error or login page) instead of storing it as a checkpoint', async () => {
		const job = finishedTraining(fake);
		fake.faults.add({ method: 'GET', path: '/checkpoints/', times: 1, action: { status: 200, body: '<html><body>Sign in to continue</body></html>', headers: { 'content-type': 'text/html' } } });
		const result = await runDreamlook(fake, download(job.job_id));
		expect(result.error?.message).toMatch(/: the server sent text\/html, not a file; it starts with "Sign in to continue"$/);
	});

	it('finds the job of a Checkpoint ID in the job list when no job ID is given', async () => {
		for (let i = 0; i < 3; i++) finishedTraining(fake);
		const job = finishedTraining(fake, { lora: true });
		finishedTraining(fake);
		const lora = job.dreambooth_result.checkpoints[1];
		const result = await runDreamlook(fake, download('', { checkpointId: lora.checkpoint_id }));
		expect(result.error).toBeUndefined();
		const [item] = result.outputOf(NODE_NAME);
		expect(item.json.job_id).toBe(job.job_id);
		expect(Object.keys(item.binary)).toEqual(['checkpoint_0']);
		expect((await result.binaryBuffer(NODE_NAME, 0, 'checkpoint_0')).equals(fake.checkpointBytesFor(lora.checkpoint_id))).toBe(true);
		expect(fake.requests.filter((entry) => entry.method === 'GET' && /^\/jobs(\?|$)/.test(entry.path)).length).toBeGreaterThan(0);

		const missing = await runDreamlook(fake, download('', { checkpointId: 'ckp_nothere1' }));
		expect(missing.error?.message).toBe('No finished training job lists checkpoint ckp_nothere1');
		const empty = await runDreamlook(fake, download(''));
		expect(empty.error?.message).toBe('Training Job ID: is empty, and so is Checkpoint ID');
	});

	it('explains what is missing before downloading: not a training job, not finished, no LoRA', async () => {
		let result = await runDreamlook(fake, download('ig_abc12345'));
		expect(result.error?.message).toBe('Training Job ID: ig_abc12345 is not a training job');
		expect(fake.requests).toHaveLength(0);

		const running = fake.createJob({ type: 'dreambooth', config: { image_urls: ['https://example.com/a.jpg'], instance_prompt: 'x' } });
		result = await runDreamlook(fake, download(running.job_id));
		expect(result.error?.message).toMatch(new RegExp(`^Dreamlook job ${running.job_id} has no checkpoints to download: it is (queued|running)$`));

		const job = finishedTraining(fake);
		result = await runDreamlook(fake, download(job.job_id, { checkpoints: 'lora' }));
		expect(result.error?.message).toBe(`Dreamlook job ${job.job_id} lists no extracted LoRA`);
		expect(result.error?.description).toMatch(/Extract LoRA/);
	});
});

describe('Job → Get with Download Checkpoints', () => {
	const fake = useFake();
	const get = (jobId, overrides = {}) => ({ resource: 'job', operation: 'get', jobId, jobType: 'fromJobId', simplify: true, ...overrides });

	it('attaches a training job\'s checkpoints, and with Download Images a train-and-generate job\'s images too', async () => {
		const job = fake.createJob({
			type: 'dreambooth_image_gen',
			config: { dreambooth: { image_urls: ['https://example.com/a.jpg'], instance_prompt: 'x', extract_lora: 'original' }, image_gen: [{ prompt: 'photo of ukj person', num_samples: 2 }] },
		});
		fake.finishJob(job.job_id, 'success');
		const [model] = fake.getJob(job.job_id).dreambooth_result.checkpoints;
		const result = await runDreamlook(fake, get(job.job_id, { downloadImages: true, downloadCheckpoints: true, checkpointOptions: { checkpoints: 'model' } }));
		expect(result.error).toBeUndefined();
		const [item] = result.outputOf(NODE_NAME);
		expect(Object.keys(item.binary).sort()).toEqual(['checkpoint_0', 'data_0', 'data_1']);
		expect((await result.binaryBuffer(NODE_NAME, 0, 'checkpoint_0')).equals(fake.checkpointBytesFor(model.checkpoint_id))).toBe(true);
		expect(item.json.checkpoints).toEqual([expect.objectContaining({ checkpoint_id: model.checkpoint_id, binary_property: 'checkpoint_0' })]);
	});

	it('leaves an image job and an unfinished training job without checkpoints', async () => {
		const image = fake.createJob({ config: { prompt: 'x' } });
		fake.finishJob(image.job_id, 'success');
		let result = await runDreamlook(fake, get(image.job_id, { downloadCheckpoints: true }));
		expect(result.outputOf(NODE_NAME)[0].binary).toBeUndefined();
		const running = fake.createJob({ type: 'dreambooth', config: { image_urls: ['https://example.com/a.jpg'], instance_prompt: 'x' } });
		result = await runDreamlook(fake, get(running.job_id, { downloadCheckpoints: true }));
		expect(result.error).toBeUndefined();
		expect(result.outputOf(NODE_NAME)[0].binary).toBeUndefined();
		expect(requestsTo(fake, 'GET', '/checkpoints/')).toHaveLength(0);
	});
});

describe('Training → Create / Train and Generate with Wait and Download Checkpoints', () => {
	const fake = useFake();
	const training = (overrides = {}) => ({
		resource: 'training',
		operation: 'create',
		imageUrls: 'https://example.com/me-1.jpg',
		instancePrompt: 'photo of ukj person',
		modelType: 'sd-v1',
		waitForCompletion: true,
		downloadCheckpoints: true,
		simplify: true,
		additionalFields: { extractLora: true },
		options: { pollInterval: 0.2, timeout: 20 },
		...overrides,
	});

	it('waits for the training and attaches its checkpoints', async () => {
		const result = await runDreamlook(fake, training());
		expect(result.error).toBeUndefined();
		const [item] = result.outputOf(NODE_NAME);
		expect(item.json.state).toBe('success');
		const checkpoints = fake.getJob(item.json.job_id).dreambooth_result.checkpoints;
		expect(Object.keys(item.binary).sort()).toEqual(['checkpoint_0', 'checkpoint_1']);
		for (const [index, checkpoint] of checkpoints.entries()) {
			expect((await result.binaryBuffer(NODE_NAME, 0, `checkpoint_${index}`)).equals(fake.checkpointBytesFor(checkpoint.checkpoint_id))).toBe(true);
		}
		expect(item.json.checkpoints.map((entry) => entry.binary_property)).toEqual(['checkpoint_0', 'checkpoint_1']);
	});

	it('Train and Generate attaches images and checkpoints; without the switch, none', async () => {
		const parameters = training({ operation: 'trainAndGenerate', generationPrompts: 'photo of ukj person', imagesPerPrompt: 1, imageWidth: 512, imageHeight: 512, downloadImages: true, additionalFields: {} });
		let result = await runDreamlook(fake, parameters);
		expect(result.error).toBeUndefined();
		expect(Object.keys(result.outputOf(NODE_NAME)[0].binary).sort()).toEqual(['checkpoint_0', 'data_0']);
		result = await runDreamlook(fake, training({ downloadCheckpoints: false }));
		expect(result.outputOf(NODE_NAME)[0].binary).toBeUndefined();
	});

	it('Max Checkpoint Size is a per-run option: bounded, and one value for all items', async () => {
		fake.faults.add({ method: 'GET', path: '/checkpoints/', times: 1, action: { hugeBytes: 3 * 1024 * 1024, contentType: 'application/octet-stream' } });
		let result = await runDreamlook(fake, training({ additionalFields: {}, options: { pollInterval: 0.2, timeout: 20, maxCheckpointSizeMb: 1 } }));
		expect(result.error?.message).toMatch(/^Could not download checkpoint 1 of 1 of Dreamlook job db_\w+: it is larger than the 1 MB limit/);
		result = await runDreamlook(fake, training({ options: { maxCheckpointSizeMb: '={{ $json.n === 0 ? 100 : 200 }}' } }), { inputItems: [{ json: { n: 0 } }, { json: { n: 1 } }] });
		expect(result.error?.message).toBe('Max Checkpoint Size (MB): must be the same for every item (item 1: 100, item 2: 200)');
	});
});
