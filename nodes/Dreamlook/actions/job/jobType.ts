import type { INodeProperties } from 'n8n-workflow';

import { JOB_TYPE_KEYS, JOB_TYPES, type JobTypeKey, jobTypeOfId } from '../../api/contract';

export const FROM_JOB_ID = 'fromJobId';

export function jobTypeField(show: Record<string, string[]>, extra: Array<{ name: string; value: string }>): INodeProperties {
	return {
		displayName: 'Job Type',
		name: 'jobType',
		type: 'options',
		options: [...extra, ...JOB_TYPE_KEYS.map((key) => ({ name: JOB_TYPES[key].label, value: key }))],
		default: extra[0]?.value ?? 'imageGen',
		displayOptions: { show },
	};
}

/** The job type chosen, or the one the ID's prefix names; image generation when unknown. */
export function resolveJobType(choice: string, jobId: string): JobTypeKey {
	if (choice !== FROM_JOB_ID && (JOB_TYPE_KEYS as string[]).includes(choice)) return choice as JobTypeKey;
	return jobTypeOfId(jobId) ?? 'imageGen';
}
