import type { IDataObject, IExecuteFunctions, IHttpRequestOptions } from 'n8n-workflow';
import { NodeApiError, sleep } from 'n8n-workflow';
// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- test only: a real Node stream stands in for the HTTP response
import { Readable } from 'node:stream';

import { downloadImage, type ImageDownload, WRITE_CHUNK_BYTES } from '../../nodes/Dreamlook/transport/download';
import {
	extensionFor,
	formatBytes,
	imageTypeOf,
	imageUrlProblem,
	mimeOf,
	previewOf,
	sniffImageType,
} from '../../nodes/Dreamlook/transport/imageCheck';
import { KEY, node } from './fixtures';

const BASE_URL = 'http://127.0.0.1:4010';

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];
const bytes = (values: number[] | string) => (typeof values === 'string' ? Buffer.from(values, 'latin1') : Buffer.from(values));

describe('image signatures', () => {
	it('recognises PNG, JPEG, GIF and WebP by their first bytes', () => {
		expect(sniffImageType(bytes(PNG))).toBe('image/png');
		expect(sniffImageType(bytes([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]))).toBe('image/jpeg');
		expect(sniffImageType(bytes('GIF89a\x01\x00'))).toBe('image/gif');
		expect(sniffImageType(bytes('GIF87a'))).toBe('image/gif');
		expect(sniffImageType(bytes('RIFF\x24\x00\x00\x00WEBPVP8 '))).toBe('image/webp');
	});

	it('recognises nothing else, nor a truncated signature', () => {
		expect(sniffImageType(bytes('<!doctype html><html>'))).toBeUndefined();
		expect(sniffImageType(bytes('{"error":"AccessDenied"}'))).toBeUndefined();
		expect(sniffImageType(bytes(PNG.slice(0, 7)))).toBeUndefined();
		expect(sniffImageType(bytes('RIFF\x24\x00\x00\x00WAVE'))).toBeUndefined();
		expect(sniffImageType(bytes([]))).toBeUndefined();
	});
});

describe('content check', () => {
	it('trusts image/*, sniffs generic or missing types, refuses the rest by name', () => {
		expect(imageTypeOf('image/jpeg', bytes('anything'))).toEqual({ mimeType: 'image/jpeg' });
		expect(imageTypeOf('application/octet-stream', bytes(PNG))).toEqual({ mimeType: 'image/png' });
		expect(imageTypeOf('binary/octet-stream', bytes([0xff, 0xd8, 0xff, 0xdb]))).toEqual({ mimeType: 'image/jpeg' });
		expect(imageTypeOf('', bytes('GIF89a'))).toEqual({ mimeType: 'image/gif' });
		expect(imageTypeOf('application/octet-stream', bytes('<html>'))).toEqual({
			problem: 'the content is not an image (application/octet-stream, no PNG/JPEG/WebP/GIF signature)',
		});
		expect(imageTypeOf('', bytes('hello'))).toEqual({ problem: 'the content is not an image (no content type, no PNG/JPEG/WebP/GIF signature)' });
		// A PNG signature does not make an HTML answer acceptable: the declared type wins.
		expect(imageTypeOf('text/html', bytes(PNG))).toEqual({ problem: 'the server sent text/html, not an image' });
	});

	it('reads the media type out of a Content-Type header', () => {
		expect(mimeOf('Text/HTML; charset=utf-8')).toBe('text/html');
		expect(mimeOf(['image/png'])).toBe('image/png');
		expect(mimeOf(undefined)).toBe('');
	});

	it('shows the first bytes as safe text: no tags, no control characters, at most 80 characters', () => {
		expect(previewOf(bytes('<!doctype html>\n<html><head><title>Sign in</title></head><body>Go away</body></html>'))).toBe('Sign in Go away');
		expect(previewOf(bytes('<script>alert(1)</script>'))).toBe('alert(1)');
		expect(previewOf(bytes('a < b and c > d <unclosed'))).toBe('a d');
		expect(previewOf(bytes([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]))).toBe('.PNG..');
		const long = previewOf(bytes('x'.repeat(500)));
		expect(long.length).toBe(80);
		expect(long.endsWith('…')).toBe(true);
	});

	it('names file extensions and sizes', () => {
		expect(extensionFor('image/png', 'https://h/a.bin')).toBe('png');
		expect(extensionFor('image/jpeg', 'https://h/a')).toBe('jpeg');
		expect(extensionFor('image/x-unknown', 'https://h/a.webp?sig=1')).toBe('webp');
		expect(extensionFor('image/svg+xml', 'https://h/a')).toBe('svg');
		expect(formatBytes(52428800)).toBe('50 MB');
		expect(formatBytes(1572864)).toBe('1.5 MB');
		expect(formatBytes(2048)).toBe('2 KB');
		expect(formatBytes(999)).toBe('999 bytes');
	});
});

