import type { IDataObject } from 'n8n-workflow';

import { checkpointDefaultDeletionAt, type DreamlookJob } from '../api/contract';

/** Every generated image of a job, in order, with the checkpoint it came from. */
export function imagesOf(job: DreamlookJob): Array<{ url: string; seed?: number | null; checkpointId?: string | null; imageId?: string | null }> {
	const images = [];
	for (const result of job.image_gen_results ?? []) {
		for (const image of result.generated_images ?? []) {
			images.push({
				url: image.url,
				seed: image.seed,
				checkpointId: result.checkpoint_id,
				imageId: image.generated_image_id,
			});
		}
	}
	return images;
}

export function checkpointsOf(job: DreamlookJob): Array<{ checkpoint_id: string; is_extracted_lora: boolean }> {
	return (job.dreambooth_result?.checkpoints ?? []).map((checkpoint) => ({
		checkpoint_id: checkpoint.checkpoint_id,
		is_extracted_lora: checkpoint.is_extracted_lora === true,
	}));
}

const TEXT_KEYS = ['detail', 'message', 'msg', 'reason', 'error', 'description'] as const;
const FAILURE_TEXT_MAX = 500;

function textOf(value: unknown, depth = 0): string | undefined {
	if (value === undefined || value === null || depth > 3) return undefined;
	if (typeof value === 'string') return value.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim() || undefined;
	if (typeof value === 'number' || typeof value === 'boolean') return String(value);
	if (Array.isArray(value)) {
		const parts = value.map((entry) => textOf(entry, depth + 1)).filter((part): part is string => Boolean(part));
		return parts.length ? parts.join('; ') : undefined;
	}
	if (typeof value === 'object') {
		for (const key of TEXT_KEYS) {
			const text = textOf((value as Record<string, unknown>)[key], depth + 1);
			if (text) return text;
		}
		const json = JSON.stringify(value);
		return json === '{}' ? undefined : json;
	}
	return undefined;
}

/**
 * Dreamlook's readable account of a failure: `failure_reason_data` as text (a string, or the
 * detail/message/msg/reason/error of an object or list), at most 500 characters; undefined when absent.
 */
export function failureText(job: DreamlookJob): string | undefined {
	const text = textOf(job.failure_reason_data);
	return text && text.length > FAILURE_TEXT_MAX ? `${text.slice(0, FAILURE_TEXT_MAX - 1)}…` : text;
}

/** Dreamlook's failure code (`failure_reason`) as text; undefined when absent. */
export function failureReason(job: DreamlookJob): string | undefined {
	return textOf(job.failure_reason)?.slice(0, FAILURE_TEXT_MAX);
}

/** The few fields most workflows need; the raw job is one option away. */
export function simplifyJob(job: DreamlookJob): IDataObject {
	const simple: IDataObject = {
		job_id: job.job_id,
		job_type: job.job_type ?? null,
		state: job.state,
		percentage_done: job.percentage_done ?? null,
		queued_duration: job.queued_duration ?? null,
		running_duration: job.running_duration ?? null,
		state_updated: job.state_updated ?? null,
	};
	const images = imagesOf(job);
	if (images.length > 0) {
		simple.image_urls = images.map((image) => image.url);
		simple.seeds = images.map((image) => image.seed ?? null);
	}
	const checkpoints = checkpointsOf(job);
	if (checkpoints.length > 0) {
		simple.checkpoint_ids = checkpoints.filter((c) => !c.is_extracted_lora).map((c) => c.checkpoint_id);
		const loras = checkpoints.filter((c) => c.is_extracted_lora).map((c) => c.checkpoint_id);
		if (loras.length > 0) simple.lora_checkpoint_ids = loras;
		// Dreamlook's default (48 h after training); a plan that keeps checkpoints longer is not visible in the API.
		simple.checkpoints_deleted_by_default_at = checkpointDefaultDeletionAt(job) ?? null;
	}
	if (job.state === 'failure') {
		simple.failure_reason = (job.failure_reason as IDataObject | string) ?? null;
		simple.failure_message = failureText(job) ?? null;
	}
	return simple;
}

export function jobToJson(job: DreamlookJob, simplify: boolean): IDataObject {
	return simplify ? simplifyJob(job) : (job as IDataObject);
}
