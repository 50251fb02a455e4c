import type { IBinaryData, IExecuteFunctions, IPollFunctions, IWebhookFunctions, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';
import { sleep } from '../shared/sleep';

import {
	extensionFor,
	formatBytes,
	GENERIC_TYPES,
	hostOf,
	imageTypeOf,
	imageUrlProblem,
	mimeOf,
	PREVIEW_CHARS,
	previewOf,
	SNIFF_BYTES,
} from './imageCheck';
import { redactText } from './redact';
import { cancelSignalOf, getConnection, networkCodeOf } from './request';
import {
	attemptTimeoutMs,
	backoffMs,
	isRetryableNetworkError,
	isRetryableStatus,
	isTimeoutCode,
	parseRetryAfterMs,
	RETRY_POLICY,
	sleepFits,
} from './retry';

/**
 * The one door for image bytes: signed image URLs are fetched here, bounded in size and time,
 * checked to be images, and streamed into n8n's binary store. No credential is ever sent: the
 * URL carries its own signature, and the Dreamlook key must never reach the storage host.
 */

export const DEFAULT_MAX_IMAGE_BYTES = 50 * 1024 * 1024;
/** A download that receives no byte for this long is aborted (capped by the time left). */
export const DEFAULT_STALL_MS = 30000;
/** Time allowed for the response headers of one request when no deadline is set. */
const REQUEST_TIMEOUT_MS = 120000;
const MAX_REDIRECTS = 5;

export type DownloadContext = IExecuteFunctions | IPollFunctions | IWebhookFunctions;

/** What prepareBinaryData accepts: a Buffer or a readable stream. */
type BinarySource = Parameters<IExecuteFunctions['helpers']['prepareBinaryData']>[0];

/** The response body of `encoding: 'stream'`: a Node readable stream, used through async iteration. */
interface ByteStream extends AsyncIterable<Uint8Array> {
	destroy?: (error?: Error) => void;
	pipe?: unknown;
}

interface StreamResponse {
	statusCode: number;
	headers: Record<string, string | string[] | undefined>;
	body: ByteStream | undefined;
}

export interface DownloadLimits {
	/** Epoch ms after which no download of this node runs (one deadline for all of them). Non-finite = none. */
	deadline?: number;
	/** Largest accepted image, in bytes (default 50 MB). */
	maxBytes?: number;
	/** Abort when no byte arrives for this long (default 30 s, capped by the time left). */
	stallMs?: number;
}

export interface ImageDownload {
	url: string;
	jobId: string;
	/** 0-based position of the image in the job; messages say "image 2 of 3". */
	index: number;
	count: number;
	itemIndex: number;
	/** File name without extension; the extension follows the content that arrived. */
	fileBaseName: string;
	limits?: DownloadLimits;
	/** Statuses handed back instead of failing: 403/400 mean an expired signed link, which the caller re-signs. */
	passStatuses?: number[];
	/**
	 * What is fetched (default `image`): an image must prove it is one (type or signature); a `file`
	 * (a trained checkpoint) may be any binary content, only text (an error or login page) is refused.
	 */
	content?: 'image' | 'file';
	/** The word for it in messages ("image", "checkpoint"); default `image`. */
	noun?: string;
	/** The option that raises the size limit, named in the size error. */
	sizeOption?: string;
	/** Extension when the URL has none (files only). */
	defaultExtension?: string;
	/** Called with the bytes received so far, as they arrive (for progress in n8n's log). */
	onProgress?: (bytes: number, announced: number | undefined) => void;
}

export type ImageDownloadResult =
	| { ok: true; binary: IBinaryData; bytes: number }
	| { ok: false; status: number };

// ---------------------------------------------------------------------------------------------
// Why one attempt failed (mapped to one NodeApiError at the end).

type ProblemKind = 'http' | 'network' | 'size' | 'content' | 'url' | 'stall' | 'deadline' | 'cancelled';

class Problem {
	constructor(
		readonly kind: ProblemKind,
		readonly reason: string,
		readonly description: string,
		readonly details: JsonObject = {},
		readonly retryable = false,
		readonly retryAfterMs?: number,
		readonly httpCode?: number,
	) {}
}

const RETRY_HINT = 'Run the node again; if it keeps failing, fetch fresh links with Job → Get and Download Images on.';

/**
 * One attempt's time keeper: aborts the request when no byte arrived for `stallMs`, at the
 * deadline, or when the execution is stopped. Uses n8n's sleep (no timers of our own).
 */
class Watchdog {
	private readonly controller = new AbortController();
	private readonly stopper = new AbortController();
	private lastActivity = Date.now();
	private onAbort?: () => void;
	reason?: 'stall' | 'deadline' | 'cancelled';

	constructor(
		private readonly stallMs: number,
		private readonly deadline: number | undefined,
		private readonly cancel: AbortSignal | undefined,
	) {
		cancel?.addEventListener('abort', this.cancelled);
		if (cancel?.aborted) this.abort('cancelled');
		void this.run();
	}

	get signal(): AbortSignal {
		return this.controller.signal;
	}

	touch(): void {
		this.lastActivity = Date.now();
	}

	/** Also run `action` (destroy the body) when aborting. */
	whenAborted(action: () => void): void {
		this.onAbort = action;
		if (this.reason) action();
	}

	stop(): void {
		this.cancel?.removeEventListener('abort', this.cancelled);
		this.stopper.abort();
	}

	private readonly cancelled = () => this.abort('cancelled');

	private abort(reason: 'stall' | 'deadline' | 'cancelled'): void {
		if (this.reason) return;
		this.reason = reason;
		this.controller.abort();
		this.onAbort?.();
	}

	private async run(): Promise<void> {
		while (!this.stopper.signal.aborted && !this.reason) {
			const now = Date.now();
			const stallAt = this.lastActivity + this.stallMs;
			const due = this.deadline === undefined ? stallAt : Math.min(stallAt, this.deadline);
			if (now >= due) {
				this.abort(this.deadline !== undefined && now >= this.deadline ? 'deadline' : 'stall');
				return;
			}
			try {
				await sleep(due - now + 1, this.stopper.signal);
			} catch {
				return;
			}
		}
	}
}

/** Counts bytes as they pass and stops at the limit. */
class Meter {
	bytes = 0;
	overLimit = false;
	announced?: number;

	constructor(
		private readonly maxBytes: number,
		private readonly watchdog: Watchdog,
		private readonly onProgress?: (bytes: number, announced: number | undefined) => void,
	) {}

	add(chunk: Uint8Array): void {
		this.bytes += chunk.length;
		this.watchdog.touch();
		this.onProgress?.(this.bytes, this.announced);
		if (this.bytes > this.maxBytes) {
			this.overLimit = true;
			throw new Error('image size limit exceeded');
		}
	}
}

interface Attempt {
	ctx: DownloadContext;
	request: ImageDownload;
	baseUrl: string;
	maxBytes: number;
	stallMs: number;
	deadline: number | undefined;
	cancel: AbortSignal | undefined;
}

function sizeProblem(maxBytes: number, what: string, option = 'Max Image Size (MB)'): Problem {
	return new Problem(
		'size',
		`it is larger than the ${formatBytes(maxBytes)} limit (${what})`,
		`Raise "${option}" in the node's options if files this large are expected.`,
		{ maxBytes },
	);
}

/** Text where a file was expected: an error or login page, never stored as a checkpoint. */
function isTextType(mime: string): boolean {
	return mime.startsWith('text/') || /^application\/(json|xml|xhtml\+xml|problem\+json|javascript)$/.test(mime) || mime.endsWith('+xml') || mime.endsWith('+json');
}

function fileExtensionOf(url: string, fallback: string): string {
	try {
		return /\.([a-z0-9]{2,12})$/i.exec(new URL(url).pathname)?.[1]?.toLowerCase() ?? fallback;
	} catch {
		return fallback;
	}
}

function stallProblem(stallMs: number, bytes: number): Problem {
	return new Problem(
		'stall',
		`no data arrived for ${Math.round(stallMs / 100) / 10} s (${formatBytes(bytes)} received), so the download was stopped`,
		`The image host stopped sending. ${RETRY_HINT}`,
		{ bytesReceived: bytes },
	);
}

function deadlineProblem(bytes: number): Problem {
	return new Problem(
		'deadline',
		`the time allowed for downloads ran out (${formatBytes(bytes)} of this image received)`,
		'Downloads share one deadline per run. Raise the download time limit (or the trigger\'s poll budget), or download fewer images per run.',
		{ bytesReceived: bytes },
	);
}

const cancelledProblem = () =>
	new Problem('cancelled', 'the execution was stopped', 'The download was aborted because the execution was stopped.');

/** Reads chunks until `wanted` bytes (or the end) arrived; each chunk is counted. */
async function readAtLeast(iterator: AsyncIterator<Uint8Array>, wanted: number, meter: Meter): Promise<{ chunks: Uint8Array[]; done: boolean }> {
	const chunks: Uint8Array[] = [];
	let length = 0;
	while (length < wanted) {
		const next = await iterator.next();
		if (next.done) return { chunks, done: true };
		meter.add(next.value);
		chunks.push(next.value);
		length += next.value.length;
	}
	return { chunks, done: false };
}

/**
 * Bytes handed to n8n's binary store at a time. n8n's filesystem store writes a stream with
 * `fs.promises.writeFile`: one awaited write (a round trip to libuv's threadpool) per chunk the
 * stream yields. The response arrives in chunks of at most 64 KB, so a 2 GB checkpoint would be
 * some 32 000 writes one after the other; coalesced into 256 KB chunks it is about 8 000, and the
 * stream reads the next one while one is being written (see toBinarySource). Memory: about three
 * such chunks, whatever the size of the file. (1 MB chunks were no faster in the bench and left
 * the process 5-35 MB larger: more garbage between collections; 8 MB ones were 3× slower.)
 */
export const WRITE_CHUNK_BYTES = 256 * 1024;

/**
 * The rest of the body after the head, coalesced into chunks of at least `chunkBytes` (the last
 * one may be smaller): every chunk is counted as it arrives (size limit, stall, progress), and
 * the source is closed when the consumer stops.
 */
async function* guardedChunks(
	head: Uint8Array[],
	iterator: AsyncIterator<Uint8Array>,
	meter: Meter,
	finished: boolean,
	chunkBytes = WRITE_CHUNK_BYTES,
): AsyncGenerator<Uint8Array> {
	let pending: Uint8Array[] = [...head];
	let pendingBytes = head.reduce((sum, chunk) => sum + chunk.length, 0);
	const take = (): Uint8Array => {
		const out = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
		pending = [];
		pendingBytes = 0;
		return out;
	};
	try {
		while (!finished) {
			if (pendingBytes >= chunkBytes) yield take();
			const next = await iterator.next();
			if (next.done) break;
			meter.add(next.value);
			pending.push(next.value);
			pendingBytes += next.value.length;
		}
		if (pendingBytes > 0) yield take();
	} finally {
		await iterator.return?.();
	}
}

/**
 * A readable stream of `chunks` for prepareBinaryData, so the image streams into n8n's binary
 * store without being held in memory. The `stream` module may not be imported in a community
 * node, so the response's own stream class builds it (`Readable.from`, inherited by every Node
 * stream class). Its buffer holds one coalesced chunk, so the next chunk is read from the network
 * while the store writes the current one. Without a stream class, the bytes are collected into a
 * Buffer (bounded by maxBytes).
 */
async function toBinarySource(body: ByteStream, chunks: AsyncGenerator<Uint8Array>): Promise<BinarySource> {
	const streamClass = (body as { constructor?: { from?: unknown } }).constructor;
	if (typeof body.pipe === 'function' && typeof streamClass?.from === 'function') {
		const stream = (streamClass.from as (iterable: AsyncIterable<Uint8Array>, options: { objectMode: boolean; highWaterMark: number }) => unknown).call(
			streamClass,
			chunks,
			{ objectMode: false, highWaterMark: WRITE_CHUNK_BYTES },
		);
		if (stream && typeof (stream as { pipe?: unknown }).pipe === 'function') return stream as BinarySource;
	}
	const collected: Uint8Array[] = [];
	for await (const chunk of chunks) collected.push(chunk);
	return Buffer.concat(collected);
}

async function send(attempt: Attempt, url: string, watchdog: Watchdog): Promise<StreamResponse> {
	watchdog.touch();
	// Plain httpRequest: no credential. Redirects are followed here, each target checked.
	return (await attempt.ctx.helpers.httpRequest({
		method: 'GET',
		url,
		encoding: 'stream',
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
		disableFollowRedirect: true,
		// Time for the headers: never past the deadline nor longer than a stall.
		timeout: Math.max(1, attemptTimeoutMs(attempt.deadline, Date.now(), Math.min(REQUEST_TIMEOUT_MS, attempt.stallMs))),
		abortSignal: watchdog.signal,
	})) as StreamResponse;
}

async function attemptDownload(attempt: Attempt, watchdog: Watchdog, meter: Meter): Promise<ImageDownloadResult> {
	const { request } = attempt;
	let url = request.url;
	let response: StreamResponse;
	for (let redirects = 0; ; redirects++) {
		response = await send(attempt, url, watchdog);
		const body = response.body;
		watchdog.whenAborted(() => body?.destroy?.());
		const location = response.headers.location;
		if (response.statusCode < 300 || response.statusCode >= 400 || !location) break;
		body?.destroy?.();
		const target = new URL(String(Array.isArray(location) ? location[0] : location), url).toString();
		if (redirects >= MAX_REDIRECTS) {
			throw new Problem('http', `more than ${MAX_REDIRECTS} redirects`, RETRY_HINT, { host: hostOf(url) });
		}
		const problem = imageUrlProblem(target, attempt.baseUrl);
		if (problem) throw new Problem('url', `the image host redirected elsewhere: ${problem}`, 'Redirects are followed only to https links.', { host: hostOf(target) });
		url = target;
	}
	const { statusCode: status, headers, body } = response;
	if (!body) throw new Problem('network', 'the response had no body', RETRY_HINT, {}, true);

	if (request.passStatuses?.includes(status)) {
		body.destroy?.();
		return { ok: false, status };
	}
	const iterator = body[Symbol.asyncIterator]();
	if (status < 200 || status >= 300) {
		const head = await readAtLeast(iterator, PREVIEW_CHARS, meter).catch(() => ({ chunks: [] as Uint8Array[], done: true }));
		body.destroy?.();
		const said = previewOf(Buffer.concat(head.chunks));
		throw new Problem(
			'http',
			`the image host answered HTTP ${status}${said ? ` (${said})` : ''}`,
			'Image links expire one hour after the job finishes. Run Job → Get with "Download Images" on to fetch fresh links.',
			{ httpCode: status, host: hostOf(url) },
			isRetryableStatus('GET', status),
			parseRetryAfterMs(headers['retry-after'], Date.now()),
			status,
		);
	}

	const announced = Number(Array.isArray(headers['content-length']) ? headers['content-length'][0] : headers['content-length']);
	if (Number.isFinite(announced) && announced > attempt.maxBytes) {
		body.destroy?.();
		throw sizeProblem(attempt.maxBytes, `the server announced ${formatBytes(announced)}`, request.sizeOption);
	}
	if (Number.isFinite(announced)) meter.announced = announced;

	const declared = mimeOf(headers['content-type']);
	if (request.content === 'file') {
		if (isTextType(declared)) {
			const head = await readAtLeast(iterator, PREVIEW_CHARS, meter);
			body.destroy?.();
			const said = previewOf(Buffer.concat(head.chunks));
			throw new Problem(
				'content',
				`the server sent ${declared}, not a file${said ? `; it starts with "${said}"` : ''}`,
				'The link answered with text (often an error or login page from a proxy or storage host). Nothing was stored.',
				{ contentType: declared, host: hostOf(url) },
			);
		}
		const source = await toBinarySource(body, guardedChunks([], iterator, meter, false));
		const fileName = `${request.fileBaseName}.${fileExtensionOf(url, request.defaultExtension ?? 'bin')}`;
		const binary = await attempt.ctx.helpers.prepareBinaryData(source, fileName, GENERIC_TYPES.has(declared) ? 'application/octet-stream' : declared);
		return { ok: true, binary, bytes: meter.bytes };
	}

	const needed = declared.startsWith('image/') ? 0 : GENERIC_TYPES.has(declared) ? SNIFF_BYTES : PREVIEW_CHARS;
	const head = needed > 0 ? await readAtLeast(iterator, needed, meter) : { chunks: [], done: false };
	const verdict = imageTypeOf(declared, Buffer.concat(head.chunks));
	if ('problem' in verdict) {
		body.destroy?.();
		const said = previewOf(Buffer.concat(head.chunks));
		throw new Problem(
			'content',
			`${verdict.problem}${said ? `; it starts with "${said}"` : ''}`,
			'The link answered with something other than an image (often an error or login page from a proxy or storage host). Nothing was stored.',
			{ contentType: declared || null, host: hostOf(url) },
		);
	}

	const source = await toBinarySource(body, guardedChunks(head.chunks, iterator, meter, head.done));
	const fileName = `${request.fileBaseName}.${extensionFor(verdict.mimeType, url)}`;
	const binary = await attempt.ctx.helpers.prepareBinaryData(source, fileName, verdict.mimeType);
	return { ok: true, binary, bytes: meter.bytes };
}

/** Turns whatever ended an attempt into a Problem; the watchdog's and the meter's reasons come first. */
function problemOf(error: unknown, attempt: Attempt, watchdog: Watchdog, meter: Meter): Problem {
	if (watchdog.reason === 'cancelled' || attempt.cancel?.aborted) return cancelledProblem();
	if (watchdog.reason === 'deadline') return deadlineProblem(meter.bytes);
	if (watchdog.reason === 'stall') return stallProblem(attempt.stallMs, meter.bytes);
	if (meter.overLimit) return sizeProblem(attempt.maxBytes, `more than that arrived: stopped at ${formatBytes(meter.bytes)}`, attempt.request.sizeOption);
	if (error instanceof Problem) return error;
	const networkCode = networkCodeOf(error);
	// A header timeout from the HTTP client is a stall (or the deadline, if that is what it hit).
	if (isTimeoutCode(networkCode)) {
		if (attempt.deadline !== undefined && Date.now() >= attempt.deadline - 50) return deadlineProblem(meter.bytes);
		return stallProblem(attempt.stallMs, meter.bytes);
	}
	return new Problem(
		'network',
		`the connection failed (${networkCode ?? (error instanceof Error ? error.message : 'network error')})` +
			(meter.bytes > 0 ? ` after ${formatBytes(meter.bytes)}` : ''),
		RETRY_HINT,
		{ networkCode: networkCode ?? null, bytesReceived: meter.bytes },
		isRetryableNetworkError('GET', networkCode),
	);
}

/**
 * Downloads one signed image URL into n8n's binary store, within the size limit, the deadline
 * and the stall limit; retried per transport/retry.ts (GET) while time remains. Every failure is
 * a NodeApiError naming the image, the job and the item; 403/400 can be handed back instead
 * (`passStatuses`) so the caller can re-sign the links.
 */
export async function downloadImage(ctx: DownloadContext, request: ImageDownload): Promise<ImageDownloadResult> {
	const { baseUrl, apiKey } = await getConnection(ctx);
	const limits = request.limits ?? {};
	const deadline = typeof limits.deadline === 'number' && Number.isFinite(limits.deadline) ? limits.deadline : undefined;
	const maxBytes = typeof limits.maxBytes === 'number' && limits.maxBytes > 0 ? limits.maxBytes : DEFAULT_MAX_IMAGE_BYTES;
	const stallMs = typeof limits.stallMs === 'number' && limits.stallMs > 0 ? limits.stallMs : DEFAULT_STALL_MS;
	const cancel = cancelSignalOf(ctx);
	const fail = (problem: Problem, attempts: number) =>
		new NodeApiError(
			ctx.getNode(),
			{ ...problem.details, jobId: request.jobId, image: request.index + 1, attempts } as JsonObject,
			{
				message: redactText(
					`Could not download ${request.noun ?? 'image'} ${request.index + 1} of ${request.count} of Dreamlook job ${request.jobId}: ${problem.reason}`,
					apiKey,
				),
				description: redactText(problem.description, apiKey),
				httpCode: problem.httpCode !== undefined ? String(problem.httpCode) : undefined,
				itemIndex: request.itemIndex,
			},
		);

	const urlProblem = imageUrlProblem(request.url, baseUrl);
	if (urlProblem) {
		throw fail(new Problem('url', urlProblem, 'No request was sent. The Dreamlook key is never sent to image hosts, and plain http links are refused.', { host: hostOf(request.url) }), 0);
	}

	for (let attemptNumber = 1; ; attemptNumber++) {
		if (cancel?.aborted) throw fail(cancelledProblem(), attemptNumber - 1);
		if (deadline !== undefined && Date.now() >= deadline) throw fail(deadlineProblem(0), attemptNumber - 1);
		const attempt: Attempt = {
			ctx,
			request,
			baseUrl,
			maxBytes,
			stallMs: deadline === undefined ? stallMs : Math.max(1, Math.min(stallMs, deadline - Date.now())),
			deadline,
			cancel,
		};
		const watchdog = new Watchdog(attempt.stallMs, deadline, cancel);
		const meter = new Meter(maxBytes, watchdog, request.onProgress);
		let problem: Problem;
		try {
			return await attemptDownload(attempt, watchdog, meter);
		} catch (error) {
			problem = problemOf(error, attempt, watchdog, meter);
		} finally {
			watchdog.stop();
		}
		if (!problem.retryable || attemptNumber >= RETRY_POLICY.maxAttempts) throw fail(problem, attemptNumber);
		const wait = problem.retryAfterMs ?? backoffMs(attemptNumber);
		if (wait > RETRY_POLICY.maxRetryAfterMs || !sleepFits(deadline, Date.now(), wait)) {
			throw fail(problem, attemptNumber);
		}
		try {
			await sleep(wait, cancel);
		} catch {
			throw fail(cancelledProblem(), attemptNumber);
		}
	}
}
