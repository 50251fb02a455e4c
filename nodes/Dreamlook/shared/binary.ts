import type { IBinaryKeyData, IExecuteFunctions, IPollFunctions } from 'n8n-workflow';
import { NodeApiError, sleep } from 'n8n-workflow';

import type { DreamlookJob, JobTypeKey } from '../api/contract';
import { getJob } from '../transport/jobs';
import { cancelSignalOf, networkCodeOf } from '../transport/request';
import { backoffMs, isRetryableNetworkError, isRetryableStatus, RETRY_POLICY } from '../transport/retry';
import { imagesOf } from './output';

const DOWNLOAD_TIMEOUT_MS = 120000;

/** The regular node and the trigger both download images. */
type DownloadContext = IExecuteFunctions | IPollFunctions;
const MIME_BY_EXTENSION: Record<string, string> = { png: 'image/png', jpeg: 'image/jpeg', jpg: 'image/jpeg', webp: 'image/webp' };

/** What prepareBinaryData accepts: a Buffer or a readable stream. */
type BinarySource = Parameters<IExecuteFunctions['helpers']['prepareBinaryData']>[0];

interface StreamResponse {
	statusCode: number;
	headers: Record<string, string | string[] | undefined>;
	body: BinarySource & { destroy?: () => void };
}

function extensionOf(url: string, contentType: string | undefined): string {
	const fromType = Object.keys(MIME_BY_EXTENSION).find((ext) => MIME_BY_EXTENSION[ext] === contentType);
	if (fromType) return fromType;
	const match = /\.([a-z0-9]{2,5})(?:$|\?)/i.exec(new URL(url).pathname);
	return match ? match[1].toLowerCase() : 'png';
}

/**
 * GETs a signed image URL as a stream. No credential is sent: the URL carries its own
 * signature, and the Dreamlook key must never go to the storage host.
 */
async function fetchStream(ctx: DownloadContext, url: string): Promise<StreamResponse> {
	const signal = cancelSignalOf(ctx);
	for (let attempt = 1; ; attempt++) {
		try {
			const response = (await ctx.helpers.httpRequest({
				method: 'GET',
				url,
				encoding: 'stream',
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
				timeout: DOWNLOAD_TIMEOUT_MS,
				abortSignal: signal,
			})) as StreamResponse;
			if (attempt < RETRY_POLICY.maxAttempts && isRetryableStatus('GET', response.statusCode)) {
				response.body.destroy?.();
				await sleep(backoffMs(attempt), signal);
				continue;
			}
			return response;
		} catch (error) {
			const networkCode = networkCodeOf(error);
			if (!signal?.aborted && attempt < RETRY_POLICY.maxAttempts && isRetryableNetworkError('GET', networkCode)) {
				await sleep(backoffMs(attempt), signal);
				continue;
			}
			throw new NodeApiError(
				ctx.getNode(),
				{ networkCode: networkCode ?? null },
				{ message: signal?.aborted ? 'The execution was stopped while downloading images' : `Could not download a Dreamlook image (${networkCode ?? 'network error'})` },
			);
		}
	}
}

export interface DownloadOptions {
	/** Binary properties are named `${prefix}_0`, `${prefix}_1`, ... */
	prefix: string;
	type: JobTypeKey;
	itemIndex: number;
}

/**
 * Turns each generated image into binary data on the item, streamed into n8n's binary store.
 * Signed URLs expire after an hour: a 403 re-fetches the job (which re-signs them) once.
 */
export async function downloadImages(
	ctx: DownloadContext,
	job: DreamlookJob,
	options: DownloadOptions,
): Promise<IBinaryKeyData> {
	const binary: IBinaryKeyData = {};
	let images = imagesOf(job);
	let resigned = false;
	for (let index = 0; index < images.length; index++) {
		let response = await fetchStream(ctx, images[index].url);
		if ((response.statusCode === 403 || response.statusCode === 400) && !resigned) {
			response.body.destroy?.();
			resigned = true;
			images = imagesOf(await getJob(ctx, options.type, job.job_id, options.itemIndex));
			response = await fetchStream(ctx, images[index].url);
		}
		if (response.statusCode < 200 || response.statusCode >= 300) {
			response.body.destroy?.();
			throw new NodeApiError(
				ctx.getNode(),
				{ httpCode: String(response.statusCode) },
				{
					message: `Could not download image ${index + 1} of Dreamlook job ${job.job_id} (HTTP ${response.statusCode})`,
					description: 'Image links expire one hour after the job finishes. Run Job → Get with "Download Images" on to fetch fresh links.',
					itemIndex: options.itemIndex,
				},
			);
		}
		const contentType = String(response.headers['content-type'] ?? '').split(';')[0].trim() || undefined;
		const extension = extensionOf(images[index].url, contentType);
		binary[`${options.prefix}_${index}`] = await ctx.helpers.prepareBinaryData(
			response.body,
			`${job.job_id}_${index}.${extension}`,
			contentType ?? MIME_BY_EXTENSION[extension] ?? 'application/octet-stream',
		);
	}
	return binary;
}
