'use strict';
// Fault injection. Explicit rules (first match wins, each fires `times` times) are checked
// before chaos; chaos draws from a seeded PRNG so a failing benchmark run can be replayed.
const { makeRng } = require('./random.js');

/**
 * @typedef {'verbatim'|'swapcase'|'upper'|'urlencoded'|'form'} EchoAuth how a status fault echoes the authorization header
 * @typedef {{kind: 'status', status: number, body?: any, headers?: Record<string, string>, retryAfter?: number, echoAuth?: EchoAuth}
 *   | {kind: 'delay', delayMs: number} | {kind: 'malformed'} | {kind: 'drop'} | {kind: 'hang', hangMs: number}
 *   | {kind: 'partial'} | {kind: 'redirect', location: string, status: number}
 *   | {kind: 'dropAfterCommit'} | {kind: 'statusAfterCommit', status: number, body?: any, headers?: Record<string, string>}
 *   | {kind: 'trickle', bytesPerChunk: number, intervalMs: number} | {kind: 'huge', bytes: number, contentType: string}} Action
 * @typedef {{method?: string, path?: string|RegExp}} Match
 */

/** @param {any} a @returns {Action} */
function normalizeAction(a) {
	if (!a || typeof a !== 'object') throw new Error('fault action must be an object');
	if (typeof a.redirect === 'string') {
		const status = a.status ?? 307;
		if (![301, 302, 303, 307, 308].includes(status)) throw new Error(`redirect status must be 301/302/303/307/308, got ${status}`);
		return { kind: 'redirect', location: a.redirect, status };
	}
	if (a.dropAfterCommit) return { kind: 'dropAfterCommit' };
	if (typeof a.statusAfterCommit === 'number')
		return { kind: 'statusAfterCommit', status: a.statusAfterCommit, body: a.body, headers: a.headers };
	if (a.trickle && typeof a.trickle === 'object') {
		const bytesPerChunk = Math.max(1, Math.floor(a.trickle.bytesPerChunk ?? 1));
		const intervalMs = Math.max(0, a.trickle.intervalMs ?? 100);
		return { kind: 'trickle', bytesPerChunk, intervalMs };
	}
	if (typeof a.hugeBytes === 'number') {
		if (!(a.hugeBytes >= 8)) throw new Error('hugeBytes must be at least 8 (the PNG signature)');
		return { kind: 'huge', bytes: Math.floor(a.hugeBytes), contentType: a.contentType ?? 'image/png' };
	}
	if (a.drop) return { kind: 'drop' };
	if (a.malformed) return { kind: 'malformed' };
	if (a.partial) return { kind: 'partial' };
	if (typeof a.hangMs === 'number') return { kind: 'hang', hangMs: a.hangMs };
	if (typeof a.delayMs === 'number') return { kind: 'delay', delayMs: a.delayMs };
	if (typeof a.status === 'number')
		return { kind: 'status', status: a.status, body: a.body, headers: a.headers, retryAfter: a.retryAfter, echoAuth: a.echoAuth };
	throw new Error(`unknown fault action: ${JSON.stringify(a)}`);
}

/** @param {Match} m @param {string} method @param {string} pathname */
function matches(m, method, pathname) {
	if (m.method && m.method.toUpperCase() !== method) return false;
	if (m.path === undefined) return true;
	return typeof m.path === 'string' ? pathname.startsWith(m.path) : m.path.test(pathname);
}

