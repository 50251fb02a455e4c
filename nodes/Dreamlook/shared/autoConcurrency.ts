/**
 * Concurrency "Auto": how many requests to Dreamlook may be in flight at once, learned from the
 * answers. Pure logic (no timers, no I/O): every method takes the time from the caller, so tests
 * drive it with an injected clock. transport/requestGate.ts applies it to real requests.
 *
 * - Start at the ceiling (`initial`), but paced: starts at least `minStartSpacingMs` apart
 *   (`startsPerTurn` together while no 429 has been seen and the spacing is the least), so
 *   that a server's first 429 (a limiter answers it at once) is seen after a few starts, not after
 *   the whole burst; the gate does not start an attempt whose turn comes after a 429 lowered the
 *   limit. While answers come back fast and no 429 arrives, grow: one more per fast answer at
 *   first (the limit doubles per round trip), one more per round trip once a congestion signal has
 *   been seen (additive increase).
 * - A 429 that came when more were in flight than the server accepts (`inFlightAtStart` − 1 below
 *   the limit) sets the limit to that apparent server limit and remembers it as a ceiling (a
 *   server limiting concurrency rejects the request that went above its limit); a 429 that came
 *   at or below it (the server's limit fell, or it limits something else) cuts the limit by
 *   `rateLimitedFactor`, once per Retry-After period. Either way growth stops until the
 *   Retry-After has passed. The ceiling is probed one step higher after `ceilingProbeAfterMs`
 *   without a 429.
 * - Rising latency (the recent average above `latencyRiseFactor` × the fastest answer seen and
 *   `latencyRiseMinMs` above it) cuts the limit by `slowFactor`, once per round trip.
 * - Never below `floor` nor above `ceiling`. The start spacing follows the limit: starts are spread
 *   over half a round trip, at most `maxStartSpacingMs` and at least `minStartSpacingMs` apart.
 */

export interface AutoConcurrencySettings {
	/** The limit before any answer is known. */
	initial: number;
	/** Never fewer in flight than this. */
	floor: number;
	/** Hard ceiling: never more in flight than this. */
	ceiling: number;
	/** Additive increase once past the first growth phase: this much more per round trip. */
	additiveStepPerRoundTrip: number;
	/** Multiplicative decrease on a 429. */
	rateLimitedFactor: number;
	/** Multiplicative decrease when latency rises. */
	slowFactor: number;
	/** Latency counts as risen above this multiple of the fastest answer seen … */
	latencyRiseFactor: number;
	/** … and at least this many milliseconds above it (small absolute jitter is not a signal). */
	latencyRiseMinMs: number;
	/** Weight of the newest answer in the running latency average. */
	latencyAverageWeight: number;
	/** A ceiling learned from 429s is tried one step higher after this long without a 429. */
	ceilingProbeAfterMs: number;
	/** Start spacing at most this (the fixed-number setting's spacing). */
	maxStartSpacingMs: number;
	/**
	 * Start spacing at least this: every start its own timer turn, so the requests already prepared
	 * go out while the next is prepared, and a 429 can arrive before the next start.
	 */
	minStartSpacingMs: number;
	/** Latency assumed before the first answer, for the start spacing. */
	assumedLatencyMs: number;
	/** Starts admitted together per spacing turn while no 429 has been seen and the spacing is the least. */
	startsPerTurn: number;
}

export const AUTO_CONCURRENCY: AutoConcurrencySettings = {
	/**
	 * The ceiling, paced (at least 1 ms apart, two per turn): 100 creates then leave in one round
	 * trip, as the HTTP Request node sends them, and in the real n8n the first answers come back
	 * while the later creates are still being prepared. Against a server limit the pacing finds the
	 * limit after a few refused starts (the bench: 100 creates against 10 in flight). 64 and one per
	 * turn before issue 13's third pass, 16 unpaced-at-64 before its second, 8 before that; see
	 * docs/decisions.md.
	 */
	initial: 128,
	floor: 1,
	ceiling: 128,
	additiveStepPerRoundTrip: 1,
	rateLimitedFactor: 0.7,
	slowFactor: 0.8,
	latencyRiseFactor: 2,
	latencyRiseMinMs: 50,
	latencyAverageWeight: 0.2,
	ceilingProbeAfterMs: 10000,
	maxStartSpacingMs: 10,
	minStartSpacingMs: 1,
	assumedLatencyMs: 100,
	startsPerTurn: 2,
};

