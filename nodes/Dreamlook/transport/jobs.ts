import type { IDataObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import {
	createResponseSchema,
	type DreamlookJob,
	JOB_TYPES,
	type JobTypeKey,
	jobPath,
	jobSchema,
	LIST_PATH,
	listQuery,
	readListPage,
} from '../api/contract';
import { type DreamlookContext, dreamlookRequest } from './request';

function unreadable(ctx: DreamlookContext, what: string, issues: string, itemIndex?: number): NodeApiError {
	return new NodeApiError(
		ctx.getNode(),
		{ issues },
		{
			message: `Dreamlook answered with ${what} this node cannot read`,
			description: `The API may have changed. Details: ${issues.slice(0, 500)}`,
			itemIndex,
		},
	);
}

function issuesOf(error: { issues: Array<{ path: PropertyKey[]; message: string }> }): string {
	return error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`).join('; ');
}

export function parseJob(ctx: DreamlookContext, body: unknown, itemIndex?: number): DreamlookJob {
	const parsed = jobSchema.safeParse(body);
	if (!parsed.success) throw unreadable(ctx, 'a job', issuesOf(parsed.error), itemIndex);
	return parsed.data;
}

/** POST a create call. Never retried unless the server provably did not act (see retry.ts). */
export async function createJob(
	ctx: DreamlookContext,
	type: JobTypeKey,
	body: IDataObject,
	itemIndex: number,
): Promise<string> {
	const spec = JOB_TYPES[type];
	const response = await dreamlookRequest(ctx, {
		method: 'POST',
		path: spec.createPath,
		action: `create a ${spec.label.toLowerCase()} job`,
		body,
		itemIndex,
	});
	const parsed = createResponseSchema.safeParse(response.body);
	if (!parsed.success) throw unreadable(ctx, 'a create response', issuesOf(parsed.error), itemIndex);
	return parsed.data.job_id;
}

/** GET one job; for image jobs a 404 on the documented path is retried once with the other spelling. */
export async function getJob(
	ctx: DreamlookContext,
	type: JobTypeKey,
	jobId: string,
	itemIndex?: number,
): Promise<DreamlookJob> {
	const hasAlternate = JOB_TYPES[type].alternatePathSegment !== undefined;
	const request = {
		method: 'GET' as const,
		action: `get job ${jobId}`,
		itemIndex,
	};
	let response = await dreamlookRequest(ctx, {
		...request,
		path: jobPath(type, jobId),
		passStatuses: hasAlternate ? [404] : undefined,
	});
	if (response.status === 404) {
		response = await dreamlookRequest(ctx, { ...request, path: jobPath(type, jobId, true) });
	}
	return parseJob(ctx, response.body, itemIndex);
}

export interface ListPageRequest {
	jobType?: JobTypeKey;
	state?: string;
	limit: number;
	offset: number;
	newestUpdatedFirst?: boolean;
	maxAttempts?: number;
}

export interface ListPageResult {
	jobs: DreamlookJob[];
	total?: number;
	/** Entries the page had but that were not readable as jobs (kept out, counted). */
	skipped: number;
	/** How many entries the server returned (readable or not), for paging. */
	received: number;
}

export async function listJobsPage(ctx: DreamlookContext, page: ListPageRequest): Promise<ListPageResult> {
	const response = await dreamlookRequest(ctx, {
		method: 'GET',
		path: LIST_PATH,
		action: 'list jobs',
		qs: listQuery(page),
		maxAttempts: page.maxAttempts,
	});
	const list = readListPage(response.body);
	if (!list) throw unreadable(ctx, 'a job list', 'no array of jobs in the body');
	const jobs: DreamlookJob[] = [];
	for (const entry of list.jobs) {
		const parsed = jobSchema.safeParse(entry);
		if (parsed.success) jobs.push(parsed.data);
	}
	return { jobs, total: list.total, skipped: list.jobs.length - jobs.length, received: list.jobs.length };
}
