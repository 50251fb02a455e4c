'use strict';
/**
 * Chaos test of the Dreamlook Trigger against a MISBEHAVING server, in process: the node runs in
 * n8n-core's PollContext (test/harness) against the fake API over loopback, on the fake's
 * simulated clock (test/fake-dreamlook: list misbehaviours).
 *
 * Over about 100 simulated one-minute polls the server lists jobs by update time, by creation
 * time (order_by ignored) or in no order at all, reshuffles equal timestamps on every request,
 * sometimes leaves out `total`; jobs end dated in the future or up to 5 minutes in the past (a
 * clock stepping back), become visible in the list up to 5 minutes late, or carry no
 * state_updated; long trainings created before activation end deep in a creation-ordered list;
 * new jobs are created and end between polls. 10 % of requests fail; list requests take 50–400
 * ms of simulated time and some polls get a budget of 1–3 s of it (so reads stop and resume);
 * the static data is reloaded from the last save at random and some emits lose their save.
 *
 * Each misbehaviour is asserted to have happened. The oracle is the fake's own job store (every
 * job that is in state success at the end and was not finished before activation), independent
 * of the cursor: 0 missed, 0 unexpected, duplicates only for jobs whose emit lost its save.
 */
jest.mock('n8n-workflow', () => ({
	...jest.requireActual('n8n-workflow'),
	sleep: async () => {},
}));

const { startFakeDreamlook, DEFAULT_API_KEY } = require('../fake-dreamlook');
const { pollOnce } = require('../harness');
const { DreamlookTrigger } = require('../../nodes/Dreamlook/DreamlookTrigger.node');
const { DreamlookApi } = require('../../credentials/DreamlookApi.credentials');
const { triggerClock } = require('../../nodes/Dreamlook/trigger/clock');
const { rng } = require('./model-list');

const SEED = 20261202;
const PENDING = 400; // + 40 trainings: under the 500 unfinished jobs the trigger remembers
const TRAININGS = 40;
const HISTORY = 300;
const FAULT_RATE = 0.1;
const RELOAD_RATE = 0.1;
const LOST_SAVE_RATE = 0.05;
const MINUTE = 60_000;

jest.setTimeout(180_000);

const copy = (value) => JSON.parse(JSON.stringify(value));

