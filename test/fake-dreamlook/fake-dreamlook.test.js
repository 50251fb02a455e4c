'use strict';
// Tests of the fake itself: other suites trust it, so it must be right.
const http = require('node:http');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { startFakeDreamlook, DEFAULT_API_KEY, inspectPng, parseTimestamp } = require('./index.js');

const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;
const PNG_SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Tiny client: JSON in, {status, headers, text, json} out.
 * @param {import('./fake.js').FakeDreamlook} fake
 * @param {string} method @param {string} path
 * @param {{body?: any, rawBody?: string, key?: string|null, signal?: AbortSignal}} [o]
 */
async function call(fake, method, path, o = {}) {
	/** @type {Record<string, string>} */
	const headers = {};
	const key = o.key === undefined ? DEFAULT_API_KEY : o.key;
	if (key !== null) headers.authorization = `Bearer ${key}`;
	let body;
	if (o.body !== undefined || o.rawBody !== undefined) {
		headers['content-type'] = 'application/json';
		body = o.rawBody ?? JSON.stringify(o.body);
	}
	const res = await fetch(path.startsWith('http') ? path : fake.url + path, { method, headers, body, signal: o.signal });
	const buf = Buffer.from(await res.arrayBuffer());
	const text = buf.toString('utf8');
	let json;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: res.status, headers: res.headers, buf, text, json };
}

/** RGB pixels of a PNG the fake made (8-bit RGB, filter 0) as "r,g,b" strings. @param {Buffer} buf */
function pixelsOf(buf) {
	const { width, height } = inspectPng(buf);
	const idat = [];
	for (let off = 8; off < buf.length; ) {
		const len = buf.readUInt32BE(off);
		if (buf.toString('ascii', off + 4, off + 8) === 'IDAT') idat.push(buf.subarray(off + 8, off + 8 + len));
		off += 12 + len;
	}
	const raw = require('node:zlib').inflateSync(Buffer.concat(idat));
	const out = [];
	for (let y = 0; y < height; y++) {
		for (let x = 0; x < width; x++) {
			const o = y * (width * 3 + 1) + 1 + x * 3;
			out.push(`${raw[o]},${raw[o + 1]},${raw[o + 2]}`);
		}
	}
	return out;
}
const createImage = (/** @type {any} */ fake, /** @type {any} */ body) => call(fake, 'POST', '/image_gen', { body });
const getImageJob = (/** @type {any} */ fake, /** @type {string} */ id) => call(fake, 'GET', `/jobs/image-gen/${id}`);

