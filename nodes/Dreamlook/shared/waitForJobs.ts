import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { sleep } from './sleep';

import { type DreamlookJob, isFinishedState, jobNoun, type JobTypeKey } from '../api/contract';
import { getJob } from '../transport/jobs';
import { BatchStatus, isCompleteJob } from './batchStatus';
import { mapWithConcurrency } from './concurrency';

export interface PendingJob {
	itemIndex: number;
	type: JobTypeKey;
	jobId: string;
	/** Check at the first round rather than one interval from now (a job reused from an earlier try may be done). */
	checkAtOnce?: boolean;
}

export interface WaitOptions {
	/** The Timeout, for messages. */
	timeoutMs: number;
	/** When waiting ends (epoch ms): no request, backoff or Retry-After runs past it. Default: now + timeoutMs. */
	deadline?: number;
	intervalMs: number;
	/** Most GETs in flight per round. */
	concurrency: number;
	/**
	 * Check many jobs (≥ BATCH_MIN_JOBS of a type) with list pages while the list proves usable,
	 * one GET per job otherwise (see batchStatus.ts). Default: on.
	 */
	batch?: boolean;
}

function groupByType(jobs: PendingJob[]): Map<JobTypeKey, PendingJob[]> {
	const groups = new Map<JobTypeKey, PendingJob[]>();
	for (const job of jobs) groups.set(job.type, [...(groups.get(job.type) ?? []), job]);
	return groups;
}

/** The last round of status checks starts at most this long before the deadline. */
const LAST_ROUND_MARGIN_MS = 5000;

/** Errors that waiting longer cannot fix. */
const PERMANENT_STATUSES = new Set(['401', '403', '404']);

function progressOf(job: DreamlookJob): string {
	const percent = typeof job.percentage_done === 'number' ? ` ${Math.round(job.percentage_done)}%` : '';
	return `${job.state}${percent}`;
}

/**
 * Jobs due within this much of the soonest one are checked in the same round, so that status
 * requests go out in batches rather than one timer per job.
 */
function batchWindowMs(intervalMs: number): number {
	return Math.min(100, intervalMs / 10);
}

/**
 * Polls every pending job once per interval until each reaches a terminal state or the deadline
 * passes. All jobs are watched together, so items leave in one output, paired to their inputs.
 * Each job is next checked one interval after its own last answer — the rhythm of the
 * Wait → HTTP Request loop, per job — so with more jobs than Concurrency a slow round does not
 * delay the jobs answered early in it. A GET that fails transiently is logged and retried at the
 * job's next check; the deadline bounds it all (one last check of every job at the deadline, each
 * with its own GET). With many jobs of a type, a round reads list pages instead (one request per
 * up to 100 jobs) while the list proves usable; a job the list did not show gets its own GET.
 */
