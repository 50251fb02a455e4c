#!/usr/bin/env node
'use strict';
// npm run probe:live — learn the real dreamlook.ai list API for free.
//
// Makes only free requests: GETs, and at most one POST /image_gen with `dry_run: true` (checked in
// code before anything is sent). Never follows redirects, never prints the key, at most
// MAX_REQUESTS requests of REQUEST_TIMEOUT_MS each. Prints what the list endpoint really does and
// what to change in nodes/Dreamlook/api/contract.ts. `probe()` is exported for the CI test that
// runs it against the fake API (test/probe/probe-live.test.js).
//
//   DREAMLOOK_API_KEY=dl-... npm run probe:live
//   node scripts/probe-live.js --base-url https://api.dreamlook.ai --key dl-... [--json]

const DEFAULT_BASE_URL = 'https://api.dreamlook.ai';
const MAX_REQUESTS = 30;
const REQUEST_TIMEOUT_MS = 15000;
const MAX_BODY_CHARS = 5_000_000;
/** The one non-GET request the probe may make, and only as a dry run. */
const DRY_RUN_PATH = '/image_gen';
/** Job list candidates (dreamlook-api.md: `/jobs` or `/jobs/{job_type}`, both guesses). */
const LIST_PATH_CANDIDATES = ['/jobs', '/jobs/image-gen', '/jobs/image_gen', '/jobs/dreambooth', '/jobs/dreambooth_image_gen'];
/** What contract.ts readListPage looks for today. */
const CONTRACT_ARRAY_KEYS = ['jobs', 'results', 'items', 'data'];
/** Fields that may hold a job's creation time, most likely first. */
const CREATED_FIELDS = ['created_at', 'created', 'creation_time', 'createdAt', 'state_queued_start'];
const SAMPLE_LIMIT = 100;

class ProbeBudgetError extends Error {}

/** Same reading as contract.ts timestampMicros: microseconds since epoch, NaN when unreadable. */
function timestampMicros(value) {
	if (typeof value !== 'string' || !value) return Number.NaN;
	const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/.exec(value.trim().replace(' ', 'T'));
	if (!match) return Number.NaN;
	const [, seconds, fraction = '', zone = 'Z'] = match;
	const millis = Date.parse(`${seconds}${zone}`);
	if (Number.isNaN(millis)) return Number.NaN;
	return millis * 1000 + Number(fraction.padEnd(6, '0').slice(0, 6));
}

/** Format of one timestamp string: fraction digits and zone ('none', 'Z', '+00:00', ...). */
function timestampFormat(value) {
	if (typeof value !== 'string') return { readable: false, kind: value === null ? 'null' : typeof value };
	const m = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/.exec(value.trim());
	if (!m) return { readable: false, kind: 'unparsed' };
	return { readable: !Number.isNaN(timestampMicros(value)), fractionDigits: m[1] ? m[1].length : 0, zone: m[2] ?? 'none' };
}

function isLoopback(hostname) {
	return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127\./.test(hostname);
}

/** Keeps the key out of anything printed: the key itself, its encodings, any bearer token or dl- key. */
function makeRedactor(apiKey) {
	const variants = apiKey ? [apiKey, encodeURIComponent(apiKey), apiKey.toUpperCase(), apiKey.toLowerCase()] : [];
	return (text) => {
		let out = String(text);
		for (const v of variants) if (v) out = out.split(v).join('***');
		return out.replace(/bearer\s+\S+/gi, 'Bearer ***').replace(/dl-[0-9a-f]{8,}/gi, 'dl-***');
	};
}

function short(value, max = 160) {
	const s = typeof value === 'string' ? value : JSON.stringify(value);
	if (s === undefined) return String(value);
	return s.length > max ? `${s.slice(0, max)}…` : s;
}

