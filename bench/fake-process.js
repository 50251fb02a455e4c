'use strict';
// The fake Dreamlook API in a child process, driven over IPC. Benchmarks measure the node's
// process (time, memory), so the server's CPU and its cached image bytes must live elsewhere,
// as the real API does.
//
//   const fake = await startFakeProcess({ latencyMs: 100, imageBytes: 2_000_000 });
//   fake.url; await fake.call('setMaxInFlight', 10, { retryAfter: 1 }); await fake.get('stats');
//   await fake.close();
const path = require('node:path');
const { fork } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');

/** @param {Record<string, unknown>} options startFakeDreamlook options (clock is always real) */
async function startFakeProcess(options = {}) {
	const child = fork(__filename, ['--child'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
	let nextId = 1;
	const pending = new Map();
	child.on('message', (message) => {
		const entry = pending.get(message.id);
		if (!entry) return;
		pending.delete(message.id);
		if (message.error) entry.reject(new Error(`fake process: ${message.error}`));
		else entry.resolve(message.value);
	});
	child.on('exit', (code) => {
		for (const entry of pending.values()) entry.reject(new Error(`fake process exited (${code})`));
		pending.clear();
	});
	const send = (op, name, args = []) =>
		new Promise((resolve, reject) => {
			const id = nextId++;
			pending.set(id, { resolve, reject });
			child.send({ id, op, name, args });
		});
	const url = await send('start', null, [options]);
	return {
		url,
		pid: child.pid,
		/** Calls a method of the fake (or a bench helper below) and returns its JSON-able result. */
		call: (name, ...args) => send('call', name, args),
		/** Reads a property of the fake (stats, requests, ...). */
		get: (name) => send('get', name),
		close: async () => {
			await send('close', null).catch(() => undefined);
			child.disconnect();
		},
	};
}

// ---- child side -------------------------------------------------------------------------

async function childMain() {
	const { startFakeDreamlook } = require(path.join(ROOT, 'test/fake-dreamlook'));
	let fake;
	/** Bench helpers that need the fake's internals. */
	const helpers = {
		/** Planned running time per prompt (ms), for jobs created over HTTP from now on. */
		setRunningMsByPrompt(map) {
			const original = fake.__originalCreateStoredJob ?? fake.createStoredJob.bind(fake);
			fake.__originalCreateStoredJob = original;
			fake.createStoredJob = (o) => {
				const runningMs = map[o.config?.prompt];
				return original(runningMs === undefined ? o : { ...o, runningMs });
			};
		},
		/** Every job: id, prompt and the epoch ms at which it ends. */
		jobEnds() {
			return fake.store.all.map((job) => ({ id: job.id, prompt: job.config.prompt, endMs: fake.store.endUs(job) / 1000, createdMs: job.createdUs / 1000 }));
		},
		/** Jobs by prompt (duplicates, missing). */
		promptCounts() {
			const counts = {};
			for (const job of fake.store.all) counts[job.config.prompt] = (counts[job.config.prompt] ?? 0) + 1;
			return counts;
		},
		/** Request log without bodies (smaller over IPC). */
		requestLog() {
			return fake.requests.map(({ method, path: p, status, at, durationMs, fault }) => ({ method, path: p, status, at, durationMs, fault }));
		},
	};
	process.on('message', async (message) => {
		const reply = (value, error) => process.send({ id: message.id, value, error });
		try {
			if (message.op === 'start') {
				fake = await startFakeDreamlook({ quiet: true, ...message.args[0], clock: 'real' });
				return reply(fake.url);
			}
			if (message.op === 'close') {
				await fake.close();
				reply(true);
				return setImmediate(() => process.exit(0));
			}
			if (message.op === 'get') return reply(JSON.parse(JSON.stringify(fake[message.name] ?? null)));
			const target = helpers[message.name] ? helpers : fake;
			const value = await target[message.name](...message.args);
			return reply(value === undefined || typeof value === 'object' ? JSON.parse(JSON.stringify(value ?? null)) : value);
		} catch (error) {
			return reply(undefined, error.message);
		}
	});
	process.on('disconnect', () => process.exit(0));
}

if (require.main === module && process.argv.includes('--child')) childMain();

module.exports = { startFakeProcess };
