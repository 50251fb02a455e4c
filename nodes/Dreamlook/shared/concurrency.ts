import { sleep } from './sleep';

export interface ConcurrencyOptions {
	/**
	 * Least time between two starts. Paces a burst: when many responses arrive at once, their
	 * items' next requests go out spread instead of all at the same instant (n8n runs every item
	 * on one event loop, so a burst's request handling otherwise piles up and repeats in waves).
	 */
	minStartIntervalMs?: number;
	/** Stops the pacing wait when the execution is stopped. */
	signal?: AbortSignal;
}

/**
 * Runs `work` for every index with at most `limit` calls in flight. Results keep input order;
 * a rejected call does not stop the others (each item succeeds or fails on its own).
 */
export async function mapWithConcurrency<T>(
	count: number,
	limit: number,
	work: (index: number) => Promise<T>,
	options: ConcurrencyOptions = {},
): Promise<Array<PromiseSettledResult<T>>> {
	const results: Array<PromiseSettledResult<T>> = new Array(count);
	const spacing = options.minStartIntervalMs ?? 0;
	let next = 0;
	let nextStartAt = 0;
	const paced = async () => {
		if (spacing <= 0) return;
		const now = Date.now();
		const startAt = Math.max(now, nextStartAt);
		nextStartAt = startAt + spacing;
		if (startAt > now) await sleep(startAt - now, options.signal);
	};
	const worker = async () => {
		while (next < count) {
			const index = next++;
			try {
				await paced();
				results[index] = { status: 'fulfilled', value: await work(index) };
			} catch (reason) {
				results[index] = { status: 'rejected', reason };
			}
		}
	};
	const workers = Math.max(1, Math.min(Math.floor(limit) || 1, count));
	await Promise.all(Array.from({ length: workers }, worker));
	return results;
}
