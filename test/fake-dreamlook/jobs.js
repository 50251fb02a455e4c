'use strict';
// The job store. A job holds only its creation time, its durations and its planned outcome;
// its state at any instant is computed from the clock (lazily, on every read), so a manual
// clock drives every job with no timers. Times inside are integer microseconds since epoch.
const { randomAlnum } = require('./random.js');

// Globals are read once: inside jest's vm context every global lookup (Math, Array...) is
// slow enough to make bulk seeding ten times slower.
const { floor, min, round } = Math;
const NativeDate = Date;

const JOB_TYPES = ['image-gen', 'dreambooth', 'dreambooth_image_gen'];
const ID_PREFIX = { 'image-gen': 'ig_', dreambooth: 'db_', dreambooth_image_gen: 'dbig_' };
const STATES = ['queued', 'running', 'success', 'failure'];
const HOUR_US = 3600e6;

/**
 * @typedef {object} Job
 * @property {string} id
 * @property {'image-gen'|'dreambooth'|'dreambooth_image_gen'} type
 * @property {Record<string, any>} config
 * @property {number} createdUs
 * @property {number} queuedUs planned time in queue
 * @property {number} runningUs planned running time
 * @property {string} outcome 'success', 'failure' or another end state ('cancelled')
 * @property {string|null} failureReason
 * @property {any} failureData
 * @property {{atUs: number}|null} forced set by finishJob: the job ends at atUs
 * @property {{id: string, seed: number, configIdx: number, generationIdx: number}[]} images
 * @property {{id: string, isLora: boolean}[]} checkpoints
 * @property {number} [endShiftUs] misbehaviour: the end's state_updated is this far from the clock
 * @property {number} [listVisibleUs] misbehaviour: the list shows the end only from this instant
 * @property {boolean} [noStateUpdated] misbehaviour: state_updated reads null
 */

/** @typedef {{state: string, updatedUs: number, queuedEndUs: number|null, runningStartUs: number|null, runningEndUs: number|null, percent: number}} Phase */

/** ISO-8601 with microseconds and no zone, like the real API: 2026-11-25T21:42:26.123456 */
function formatUs(/** @type {number|null} */ us) {
	if (us === null) return null;
	const s = new NativeDate(floor(us / 1000)).toISOString().slice(0, 19);
	return `${s}.${`${((us % 1e6) + 1e6) % 1e6}`.padStart(6, '0')}`;
}

/** Parse the API's zone-less timestamp back to epoch milliseconds (UTC). */
function parseTimestamp(/** @type {string} */ s) {
	return Date.parse(`${s.slice(0, 23)}Z`);
}

/** A prompt containing this word makes the job fail (handy for end-to-end tests). */
const FAIL_WORD = /\bFAIL_ME\b/;

/** A prompt containing this word makes the job end in the undocumented state `cancelled`. */
const CANCEL_WORD = /\bCANCEL_ME\b/;

function promptsOf(/** @type {string} */ type, /** @type {any} */ config) {
	if (type === 'image-gen') return [config.prompt];
	if (type === 'dreambooth') return [config.instance_prompt];
	return [config.dreambooth.instance_prompt, ...config.image_gen.map((/** @type {any} */ ig) => ig.prompt)];
}

function wantsFailure(/** @type {string} */ type, /** @type {any} */ config) {
	return promptsOf(type, config).some((prompt) => FAIL_WORD.test(prompt));
}

/** A stable pseudo-random number for (id, salt): the fake's "no order" and unstable ties. */
function scramble(/** @type {string} */ id, /** @type {number} */ salt) {
	let h = (0x811c9dc5 ^ salt) >>> 0;
	for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
	h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
	return (h ^ (h >>> 13)) >>> 0;
}

class JobStore {
	/**
	 * @param {{rng: () => number, timing: () => any, checkpointTtlMs: () => number}} opts
	 */
	constructor(opts) {
		this.rng = opts.rng;
		this.timing = opts.timing;
		this.checkpointTtlMs = opts.checkpointTtlMs;
		/** @type {Map<string, Job>} */
		this.byId = new Map();
		/** @type {Job[]} insertion order */
		this.all = [];
		/** @type {Map<string, {jobId: string|null}>} checkpoint id → training job (null: seeded) */
		this.checkpointIndex = new Map();
		/** @type {Map<string, string>} generated image id → job id */
		this.imageIndex = new Map();
		/** @type {Set<Job>} jobs whose callback has not fired yet */
		this.pendingCallbacks = new Set();
		this.version = 0; // bumped on every change that the clock alone does not explain
		this.listRequests = 0; // reshuffles unstable ties on every list request
		/** @type {{key: string, rows: Job[]}|null} */
		this.listCache = null;
	}