/** What one request attempt ended with, as the controller needs it. */
export interface AttemptOutcome {
	/** When the attempt was sent and when its answer (or failure) arrived, on the caller's clock (ms). */
	startedAt: number;
	endedAt: number;
	/** How many attempts were in flight when this one was sent, itself included. */
	inFlightAtStart: number;
	/** HTTP status; undefined when no answer came (network error, timeout). */
	status?: number;
	/** The Retry-After of a 429, in ms. */
	retryAfterMs?: number;
}

export type AutoConcurrencyEvent = 'grow' | 'rate-limited' | 'slow' | 'probe';

export class AutoConcurrency {
	readonly settings: AutoConcurrencySettings;

	/** Current limit; fractional while growing additively (`limit` rounds it down). */
	private value: number;

	/** Doubling per round trip until the first congestion signal. */
	private fastGrowth = true;

	/** Learned from 429s: the most in flight the server accepted. */
	private rateLimitCeiling = Number.POSITIVE_INFINITY;

	private lastRateLimitedAt = Number.NEGATIVE_INFINITY;

	/** No growth before this (Retry-After of the last 429). */
	private growthPausedUntil = Number.NEGATIVE_INFINITY;

	/** One decrease per congestion episode: later signals of the same episode are ignored until then. */
	private decreaseQuietUntil = Number.NEGATIVE_INFINITY;

	private fastestMs = Number.POSITIVE_INFINITY;

	private averageMs: number | undefined;

	/** Counts of what happened, for logs and tests. */
	readonly counts: Record<AutoConcurrencyEvent, number> = { grow: 0, 'rate-limited': 0, slow: 0, probe: 0 };

	/** The highest limit reached. */
	peak: number;

	constructor(settings: Partial<AutoConcurrencySettings> = {}) {
		this.settings = { ...AUTO_CONCURRENCY, ...settings };
		this.value = this.clamp(this.settings.initial);
		this.peak = this.limit;
	}

	/** How many requests may be in flight now. */
	get limit(): number {
		return Math.max(this.settings.floor, Math.floor(this.value));
	}

	/** Least time between two request starts now (ms): half a round trip spread over the limit, within the bounds. */
	get startSpacingMs(): number {
		const roundTrip = Number.isFinite(this.fastestMs) ? this.fastestMs : this.settings.assumedLatencyMs;
		const spread = Math.min(this.settings.maxStartSpacingMs, Math.floor(roundTrip / this.limit / 2));
		return Math.max(this.settings.minStartSpacingMs, spread);
	}

	/**
	 * How many starts may go out together in one spacing turn: `startsPerTurn` while no 429 has been
	 * seen and the spacing is the least (an unknown server, fast answers), else one.
	 */
	get startsPerTurn(): number {
		if (Number.isFinite(this.lastRateLimitedAt) || this.startSpacingMs > this.settings.minStartSpacingMs) return 1;
		return Math.max(1, Math.floor(this.settings.startsPerTurn));
	}

	/** The latency signal: fastest answer and running average (ms), undefined before any answer. */
	get latency(): { fastestMs: number; averageMs: number } | undefined {
		return this.averageMs === undefined ? undefined : { fastestMs: this.fastestMs, averageMs: this.averageMs };
	}

	/** The in-flight ceiling learned from 429s, if any. */
	get learnedCeiling(): number | undefined {
		return Number.isFinite(this.rateLimitCeiling) ? this.rateLimitCeiling : undefined;
	}

	/** Feeds one ended attempt; returns what it changed, if anything. */
	record(outcome: AttemptOutcome): AutoConcurrencyEvent | undefined {
		if (outcome.status === 429) return this.rateLimited(outcome);
		// No answer (network error, timeout) or a redirect: no latency to learn from.
		if (outcome.status === undefined || (outcome.status >= 300 && outcome.status < 400)) return undefined;
		return this.answered(outcome);
	}

