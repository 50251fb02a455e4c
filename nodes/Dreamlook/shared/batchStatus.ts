/**
 * Batch status checks: while many jobs are awaited, one list request (a page of up to 100 jobs)
 * replaces up to 100 status GETs. The list endpoint is a guess (api/contract.ts), so it is used only
 * while it proves usable at run time: it answers a readable list, honours the job-type filter and
 * the page size, pages with offset (a second page is not the first again), and shows the jobs being
 * awaited. The first time it falls short, this wait goes back to one GET per job (the caller's
 * fallback), and any job a usable list did not show is checked with its own GET too, so no state
 * change is missed either way.
 */
import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { type DreamlookJob, type JobTypeKey, LIST_PAGE_SIZE_MAX } from '../api/contract';
import { jobTypeOfJob, listJobsPage, type ListPageResult } from '../transport/jobs';

/** Fewer awaited jobs than this are checked one GET each (a list request would not save much). */
export const BATCH_MIN_JOBS = 5;
/** Once the list has served in a wait, it stays in use down to this many awaited jobs. */
const BATCH_KEEP_JOBS = 2;
/** At most this many list pages per round (beyond: the remaining jobs get their own GET). */
const MAX_PAGES_PER_ROUND = 10;
/** A round whose list shows fewer than this share of the awaited jobs turns the list off. */
const MIN_SHARE_SHOWN = 0.5;
/** Attempts per list request: a failing list falls back to GETs quickly instead of retrying long. */
const LIST_ATTEMPTS = 2;

export interface BatchStats {
	listRequests: number;
	rounds: number;
	/** Why the list was turned off for this wait, if it was. */
	offBecause?: string;
}

/** Whether a job object has what the node outputs for it (a list may hold summaries). */
export function isCompleteJob(job: DreamlookJob, type: JobTypeKey): boolean {
	if (job.state !== 'success') return true;
	if (type === 'dreambooth') return job.dreambooth_result !== undefined && job.dreambooth_result !== null;
	return Array.isArray(job.image_gen_results);
}

export class BatchStatus {
	private off = false;

	private served = false;

	readonly stats: BatchStats = { listRequests: 0, rounds: 0 };

	constructor(
		private readonly ctx: IExecuteFunctions,
		private readonly type: JobTypeKey,
	) {}

	/** Whether a round with `pendingCount` awaited jobs should use the list. */
	shouldUse(pendingCount: number): boolean {
		return !this.off && pendingCount >= (this.served ? BATCH_KEEP_JOBS : BATCH_MIN_JOBS);
	}

	get isOff(): boolean {
		return this.off;
	}

	private turnOff(reason: string): undefined {
		this.off = true;
		this.stats.offBecause = reason;
		this.ctx.logger.info(`Dreamlook: checking the awaited jobs one request each from now on: ${reason}`);
		return undefined;
	}

	/**
	 * Reads list pages until every job in `jobIds` was shown (or the pages end); returns the jobs
	 * shown, by id, or undefined when the list proved unusable (it is then off for this wait).
	 */
	async check(jobIds: string[], deadline: number): Promise<Map<string, DreamlookJob> | undefined> {
		const wanted = new Set(jobIds);
		const shown = new Map<string, DreamlookJob>();
		const seenIds = new Set<string>();
		const maxPages = Math.min(MAX_PAGES_PER_ROUND, Math.ceil(wanted.size / LIST_PAGE_SIZE_MAX) + 1);
		this.stats.rounds++;
		for (let page = 0; page < maxPages && shown.size < wanted.size; page++) {
			let result: ListPageResult;
			try {
				this.stats.listRequests++;
				result = await listJobsPage(this.ctx, {
					jobType: this.type,
					limit: LIST_PAGE_SIZE_MAX,
					offset: page * LIST_PAGE_SIZE_MAX,
					newestUpdatedFirst: true,
					maxAttempts: LIST_ATTEMPTS,
					deadline,
				});
			} catch (error) {
				if (this.ctx.getExecutionCancelSignal()?.aborted) {
					throw new NodeOperationError(this.ctx.getNode(), 'The execution was stopped while talking to Dreamlook');
				}
				return this.turnOff(`the job list could not be read (${(error as Error).message})`);
			}
			if (result.received > LIST_PAGE_SIZE_MAX) return this.turnOff(`the job list sent ${result.received} jobs for a page of ${LIST_PAGE_SIZE_MAX}`);
			const foreign = result.jobs.find((job) => (jobTypeOfJob(job) ?? this.type) !== this.type);
			if (foreign) return this.turnOff(`the job list ignores the job type filter (it showed ${foreign.job_id})`);
			const repeated = result.jobs.length > 0 && result.jobs.every((job) => seenIds.has(job.job_id));
			if (page > 0 && repeated) return this.turnOff('the job list ignores the page offset');
			for (const job of result.jobs) {
				seenIds.add(job.job_id);
				if (wanted.has(job.job_id)) shown.set(job.job_id, job);
			}
			if (result.received < LIST_PAGE_SIZE_MAX) break;
		}
		if (shown.size < wanted.size * MIN_SHARE_SHOWN) {
			return this.turnOff(`the job list showed ${shown.size} of the ${wanted.size} awaited jobs`);
		}
		this.served = true;
		return shown;
	}
}
