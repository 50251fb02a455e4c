/**
 * The create pipeline of Image → Create, Training → Create and Training → Train and Generate, top
 * to bottom: read the settings and check every item → create each item's job at most once
 * (retry-safe) → stop early if a create failed → wait for all jobs → download images → output.
 */
import type { IBinaryKeyData, IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { type DreamlookJob, jobNoun, JOB_TYPES, type JobTypeKey } from '../api/contract';
import { downloadImages } from '../shared/binary';
import { unreachableCallback } from '../shared/callbackUrl';
import { checkpointJson, downloadCheckpoints, selectCheckpoints } from '../shared/checkpoints';
import { mapWithConcurrency } from '../shared/concurrency';
import { type ItemOutcome, toNodeOutput } from '../shared/itemResults';
import { failureReason, failureText } from '../shared/output';
import { createOnce } from '../shared/retrySafeCreate';
import { setUpConcurrency } from '../shared/runConcurrency';
import { waitForJobs } from '../shared/waitForJobs';
import { getConnection } from '../transport/request';
import { type ItemSettings, jobOutput, readItemSettings, readRunOptions } from './createSettings';

/** What distinguishes one create operation from another; the rest is this pipeline. */
export interface CreateOperationSpec {
	type: JobTypeKey;
	/** Builds and checks one item's request body; throws before anything is sent. */
	buildBody: (ctx: IExecuteFunctions, itemIndex: number) => object;
	waitByDefault: boolean;
	/** Whether the job produces images (and so offers Download Images). */
	producesImages: boolean;
	/** Whether the job produces trained checkpoints (and so offers Download Checkpoints). */
	producesCheckpoints?: boolean;
	timeoutSeconds: number;
	intervalSeconds: number;
}

interface Created {
	itemIndex: number;
	jobId: string;
	reused: boolean;
}

function endedError(ctx: IExecuteFunctions, type: JobTypeKey, job: DreamlookJob, itemIndex: number): NodeOperationError {
	const what = `The ${jobNoun(type)} ${job.job_id}`;
	if (job.state === 'failure') {
		const text = failureText(job);
		const reason = failureReason(job);
		const message = text
			? `${what} failed on Dreamlook: ${text}`
			: `${what} failed on Dreamlook${reason ? ` (reason: ${reason})` : ', which gave no reason'}`;
		return new NodeOperationError(ctx.getNode(), message, {
			itemIndex,
			description:
				`${text && reason ? `Dreamlook's failure code: ${reason}. ` : ''}Dreamlook ran the job and it ended in failure. ` +
				'Check the prompt, images and model, then run the item again. Failed jobs are usually not charged.',
		});
	}
	return new NodeOperationError(ctx.getNode(), `${what} ended in state "${job.state}" without results`, {
		itemIndex,
		description: `The job will not finish: "${job.state}" is not a success. Look at it with Job → Get or on the dreamlook.ai dashboard, then run the item again if needed.`,
	});
}

/** A failed create stops the node before anyone waits for the others' jobs (without Continue On Fail). */
function failFast(ctx: IExecuteFunctions, error: Error, itemIndex: number, created: Created[]): Error {
	const others = created.filter((entry) => entry.itemIndex !== itemIndex);
	const withDescription = error as Error & { description?: string | null };
	const note = others.length
		? ` Item ${itemIndex + 1} could not be created, so the node stopped before waiting. Jobs already created for the other items (running and paid): ` +
			`${others.map((entry) => `item ${entry.itemIndex + 1}: ${entry.jobId}`).join(', ')}. ` +
			'Retry On Fail, or fixing this item and running the node again in this execution, reuses them; otherwise fetch them with Job → Get.'
		: '';
	withDescription.description = `${withDescription.description ?? ''}${note}`.trim();
	return error;
}

/**
 * A Callback URL Dreamlook cannot call (this machine, a private network) fails its item before any
 * request: the job would run and the workflow would wait for a call that never comes.
 */
async function refuseUnreachableCallbacks(ctx: IExecuteFunctions, bodies: Array<IDataObject | undefined>, outcomes: ItemOutcome[]): Promise<void> {
	if (!bodies.some((body) => typeof body?.callback === 'string')) return;
	const { baseUrl } = await getConnection(ctx);
	bodies.forEach((body, itemIndex) => {
		const problem = typeof body?.callback === 'string' ? unreachableCallback(body.callback, baseUrl) : undefined;
		if (!problem) return;
		bodies[itemIndex] = undefined;
		outcomes[itemIndex] = new NodeOperationError(ctx.getNode(), `${problem} (Callback URL)`, {
			itemIndex,
			description:
				"Dreamlook calls the Callback URL from the internet. Set n8n's WEBHOOK_URL to the public address n8n is reached at (then {{ $execution.resumeUrl }} and trigger URLs use it), or enter a public URL; without one, leave Callback URL empty and use Wait for Completion or the polling Dreamlook Trigger. Nothing was sent to Dreamlook.",
		});
	});
}

/** Reads the shared create fields (wait, download, simplify per item; options per run) and runs the pipeline. */
export async function executeCreateOperation(
	ctx: IExecuteFunctions,
	items: INodeExecutionData[],
	spec: CreateOperationSpec,
): Promise<INodeExecutionData[]> {
	// 1. Settings and every item's body, checked before anything is sent.
	const options = readRunOptions(ctx, items.length, spec);
	const startedAt = Date.now();
	const deadline = startedAt + options.timeoutMs;

	const outcomes: ItemOutcome[] = new Array(items.length);
	const bodies: Array<IDataObject | undefined> = new Array(items.length);
	const settings: ItemSettings[] = new Array(items.length);
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			settings[itemIndex] = readItemSettings(ctx, itemIndex, spec);
			bodies[itemIndex] = spec.buildBody(ctx, itemIndex) as IDataObject;
		} catch (error) {
			outcomes[itemIndex] = error as Error;
		}
	}
	await refuseUnreachableCallbacks(ctx, bodies, outcomes);
	const firstInvalid = outcomes.find((outcome) => outcome instanceof Error);
	if (firstInvalid && !ctx.continueOnFail()) throw firstInvalid;

	// 2. Create each item's job at most once per execution (see shared/retrySafeCreate.ts), with
	// the Concurrency option's limits (Auto: learned from Dreamlook's answers, see shared/runConcurrency.ts).
	const concurrency = setUpConcurrency(ctx, options.concurrency);
	const toCreate = bodies.flatMap((body, itemIndex) => (body ? [itemIndex] : []));
	const results = await mapWithConcurrency(
		toCreate.length,
		concurrency.creates,
		async (index) => await createOnce(ctx, spec.type, bodies[toCreate[index]] as IDataObject, toCreate[index]),
		{ minStartIntervalMs: concurrency.createSpacingMs, signal: ctx.getExecutionCancelSignal() },
	);
	const created: Created[] = [];
	const toWait: Created[] = [];
	let firstFailed: { error: Error; itemIndex: number } | undefined;
	results.forEach((result, index) => {
		const itemIndex = toCreate[index];
		if (result.status === 'rejected') {
			outcomes[itemIndex] = result.reason as Error;
			firstFailed ??= { error: result.reason as Error, itemIndex };
			return;
		}
		const { jobId, reused, dryRun, response } = result.value;
		const pathSegment = JOB_TYPES[spec.type].pathSegment;
		if (dryRun) {
			// The dry run's whole answer (a cost, if Dreamlook returns one), then what it means.
			outcomes[itemIndex] = { json: { ...response, job_id: jobId, job_type: pathSegment, state: 'dry_run', dry_run: true } };
			return;
		}
		created.push({ itemIndex, jobId, reused });
		if (settings[itemIndex].wait) toWait.push({ itemIndex, jobId, reused });
		else outcomes[itemIndex] = { json: { job_id: jobId, job_type: pathSegment, state: 'queued', ...(reused ? { reused: true } : {}) } };
	});
	// 3. Stop before waiting when a create failed: its error lists the jobs the others created.
	if (firstFailed && !ctx.continueOnFail()) throw failFast(ctx, firstFailed.error, firstFailed.itemIndex, created);

	// 4. Wait for every job together, each checked one interval after its own last answer.
	if (toWait.length > 0) ctx.logger.info(`Dreamlook: ${toWait.length} job(s) created or reused, waiting for completion`);
	const finished = toWait.length > 0
		? await waitForJobs(ctx, toWait.map((entry) => ({ ...entry, type: spec.type, checkAtOnce: entry.reused })), {
				timeoutMs: options.timeoutMs,
				intervalMs: options.pollIntervalMs,
				concurrency: concurrency.waits,
				deadline,
			})
		: new Map<number, DreamlookJob | Error>();
	const toDownload: Array<{ itemIndex: number; job: DreamlookJob }> = [];
	for (const [itemIndex, result] of finished) {
		if (result instanceof Error) outcomes[itemIndex] = result;
		else if (result.state !== 'success') outcomes[itemIndex] = endedError(ctx, spec.type, result, itemIndex);
		else if (settings[itemIndex].download || settings[itemIndex].checkpoints) toDownload.push({ itemIndex, job: result });
		else outcomes[itemIndex] = { json: jobOutput(result, settings[itemIndex]) };
	}

	// 5. Download every image (and, for training, every checkpoint) as binary data, all within the same deadline.
	const downloads = await mapWithConcurrency(toDownload.length, concurrency.downloads, async (index) => {
		const { itemIndex, job } = toDownload[index];
		const images = settings[itemIndex].download
			? await downloadImages(ctx, job, { prefix: options.binaryPrefix, type: spec.type, itemIndex, deadline, maxBytes: options.maxImageBytes })
			: {};
		if (!settings[itemIndex].checkpoints) return images;
		const checkpoints = await downloadCheckpoints(ctx, job, {
			type: spec.type,
			itemIndex,
			choice: 'all',
			prefix: 'checkpoint',
			deadline,
			maxBytes: options.maxCheckpointBytes,
			sizeOption: 'Max Checkpoint Size (MB)',
		});
		return { ...images, ...checkpoints };
	});
	downloads.forEach((result, index) => {
		const { itemIndex, job } = toDownload[index];
		if (result.status === 'rejected') {
			outcomes[itemIndex] = result.reason as Error;
			return;
		}
		const json = jobOutput(job, settings[itemIndex]);
		if (settings[itemIndex].checkpoints) json.checkpoints = checkpointJson(job, selectCheckpoints(job, 'all'), 'checkpoint');
		outcomes[itemIndex] = { json, binary: result.value as IBinaryKeyData };
	});

	// 6. One output item per input item, paired; the first failure stops the node unless Continue On Fail.
	return toNodeOutput(ctx, outcomes, created.map((entry) => entry.jobId));
}
