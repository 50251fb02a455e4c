import type { INodeExecutionData } from 'n8n-workflow';

import { type DreamlookJob, jobTypeOfApiName, jobTypeOfId, type JobTypeKey } from '../api/contract';
import { downloadImages } from '../shared/binary';
import { imagesOf, jobToJson } from '../shared/output';
import type { DownloadContext } from '../transport/download';

export interface ItemSettings {
	simplify: boolean;
	download: boolean;
	/** epoch ms after which no download starts (non-finite = none) */
	downloadUntil: number;
	/** what to suggest when a download was skipped for lack of time */
	skippedHint?: string;
}

export function typeOfJob(job: DreamlookJob): JobTypeKey {
	return jobTypeOfApiName(job.job_type ?? undefined) ?? jobTypeOfId(job.job_id) ?? 'imageGen';
}

/** The items both triggers emit: one per job, images as binary data when asked. */
export async function jobsToItems(ctx: DownloadContext, jobs: DreamlookJob[], settings: ItemSettings): Promise<INodeExecutionData[]> {
	const items: INodeExecutionData[] = [];
	for (const job of jobs) {
		const json = { ...jobToJson(job, settings.simplify) };
		const item: INodeExecutionData = { json };
		if (settings.download && imagesOf(job).length > 0) {
			// A download problem never holds back the job itself (nor the jobs after it).
			if (Date.now() > settings.downloadUntil) {
				json.download_error = settings.skippedHint ?? 'Skipped: out of time. Use Dreamlook → Job → Get with Download Images.';
			} else {
				try {
					item.binary = await downloadImages(ctx, job, { prefix: 'data', type: typeOfJob(job), itemIndex: 0, deadline: settings.downloadUntil });
				} catch (error) {
					json.download_error = error instanceof Error ? error.message : String(error);
				}
			}
		}
		items.push(item);
	}
	return items;
}
