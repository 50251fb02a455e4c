'use strict';
// The fake service object: wires clock, store, faults, signer and callbacks to an HTTP server
// and exposes the control surface tests use. See README.md for the option list.
const http = require('node:http');
const crypto = require('node:crypto');
const { createClock } = require('./clock.js');
const { makeRng } = require('./random.js');
const { JobStore, JOB_TYPES } = require('./jobs.js');
const { Faults } = require('./faults.js');
const { createSigner } = require('./signing.js');
const { CallbackDispatcher } = require('./callbacks.js');
const { validateCreate } = require('./validate.js');
const { makePng } = require('./png.js');
const { createHandler } = require('./server.js');

/** Demo key, fixed so docs, `npm run dev` and tests agree. Shaped like a real key: dl- + 32 hex. */
const DEFAULT_API_KEY = 'dl-0123456789abcdef0123456789abcdef';

/**
 * @typedef {{method: string, path: string, query: Record<string, string>, body: any, status: number|null,
 *   authorized: boolean, at: number, fault?: string, durationMs?: number}} RequestLogEntry
 *   `at` is the fake clock's time at arrival; `durationMs` real time until the response closed.
 */

const DEFAULT_OPTIONS = {
	echoAuthInErrors: false,
	/** @type {'object'|'array'} */
	listShape: 'object',
	/** accept job_type/state on GET /jobs but ignore them */
	ignoreListFilters: false,
	/** @type {'honour'|'created'|'unordered'} GET /jobs order: as asked, newest created first whatever is asked, or none */
	listOrder: 'honour',
	/** @type {'stable'|'unstable'} jobs with equal sort keys: by job_id, or reshuffled on every list request */
	tieOrder: 'stable',
	/** the object-shaped list carries `total` */
	listTotal: true,
	/** @type {string[]} jobs whose prompt (or instance prompt) is listed here never appear in GET /jobs (GET by id still works) */
	listHiddenPrompts: /** @type {string[]} */ ([]),
	/** @type {'image-gen'|'image_gen'} */
	imageGenPathSegment: 'image-gen',
	imageBytes: 2000,
	timing: { queuedMs: 1000, runningMs: 3000 },
	urlTtlSeconds: 3600,
	checkpointTtlMs: 48 * 3600 * 1000,
	/** @type {string|null} base of signed URLs; null = the fake's own url */
	publicUrl: /** @type {string|null} */ (null),
	maxLoggedRequests: 20000,
	/**
	 * How callbacks are delivered: each one `copies` times (duplicates), after `delayMs` plus a
	 * random 0..`jitterMs` per copy (so callbacks of several jobs arrive reordered), and with
	 * `early` one premature call when the job is created (the job is still queued then);
	 * `copies: 0` sends none (a callback lost on the way).
	 */
	callbacks: { copies: 1, delayMs: 0, jitterMs: 0, early: false },
	quiet: false,
	/** @type {((entry: RequestLogEntry) => void) | null} called when a response is done (cli --verbose) */
	onRequest: /** @type {any} */ (null),
};

class FakeDreamlook {
	/** @param {any} [opts] see README */
	constructor(opts = {}) {
		this.listenPort = opts.port ?? 0;
		this.host = opts.host ?? '127.0.0.1';
		this.clock = createClock(opts.clock, opts);
		this.rng = makeRng(opts.seed);
		this.options = { ...DEFAULT_OPTIONS, timing: { ...DEFAULT_OPTIONS.timing } };
		this.setOptions(pick(opts, Object.keys(DEFAULT_OPTIONS)));
		this.initialOptions = { ...this.options, timing: { ...this.options.timing } };
		this.apiKeys = new Set(opts.apiKeys ?? [DEFAULT_API_KEY]);
		this.initialBalance = opts.balance ?? Infinity;
		this.balance = this.initialBalance;
		this.initialLatencyMs = opts.latencyMs ?? 0;
		this.latencyMs = this.initialLatencyMs;
		/** @type {{max: number, retryAfter: number} | null} */
		this.inFlightLimit = null;
		if (opts.maxInFlight) this.setMaxInFlight(opts.maxInFlight, { retryAfter: opts.maxInFlightRetryAfter });
		/** @type {{max: number, retryAfter: number} | null} */
		this.initialInFlightLimit = this.inFlightLimit;
		this.faults = new Faults();
		this.store = new JobStore({
			rng: this.rng,
			timing: () => this.options.timing,
			checkpointTtlMs: () => this.options.checkpointTtlMs,
		});
		this.signer = createSigner({
			secret: opts.signingSecret,
			clock: this.clock,
			ttlSeconds: () => this.options.urlTtlSeconds,
			baseUrl: () => this.options.publicUrl ?? this.url,
		});
		this.dispatcher = new CallbackDispatcher({
			store: this.store,
			clock: this.clock,
			serialize: (job) => this.serialize(job),
			delivery: () => this.options.callbacks,
			random: () => this.rng(),
		});
		/** @type {RequestLogEntry[]} */
		this.requests = [];
		/** @type {{inFlight: number, maxInFlight: number, total: number, requestsByRoute: Record<string, number>}} */
		this.rawStats = { inFlight: 0, maxInFlight: 0, total: 0, requestsByRoute: {} };
		/** @type {Error[]} bugs inside the fake's handlers (tests may assert it stays empty) */
		this.errors = [];
		/** @type {Set<NodeJS.Timeout>} */
		this.timers = new Set();
		/** @type {Map<string, Buffer>} */
		this.fileCache = new Map();
		this.url = '';
		this.port = 0;
		this.server = http.createServer(createHandler(this));
		this.closed = false;
	}

