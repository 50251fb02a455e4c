'use strict';
// A second loopback host that records every request and answers like a successful create.
// Tests point a redirect at it to prove the API key never follows a redirect to another host.
const http = require('node:http');

/**
 * @typedef {{method: string, path: string, query: Record<string, string>, authorization: boolean, headers: Record<string, string | string[] | undefined>, body: any}} RecordedRequest
 * `authorization` says whether an authorization header arrived; its value is never kept (`headers` omits it).
 * @typedef {{url: string, requests: RecordedRequest[], clear: () => void, close: () => Promise<void>}} Recorder
 */

/**
 * @param {{host?: string, port?: number, status?: number, body?: any}} [opts] answer (default 200 `{"job_id":"ig_evil0001"}`)
 * @returns {Promise<Recorder>}
 */
async function startRecorder(opts = {}) {
	/** @type {RecordedRequest[]} */
	const requests = [];
	const status = opts.status ?? 200;
	const answer = Buffer.from(JSON.stringify(opts.body ?? { job_id: 'ig_evil0001' }));
	const server = http.createServer((req, res) => {
		/** @type {Buffer[]} */
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			const url = new URL(req.url ?? '/', 'http://recorder.invalid');
			const raw = Buffer.concat(chunks).toString('utf8');
			let body;
			try {
				body = raw === '' ? undefined : JSON.parse(raw);
			} catch {
				body = raw;
			}
			const { authorization, ...headers } = req.headers;
			requests.push({
				method: (req.method ?? 'GET').toUpperCase(),
				path: url.pathname,
				query: Object.fromEntries(url.searchParams),
				authorization: authorization !== undefined,
				headers,
				body,
			});
			res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(answer.length) }).end(answer);
		});
	});
	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve(undefined));
	});
	const addr = /** @type {import('node:net').AddressInfo} */ (server.address());
	return {
		url: `http://${opts.host ?? '127.0.0.1'}:${addr.port}`,
		requests,
		clear: () => void requests.splice(0),
		close: () =>
			new Promise((resolve) => {
				server.close(() => resolve(undefined));
				server.closeAllConnections();
			}),
	};
}

module.exports = { startRecorder };
