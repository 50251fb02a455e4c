'use strict';
// A host that is not Dreamlook, for the redirect case of scripts/e2e.js: it records every request
// (method, path, whether an authorization header came with it; never the header's value) and
// answers 404. It listens on 127.0.0.2 (loopback, but another host than the fake API's 127.0.0.1),
// so an error naming the redirect target is told apart from one naming the API.
const http = require('node:http');

/** @returns {Promise<{url: string, host: string, requests: {method: string, path: string, authorization: boolean}[], close: () => Promise<void>}>} */
function startRecorder({ host = '127.0.0.2' } = {}) {
	const requests = [];
	const sockets = new Set();
	const server = http.createServer((req, res) => {
		requests.push({ method: req.method, path: req.url, authorization: req.headers.authorization !== undefined });
		req.resume();
		req.on('end', () => {
			res.writeHead(404, { 'content-type': 'application/json' });
			res.end('{"detail":"recorder: not Dreamlook"}');
		});
	});
	server.on('connection', (socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	return new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, host, () => {
			const { port } = server.address();
			resolve({
				url: `http://${host}:${port}`,
				host: `${host}:${port}`,
				requests,
				close: () =>
					new Promise((done) => {
						for (const socket of sockets) socket.destroy();
						server.close(() => done());
					}),
			});
		});
	});
}

module.exports = { startRecorder };