	async listen() {
		await new Promise((resolve, reject) => {
			this.server.once('error', reject);
			this.server.listen(this.listenPort, this.host, () => resolve(undefined));
		});
		const addr = /** @type {import('node:net').AddressInfo} */ (this.server.address());
		this.port = addr.port;
		const host = this.host === '0.0.0.0' || this.host === '::' ? '127.0.0.1' : this.host;
		this.url = `http://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
		return this;
	}

	nowUs() {
		return Math.floor(this.clock.now() * 1000);
	}

	/** @param {import('./jobs.js').Job} job @param {number} [nowUs] */
	serialize(job, nowUs = this.nowUs()) {
		return this.store.serialize(job, nowUs, (p) => this.signer.sign(p));
	}

	// ---- jobs ---------------------------------------------------------------------------

	/** Store a validated job and let callbacks see it. @param {any} o */
	createStoredJob(o) {
		const job = this.store.create({ createdUs: this.nowUs(), ...o });
		if (job.config.callback && this.options.callbacks.early) this.dispatcher.sendEarly(job);
		if (job.config.callback) this.dispatcher.sweep();
		return job;
	}

	/**
	 * Seed a job without HTTP (no auth, no tokens). Returns the job object as GET returns it.
	 * @param {{job_type?: string, type?: string, config?: any, body?: any, callback?: string, tags?: any[],
	 *   queuedMs?: number, runningMs?: number, outcome?: 'success'|'failure', failure_reason?: string,
	 *   failure_reason_data?: any, createdAt?: number}} [o]
	 */
	createJob(o = {}) {
		const job = this.seedOne(o);
		if (job.config.callback && this.options.callbacks.early) this.dispatcher.sendEarly(job);
		if (job.config.callback) this.dispatcher.sweep();
		return this.serialize(job);
	}

	/** @param {any} o */
	seedOne(o) {
		const type = o.job_type ?? o.type ?? 'image-gen';
		if (!JOB_TYPES.includes(type)) throw new Error(`createJob: unknown job_type ${type}`);
		const body = { ...(o.config ?? o.body ?? defaultBody(type)) };
		if (o.callback !== undefined) body.callback = o.callback;
		if (o.tags !== undefined) body.tags = o.tags;
		const v = validateCreate(type, body);
		if (!v.ok) throw new Error(`createJob: invalid config: ${JSON.stringify(v.errors)}`);
		return this.store.create({
			type,
			config: v.config,
			createdUs: o.createdAt === undefined ? this.nowUs() : Math.floor(o.createdAt * 1000),
			queuedMs: o.queuedMs,
			runningMs: o.runningMs,
			outcome: o.outcome,
			failure_reason: o.failure_reason,
			failure_reason_data: o.failure_reason_data,
		});
	}

	/**
	 * Bulk seed. Job i is created at `createdAt + i * spacingMs` (default: spaced so the last one
	 * is created now; spacingMs defaults to 0, i.e. all at the same instant). `each(i)` may
	 * return per-job overrides. Returns the job ids in creation order.
	 * @param {number} n @param {any & {spacingMs?: number, each?: (i: number) => any}} [opts]
	 */
	seedJobs(n, opts = {}) {
		const { spacingMs = 0, each, createdAt, ...common } = opts;
		const start = createdAt ?? this.clock.now() - (n - 1) * spacingMs;
		const ids = [];
		for (let i = 0; i < n; i++) {
			const extra = each ? each(i) : {};
			const o = { createdAt: start + i * spacingMs, ...common, ...extra };
			if (!o.config && !o.body && (o.job_type ?? o.type ?? 'image-gen') === 'image-gen') o.config = { prompt: `seeded job ${i}` };
			ids.push(this.seedOne(o).id);
		}
		this.dispatcher.sweep();
		return ids;
	}

	/**
	 * Force a job to end now. `opts` may add misbehaviours (see JobStore.finish): `stateUpdatedShiftMs`,
	 * `visibleAfterMs`, `noStateUpdated`.
	 * @param {string} id @param {string} outcome @param {any} [opts]
	 */
	finishJob(id, outcome, opts) {
		const job = this.store.finish(id, outcome, this.nowUs(), opts);
		this.dispatcher.sweep();
		return this.serialize(job);
	}

	/** @param {string} id */
	getJob(id) {
		const job = this.store.get(id);
		return job && this.serialize(job);
	}

	/** Every stored job as the API shows it now, in creation order. */
	jobs() {
		const nowUs = this.nowUs();
		return this.store.all.map((j) => this.serialize(j, nowUs));
	}

	/** A checkpoint id that /image_gen accepts (a model "trained" elsewhere). @param {string} [id] */
	addCheckpoint(id) {
		return this.store.addCheckpoint(id);
	}

	// ---- files --------------------------------------------------------------------------

	/** @param {string} key @param {() => Buffer} make */
	cached(key, make) {
		let buf = this.fileCache.get(key);
		if (!buf) {
			buf = make();
			if (this.fileCache.size >= 64) this.fileCache.delete(/** @type {string} */ (this.fileCache.keys().next().value));
			this.fileCache.set(key, buf);
		}
		return buf;
	}

	/**
	 * What a generated image was made from: its prompt (colours) and seed (pattern), so different
	 * prompts and seeds give visibly different pictures. {} for ids the store does not know.
	 * @param {string} id @returns {{prompt?: string, seed?: number}}
	 */
	imageLook(id) {
		const job = this.store.get(this.store.imageIndex.get(id) ?? '');
		const img = job?.images.find((i) => i.id === id);
		if (!job || !img) return {};
		const config = job.type === 'dreambooth_image_gen' ? job.config.image_gen?.[img.configIdx] : job.config;
		return { prompt: String(config?.prompt ?? ''), seed: img.seed };
	}

	/** The exact bytes GET /images/<id>.png serves (depends on the imageBytes option). @param {string} id */
	imageBytesFor(id) {
		const size = this.options.imageBytes;
		return this.cached(`img|${id}|${size}`, () => makePng(id, { targetBytes: size, ...this.imageLook(id) }));
	}

	/** @param {string} id */
	thumbnailBytesFor(id) {
		return this.cached(`thumb|${id}`, () => makePng(id, { width: 8, height: 8, ...this.imageLook(id) }));
	}

	/** @param {string} id */
	checkpointBytesFor(id) {
		return this.cached(`ckp|${id}`, () => Buffer.concat(Array(32).fill(crypto.createHash('sha256').update(id).digest())));
	}

	/** A freshly signed download URL for a generated image. @param {string} imageId */
	imageUrl(imageId) {
		return this.signer.sign(`/images/${imageId}.png`);
	}

	// ---- behaviour knobs ----------------------------------------------------------------

	/** Change behaviour options (see README); `timing` is merged. @param {Record<string, any>} opts */
	setOptions(opts) {
		for (const [k, v] of Object.entries(opts)) {
			if (!(k in DEFAULT_OPTIONS)) throw new Error(`setOptions: unknown option ${k}`);
			if (k === 'listShape' && v !== 'object' && v !== 'array') throw new Error('listShape must be object or array');
			if (k === 'listOrder' && !['honour', 'created', 'unordered'].includes(v)) throw new Error('listOrder must be honour, created or unordered');
			if (k === 'tieOrder' && v !== 'stable' && v !== 'unstable') throw new Error('tieOrder must be stable or unstable');
			if (k === 'imageGenPathSegment' && v !== 'image-gen' && v !== 'image_gen') throw new Error('imageGenPathSegment must be image-gen or image_gen');
			/** @type {any} */ (this.options)[k] = k === 'timing' ? { ...this.options.timing, .../** @type {object} */ (v) } : v;
		}
		return this.options;
	}

	/** Answer every request after `ms` (0 = off). @param {number} ms */
	setLatency(ms) {
		this.latencyMs = ms;
	}

	/** 429 + Retry-After when more than `n` requests are in flight (null/0 = off). @param {number|null} n @param {{retryAfter?: number}} [o] */
	setMaxInFlight(n, o = {}) {
		this.inFlightLimit = n ? { max: n, retryAfter: o.retryAfter ?? 1 } : null;
	}

	/** Tokens left; each created job costs tokens (null/Infinity = unlimited). @param {number|null} tokens */
	setBalance(tokens) {
		this.balance = tokens ?? Infinity;
	}

	/** @param {string} key */
	addApiKey(key) {
		this.apiKeys.add(key);
	}

	// ---- logs & stats -------------------------------------------------------------------

	/** @param {RequestLogEntry} entry */
	logRequest(entry) {
		this.requests.push(entry);
		const max = this.options.maxLoggedRequests;
		// Trim in batches: cheap, keeps memory bounded in long benchmarks.
		if (this.requests.length > max + 1000) this.requests.splice(0, this.requests.length - max);
	}

	/** @param {RequestLogEntry} entry */
	onRequestDone(entry) {
		if (this.options.onRequest) this.options.onRequest(entry);
	}

	clearRequests() {
		this.requests.length = 0;
	}

	get stats() {
		return { ...this.rawStats, requestsByRoute: { ...this.rawStats.requestsByRoute } };
	}

	resetStats() {
		Object.assign(this.rawStats, { maxInFlight: this.rawStats.inFlight, total: 0, requestsByRoute: {} });
	}

	/** Callback POSTs sent so far: [{url, job_id, state, status, error?, body}] (added when each completes). */
	get callbacks() {
		return this.dispatcher.log;
	}

	callbacksSettled() {
		return this.dispatcher.settled();
	}

	/** @param {number} n @param {number} [timeoutMs] */
	waitForCallbacks(n, timeoutMs) {
		return this.dispatcher.waitFor(n, timeoutMs);
	}

	/** Forget jobs, logs, faults, stats and knob changes (back to the start options); keep port, keys, clock. */
	reset() {
		this.store.clear();
		this.faults.clear();
		this.clearRequests();
		this.dispatcher.log.length = 0;
		this.resetStats();
		this.balance = this.initialBalance;
		this.latencyMs = this.initialLatencyMs;
		this.inFlightLimit = this.initialInFlightLimit;
		this.fileCache.clear();
		this.options = { ...this.initialOptions, timing: { ...this.initialOptions.timing } };
	}

	// ---- timers & shutdown ----------------------------------------------------------------

	/** Unref'd, tracked timer (cleared by close()). @param {number} ms @param {() => void} fn */
	later(ms, fn) {
		const t = setTimeout(() => {
			this.timers.delete(t);
			fn();
		}, ms);
		t.unref();
		this.timers.add(t);
		return t;
	}

	/** @param {number} ms */
	sleep(ms) {
		return new Promise((resolve) => this.later(ms, () => resolve(undefined)));
	}

	async close() {
		if (this.closed) return;
		this.closed = true;
		for (const t of this.timers) clearTimeout(t);
		this.timers.clear();
		this.dispatcher.close();
		await new Promise((resolve) => {
			this.server.close(() => resolve(undefined));
			this.server.closeAllConnections();
		});
	}
}

/** @param {string} type */
function defaultBody(type) {
	if (type === 'image-gen') return { prompt: 'a seeded test image' };
	const training = { image_urls: ['https://example.com/train/1.jpg'], instance_prompt: 'photo of ukj person' };
	if (type === 'dreambooth') return training;
	return { dreambooth: training, image_gen: [{ prompt: 'photo of ukj person on the moon' }] };
}

/** @param {Record<string, any>} o @param {string[]} keys */
function pick(o, keys) {
	return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}

/** @param {any} [opts] @returns {Promise<FakeDreamlook>} */
async function startFakeDreamlook(opts) {
	return new FakeDreamlook(opts).listen();
}

module.exports = { FakeDreamlook, startFakeDreamlook, DEFAULT_API_KEY, DEFAULT_OPTIONS };
