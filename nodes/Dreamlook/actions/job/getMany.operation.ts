import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { type JobTypeKey, KNOWN_STATES, LIST_PAGE_SIZE_MAX } from '../../api/contract';
import { type ItemOutcome, toNodeOutput } from '../../shared/itemResults';
import { jobToJson } from '../../shared/output';
import { isToolMode, toolJson } from '../../shared/toolMode';
import { jobTypeOfJob, listJobsPage } from '../../transport/jobs';
import { simplifyField } from '../common.descriptions';
import { jobTypeOptions } from './jobType';

const show = { resource: ['job'], operation: ['getMany'] };
const ALL = 'all';
/** Stops a runaway listing if the server ignores offset and repeats the same page. */
const MAX_PAGES = 1000;

export const description: INodeProperties[] = [
	{
		displayName: 'Job Type',
		name: 'jobType',
		type: 'options',
		options: jobTypeOptions([{ name: 'All', value: ALL }]),
		default: 'all',
		displayOptions: { show },
	},
	{
		displayName: 'State',
		name: 'state',
		type: 'options',
		options: [{ name: 'Any', value: ALL }, ...KNOWN_STATES.map((state) => ({ name: state[0].toUpperCase() + state.slice(1), value: state }))],
		default: ALL,
		description: 'Only jobs in this state',
		displayOptions: { show },
	},
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
		displayOptions: { show },
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 50,
		description: 'Max number of results to return',
		displayOptions: { show: { ...show, returnAll: [false] } },
	},
	simplifyField(show),
];

async function listForItem(ctx: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
	const jobTypeChoice = ctx.getNodeParameter('jobType', itemIndex) as string;
	const stateChoice = ctx.getNodeParameter('state', itemIndex) as string;
	const returnAll = ctx.getNodeParameter('returnAll', itemIndex, false) as boolean;
	const limit = returnAll ? Number.POSITIVE_INFINITY : (ctx.getNodeParameter('limit', itemIndex, 50) as number);
	const simplify = ctx.getNodeParameter('simplify', itemIndex, true) as boolean;
	const tool = isToolMode(ctx);

	const jobs: IDataObject[] = [];
	const seen = new Set<string>();
	let offset = 0;
	for (let page = 0; page < MAX_PAGES && jobs.length < limit; page++) {
		const pageSize = Math.min(LIST_PAGE_SIZE_MAX, limit - jobs.length);
		const result = await listJobsPage(ctx, {
			jobType: jobTypeChoice === ALL ? undefined : (jobTypeChoice as JobTypeKey),
			state: stateChoice === ALL ? undefined : stateChoice,
			limit: pageSize,
			offset,
		});
		let added = 0;
		for (const job of result.jobs) {
			// Filters are applied here too, in case the server ignores them.
			if (stateChoice !== ALL && job.state !== stateChoice) continue;
			if (jobTypeChoice !== ALL && jobTypeOfJob(job) !== jobTypeChoice) continue;
			if (seen.has(job.job_id) || jobs.length >= limit) continue;
			seen.add(job.job_id);
			jobs.push(tool ? toolJson(job) : jobToJson(job, simplify));
			added++;
		}
		offset += result.received;
		const reachedEnd = result.received < pageSize || (result.total !== undefined && offset >= result.total);
		if (reachedEnd || (result.received > 0 && added === 0 && result.jobs.every((job) => seen.has(job.job_id)))) break;
	}
	return jobs;
}

export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<INodeExecutionData[]> {
	const output: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		let outcome: ItemOutcome[];
		try {
			outcome = (await listForItem(this, itemIndex)).map((json) => ({ json }));
		} catch (error) {
			outcome = [error as Error];
		}
		// Each listed job is paired to the input item that asked for it.
		for (const entry of toNodeOutput(this, outcome)) output.push({ ...entry, pairedItem: { item: itemIndex } });
	}
	return output;
}
