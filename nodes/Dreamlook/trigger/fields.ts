import type { INodeProperties } from 'n8n-workflow';

import { simplifyField } from '../actions/common.descriptions';
import { jobTypeOptions } from '../actions/job/jobType';

export const ALL_JOB_TYPES = 'all';

/** The fields both triggers share: which jobs start the workflow, and what each item carries. */
export function triggerJobFields(): INodeProperties[] {
	return [
		{
			displayName: 'Event',
			name: 'event',
			type: 'options',
			options: [
				{ name: 'Job Failed', value: 'failure', description: 'A job ended in state failure' },
				{ name: 'Job Finished (Any Terminal State)', value: 'anyTerminal', description: 'A job succeeded or failed' },
				{ name: 'Job Succeeded', value: 'success', description: 'A job ended in state success' },
			],
			default: 'success',
		},
		{
			displayName: 'Job Type',
			name: 'jobType',
			type: 'options',
			options: jobTypeOptions([{ name: 'All', value: ALL_JOB_TYPES }]),
			default: 'all',
		},
		{
			displayName: 'Download Images',
			name: 'downloadImages',
			type: 'boolean',
			default: false,
			description:
				"Whether to attach the generated images as binary data (data_0, data_1, …). Dreamlook's image links expire after one hour.",
		},
		simplifyField(),
	];
}