	clear() {
		this.byId = new Map();
		this.all = [];
		this.checkpointIndex = new Map();
		this.imageIndex = new Map();
		this.pendingCallbacks = new Set();
		this.version++;
		this.listCache = null;
	}

	/** @param {string} prefix @param {{has(k: string): boolean}} taken */
	newId(prefix, taken, len = 8) {
		for (;;) {
			const id = prefix + randomAlnum(this.rng, len);
			if (!taken.has(id)) return id;
		}
	}

	/** Id for a dry run: looks real, is never stored. */
	testId() {
		return `TEST_${randomAlnum(this.rng, 8)}`;
	}

	/**
	 * @param {{type: Job['type'], config: Record<string, any>, createdUs: number, queuedMs?: number, runningMs?: number,
	 *   outcome?: 'success'|'failure', failure_reason?: string, failure_reason_data?: any}} o
	 * @returns {Job}
	 */
	create(o) {
		const t = this.timing();
		const tt = { ...t, ...(t[o.type] ?? {}) };
		const cancelled = !o.outcome && promptsOf(o.type, o.config).some((prompt) => CANCEL_WORD.test(prompt));
		const fail = o.outcome ? o.outcome === 'failure' : wantsFailure(o.type, o.config);
		/** @type {Job} */
		const job = {
			id: this.newId(ID_PREFIX[o.type], this.byId),
			type: o.type,
			config: o.config,
			createdUs: o.createdUs,
			queuedUs: round((o.queuedMs ?? tt.queuedMs) * 1000),
			runningUs: round((o.runningMs ?? tt.runningMs) * 1000),
			outcome: o.outcome ?? (cancelled ? 'cancelled' : fail ? 'failure' : 'success'),
			failureReason: fail ? (o.failure_reason ?? (o.outcome ? 'internal_error' : 'test_failure_requested')) : null,
			failureData: fail ? (o.failure_reason_data ?? (o.outcome ? null : { detail: 'The prompt contains FAIL_ME' })) : null,
			forced: null,
			images: [],
			checkpoints: [],
		};
		// Ids of results are drawn now, revealed on success: keeps reads free of side effects.
		if (o.type !== 'image-gen') {
			const lora = (o.type === 'dreambooth' ? o.config : o.config.dreambooth).extract_lora === 'original';
			job.checkpoints.push({ id: this.newId('ckp_', this.checkpointIndex), isLora: false });
			if (lora) job.checkpoints.push({ id: this.newId('ckp_', this.checkpointIndex), isLora: true });
			for (const c of job.checkpoints) this.checkpointIndex.set(c.id, { jobId: job.id });
		}
		const imageConfigs = o.type === 'image-gen' ? [o.config] : o.type === 'dreambooth_image_gen' ? o.config.image_gen : [];
		imageConfigs.forEach((/** @type {any} */ ig, /** @type {number} */ configIdx) => {
			for (let g = 0; g < ig.num_samples; g++) {
				const id = this.newId('img_', this.imageIndex, 12);
				const seed = ig.seed === -1 ? floor(this.rng() * 4294967296) : (ig.seed + g) % 4294967296;
				job.images.push({ id, seed, configIdx, generationIdx: g });
				this.imageIndex.set(id, job.id);
			}
		});
		this.byId.set(job.id, job);
		this.all.push(job);
		if (job.config.callback) this.pendingCallbacks.add(job);
		this.version++;
		return job;
	}

	/** @param {string} id */
	get(id) {
		return this.byId.get(id);
	}

	/**
	 * State of `job` at `nowUs`.
	 * @param {Job} job @param {number} nowUs @returns {Phase}
	 */
	phase(job, nowUs) {
		let queuedEnd = job.createdUs + job.queuedUs;
		let runEnd = queuedEnd + job.runningUs;
		if (job.forced) {
			// Forced while queued: it skips through running in zero time.
			if (job.forced.atUs < queuedEnd) queuedEnd = job.forced.atUs;
			if (job.forced.atUs < runEnd) runEnd = job.forced.atUs;
		}
		if (nowUs < queuedEnd)
			return { state: 'queued', updatedUs: job.createdUs, queuedEndUs: null, runningStartUs: null, runningEndUs: null, percent: 0 };
		if (nowUs < runEnd) {
			const percent = min(99, floor(((nowUs - queuedEnd) / (runEnd - queuedEnd)) * 100));
			return { state: 'running', updatedUs: queuedEnd, queuedEndUs: queuedEnd, runningStartUs: queuedEnd, runningEndUs: null, percent };
		}
		const percent = job.outcome === 'success' ? 100 : job.runningUs > 0 ? min(99, floor(((runEnd - queuedEnd) / job.runningUs) * 100)) : 0;
		// A server clock that is off when the job ends (future-dated, or stepped back).
		const updatedUs = runEnd + (job.endShiftUs ?? 0);
		return { state: job.outcome, updatedUs, queuedEndUs: queuedEnd, runningStartUs: queuedEnd, runningEndUs: runEnd, percent };
	}

