'use strict';
// Two clocks with one interface. Times are epoch milliseconds (may be fractional: jobs
// keep microseconds). Listeners run after every advance() so that jobs whose end has been
// reached fire their callbacks even if nobody reads them.

class ManualClock {
	/** @param {{startTime?: number}} [opts] */
	constructor(opts = {}) {
		this.kind = 'manual';
		this.speed = 0;
		this.t = opts.startTime ?? Date.now();
		/** @type {Set<() => void>} */
		this.listeners = new Set();
	}
	now() {
		return this.t;
	}
	/** Move time forward; jobs progress only through this. @param {number} ms */
	advance(ms) {
		if (!(ms >= 0)) throw new Error(`clock.advance: ms must be >= 0, got ${ms}`);
		this.t += ms;
		this.emit();
		return this.t;
	}
	/** Jump to an absolute time (never backwards). @param {number} ms */
	set(ms) {
		if (ms < this.t) throw new Error('clock.set: the clock cannot go back');
		return this.advance(ms - this.t);
	}
	/** Real milliseconds until clock time `ms` is reached (never, for a manual clock). */
	realDelayUntil(/** @type {number} */ _ms) {
		return Infinity;
	}
	/** @param {() => void} fn */
	onAdvance(fn) {
		this.listeners.add(fn);
		return () => this.listeners.delete(fn);
	}
	emit() {
		for (const fn of this.listeners) fn();
	}
}

/** Date-based clock with an optional speed factor and an offset moved by advance(). */
class RealClock extends ManualClock {
	/** @param {{startTime?: number, speed?: number}} [opts] */
	constructor(opts = {}) {
		super(opts);
		this.kind = 'real';
		this.speed = opts.speed ?? 1;
		if (!(this.speed > 0)) throw new Error('clock speed must be > 0');
		// performance.now() gives sub-millisecond resolution, so timestamps have real microseconds.
		this.real0 = performance.timeOrigin + performance.now();
		this.start = opts.startTime ?? this.real0;
		this.offset = 0;
	}
	now() {
		const real = performance.timeOrigin + performance.now();
		return this.start + (real - this.real0) * this.speed + this.offset;
	}
	/** @param {number} ms */
	advance(ms) {
		if (!(ms >= 0)) throw new Error(`clock.advance: ms must be >= 0, got ${ms}`);
		this.offset += ms;
		this.emit();
		return this.now();
	}
	/** @param {number} ms */
	set(ms) {
		const now = this.now();
		if (ms < now) throw new Error('clock.set: the clock cannot go back');
		return this.advance(ms - now);
	}
	/** @param {number} ms */
	realDelayUntil(ms) {
		return Math.max(0, (ms - this.now()) / this.speed);
	}
}

/**
 * @param {'manual'|'real'|{type?: 'manual'|'real', speed?: number, startTime?: number}|undefined} spec
 * @param {{startTime?: number, clockSpeed?: number}} opts
 */
function createClock(spec, opts = {}) {
	const o = typeof spec === 'object' && spec ? spec : { type: spec };
	const type = o.type ?? 'real';
	const startTime = o.startTime ?? opts.startTime;
	if (type === 'manual') return new ManualClock({ startTime });
	if (type === 'real') return new RealClock({ startTime, speed: o.speed ?? opts.clockSpeed });
	throw new Error(`unknown clock type: ${type}`);
}

module.exports = { ManualClock, RealClock, createClock };
