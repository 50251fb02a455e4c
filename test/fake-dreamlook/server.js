'use strict';
// HTTP layer: routing, auth, fault/latency/concurrency handling, request log, responses.
// Business rules live in jobs.js/validate.js; this file only translates HTTP.
const { STATUS_CODES } = require('node:http');
const { validateCreate, tokenCost } = require('./validate.js');
const { JOB_TYPES, STATES } = require('./jobs.js');
const { gcsError } = require('./signing.js');
const { handleAdmin } = require('./admin.js');

const MAX_BODY_BYTES = 1 << 20;
const CREATE_PATHS = { '/image_gen': 'image-gen', '/dreambooth': 'dreambooth', '/dreambooth_image_gen': 'dreambooth_image_gen' };

/**
 * @typedef {{status: number, json?: any, text?: string, buffer?: Buffer, contentType?: string, headers?: Record<string, string>}} Result
 * @typedef {import('./fake.js').FakeDreamlook} Fake
 */

/** @param {string} pathname */
function routeOf(pathname) {
	if (pathname in CREATE_PATHS) return { name: `POST ${pathname}`, method: 'POST', kind: 'create', params: [pathname] };
	if (pathname === '/jobs') return { name: 'GET /jobs', method: 'GET', kind: 'list', params: [] };
	let m = /^\/jobs\/([^/]+)\/([^/]+)$/.exec(pathname);
	if (m) return { name: 'GET /jobs/:job_type/:job_id', method: 'GET', kind: 'get', params: [m[1], m[2]] };
	m = /^\/(images|thumbnails|checkpoints)\/([^/]+)$/.exec(pathname);
	if (m) return { name: `GET /${m[1]}/:file`, method: 'GET', kind: 'file', params: [m[1], m[2]] };
	return null;
}

/** @param {Fake} fake */
function createHandler(fake) {
	return (/** @type {import('node:http').IncomingMessage} */ req, /** @type {import('node:http').ServerResponse} */ res) => {
		handle(fake, req, res).catch((err) => {
			// A bug in the fake must be loud: keep it for the test and answer 500.
			fake.errors.push(err);
			if (!fake.options.quiet) console.error('[fake-dreamlook] handler error:', err);
			if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('fake-dreamlook internal error');
			else res.destroy();
		});
	};
}