// Bodies chosen to look like what sits in front of a real API: FastAPI's plain-text 500,
// a load balancer's HTML 502, JSON 503/429 with Retry-After.
/** @type {Record<string, Action>} */
const CHAOS_ACTIONS = {
	500: { kind: 'status', status: 500, body: 'Internal Server Error', headers: { 'content-type': 'text/plain; charset=utf-8' } },
	502: {
		kind: 'status',
		status: 502,
		body: '<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>',
		headers: { 'content-type': 'text/html; charset=utf-8' },
	},
	503: { kind: 'status', status: 503, body: { detail: 'Service Unavailable' }, retryAfter: 1 },
	429: { kind: 'status', status: 429, body: { detail: 'Too Many Requests' }, retryAfter: 1 },
	malformed: { kind: 'malformed' },
	drop: { kind: 'drop' },
	partial: { kind: 'partial' },
};
const DEFAULT_CHAOS_KINDS = ['500', '502', '503', '429', 'timeout', 'malformed', 'drop'];

class Faults {
	constructor() {
		/** @type {{id: number, match: Match, remaining: number, hits: number, action: Action}[]} */
		this.rules = [];
		this.nextId = 1;
		/** @type {null | {rate: number, kinds: string[], only?: Match, hangMs: number, delayMs: number, rng: () => number, hits: number}} */
		this.chaosConfig = null;
	}

	/**
	 * @param {{method?: string, path?: string|RegExp, times?: number, action: any}} rule
	 * @returns {{id: number, remaining: number, hits: number}} live handle (remaining/hits update)
	 */
	add(rule) {
		const r = {
			id: this.nextId++,
			match: { method: rule.method, path: rule.path },
			remaining: rule.times ?? 1,
			hits: 0,
			action: normalizeAction(rule.action),
		};
		this.rules.push(r);
		return r;
	}

	/** @param {number} id */
	remove(id) {
		this.rules = this.rules.filter((r) => r.id !== id);
	}

	/**
	 * Random faults on a fraction of requests.
	 * @param {{rate: number, seed?: number|string, kinds?: string[], only?: Match, hangMs?: number, delayMs?: number} | null} opts
	 */
	chaos(opts) {
		if (!opts) {
			this.chaosConfig = null;
			return;
		}
		const kinds = opts.kinds ?? DEFAULT_CHAOS_KINDS;
		for (const k of kinds) if (!(k in CHAOS_ACTIONS) && k !== 'timeout' && k !== 'delay') throw new Error(`unknown chaos kind ${k}`);
		this.chaosConfig = {
			rate: opts.rate,
			kinds,
			only: opts.only,
			hangMs: opts.hangMs ?? 10000,
			delayMs: opts.delayMs ?? 500,
			rng: makeRng(opts.seed ?? 42),
			hits: 0,
		};
	}

	clear() {
		this.rules = [];
		this.chaosConfig = null;
	}

	/**
	 * The fault for this request, if any (consumes one use of the matching rule).
	 * @param {string} method @param {string} pathname
	 * @returns {{action: Action, label: string} | null}
	 */
	take(method, pathname) {
		for (const r of this.rules) {
			if (r.remaining <= 0 || !matches(r.match, method, pathname)) continue;
			r.remaining--;
			r.hits++;
			if (r.remaining <= 0) this.rules = this.rules.filter((x) => x !== r);
			return { action: r.action, label: labelOf(r.action) };
		}
		const c = this.chaosConfig;
		if (!c || (c.only && !matches(c.only, method, pathname))) return null;
		if (c.rng() >= c.rate) return null;
		const kind = c.kinds[Math.floor(c.rng() * c.kinds.length)];
		c.hits++;
		if (kind === 'timeout') return { action: { kind: 'hang', hangMs: c.hangMs }, label: 'chaos:timeout' };
		if (kind === 'delay') return { action: { kind: 'delay', delayMs: c.delayMs }, label: 'chaos:delay' };
		return { action: CHAOS_ACTIONS[kind], label: `chaos:${kind}` };
	}
}

/** @param {Action} a */
function labelOf(a) {
	if (a.kind === 'status' || a.kind === 'statusAfterCommit') return `${a.kind}:${a.status}`;
	if (a.kind === 'redirect') return `redirect:${a.status}`;
	return a.kind;
}

module.exports = { Faults, normalizeAction, DEFAULT_CHAOS_KINDS };