// Both of n8n's poll modes: classic (static data kept in memory, saved with an emit) and durable
// cursors (a per-poll copy committed with the execution or on an empty poll; test/harness/poll.js).
test.each([['classic'], ['durable cursors']])('chaos (%s): a misbehaving server (orders, ties, skew, lag, undated jobs, no total) — every success once', async (mode) => {
	const durableCursors = mode === 'durable cursors';
	const random = rng(SEED);
	const fake = await startFakeDreamlook({ clock: 'manual', quiet: true, seed: SEED, maxLoggedRequests: 2000 });
	const realNow = triggerClock.now;
	triggerClock.now = () => fake.clock.now();
	try {
		const history = fake.seedJobs(HISTORY, { queuedMs: 10, runningMs: 10, spacingMs: 1000, createdAt: fake.clock.now() - 2 * 3600_000 });
		// Long trainings created before activation, and image jobs waiting in the queue.
		const trainings = fake.seedJobs(TRAININGS, { job_type: 'dreambooth', queuedMs: 1e12, runningMs: 1e12, spacingMs: 10, createdAt: fake.clock.now() - 3600_000 });
		const pending = [...trainings, ...fake.seedJobs(PENDING, { queuedMs: 1e12, runningMs: 1e12, spacingMs: 100, createdAt: fake.clock.now() - 1800_000 })];
		fake.clock.advance(MINUTE);

		const seen = {
			pollsByOrder: { honour: 0, created: 0, unordered: 0 },
			unstableTiePolls: 0,
			noTotalPolls: 0,
			futureDated: 0,
			steppedBack: 0,
			lagging: 0,
			undated: 0,
			trainingsEndedInCreatedOrder: 0,
			newJobs: 0,
			unorderedWarnings: 0,
			budgetStops: 0,
			lookups: 0,
			listRequests: 0,
			faults: 0,
			failedPolls: 0,
			reloads: 0,
			lostSaves: 0,
			duplicatesAfterLostSave: 0,
			maxStateBytes: 0,
			openDropped: 0,
			commits: { 'with-execution': 0, 'cursor-only': 0 },
		};
		let phase = 'honour';
		const how = new Map();
		let duringPoll = false;
		fake.setOptions({
			onRequest: (entry) => {
				if (!entry.path.startsWith('/jobs')) return;
				if (entry.fault) seen.faults++;
				if (entry.path === '/jobs') seen.listRequests++;
				else if (entry.method === 'GET') seen.lookups++;
				// Each request takes 50–400 ms of simulated time: the poll budget is spent on it.
				if (duringPoll) fake.clock.advance(50 + Math.floor(random() * 350));
			},
		});

		const finishOne = () => {
			const id = pending.splice(Math.floor(random() * pending.length), 1)[0];
			const outcome = random() < 0.8 ? 'success' : 'failure';
			const r = random();
			const opts = {};
			if (r < 0.05) {
				opts.stateUpdatedShiftMs = random() < 0.5 ? 3600_000 : Date.UTC(2099, 0, 1) - fake.clock.now();
				seen.futureDated++;
			} else if (r < 0.15) {
				opts.stateUpdatedShiftMs = -Math.floor(MINUTE + random() * 4 * MINUTE);
				seen.steppedBack++;
			} else if (r < 0.25) {
				opts.visibleAfterMs = Math.floor(30_000 + random() * 4.5 * MINUTE);
				seen.lagging++;
			} else if (r < 0.28) {
				opts.noStateUpdated = true;
				seen.undated++;
			}
			if (phase === 'created' && trainings.includes(id)) seen.trainingsEndedInCreatedOrder++;
			fake.finishJob(id, outcome, opts);
			how.set(id, { ...opts, phase, at: fake.clock.now(), training: trainings.includes(id) });
		};

		const parameters = { event: 'success', jobType: 'all', simplify: true, downloadImages: false };
		const pollWith = (staticData, budgetMs) =>
			pollOnce({
				nodeType: DreamlookTrigger,
				credentialTypes: { dreamlookApi: DreamlookApi },
				credentials: { dreamlookApi: { id: '1', name: 'Dreamlook', data: { apiKey: DEFAULT_API_KEY, baseUrl: fake.url } } },
				parameters,
				staticData,
				getPollBudgetMs: () => budgetMs,
				durableCursors,
			});

		// Activation, without faults (n8n would report a failed activation); saved right after.
		let memory = {};
		const first = await pollWith(memory, 600_000);
		expect(first.items).toBeNull();
		let saved = copy(memory);
		fake.faults.chaos({ rate: FAULT_RATE, seed: SEED, kinds: ['500', '502', '503', '429', 'malformed', 'partial', 'drop'], only: { method: 'GET', path: '/jobs' } });

		const emitted = new Map();
		const atRisk = new Map();
		const pollOnceMore = async (budgetMs) => {
			duringPoll = true;
			let result;
			try {
				result = await pollWith(memory, budgetMs);
			} catch {
				seen.failedPolls++;
				return;
			} finally {
				duringPoll = false;
			}
			if (result.logs.some((line) => line.level === 'warn' && /no usable order/.test(line.message))) seen.unorderedWarnings++;
			if (result.logs.some((line) => /stopped after .* \(budget\)/.test(line.message))) seen.budgetStops++;
			if (result.logs.some((line) => /no longer re-checked/.test(line.message))) seen.openDropped++;
			if (result.committed) seen.commits[result.committed]++;
			seen.maxStateBytes = Math.max(seen.maxStateBytes, JSON.stringify(memory).length);
			if (!result.items) return;
			const ids = result.items[0].map((item) => item.json.job_id);
			for (const id of ids) {
				const times = (emitted.get(id) ?? 0) + 1;
				emitted.set(id, times);
				if (times > 1) {
					if (!atRisk.has(id)) throw new Error(`job ${id} emitted twice without a lost save`);
					seen.duplicatesAfterLostSave++;
				}
			}
			if (random() < LOST_SAVE_RATE) {
				seen.lostSaves++;
				ids.forEach((id) => atRisk.set(id, (atRisk.get(id) ?? 0) + 1));
				memory = copy(saved);
			} else {
				saved = copy(memory);
			}
		};

		const phases = ['honour', 'created', 'unordered', 'honour', 'created'];
		for (let minute = 0; pending.length > 0 || minute < 100; minute++) {
			phase = phases[Math.min(phases.length - 1, Math.floor(minute / 20))];
			const tieOrder = random() < 0.5 ? 'unstable' : 'stable';
			const listTotal = random() < 0.7;
			fake.setOptions({ listOrder: phase, tieOrder, listTotal });
			seen.pollsByOrder[phase]++;
			if (tieOrder === 'unstable') seen.unstableTiePolls++;
			if (!listTotal) seen.noTotalPolls++;
			// A minute of activity: old jobs end (often several in one microsecond) and new ones
			// are created; some of those end before the next poll.
			const ending = Math.min(pending.length, Math.floor(random() * 10));
			for (let k = 0; k < ending; k++) {
				finishOne();
				if (random() < 0.5) fake.clock.advance(0.001);
			}
			for (let k = 0; k < 10; k++) {
				fake.createJob({ queuedMs: 1000, runningMs: 5000 + Math.floor(random() * 8 * MINUTE), ...(random() < 0.2 ? { outcome: 'failure' } : {}) });
				seen.newJobs++;
			}
			fake.clock.advance(MINUTE);
			// Once in a while the first list request fails both attempts: the poll fails (and, with
			// durable cursors, commits nothing).
			if (minute % 25 === 10) fake.faults.add({ path: '/jobs', times: 2, action: { status: 503 } });
			await pollOnceMore(random() < 0.3 ? 1000 + Math.floor(random() * 2000) : 300_000);
			if (random() < RELOAD_RATE) {
				seen.reloads++;
				memory = copy(saved);
			}
		}

		// Quiet: faults stop and the server behaves; the trigger catches up.
		fake.faults.chaos(null);
		fake.setOptions({ listOrder: 'honour', tieOrder: 'stable', listTotal: true });
		for (let quiet = 0; quiet < 20; quiet++) {
			fake.clock.advance(MINUTE);
			await pollOnceMore(300_000);
		}

		// The oracle: the fake's own store.
		const historySet = new Set(history);
		const successes = fake
			.jobs()
			.filter((job) => job.state === 'success' && !historySet.has(job.job_id))
			.map((job) => job.job_id);
		const successSet = new Set(successes);
		const missing = successes.filter((id) => !emitted.has(id));
		const unexpected = [...emitted.keys()].filter((id) => !successSet.has(id));
		const duplicatedWithoutLostSave = [...emitted].filter(([id, times]) => times - 1 > (atRisk.get(id) ?? 0));
		console.log(
			`Dreamlook Trigger chaos (misbehaving server, ${mode})\n${Object.entries({
				...seen,
				pollsByOrder: JSON.stringify(seen.pollsByOrder),
				commits: JSON.stringify(seen.commits),
				successes: successes.length,
				emittedDistinct: emitted.size,
				missing: missing.length,
				unexpected: unexpected.length,
				duplicatedWithoutLostSave: duplicatedWithoutLostSave.length,
				finalStateBytes: JSON.stringify(memory).length,
			})
				.map(([key, value]) => `  ${key.padEnd(30)} ${value}`)
				.join('\n')}`,
		);

		if (missing.length > 0) console.log(JSON.stringify(missing.slice(0, 40).map((id) => ({ id, ...(how.get(id) ?? { fresh: true }), state_updated: fake.getJob(id).state_updated }))));
		// Every misbehaviour happened in this run.
		expect(seen.pollsByOrder.created).toBeGreaterThan(0);
		expect(seen.pollsByOrder.unordered).toBeGreaterThan(0);
		expect(seen.unstableTiePolls).toBeGreaterThan(0);
		expect(seen.noTotalPolls).toBeGreaterThan(0);
		expect(seen.futureDated).toBeGreaterThan(0);
		expect(seen.steppedBack).toBeGreaterThan(0);
		expect(seen.lagging).toBeGreaterThan(0);
		expect(seen.undated).toBeGreaterThan(0);
		expect(seen.trainingsEndedInCreatedOrder).toBeGreaterThan(0);
		expect(seen.unorderedWarnings).toBeGreaterThan(0);
		expect(seen.budgetStops).toBeGreaterThan(0);
		expect(seen.lookups).toBeGreaterThan(0);
		expect(seen.faults).toBeGreaterThan(0);
		expect(seen.failedPolls).toBeGreaterThan(0);
		expect(seen.openDropped).toBe(0);
		if (durableCursors) {
			// The durable commit path really ran: with executions and cursor-only on empty polls.
			expect(seen.commits['with-execution']).toBeGreaterThan(0);
			expect(seen.commits['cursor-only']).toBeGreaterThan(0);
		}
		// The outcome.
		expect(successes.length).toBeGreaterThan(800);
		expect(missing).toEqual([]);
		expect(unexpected).toEqual([]);
		expect(duplicatedWithoutLostSave).toEqual([]);
	} finally {
		triggerClock.now = realNow;
		await fake.close();
	}
});
