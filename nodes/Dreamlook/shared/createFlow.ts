import type { IBinaryKeyData, IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { DRY_RUN_ID_PREFIX, type DreamlookJob, JOB_TYPES, type JobTypeKey } from '../api/contract';
import { createJob } from '../transport/jobs';
import { downloadImages } from './binary';
import { mapWithConcurrency } from './concurrency';
import { type ItemOutcome, toNodeOutput } from './itemResults';
import { jobToJson } from './output';
import { waitForJobs } from './waitForJobs';

/**
 * Create requests start at least this far apart (at most 100 a second): with many items, their
 * requests stay spread instead of leaving in waves (see mapWithConcurrency). It never binds while
 * Concurrency ÷ latency is below 100 a second (10 in flight at 100 ms or more).
 */
const CREATE_START_SPACING_MS = 10;

export interface CreateSettings {
	type: JobTypeKey;
	waitForCompletion: boolean;
	downloadImages: boolean;
	simplify: boolean;
	timeoutMs: number;
	intervalMs: number;
	concurrency: number;
	binaryPrefix: string;
}

/** One item's request body, built and checked before anything is sent. */
export type BuildBody = (itemIndex: number) => IDataObject;

function failedJobError(ctx: IExecuteFunctions, job: DreamlookJob, itemIndex: number): NodeOperationError {
	const reason = typeof job.failure_reason === 'string' ? job.failure_reason : JSON.stringify(job.failure_reason ?? 'not given');
	return new NodeOperationError(ctx.getNode(), `Dreamlook job ${job.job_id} failed: ${reason}`, {
		itemIndex,
		description: 'Dreamlook ran the job but it ended in failure. Check the prompt, images and model, then run again. Failed jobs are usually not charged.',
	});
}

/**
 * Create → (wait) → (download) for every item: all input is checked first, jobs are created with a
 * bounded number of requests in flight, all jobs are awaited together, and each item keeps its
 * own success or error, paired to its input.
 */
export async function runCreateFlow(
	ctx: IExecuteFunctions,
	itemCount: number,
	buildBody: BuildBody,
	settings: CreateSettings,
): Promise<INodeExecutionData[]> {
	const outcomes: ItemOutcome[] = new Array(itemCount);
	const bodies: Array<IDataObject | undefined> = new Array(itemCount);
	for (let itemIndex = 0; itemIndex < itemCount; itemIndex++) {
		try {
			bodies[itemIndex] = buildBody(itemIndex);
		} catch (error) {
			outcomes[itemIndex] = error as Error;
		}
	}
	// Bad input stops the whole node before any paid request, unless failures continue.
	const firstInvalid = outcomes.find((outcome) => outcome instanceof Error);
	if (firstInvalid && !ctx.continueOnFail()) throw firstInvalid;

	const toCreate = bodies.flatMap((body, itemIndex) => (body ? [itemIndex] : []));
	const created = await mapWithConcurrency(
		toCreate.length,
		settings.concurrency,
		async (index) => createJob(ctx, settings.type, bodies[toCreate[index]] as IDataObject, toCreate[index]),
		{ minStartIntervalMs: CREATE_START_SPACING_MS, signal: ctx.getExecutionCancelSignal() },
	);
	const createdJobIds: string[] = [];
	const toWait: Array<{ itemIndex: number; type: JobTypeKey; jobId: string }> = [];
	created.forEach((result, index) => {
		const itemIndex = toCreate[index];
		if (result.status === 'rejected') {
			outcomes[itemIndex] = result.reason as Error;
			return;
		}
		const jobId = result.value;
		const isDryRun = jobId.startsWith(DRY_RUN_ID_PREFIX) || bodies[itemIndex]?.dry_run === true;
		if (!isDryRun) createdJobIds.push(jobId);
		if (settings.waitForCompletion && !isDryRun) {
			toWait.push({ itemIndex, type: settings.type, jobId });
			return;
		}
		outcomes[itemIndex] = {
			json: isDryRun
				? { job_id: jobId, job_type: JOB_TYPES[settings.type].pathSegment, state: 'dry_run', dry_run: true }
				: { job_id: jobId, job_type: JOB_TYPES[settings.type].pathSegment, state: 'queued' },
		};
	});
	if (toWait.length > 0) ctx.logger.info(`Dreamlook: created ${toWait.length} job(s), waiting for completion`);

	const finished = toWait.length > 0 ? await waitForJobs(ctx, toWait, settings) : new Map<number, DreamlookJob | Error>();
	const toDownload: Array<{ itemIndex: number; job: DreamlookJob }> = [];
	for (const [itemIndex, result] of finished) {
		if (result instanceof Error) outcomes[itemIndex] = result;
		else if (result.state !== 'success') outcomes[itemIndex] = failedJobError(ctx, result, itemIndex);
		else if (settings.downloadImages) toDownload.push({ itemIndex, job: result });
		else outcomes[itemIndex] = { json: jobToJson(result, settings.simplify) };
	}

	const downloads = await mapWithConcurrency(toDownload.length, settings.concurrency, async (index) =>
		downloadImages(ctx, toDownload[index].job, {
			prefix: settings.binaryPrefix,
			type: settings.type,
			itemIndex: toDownload[index].itemIndex,
		}),
	);
	downloads.forEach((result, index) => {
		const { itemIndex, job } = toDownload[index];
		outcomes[itemIndex] =
			result.status === 'rejected'
				? (result.reason as Error)
				: { json: jobToJson(job, settings.simplify), binary: result.value as IBinaryKeyData };
	});

	return toNodeOutput(ctx, outcomes, createdJobIds);
}
