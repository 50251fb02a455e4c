import type { INodePropertyOptions } from 'n8n-workflow';

import { JOB_TYPE_KEYS, JOB_TYPES, type JobTypeKey, jobTypeOfId } from '../../api/contract';

export const FROM_JOB_ID = 'fromJobId';

/** The three job types as options, after any extra choices ("From Job ID", "All"). */
export function jobTypeOptions(extra: Array<{ name: string; value: string }>): INodePropertyOptions[] {
	return [...extra, ...JOB_TYPE_KEYS.map((key) => ({ name: JOB_TYPES[key].label, value: key }))];
}

/** The job type chosen, or the one the ID's prefix names; image generation when unknown. */
export function resolveJobType(choice: string, jobId: string): JobTypeKey {
	if (choice !== FROM_JOB_ID && (JOB_TYPE_KEYS as string[]).includes(choice)) return choice as JobTypeKey;
	return jobTypeOfId(jobId) ?? 'imageGen';
}