function queryString(query) {
	const entries = Object.entries(query ?? {}).filter(([, v]) => v !== undefined);
	return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString()}` : '';
}

/** Which array in a list body holds the jobs: the body itself or one key of an object. */
function readList(body) {
	if (Array.isArray(body)) return { kind: 'array', jobs: body, arrayKey: null, hasTotal: false, otherKeys: [] };
	if (!body || typeof body !== 'object') return undefined;
	const arrays = Object.keys(body).filter((k) => Array.isArray(body[k]));
	const looksLikeJobs = (k) => body[k].length === 0 || body[k].some((j) => j && typeof j === 'object' && 'job_id' in j);
	const arrayKey = arrays.find((k) => CONTRACT_ARRAY_KEYS.includes(k) && looksLikeJobs(k)) ?? arrays.find(looksLikeJobs);
	if (!arrayKey) return undefined;
	return {
		kind: 'object',
		jobs: body[arrayKey],
		arrayKey,
		hasTotal: typeof body.total === 'number',
		total: typeof body.total === 'number' ? body.total : undefined,
		otherKeys: Object.keys(body).filter((k) => k !== arrayKey),
	};
}

const idsOf = (jobs) => jobs.map((j) => (j && typeof j === 'object' ? String(j.job_id) : ''));

/** Whether a sequence of numbers is non-increasing ('desc'), non-decreasing ('asc'), both ('flat') or neither. */
function direction(values) {
	const nums = values.filter((v) => Number.isFinite(v));
	if (nums.length < 2) return 'flat';
	let asc = true;
	let desc = true;
	for (let i = 1; i < nums.length; i++) {
		if (nums[i] < nums[i - 1]) asc = false;
		if (nums[i] > nums[i - 1]) desc = false;
	}
	if (asc && desc) return 'flat';
	return asc ? 'asc' : desc ? 'desc' : null;
}

function stringDirection(values) {
	let asc = true;
	let desc = true;
	for (let i = 1; i < values.length; i++) {
		if (values[i] < values[i - 1]) asc = false;
		if (values[i] > values[i - 1]) desc = false;
	}
	if (values.length < 2 || (asc && desc)) return 'flat';
	return asc ? 'asc' : desc ? 'desc' : null;
}

/** Every key the sequence of jobs is sorted by: ['state_updated desc', 'created desc', ...]. */
function orderingsOf(jobs, createdField) {
	const found = [];
	const upd = direction(jobs.map((j) => timestampMicros(j?.state_updated)));
	if (upd === 'asc' || upd === 'desc') found.push(`state_updated ${upd}`);
	if (createdField) {
		const cr = direction(jobs.map((j) => timestampMicros(j?.[createdField])));
		if (cr === 'asc' || cr === 'desc') found.push(`created ${cr}`);
	}
	const id = stringDirection(idsOf(jobs));
	if (id === 'asc' || id === 'desc') found.push(`job_id ${id}`);
	return found;
}

function describeOrder(orderings) {
	return orderings.length ? orderings.join(' / ') : 'none (sorted by no visible field)';
}

/** Runs of consecutive jobs with the same state_updated, and how each run is ordered inside. */
function tieGroups(jobs, createdField) {
	const groups = [];
	let run = [];
	const flush = () => {
		if (run.length > 1) groups.push(run);
		run = [];
	};
	for (const job of jobs) {
		const t = timestampMicros(job?.state_updated);
		if (run.length && Number.isFinite(t) && t === timestampMicros(run[0].state_updated)) run.push(job);
		else {
			flush();
			if (Number.isFinite(t)) run.push(job);
		}
	}
	flush();
	const within = new Set();
	for (const g of groups) {
		const id = stringDirection(idsOf(g));
		const cr = createdField ? direction(g.map((j) => timestampMicros(j?.[createdField]))) : 'flat';
		if (id === 'asc' || id === 'desc') within.add(`job_id ${id}`);
		else if (cr === 'asc' || cr === 'desc') within.add(`created ${cr}`);
		else within.add('no visible order');
	}
	return { groups: groups.length, largest: groups.reduce((m, g) => Math.max(m, g.length), 0), within: [...within] };
}

function sameSequence(a, b) {
	return a.length === b.length && a.every((x, i) => x === b[i]);
}
function sameSet(a, b) {
	const s = new Set(a);
	return a.length === b.length && b.every((x) => s.has(x));
}

/**
 * Probe a dreamlook-compatible API. Returns the findings; prints them line by line through `log`.
 * @param {{baseUrl?: string, apiKey: string, log?: (line: string) => void, fetch?: typeof fetch,
 *   timeoutMs?: number, maxRequests?: number, dryRun?: boolean}} options
 */
async function probe(options) {
	const baseUrl = String(options.baseUrl || DEFAULT_BASE_URL).replace(/\/+$/, '');
	const apiKey = options.apiKey;
	const redact = makeRedactor(apiKey);
	const rawLog = options.log ?? ((line) => console.log(line));
	const log = (line = '') => rawLog(redact(line));
	const doFetch = options.fetch ?? globalThis.fetch ?? require('undici').fetch;
	const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
	const maxRequests = Math.min(options.maxRequests ?? MAX_REQUESTS, MAX_REQUESTS);
	if (!apiKey) throw new Error('probe: no API key');
	const parsedBase = new URL(baseUrl);
	if (parsedBase.protocol !== 'https:' && !(parsedBase.protocol === 'http:' && isLoopback(parsedBase.hostname)))
		throw new Error(`probe: refusing to send the key to ${parsedBase.protocol}//${parsedBase.host} (https, or http on loopback only)`);

	const findings = {
		baseUrl,
		requests: 0,
		log: [],
		auth: 'unknown',
		openapi: { status: null, listPaths: [] },
		listPaths: [],
		listPath: null,
		shape: null,
		sampleSize: 0,
		params: { limit: 'unknown', offset: 'unknown', order: 'unknown', state: 'unknown', job_type: 'unknown' },
		pageSizeMax: null,
		timestamps: null,
		ordering: { default: null, requested: null, ascRequested: null, ties: null, stableAcrossRequests: null },
		createdField: null,
		tags: null,
		dryRun: null,
		stoppedEarly: null,
		recommendations: [],
	};
	let posts = 0;

	/** The only way the probe talks to the API: GET, or the single dry-run POST. */
	async function call(method, path, { query, body } = {}) {
		const payload = method === 'GET' ? undefined : JSON.stringify(body);
		assertFreeRequest(method, path, payload);
		if (method !== 'GET') {
			if (posts >= 1) throw new Error('probe: refusing a second POST');
			posts++;
		}
		if (findings.requests >= maxRequests) throw new ProbeBudgetError(`request budget of ${maxRequests} used up`);
		findings.requests++;
		const url = `${baseUrl}${path}${queryString(query)}`;
		const shown = `${method} ${path}${queryString(query)}`;
		const entry = { method, path, query: query ?? {}, status: null };
		findings.log.push(entry);
		let res;
		try {
			res = await doFetch(url, {
				method,
				redirect: 'manual',
				signal: AbortSignal.timeout(timeoutMs),
				headers: {
					authorization: `Bearer ${apiKey}`,
					accept: 'application/json',
					...(payload === undefined ? {} : { 'content-type': 'application/json' }),
				},
				body: payload,
			});
		} catch (err) {
			const name = err?.name === 'TimeoutError' || err?.name === 'AbortError' ? 'timeout' : 'network error';
			entry.error = name === 'timeout' ? `timeout after ${timeoutMs} ms` : redact(err?.cause?.code ?? err?.message ?? String(err));
			log(`  ${shown} → ${entry.error}`);
			return { status: null, error: entry.error };
		}
		entry.status = res.status;
		if (res.status >= 300 && res.status < 400) {
			const location = res.headers.get('location');
			let where = '(no Location)';
			try {
				if (location) {
					const u = new URL(location, url);
					where = `${u.origin}${u.pathname}`;
				}
			} catch {
				where = '(unreadable Location)';
			}
			entry.redirect = where;
			await res.body?.cancel().catch(() => undefined);
			log(`  ${shown} → ${res.status} redirect to ${where} (not followed)`);
			return { status: res.status, redirect: where };
		}
		let text = '';
		try {
			text = await res.text();
		} catch (err) {
			entry.error = `body unreadable (${err?.name === 'TimeoutError' ? 'timeout' : 'connection lost'})`;
			log(`  ${shown} → ${res.status}, ${entry.error}`);
			return { status: res.status, error: entry.error };
		}
		if (text.length > MAX_BODY_CHARS) text = text.slice(0, MAX_BODY_CHARS);
		let json;
		try {
			json = JSON.parse(text);
		} catch {
			json = undefined;
		}
		const detail = res.status >= 400 ? redact(short(json?.detail ?? text.replace(/\s+/g, ' ').trim(), 200)) : undefined;
		if (detail) entry.detail = detail;
		log(`  ${shown} → ${res.status}${detail ? ` ${detail}` : ''}`);
		return { status: res.status, json, text, detail };
	}

	const list = async (query) => {
		const r = await call('GET', findings.listPath, { query });
		const page = r.status === 200 ? readList(r.json) : undefined;
		return { ...r, page, ids: page ? idsOf(page.jobs) : [] };
	};

	try {
		// 1. The API's own description, when FastAPI publishes it.
		log(`Probing ${baseUrl} (free requests only: GETs and one dry run)`);
		log('OpenAPI description:');
		const oa = await call('GET', '/openapi.json');
		findings.openapi.status = oa.status;
		const extraCandidates = [];
		if (oa.status === 200 && oa.json && typeof oa.json.paths === 'object') {
			for (const [p, ops] of Object.entries(oa.json.paths)) {
				if (!/job/i.test(p)) continue;
				const methods = Object.keys(ops ?? {}).filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m));
				const query = (ops?.get?.parameters ?? []).filter((prm) => prm && prm.in === 'query').map((prm) => prm.name);
				findings.openapi.listPaths.push({ path: p, methods, query });
				log(`  ${methods.join(',').toUpperCase()} ${p}${query.length ? `  query: ${query.join(', ')}` : ''}`);
				if (ops?.get && !p.includes('{') && !LIST_PATH_CANDIDATES.includes(p)) extraCandidates.push(p);
			}
			findings.openapi.other = Object.keys(oa.json.paths).filter((p) => !/job/i.test(p));
			if (findings.openapi.other.length) log(`  other paths: ${findings.openapi.other.join(', ')}`);
		}

		// 2. Which list paths answer.
		log('List paths:');
		for (const path of [...LIST_PATH_CANDIDATES, ...extraCandidates.slice(0, 3)]) {
			const r = await call('GET', path);
			const page = r.status === 200 ? readList(r.json) : undefined;
			findings.listPaths.push({
				path,
				status: r.status,
				error: r.error,
				redirect: r.redirect,
				shape: page ? (page.kind === 'array' ? 'array' : `object.${page.arrayKey}`) : undefined,
				count: page ? page.jobs.length : undefined,
			});
			if (r.status === 401 || r.status === 403) {
				findings.auth = 'rejected';
				findings.stoppedEarly = `the key was rejected (${r.status} ${r.detail ?? ''})`.trim();
				log(`  The key was rejected (${r.status}): check it on the dreamlook.ai dashboard (API page).`);
				return finish();
			}
			if (r.status === 200) findings.auth = 'ok';
			if (page && !findings.listPath) findings.listPath = path;
		}
		if (!findings.listPath) {
			findings.stoppedEarly = 'no list path answered with a job list';
			log('  No candidate path answered 200 with a job list.');
		} else {
			await probeList();
		}
		await probeDryRun();
	} catch (err) {
		if (!(err instanceof ProbeBudgetError)) throw err;
		findings.stoppedEarly = err.message;
		log(`Stopped: ${err.message}.`);
	}
	return finish();

	async function probeList() {
		log(`Using list path ${findings.listPath}:`);
		// Sample: as many jobs as one page gives, in the server's default order.
		let base = await list({ limit: SAMPLE_LIMIT });
		if (base.status === 422 || base.status === 400) {
			findings.pageSizeMax = `limit=${SAMPLE_LIMIT} rejected (${base.status})`;
			base = await list({ limit: 50 });
		} else if (base.status === 200) findings.pageSizeMax = `limit=${SAMPLE_LIMIT} accepted`;
		if (!base.page) {
			findings.stoppedEarly = `the list path gave no readable list with a limit (${base.status ?? base.error})`;
			return;
		}
		const sampleLimit = findings.pageSizeMax?.includes('rejected') ? 50 : SAMPLE_LIMIT;
		const jobs = base.page.jobs.filter((j) => j && typeof j === 'object');
		findings.sampleSize = jobs.length;
		findings.shape = {
			kind: base.page.kind,
			arrayKey: base.page.arrayKey,
			hasTotal: base.page.hasTotal,
			total: base.page.total,
			otherKeys: base.page.otherKeys,
			contractReads: base.page.kind === 'array' || CONTRACT_ARRAY_KEYS.includes(base.page.arrayKey),
		};
		log(`  shape: ${base.page.kind === 'array' ? 'bare array' : `object, jobs under "${base.page.arrayKey}"`}, total ${base.page.hasTotal ? `present (${base.page.total})` : 'absent'}${base.page.otherKeys.length ? `, other keys: ${base.page.otherKeys.join(', ')}` : ''}; ${jobs.length} jobs in the sample`);

		// Job fields: timestamps, creation field, tags.
		const jobKeys = new Set(jobs.flatMap((j) => Object.keys(j)));
		findings.createdField = CREATED_FIELDS.find((f) => jobKeys.has(f)) ?? null;
		const formats = jobs.map((j) => timestampFormat(j.state_updated));
		const readable = formats.filter((f) => f.readable);
		findings.timestamps = {
			field: 'state_updated',
			examples: jobs.slice(0, 3).map((j) => j.state_updated),
			fractionDigits: [...new Set(readable.map((f) => f.fractionDigits))].sort(),
			zones: [...new Set(readable.map((f) => f.zone))],
			unreadable: formats.length - readable.length,
			unreadableKinds: [...new Set(formats.filter((f) => !f.readable).map((f) => f.kind))],
			distinct: new Set(jobs.map((j) => j.state_updated)).size,
		};
		const withTags = jobs.filter((j) => 'tags' in j);
		const nonEmpty = withTags.filter((j) => (Array.isArray(j.tags) ? j.tags.length > 0 : j.tags && typeof j.tags === 'object' && Object.keys(j.tags).length > 0));
		const tagShapes = new Set(
			nonEmpty.map((j) => (Array.isArray(j.tags) ? (typeof j.tags[0] === 'string' ? 'array of strings' : 'array of {key, value}') : 'object')),
		);
		findings.tags = { field: withTags.length > 0, jobsWithTags: nonEmpty.length, shapes: [...tagShapes], example: nonEmpty[0] ? nonEmpty[0].tags : undefined };
		const t = findings.timestamps;
		log(`  job fields: ${[...jobKeys].sort().join(', ') || '(none)'}`);
		log(`  state_updated: e.g. ${short(t.examples[0] ?? 'n/a', 40)}; fraction digits ${t.fractionDigits.join('/') || 'n/a'}; zone ${t.zones.join('/') || 'n/a'}; ${t.unreadable} unreadable; ${t.distinct} distinct values`);
		log(`  tags: ${findings.tags.field ? `field present, ${nonEmpty.length} jobs with tags${tagShapes.size ? ` (${[...tagShapes].join(', ')})` : ''}` : 'no tags field on listed jobs'}`);
		log(`  creation time field: ${findings.createdField ?? 'none found'}`);

		// Default order.
		findings.ordering.default = orderingsOf(jobs, findings.createdField);
		log(`  default order: ${describeOrder(findings.ordering.default)}`);

		if (jobs.length < 3) log('  (fewer than 3 jobs in the account: limit/offset/order cannot be told apart; run again after a few jobs)');

		// limit and offset.
		const first = await list({ limit: 2 });
		if (first.status === 422 || first.status === 400) findings.params.limit = `rejected (${first.status})`;
		else if (first.page && jobs.length > 2) findings.params.limit = first.page.jobs.length <= 2 ? 'honoured' : 'ignored';
		const second = await list({ limit: 2, offset: 2 });
		if (second.status === 422 || second.status === 400) findings.params.offset = `rejected (${second.status})`;
		else if (second.page && first.page && jobs.length > 2) {
			const overlap = second.ids.some((id) => first.ids.includes(id));
			const inSample = second.ids.every((id) => base.ids.includes(id));
			findings.params.offset = second.ids.length > 0 && !overlap && inSample ? 'honoured' : overlap || sameSet(second.ids, base.ids) ? 'ignored' : 'unclear';
			if (jobs.length > 4 && second.ids.length === 0) findings.params.offset = 'unclear (empty second page)';
		}
		log(`  limit: ${findings.params.limit}; offset: ${findings.params.offset}`);

		// order_by/order: asked for state_updated desc twice (stability), then asc, then order=asc alone.
		const ordered = await list({ limit: sampleLimit, order_by: 'state_updated', order: 'desc' });
		const orderedAgain = await list({ limit: sampleLimit, order_by: 'state_updated', order: 'desc' });
		const ascending = await list({ limit: sampleLimit, order_by: 'state_updated', order: 'asc' });
		if (ordered.status === 422 || ordered.status === 400) findings.params.order = `rejected (${ordered.status})`;
		else if (ordered.page && ascending.page) {
			const o = ordered.page.jobs;
			findings.ordering.requested = orderingsOf(o, findings.createdField);
			findings.ordering.ascRequested = orderingsOf(ascending.page.jobs, findings.createdField);
			const descOk = findings.ordering.requested.includes('state_updated desc');
			const ascOk = findings.ordering.ascRequested.includes('state_updated asc');
			const distinctTimes = new Set(o.map((j) => j.state_updated)).size;
			if (distinctTimes < 2) findings.params.order = 'unknown (all jobs share one state_updated)';
			else if (descOk && ascOk) findings.params.order = 'honoured';
			else if (!descOk && !ascOk) findings.params.order = 'ignored';
			else findings.params.order = `partly (desc ${descOk ? 'sorted' : 'not sorted'}, asc ${ascOk ? 'sorted' : 'not sorted'})`;
			findings.ordering.ties = tieGroups(o, findings.createdField);
			if (orderedAgain.page) {
				const a = ordered.ids;
				const b = orderedAgain.ids;
				findings.ordering.stableAcrossRequests = sameSequence(a, b) ? true : sameSet(a, b) ? false : 'list changed between requests';
			}
		}
		log(`  order_by=state_updated&order=desc: ${findings.params.order}; order seen: ${findings.ordering.requested ? describeOrder(findings.ordering.requested) : 'n/a'}; with order=asc: ${findings.ordering.ascRequested ? describeOrder(findings.ordering.ascRequested) : 'n/a'}`);
		const ties = findings.ordering.ties;
		if (ties) log(`  equal state_updated: ${ties.groups} runs (largest ${ties.largest}), ordered inside by ${ties.within.join(' / ') || 'n/a'}; same request twice gives ${findings.ordering.stableAcrossRequests === true ? 'the same order' : findings.ordering.stableAcrossRequests === false ? 'a different order of the same jobs' : String(findings.ordering.stableAcrossRequests)}`);

		// Filters: state, then job_type (when the path is not already per type).
		const states = jobs.map((j) => j.state);
		const counts = new Map();
		for (const s of states) counts.set(s, (counts.get(s) ?? 0) + 1);
		const present = [...counts.keys()];
		// A state that some sample jobs have and others do not; else one none of them has.
		const stateValue = present.length > 1 ? [...counts.entries()].sort((a, b) => a[1] - b[1])[0][0] : present[0] === 'success' ? 'failure' : 'success';
		findings.params.state = await filterCheck('state', stateValue, (j) => j.state, states);
		log(`  state=${stateValue}: ${findings.params.state}`);
		if (findings.listPath === '/jobs') {
			const types = jobs.map((j) => j.job_type);
			const typeValue = types.includes('dreambooth') && types.includes('image-gen') ? 'dreambooth' : types[0] === 'dreambooth' ? 'image-gen' : 'dreambooth';
			findings.params.job_type = await filterCheck('job_type', typeValue, (j) => j.job_type, types);
			log(`  job_type=${typeValue}: ${findings.params.job_type}`);
		} else findings.params.job_type = 'n/a (per-type path)';

		async function filterCheck(name, value, read, sampleValues) {
			const r = await list({ limit: sampleLimit, [name]: value });
			if (r.status === 422 || r.status === 400) return `rejected (${r.status}${r.detail ? `: ${short(r.detail, 80)}` : ''})`;
			if (!r.page) return `unknown (${r.status ?? r.error})`;
			const got = r.page.jobs.map(read);
			if (got.some((v) => v !== value)) return 'ignored';
			if (sampleValues.some((v) => v !== value)) return 'honoured';
			return sampleValues.length ? 'unknown (every sample job already matches)' : 'unknown (no jobs)';
		}
	}

	async function probeDryRun() {
		if (options.dryRun === false) return;
		log('Dry run (free):');
		const r = await call('POST', DRY_RUN_PATH, {
			body: {
				prompt: 'n8n-nodes-dreamlook probe (dry run, free)',
				num_samples: 1,
				width: 512,
				height: 512,
				model_type: 'sd-v1',
				base_model: 'stable-diffusion-v1-5',
				dry_run: true,
			},
		});
		const json = r.json && typeof r.json === 'object' && !Array.isArray(r.json) ? r.json : undefined;
		findings.dryRun = {
			status: r.status,
			error: r.error,
			detail: r.detail,
			keys: json ? Object.keys(json) : [],
			extraKeys: json ? Object.keys(json).filter((k) => k !== 'job_id') : [],
			extra: json ? Object.fromEntries(Object.entries(json).filter(([k]) => k !== 'job_id')) : {},
			jobIdPrefix: typeof json?.job_id === 'string' ? json.job_id.replace(/^([A-Za-z]+_).*$/, '$1') : null,
		};
		if (r.status === 401 || r.status === 403) findings.auth = 'rejected';
		const d = findings.dryRun;
		log(`  answer keys: ${d.keys.join(', ') || '(none)'}${d.extraKeys.length ? ` — more than job_id: ${short(d.extra, 200)}` : ' — only job_id'}; id prefix ${d.jobIdPrefix ?? 'n/a'}`);
	}

	function finish() {
		findings.recommendations = recommend(findings);
		log('');
		log('What to change in nodes/Dreamlook/api/contract.ts:');
		for (const line of findings.recommendations) log(`  - ${line}`);
		log(`(${findings.requests} requests)`);
		return findings;
	}
}

