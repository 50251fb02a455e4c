import { sleep } from 'n8n-workflow';

import { mapWithConcurrency } from '../../nodes/Dreamlook/shared/concurrency';

describe('mapWithConcurrency', () => {
	it('keeps at most `limit` calls in flight and results in input order', async () => {
		let inFlight = 0;
		let most = 0;
		const results = await mapWithConcurrency(12, 3, async (index) => {
			inFlight++;
			most = Math.max(most, inFlight);
			await sleep(5);
			inFlight--;
			if (index === 4) throw new Error('item 4');
			return index * 2;
		});
		expect(most).toBe(3);
		expect(results.map((r) => (r.status === 'fulfilled' ? r.value : 'failed'))).toEqual([0, 2, 4, 6, 'failed', 10, 12, 14, 16, 18, 20, 22]);
	});

	it('paces starts when asked: a burst leaves spread, not at one instant', async () => {
		const starts: number[] = [];
		await mapWithConcurrency(
			6,
			6,
			async () => {
				starts.push(Date.now());
			},
			{ minStartIntervalMs: 20 },
		);
		// Start k is due at first + k × 20 ms (a late timer shortens one gap, not the schedule).
		expect(starts[starts.length - 1] - starts[0]).toBeGreaterThanOrEqual(5 * 20 - 5);
	});

	it('does not wait when unpaced', async () => {
		const began = Date.now();
		await mapWithConcurrency(50, 50, async () => undefined);
		expect(Date.now() - began).toBeLessThan(200);
	});
});
