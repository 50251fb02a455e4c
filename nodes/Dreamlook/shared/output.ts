import type { IDataObject } from 'n8n-workflow';

import type { DreamlookJob } from '../api/contract';

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
	}
	if (job.state === 'failure') simple.failure_reason = (job.failure_reason as IDataObject | string) ?? null;
	return simple;
}

export function jobToJson(job: DreamlookJob, simplify: boolean): IDataObject {
	return simplify ? simplifyJob(job) : (job as IDataObject);
}