/**
 * Throws unless the request is free: a GET without a body, or POST /image_gen whose JSON body (as
 * sent, `payload` is the exact text) has `dry_run: true`.
 * @param {string} method @param {string} path @param {string|undefined} payload
 */
function assertFreeRequest(method, path, payload) {
	if (method === 'GET' && payload === undefined) return;
	let sent;
	try {
		sent = payload === undefined ? undefined : JSON.parse(payload);
	} catch {
		sent = undefined;
	}
	if (method !== 'POST' || path !== DRY_RUN_PATH || !sent || typeof sent !== 'object' || sent.dry_run !== true)
		throw new Error(`probe: refusing ${method} ${path}: only GETs and a dry_run POST ${DRY_RUN_PATH} are free`);
}

/** The short "what to change" list, from the findings. */
function recommend(f) {
	const out = [];
	if (f.auth === 'rejected') return ['nothing yet: the key was rejected.'];
	if (!f.listPath) {
		out.push(`LIST_PATH: no candidate answered with a job list (${f.listPaths.map((p) => `${p.path} ${p.status ?? p.error ?? p.redirect}`).join(', ')}); the trigger and Get Many cannot work until the path is known.`);
	} else {
		out.push(f.listPath === '/jobs' ? "LIST_PATH '/jobs' is right." : `LIST_PATH = '${f.listPath}' (not '/jobs').`);
		const others = f.listPaths.filter((p) => p.shape && p.path !== f.listPath).map((p) => p.path);
		if (others.length) out.push(`Also answering: ${others.join(', ')}.`);
	}
	if (f.shape) {
		if (!f.shape.contractReads) out.push(`readListPage: add '${f.shape.arrayKey}' to LIST_ARRAY_KEYS.`);
		else out.push(`readListPage: ${f.shape.kind === 'array' ? 'bare array' : `object with "${f.shape.arrayKey}"`} is read already.`);
		if (!f.shape.hasTotal) out.push('No `total`: nothing may rely on it (page until a short page).');
		const cursorKeys = f.shape.otherKeys.filter((k) => /next|cursor|page|more/i.test(k));
		if (cursorKeys.length) out.push(`The list offers ${cursorKeys.join(', ')}: consider paging by those instead of offset.`);
	}
	const p = f.params;
	if (f.sampleSize) {
		if (p.limit !== 'honoured' && p.limit !== 'unknown') out.push(`listQuery: limit is ${p.limit}; find the page-size parameter (see /openapi.json).`);
		if (f.pageSizeMax && f.pageSizeMax.includes('rejected')) out.push(`LIST_PAGE_SIZE_MAX: ${f.pageSizeMax}; lower it to 50 or less.`);
		if (p.offset !== 'honoured' && p.offset !== 'unknown') out.push(`listQuery: offset is ${p.offset}; paging must use another parameter.`);
		if (p.order === 'honoured')
			out.push(`listQuery: order_by=state_updated&order=desc is honoured (the cheap path of the trigger holds); without it the list is by ${describeOrder(f.ordering.default ?? [])}.`);
		else if (p.order.startsWith('rejected')) out.push(`listQuery: order_by/order ${p.order}: stop sending them.`);
		else if (!p.order.startsWith('unknown')) {
			const def = f.ordering.default ?? [];
			out.push(`listQuery: order_by/order is ${p.order}; the server lists by ${describeOrder(def)} — the trigger must treat the list as ${def.some((o) => o.startsWith('created')) ? 'creation-ordered' : def.some((o) => o.startsWith('state_updated')) ? 'state_updated-ordered' : 'unordered'}.`);
		}
		if (p.state !== 'honoured' && !p.state.startsWith('unknown')) out.push(`listQuery: state filter ${p.state}; filter by state client-side only.`);
		if (p.job_type !== 'honoured' && !p.job_type.startsWith('unknown') && !p.job_type.startsWith('n/a')) out.push(`listQuery: job_type filter ${p.job_type}; filter by job_type client-side only.`);
	} else if (f.listPath) out.push('The account has no jobs: parameters and ordering could not be checked; run again once it has a few.');
	const t = f.timestamps;
	if (t && f.sampleSize) {
		const zoneNote = t.zones.length === 1 && t.zones[0] === 'none' ? 'no zone (UTC assumed, as now)' : `zone ${t.zones.join('/')} (timestampMicros reads it)`;
		out.push(`timestampMicros: state_updated has ${t.fractionDigits.join('/') || '?'} fraction digits, ${zoneNote}${t.fractionDigits.some((d) => d < 6) ? '; fewer than 6 digits: ties are more likely' : ''}.`);
		if (t.unreadable) out.push(`timestampMicros: ${t.unreadable} jobs have an unreadable state_updated (${t.unreadableKinds.join(', ')}).`);
	}
	const ties = f.ordering.ties;
	if (ties && ties.groups) {
		out.push(`Equal state_updated: ${ties.groups} runs, ordered by ${ties.within.join(' / ')}; ${f.ordering.stableAcrossRequests === true ? 'stable between requests' : 'NOT stable between requests (dedupe ties by id)'}.`);
	} else if (f.ordering.stableAcrossRequests === false) out.push('The same list request gives different orders: dedupe by id.');
	if (f.tags && f.sampleSize) {
		if (!f.tags.field) out.push('tags: listed jobs carry no tags: the idempotency lookup (tagValueOf) finds nothing.');
		else if (f.tags.jobsWithTags) out.push(`tags: listed (${f.tags.shapes.join(', ')}); tagValueOf reads them.`);
		else out.push('tags: field present but empty on every sampled job (were tags ever sent?).');
	}
	if (f.dryRun) {
		if (f.dryRun.status !== 200) out.push(`createResponseSchema: the dry run answered ${f.dryRun.status ?? f.dryRun.error}${f.dryRun.detail ? ` (${f.dryRun.detail})` : ''}.`);
		else if (f.dryRun.extraKeys.length) out.push(`createResponseSchema: a dry run also returns ${f.dryRun.extraKeys.join(', ')} (e.g. ${short(f.dryRun.extra, 120)}): consider showing a cost.`);
		else out.push('createResponseSchema: the dry run returns only job_id (no cost).');
	}
	if (f.stoppedEarly) out.push(`Incomplete: ${f.stoppedEarly}.`);
	return out;
}

