/**
 * The trigger's poll: drives a CursorScan with pages from any source (the node's transport, or a
 * test's own HTTP client) and looks up the unfinished jobs the pages did not show, all within a
 * time budget. No n8n types here, so the chaos test and the benchmark run it as the node does.
 */
import type { CursorFilter, CursorJob } from './filter';
import { CursorScan, type OpenJobRef, type ScanResult } from './scan';
import type { CursorState } from './state';

export interface FetchedPage<J> {
	jobs: J[];
	/** entries in the body, readable or not */
	received: number;
	total?: number;
}

/** `untilMs`: the request must be done by then (on the `now` clock); undefined = no limit. */
export type FetchPage<J> = (offset: number, limit: number, untilMs?: number) => Promise<FetchedPage<J>>;
/** One job by id; 'gone' when the server says it does not exist. */
export type FetchJob<J> = (ref: OpenJobRef, untilMs?: number) => Promise<J | 'gone'>;

export interface PollLoopOptions<J> {
	pageSize: number;
	/** the clock, ms since the epoch (injected; the node uses triggerClock) */
	now: () => number;
	lookbackMicros?: number;
	lookbackFromMicros?: number;
	/** Time this poll may take (n8n's getPollBudgetMs); undefined = no limit. */
	budgetMs?: number;
	/** Pages per poll at most, whatever the budget. */
	maxPages?: number;
	fetchJob?: FetchJob<J>;
	/** Lookups of unfinished jobs per poll at most. */
	maxLookups?: number;
}

export interface PollLoopResult<J extends CursorJob> extends ScanResult<J> {
	/** why the poll stopped before it was complete */
	stoppedBy?: 'budget' | 'maxPages' | 'error';
	/** the error that stopped paging (already a NodeApiError when it came from the transport) */
	error?: unknown;
	/** a lookup of an unfinished job failed (the job stays remembered; tried again next poll) */
	lookupError?: unknown;
	requests: number;
	lookups: number;
	/** unfinished jobs left for the next poll (budget or lookup limit) */
	lookupsLeft: number;
	elapsedMs: number;
	/** false when the poll ran past its budget: n8n may have given up on it, so keep nothing */
	inTime: boolean;
}

/** Stop starting requests once this share of the budget is spent. */
const BUDGET_SHARE_FOR_REQUESTS = 0.6;
/** Every request must be done by this share of the budget. */
const BUDGET_SHARE_REQUEST_DEADLINE = 0.7;
export const DEFAULT_MAX_PAGES = 500;
export const DEFAULT_MAX_LOOKUPS = 100;

/** Time left before the poll must return, keeping a margin for n8n's own bookkeeping. */
export function commitDeadline(budgetMs: number): number {
	return budgetMs - Math.min(2000, budgetMs * 0.1);
}

export async function runPollLoop<J extends CursorJob>(
	prior: CursorState | undefined,
	filter: CursorFilter,
	fetchPage: FetchPage<J>,
	options: PollLoopOptions<J>,
): Promise<PollLoopResult<J>> {
	const now = options.now;
	const started = now();
	const scan = new CursorScan<J>(prior, filter, {
		pageSize: options.pageSize,
		nowMicros: started * 1000,
		lookbackMicros: options.lookbackMicros,
		lookbackFromMicros: options.lookbackFromMicros,
	});
	const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
	const budget = options.budgetMs;
	const until = budget === undefined ? undefined : started + budget * BUDGET_SHARE_REQUEST_DEADLINE;
	let requests = 0;
	let slowest = 0;
	let stoppedBy: PollLoopResult<J>['stoppedBy'];
	let error: unknown;
	// The first request is always made; later ones only while they fit in the budget.
	const fits = () => requests === 0 || budget === undefined || now() - started + slowest <= budget * BUDGET_SHARE_FOR_REQUESTS;

	for (;;) {
		const offset = scan.nextOffset();
		if (offset === undefined) break;
		if (requests >= maxPages) {
			stoppedBy = 'maxPages';
			break;
		}
		if (!fits()) {
			stoppedBy = 'budget';
			break;
		}
		const before = now();
		try {
			requests++;
			const page = await fetchPage(offset, scan.pageSize, until);
			slowest = Math.max(slowest, now() - before);
			scan.accept(offset, page.jobs, page.received, page.total);
		} catch (caught) {
			error = caught;
			stoppedBy = 'error';
			break;
		}
	}

	let lookups = 0;
	let lookupError: unknown;
	const toCheck = error === undefined && options.fetchJob ? scan.openToCheck() : [];
	const maxLookups = options.maxLookups ?? DEFAULT_MAX_LOOKUPS;
	for (const ref of toCheck) {
		if (lookups >= maxLookups || !fits()) break;
		const before = now();
		try {
			requests++;
			lookups++;
			const job = await (options.fetchJob as FetchJob<J>)(ref, until);
			slowest = Math.max(slowest, now() - before);
			if (job === 'gone') scan.gone(ref.id);
			else if (job.job_id === ref.id) scan.acceptChecked(job);
		} catch (caught) {
			lookupError = caught;
			break;
		}
	}

	const elapsedMs = now() - started;
	return {
		...scan.result(),
		stoppedBy,
		error,
		lookupError,
		requests,
		lookups,
		lookupsLeft: toCheck.length - lookups,
		elapsedMs,
		inTime: budget === undefined || elapsedMs < commitDeadline(budget),
	};
}
