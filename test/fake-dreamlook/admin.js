'use strict';
// Control endpoints under /__fake/ for when the fake runs in another process (`npm run dev`,
// e2e against a real n8n). No API key; never logged in `requests`. Paths mirror the JS API.

/**
 * @param {import('./fake.js').FakeDreamlook} fake @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res @param {URL} url
 */
async function handleAdmin(fake, req, res, url) {
	const send = (/** @type {number} */ status, /** @type {any} */ obj) => {
		const body = Buffer.from(JSON.stringify(obj));
		res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(body.length) }).end(body);
	};
	const chunks = [];
	for await (const c of req) chunks.push(c);
	const raw = Buffer.concat(chunks).toString('utf8');
	let body;
	try {
		body = raw ? JSON.parse(raw) : {};
	} catch {
		return send(400, { error: 'body must be JSON' });
	}
	const route = `${req.method} ${url.pathname.slice('/__fake'.length)}`;
	try {
		const finish = /^POST \/jobs\/([^/]+)\/finish$/.exec(route);
		if (finish) return send(200, fake.finishJob(decodeURIComponent(finish[1]), body.outcome ?? 'success', body));
		switch (route) {
			case 'GET /health':
				return send(200, { ok: true, clock: fake.clock.kind, now: new Date(fake.clock.now()).toISOString(), jobs: fake.store.all.length });
			case 'POST /advance':
				fake.clock.advance(Number(body.ms));
				return send(200, { now: new Date(fake.clock.now()).toISOString() });
			case 'POST /jobs':
				return send(200, fake.createJob(body));
			case 'POST /faults': {
				const path = body.pathRegex ? new RegExp(body.pathRegex) : body.path;
				const rule = fake.faults.add({ method: body.method, path, times: body.times, action: body.action });
				return send(200, { id: rule.id });
			}
			case 'DELETE /faults':
				fake.faults.clear();
				return send(200, { ok: true });
			case 'POST /chaos':
				fake.faults.chaos(body.rate ? body : null);
				return send(200, { ok: true });
			case 'POST /options':
				fake.setOptions(body);
				return send(200, fake.options);
			case 'POST /balance':
				fake.setBalance(body.tokens ?? null);
				return send(200, { balance: fake.balance === Infinity ? null : fake.balance });
			case 'POST /latency':
				fake.setLatency(Number(body.ms ?? 0));
				return send(200, { ok: true });
			case 'GET /requests':
				return send(200, fake.requests);
			case 'GET /callbacks':
				return send(200, fake.callbacks);
			case 'POST /reset':
				fake.reset();
				return send(200, { ok: true });
			default:
				return send(404, { error: `no admin route ${route}` });
		}
	} catch (err) {
		return send(400, { error: /** @type {Error} */ (err).message });
	}
}

module.exports = { handleAdmin };