	/** Microsecond instant at which the job ends (for callback timers). @param {Job} job */
	endUs(job) {
		const natural = job.createdUs + job.queuedUs + job.runningUs;
		return job.forced ? min(natural, job.forced.atUs) : natural;
	}

	/**
	 * End a job now. Throws if it has already ended.
	 * @param {string} id @param {'success'|'failure'} outcome @param {number} nowUs
	 * @param {{failure_reason?: string, failure_reason_data?: any, stateUpdatedShiftMs?: number, visibleAfterMs?: number,
	 *   noStateUpdated?: boolean}} [opts] misbehaviours: `stateUpdatedShiftMs` dates the end that far from the clock
	 *   (future, or a clock stepped back); `visibleAfterMs`: the list shows the job as before for that long (GET is
	 *   up to date); `noStateUpdated`: the job's `state_updated` reads null from now on.
	 */
	finish(id, outcome, nowUs, opts = {}) {
		const job = this.byId.get(id);
		if (!job) throw new Error(`finishJob: no job ${id}`);
		// Any end state: success, failure, or one the docs do not list (cancelled, expired, ...).
		if (typeof outcome !== 'string' || !outcome || outcome === 'queued' || outcome === 'running') throw new Error(`finishJob: outcome must be an end state, got ${outcome}`);
		const ph = this.phase(job, nowUs);
		if (ph.state !== 'queued' && ph.state !== 'running') throw new Error(`finishJob: job ${id} already ended (${ph.state})`);
		job.forced = { atUs: nowUs };
		job.outcome = outcome;
		job.failureReason = outcome === 'failure' ? (opts.failure_reason ?? 'internal_error') : null;
		job.failureData = outcome === 'failure' ? (opts.failure_reason_data ?? null) : null;
		if (opts.stateUpdatedShiftMs) job.endShiftUs = round(opts.stateUpdatedShiftMs * 1000);
		if (opts.visibleAfterMs) job.listVisibleUs = nowUs + round(opts.visibleAfterMs * 1000);
		if (opts.noStateUpdated) job.noStateUpdated = true;
		this.version++;
		return job;
	}

	/**
	 * Checkpoint usable by /image_gen at nowUs: its training succeeded and it is younger than the TTL.
	 * @param {string} id @param {number} nowUs
	 */
	checkpointUsable(id, nowUs) {
		const entry = this.checkpointIndex.get(id);
		if (!entry) return false;
		if (entry.jobId === null) return true;
		const job = /** @type {Job} */ (this.byId.get(entry.jobId));
		const ph = this.phase(job, nowUs);
		return ph.state === 'success' && nowUs - /** @type {number} */ (ph.runningEndUs) < this.checkpointTtlMs() * 1000;
	}

	/** Register a checkpoint that exists outside any job (a "pre-trained" model for tests). */
	addCheckpoint(id = this.newId('ckp_', this.checkpointIndex)) {
		this.checkpointIndex.set(id, { jobId: null });
		return id;
	}

