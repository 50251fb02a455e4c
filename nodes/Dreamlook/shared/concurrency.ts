/**
 * Runs `work` for every index with at most `limit` calls in flight. Results keep input order;
 * a rejected call does not stop the others (each item succeeds or fails on its own).
 */
export async function mapWithConcurrency<T>(
	count: number,
	limit: number,
	work: (index: number) => Promise<T>,
): Promise<Array<PromiseSettledResult<T>>> {
	const results: Array<PromiseSettledResult<T>> = new Array(count);
	let next = 0;
	const worker = async () => {
		while (next < count) {
			const index = next++;
			try {
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
