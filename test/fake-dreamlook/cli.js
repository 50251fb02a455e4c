#!/usr/bin/env node
'use strict';
// Dev server: node test/fake-dreamlook/cli.js [--port 4010] [--host 127.0.0.1] [--speed 1]
//   [--queued-ms 1000] [--running-ms 3000] [--image-bytes 2000] [--key dl-...] [--seed 42] [--verbose]
const { startFakeDreamlook, DEFAULT_API_KEY } = require('./index.js');

/** @param {string[]} argv */
function parseArgs(argv) {
	/** @type {Record<string, string|boolean>} */
	const out = {};
	for (let i = 0; i < argv.length; i++) {
		const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
		if (!m) throw new Error(`unexpected argument ${argv[i]}`);
		if (m[2] !== undefined) out[m[1]] = m[2];
		else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) out[m[1]] = argv[++i];
		else out[m[1]] = true;
	}
	return out;
}

async function main() {
	const a = parseArgs(process.argv.slice(2));
	if (a.help) {
		console.log('usage: node test/fake-dreamlook/cli.js [--port 4010] [--host 127.0.0.1] [--speed 1] [--queued-ms 1000] [--running-ms 3000] [--image-bytes 2000] [--key dl-...] [--seed N] [--verbose]');
		return;
	}
	const num = (/** @type {string} */ k, /** @type {number|undefined} */ d) => (a[k] === undefined ? d : Number(a[k]));
	const keys = [DEFAULT_API_KEY, ...(typeof a.key === 'string' ? [a.key] : [])];
	const fake = await startFakeDreamlook({
		port: num('port', 4010),
		host: typeof a.host === 'string' ? a.host : '127.0.0.1',
		clock: { type: 'real', speed: num('speed', 1) },
		timing: { queuedMs: num('queued-ms', 1000), runningMs: num('running-ms', 3000) },
		imageBytes: num('image-bytes', 2000),
		apiKeys: keys,
		seed: a.seed,
		onRequest: a.verbose
			? (/** @type {any} */ e) => console.log(`${e.method} ${e.path} -> ${e.status ?? '(no answer)'}${e.fault ? ` [${e.fault}]` : ''} ${Math.round(e.durationMs)} ms`)
			: null,
	});
	console.log(`fake dreamlook API listening on ${fake.url}`);
	console.log(`demo API key: ${DEFAULT_API_KEY}`);
	console.log(`control: ${fake.url}/__fake/health (see test/fake-dreamlook/README.md)`);
	const stop = async (/** @type {string} */ sig) => {
		console.log(`${sig}: stopping`);
		await fake.close();
		process.exit(0);
	};
	process.once('SIGINT', stop);
	process.once('SIGTERM', stop);
}

main().catch((err) => {
	console.error(err.message);
	process.exit(1);
});