	/**
	 * Filtered, totally ordered list. Sorting compares precomputed numeric keys with a job_id
	 * tie-break; `desc` is the exact reverse of `asc`, so paging is deterministic both ways.
	 * The sorted rows are cached per (store version, instant, filters), so paging through a
	 * big store at one clock instant sorts once.
	 * @param {{job_type?: string, state?: string, order_by: 'created'|'state_updated', order: 'asc'|'desc', limit: number, offset: number}} q
	 * @param {number} nowUs
	 */
	list(q, nowUs, behaviour = {}) {
		const listOrder = behaviour.listOrder ?? 'honour';
		const unstableTies = behaviour.tieOrder === 'unstable';
		const request = this.listRequests++;
		const key = [this.version, nowUs, q.job_type ?? '', q.state ?? '', q.order_by, q.order, listOrder, unstableTies ? request : '', behaviour.hideKey ?? ''].join('|');
		let rows = this.listCache?.key === key ? this.listCache.rows : null;
		if (!rows) {
			// A server that ignores order_by/order: newest created first, or no order at all
			// (a fixed scramble of the ids: stable between requests, sorted by nothing).
			const orderBy = listOrder === 'honour' ? q.order_by : 'created';
			const desc = listOrder === 'honour' ? q.order === 'desc' : true;
			/** @type {{k: number, t: number, id: string, job: Job}[]} */
			const keyed = [];
			for (const job of this.all) {
				if (q.job_type && job.type !== q.job_type) continue;
				if (behaviour.hide?.(job)) continue;
				const ph = this.listPhase(job, nowUs);
				if (q.state && ph.state !== q.state) continue;
				const k = listOrder === 'unordered' ? scramble(job.id, 0) : orderBy === 'created' ? job.createdUs : ph.updatedUs;
				keyed.push({ k, t: unstableTies ? scramble(job.id, request) : 0, id: job.id, job });
			}
			// Ties: by job_id (stable), or reshuffled on every request (unstable).
			keyed.sort((a, b) => a.k - b.k || a.t - b.t || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
			if (desc) keyed.reverse();
			rows = keyed.map((r) => r.job);
			this.listCache = { key, rows };
		}
		return { total: rows.length, jobs: rows.slice(q.offset, q.offset + q.limit) };
	}

	/**
	 * The instant at which the list shows `job`: while its last change is not yet visible to list
	 * readers (visibility lag, see `finish`), the list shows the job as it was just before.
	 * @param {Job} job @param {number} nowUs
	 */
	listInstant(job, nowUs) {
		return job.forced && job.listVisibleUs !== undefined && nowUs < job.listVisibleUs ? job.forced.atUs - 1 : nowUs;
	}

	/** The phase the list shows (visibility lag and clock skew applied). @param {Job} job @param {number} nowUs */
	listPhase(job, nowUs) {
		return this.phase(job, this.listInstant(job, nowUs));
	}

	/**
	 * The job object as the API returns it (GET, list item, callback payload).
	 * @param {Job} job @param {number} nowUs @param {(pathname: string) => string} sign
	 */
	serialize(job, nowUs, sign) {
		const ph = this.phase(job, nowUs);
		const done = ph.state === 'success';
		const imageGenResults = [];
		if (done && job.images.length) {
			const ckp = job.type === 'dreambooth_image_gen' ? job.checkpoints[0].id : (job.config.checkpoint_id ?? null);
			const byConfig = new Map();
			for (const img of job.images) {
				if (!byConfig.has(img.configIdx)) {
					const r = { checkpoint_id: ckp, config_idx: img.configIdx, generated_images: /** @type {any[]} */ ([]) };
					byConfig.set(img.configIdx, r);
					imageGenResults.push(r);
				}
				byConfig.get(img.configIdx).generated_images.push({
					generated_image_id: img.id,
					url: sign(`/images/${img.id}.png`),
					seed: img.seed,
					generation_idx: img.generationIdx,
				});
			}
		}
		return {
			job_type: job.type,
			job_id: job.id,
			state: ph.state,
			state_updated: job.noStateUpdated ? null : formatUs(ph.updatedUs),
			state_queued_start: formatUs(job.createdUs),
			state_queued_end: formatUs(ph.queuedEndUs),
			state_running_start: formatUs(ph.runningStartUs),
			state_running_end: formatUs(ph.runningEndUs),
			queued_duration: ph.queuedEndUs === null ? null : (ph.queuedEndUs - job.createdUs) / 1e6,
			running_duration: ph.runningEndUs === null ? null : (ph.runningEndUs - /** @type {number} */ (ph.runningStartUs)) / 1e6,
			queueing_state: ph.state === 'queued' ? 'waiting_for_worker' : null,
			config: job.config,
			percentage_done: ph.percent,
			failure_reason: ph.state === 'failure' ? job.failureReason : null,
			failure_reason_data: ph.state === 'failure' ? job.failureData : null,
			thumbnails: done ? job.images.map((img) => sign(`/thumbnails/${img.id}.png`)) : [],
			tags: job.config.tags ?? [],
			image_gen_results: imageGenResults,
			dreambooth_result:
				job.type === 'image-gen'
					? null
					: done
						? { checkpoints: job.checkpoints.map((c) => ({ checkpoint_id: c.id, url: sign(`/checkpoints/${c.id}.safetensors`), is_extracted_lora: c.isLora })) }
						: null,
		};
	}
}

module.exports = { JobStore, JOB_TYPES, STATES, formatUs, parseTimestamp, HOUR_US };
