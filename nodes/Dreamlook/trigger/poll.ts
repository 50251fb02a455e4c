/**
 * The trigger's paging loop: drives a CursorScan with pages from any source (the node's
 * transport, or a test's own HTTP client), within a time budget. No n8n types here, so the
 * chaos test and the benchmark can run it as it runs in the node.
 */
import { type CursorFilter, type CursorJob, CursorScan, type CursorState, type ScanResult } from './cursor';

export interface FetchedPage<J> {
	jobs: J[];
	/** entries in the body, readable or not */
	received: number;
	total?: number;
}

export type FetchPage<J> = (offset: number, limit: number) => Promise<FetchedPage<J>>;

export interface PollLoopOptions {
	pageSize: number;
	lookbackFromMicros?: number;
	/** Time this poll may take (n8n's getPollBudgetMs); undefined = no limit. */
	budgetMs?: number;
	/** Pages per poll at most, whatever the budget. */
	maxPages?: number;
	now?: () => number;
}

export interface PollLoopResult<J extends CursorJob> extends ScanResult<J> {
	/** why paging stopped before the scan was complete */
	stoppedBy?: 'budget' | 'maxPages' | 'error';
	/** the error that stopped paging (already a NodeApiError when it came from the transport) */
	error?: unknown;
	requests: number;
	elapsedMs: number;
	/** false when the poll ran past its budget: n8n may have given up on it, so keep nothing */
	inTime: boolean;
}

/** Stop starting requests once this share of the budget is spent. */
const BUDGET_SHARE_FOR_PAGING = 0.6;
export const DEFAULT_MAX_PAGES = 500;

/** Time left before the poll must return, keeping a margin for n8n's own bookkeeping. */
export function commitDeadline(budgetMs: number): number {
	return budgetMs - Math.min(2000, budgetMs * 0.1);
}

export async function runPollLoop<J extends CursorJob>(
	prior: CursorState | undefined,
	filter: CursorFilter,
	fetchPage: FetchPage<J>,
	options: PollLoopOptions,
): Promise<PollLoopResult<J>> {
	const now = options.now ?? (() => Date.now());
	const started = now();
	const scan = new CursorScan<J>(prior, filter, { pageSize: options.pageSize, lookbackFromMicros: options.lookbackFromMicros });
	const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
	const budget = options.budgetMs;
	let requests = 0;
	let slowest = 0;
	let stoppedBy: PollLoopResult<J>['stoppedBy'];
	let error: unknown;

	for (;;) {
		const offset = scan.nextOffset();
		if (offset === undefined) break;
		if (requests >= maxPages) {
			stoppedBy = 'maxPages';
			break;
		}
		// The first page is always asked for; later ones only while they fit in the budget.
		if (requests > 0 && budget !== undefined && now() - started + slowest > budget * BUDGET_SHARE_FOR_PAGING) {
			stoppedBy = 'budget';
			break;
		}
		const before = now();
		let page: FetchedPage<J>;
		try {
			requests++;
			page = await fetchPage(offset, scan.pageSize);
		} catch (caught) {
			error = caught;
			stoppedBy = 'error';
			break;
		}
		slowest = Math.max(slowest, now() - before);
		try {
			scan.accept(offset, page.jobs, page.received, page.total);
		} catch (caught) {
			error = caught;
			stoppedBy = 'error';
			break;
		}
	}

	const elapsedMs = now() - started;
	return {
		...scan.result(),
		stoppedBy,
		error,
		requests,
		elapsedMs,
		inTime: budget === undefined || elapsedMs < commitDeadline(budget),
	};
}