/** @param {Fake} fake @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res */
async function handle(fake, req, res) {
	const url = new URL(req.url ?? '/', 'http://fake.invalid');
	const method = (req.method ?? 'GET').toUpperCase();
	if (url.pathname.startsWith('/__fake/')) return handleAdmin(fake, req, res, url);

	const route = routeOf(url.pathname);
	const routeName = route ? route.name : 'unmatched';
	const key = bearer(req);
	/** @type {import('./fake.js').RequestLogEntry} */
	const entry = {
		method,
		path: url.pathname,
		query: Object.fromEntries(url.searchParams),
		body: undefined,
		status: null,
		authorized: key !== null && fake.apiKeys.has(key),
		at: fake.clock.now(),
	};
	fake.logRequest(entry);

	const stats = fake.rawStats;
	stats.total++;
	stats.requestsByRoute[routeName] = (stats.requestsByRoute[routeName] ?? 0) + 1;
	stats.inFlight++;
	stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
	const t0 = performance.now();
	let counted = true;
	res.once('close', () => {
		if (counted) stats.inFlight--;
		counted = false;
		entry.durationMs = performance.now() - t0;
		fake.onRequestDone(entry);
	});

	const limit = fake.inFlightLimit;
	if (limit && stats.inFlight > limit.max) {
		entry.fault = 'maxInFlight';
		return respond(fake, req, res, entry, {
			status: 429,
			json: { detail: 'Too many concurrent requests' },
			headers: { 'retry-after': String(limit.retryAfter) },
		});
	}
	if (fake.latencyMs > 0) await fake.sleep(fake.latencyMs);

	/** @type {'normal'|'malformed'|'partial'} */
	let mode = 'normal';
	/** @type {import('./faults.js').Action | null} */
	let after = null;
	const fault = fake.faults.take(method, url.pathname);
	if (fault) {
		entry.fault = fault.label;
		const a = fault.action;
		if (a.kind === 'drop') return void req.socket.destroy();
		// Nothing is answered; the socket is closed afterwards like an idle timeout would.
		if (a.kind === 'hang') return void fake.later(a.hangMs, () => req.socket.destroy());
		if (a.kind === 'delay') await fake.sleep(a.delayMs);
		if (a.kind === 'malformed' || a.kind === 'partial') mode = a.kind;
		if (a.kind === 'status' || a.kind === 'redirect') {
			// Keep the body in the log: retry tests compare what was sent each time.
			const raw = await readBody(req).catch(() => null);
			if (raw?.length) entry.body = parseOrRaw(raw.toString('utf8'));
			if (a.kind === 'redirect') {
				const r = { status: a.status, json: { detail: `Moved to ${a.location}` }, headers: { location: a.location } };
				return respond(fake, req, res, entry, r);
			}
			return respond(fake, req, res, entry, faultResult(a, req));
		}
		if (a.kind === 'huge') return streamHuge(fake, req, res, entry, a.bytes, a.contentType);
		// dropAfterCommit, statusAfterCommit, trickle: the request is handled first (it takes effect).
		if (a.kind === 'dropAfterCommit' || a.kind === 'statusAfterCommit' || a.kind === 'trickle') after = a;
	}

	/** @type {Result} */
	let result;
	if (!route) result = { status: 404, json: { detail: 'Not Found' } };
	else if (route.method !== method) result = { status: 405, json: { detail: 'Method Not Allowed' } };
	else if (route.kind === 'file') result = serveFile(fake, route.params[0], route.params[1], url);
	else if (!entry.authorized) result = { status: 401, json: { detail: 'Invalid API key' }, headers: { 'www-authenticate': 'Bearer' } };
	else if (route.kind === 'create') {
		const body = await readJson(req);
		entry.body = body.value;
		result = body.error ?? createJob(fake, /** @type {any} */ (CREATE_PATHS)[route.params[0]], body.value);
	} else if (route.kind === 'get') result = getJob(fake, route.params[0], route.params[1]);
	else result = listJobs(fake, url.searchParams);
	if (after) {
		// The request has had its effect (a create made its job); the answer is then lost or replaced.
		entry.committedStatus = result.status;
		if (after.kind === 'dropAfterCommit') return void req.socket.destroy();
		if (after.kind === 'statusAfterCommit')
			return respond(fake, req, res, entry, faultResult({ kind: 'status', status: after.status, body: after.body, headers: after.headers }, req));
		if (after.kind === 'trickle') return trickle(fake, req, res, entry, result, after.bytesPerChunk, after.intervalMs);
	}
	return respond(fake, req, res, entry, result, mode);
}

/**
 * Headers at once, then the body `bytesPerChunk` bytes every `intervalMs` (real timers).
 * @param {Fake} fake @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res
 * @param {import('./fake.js').RequestLogEntry} entry @param {Result} r @param {number} bytesPerChunk @param {number} intervalMs
 */
function trickle(fake, req, res, entry, r, bytesPerChunk, intervalMs) {
	const body = r.json !== undefined ? Buffer.from(JSON.stringify(r.json)) : (r.buffer ?? Buffer.from(r.text ?? ''));
	const type = r.json !== undefined ? 'application/json' : (r.contentType ?? 'text/plain; charset=utf-8');
	entry.status = r.status;
	res.writeHead(r.status, { 'content-type': type, ...r.headers, 'content-length': String(body.length) });
	res.flushHeaders();
	let offset = 0;
	const step = () => {
		if (res.destroyed || fake.closed) return;
		const chunk = body.subarray(offset, offset + bytesPerChunk);
		offset += chunk.length;
		if (offset >= body.length) return void res.end(chunk);
		res.write(chunk);
		fake.later(intervalMs, step);
	};
	step();
}

/**
 * 200 with `bytes` bytes (PNG signature, then zeros), streamed with backpressure: never held in memory.
 * @param {Fake} fake @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res
 * @param {import('./fake.js').RequestLogEntry} entry @param {number} bytes @param {string} contentType
 */
