'use strict';
// A tiny test runner for the e2e drivers in scripts/: named cases with a time bound each, PASS /
// FAIL / SKIP lines as they finish, and a summary whose last line is "N passed, N failed".

const net = require('node:net');

class Skip extends Error {}

function log(msg) {
	process.stdout.write(`${msg}\n`);
}

function assert(cond, msg) {
	if (!cond) throw new Error(msg);
}

/** A free TCP port on loopback. */
function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.unref();
		s.on('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

/**
 * @param {{only?: string[] | null}} [o] only: run the cases whose name contains one of these words
 *   (cases whose name starts with "setup" always run)
 */
function createRunner({ only = null } = {}) {
	/** @type {{name: string, status: 'pass'|'fail'|'skip', ms: number, detail?: string}[]} */
	const results = [];

	async function runCase(name, timeoutMs, fn) {
		if (only && !only.some((o) => name.includes(o)) && !name.startsWith('setup')) return;
		const t0 = Date.now();
		let timer;
		try {
			await Promise.race([
				fn(),
				new Promise((_, reject) => {
					timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs / 1000} s`)), timeoutMs);
				}),
			]);
			results.push({ name, status: 'pass', ms: Date.now() - t0 });
			log(`PASS ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
		} catch (e) {
			if (e instanceof Skip) {
				results.push({ name, status: 'skip', ms: 0, detail: e.message });
				log(`SKIP ${name}: ${e.message}`);
			} else {
				const detail = e && e.stack ? String(e.message) : String(e);
				results.push({ name, status: 'fail', ms: Date.now() - t0, detail });
				log(`FAIL ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s): ${detail}`);
			}
		} finally {
			clearTimeout(timer);
		}
	}

	/** Prints every result and "N passed, N failed" last; returns the number failed. */
	function summary() {
		const passed = results.filter((r) => r.status === 'pass').length;
		const failed = results.filter((r) => r.status === 'fail').length;
		const skipped = results.filter((r) => r.status === 'skip');
		log('');
		for (const r of results) log(`${r.status.toUpperCase().padEnd(4)} ${r.name} (${(r.ms / 1000).toFixed(1)} s)${r.detail && r.status !== 'fail' ? ` (${r.detail})` : ''}`);
		if (skipped.length) log(`skipped (neither passed nor failed): ${skipped.map((s) => `${s.name}: ${s.detail}`).join('; ')}`);
		log(`${passed} passed, ${failed} failed`);
		return failed;
	}

	return { results, runCase, summary };
}

module.exports = { Skip, assert, log, createRunner, freePort };