describe('fake dreamlook', () => {
	/** @type {import('./fake.js').FakeDreamlook} */
	let fake;
	beforeAll(async () => {
		fake = await startFakeDreamlook({ clock: 'manual', seed: 7, quiet: true });
	});
	afterEach(() => {
		expect(fake.errors).toEqual([]);
		fake.reset();
	});
	afterAll(async () => {
		await fake.close();
	});

	describe('auth', () => {
		test('missing or unknown key gives 401 and the key never reaches the log', async () => {
			const none = await call(fake, 'GET', '/jobs', { key: null });
			expect(none.status).toBe(401);
			expect(none.json).toEqual({ detail: 'Invalid API key' });
			const wrong = await createImage(fake, { prompt: 'x' });
			expect(wrong.status).toBe(200);
			const bad = await call(fake, 'POST', '/image_gen', { body: { prompt: 'x' }, key: 'dl-ffffffffffffffffffffffffffffffff' });
			expect(bad.status).toBe(401);
			expect(fake.jobs()).toHaveLength(1);
			expect(fake.requests.map((r) => r.authorized)).toEqual([false, true, false]);
			expect(JSON.stringify(fake.requests)).not.toContain(DEFAULT_API_KEY);
			expect(JSON.stringify(fake.requests)).not.toContain('dl-ffff');
		});

		test('echoAuthInErrors echoes the authorization header verbatim', async () => {
			fake.setOptions({ echoAuthInErrors: true });
			const bad = await call(fake, 'GET', '/jobs', { key: 'dl-00000000000000000000000000000bad' });
			expect(bad.status).toBe(401);
			expect(bad.json.request_headers.authorization).toBe('Bearer dl-00000000000000000000000000000bad');
			const notFound = await getImageJob(fake, 'ig_nothere0');
			expect(notFound.json.request_headers.authorization).toBe(`Bearer ${DEFAULT_API_KEY}`);
		});
	});

	describe('job lifecycle (manual clock)', () => {
		test('queued → running → success with timestamps, progress and images', async () => {
			const created = await createImage(fake, { prompt: 'a red fox', num_samples: 3, seed: 100 });
			expect(created.status).toBe(200);
			const id = created.json.job_id;
			expect(id).toMatch(/^ig_[a-z0-9]{8}$/);

			let job = (await getImageJob(fake, id)).json;
			expect(job).toMatchObject({ job_type: 'image-gen', job_id: id, state: 'queued', percentage_done: 0, image_gen_results: [], thumbnails: [] });
			expect(job.state_updated).toMatch(TS);
			expect(job.state_updated).toBe(job.state_queued_start);
			expect(job.state_running_start).toBeNull();
			expect(job.config).toMatchObject({ prompt: 'a red fox', num_samples: 3, seed: 100, width: 512, model_type: 'sd-v1' });
			expect(job.config).not.toHaveProperty('dry_run');

			fake.clock.advance(1000);
			job = (await getImageJob(fake, id)).json;
			expect(job.state).toBe('running');
			expect(job.queued_duration).toBe(1);
			expect(job.state_running_start).toBe(job.state_queued_end);
			expect(job.state_updated).toBe(job.state_running_start);

			fake.clock.advance(1500);
			job = (await getImageJob(fake, id)).json;
			expect(job.percentage_done).toBe(50);

			fake.clock.advance(1500);
			job = (await getImageJob(fake, id)).json;
			expect(job.state).toBe('success');
			expect(job.percentage_done).toBe(100);
			expect(job.running_duration).toBe(3);
			expect(parseTimestamp(job.state_running_end) - parseTimestamp(job.state_queued_start)).toBe(4000);
			expect(job.image_gen_results).toHaveLength(1);
			const images = job.image_gen_results[0].generated_images;
			expect(images.map((/** @type {any} */ i) => [i.seed, i.generation_idx])).toEqual([[100, 0], [101, 1], [102, 2]]);
			expect(job.image_gen_results[0]).toMatchObject({ checkpoint_id: null, config_idx: 0 });
			expect(job.thumbnails).toHaveLength(3);
			expect(job.failure_reason).toBeNull();
		});

		test('FAIL_ME in the prompt ends in failure', async () => {
			const { json } = await createImage(fake, { prompt: 'please FAIL_ME now' });
			fake.clock.advance(10_000);
			const job = (await getImageJob(fake, json.job_id)).json;
			expect(job.state).toBe('failure');
			expect(job.failure_reason).toEqual(expect.any(String));
			expect(job.image_gen_results).toEqual([]);
		});

		test('createJob overrides timing and outcome; finishJob forces a transition', async () => {
			const a = fake.createJob({ config: { prompt: 'x' }, queuedMs: 0, runningMs: 100, outcome: 'failure', failure_reason: 'nsfw' });
			expect(a.state).toBe('running');
			fake.clock.advance(100);
			expect(fake.getJob(a.job_id)).toMatchObject({ state: 'failure', failure_reason: 'nsfw' });

			const b = fake.createJob({ config: { prompt: 'y' } });
			const done = fake.finishJob(b.job_id, 'success');
			expect(done.state).toBe('success');
			expect(done.state_queued_start).toBe(done.state_running_end);
			expect((await getImageJob(fake, b.job_id)).json.image_gen_results[0].generated_images).toHaveLength(1);
			expect(() => fake.finishJob(b.job_id, 'failure')).toThrow(/already ended/);
			const c = fake.createJob({});
			expect(fake.finishJob(c.job_id, 'failure', { failure_reason: 'oom' })).toMatchObject({ state: 'failure', failure_reason: 'oom' });
		});

		test('dry run answers TEST_ ids, stores nothing and costs nothing', async () => {
			fake.setBalance(0);
			const r = await createImage(fake, { prompt: 'x', dry_run: true });
			expect(r.status).toBe(200);
			expect(r.json.job_id).toMatch(/^TEST_[a-z0-9]{8}$/);
			expect(fake.jobs()).toEqual([]);
			expect((await getImageJob(fake, r.json.job_id)).status).toBe(404);
			expect((await call(fake, 'GET', '/jobs')).json.total).toBe(0);
			expect(fake.balance).toBe(0);
		});

		test('tokens: 402 when the balance is too low', async () => {
			fake.setBalance(3);
			expect((await createImage(fake, { prompt: 'x', num_samples: 2 })).status).toBe(200);
			const r = await createImage(fake, { prompt: 'x', num_samples: 2 });
			expect(r.status).toBe(402);
			expect(r.json.detail).toMatch(/^Not enough tokens/);
			expect(fake.balance).toBe(1);
		});

		test('image-gen path segment is configurable', async () => {
			const { json } = await createImage(fake, { prompt: 'x' });
			expect((await call(fake, 'GET', `/jobs/image_gen/${json.job_id}`)).status).toBe(404);
			fake.setOptions({ imageGenPathSegment: 'image_gen' });
			expect((await call(fake, 'GET', `/jobs/image_gen/${json.job_id}`)).json.job_id).toBe(json.job_id);
			const other = await call(fake, 'GET', `/jobs/image-gen/${json.job_id}`);
			expect(other.status).toBe(404);
			expect(other.json).toEqual({ detail: 'Job not found' });
			expect((await call(fake, 'GET', `/jobs/dreambooth/${json.job_id}`)).status).toBe(404);
		});
	});

	describe('validation', () => {
		test('missing prompt is a FastAPI 422', async () => {
			const r = await createImage(fake, { width: 512 });
			expect(r.status).toBe(422);
			expect(r.json).toEqual({ detail: [{ loc: ['body', 'prompt'], msg: 'field required', type: 'value_error.missing' }] });
		});

		test('bad types and ranges list every problem', async () => {
			const r = await createImage(fake, { prompt: '', width: '512', height: 513, model_type: 'sd3', enable_hrf: 'yes', callback: 'ftp://x' });
			expect(r.status).toBe(422);
			const locs = r.json.detail.map((/** @type {any} */ d) => d.loc.join('.'));
			expect(locs).toEqual(['body.prompt', 'body.width', 'body.height', 'body.enable_hrf', 'body.model_type', 'body.callback']);
			expect(r.json.detail[1]).toMatchObject({ msg: 'value is not a valid integer', type: 'type_error.integer' });
		});

		test('empty and non-JSON bodies', async () => {
			expect((await call(fake, 'POST', '/image_gen', { rawBody: '' })).json.detail[0]).toMatchObject({ loc: ['body'], type: 'value_error.missing' });
			const bad = await call(fake, 'POST', '/image_gen', { rawBody: '{"prompt": ' });
			expect(bad.status).toBe(422);
			expect(bad.json.detail[0].type).toBe('value_error.jsondecode');
		});

		test('training bodies, nested locations, unknown checkpoint', async () => {
			const db = await call(fake, 'POST', '/dreambooth', { body: { image_urls: [], instance_prompt: 'photo of ukj person' } });
			expect(db.status).toBe(422);
			expect(db.json.detail[0]).toMatchObject({ loc: ['body', 'image_urls'], type: 'value_error.list.min_items' });
			const dbig = await call(fake, 'POST', '/dreambooth_image_gen', {
				body: { dreambooth: { image_urls: ['https://example.com/a.jpg'], instance_prompt: 'p' }, image_gen: [{ prompt: 'ok' }, { num_samples: 2 }] },
			});
			expect(dbig.status).toBe(422);
			expect(dbig.json.detail).toEqual([{ loc: ['body', 'image_gen', 1, 'prompt'], msg: 'field required', type: 'value_error.missing' }]);
			const ckp = await createImage(fake, { prompt: 'x', checkpoint_id: 'ckp_unknown1' });
			expect(ckp.status).toBe(422);
			expect(typeof ckp.json.detail).toBe('string');
		});
	});

	describe('training', () => {
		test('dreambooth checkpoints become usable by image_gen on success', async () => {
			const r = await call(fake, 'POST', '/dreambooth', {
				body: { image_urls: ['https://example.com/1.jpg', 'https://example.com/2.jpg'], instance_prompt: 'photo of ukj person', extract_lora: 'original', model_type: 'sdxl-v1' },
			});
			expect(r.json.job_id).toMatch(/^db_[a-z0-9]{8}$/);
			let job = (await call(fake, 'GET', `/jobs/dreambooth/${r.json.job_id}`)).json;
			expect(job.dreambooth_result).toBeNull();
			expect(job.config).toMatchObject({ steps: 1500, learning_rate_te2: 0, crop_method: 'center' });
			fake.clock.advance(4000);
			job = (await call(fake, 'GET', `/jobs/dreambooth/${r.json.job_id}`)).json;
			expect(job.state).toBe('success');
			const ckps = job.dreambooth_result.checkpoints;
			expect(ckps.map((/** @type {any} */ c) => c.is_extracted_lora)).toEqual([false, true]);
			expect(ckps[0].checkpoint_id).toMatch(/^ckp_[a-z0-9]{8}$/);
			expect((await call(fake, 'GET', ckps[0].url, { key: null })).status).toBe(200);

			const ig = await createImage(fake, { prompt: 'photo of ukj person', checkpoint_id: ckps[0].checkpoint_id });
			expect(ig.status).toBe(200);
			fake.clock.advance(4000);
			expect((await getImageJob(fake, ig.json.job_id)).json.image_gen_results[0].checkpoint_id).toBe(ckps[0].checkpoint_id);
		});

		test('dreambooth_image_gen carries both results', async () => {
			const r = await call(fake, 'POST', '/dreambooth_image_gen', {
				body: {
					dreambooth: { image_urls: ['https://example.com/a.jpg'], instance_prompt: 'photo of ukj person' },
					image_gen: [{ prompt: 'ukj on the moon', num_samples: 2 }, { prompt: 'ukj at sea' }],
					validate_token_cost: 13,
				},
			});
			expect(r.status).toBe(200);
			expect(r.json.job_id).toMatch(/^dbig_[a-z0-9]{8}$/);
			fake.clock.advance(4000);
			const job = (await call(fake, 'GET', `/jobs/dreambooth_image_gen/${r.json.job_id}`)).json;
			const ckp = job.dreambooth_result.checkpoints[0].checkpoint_id;
			expect(job.image_gen_results.map((/** @type {any} */ x) => [x.checkpoint_id, x.config_idx, x.generated_images.length])).toEqual([
				[ckp, 0, 2],
				[ckp, 1, 1],
			]);
			const wrongCost = await call(fake, 'POST', '/dreambooth_image_gen', {
				body: { dreambooth: { image_urls: ['https://example.com/a.jpg'], instance_prompt: 'p' }, image_gen: [{ prompt: 'x' }], validate_token_cost: 1 },
			});
			expect(wrongCost.status).toBe(400);
		});
	});

	describe('list', () => {
		test('paging is total and deterministic with equal timestamps', async () => {
			const ids = fake.seedJobs(25); // all at the same instant
			fake.clock.advance(10_000); // all end at the same instant too
			const pageAll = async (/** @type {string} */ q) => {
				const seen = [];
				for (let offset = 0; ; offset += 10) {
					const r = await call(fake, 'GET', `/jobs?limit=10&offset=${offset}&${q}`);
					expect(r.status).toBe(200);
					expect(r.json).toMatchObject({ total: 25, limit: 10, offset });
					seen.push(...r.json.jobs.map((/** @type {any} */ j) => j.job_id));
					if (r.json.jobs.length < 10) break;
				}
				return seen;
			};
			const asc = await pageAll('order_by=state_updated&order=asc');
			const desc = await pageAll('order_by=state_updated&order=desc');
			expect(asc).toEqual([...ids].sort());
			expect(desc).toEqual([...asc].reverse());
			expect(await pageAll('order_by=created')).toEqual(desc);
			const first = (await call(fake, 'GET', '/jobs?limit=3')).json.jobs;
			expect(new Set(first.map((/** @type {any} */ j) => j.state_updated)).size).toBe(1);
		});

		test('ordering by time, filters, limits and the array shape', async () => {
			const early = fake.createJob({ config: { prompt: 'early' }, runningMs: 10_000 });
			fake.clock.advance(500);
			const late = fake.createJob({ config: { prompt: 'late' }, queuedMs: 0, runningMs: 0 });
			fake.createJob({ job_type: 'dreambooth' });
			let r = await call(fake, 'GET', '/jobs?order_by=created&order=asc');
			expect(r.json.jobs[0].job_id).toBe(early.job_id);
			r = await call(fake, 'GET', '/jobs?order_by=state_updated&order=desc&job_type=image-gen');
			expect(r.json.jobs.map((/** @type {any} */ j) => j.job_id)).toEqual([late.job_id, early.job_id]);
			r = await call(fake, 'GET', '/jobs?state=success');
			expect(r.json.jobs.map((/** @type {any} */ j) => j.job_id)).toEqual([late.job_id]);
			fake.clock.advance(1000); // early becomes running: its state_updated moves past late's
			r = await call(fake, 'GET', '/jobs?order_by=state_updated&order=desc&job_type=image-gen');
			expect(r.json.jobs.map((/** @type {any} */ j) => j.job_id)).toEqual([early.job_id, late.job_id]);
			expect((await call(fake, 'GET', '/jobs?limit=101')).status).toBe(422);
			expect((await call(fake, 'GET', '/jobs?job_type=image_gen')).status).toBe(422);
			expect((await call(fake, 'GET', '/jobs?order=sideways')).json.detail[0].loc).toEqual(['query', 'order']);
			fake.setOptions({ listShape: 'array' });
			r = await call(fake, 'GET', '/jobs?limit=2');
			expect(Array.isArray(r.json)).toBe(true);
			expect(r.json).toHaveLength(2);
		});

		test('10 000 seeded jobs: fast to seed and to list', async () => {
			const t0 = performance.now();
			fake.seedJobs(10_000, { spacingMs: 1, each: (/** @type {number} */ i) => ({ runningMs: (i * 7919) % 5000 }) });
			expect(performance.now() - t0).toBeLessThan(1000);
			fake.clock.advance(3000);
			for (let i = 0; i < 3; i++) {
				fake.clock.advance(1); // new instant: no cache help
				const t1 = performance.now();
				const r = await call(fake, 'GET', '/jobs?order_by=state_updated&order=desc&limit=100');
				expect(performance.now() - t1).toBeLessThan(300);
				expect(r.json.total).toBe(10_000);
				const keys = r.json.jobs.map((/** @type {any} */ j) => j.state_updated);
				expect([...keys].sort().reverse()).toEqual(keys);
			}
		});
	});

	describe('images', () => {
		test('signed PNG downloads, expiry and re-signing', async () => {
			fake.setOptions({ imageBytes: 5000 });
			const { json } = await createImage(fake, { prompt: 'x' });
			fake.clock.advance(4000);
			const job = (await getImageJob(fake, json.job_id)).json;
			const img = job.image_gen_results[0].generated_images[0];
			const dl = await call(fake, 'GET', img.url, { key: null });
			expect(dl.status).toBe(200);
			expect(dl.headers.get('content-type')).toBe('image/png');
			expect(dl.headers.get('content-length')).toBe('5000');
			expect(dl.buf.subarray(0, 8)).toEqual(PNG_SIG);
			expect(dl.buf.equals(fake.imageBytesFor(img.generated_image_id))).toBe(true);
			expect(inspectPng(dl.buf)).toMatchObject({ width: 64, height: 64 });
			const thumb = await call(fake, 'GET', job.thumbnails[0], { key: null });
			expect(inspectPng(thumb.buf).width).toBe(8);

			const tampered = img.url.replace(/sig=[0-9a-f]/, (/** @type {string} */ m) => (m.endsWith('0') ? 'sig=1' : 'sig=0'));
			const bad = await call(fake, 'GET', tampered, { key: null });
			expect(bad.status).toBe(403);
			expect(bad.text).toContain('<Code>SignatureDoesNotMatch</Code>');

			fake.clock.advance(3600 * 1000 + 1000);
			const expired = await call(fake, 'GET', img.url, { key: null });
			expect(expired.status).toBe(403);
			expect(expired.text).toContain('<Code>ExpiredToken</Code>');
			const fresh = (await getImageJob(fake, json.job_id)).json.image_gen_results[0].generated_images[0].url;
			expect(fresh).not.toBe(img.url);
			expect((await call(fake, 'GET', fresh, { key: null })).status).toBe(200);
		});

		test('the prompt picks the colours, the seed the pattern', async () => {
			fake.setOptions({ imageBytes: 2000 });
			/** @param {string} prompt @param {number} seed */
			const image = (prompt, seed) => {
				const job = fake.createJob({ config: { prompt, seed, num_samples: 1 }, queuedMs: 0, runningMs: 0 });
				return pixelsOf(fake.imageBytesFor(job.image_gen_results[0].generated_images[0].generated_image_id));
			};
			const colours = (/** @type {string[]} */ px) => [...new Set(px)].sort().join(' ');
			const fox1 = image('a red fox in the snow', 1);
			const fox2 = image('a red fox in the snow', 2);
			const owl1 = image('an owl at night', 1);
			expect(new Set(fox1).size).toBe(2); // two colours, both used
			expect(colours(fox2)).toBe(colours(fox1)); // same prompt: same colours
			expect(fox2.join()).not.toBe(fox1.join()); // other seed: another picture
			expect(colours(owl1)).not.toBe(colours(fox1)); // other prompt: other colours
			// the same prompt and seed again: the same picture (another image id, other padding bytes)
			expect(image('a red fox in the snow', 1).join()).toBe(fox1.join());
			expect(fake.imageBytesFor('img_unknown').length).toBe(2000); // ids the fake does not know still get a PNG
			// patterns vary with the seed: 20 seeds give at least 4 distinct pictures besides colour
			const shapes = new Set();
			for (let seed = 10; seed < 30; seed++) {
				const px = image('same prompt', seed);
				shapes.add(px.map((c) => (c === px[0] ? 0 : 1)).join(''));
			}
			expect(shapes.size).toBeGreaterThanOrEqual(4);
		});

		test('2 MB images for benchmarks', async () => {
			fake.setOptions({ imageBytes: 2_000_000 });
			const job = fake.createJob({ queuedMs: 0, runningMs: 0 });
			const dl = await call(fake, 'GET', job.image_gen_results[0].generated_images[0].url, { key: null });
			expect(dl.buf.length).toBe(2_000_000);
			expect(inspectPng(dl.buf).chunks).toEqual(['IHDR', 'IDAT', 'tEXt', 'IEND']);
		});
	});

	describe('faults', () => {
		test('status faults: times, method/path filters, body, Retry-After', async () => {
			const rule = fake.faults.add({ method: 'GET', path: '/jobs', times: 2, action: { status: 503, retryAfter: 7 } });
			fake.faults.add({ path: /^\/image_gen$/, action: { status: 500, body: 'boom', headers: { 'x-test': '1' } } });
			const a = await call(fake, 'GET', '/jobs');
			expect(a.status).toBe(503);
			expect(a.headers.get('retry-after')).toBe('7');
			expect(a.json).toEqual({ detail: 'Service Unavailable' });
			expect((await getImageJob(fake, 'ig_whatever')).status).toBe(503); // prefix match
			expect((await call(fake, 'GET', '/jobs')).status).toBe(200);
			expect(rule.hits).toBe(2);
			const b = await createImage(fake, { prompt: 'x' });
			expect([b.status, b.text, b.headers.get('x-test')]).toEqual([500, 'boom', '1']);
			expect(fake.requests[3].body).toEqual({ prompt: 'x' });
			expect((await createImage(fake, { prompt: 'x' })).status).toBe(200);
			expect(fake.requests.map((r) => r.fault ?? '-')).toEqual(['status:503', 'status:503', '-', 'status:500', '-']);
		});

		test('delayMs then normal answer', async () => {
			const realFake = await startFakeDreamlook({ quiet: true });
			try {
				realFake.faults.add({ action: { delayMs: 150 } });
				const t0 = performance.now();
				const r = await call(realFake, 'GET', '/jobs');
				expect(r.status).toBe(200);
				expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
			} finally {
				await realFake.close();
			}
		});

		test('malformed: 200 with truncated JSON, after the request took effect', async () => {
			fake.faults.add({ path: '/image_gen', action: { malformed: true } });
			const r = await createImage(fake, { prompt: 'x' });
			expect(r.status).toBe(200);
			expect(r.json).toBeUndefined();
			expect(r.text.startsWith('{"job_id":')).toBe(true);
			expect(fake.jobs()).toHaveLength(1);
		});

		test('drop closes the socket without an answer', async () => {
			fake.faults.add({ action: { drop: true } });
			await expect(call(fake, 'GET', '/jobs')).rejects.toThrow();
			expect(fake.requests[0]).toMatchObject({ fault: 'drop', status: null });
			expect((await call(fake, 'GET', '/jobs')).status).toBe(200);
		});

		test('hangMs answers nothing', async () => {
			fake.faults.add({ action: { hangMs: 5000 } });
			await expect(call(fake, 'GET', '/jobs', { signal: AbortSignal.timeout(200) })).rejects.toThrow();
			expect(fake.requests[0]).toMatchObject({ fault: 'hang', status: null });
		});

		test('partial body then reset', async () => {
			const job = fake.createJob({ queuedMs: 0, runningMs: 0 });
			fake.faults.add({ path: '/images/', action: { partial: true } });
			await expect(call(fake, 'GET', job.image_gen_results[0].generated_images[0].url, { key: null })).rejects.toThrow();
		});

		test('chaos is seeded, respects rate and `only`', async () => {
			const run = async () => {
				fake.faults.chaos({ rate: 0.5, seed: 42, kinds: ['500', '502', '503', '429', 'malformed'] });
				const out = [];
				for (let i = 0; i < 30; i++) out.push((await call(fake, 'GET', '/jobs')).status);
				fake.faults.clear();
				return out;
			};
			const first = await run();
			expect(await run()).toEqual(first);
			expect(first.filter((s) => s !== 200).length).toBeGreaterThan(5);
			expect(first.filter((s) => s === 200).length).toBeGreaterThan(5);
			expect(new Set(first)).toEqual(new Set([200, 500, 502, 503, 429]));

			fake.faults.chaos({ rate: 1, seed: 1, kinds: ['503'], only: { method: 'POST' } });
			expect((await call(fake, 'GET', '/jobs')).status).toBe(200);
			expect((await createImage(fake, { prompt: 'x' })).status).toBe(503);
		});

		test('chaos drop and timeout kinds', async () => {
			fake.faults.chaos({ rate: 1, seed: 3, kinds: ['drop', 'timeout'], hangMs: 2000 });
			for (let i = 0; i < 8; i++) await expect(call(fake, 'GET', '/jobs', { signal: AbortSignal.timeout(150) })).rejects.toThrow();
			expect(new Set(fake.requests.map((r) => r.fault))).toEqual(new Set(['chaos:drop', 'chaos:timeout']));
		});
	});

	describe('concurrency', () => {
		test('maxInFlight answers 429 + Retry-After beyond the limit', async () => {
			fake.setLatency(200);
			fake.setMaxInFlight(2, { retryAfter: 3 });
			const results = await Promise.all(Array.from({ length: 5 }, () => call(fake, 'GET', '/jobs')));
			const statuses = results.map((r) => r.status).sort();
			expect(statuses).toEqual([200, 200, 429, 429, 429]);
			expect(results.find((r) => r.status === 429)?.headers.get('retry-after')).toBe('3');
			// 429s answer at once, so not all five need to overlap; more than the limit did.
			expect(fake.stats.maxInFlight).toBeGreaterThan(2);
			expect(fake.stats.inFlight).toBe(0);
			expect(fake.stats.requestsByRoute['GET /jobs']).toBe(5);
			fake.resetStats();
			expect(fake.stats).toMatchObject({ maxInFlight: 0, total: 0, requestsByRoute: {} });
		});
	});

	describe('callbacks', () => {
		/** @type {http.Server} */
		let receiver;
		/** @type {any[]} */
		let received;
		let receiverUrl = '';
		beforeAll(async () => {
			received = [];
			receiver = http.createServer((req, res) => {
				let body = '';
				req.on('data', (c) => (body += c));
				req.on('end', () => {
					received.push(JSON.parse(body));
					res.end('ok');
				});
			});
			await new Promise((r) => receiver.listen(0, '127.0.0.1', () => r(undefined)));
			receiverUrl = `http://127.0.0.1:${/** @type {any} */ (receiver.address()).port}/hook`;
		});
		afterAll(async () => {
			receiver.closeAllConnections();
			await new Promise((r) => receiver.close(r));
		});
		beforeEach(() => {
			received.length = 0;
		});

		test('POSTed once when the clock moves a job to success', async () => {
			const { json } = await createImage(fake, { prompt: 'x', callback: receiverUrl });
			fake.clock.advance(1000);
			await fake.callbacksSettled();
			expect(received).toHaveLength(0);
			fake.clock.advance(3000);
			await fake.waitForCallbacks(1);
			fake.clock.advance(5000);
			await getImageJob(fake, json.job_id);
			await fake.callbacksSettled();
			expect(received).toHaveLength(1);
			expect(received[0]).toMatchObject({ job_id: json.job_id, state: 'success' });
			expect(fake.callbacks).toEqual([expect.objectContaining({ url: receiverUrl, job_id: json.job_id, status: 200, state: 'success' })]);
		});

		test('copies: 0 is a lost callback: the job finishes, nothing is sent', async () => {
			fake.setOptions({ callbacks: { copies: 0, delayMs: 0, jitterMs: 0, early: false } });
			try {
				const job = fake.createJob({ callback: receiverUrl });
				fake.finishJob(job.job_id, 'success');
				await fake.callbacksSettled();
				expect(fake.getJob(job.job_id).state).toBe('success');
				expect(received).toHaveLength(0);
				expect(fake.callbacks).toHaveLength(0);
			} finally {
				fake.setOptions({ callbacks: { copies: 1, delayMs: 0, jitterMs: 0, early: false } });
			}
		});

		test('fires on failure forced by finishJob; a dead target is only logged', async () => {
			const job = fake.createJob({ callback: receiverUrl });
			fake.finishJob(job.job_id, 'failure', { failure_reason: 'oops' });
			await fake.waitForCallbacks(1);
			expect(received[0]).toMatchObject({ job_id: job.job_id, state: 'failure', failure_reason: 'oops' });

			fake.createJob({ callback: 'http://127.0.0.1:1/nothing-listens', queuedMs: 0, runningMs: 0 });
			await fake.waitForCallbacks(2);
			expect(fake.callbacks[1].status).toBeNull();
			expect(fake.callbacks[1].error).toEqual(expect.any(String));
		});

		test('real clock: timers fire callbacks without any read', async () => {
			const realFake = await startFakeDreamlook({ clock: { type: 'real', speed: 10 }, timing: { queuedMs: 100, runningMs: 200 }, quiet: true });
			try {
				const r = await createImage(realFake, { prompt: 'x', callback: receiverUrl });
				const t0 = performance.now();
				await realFake.waitForCallbacks(1, 3000);
				expect(performance.now() - t0).toBeLessThan(1500);
				expect(received[0]).toMatchObject({ job_id: r.json.job_id, state: 'success' });
			} finally {
				await realFake.close();
			}
		});
	});

	describe('misc', () => {
		test('unknown routes and methods', async () => {
			expect((await call(fake, 'GET', '/nope')).status).toBe(404);
			expect((await call(fake, 'GET', '/image_gen')).status).toBe(405);
		});

		test('reset returns to the start options', async () => {
			fake.setOptions({ listShape: 'array', timing: { runningMs: 1 } });
			fake.setLatency(50);
			fake.createJob({});
			fake.reset();
			expect(fake.options).toMatchObject({ listShape: 'object', timing: { queuedMs: 1000, runningMs: 3000 } });
			expect(fake.latencyMs).toBe(0);
			expect(fake.jobs()).toEqual([]);
		});

		test('cli starts, answers and stops on SIGTERM', async () => {
			const child = spawn(process.execPath, [path.join(__dirname, 'cli.js'), '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
			try {
				const url = await new Promise((resolve, reject) => {
					let out = '';
					child.stdout.on('data', (c) => {
						out += c;
						const m = /listening on (http:\/\/\S+)/.exec(out);
						if (m) resolve(m[1]);
					});
					child.on('exit', (code) => reject(new Error(`cli exited ${code}: ${out}`)));
				});
				const r = await fetch(`${url}/jobs`, { headers: { authorization: `Bearer ${DEFAULT_API_KEY}` } });
				expect(r.status).toBe(200);
				const exited = new Promise((resolve) => child.on('exit', resolve));
				child.kill('SIGTERM');
				expect(await exited).toBe(0);
			} finally {
				if (child.exitCode === null) child.kill('SIGKILL');
			}
		});

		test('admin endpoints drive a fake in another process', async () => {
			const adv = await call(fake, 'POST', '/__fake/advance', { body: { ms: 5 }, key: null });
			expect(adv.status).toBe(200);
			const job = (await call(fake, 'POST', '/__fake/jobs', { body: { config: { prompt: 'x' } }, key: null })).json;
			const fin = await call(fake, 'POST', `/__fake/jobs/${job.job_id}/finish`, { body: { outcome: 'success' }, key: null });
			expect(fin.json.state).toBe('success');
			await call(fake, 'POST', '/__fake/faults', { body: { path: '/jobs', action: { status: 418 } }, key: null });
			expect((await call(fake, 'GET', '/jobs')).status).toBe(418);
			expect(fake.requests.every((r) => !r.path.startsWith('/__fake'))).toBe(true);
		});
	});
});

describe('fake dreamlook: commit faults, redirects, slow and huge bodies', () => {
	/** @type {import('./fake.js').FakeDreamlook} */
	let fake;
	/** @type {import('./recorder.js').Recorder} */
	let recorder;
	const { startRecorder } = require('./index.js');
	beforeAll(async () => {
		fake = await startFakeDreamlook({ clock: 'manual', seed: 11, quiet: true });
		recorder = await startRecorder();
	});
	afterEach(() => {
		expect(fake.errors).toEqual([]);
		fake.reset();
		recorder.clear();
	});
	afterAll(async () => {
		await fake.close();
		await recorder.close();
	});

	test('redirect answers the 3xx with Location; the recorder sees what followed it', async () => {
		fake.faults.add({ method: 'POST', path: '/image_gen', action: { redirect: `${recorder.url}/image_gen?x=1` } });
		const r = await fetch(`${fake.url}/image_gen`, {
			method: 'POST',
			redirect: 'manual',
			headers: { authorization: `Bearer ${DEFAULT_API_KEY}`, 'content-type': 'application/json' },
			body: JSON.stringify({ prompt: 'fox' }),
		});
		expect(r.status).toBe(307);
		expect(r.headers.get('location')).toBe(`${recorder.url}/image_gen?x=1`);
		expect(fake.jobs()).toHaveLength(0);
		expect(fake.requests[0]).toMatchObject({ status: 307, fault: 'redirect:307', body: { prompt: 'fox' } });
		fake.faults.add({ path: '/jobs', action: { redirect: `${recorder.url}/elsewhere`, status: 301 } });
		expect((await call(fake, 'GET', '/jobs')).json).toEqual({ job_id: 'ig_evil0001' });
		// fetch drops authorization on a cross-origin redirect; the recorder says so without keeping the value.
		expect(recorder.requests).toEqual([expect.objectContaining({ method: 'GET', path: '/elsewhere', authorization: false })]);
		await fetch(recorder.url + '/p?q=2', { method: 'POST', headers: { authorization: 'Bearer k' }, body: '{"a":1}' });
		expect(recorder.requests[1]).toMatchObject({ method: 'POST', path: '/p', query: { q: '2' }, authorization: true, body: { a: 1 } });
		expect(JSON.stringify(recorder.requests)).not.toContain('Bearer k');
		expect(() => fake.faults.add({ action: { redirect: 'http://x', status: 200 } })).toThrow(/redirect status/);
	});

	test('dropAfterCommit creates the job and answers nothing', async () => {
		fake.faults.add({ method: 'POST', path: '/image_gen', action: { dropAfterCommit: true } });
		await expect(createImage(fake, { prompt: 'fox' })).rejects.toThrow();
		expect(fake.jobs()).toHaveLength(1);
		expect(fake.requests[0]).toMatchObject({ status: null, fault: 'dropAfterCommit', committedStatus: 200 });
	});

	test('statusAfterCommit creates the job then answers the given status', async () => {
		fake.faults.add({ method: 'POST', path: '/image_gen', action: { statusAfterCommit: 502, body: 'Bad Gateway', headers: { 'content-type': 'text/html' } } });
		const r = await createImage(fake, { prompt: 'fox' });
		expect(r.status).toBe(502);
		expect(r.text).toBe('Bad Gateway');
		expect(r.headers.get('content-type')).toBe('text/html');
		expect(fake.jobs()).toHaveLength(1);
		fake.faults.add({ method: 'POST', path: '/image_gen', action: { statusAfterCommit: 503 } });
		expect((await createImage(fake, { prompt: 'fox' })).json).toEqual({ detail: 'Service Unavailable' });
		expect(fake.jobs()).toHaveLength(2);
	});

	test('status faults can echo the authorization header transformed', async () => {
		fake.faults.add({ path: '/jobs', times: 3, action: { status: 500, echoAuth: 'swapcase' } });
		expect((await call(fake, 'GET', '/jobs')).json.echoed_authorization).toBe(`bEARER ${DEFAULT_API_KEY.toUpperCase()}`);
		fake.faults.rules[0].action = { kind: 'status', status: 500, body: 'oops', echoAuth: 'urlencoded' };
		expect((await call(fake, 'GET', '/jobs')).text).toBe(`oops\nauthorization: Bearer%20${DEFAULT_API_KEY}`);
		fake.faults.rules[0].action = { kind: 'status', status: 500, body: { a: 1 }, echoAuth: 'form' };
		expect((await call(fake, 'GET', '/jobs')).json).toEqual({ a: 1, echoed_authorization: `Bearer+${DEFAULT_API_KEY}` });
	});

	test('trickle sends the real file slowly; hugeBytes streams a large PNG-looking body', async () => {
		const job = fake.createJob({ type: 'image-gen', config: { prompt: 'fox', num_samples: 1 } });
		fake.finishJob(job.job_id, 'success');
		const url = fake.getJob(job.job_id).image_gen_results[0].generated_images[0].url;
		fake.faults.add({ path: '/images/', action: { trickle: { bytesPerChunk: 500, intervalMs: 50 } } });
		const t0 = Date.now();
		const slow = await call(fake, 'GET', url);
		expect(Date.now() - t0).toBeGreaterThanOrEqual(150); // 2000 bytes in 4 chunks, 3 waits
		expect(slow.buf.equals(fake.imageBytesFor(/\/images\/([^.]+)\.png/.exec(url)?.[1] ?? ''))).toBe(true);

		const N = 50 * 1024 * 1024 + 3;
		fake.faults.add({ path: '/images/', action: { hugeBytes: N } });
		const r = await fetch(url);
		expect(r.status).toBe(200);
		expect(r.headers.get('content-length')).toBe(String(N));
		expect(r.headers.get('content-type')).toBe('image/png');
		let total = 0;
		/** @type {Buffer|undefined} */
		let first;
		for await (const c of /** @type {any} */ (r.body)) {
			if (!first) first = Buffer.from(c);
			total += c.length;
		}
		expect(total).toBe(N);
		expect(first?.subarray(0, 8).equals(PNG_SIG)).toBe(true);
	});
});
