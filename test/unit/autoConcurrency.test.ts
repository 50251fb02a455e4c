import { AutoConcurrency, type AttemptOutcome } from '../../nodes/Dreamlook/shared/autoConcurrency';
import { RequestGate } from '../../nodes/Dreamlook/transport/requestGate';
import { rateLimitWaitMs } from '../../nodes/Dreamlook/transport/retry';

/** Time on an injected clock (ms); nothing here waits for real. */
class Clock {
	t = 1_000_000;

	now = () => this.t;

	advance(ms: number) {
		this.t += ms;
	}
}

/** One answered attempt of `latencyMs`, ended now. */
function answer(clock: Clock, latencyMs: number, extra: Partial<AttemptOutcome> = {}): AttemptOutcome {
	return { startedAt: clock.t - latencyMs, endedAt: clock.t, inFlightAtStart: 1, status: 200, ...extra };
}

describe('AutoConcurrency (controller)', () => {
	it('starts at the ceiling of 128 by default, paced at least 1 ms apart, two starts per turn', () => {
		const auto = new AutoConcurrency();
		expect(auto.limit).toBe(128);
		expect(auto.startSpacingMs).toBe(1);
		expect(auto.startsPerTurn).toBe(2);
	});

	it('doubles per round trip while answers are fast, never above the ceiling of 128', () => {
		const clock = new Clock();
		const auto = new AutoConcurrency({ initial: 8 });
		expect(auto.limit).toBe(8);
		const limits: number[] = [];
		for (let roundTrip = 0; roundTrip < 5; roundTrip++) {
			clock.advance(100);
			const inFlight = auto.limit;
			for (let k = 0; k < inFlight; k++) auto.record(answer(clock, 100));
			limits.push(auto.limit);
		}
		expect(limits).toEqual([16, 32, 64, 128, 128]);
		expect(auto.peak).toBe(128);
	});

	it('a 429 burst cuts the limit once, caps it at the in-flight count the server accepted, and pauses growth for the Retry-After', () => {
		const clock = new Clock();
		const auto = new AutoConcurrency({ initial: 8 });
		clock.advance(100);
		for (let k = 0; k < 8; k++) auto.record(answer(clock, 100));
		expect(auto.limit).toBe(16);
		// The server refuses everything above 10 in flight: requests 11 … 16 come back 429.
		const events = [11, 12, 13, 14, 15, 16].map((inFlight) =>
			auto.record({ startedAt: clock.t, endedAt: clock.t + 1, inFlightAtStart: inFlight, status: 429, retryAfterMs: 1000 }),
		);
		expect(events.filter((event) => event === 'rate-limited')).toHaveLength(1);
		expect(auto.learnedCeiling).toBe(10);
		expect(auto.limit).toBe(10); // the apparent server limit
		// Fast answers during the Retry-After: no growth.
		clock.advance(500);
		for (let k = 0; k < 20; k++) auto.record(answer(clock, 100));
		expect(auto.limit).toBe(10);
		// After it: growth, but not past the learned ceiling…
		clock.advance(600);
		for (let k = 0; k < 50; k++) auto.record(answer(clock, 100));
		expect(auto.limit).toBe(10);
		// … until it is probed one step higher after 10 s without a 429.
		clock.advance(10_000);
		for (let k = 0; k < 50; k++) auto.record(answer(clock, 100));
		expect(auto.learnedCeiling).toBe(11);
		expect(auto.limit).toBe(11);
	});

	it('a 429 above the apparent server limit goes to that limit, not a blind cut below it; later 429s of the same burst change nothing', () => {
		const clock = new Clock();
		const auto = new AutoConcurrency({ initial: 12 });
		// The server accepts 10: the 11th in flight is refused.
		expect(auto.record({ startedAt: clock.t, endedAt: clock.t + 2, inFlightAtStart: 11, status: 429, retryAfterMs: 1000 })).toBe('rate-limited');
		expect(auto.limit).toBe(10); // not 12 × 0.7 = 8
		clock.advance(3);
		// The 12th, sent before the first 429 was read: the same signal.
		expect(auto.record({ startedAt: clock.t, endedAt: clock.t + 1, inFlightAtStart: 12, status: 429, retryAfterMs: 1000 })).toBeUndefined();
		expect(auto.limit).toBe(10);
		expect(auto.counts['rate-limited']).toBe(1);
		// A refusal at 7 in flight (the server's limit fell) lowers it again, to 6.
		clock.advance(10);
		auto.record({ startedAt: clock.t, endedAt: clock.t + 1, inFlightAtStart: 7, status: 429, retryAfterMs: 1000 });
		expect(auto.limit).toBe(6);
		expect(auto.learnedCeiling).toBe(6);
	});

	it('a 429 without a clear in-flight count still backs off multiplicatively (0.7 per Retry-After period)', () => {
		const clock = new Clock();
		const auto = new AutoConcurrency({ initial: 40 });
		auto.record({ startedAt: clock.t, endedAt: clock.t, inFlightAtStart: 64, status: 429, retryAfterMs: 2000 });
		expect(auto.limit).toBe(28);
		clock.advance(1000);
		auto.record({ startedAt: clock.t, endedAt: clock.t, inFlightAtStart: 64, status: 429, retryAfterMs: 2000 });
		expect(auto.limit).toBe(28); // same burst
		clock.advance(1500);
		auto.record({ startedAt: clock.t, endedAt: clock.t, inFlightAtStart: 64, status: 429, retryAfterMs: 2000 });
		expect(auto.limit).toBe(19); // 28 × 0.7
	});

	it('rising latency backs off by 0.8 once per round trip, then grows additively (one per round trip)', () => {
		const clock = new Clock();
		const auto = new AutoConcurrency({ initial: 20 });
		for (let k = 0; k < 5; k++) auto.record(answer(clock, 100));
		const grown = auto.limit;
		expect(grown).toBe(25);
		// Answers slow down to 400 ms: the average passes 2 × 100 ms and 100 + 50 ms.
		let event;
		for (let k = 0; k < 10 && event !== 'slow'; k++) {
			clock.advance(10);
			event = auto.record(answer(clock, 400));
		}
		expect(event).toBe('slow');
		expect(auto.limit).toBe(Math.floor(grown * 0.8));
		// More slow answers within the same round trip: no second cut.
		auto.record(answer(clock, 400));
		expect(auto.limit).toBe(Math.floor(grown * 0.8));
		// Fast again: about one more per round trip (limit answers), not doubling.
		clock.advance(1000);
		const before = auto.limit;
		for (let k = 0; k < before + 2; k++) auto.record(answer(clock, 100));
		expect(auto.limit).toBe(before + 1);
	});

	it('small absolute jitter on a fast server is not a latency rise', () => {
		const clock = new Clock();
		const auto = new AutoConcurrency();
		auto.record(answer(clock, 5));
		for (let k = 0; k < 100; k++) {
			clock.advance(1);
			expect(auto.record(answer(clock, 5 + (k % 3) * 15))).not.toBe('slow');
		}
		expect(auto.limit).toBe(128);
	});

	it('never goes below the floor', () => {
		const clock = new Clock();
		const auto = new AutoConcurrency({ initial: 2 });
		for (let k = 0; k < 20; k++) {
			clock.advance(5000);
			auto.record({ startedAt: clock.t, endedAt: clock.t, inFlightAtStart: 1, status: 429, retryAfterMs: 1000 });
		}
		expect(auto.limit).toBe(1);
	});

	it('the start spacing follows the limit: half a round trip spread over it, at most 10 ms', () => {
		const clock = new Clock();
		const auto = new AutoConcurrency({ initial: 8 });
		expect(auto.startSpacingMs).toBe(6); // 100 ms assumed / 8 / 2
		for (let k = 0; k < 200; k++) auto.record(answer(clock, 100));
		expect(auto.limit).toBe(128);
		expect(auto.startSpacingMs).toBe(1); // 100 / 128 / 2 < 1 ms: the least spacing
		const slow = new AutoConcurrency({ initial: 8 });
		slow.record(answer(clock, 2000));
		expect(slow.startSpacingMs).toBe(10);
	});

	it('two starts per turn only while no 429 was seen and the spacing is the least', () => {
		const clock = new Clock();
		expect(new AutoConcurrency({ initial: 8 }).startsPerTurn).toBe(1); // spacing 6 ms: one per turn
		const auto = new AutoConcurrency();
		expect(auto.startsPerTurn).toBe(2);
		auto.record({ startedAt: clock.t, endedAt: clock.t + 1, inFlightAtStart: 11, status: 429, retryAfterMs: 1000 });
		expect(auto.startsPerTurn).toBe(1);
	});

	it('network errors and redirects teach nothing', () => {
		const clock = new Clock();
		const auto = new AutoConcurrency();
		expect(auto.record({ startedAt: clock.t - 50, endedAt: clock.t, inFlightAtStart: 1 })).toBeUndefined();
		expect(auto.record(answer(clock, 50, { status: 307 }))).toBeUndefined();
		expect(auto.limit).toBe(128);
		expect(auto.latency).toBeUndefined();
	});
});