describe('which image URLs may be fetched', () => {
	it('allows any https URL', () => {
		expect(imageUrlProblem('https://storage.googleapis.com/dl/img.png?sig=1', BASE_URL)).toBeUndefined();
		expect(imageUrlProblem('https://127.0.0.1:9999/a.png', 'https://api.dreamlook.ai')).toBeUndefined();
	});

	it('allows plain http only on the Base URL origin (a local fake or a proxy)', () => {
		expect(imageUrlProblem(`${BASE_URL}/images/img_1.png?sig=1`, BASE_URL)).toBeUndefined();
		expect(imageUrlProblem(`${BASE_URL}/images/img_1.png`, `${BASE_URL}/`)).toBeUndefined();
	});

	it('refuses other hosts, ports and schemes, naming the host', () => {
		expect(imageUrlProblem('http://evil.example/a.png', 'https://api.dreamlook.ai')).toBe(
			"the image link points at http://evil.example: only https links (or links on the credential's Base URL https://api.dreamlook.ai) are downloaded",
		);
		expect(imageUrlProblem('http://127.0.0.1:4011/a.png', BASE_URL)).toMatch(/points at http:\/\/127\.0\.0\.1:4011: /);
		expect(imageUrlProblem('http://localhost:4010/a.png', BASE_URL)).toMatch(/points at http:\/\/localhost:4010: /);
		expect(imageUrlProblem('file:///etc/passwd', BASE_URL)).toMatch(/points at file:\/\/: /);
		expect(imageUrlProblem('ftp://files.example/a.png', BASE_URL)).toMatch(/points at ftp:\/\/files\.example: /);
		expect(imageUrlProblem('not a url', BASE_URL)).toBe('the image link is not a valid URL (not a url)');
	});
});

// downloadImage with a stand-in context: bodies that are not Node streams take the buffered path.

interface FakeAnswer {
	statusCode?: number;
	headers?: Record<string, string>;
	chunks?: Buffer[];
	/** After the chunks, never end (until destroyed). */
	hang?: boolean;
}

function fakeBody(answer: FakeAnswer) {
	const chunks = answer.chunks ?? [];
	let index = 0;
	let fail: ((error: Error) => void) | undefined;
	const body = {
		destroyed: false,
		destroy(error?: Error) {
			body.destroyed = true;
			fail?.(error ?? new Error('destroyed'));
		},
		[Symbol.asyncIterator]() {
			return {
				next: async (): Promise<IteratorResult<Uint8Array>> => {
					if (body.destroyed) throw new Error('destroyed');
					if (index < chunks.length) return { done: false, value: chunks[index++] };
					if (answer.hang) return await new Promise<IteratorResult<Uint8Array>>((_resolve, reject) => (fail = reject));
					return { done: true, value: undefined };
				},
				return: async (): Promise<IteratorResult<Uint8Array>> => ({ done: true, value: undefined }),
			};
		},
	};
	return body;
}

function fakeContext(answers: FakeAnswer[], signal?: AbortSignal) {
	const requests: IHttpRequestOptions[] = [];
	const stored: Array<{ data: Buffer; fileName?: string; mimeType?: string }> = [];
	const ctx = {
		getNode: () => node,
		getCredentials: async () => ({ apiKey: KEY, baseUrl: BASE_URL }),
		getExecutionCancelSignal: () => signal,
		helpers: {
			httpRequest: async (options: IHttpRequestOptions) => {
				requests.push(options);
				const answer = answers[Math.min(requests.length - 1, answers.length - 1)];
				return {
					statusCode: answer.statusCode ?? 200,
					headers: answer.headers ?? { 'content-type': 'image/png' },
					body: fakeBody(answer),
				};
			},
			httpRequestWithAuthentication: async () => {
				throw new Error('image downloads must not be authenticated');
			},
			prepareBinaryData: async (data: Buffer, fileName?: string, mimeType?: string) => {
				stored.push({ data, fileName, mimeType });
				return { data: data.toString('base64'), fileName, mimeType } as IDataObject;
			},
		},
	} as unknown as IExecuteFunctions;
	return { ctx, requests, stored };
}

