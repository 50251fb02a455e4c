import type { IDataObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import {
	createResponseSchema,
	type DreamlookJob,
	IDEMPOTENCY_TAG_KEY,
	jobNoun,
	JOB_TYPES,
	type JobTypeKey,
	jobPath,
	jobSchema,
	jobTypeOfApiName,
	jobTypeOfId,
	LIST_PAGE_SIZE_MAX,
	LIST_PATH,
	listQuery,
	readListPage,
	tagValueOf,
} from '../api/contract';
import { type DreamlookContext, dreamlookRequest, type DreamlookResponse } from './request';
import { mayExistError } from './errors';

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

export interface CreatedJob {
	jobId: string;
	/** The create response as Dreamlook answered it (a dry run's answer is shown in full). */
	response: IDataObject;
}

/** Whether a known rejection (400/422) names the `tags` field: the API does not take tags. */
function rejectsTags(error: unknown): boolean {
	if (!(error instanceof NodeApiError) || (error.httpCode !== '422' && error.httpCode !== '400')) return false;
	const body = (error as { errorResponse?: Record<string, unknown> }).errorResponse?.body;
	return /\btags\b/.test(JSON.stringify(body ?? ''));
}

/**
 * POST a create call. Never repeated unless the server provably did not act (see retry.ts); the
 * one exception is a 400/422 that names `tags` (a known rejection: nothing was created), which is
 * sent once more without the node's idempotency tag.
 */
export async function createJob(
	ctx: DreamlookContext,
	type: JobTypeKey,
	body: IDataObject,
	itemIndex: number,
	options: { deadline?: number } = {},
): Promise<CreatedJob> {
	const spec = JOB_TYPES[type];
	const action = `create ${jobNoun(type, true)}`;
	const send = async (payload: IDataObject) =>
		await dreamlookRequest(ctx, { method: 'POST', path: spec.createPath, action, body: payload, itemIndex, ...options });
	let response: DreamlookResponse | undefined;
	let failure: unknown;
	try {
		response = await send(body);
	} catch (error) {
		failure = error;
	}
	if (!response) {
		if (!body.tags || !rejectsTags(failure)) throw failure;
		ctx.logger.warn('Dreamlook refused the idempotency tag; sending the create without it (a lost answer can then not be matched to its job)');
		const withoutTags = { ...body };
		delete withoutTags.tags;
		response = await send(withoutTags);
	}
	const parsed = createResponseSchema.safeParse(response.body);
	if (!parsed.success) {
		throw mayExistError(ctx.getNode(), { action, itemIndex, reason: `Dreamlook's answer had no readable job ID (${issuesOf(parsed.error).slice(0, 200)})` });
	}
	return { jobId: parsed.data.job_id, response: parsed.data as IDataObject };
}

/**
 * Looks for the job a create with this idempotency tag started, among the most recent jobs of
 * its type. Undefined when it is not found or cannot be looked for (tags and the list endpoint
 * are guesses, see api/contract.ts): the caller then reports that the job may exist.
 */
export async function findJobByTag(
	ctx: DreamlookContext,
	type: JobTypeKey,
	tag: string,
	options: { deadline?: number; pages?: number; key?: string } = {},
): Promise<DreamlookJob | undefined> {
	const key = options.key ?? IDEMPOTENCY_TAG_KEY;
	const pages = options.pages ?? 3;
	for (let page = 0; page < pages; page++) {
		if (options.deadline !== undefined && Date.now() >= options.deadline) return undefined;
		let result: ListPageResult;
		try {
			result = await listJobsPage(ctx, { jobType: type, limit: LIST_PAGE_SIZE_MAX, offset: page * LIST_PAGE_SIZE_MAX, newestUpdatedFirst: true, deadline: options.deadline });
		} catch (error) {
			ctx.logger.warn(`Dreamlook: could not look for the job with tag ${tag}: ${(error as Error).message}`);
			return undefined;
		}
		const found = result.jobs.find(
			(job) => tagValueOf(job, key) === tag && (jobTypeOfJob(job) ?? type) === type,
		);
		if (found) return found;
		if (result.received < LIST_PAGE_SIZE_MAX) return undefined;
	}
	return undefined;
}

/** A job's type from its own `job_type`, else from its id prefix; undefined when neither says. */
export function jobTypeOfJob(job: DreamlookJob): JobTypeKey | undefined {
	return jobTypeOfApiName(job.job_type ?? undefined) ?? jobTypeOfId(job.job_id);
}

/** GET one job; for image jobs a 404 on the documented path is retried once with the other spelling. */
export async function getJob(
	ctx: DreamlookContext,
	type: JobTypeKey,
	jobId: string,
	itemIndex?: number,
	options: { deadline?: number } = {},
): Promise<DreamlookJob> {
	const hasAlternate = JOB_TYPES[type].alternatePathSegment !== undefined;
	const request = {
		method: 'GET' as const,
		action: `get job ${jobId}`,
		itemIndex,
		...options,
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
	deadline?: number;
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
		...(page.deadline !== undefined ? { deadline: page.deadline } : {}),
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
