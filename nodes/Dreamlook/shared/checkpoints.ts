/**
 * Trained checkpoints (and extracted LoRAs) of a DreamBooth job as binary data: each streamed into
 * n8n's binary store through transport/download.ts (constant memory in filesystem/S3 binary mode),
 * within a size limit and a deadline, with progress in n8n's log. A signed link that has expired
 * (403/400) re-fetches the job, which re-signs it, once.
 */
import type { IBinaryKeyData, IDataObject, Logger } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { checkpointDefaultDeletionAt, type DreamlookJob, type JobTypeKey, signedUrlExpiresAt } from '../api/contract';
import { type DownloadContext, downloadImage } from '../transport/download';
import { formatBytes } from '../transport/imageCheck';
import { getJob } from '../transport/jobs';

/** Which checkpoints: every one, the trained model only, or the extracted LoRA only. */
export type CheckpointChoice = 'all' | 'model' | 'lora';

export const DEFAULT_MAX_CHECKPOINT_MB = 10240;
/** Progress is logged every this many bytes when the size is unknown, else every 10 %. */
const PROGRESS_STEP_BYTES = 256 * 1024 * 1024;

export interface CheckpointDownloadOptions {
	type: JobTypeKey;
	itemIndex: number;
	choice: CheckpointChoice;
	/** Only this checkpoint of the job (empty: all that match `choice`). */
	checkpointId?: string;
	/** Binary properties are `${prefix}_0`, `${prefix}_1`, … */
	prefix: string;
	/** Epoch ms: no download of this call runs past it. */
	deadline: number;
	maxBytes: number;
	/** The option that raises the size limit, named in the size error. */
	sizeOption: string;
}

interface JobCheckpoint {
	checkpoint_id: string;
	url?: string | null;
	is_extracted_lora?: boolean | null;
}

function checkpointsOfJob(job: DreamlookJob): JobCheckpoint[] {
	return (job.dreambooth_result?.checkpoints ?? []) as JobCheckpoint[];
}

/** The checkpoints of `job` that the options select, as listed (with their signed links). */
export function selectCheckpoints(job: DreamlookJob, choice: CheckpointChoice, checkpointId?: string): JobCheckpoint[] {
	return checkpointsOfJob(job).filter((checkpoint) => {
		if (checkpointId) return checkpoint.checkpoint_id === checkpointId;
		if (choice === 'model') return checkpoint.is_extracted_lora !== true;
		if (choice === 'lora') return checkpoint.is_extracted_lora === true;
		return true;
	});
}

/**
 * What the item's JSON says about each selected checkpoint of `job`: its ID, kind, link, when the link
 * expires, and when Dreamlook deletes it by default (48 h after training, unless the plan keeps it).
 */
export function checkpointJson(job: DreamlookJob, checkpoints: JobCheckpoint[], binaryPrefix?: string): IDataObject[] {
	const deletedByDefaultAt = checkpointDefaultDeletionAt(job) ?? null;
	return checkpoints.map((checkpoint, index) => {
		const expiresAt = checkpoint.url ? signedUrlExpiresAt(checkpoint.url) : undefined;
		return {
			checkpoint_id: checkpoint.checkpoint_id,
			is_extracted_lora: checkpoint.is_extracted_lora === true,
			url: checkpoint.url ?? null,
			url_expires_at: expiresAt === undefined ? null : new Date(expiresAt).toISOString(),
			deleted_by_default_at: deletedByDefaultAt,
			...(binaryPrefix ? { binary_property: `${binaryPrefix}_${index}` } : {}),
		};
	});
}

/** Logs bytes and percent as a checkpoint streams, every 10 % (or every 256 MB when the size is unknown). */
function progressLogger(logger: Logger, label: string): (bytes: number, announced: number | undefined) => void {
	let nextAt = 0;
	return (bytes, announced) => {
		if (bytes < nextAt && bytes !== announced) return;
		const step = announced && announced > 0 ? Math.max(1, Math.ceil(announced / 10)) : PROGRESS_STEP_BYTES;
		if (nextAt > 0) {
			const percent = announced && announced > 0 ? ` (${Math.min(100, Math.floor((bytes / announced) * 100))} %)` : '';
			logger.info(`Dreamlook: ${label}: ${formatBytes(bytes)}${announced ? ` of ${formatBytes(announced)}` : ''} downloaded${percent}`, { bytes, totalBytes: announced });
		}
		nextAt = (Math.floor(bytes / step) + 1) * step;
	};
}