const request = (overrides: Partial<ImageDownload> = {}): ImageDownload => ({
	url: `${BASE_URL}/images/img_1.png?sig=1`,
	jobId: 'ig_abc12345',
	index: 0,
	count: 2,
	itemIndex: 3,
	fileBaseName: 'ig_abc12345_0',
	...overrides,
});

async function failureOf(promise: Promise<unknown>): Promise<NodeApiError> {
	const outcome = await promise.then(
		() => undefined,
		(error: unknown) => error,
	);
	expect(outcome).toBeInstanceOf(NodeApiError);
	return outcome as NodeApiError;
}

describe('downloadImage', () => {
	it('fetches without credentials, redirects off, and stores what arrived with its type', async () => {
		const { ctx, requests, stored } = fakeContext([{ chunks: [bytes(PNG), bytes('rest')] }]);
		const result = await downloadImage(ctx, request());
		expect(result).toMatchObject({ ok: true, bytes: 16 });
		expect(requests).toHaveLength(1);
		expect(requests[0]).toMatchObject({ method: 'GET', encoding: 'stream', disableFollowRedirect: true });
		expect(requests[0].headers).toBeUndefined();
		expect(stored[0].data).toEqual(Buffer.concat([bytes(PNG), bytes('rest')]));
		expect(stored[0]).toMatchObject({ fileName: 'ig_abc12345_0.png', mimeType: 'image/png' });
	});

	it('keeps each request within the time left', async () => {
		const { ctx, requests } = fakeContext([{ chunks: [bytes(PNG)] }]);
		await downloadImage(ctx, request({ limits: { deadline: Date.now() + 700 } }));
		expect(requests[0].timeout).toBeGreaterThan(0);
		expect(requests[0].timeout).toBeLessThanOrEqual(700);
	});

	it('refuses a foreign plain-http URL before any request, naming the host, item and job', async () => {
		const { ctx, requests } = fakeContext([{ chunks: [bytes(PNG)] }]);
		const error = await failureOf(downloadImage(ctx, request({ url: 'http://cdn.example:8080/a.png' })));
		expect(requests).toHaveLength(0);
		expect(error.message).toMatch(/^Could not download image 1 of 2 of Dreamlook job ig_abc12345: the image link points at http:\/\/cdn\.example:8080: /);
		expect(error.context.itemIndex).toBe(3);
	});

	it('stops counting at the limit when no Content-Length was sent', async () => {
		const chunk = Buffer.alloc(400, 1);
		chunk.set(PNG);
		const { ctx, stored } = fakeContext([{ chunks: [chunk, chunk, chunk, chunk] }]);
		const error = await failureOf(downloadImage(ctx, request({ limits: { maxBytes: 1000 } })));
		expect(error.message).toBe('Could not download image 1 of 2 of Dreamlook job ig_abc12345: it is larger than the 1000 bytes limit (more than that arrived: stopped at 1.2 KB)');
		expect(stored).toHaveLength(0);
	});

	it('refuses early on a Content-Length above the limit', async () => {
		const { ctx } = fakeContext([{ headers: { 'content-type': 'image/png', 'content-length': String(60 * 1024 * 1024) }, chunks: [bytes(PNG)] }]);
		const error = await failureOf(downloadImage(ctx, request()));
		expect(error.message).toMatch(/: it is larger than the 50 MB limit \(the server announced 60 MB\)$/);
	});

	it('aborts a body that stops sending after the stall time', async () => {
		const { ctx } = fakeContext([{ chunks: [bytes(PNG)], hang: true }]);
		const started = Date.now();
		const error = await failureOf(downloadImage(ctx, request({ limits: { stallMs: 150 } })));
		expect(error.message).toBe('Could not download image 1 of 2 of Dreamlook job ig_abc12345: no data arrived for 0.2 s (12 bytes received), so the download was stopped');
		expect(Date.now() - started).toBeGreaterThanOrEqual(140);
	});

	it('aborts at the deadline when it comes before the stall time', async () => {
		const { ctx } = fakeContext([{ chunks: [bytes(PNG)], hang: true }]);
		const error = await failureOf(downloadImage(ctx, request({ limits: { deadline: Date.now() + 200, stallMs: 10000 } })));
		expect(error.message).toMatch(/: the time allowed for downloads ran out \(12 bytes of this image received\)$/);
	});

	it('sends nothing once the deadline has passed or the execution was stopped', async () => {
		const late = fakeContext([{ chunks: [bytes(PNG)] }]);
		const error = await failureOf(downloadImage(late.ctx, request({ limits: { deadline: Date.now() - 1 } })));
		expect(error.message).toMatch(/: the time allowed for downloads ran out/);
		expect(late.requests).toHaveLength(0);

		const controller = new AbortController();
		controller.abort();
		const stopped = fakeContext([{ chunks: [bytes(PNG)] }], controller.signal);
		const cancelled = await failureOf(downloadImage(stopped.ctx, request()));
		expect(cancelled.message).toMatch(/: the execution was stopped$/);
		expect(stopped.requests).toHaveLength(0);
	});

	it('hands back an expired-link status instead of failing when asked to', async () => {
		const { ctx } = fakeContext([{ statusCode: 403, headers: { 'content-type': 'application/xml' }, chunks: [bytes('<Error/>')] }]);
		expect(await downloadImage(ctx, request({ passStatuses: [403, 400] }))).toEqual({ ok: false, status: 403 });
		const error = await failureOf(downloadImage(ctx, request()));
		expect(error.message).toBe('Could not download image 1 of 2 of Dreamlook job ig_abc12345: the image host answered HTTP 403');
		expect(error.httpCode).toBe('403');
	});

	it('keeps the API key out of the message even when the body echoes it', async () => {
		const { ctx } = fakeContext([{ headers: { 'content-type': 'text/plain' }, chunks: [bytes(`authorization: Bearer ${KEY}`)] }]);
		const error = await failureOf(downloadImage(ctx, request()));
		expect(error.message).toMatch(/the server sent text\/plain, not an image; it starts with "authorization: Bearer \[redacted\]"/);
		expect(JSON.stringify(error)).not.toContain(KEY);
	});

	it('follows a redirect only to an allowed URL', async () => {
		const { ctx, requests } = fakeContext([
			{ statusCode: 302, headers: { location: 'https://cdn.example/img.png' } },
			{ chunks: [bytes(PNG)] },
		]);
		expect(await downloadImage(ctx, request())).toMatchObject({ ok: true });
		expect(requests.map((options) => options.url)).toEqual([`${BASE_URL}/images/img_1.png?sig=1`, 'https://cdn.example/img.png']);

		const refused = fakeContext([{ statusCode: 302, headers: { location: 'http://cdn.example/img.png' } }]);
		const error = await failureOf(downloadImage(refused.ctx, request()));
		expect(error.message).toMatch(/: the image host redirected elsewhere: the image link points at http:\/\/cdn\.example: /);
		expect(refused.requests).toHaveLength(1);
	});
});

