import type { IBinaryData, IBinaryKeyData } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import type { DreamlookJob, JobTypeKey } from '../api/contract';
import { type DownloadContext, downloadImage, type ImageDownload } from '../transport/download';
import { getJob } from '../transport/jobs';
import { imagesOf } from './output';

/** A signed link that has expired (or whose signature no longer matches) answers one of these. */
const EXPIRED_LINK_STATUSES = [403, 400];

export interface DownloadOptions {
	/** Binary properties are named `${prefix}_0`, `${prefix}_1`, ... */
	prefix: string;
	type: JobTypeKey;
	itemIndex: number;
	/** Epoch ms: no download of this call runs past it (pass the same value for all of a node's items). */
	deadline?: number;
	/** Largest accepted image in bytes (default 50 MB). */
	maxBytes?: number;
	/** Abort an image when no byte arrives for this long (default 30 s). */
	stallMs?: number;
}

type JobImage = ReturnType<typeof imagesOf>[number];

/**
 * The image at `index` of the original list in a re-fetched (re-signed) job: the same image ID
 * when the API gives IDs, else the same position. Undefined when the job no longer has it.
 */
function counterpartOf(original: JobImage[], refreshed: JobImage[], index: number): JobImage | undefined {
	const imageId = original[index]?.imageId;
	if (imageId) {
		const sameId = refreshed.find((image) => image.imageId === imageId);
		if (sameId) return sameId;
		if (refreshed.some((image) => image.imageId)) return undefined;
	}
	return refreshed[index];
}

/**
 * Turns each generated image into binary data on the item (`data_0`, `data_1`, …), streamed into
 * n8n's binary store through transport/download.ts. Signed URLs expire after an hour: a 403/400
 * re-fetches the job (which re-signs them) once, and the remaining images use the fresh links.
 */
export async function downloadImages(
	ctx: DownloadContext,
	job: DreamlookJob,
	options: DownloadOptions,
): Promise<IBinaryKeyData> {
	const binary: IBinaryKeyData = {};
	const original = imagesOf(job);
	let refreshed: JobImage[] | undefined;
	const missing: number[] = [];
	const limits = { deadline: options.deadline, maxBytes: options.maxBytes, stallMs: options.stallMs };
	const request = (index: number, url: string, passStatuses?: number[]): ImageDownload => ({
		url,
		jobId: job.job_id,
		index,
		count: original.length,
		itemIndex: options.itemIndex,
		fileBaseName: `${job.job_id}_${index}`,
		limits,
		passStatuses,
	});

	for (let index = 0; index < original.length; index++) {
		let stored: IBinaryData | undefined;
		if (!refreshed) {
			const result = await downloadImage(ctx, request(index, original[index].url, EXPIRED_LINK_STATUSES));
			if (result.ok) stored = result.binary;
			else refreshed = imagesOf(await getJob(ctx, options.type, job.job_id, options.itemIndex));
		}
		if (!stored) {
			const image = counterpartOf(original, refreshed ?? [], index);
			if (!image) {
				missing.push(index);
				continue;
			}
			// Already re-signed once: a second 403 is reported, not retried.
			const result = await downloadImage(ctx, request(index, image.url));
			if (result.ok) stored = result.binary;
		}
		if (stored) binary[`${options.prefix}_${index}`] = stored;
	}

	if (missing.length > 0) {
		const names = missing.map((index) => index + 1).join(', ');
		throw new NodeApiError(
			ctx.getNode(),
			{ jobId: job.job_id, missingImages: names, imagesNow: refreshed?.length ?? 0 },
			{
				message: `Could not download image${missing.length > 1 ? 's' : ''} ${names} of ${original.length} of Dreamlook job ${job.job_id}: the job no longer lists ${missing.length > 1 ? 'them' : 'it'} after its links were re-signed`,
				description: `Dreamlook now lists ${refreshed?.length ?? 0} image(s) for this job. Run Job → Get with Download Images on to download what the job has now.`,
				itemIndex: options.itemIndex,
			},
		);
	}
	return binary;
}