export async function waitForJobs(
	ctx: IExecuteFunctions,
	jobs: PendingJob[],
	options: WaitOptions,
): Promise<Map<number, DreamlookJob | Error>> {
	const outcomes = new Map<number, DreamlookJob | Error>();
	const lastSeen = new Map<number, { job?: DreamlookJob; error?: Error }>();
	const signal = ctx.getExecutionCancelSignal();
	const deadline = options.deadline ?? Date.now() + options.timeoutMs;
	// When each job is next due: one interval after its creation, then after each answer.
	const dueAt = new Map<number, number>(jobs.map((job) => [job.itemIndex, job.checkAtOnce ? Date.now() : Date.now() + options.intervalMs]));
	let pending = [...jobs];
	// The last round checks every job this long before the deadline, so that it ends by the deadline.
	const lastRoundAt = deadline - Math.min(LAST_ROUND_MARGIN_MS, options.intervalMs, options.timeoutMs / 10);
	let lastRoundDone = false;
	const batches = new Map<JobTypeKey, BatchStatus>();

	while (pending.length > 0 && !lastRoundDone) {
		const soonest = Math.min(...pending.map((job) => dueAt.get(job.itemIndex) ?? 0));
		await sleep(Math.max(0, Math.min(soonest, lastRoundAt) - Date.now()), signal);

		const now = Date.now();
		lastRoundDone = now >= lastRoundAt;
		const dueSoon = (job: PendingJob) => lastRoundDone || (dueAt.get(job.itemIndex) ?? 0) <= now + batchWindowMs(options.intervalMs);
		const observe = (entry: PendingJob, job: DreamlookJob): boolean => {
			const previous = lastSeen.get(entry.itemIndex)?.job;
			if (!previous || progressOf(previous) !== progressOf(job)) {
				ctx.logger.info(`Dreamlook job ${job.job_id}: ${progressOf(job)}`, {
					jobId: job.job_id,
					state: job.state,
					percentageDone: job.percentage_done ?? undefined,
				});
			}
			lastSeen.set(entry.itemIndex, { job });
			if (!isFinishedState(job.state)) return false;
			outcomes.set(entry.itemIndex, job);
			return true;
		};

		// Many jobs: one list page shows up to 100 of them (the last round asks each job itself).
		const shownByList = new Set<PendingJob>();
		const doneByList = new Set<PendingJob>();
		if (!lastRoundDone && options.batch !== false) {
			for (const [type, ofType] of groupByType(pending)) {
				const batch = batches.get(type) ?? new BatchStatus(ctx, type);
				batches.set(type, batch);
				if (!batch.shouldUse(ofType.length) || !ofType.some(dueSoon)) continue;
				const shown = await batch.check(ofType.map((job) => job.jobId), deadline);
				if (!shown) continue;
				const answeredAt = Date.now();
				for (const entry of ofType) {
					const job = shown.get(entry.jobId);
					// Not shown, or ended but shown without its results: its own GET below.
					if (!job || (isFinishedState(job.state) && !isCompleteJob(job, type))) continue;
					shownByList.add(entry);
					dueAt.set(entry.itemIndex, answeredAt + options.intervalMs);
					if (observe(entry, job)) doneByList.add(entry);
				}
			}
		}

		const due = pending.filter((job) => !shownByList.has(job) && dueSoon(job));
		const results = await mapWithConcurrency(due.length, options.concurrency, async (index) => {
			try {
				return await getJob(ctx, due[index].type, due[index].jobId, due[index].itemIndex, { deadline });
			} finally {
				dueAt.set(due[index].itemIndex, Date.now() + options.intervalMs);
			}
		});
		const stillPending: PendingJob[] = pending.filter((job) => !due.includes(job) && !doneByList.has(job));
		results.forEach((result, index) => {
			const entry = due[index];
			if (result.status === 'rejected') {
				const error = result.reason as Error;
				if (signal?.aborted) throw error;
				const httpCode = error instanceof NodeApiError ? error.httpCode : null;
				if (httpCode && PERMANENT_STATUSES.has(httpCode)) {
					outcomes.set(entry.itemIndex, error);
					return;
				}
				ctx.logger.warn(`Dreamlook job ${entry.jobId}: status check failed, will retry: ${error.message}`);
				lastSeen.set(entry.itemIndex, { ...lastSeen.get(entry.itemIndex), error });
				stillPending.push(entry);
				return;
			}
			if (!observe(entry, result.value)) stillPending.push(entry);
		});
		pending = stillPending;
	}

	for (const entry of pending) {
		const seen = lastSeen.get(entry.itemIndex);
		const lastState = seen?.job ? progressOf(seen.job) : 'not yet seen';
		const lastError = seen?.error ? ` The last status check failed: ${seen.error.message}.` : '';
		outcomes.set(
			entry.itemIndex,
			new NodeOperationError(
				ctx.getNode(),
				`Dreamlook ${jobNoun(entry.type)} ${entry.jobId} did not finish within ${Math.round(options.timeoutMs / 1000)} s (last state: ${lastState})`,
				{
					itemIndex: entry.itemIndex,
					description:
						`The job keeps running on Dreamlook and is not lost.${lastError} Raise "Timeout" in the node's options, ` +
						'or turn off "Wait for Completion" and fetch the result later with Job → Get, or start a workflow from the Dreamlook Trigger.',
				},
			),
		);
	}
	return outcomes;
}
