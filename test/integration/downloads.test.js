'use strict';
// Bounded image downloads (transport/download.ts), through n8n-core's engine against the fake:
// size limits, one deadline, stalls, content checks, the https-only rule, re-signing, Stop.
const http = require('node:http');
const { useFake, runDreamlook, imageCreateParameters, requestsTo, NODE_NAME, DEFAULT_API_KEY } = require('./helpers');
const { runWorkflow, manualTriggerNode, pollOnce } = require('../harness');
const { Dreamlook } = require('../../nodes/Dreamlook/Dreamlook.node');
const { DreamlookTrigger } = require('../../nodes/Dreamlook/DreamlookTrigger.node');
const { DreamlookApi } = require('../../credentials/DreamlookApi.credentials');
const { downloadImages } = require('../../nodes/Dreamlook/shared/binary');
const { getJob } = require('../../nodes/Dreamlook/transport/jobs');

const MB = 1024 * 1024;

const getParameters = (jobId, options = {}) => ({
	resource: 'job',
	operation: 'get',
	jobId,
	jobType: 'fromJobId',
	simplify: true,
	downloadImages: true,
	options,
});

/**
 * A test-only node that calls downloadImages as the create flow does, with the knobs the UI
 * does not show (stall time), so a stall can be told apart from the deadline in a short test.
 */
class DownloadProbe {
	constructor() {
		this.description = {
			displayName: 'Download Probe',
			name: 'downloadProbe',
			group: ['transform'],
			version: 1,
			description: 'Test node',
			defaults: { name: 'Download Probe' },
			inputs: ['main'],
			outputs: ['main'],
			credentials: [{ name: 'dreamlookApi', required: true }],
			properties: [
				{ displayName: 'Job ID', name: 'jobId', type: 'string', default: '' },
				{ displayName: 'Stall Ms', name: 'stallMs', type: 'number', default: 30000 },
				{ displayName: 'Deadline Ms', name: 'deadlineMs', type: 'number', default: 60000 },
			],
		};
	}

	async execute() {
		const jobId = this.getNodeParameter('jobId', 0);
		const job = await getJob(this, 'imageGen', jobId, 0);
		const binary = await downloadImages(this, job, {
			prefix: 'data',
			type: 'imageGen',
			itemIndex: 0,
			stallMs: this.getNodeParameter('stallMs', 0),
			deadline: Date.now() + this.getNodeParameter('deadlineMs', 0),
		});
		return [[{ json: { job_id: jobId }, binary }]];
	}
}

/** Manual Trigger → `node`, against `baseUrl` (the fake or a proxy in front of it). */
async function runNode(baseUrl, node, options = {}) {
	const trigger = manualTriggerNode();
	return await runWorkflow({
		nodeTypes: { 'n8n-nodes-dreamlook.dreamlook': Dreamlook, 'test.downloadProbe': DownloadProbe },
		credentialTypes: { dreamlookApi: DreamlookApi },
		credentials: { dreamlookApi: { id: '1', name: 'Dreamlook account', data: { apiKey: DEFAULT_API_KEY, baseUrl } } },
		nodes: [trigger, { id: 'n1', position: [200, 0], typeVersion: 1, credentials: { dreamlookApi: { id: '1', name: 'Dreamlook account' } }, ...node }],
		connections: { [trigger.name]: { main: [[{ node: node.name, type: 'main', index: 0 }]] } },
		binaryMode: options.binaryMode,
		abortAfterMs: options.abortAfterMs,
	});
}

const dreamlookNode = (parameters) => ({ name: NODE_NAME, type: 'n8n-nodes-dreamlook.dreamlook', parameters });
const probeNode = (parameters) => ({ name: 'Download Probe', type: 'test.downloadProbe', parameters });

