import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { downloadImages } from '../../shared/binary';
import { mapWithConcurrency } from '../../shared/concurrency';
import { type ItemOutcome, toNodeOutput } from '../../shared/itemResults';
import { jobToJson } from '../../shared/output';
import { InputChecker } from '../../shared/validate';
import { getJob } from '../../transport/jobs';
import { simplifyField } from '../common.descriptions';
import { FROM_JOB_ID, jobTypeOptions, resolveJobType } from './jobType';

const show = { resource: ['job'], operation: ['get'] };
const CONCURRENCY = 10;

export const description: INodeProperties[] = [
	{
		displayName: 'Job ID',
		name: 'jobId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'ig_abc12345',
		description: 'The job_id returned by a Create operation or the trigger',
		displayOptions: { show },
	},
	{
		displayName: 'Job Type',
		name: 'jobType',
		type: 'options',
		options: jobTypeOptions([{ name: 'From Job ID', value: FROM_JOB_ID }]),
		default: 'fromJobId',
		description: 'From Job ID reads the type from the ID prefix (ig_, db_, dbig_)',
		displayOptions: { show },
	},
	simplifyField(show),
	{
		displayName: 'Download Images',
		name: 'downloadImages',
		type: 'boolean',
		default: false,
		description: 'Whether to attach the images of a finished job as binary data (data_0, data_1, …)',
		displayOptions: { show },
	},
];

async function getOne(ctx: IExecuteFunctions, itemIndex: number): Promise<ItemOutcome> {
	const check = new InputChecker(ctx.getNode(), itemIndex);
	const jobId = check.jobId(ctx.getNodeParameter('jobId', itemIndex));
	const choice = ctx.getNodeParameter('jobType', itemIndex) as string;
	const type = resolveJobType(choice, jobId);
	if (choice !== FROM_JOB_ID) check.jobId(jobId, type);
	const job = await getJob(ctx, type, jobId, itemIndex);
	const json = jobToJson(job, ctx.getNodeParameter('simplify', itemIndex, true) as boolean);
	const wantsImages = ctx.getNodeParameter('downloadImages', itemIndex, false) as boolean;
	if (!wantsImages || job.state !== 'success') return { json };
	return { json, binary: await downloadImages(ctx, job, { prefix: 'data', type, itemIndex }) };
}

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
	const results = await mapWithConcurrency(items.length, CONCURRENCY, async (itemIndex) => await getOne(this, itemIndex));
	return toNodeOutput(
		this,
		results.map((result) => (result.status === 'fulfilled' ? result.value : (result.reason as Error))),
	);
}