function streamHuge(fake, req, res, entry, bytes, contentType) {
	const SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
	const ZEROS = Buffer.alloc(64 * 1024);
	entry.status = 200;
	res.writeHead(200, { 'content-type': contentType, 'content-length': String(bytes) });
	let left = bytes - SIG.length;
	res.write(SIG);
	const pump = () => {
		while (left > 0) {
			if (res.destroyed || fake.closed) return;
			const n = Math.min(left, ZEROS.length);
			left -= n;
			if (left === 0) return void res.end(ZEROS.subarray(0, n));
			if (!res.write(ZEROS.subarray(0, n))) return void res.once('drain', pump);
		}
		res.end();
	};
	pump();
}

/** How a status fault shows the request's authorization header. @param {string} auth @param {import('./faults.js').EchoAuth} how */
function echoed(auth, how) {
	if (how === 'upper') return auth.toUpperCase();
	if (how === 'swapcase') return auth.replace(/[a-z]/gi, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()));
	if (how === 'urlencoded') return encodeURIComponent(auth);
	if (how === 'form') return new URLSearchParams({ a: auth }).toString().slice(2);
	return auth;
}

/** @param {import('node:http').IncomingMessage} req @returns {string|null} */
function bearer(req) {
	const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
	return m ? m[1] : null;
}

/** @param {import('node:http').IncomingMessage} req @returns {Promise<Buffer>} */
function readBody(req) {
	return new Promise((resolve, reject) => {
		/** @type {Buffer[]} */
		const chunks = [];
		let size = 0;
		req.on('data', (c) => {
			size += c.length;
			if (size <= MAX_BODY_BYTES) chunks.push(c);
		});
		req.on('end', () => (size > MAX_BODY_BYTES ? reject(Object.assign(new Error('too large'), { tooLarge: true })) : resolve(Buffer.concat(chunks))));
		req.on('error', reject);
	});
}

/** @param {string} text */
function parseOrRaw(text) {
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
}

/** Parse a JSON body; errors come back FastAPI-shaped. @returns {Promise<{value?: any, error?: Result}>} */
async function readJson(/** @type {import('node:http').IncomingMessage} */ req) {
	let raw;
	try {
		raw = (await readBody(req)).toString('utf8');
	} catch (err) {
		if (/** @type {any} */ (err).tooLarge) return { error: { status: 413, json: { detail: 'Request body too large' } } };
		throw err;
	}
	if (raw.trim() === '') return { error: { status: 422, json: { detail: [{ loc: ['body'], msg: 'field required', type: 'value_error.missing' }] } } };
	try {
		return { value: JSON.parse(raw) };
	} catch (err) {
		const pos = Number(/position (\d+)/.exec(String(/** @type {Error} */ (err).message))?.[1] ?? 0);
		return {
			value: raw,
			error: { status: 422, json: { detail: [{ loc: ['body', pos], msg: `Expecting value: (char ${pos})`, type: 'value_error.jsondecode' }] } },
		};
	}
}

/** @param {Fake} fake @param {'image-gen'|'dreambooth'|'dreambooth_image_gen'} jobType @param {any} body @returns {Result} */
function createJob(fake, jobType, body) {
	const v = validateCreate(jobType, body);
	if (!v.ok) return { status: 422, json: { detail: v.errors } };
	const config = v.config;
	if (jobType === 'image-gen' && config.checkpoint_id && !fake.store.checkpointUsable(config.checkpoint_id, fake.nowUs()))
		return { status: 422, json: { detail: `Checkpoint not found or expired: ${config.checkpoint_id}` } };
	const cost = tokenCost(jobType, config);
	if (config.validate_token_cost != null && config.validate_token_cost !== cost)
		return { status: 400, json: { detail: `validate_token_cost mismatch: this job costs ${cost} tokens, not ${config.validate_token_cost}` } };
	// A dry run validates and costs nothing; its id is never stored.
	if (v.dryRun) return { status: 200, json: { job_id: fake.store.testId() } };
	if (fake.balance < cost)
		return { status: 402, json: { detail: `Not enough tokens: this job costs ${cost} tokens, your balance is ${fake.balance}` } };
	fake.balance -= cost;
	const job = fake.createStoredJob({ type: jobType, config });
	return { status: 200, json: { job_id: job.id } };
}