/** A proxy in front of the fake that forwards everything but drops Content-Length from image answers. */
async function startProxyWithoutContentLength(fake) {
	const target = new URL(fake.url);
	const server = http.createServer((req, res) => {
		const upstream = http.request(
			{ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
			(answer) => {
				const headers = { ...answer.headers };
				if (req.url.startsWith('/images/')) delete headers['content-length'];
				res.writeHead(answer.statusCode, headers);
				answer.pipe(res);
				res.on('close', () => answer.destroy());
			},
		);
		upstream.on('error', () => res.destroy());
		req.pipe(upstream);
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${server.address().port}`;
	return {
		url,
		close: async () => {
			server.closeAllConnections();
			await new Promise((resolve) => server.close(resolve));
		},
	};
}

function finishedJob(fake, numSamples = 1) {
	const job = fake.createJob({ type: 'image-gen', body: { prompt: 'a fox', num_samples: numSamples } });
	fake.finishJob(job.job_id, 'success');
	return fake.getJob(job.job_id);
}

const imageIdsOf = (job) => job.image_gen_results[0].generated_images.map((image) => image.generated_image_id);

describe('Bounded downloads', () => {
	const fake = useFake();

	describe('size limit', () => {
		it('refuses an image whose Content-Length is above the limit, before reading it', async () => {
			fake.setOptions({ imageBytes: 3 * MB });
			const job = finishedJob(fake);
			const result = await runDreamlook(fake, getParameters(job.job_id, { maxImageSizeMb: 1 }));
			expect(result.error).toBeDefined();
			expect(result.error.message).toBe(
				`Could not download image 1 of 1 of Dreamlook job ${job.job_id}: it is larger than the 1 MB limit (the server announced 3 MB)`,
			);
			expect(result.error.context.itemIndex).toBe(0);
			expect(result.error.description).toMatch(/Max Image Size \(MB\)/);
		});

		it('counts the bytes when there is no Content-Length and stops just past the limit', async () => {
			const proxy = await startProxyWithoutContentLength(fake);
			try {
				fake.setOptions({ publicUrl: proxy.url });
				const job = finishedJob(fake);
				fake.faults.add({ path: /^\/images\//, action: { hugeBytes: 20 * MB } });
				const result = await runNode(proxy.url, dreamlookNode(getParameters(job.job_id, { maxImageSizeMb: 1 })));
				expect(result.error).toBeDefined();
				const match = /^Could not download image 1 of 1 of Dreamlook job \w+: it is larger than the 1 MB limit \(more than that arrived: stopped at ([\d.]+) MB\)$/.exec(
					result.error.message,
				);
				expect(match).not.toBeNull();
				// Stopped within a few chunks of the limit, far from the 20 MB on offer.
				expect(Number(match[1])).toBeLessThan(1.5);
			} finally {
				await proxy.close();
			}
		});

		it('streams an image without Content-Length that fits, in both binary modes', async () => {
			const proxy = await startProxyWithoutContentLength(fake);
			try {
				fake.setOptions({ publicUrl: proxy.url });
				const job = finishedJob(fake);
				for (const binaryMode of ['filesystem', 'default']) {
					fake.faults.add({ path: /^\/images\//, action: { hugeBytes: 2 * MB } });
					const result = await runNode(proxy.url, dreamlookNode(getParameters(job.job_id, { maxImageSizeMb: 3 })), { binaryMode });
					expect(result.error).toBeUndefined();
					const bytes = await result.binaryBuffer(NODE_NAME, 0, 'data_0');
					expect(bytes.length).toBe(2 * MB);
					expect(bytes.subarray(0, 4).toString('latin1')).toBe('\x89PNG');
					expect(result.outputOf(NODE_NAME)[0].binary.data_0).toMatchObject({ mimeType: 'image/png', fileName: `${job.job_id}_0.png` });
				}
			} finally {
				await proxy.close();
			}
		});
	});

	describe('time', () => {
		it('aborts a slow trickle at the deadline, with the deadline as the reason', async () => {
			const job = finishedJob(fake);
			// 2 000 bytes at 10 bytes every 150 ms would take 30 s.
			fake.faults.add({ path: /^\/images\//, action: { trickle: { bytesPerChunk: 10, intervalMs: 150 } } });
			const started = Date.now();
			const result = await runDreamlook(fake, getParameters(job.job_id, { downloadTimeout: 1 }));
			const elapsed = Date.now() - started;
			expect(result.error).toBeDefined();
			expect(result.error.message).toMatch(
				new RegExp(`^Could not download image 1 of 1 of Dreamlook job ${job.job_id}: the time allowed for downloads ran out \\(\\d+ bytes of this image received\\)$`),
			);
			const received = Number(/\((\d+) bytes/.exec(result.error.message)[1]);
			expect(received).toBeGreaterThan(0);
			expect(received).toBeLessThan(2000);
			expect(elapsed).toBeGreaterThanOrEqual(950);
			expect(elapsed).toBeLessThan(4000);
		});

		it('aborts a download that stops sending (stall), long before the deadline', async () => {
			const job = finishedJob(fake);
			// The first 100 bytes at once, the next ones 5 s later.
			fake.faults.add({ path: /^\/images\//, action: { trickle: { bytesPerChunk: 100, intervalMs: 5000 } } });
			const started = Date.now();
			const result = await runNode(fake.url, probeNode({ jobId: job.job_id, stallMs: 400, deadlineMs: 20000 }));
			const elapsed = Date.now() - started;
			expect(result.error).toBeDefined();
			expect(result.error.message).toBe(
				`Could not download image 1 of 1 of Dreamlook job ${job.job_id}: no data arrived for 0.4 s (100 bytes received), so the download was stopped`,
			);
			expect(elapsed).toBeLessThan(3000);
		});

		it('treats a server that never answers as a stall', async () => {
			const job = finishedJob(fake);
			fake.faults.add({ path: /^\/images\//, action: { hangMs: 5000 } });
			const started = Date.now();
			const result = await runNode(fake.url, probeNode({ jobId: job.job_id, stallMs: 300, deadlineMs: 20000 }));
			expect(result.error?.message).toMatch(/: no data arrived for 0\.3 s \(0 bytes received\), so the download was stopped$/);
			expect(Date.now() - started).toBeLessThan(3000);
		});

		it('Stop Execution aborts a download at once', async () => {
			const job = finishedJob(fake);
			fake.faults.add({ path: /^\/images\//, action: { trickle: { bytesPerChunk: 10, intervalMs: 150 } } });
			const started = Date.now();
			const result = await runDreamlook(fake, getParameters(job.job_id), { abortAfterMs: 400 });
			expect(result.status).toBe('canceled');
			expect(Date.now() - started).toBeLessThan(2000);
			expect(requestsTo(fake, 'GET', '/images/')).toHaveLength(1);
		});
	});

	describe('retries (transport/retry.ts policy for GET)', () => {
		it('repeats a download cut off halfway and one answered 503, then stores the whole image', async () => {
			const job = finishedJob(fake);
			const [imageId] = imageIdsOf(job);
			fake.faults.add({ path: /^\/images\//, action: { partial: true } });
			fake.faults.add({ path: /^\/images\//, action: { status: 503 } });
			const result = await runDreamlook(fake, getParameters(job.job_id));
			expect(result.error).toBeUndefined();
			expect(requestsTo(fake, 'GET', '/images/')).toHaveLength(3);
			expect(await result.binaryBuffer(NODE_NAME, 0, 'data_0')).toEqual(fake.imageBytesFor(imageId));
		});

		it('does not repeat a 404, and names what the storage host said', async () => {
			const job = finishedJob(fake);
			fake.faults.add({ path: /^\/images\//, action: { status: 404, body: "<?xml version='1.0'?><Error><Code>NoSuchKey</Code></Error>", headers: { 'content-type': 'application/xml' } } });
			const result = await runDreamlook(fake, getParameters(job.job_id));
			expect(result.error?.message).toBe(`Could not download image 1 of 1 of Dreamlook job ${job.job_id}: the image host answered HTTP 404 (NoSuchKey)`);
			expect(result.error.httpCode).toBe('404');
			expect(requestsTo(fake, 'GET', '/images/')).toHaveLength(1);
		});
	});

	describe('content', () => {
		it('never stores an HTML page answered with 200: the type and the first words are named, no tags', async () => {
			const job = finishedJob(fake);
			fake.faults.add({
				path: /^\/images\//,
				action: { status: 200, body: '<!doctype html><html><head><title>Sign in</title></head><body><h1>Please sign in</h1></body></html>', headers: { 'content-type': 'text/html; charset=utf-8' } },
			});
			const result = await runDreamlook(fake, getParameters(job.job_id), { continueOnFail: true });
			const [item] = result.outputOf(NODE_NAME);
			expect(item.binary).toBeUndefined();
			expect(item.json.error).toBe(
				`Could not download image 1 of 1 of Dreamlook job ${job.job_id}: the server sent text/html, not an image; it starts with "Sign in Please sign in"`,
			);
			expect(item.json.error).not.toMatch(/[<>]/);
		});

		it('sniffs a generic content type: an image passes, anything else is refused', async () => {
			const job = finishedJob(fake);
			fake.faults.add({ path: /^\/images\//, action: { hugeBytes: 5000, contentType: 'application/octet-stream' } });
			const ok = await runDreamlook(fake, getParameters(job.job_id));
			expect(ok.error).toBeUndefined();
			expect(ok.outputOf(NODE_NAME)[0].binary.data_0).toMatchObject({ mimeType: 'image/png', fileName: `${job.job_id}_0.png` });

			fake.faults.add({ path: /^\/images\//, action: { status: 200, body: '{"error":"AccessDenied"}', headers: { 'content-type': 'binary/octet-stream' } } });
			const refused = await runDreamlook(fake, getParameters(job.job_id));
			expect(refused.error?.message).toBe(
				`Could not download image 1 of 1 of Dreamlook job ${job.job_id}: the content is not an image (binary/octet-stream, no PNG/JPEG/WebP/GIF signature); it starts with "{"error":"AccessDenied"}"`,
			);
		});

		it('Image → Create with wait and download fails the item, naming its job, on an HTML answer', async () => {
			fake.faults.add({ path: /^\/images\//, action: { status: 200, body: '<html>maintenance</html>', headers: { 'content-type': 'text/html' } } });
			const result = await runDreamlook(fake, imageCreateParameters(), { continueOnFail: true });
			const [item] = result.outputOf(NODE_NAME);
			const [job] = fake.jobs();
			expect(item.binary).toBeUndefined();
			expect(item.json.error).toBe(`Could not download image 1 of 1 of Dreamlook job ${job.job_id}: the server sent text/html, not an image; it starts with "maintenance"`);
		});

		it('Image → Create with wait and download stores every image', async () => {
			const result = await runDreamlook(fake, imageCreateParameters({ numSamples: 2 }));
			expect(result.error).toBeUndefined();
			const [item] = result.outputOf(NODE_NAME);
			expect(Object.keys(item.binary)).toEqual(['data_0', 'data_1']);
			const [job] = fake.jobs();
			const ids = imageIdsOf(job);
			expect(await result.binaryBuffer(NODE_NAME, 0, 'data_1')).toEqual(fake.imageBytesFor(ids[1]));
		});
	});

	describe('Dreamlook Trigger', () => {
		it("keeps downloads inside the poll's budget: a trickle becomes download_error, the job is still emitted", async () => {
			const poll = (staticData) =>
				pollOnce({
					nodeType: DreamlookTrigger,
					credentialTypes: { dreamlookApi: DreamlookApi },
					credentials: { dreamlookApi: { id: '1', name: 'Dreamlook', data: { apiKey: DEFAULT_API_KEY, baseUrl: fake.url } } },
					parameters: { event: 'success', jobType: 'all', simplify: true, downloadImages: true },
					staticData,
					getPollBudgetMs: () => 2000,
				});
			const job = fake.createJob({ type: 'image-gen', body: { prompt: 'a fox' }, queuedMs: 1e9, runningMs: 1e9 });
			const staticData = {};
			await poll(staticData);
			fake.finishJob(job.job_id, 'success');
			fake.faults.add({ path: /^\/images\//, action: { trickle: { bytesPerChunk: 10, intervalMs: 150 } } });
			const started = Date.now();
			const result = await poll(staticData);
			expect(Date.now() - started).toBeLessThan(2000);
			const [item] = result.items[0];
			expect(item.json.job_id).toBe(job.job_id);
			expect(item.binary).toBeUndefined();
			expect(item.json.download_error).toMatch(new RegExp(`^Could not download image 1 of 1 of Dreamlook job ${job.job_id}: the time allowed for downloads ran out`));
		});
	});

	describe('where images may come from', () => {
		it('refuses a plain-http link on another host before any request, naming the host', async () => {
			const port = new URL(fake.url).port;
			fake.setOptions({ publicUrl: `http://localhost:${port}` });
			const job = finishedJob(fake);
			fake.clearRequests();
			const result = await runDreamlook(fake, getParameters(job.job_id));
			expect(result.error?.message).toBe(
				`Could not download image 1 of 1 of Dreamlook job ${job.job_id}: the image link points at http://localhost:${port}: only https links (or links on the credential's Base URL ${fake.url}) are downloaded`,
			);
			// localhost reaches the same fake: had a request been sent, it would be in the log.
			expect(requestsTo(fake, 'GET', '/images/')).toHaveLength(0);
		});

		it('follows a redirect on the Base URL origin, refuses one to a plain-http host', async () => {
			const job = finishedJob(fake);
			const [imageId] = imageIdsOf(job);
			const port = new URL(fake.url).port;
			const fresh = fake.imageUrl(imageId);
			fake.faults.add({ path: /^\/images\//, action: { redirect: fresh } });
			const followed = await runDreamlook(fake, getParameters(job.job_id));
			expect(followed.error).toBeUndefined();
			expect(await followed.binaryBuffer(NODE_NAME, 0, 'data_0')).toEqual(fake.imageBytesFor(imageId));

			fake.clearRequests();
			fake.faults.add({ path: /^\/images\//, action: { redirect: fresh.replace('127.0.0.1', 'localhost') } });
			const refused = await runDreamlook(fake, getParameters(job.job_id));
			expect(refused.error?.message).toMatch(new RegExp(`: the image host redirected elsewhere: the image link points at http://localhost:${port}: only https links`));
			expect(requestsTo(fake, 'GET', '/images/')).toHaveLength(1);
			expect(requestsTo(fake, 'GET', '/images/').every((entry) => entry.authorized === false)).toBe(true);
		});

		it('never sends the Dreamlook key to the image host', async () => {
			const job = finishedJob(fake, 2);
			const result = await runDreamlook(fake, getParameters(job.job_id));
			expect(result.error).toBeUndefined();
			const images = requestsTo(fake, 'GET', '/images/');
			expect(images).toHaveLength(2);
			expect(images.every((entry) => entry.authorized === false)).toBe(true);
			expect(requestsTo(fake, 'GET', '/jobs/').every((entry) => entry.authorized === true)).toBe(true);
		});
	});

	describe('re-signing expired links', () => {
		it('re-fetches the job because the first link had expired, then downloads with the fresh link', async () => {
			const job = finishedJob(fake, 2);
			// The job as read an hour ago: its links expired 10 s ago.
			fake.setOptions({ urlTtlSeconds: -10 });
			const stale = fake.getJob(job.job_id);
			fake.setOptions({ urlTtlSeconds: 3600 });
			fake.faults.add({ method: 'GET', path: `/jobs/image-gen/${job.job_id}`, action: { status: 200, body: stale } });
			fake.clearRequests();

			const result = await runDreamlook(fake, getParameters(job.job_id));
			expect(result.error).toBeUndefined();
			const [item] = result.outputOf(NODE_NAME);
			expect(Object.keys(item.binary)).toEqual(['data_0', 'data_1']);

			const log = fake.requests.map((entry) => ({ ...entry, route: `${entry.method} ${entry.path}` }));
			const [imageA, imageB] = imageIdsOf(job);
			expect(log.map((entry) => `${entry.route} ${entry.status}`)).toEqual([
				`GET /jobs/image-gen/${job.job_id} 200`,
				`GET /images/${imageA}.png 403`,
				`GET /jobs/image-gen/${job.job_id} 200`,
				`GET /images/${imageA}.png 200`,
				`GET /images/${imageB}.png 200`,
			]);
			// The first image request used the stale (expired) link; the retry a freshly signed one.
			const staleUrl = new URL(stale.image_gen_results[0].generated_images[0].url);
			expect(log[1].query).toEqual(Object.fromEntries(staleUrl.searchParams));
			expect(Number(log[1].query.expires)).toBeLessThan(log[1].at / 1000);
			expect(Number(log[3].query.expires)).toBeGreaterThan(log[3].at / 1000);
			expect(await result.binaryBuffer(NODE_NAME, 0, 'data_1')).toEqual(fake.imageBytesFor(imageB));
		});

		it('a second 403 after re-signing fails the item instead of looping', async () => {
			const job = finishedJob(fake);
			fake.faults.add({ path: /^\/images\//, times: 2, action: { status: 403, body: '<Error><Code>AccessDenied</Code></Error>', headers: { 'content-type': 'application/xml' } } });
			const result = await runDreamlook(fake, getParameters(job.job_id));
			expect(result.error?.message).toBe(`Could not download image 1 of 1 of Dreamlook job ${job.job_id}: the image host answered HTTP 403 (AccessDenied)`);
			expect(requestsTo(fake, 'GET', '/jobs/')).toHaveLength(2);
			expect(requestsTo(fake, 'GET', '/images/')).toHaveLength(2);
		});

		it('a re-fetched job with fewer images: what still exists is downloaded, only the missing one is named', async () => {
			const job = finishedJob(fake, 3);
			const [imageA, imageB, imageC] = imageIdsOf(job);
			const fewer = fake.getJob(job.job_id);
			fewer.image_gen_results[0].generated_images = fewer.image_gen_results[0].generated_images.filter((image) => image.generated_image_id !== imageB);
			// First job read as usual, the second (after the 403) lists images A and C only.
			fake.faults.add({ method: 'GET', path: `/jobs/image-gen/${job.job_id}`, action: { delayMs: 0 } });
			fake.faults.add({ method: 'GET', path: `/jobs/image-gen/${job.job_id}`, action: { status: 200, body: fewer } });
			fake.faults.add({ path: `/images/${imageA}`, action: { status: 403, body: '<Error><Code>ExpiredToken</Code></Error>' } });

			const result = await runDreamlook(fake, getParameters(job.job_id));
			expect(result.error?.message).toBe(
				`Could not download image 2 of 3 of Dreamlook job ${job.job_id}: the job no longer lists it after its links were re-signed`,
			);
			expect(result.error.context.itemIndex).toBe(0);
			expect(requestsTo(fake, 'GET', '/images/').map((entry) => `${entry.path} ${entry.status}`)).toEqual([
				`/images/${imageA}.png 403`,
				`/images/${imageA}.png 200`,
				`/images/${imageC}.png 200`,
			]);
		});

		it('a re-fetched job with no images left at all fails with every missing image named, without crashing', async () => {
			const job = finishedJob(fake, 2);
			const empty = fake.getJob(job.job_id);
			empty.image_gen_results = [];
			fake.faults.add({ method: 'GET', path: `/jobs/image-gen/${job.job_id}`, action: { delayMs: 0 } });
			fake.faults.add({ method: 'GET', path: `/jobs/image-gen/${job.job_id}`, action: { status: 200, body: empty } });
			fake.faults.add({ path: /^\/images\//, action: { status: 403 } });
			const result = await runDreamlook(fake, getParameters(job.job_id));
			expect(result.error?.message).toBe(
				`Could not download images 1, 2 of 2 of Dreamlook job ${job.job_id}: the job no longer lists them after its links were re-signed`,
			);
			expect(result.error.description).toMatch(/now lists 0 image/);
		});
	});
});
