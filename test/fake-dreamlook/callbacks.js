'use strict';
// Sends the job object to its `callback` URL once, when the job reaches success or failure,
// whatever moved it there: a manual clock advance, a real-time timer, finishJob, or a read.
// Best effort like the real service: failures are logged, never retried, never thrown.
const http = require('node:http');
const https = require('node:https');

class CallbackDispatcher {
	/**
	 * @param {{store: import('./jobs.js').JobStore, clock: import('./clock.js').ManualClock,
	 *   serialize: (job: import('./jobs.js').Job) => any, timeoutMs?: number,
	 *   delivery?: () => {copies?: number, delayMs?: number, jitterMs?: number, early?: boolean},
	 *   random?: () => number}} opts
	 */
	constructor(opts) {
		this.store = opts.store;
		this.clock = opts.clock;
		this.serialize = opts.serialize;
		this.timeoutMs = opts.timeoutMs ?? 5000;
		this.delivery = opts.delivery ?? (() => ({}));
		this.random = opts.random ?? Math.random;
		/** @type {Set<NodeJS.Timeout>} */
		this.delayTimers = new Set();
		/** @type {{url: string, job_id: string, state: string, status: number|null, error?: string, body: any}[]} */
		this.log = [];
		/** @type {Set<Promise<void>>} */
		this.inFlight = new Set();
		/** @type {Set<import('node:http').ClientRequest>} */
		this.requests = new Set();
		/** @type {NodeJS.Timeout|null} */
		this.wakeTimer = null;
		/** @type {Set<(n: number) => void>} */
		this.waiters = new Set();
		this.closed = false;
		this.unsubscribe = this.clock.onAdvance(() => this.sweep());
	}

	/** Fire callbacks of every pending job that has ended by now; re-arm the timer. */
	sweep() {
		if (this.closed) return;
		const nowUs = Math.floor(this.clock.now() * 1000);
		let nextUs = Infinity;
		for (const job of this.store.pendingCallbacks) {
			const end = this.store.endUs(job);
			if (end <= nowUs) {
				this.store.pendingCallbacks.delete(job);
				this.send(job);
			} else if (end < nextUs) nextUs = end;
		}
		this.arm(nextUs);
	}

	/** Real clock only: wake up when the next job with a callback ends. @param {number} nextUs */
	arm(nextUs) {
		if (this.wakeTimer) clearTimeout(this.wakeTimer);
		this.wakeTimer = null;
		const delay = nextUs === Infinity ? Infinity : this.clock.realDelayUntil(nextUs / 1000);
		if (delay === Infinity) return;
		// +1 ms: a timer may fire a hair early relative to performance.now().
		this.wakeTimer = setTimeout(() => this.sweep(), Math.min(delay + 1, 2 ** 31 - 1));
		this.wakeTimer.unref();
	}

	/** A premature call at creation (options.callbacks.early): the job is not finished yet. @param {import('./jobs.js').Job} job */
	sendEarly(job) {
		this.deliver(job, this.serialize(job));
	}

	/** The callback of a finished job, as many copies as options.callbacks.copies (0: none, a lost callback). @param {import('./jobs.js').Job} job */
	send(job) {
		const body = this.serialize(job);
		// copies: 0 is a callback Dreamlook never sends (lost on the way)
		const copies = Math.max(0, Math.floor(this.delivery().copies ?? 1));
		for (let i = 0; i < copies; i++) this.deliver(job, body);
	}

	/** After options.callbacks.delayMs + a random jitter (real time), POST the body. */
	deliver(job, body) {
		const { delayMs = 0, jitterMs = 0 } = this.delivery();
		const wait = delayMs + (jitterMs > 0 ? Math.floor(this.random() * jitterMs) : 0);
		if (wait <= 0) return this.post(job, body);
		const pending = new Promise((resolve) => {
			const timer = setTimeout(() => {
				this.delayTimers.delete(timer);
				this.inFlight.delete(pending);
				if (!this.closed) this.post(job, body);
				resolve(undefined);
			}, wait);
			this.delayTimers.add(timer);
		});
		this.inFlight.add(pending);
	}

	/** @param {import('./jobs.js').Job} job @param {any} body */
	post(job, body) {
		const entry = { url: job.config.callback, job_id: job.id, state: body.state, status: /** @type {number|null} */ (null), body };
		const p = post(entry.url, JSON.stringify(body), this.timeoutMs, this.requests)
			.then((status) => {
				entry.status = status;
			})
			.catch((/** @type {Error} */ err) => {
				Object.assign(entry, { error: err.message });
			})
			.finally(() => {
				this.inFlight.delete(p);
				this.log.push(entry);
				for (const w of this.waiters) w(this.log.length);
			});
		this.inFlight.add(p);
	}

	/** Resolves when every callback sent so far has been answered or has failed. */
	async settled() {
		while (this.inFlight.size) await Promise.all([...this.inFlight]);
	}

	/**
	 * Resolves once `n` callbacks are in the log. @param {number} n @param {number} [timeoutMs]
	 * @returns {Promise<any[]>}
	 */
	waitFor(n, timeoutMs = 5000) {
		if (this.log.length >= n) return Promise.resolve(this.log);
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.waiters.delete(check);
				reject(new Error(`waitForCallbacks: ${this.log.length}/${n} callbacks after ${timeoutMs} ms`));
			}, timeoutMs);
			timer.unref();
			const check = (/** @type {number} */ len) => {
				if (len < n) return;
				clearTimeout(timer);
				this.waiters.delete(check);
				resolve(this.log);
			};
			this.waiters.add(check);
		});
	}

	close() {
		this.closed = true;
		this.unsubscribe();
		if (this.wakeTimer) clearTimeout(this.wakeTimer);
		for (const t of this.delayTimers) clearTimeout(t);
		for (const r of this.requests) r.destroy(new Error('fake closed'));
	}
}

/**
 * POST JSON with no keep-alive (no sockets left behind for jest). Resolves with the status.
 * @param {string} url @param {string} json @param {number} timeoutMs @param {Set<import('node:http').ClientRequest>} track
 * @returns {Promise<number>}
 */
function post(url, json, timeoutMs, track) {
	return new Promise((resolve, reject) => {
		const mod = url.startsWith('https:') ? https : http;
		const req = mod.request(url, {
			method: 'POST',
			agent: false,
			headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json), 'user-agent': 'fake-dreamlook-callback/1', connection: 'close' },
			timeout: timeoutMs,
		});
		track.add(req);
		req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
		req.on('error', reject);
		req.on('response', (res) => {
			res.resume();
			res.on('end', () => resolve(/** @type {number} */ (res.statusCode)));
			res.on('error', reject);
		});
		req.on('close', () => track.delete(req));
		req.end(json);
	});
}

module.exports = { CallbackDispatcher };
