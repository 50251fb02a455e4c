import type {
	IDataObject,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IPollFunctions,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError, NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import { simplifyField } from './actions/common.descriptions';
import { jobTypeOptions } from './actions/job/jobType';
import { type DreamlookJob, JOB_TYPE_KEYS, type JobTypeKey, jobTypeOfApiName, jobTypeOfId, LIST_PAGE_SIZE_MAX, timestampMicros } from './api/contract';
import { downloadImages } from './shared/binary';
import { imagesOf, jobToJson } from './shared/output';
import { listJobsPage } from './transport/jobs';
import {
	type CursorFilter,
	CursorError,
	describeFilter,
	matchesFilter,
	readCursorState,
	serverStateFilter,
	type TriggerEvent,
} from './trigger/cursor';
import { commitDeadline, type FetchPage, runPollLoop } from './trigger/poll';

const ALL = 'all';
/** Attempts per list request inside one poll; the next poll is the next retry. */
const POLL_MAX_ATTEMPTS = 2;
/** "Fetch Test Event" looks at this many pages at most. */
const TEST_EVENT_MAX_PAGES = 5;
const TEST_EVENT_PAGE_SIZE = 50;
const RETRY_HINT =
	' The trigger tries again at the next poll and resumes where it stopped: no job is skipped or emitted twice because of this error.';

/** Polls of one trigger never overlap: a slow poll makes the next tick return nothing. */
const pollsInFlight = new Set<string>();

function filterOf(ctx: IPollFunctions): CursorFilter {
	const event = ctx.getNodeParameter('event', 'success') as TriggerEvent;
	const jobTypeChoice = ctx.getNodeParameter('jobType', ALL) as string;
	const jobType = (JOB_TYPE_KEYS as string[]).includes(jobTypeChoice) ? (jobTypeChoice as JobTypeKey) : undefined;
	return { event, jobType };
}

function listFetcher(ctx: IPollFunctions, filter: CursorFilter): FetchPage<DreamlookJob> {
	return async (offset, limit) => {
		const page = await listJobsPage(ctx, {
			jobType: filter.jobType,
			state: serverStateFilter(filter.event),
			limit,
			offset,
			newestUpdatedFirst: true,
			maxAttempts: POLL_MAX_ATTEMPTS,
		});
		return { jobs: page.jobs, received: page.received, total: page.total };
	};
}

/** The error to fail the poll with: the transport's NodeApiError with the trigger's hint added. */
function pollError(ctx: IPollFunctions, error: unknown): Error {
	if (error instanceof NodeApiError) {
		const status = Number(error.httpCode);
		const transient = !(status === 401 || status === 403 || status === 404 || status === 422);
		if (transient && !String(error.description ?? '').includes(RETRY_HINT)) {
			error.description = `${error.description ?? ''}${RETRY_HINT}`.trim();
		}
		return new NodeApiError(ctx.getNode(), error as unknown as JsonObject);
	}
	if (error instanceof CursorError) {
		return new NodeOperationError(ctx.getNode(), error.message, {
			description: `The cursor did not move, so nothing was skipped.${RETRY_HINT}`,
		});
	}
	return new NodeOperationError(ctx.getNode(), error instanceof Error ? error : String(error));
}

function typeOfJob(job: DreamlookJob): JobTypeKey {
	return jobTypeOfApiName(job.job_type ?? undefined) ?? jobTypeOfId(job.job_id) ?? 'imageGen';
}

async function toItems(
	ctx: IPollFunctions,
	jobs: DreamlookJob[],
	settings: { simplify: boolean; download: boolean; downloadUntil: number },
): Promise<INodeExecutionData[]> {
	const items: INodeExecutionData[] = [];
	for (const job of jobs) {
		const json = { ...jobToJson(job, settings.simplify) };
		const item: INodeExecutionData = { json };
		if (settings.download && imagesOf(job).length > 0) {
			// A download problem never holds back the job itself (nor the jobs after it).
			if (Date.now() > settings.downloadUntil) {
				json.download_error = 'Skipped: this poll ran out of time. Use Dreamlook → Job → Get with Download Images.';
			} else {
				try {
					// The poll budget's download deadline bounds every request and stall too (non-finite = none).
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

/** "Fetch Test Event": the most recent matching job; the cursor is neither read nor written. */
async function fetchTestEvent(
	ctx: IPollFunctions,
	filter: CursorFilter,
	settings: { simplify: boolean; download: boolean },
): Promise<INodeExecutionData[][]> {
	const fetchPage = listFetcher(ctx, filter);
	let newest: { ts: number; job: DreamlookJob } | undefined;
	let offset = 0;
	for (let page = 0; page < TEST_EVENT_MAX_PAGES && !newest; page++) {
		const result = await fetchPage(offset, TEST_EVENT_PAGE_SIZE);
		for (const job of result.jobs) {
			if (!matchesFilter(job, filter)) continue;
			const ts = timestampMicros(job.state_updated);
			const key = Number.isNaN(ts) ? Number.NEGATIVE_INFINITY : ts;
			if (!newest || key > newest.ts) newest = { ts: key, job };
		}
		if (result.received < TEST_EVENT_PAGE_SIZE) break;
		offset += result.received;
	}
	if (!newest) {
		const what = describeFilter(filter);
		throw new NodeOperationError(ctx.getNode(), `No ${what} found in this Dreamlook account yet`, {
			description:
				`To produce one, run the Dreamlook node (for example Image → Create with a short prompt and Wait for Completion on)` +
				`${filter.event === 'failure' ? ' and let the job fail' : ''}, then click “Fetch Test Event” again. ` +
				`Only the ${TEST_EVENT_MAX_PAGES * TEST_EVENT_PAGE_SIZE} most recently updated jobs are searched.`,
		});
	}
	return [await toItems(ctx, [newest.job], { ...settings, downloadUntil: Number.POSITIVE_INFINITY })];
}

export class DreamlookTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Dreamlook Trigger',
		name: 'dreamlookTrigger',
		icon: { light: 'file:../../icons/dreamlook.svg', dark: 'file:../../icons/dreamlook.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle:
			'={{$parameter["event"] === "failure" ? "Job failed" : $parameter["event"] === "anyTerminal" ? "Job finished" : "Job succeeded"}}',
		description: 'Starts the workflow when a dreamlook.ai job succeeds or fails',
		defaults: { name: 'Dreamlook Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'dreamlookApi', required: true }],
		properties: [
			{
				displayName:
					'Emits each job that reaches the chosen state after the workflow is activated, once, oldest first. Jobs that finished before activation are not emitted unless you include them below.',
				name: 'notice',
				type: 'notice',
				default: '',
			},
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
				options: jobTypeOptions([{ name: 'All', value: ALL }]),
				default: 'all',
			},
			{
				displayName: 'Download Images',
				name: 'downloadImages',
				type: 'boolean',
				default: false,
				description:
					'Whether to attach the generated images as binary data (data_0, data_1, …). Dreamlook\'s image links expire after one hour.',
			},
			simplifyField(),
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Include Jobs Finished in the Last (Hours)',
						name: 'lookbackHours',
						type: 'number',
						typeOptions: { minValue: 0, maxValue: 720 },
						default: 0,
						description:
							'On the first activation only: also emit the jobs that reached the state this many hours before activation. 0 emits only jobs that finish after activation.',
					},
				],
			},
		],
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const filter = filterOf(this);
		const simplify = this.getNodeParameter('simplify', true) as boolean;
		const download = this.getNodeParameter('downloadImages', false) as boolean;
		if (this.getMode() === 'manual') return await fetchTestEvent(this, filter, { simplify, download });

		const lockKey = `${this.getWorkflow().id ?? ''}:${this.getNode().id}`;
		if (pollsInFlight.has(lockKey)) {
			this.logger.warn('Dreamlook Trigger: the previous poll is still running; this one is skipped');
			return null;
		}
		pollsInFlight.add(lockKey);
		try {
			return await pollForJobs(this, filter, { simplify, download });
		} finally {
			pollsInFlight.delete(lockKey);
		}
	}
}

async function pollForJobs(
	ctx: IPollFunctions,
	filter: CursorFilter,
	settings: { simplify: boolean; download: boolean },
): Promise<INodeExecutionData[][] | null> {
	const started = Date.now();
	const staticData = ctx.getWorkflowStaticData('node');
	const prior = readCursorState(staticData.cursor);
	const options = ctx.getNodeParameter('options', {}) as IDataObject;
	const lookbackHours = Number(options.lookbackHours ?? 0);
	const budgetMs = typeof ctx.getPollBudgetMs === 'function' ? ctx.getPollBudgetMs() : undefined;

	const result = await runPollLoop(prior, filter, listFetcher(ctx, filter), {
		pageSize: LIST_PAGE_SIZE_MAX,
		lookbackFromMicros: lookbackHours > 0 ? (Date.now() - lookbackHours * 3600_000) * 1000 : undefined,
		budgetMs,
	});

	if (!result.inTime) {
		// n8n may already have given up on this poll: keep nothing, the next poll repeats it.
		ctx.logger.warn(`Dreamlook Trigger: poll took ${result.elapsedMs} ms, over its budget; its result is dropped`);
		return null;
	}
	const commit = () => {
		if (result.changed && result.state) staticData.cursor = result.state as unknown as IDataObject;
	};
	if (result.error) {
		if (result.emit.length === 0) {
			// Pages read before the failure held nothing to emit: keep the progress, report the error.
			commit();
			throw pollError(ctx, result.error);
		}
		ctx.logger.warn(
			`Dreamlook Trigger: listing jobs failed after ${result.stats.pages} page(s); emitting the ${result.emit.length} job(s) read so far, the rest follows at the next poll: ${
				result.error instanceof Error ? result.error.message : String(result.error)
			}`,
		);
	} else if (result.stoppedBy) {
		ctx.logger.info(
			`Dreamlook Trigger: stopped after ${result.stats.pages} page(s) (${result.stoppedBy}); the next poll continues from there`,
		);
	}

	const downloadUntil = budgetMs === undefined ? Number.POSITIVE_INFINITY : started + commitDeadline(budgetMs) * 0.9;
	const items = await toItems(ctx, result.emit, { ...settings, downloadUntil });
	commit();
	return items.length > 0 ? [items] : null;
}