function parseArgs(argv) {
	const args = { json: false };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
		const value = () => (inline !== undefined ? inline : argv[++i]);
		if (flag === '--base-url') args.baseUrl = value();
		else if (flag === '--key') args.apiKey = value();
		else if (flag === '--json') args.json = true;
		else if (flag === '--no-dry-run') args.dryRun = false;
		else if (flag === '--help' || flag === '-h') args.help = true;
		else throw new Error(`unknown argument ${flag}`);
	}
	return args;
}

const HOW_TO_GET_A_KEY = [
	'No API key: nothing probed.',
	'Get a key on the dreamlook.ai dashboard → API (it starts with dl-), then run:',
	'  DREAMLOOK_API_KEY=dl-... npm run probe:live',
	'  (or: node scripts/probe-live.js --key dl-... [--base-url https://api.dreamlook.ai] [--json] [--no-dry-run])',
	'The probe makes only free requests (GETs and one dry run) and never prints the key.',
];

async function main() {
	let args;
	try {
		args = parseArgs(process.argv.slice(2));
	} catch (err) {
		console.error(err.message);
		return 2;
	}
	if (args.help) {
		console.log(HOW_TO_GET_A_KEY.slice(1).join('\n'));
		return 0;
	}
	const apiKey = args.apiKey || process.env.DREAMLOOK_API_KEY;
	const baseUrl = args.baseUrl || process.env.DREAMLOOK_BASE_URL || DEFAULT_BASE_URL;
	if (!apiKey) {
		console.log(HOW_TO_GET_A_KEY.join('\n'));
		return 0;
	}
	const redact = makeRedactor(apiKey);
	try {
		const findings = await probe({ baseUrl, apiKey, log: args.json ? () => undefined : (line) => console.log(line) });
		if (args.json) console.log(redact(JSON.stringify(findings, null, 2)));
		return findings.auth === 'rejected' ? 1 : 0;
	} catch (err) {
		console.error(redact(`probe failed: ${err?.message ?? err}`));
		return 1;
	}
}

module.exports = { probe, recommend, assertFreeRequest, readList, orderingsOf, tieGroups, timestampFormat, makeRedactor, DRY_RUN_PATH, MAX_REQUESTS };

if (require.main === module) {
	main().then((code) => {
		process.exitCode = code;
	});
}
