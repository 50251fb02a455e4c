/**
 * Test-only: one whole poll of the pure cursor over a synchronous list (pages, then lookups of
 * the unfinished jobs the pages did not show), as trigger/poll.ts does it over HTTP.
 */
import { type CursorFilter, type CursorJob, CursorScan, type CursorState, type OpenJobRef, type ScanOptions, type ScanResult } from '../../nodes/Dreamlook/trigger/cursor';

export interface SyncSource<J> {
	page(offset: number, limit: number): { jobs: J[]; received?: number; total?: number };
	get?(ref: OpenJobRef): J | 'gone';
}

export function scanPages<J extends CursorJob>(
	prior: CursorState | undefined,
	filter: CursorFilter,
	options: ScanOptions & { maxPages?: number },
	source: SyncSource<J>,
): ScanResult<J> & { requests: number } {
	const scan = new CursorScan<J>(prior, filter, options);
	const maxPages = options.maxPages ?? Number.POSITIVE_INFINITY;
	let requests = 0;
	for (let pages = 0; pages < maxPages; pages++) {
		const offset = scan.nextOffset();
		if (offset === undefined) break;
		const page = source.page(offset, scan.pageSize);
		requests++;
		scan.accept(offset, page.jobs, page.received ?? page.jobs.length, page.total);
	}
	if (source.get) {
		for (const ref of scan.openToCheck()) {
			requests++;
			const job = source.get(ref);
			if (job === 'gone') scan.gone(ref.id);
			else scan.acceptChecked(job);
		}
	}
	return { ...scan.result(), requests };
}