/** @param {Fake} fake @param {string} segment @param {string} rawId @returns {Result} */
function getJob(fake, segment, rawId) {
	const type = segment === fake.options.imageGenPathSegment ? 'image-gen' : segment === 'dreambooth' || segment === 'dreambooth_image_gen' ? segment : null;
	let id = rawId;
	try {
		id = decodeURIComponent(rawId);
	} catch {
		/* keep raw */
	}
	const job = type ? fake.store.get(id) : undefined;
	if (!job || job.type !== type) return { status: 404, json: { detail: 'Job not found' } };
	return { status: 200, json: fake.serialize(job) };
}

/** @param {Fake} fake @param {URLSearchParams} q @returns {Result} */
function listJobs(fake, q) {
	/** @type {any[]} */
	const errors = [];
	const typeAliases = { [fake.options.imageGenPathSegment]: 'image-gen', ...Object.fromEntries(JOB_TYPES.map((t) => [t, t])) };
	const oneOf = (/** @type {string} */ name, /** @type {string[]} */ values, /** @type {string|undefined} */ dflt) => {
		const v = q.get(name);
		if (v === null) return dflt;
		if (values.includes(v)) return v;
		errors.push({ loc: ['query', name], msg: `value is not a valid enumeration member; permitted: ${values.map((x) => `'${x}'`).join(', ')}`, type: 'type_error.enum', ctx: { enum_values: values } });
		return dflt;
	};
	const int = (/** @type {string} */ name, /** @type {number} */ dflt, /** @type {number} */ ge, /** @type {number} */ le) => {
		const v = q.get(name);
		if (v === null) return dflt;
		if (!/^-?\d+$/.test(v.trim())) {
			errors.push({ loc: ['query', name], msg: 'value is not a valid integer', type: 'type_error.integer' });
			return dflt;
		}
		const n = Number(v);
		if (n < ge) errors.push({ loc: ['query', name], msg: `ensure this value is greater than or equal to ${ge}`, type: 'value_error.number.not_ge', ctx: { limit_value: ge } });
		if (n > le) errors.push({ loc: ['query', name], msg: `ensure this value is less than or equal to ${le}`, type: 'value_error.number.not_le', ctx: { limit_value: le } });
		return n;
	};
	const jobTypeRaw = oneOf('job_type', Object.keys(typeAliases), undefined);
	const query = {
		job_type: jobTypeRaw === undefined ? undefined : typeAliases[jobTypeRaw],
		state: oneOf('state', STATES, undefined),
		limit: int('limit', 50, 1, 100),
		offset: int('offset', 0, 0, Number.MAX_SAFE_INTEGER),
		order_by: /** @type {'created'|'state_updated'} */ (oneOf('order_by', ['created', 'state_updated'], 'created')),
		order: /** @type {'asc'|'desc'} */ (oneOf('order', ['asc', 'desc'], 'desc')),
	};
	if (errors.length) return { status: 422, json: { detail: errors } };
	// A server that accepts but ignores the filters (the list endpoint is a guess).
	if (fake.options.ignoreListFilters) {
		query.job_type = undefined;
		query.state = undefined;
	}
	const nowUs = fake.nowUs();
	const hidden = fake.options.listHiddenPrompts;
	const page = fake.store.list(query, nowUs, {
		listOrder: fake.options.listOrder,
		tieOrder: fake.options.tieOrder,
		hide: hidden.length ? (/** @type {any} */ job) => hidden.includes(job.config?.prompt ?? job.config?.instance_prompt) : undefined,
		hideKey: hidden.join('\u0000'),
	});
	const jobs = page.jobs.map((j) => fake.serialize(j, fake.store.listInstant(j, nowUs)));
	if (fake.options.listShape === 'array') return { status: 200, json: jobs };
	if (!fake.options.listTotal) return { status: 200, json: { jobs, limit: query.limit, offset: query.offset } };
	return { status: 200, json: { jobs, total: page.total, limit: query.limit, offset: query.offset } };
}