/**
 * Downloads the selected checkpoints of a finished training job. Fails the item when the job has
 * not succeeded, lists none that match, or a download fails (size, deadline, content, network).
 */
export async function downloadCheckpoints(ctx: DownloadContext, job: DreamlookJob, options: CheckpointDownloadOptions): Promise<IBinaryKeyData> {
	const node = ctx.getNode();
	if (job.state !== 'success') {
		throw new NodeOperationError(node, `Dreamlook job ${job.job_id} has no checkpoints to download: it is ${job.state}`, {
			itemIndex: options.itemIndex,
			description: 'Checkpoints exist once a training job has succeeded. Wait for it (Job → Get, or the Dreamlook Trigger), then download.',
		});
	}
	const original = selectCheckpoints(job, options.choice, options.checkpointId);
	if (original.length === 0) {
		const what = options.checkpointId ? `checkpoint ${options.checkpointId}` : options.choice === 'lora' ? 'extracted LoRA' : 'checkpoints';
		throw new NodeOperationError(node, `Dreamlook job ${job.job_id} lists no ${what}`, {
			itemIndex: options.itemIndex,
			description:
				options.choice === 'lora'
					? 'A LoRA is extracted only when the training ran with "Extract LoRA" on.'
					: `The job lists ${checkpointsOfJob(job).length} checkpoint(s). Dreamlook deletes checkpoints after 48 hours unless your plan keeps them.`,
		});
	}

	const binary: IBinaryKeyData = {};
	let refreshed: JobCheckpoint[] | undefined;
	const resign = async () => {
		refreshed ??= checkpointsOfJob(await getJob(ctx, options.type, job.job_id, options.itemIndex, { deadline: options.deadline }));
		return refreshed;
	};
	for (let index = 0; index < original.length; index++) {
		const checkpoint = original[index];
		const label = `checkpoint ${checkpoint.checkpoint_id} of job ${job.job_id}`;
		const request = (url: string, passStatuses?: number[]) => ({
			url,
			jobId: job.job_id,
			index,
			count: original.length,
			itemIndex: options.itemIndex,
			fileBaseName: checkpoint.checkpoint_id,
			limits: { deadline: options.deadline, maxBytes: options.maxBytes },
			passStatuses,
			content: 'file' as const,
			noun: 'checkpoint',
			sizeOption: options.sizeOption,
			defaultExtension: 'safetensors',
			onProgress: progressLogger(ctx.logger, label),
		});
		ctx.logger.info(`Dreamlook: downloading ${label}`, { checkpointId: checkpoint.checkpoint_id, jobId: job.job_id });
		let url = checkpoint.url ?? (await resign()).find((entry) => entry.checkpoint_id === checkpoint.checkpoint_id)?.url ?? undefined;
		let result = url ? await downloadImage(ctx, request(url, refreshed ? undefined : [403, 400])) : undefined;
		if (!result?.ok) {
			// Expired link (or none yet): the job, fetched again, signs it anew; a second failure is reported.
			url = (await resign()).find((entry) => entry.checkpoint_id === checkpoint.checkpoint_id)?.url ?? undefined;
			if (!url) {
				throw new NodeOperationError(node, `Could not download ${label}: Dreamlook no longer gives a link for it`, {
					itemIndex: options.itemIndex,
					description: 'Dreamlook deletes checkpoints 48 hours after training unless your plan keeps them.',
				});
			}
			result = await downloadImage(ctx, request(url));
		}
		if (result.ok) {
			binary[`${options.prefix}_${index}`] = result.binary;
			ctx.logger.info(`Dreamlook: ${label} stored (${formatBytes(result.bytes)})`, { bytes: result.bytes });
		}
	}
	return binary;
}