describe('RequestGate', () => {
	/** A clock whose sleeps complete when the test advances it. */
	function manualClock() {
		const clock = new Clock();
		const sleepers: Array<{ at: number; resolve: () => void }> = [];
		return {
			clock,
			gateClock: {
				now: clock.now,
				sleep: async (ms: number) => await new Promise<void>((resolve) => sleepers.push({ at: clock.t + ms, resolve })),
			},
			advance: async (ms: number) => {
				clock.advance(ms);
				const due = sleepers.filter((sleeper) => sleeper.at <= clock.t);
				for (const sleeper of due) {
					sleepers.splice(sleepers.indexOf(sleeper), 1);
					sleeper.resolve();
				}
				await Promise.resolve();
			},
		};
	}

	const flush = async () => {
		for (let k = 0; k < 10; k++) await Promise.resolve();
	};

	it('admits at most `limit` attempts, repeats before first attempts', async () => {
		const { gateClock } = manualClock();
		const auto = new AutoConcurrency({ initial: 2, assumedLatencyMs: 0, minStartSpacingMs: 0 });
		const gate = new RequestGate(auto, gateClock);
		const order: string[] = [];
		const enter = (name: string, repeat: boolean) =>
			gate.enter(repeat, undefined).then((ticket) => {
				order.push(name);
				return ticket;
			});
		const a = enter('a', false);
		const b = enter('b', false);
		const c = enter('c', false);
		const d = enter('d (repeat)', true);
		await flush();
		expect(order).toEqual(['a', 'b']);
		(await a).done({ status: 429, retryAfterMs: 0 }); // a was the first in flight: limit 1 (the floor)
		await flush();
		expect(order).toEqual(['a', 'b']); // b still holds the only place
		(await b).done({ status: 200 });
		await flush();
		expect(order).toEqual(['a', 'b', 'd (repeat)']);
		(await d).done({ status: 200 });
		await flush();
		expect(order).toEqual(['a', 'b', 'd (repeat)', 'c']);
		(await c).done({ status: 200 });
		expect(gate.mostInFlight).toBe(2);
	});

	it('spaces starts by the controller spacing on the injected clock', async () => {
		const { clock, gateClock, advance } = manualClock();
		const auto = new AutoConcurrency({ initial: 4, assumedLatencyMs: 80 }); // 80 / 4 / 2 = 10 ms
		const gate = new RequestGate(auto, gateClock);
		const started: number[] = [];
		const tickets = [0, 1, 2].map(() => gate.enter(false).then((ticket) => (started.push(clock.t), ticket)));
		await flush();
		expect(started).toHaveLength(1);
		await advance(10);
		await flush();
		expect(started).toHaveLength(2);
		await advance(10);
		await flush();
		expect(started.map((t) => t - started[0])).toEqual([0, 10, 20]);
		for (const ticket of tickets) (await ticket).done({ status: 200 });
	});

	it('one pacing timer: a start whose turn comes after a 429 lowered the limit waits for a place', async () => {
		const { clock, gateClock, advance } = manualClock();
		const auto = new AutoConcurrency({ initial: 4, assumedLatencyMs: 80 }); // 80 / 4 / 2 = 10 ms apart
		const gate = new RequestGate(auto, gateClock);
		const started: Array<[string, number]> = [];
		const enter = (name: string) => gate.enter(false).then((ticket) => (started.push([name, clock.t - 1_000_000]), ticket));
		const a = enter('a');
		const b = enter('b');
		const c = enter('c');
		await flush();
		expect(started).toEqual([['a', 0]]);
		await advance(10);
		await flush();
		expect(started).toEqual([['a', 0], ['b', 10]]);
		// b (2nd in flight) is refused: the server accepts 1.
		await advance(2);
		(await b).done({ status: 429, retryAfterMs: 1000 });
		expect(auto.limit).toBe(1);
		await advance(8);
		await flush();
		expect(started).toHaveLength(2); // c's turn came, but a still holds the only place
		await advance(90);
		(await a).done({ status: 200 });
		await flush();
		expect(started).toEqual([['a', 0], ['b', 10], ['c', 110]]); // when a ended
		(await c).done({ status: 200 });
		expect(gate.mostInFlight).toBe(2);
	});

	it('two starts per turn while the pacing timer fires on time, one after it fired late or after a 429', async () => {
		const { clock, gateClock, advance } = manualClock();
		const auto = new AutoConcurrency(); // 128, paced 1 ms, two per turn
		const gate = new RequestGate(auto, gateClock);
		const started: number[] = [];
		const tickets = Array.from({ length: 12 }, () => gate.enter(false).then((ticket) => (started.push(clock.t - 1_000_000), ticket)));
		await flush();
		expect(started).toEqual([0]); // before the timer's first turn, its lateness is unknown: one
		await advance(1);
		await flush();
		expect(started).toEqual([0, 1, 1]); // on time: two
		await advance(1);
		await flush();
		expect(started).toEqual([0, 1, 1, 2, 2]);
		await advance(3); // the timer fired 2 ms late: this process is busy
		await flush();
		expect(started).toEqual([0, 1, 1, 2, 2, 5]);
		await advance(1); // on time again
		await flush();
		expect(started).toEqual([0, 1, 1, 2, 2, 5, 6, 6]);
		for (const k of [0, 1, 2, 3, 4, 5, 6]) (await tickets[k]).done({ status: 200 });
		(await tickets[7]).done({ status: 429, retryAfterMs: 1000 }); // 8 in flight at its start: the server accepts 7
		expect(auto.limit).toBe(7);
		expect(auto.startsPerTurn).toBe(1);
		for (let k = 0; k < 4; k++) {
			await advance(1);
			await flush();
		}
		expect(started.slice(8)).toEqual([7, 8, 9, 10]); // one per turn
		for (const ticket of tickets.slice(8)) (await ticket).done({ status: 200 });
	});

	it('an aborted wait gives its place back', async () => {
		const { gateClock } = manualClock();
		const auto = new AutoConcurrency({ initial: 1, assumedLatencyMs: 0, minStartSpacingMs: 0 });
		const gate = new RequestGate(auto, gateClock);
		const first = await gate.enter(false);
		const controller = new AbortController();
		const waiting = gate.enter(false, controller.signal);
		controller.abort();
		await expect(waiting).rejects.toThrow('aborted');
		first.done({ status: 200 });
		const next = await gate.enter(false);
		next.done({ status: 200 });
	});
});

describe('429 wait under Auto', () => {
	it('waits the Retry-After exactly (the gate spaces the repeats), with a random spread otherwise', () => {
		expect(rateLimitWaitMs(1000, 1, () => 0.99, false)).toBe(1000);
		expect(rateLimitWaitMs(1000, 1, () => 0.99)).toBe(1495);
	});
});