/** Signed downloads: no API key, GCS-like XML errors. @param {Fake} fake @param {string} dir @param {string} file @param {URL} url @returns {Result} */
function serveFile(fake, dir, file, url) {
	const xml = (/** @type {number} */ status, /** @type {string} */ code, /** @type {string} */ msg) =>
		/** @type {Result} */ ({ status, text: gcsError(code, msg), contentType: 'application/xml; charset=UTF-8' });
	const check = fake.signer.verify(url.pathname, url.searchParams);
	if (check === 'bad') return xml(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
	if (check === 'expired') return xml(403, 'ExpiredToken', 'The provided token has expired. Request signature expired.');
	const m = /^(.+)\.(png|safetensors)$/.exec(file);
	const id = m?.[1] ?? '';
	if (dir === 'images' && m?.[2] === 'png' && fake.store.imageIndex.has(id))
		return { status: 200, buffer: fake.imageBytesFor(id), contentType: 'image/png' };
	if (dir === 'thumbnails' && m?.[2] === 'png' && fake.store.imageIndex.has(id))
		return { status: 200, buffer: fake.thumbnailBytesFor(id), contentType: 'image/png' };
	if (dir === 'checkpoints' && m?.[2] === 'safetensors' && fake.store.checkpointIndex.has(id))
		return { status: 200, buffer: fake.checkpointBytesFor(id), contentType: 'application/octet-stream' };
	return xml(404, 'NoSuchKey', 'The specified key does not exist.');
}

/**
 * @param {import('./faults.js').Action & {kind: 'status'}} a @param {import('node:http').IncomingMessage} req @returns {Result}
 * With `echoAuth`, the request's authorization header is echoed (transformed) in the body: as a text line
 * after a string body, as `echoed_authorization` in a JSON one.
 */
function faultResult(a, req) {
	/** @type {Record<string, string>} */
	const headers = { ...(a.retryAfter !== undefined ? { 'retry-after': String(a.retryAfter) } : {}), ...(a.headers ?? {}) };
	const echo = a.echoAuth ? echoed(req.headers.authorization ?? '', a.echoAuth) : undefined;
	if (a.body === undefined) {
		const json = { detail: STATUS_CODES[a.status] ?? 'Error', ...(echo !== undefined ? { echoed_authorization: echo } : {}) };
		return { status: a.status, json, headers };
	}
	if (typeof a.body === 'string' || Buffer.isBuffer(a.body)) {
		const text = echo !== undefined ? `${a.body}\nauthorization: ${echo}` : a.body;
		return { status: a.status, buffer: Buffer.from(text), contentType: headers['content-type'] ?? 'text/plain; charset=utf-8', headers };
	}
	const json = echo !== undefined && a.body && typeof a.body === 'object' && !Array.isArray(a.body) ? { ...a.body, echoed_authorization: echo } : a.body;
	return { status: a.status, json, headers };
}

/**
 * Write a result. 'malformed' answers 200 with the first half of the body (whatever the real
 * status was; the request has had its effect). 'partial' announces the full length, sends
 * half, then resets the connection.
 * @param {Fake} fake @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res
 * @param {import('./fake.js').RequestLogEntry} entry @param {Result} r @param {'normal'|'malformed'|'partial'} [mode]
 */
function respond(fake, req, res, entry, r, mode = 'normal') {
	/** @type {Buffer} */
	let body;
	let type;
	if (r.json !== undefined) {
		let obj = r.json;
		// Some services echo the request headers in errors; the node under test must redact them.
		if (r.status >= 400 && fake.options.echoAuthInErrors && obj && typeof obj === 'object' && !Array.isArray(obj))
			obj = { ...obj, request_headers: { ...req.headers } };
		body = Buffer.from(JSON.stringify(obj));
		type = 'application/json';
	} else {
		body = r.buffer ?? Buffer.from(r.text ?? '');
		type = r.contentType ?? 'text/plain; charset=utf-8';
	}
	let status = r.status;
	if (mode === 'malformed') {
		status = 200;
		body = body.subarray(0, Math.floor(body.length / 2));
	}
	entry.status = status;
	res.writeHead(status, { 'content-type': type, ...r.headers, 'content-length': String(body.length) });
	if (mode === 'partial') return void res.write(body.subarray(0, Math.floor(body.length / 2)), () => req.socket.destroy());
	res.end(body);
}

module.exports = { createHandler, routeOf };
