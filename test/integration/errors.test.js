'use strict';
const { startFake, useFake, runDreamlook, requestsTo, testDreamlookCredential, DEFAULT_API_KEY, NODE_NAME, createOnly, getJobParameters: getJob, everythingVisible } = require('./helpers');

const WRONG_KEY = 'dl-ffffffffffffffffffffffffffffffff';

describe('bad input is stopped before any paid request', () => {
	const fake = useFake();

	it.each([
		[{ prompt: '   ' }, /^Prompt: is empty/],
		[{ width: 500 }, /^Width: must be a multiple of 8 \(got 500\)/],
		[{ height: 4096 }, /^Height: must be from 256 to 2048/],
		[{ numSamples: 0 }, /^Number of Images: must be from 1 to 16/],
		[{ additionalFields: { checkpointId: 'ckp_1', baseModel: 'realistic-vision-v5-1' } }, /^Trained Checkpoint ID: is set together with Base Model/],
		[{ additionalFields: { callbackUrl: 'not a url' } }, /^Callback URL: "not a url" is not an http\(s\) URL/],
	])('%o', async (overrides, message) => {
		const result = await runDreamlook(fake, createOnly(overrides));
		expect(result.error?.message).toMatch(message);
		expect(result.error?.description).toBeTruthy();
		expect(fake.requests).toHaveLength(0);
	});

	it('checks every item before creating any job', async () => {
		const inputItems = [{ json: { w: 512 } }, { json: { w: 513 } }];
		const result = await runDreamlook(fake, createOnly({ width: '={{ $json.w }}' }), { inputItems });
		expect(result.error?.message).toMatch(/^Width: must be a multiple of 8/);
		expect(requestsTo(fake, 'POST', '/image_gen')).toHaveLength(0);
	});

	it('rejects training image URLs that are not URLs', async () => {
		const result = await runDreamlook(fake, {
			resource: 'training',
			operation: 'create',
			imageUrls: 'https://example.com/a.jpg\nC:\\photos\\b.jpg',
			instancePrompt: 'photo of ukj person',
			modelType: 'sd-v1',
			waitForCompletion: false,
			additionalFields: {},
			options: {},
		});
		expect(result.error?.message).toMatch(/^Image URLs \(#2\): .* is not an http\(s\) URL/);
		expect(fake.requests).toHaveLength(0);
	});

	it('rejects a malformed job ID and a job ID of the wrong type', async () => {
		let result = await runDreamlook(fake, getJob('ig_12/../x'));
		expect(result.error?.message).toMatch(/is not a Dreamlook job ID/);
		result = await runDreamlook(fake, { ...getJob('db_abcdefgh'), jobType: 'imageGen' });
		expect(result.error?.message).toMatch(/is a DreamBooth training job, not an image generation job/);
		expect(fake.requests).toHaveLength(0);
	});

	it('with Continue On Fail, a bad item becomes an error item and the others still run', async () => {
		const inputItems = [{ json: { w: 512 } }, { json: { w: 513 } }, { json: { w: 768 } }];
		const result = await runDreamlook(fake, createOnly({ width: '={{ $json.w }}' }), { inputItems, continueOnFail: true });
		expect(result.error).toBeUndefined();
		const output = result.outputOf(NODE_NAME);
		expect(output.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(output[0].json.job_id).toMatch(/^ig_/);
		expect(output[1].json.error).toMatch(/^Width: must be a multiple of 8/);
		expect(output[2].json.job_id).toMatch(/^ig_/);
		expect(requestsTo(fake, 'POST', '/image_gen')).toHaveLength(2);
	});
});

describe('API errors say what to fix and never leak the key', () => {
	const fake = useFake();

	it('a wrong key: "check the API key", key absent even when the API echoes the header', async () => {
		fake.setOptions({ echoAuthInErrors: true });
		const result = await runDreamlook(fake, createOnly(), { apiKey: WRONG_KEY });
		expect(result.error?.message).toBe('Dreamlook rejected the API key');
		expect(result.error?.description).toMatch(/API key in the Dreamlook credential/);
		const visible = everythingVisible(result);
		expect(visible).not.toContain(WRONG_KEY);
		expect(visible).not.toContain(WRONG_KEY.slice(3));
	});

	it('out of tokens says so', async () => {
		fake.setBalance(0);
		const result = await runDreamlook(fake, createOnly());
		expect(result.error?.message).toBe('Not enough Dreamlook tokens for this job');
	});

	it('a server-side 422 lists the invalid fields', async () => {
		const detail = [
			{ loc: ['body', 'width'], msg: 'ensure this value is less than or equal to 2048', type: 'value_error.number.not_le' },
			{ loc: ['body', 'scheduler_type'], msg: 'unknown scheduler', type: 'value_error' },
		];
		fake.faults.add({ method: 'POST', path: '/image_gen', action: { status: 422, body: { detail } } });
		const result = await runDreamlook(fake, createOnly());
		expect(result.error?.httpCode).toBe('422');
		expect(result.error?.message).toContain('width: ensure this value is less than or equal to 2048; scheduler_type: unknown scheduler');
		expect(result.error?.description).toMatch(/Nothing was charged/);
	});

	it('an unknown checkpoint: Dreamlook\'s own words', async () => {
		const result = await runDreamlook(fake, createOnly({ additionalFields: { checkpointId: 'ckp_doesnotexist' } }));
		expect(result.error?.httpCode).toBe('422');
		expect(result.error?.message).toContain('Checkpoint not found or expired: ckp_doesnotexist');
	});

	it('an unknown job: "no such job"', async () => {
		const result = await runDreamlook(fake, getJob('ig_zzzzzzzz'));
		expect(result.error?.message).toMatch(/^Dreamlook found nothing at \/jobs\/image_gen\/ig_zzzzzzzz/);
		// Tried the documented spelling first, then the alternate one, once each.
		expect(requestsTo(fake, 'GET', '/jobs/image-gen/ig_zzzzzzzz')).toHaveLength(1);
		expect(requestsTo(fake, 'GET', '/jobs/image_gen/ig_zzzzzzzz')).toHaveLength(1);
	});

	it('retries a GET through 5xx, 429 and dropped connections', async () => {
		const job = fake.createJob({ type: 'image-gen' });
		fake.faults.add({ method: 'GET', path: '/jobs/', times: 1, action: { status: 503 } });
		fake.faults.add({ method: 'GET', path: '/jobs/', times: 1, action: { status: 429, retryAfter: 0 } });
		fake.faults.add({ method: 'GET', path: '/jobs/', times: 1, action: { drop: true } });
		const result = await runDreamlook(fake, getJob(job.job_id));
		expect(result.error).toBeUndefined();
		expect(result.outputOf(NODE_NAME)[0].json.job_id).toBe(job.job_id);
		expect(requestsTo(fake, 'GET', `/jobs/image-gen/${job.job_id}`)).toHaveLength(4);
	}, 20000);

	it('gives up on a GET after a bounded number of attempts', async () => {
		fake.faults.add({ method: 'GET', path: '/jobs/', times: 10, action: { status: 502 } });
		const result = await runDreamlook(fake, getJob('ig_abcdefgh'));
		expect(result.error?.message).toMatch(/server error \(HTTP 502\).*tried 4 times/);
		expect(requestsTo(fake, 'GET', '/jobs/')).toHaveLength(4);
	}, 30000);

	it('never repeats a POST that failed with a 5xx', async () => {
		fake.faults.add({ method: 'POST', path: '/image_gen', times: 1, action: { status: 500 } });
		const result = await runDreamlook(fake, createOnly());
		expect(result.error?.message).toMatch(/server error \(HTTP 500\)/);
		expect(requestsTo(fake, 'POST', '/image_gen')).toHaveLength(1);
	});

	it('never repeats a POST whose connection dropped: the job may exist', async () => {
		fake.faults.add({ method: 'POST', path: '/image_gen', times: 1, action: { drop: true } });
		const result = await runDreamlook(fake, createOnly());
		expect(result.error?.message).toMatch(/the job may have been created/);
		expect(result.error?.description).toMatch(/Job → Get Many/);
		expect(requestsTo(fake, 'POST', '/image_gen')).toHaveLength(1);
	});

	it('repeats a POST rejected with 429 after Retry-After: one job in the end', async () => {
		fake.faults.add({ method: 'POST', path: '/image_gen', times: 1, action: { status: 429, retryAfter: 1 } });
		const result = await runDreamlook(fake, createOnly());
		expect(result.error).toBeUndefined();
		expect(requestsTo(fake, 'POST', '/image_gen')).toHaveLength(2);
		expect(fake.jobs()).toHaveLength(1);
	});

	it('a 2xx POST with an unreadable body is not repeated: the job is found by its tag', async () => {
		fake.faults.add({ method: 'POST', path: '/image_gen', times: 1, action: { malformed: true } });
		const result = await runDreamlook(fake, createOnly());
		expect(result.error).toBeUndefined();
		expect(requestsTo(fake, 'POST', '/image_gen')).toHaveLength(1);
		expect(fake.jobs()).toHaveLength(1);
		expect(result.outputOf(NODE_NAME)[0].json).toMatchObject({ job_id: fake.jobs()[0].job_id, reused: true });
	});

	it('a 2xx POST with an unreadable body whose job cannot be found says the job may exist', async () => {
		fake.faults.add({ method: 'POST', path: '/image_gen', times: 1, action: { malformed: true } });
		fake.faults.add({ method: 'GET', path: '/jobs', times: 10, action: { status: 404 } });
		const result = await runDreamlook(fake, createOnly());
		expect(result.error?.message).toMatch(/the job may have been created/);
		expect(result.error?.description).toMatch(/Job → Get Many/);
		expect(requestsTo(fake, 'POST', '/image_gen')).toHaveLength(1);
	});

	it('an unreachable base URL names the network error and the setting to check', async () => {
		const closed = await startFake();
		await closed.close();
		const result = await runDreamlook(closed, getJob('ig_abcdefgh'));
		expect(result.error?.message).toMatch(/^Could not reach Dreamlook/);
		expect(result.error?.description).toMatch(/ECONNREFUSED.*Base URL/);
	}, 30000);
});

describe('credential test', () => {
	const fake = useFake();

	it('accepts the right key without creating a job', async () => {
		const outcome = await testDreamlookCredential(fake, DEFAULT_API_KEY);
		expect(outcome.status).toBe('OK');
		expect(fake.jobs()).toHaveLength(0);
		expect(requestsTo(fake, 'POST', '/image_gen')[0].body.dry_run).toBe(true);
	});

	it('refuses a wrong key with a message', async () => {
		const outcome = await testDreamlookCredential(fake, WRONG_KEY);
		expect(outcome.status).toBe('Error');
		expect(outcome.message).toMatch(/^Dreamlook rejected this API key\. Copy it again/);
	});
});