	private clamp(value: number): number {
		const upper = Math.min(this.settings.ceiling, this.rateLimitCeiling);
		return Math.max(this.settings.floor, Math.min(upper, value));
	}

	private rateLimited(outcome: AttemptOutcome): AutoConcurrencyEvent | undefined {
		const now = outcome.endedAt;
		this.fastGrowth = false;
		this.lastRateLimitedAt = now;
		const waitMs = Math.max(0, outcome.retryAfterMs ?? 0);
		this.growthPausedUntil = Math.max(this.growthPausedUntil, now + waitMs);
		// The server refused the request that made `inFlightAtStart`: it accepts at most one fewer.
		const accepted = Math.max(this.settings.floor, outcome.inFlightAtStart - 1);
		this.rateLimitCeiling = Math.min(this.rateLimitCeiling, accepted);
		if (accepted < this.limit) {
			// Above the server's apparent limit: go to it (not a blind cut below it).
			// The 429s of requests sent before this one are the same signal: no cut below it for them.
			this.decreaseQuietUntil = Math.max(this.decreaseQuietUntil, now + Math.max(waitMs, this.roundTripMs()));
			this.value = this.clamp(Math.min(this.value, accepted));
			this.counts['rate-limited']++;
			return 'rate-limited';
		}
		if (now < this.decreaseQuietUntil) {
			this.value = this.clamp(this.value);
			return undefined;
		}
		// At or below it: the limit fell, or is not about concurrency. One cut per burst: the 429s of
		// requests already in flight are the same signal.
		this.decreaseQuietUntil = now + Math.max(waitMs, this.roundTripMs());
		this.value = this.clamp(this.value * this.settings.rateLimitedFactor);
		this.counts['rate-limited']++;
		return 'rate-limited';
	}

	private answered(outcome: AttemptOutcome): AutoConcurrencyEvent | undefined {
		const now = outcome.endedAt;
		const latencyMs = Math.max(0, outcome.endedAt - outcome.startedAt);
		this.fastestMs = Math.min(this.fastestMs, latencyMs);
		const weight = this.settings.latencyAverageWeight;
		this.averageMs = this.averageMs === undefined ? latencyMs : this.averageMs * (1 - weight) + latencyMs * weight;

		const slowAbove = Math.max(this.fastestMs * this.settings.latencyRiseFactor, this.fastestMs + this.settings.latencyRiseMinMs);
		if (this.averageMs > slowAbove) {
			if (now < this.decreaseQuietUntil) return undefined;
			this.fastGrowth = false;
			this.decreaseQuietUntil = now + this.roundTripMs();
			this.value = this.clamp(this.value * this.settings.slowFactor);
			// The next cut needs new slow answers, not the backlog that caused this one.
			this.averageMs = this.fastestMs;
			this.counts.slow++;
			return 'slow';
		}

		if (now < this.growthPausedUntil || latencyMs > slowAbove) return undefined;
		let event: AutoConcurrencyEvent | undefined;
		if (Number.isFinite(this.rateLimitCeiling) && now - this.lastRateLimitedAt >= this.settings.ceilingProbeAfterMs) {
			// Long without a 429: the server may allow more now; try one step higher.
			this.rateLimitCeiling = Math.min(this.settings.ceiling, this.rateLimitCeiling + 1);
			this.lastRateLimitedAt = now;
			this.counts.probe++;
			event = 'probe';
		}
		// A fast answer: one more (doubling per round trip), or 1 / limit more (one per round trip).
		const step = this.fastGrowth ? 1 : this.settings.additiveStepPerRoundTrip / Math.max(1, this.value);
		const before = this.limit;
		this.value = this.clamp(this.value + step);
		if (this.limit > before) {
			this.counts.grow++;
			event ??= 'grow';
		}
		this.peak = Math.max(this.peak, this.limit);
		return event;
	}

	private roundTripMs(): number {
		return this.averageMs ?? this.settings.assumedLatencyMs;
	}
}
