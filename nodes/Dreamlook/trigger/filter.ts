/**
 * Which jobs the trigger emits (Event, Job Type), and how a job's state reads. Pure.
 */
import { IN_PROGRESS_STATES, jobNoun, type JobTypeKey, jobTypeOfApiName, jobTypeOfId } from '../api/contract';

export type TriggerEvent = 'success' | 'failure' | 'anyTerminal';

export interface CursorFilter {
	event: TriggerEvent;
	/** undefined = all job types */
	jobType?: JobTypeKey;
}

/** What the cursor needs from a job; the full job object passes through untouched. */
export interface CursorJob {
	job_id: string;
	state: string;
	state_updated?: string | null;
	/** creation time (the API's queue start): tells a list ordered by creation apart */
	state_queued_start?: string | null;
	job_type?: string | null;
}

export function filterKey(filter: CursorFilter): string {
	return `${filter.event}|${filter.jobType ?? 'all'}`;
}

/**
 * Whether a job is one the trigger emits (also applied when the server already filtered).
 * Only `success` is success and only `success`/`failure` are ends: an unknown state is never emitted.
 */
export function matchesFilter(job: CursorJob, filter: CursorFilter): boolean {
	const stateOk =
		filter.event === 'anyTerminal' ? job.state === 'success' || job.state === 'failure' : job.state === filter.event;
	if (!stateOk) return false;
	if (!filter.jobType) return true;
	return jobTypeOf(job) === filter.jobType;
}

export function jobTypeOf(job: CursorJob): JobTypeKey | undefined {
	return jobTypeOfApiName(job.job_type ?? undefined) ?? jobTypeOfId(job.job_id);
}

/** queued or running: the job may still reach the state. */
export function isOpenState(state: string): boolean {
	return IN_PROGRESS_STATES.includes(state);
}

/** Describes the filter in words, for messages. */
export function describeFilter(filter: CursorFilter): string {
	const what = filter.jobType ? jobNoun(filter.jobType) : 'job';
	if (filter.event === 'success') return `succeeded ${what}`;
	if (filter.event === 'failure') return `failed ${what}`;
	return `finished ${what}`;
}
