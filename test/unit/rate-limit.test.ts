import { rateLimitWaitMs } from '../../nodes/Dreamlook/transport/retry';

describe('429 retry policy', () => {
	it('never waits less than Retry-After and spreads items rejected together', () => {
		expect(rateLimitWaitMs(1000, 1, () => 0)).toBe(1000);
		expect(rateLimitWaitMs(1000, 1, () => 1)).toBe(1500);
		expect(rateLimitWaitMs(0, 1, () => 1)).toBe(250);
		expect(rateLimitWaitMs(10000, 3, () => 0.5)).toBe(12500);
	});

	it('backs off exponentially without Retry-After', () => {
		const middle = () => 0.5;
		expect(rateLimitWaitMs(undefined, 1, middle)).toBe(1000);
		expect(rateLimitWaitMs(undefined, 3, middle)).toBe(4000);
	});
});