// A checkpoint streamed as a real Node stream (the path of n8n's httpRequest), into a store that
// reads it as n8n's filesystem store does (fs.promises.writeFile: one awaited write per chunk).

describe('downloadImage: streaming a large file into the binary store', () => {
	const NET_CHUNK = 64 * 1024;

	/** A response body of `count` network chunks of 64 KB (byte i of the file is i % 251), counting what was read from it. */
	function networkBody(count: number, tail = 0) {
		const source = { pulled: 0 };
		async function* chunks() {
			for (let index = 0; index <= count; index++) {
				const length = index < count ? NET_CHUNK : tail;
				if (length === 0) continue;
				const chunk = Buffer.alloc(length);
				for (let offset = 0; offset < length; offset++) chunk[offset] = (index * NET_CHUNK + offset) % 251;
				source.pulled += length;
				yield chunk;
			}
		}
		return { source, body: Readable.from(chunks(), { objectMode: false }) };
	}

	function streamingContext(body: Readable, headers: Record<string, string>, writeMs = 2) {
		const writes: Array<{ length: number; aheadOfStore: number }> = [];
		const stored: Buffer[] = [];
		const state = { written: 0, pulled: () => 0 };
		const ctx = {
			getNode: () => node,
			getCredentials: async () => ({ apiKey: KEY, baseUrl: BASE_URL }),
			getExecutionCancelSignal: () => undefined,
			helpers: {
				httpRequest: async () => ({ statusCode: 200, headers, body }),
				httpRequestWithAuthentication: async () => {
					throw new Error('downloads must not be authenticated');
				},
				prepareBinaryData: async (data: AsyncIterable<Buffer>, fileName?: string, mimeType?: string) => {
					expect(Buffer.isBuffer(data)).toBe(false);
					for await (const chunk of data) {
						stored.push(chunk);
						await sleep(writeMs);
						// At the end of this write: what was read from the network beyond it (the memory held).
						writes.push({ length: chunk.length, aheadOfStore: state.pulled() - state.written - chunk.length });
						state.written += chunk.length;
					}
					return { data: '', fileName, mimeType } as IDataObject;
				},
			},
		} as unknown as IExecuteFunctions;
		return { ctx, writes, stored, state };
	}

	const file = (overrides: Partial<ImageDownload> = {}) =>
		request({ url: `${BASE_URL}/checkpoints/ckp_1.safetensors?sig=1`, content: 'file', noun: 'checkpoint', fileBaseName: 'ckp_1', limits: { maxBytes: 64 * 1024 * 1024 }, ...overrides });

	it('hands the store 256 KB chunks instead of the 64 KB network chunks, byte for byte', async () => {
		const { source, body } = networkBody(40, 1000);
		const { ctx, writes, stored, state } = streamingContext(body, { 'content-type': 'application/octet-stream', 'content-length': String(40 * NET_CHUNK + 1000) });
		state.pulled = () => source.pulled;
		const progress: number[] = [];
		const result = await downloadImage(ctx, file({ onProgress: (received) => progress.push(received) }));
		expect(result).toMatchObject({ ok: true, bytes: 40 * NET_CHUNK + 1000 });
		expect(WRITE_CHUNK_BYTES).toBe(256 * 1024);
		// 40 × 64 KB + 1000 bytes: ten writes of 256 KB, then the rest (not 41 writes).
		expect(writes.map((write) => write.length)).toEqual([...Array(10).fill(WRITE_CHUNK_BYTES), 1000]);
		const all = Buffer.concat(stored);
		expect(all.length).toBe(40 * NET_CHUNK + 1000);
		expect(all.every((value, index) => value === index % 251)).toBe(true);
		// Progress still follows the network chunks (for the log and the stall watchdog).
		expect(progress).toHaveLength(41);
		expect(progress[progress.length - 1]).toBe(40 * NET_CHUNK + 1000);
	});

	it('reads the next chunk from the network while the store writes one, and never much more (constant memory)', async () => {
		const { source, body } = networkBody(64);
		const { ctx, writes, state } = streamingContext(body, { 'content-type': 'application/octet-stream' }, 15);
		state.pulled = () => source.pulled;
		await downloadImage(ctx, file());
		expect(writes).toHaveLength(16);
		// While chunk n is written, chunk n + 1 is read (double buffering): when a write ends, the next chunk is
		// there, and no more than that (plus the one network chunk the response stream itself reads ahead).
		for (const write of writes.slice(0, -1)) {
			expect(write.aheadOfStore).toBeGreaterThanOrEqual(WRITE_CHUNK_BYTES);
			expect(write.aheadOfStore).toBeLessThanOrEqual(WRITE_CHUNK_BYTES + NET_CHUNK);
		}
	});

	it('still stops at the size limit inside a chunk being gathered: nothing past the limit reaches the store', async () => {
		const { body } = networkBody(40);
		const { ctx, stored } = streamingContext(body, { 'content-type': 'application/octet-stream' });
		const error = await failureOf(downloadImage(ctx, file({ limits: { maxBytes: 1536 * 1024 }, sizeOption: 'Max Checkpoint Size (MB)' })));
		expect(error.message).toBe('Could not download checkpoint 1 of 2 of Dreamlook job ig_abc12345: it is larger than the 1.5 MB limit (more than that arrived: stopped at 1.6 MB)');
		// Nothing beyond the limit reached the store (the chunk being gathered when it was crossed is dropped).
		expect(stored.reduce((sum, chunk) => sum + chunk.length, 0)).toBeLessThanOrEqual(1536 * 1024);
		expect(body.destroyed).toBe(true);
	});
});
