'use strict';
/**
 * Chaos test of the Dreamlook Trigger, in process: the node runs in n8n-core's PollContext
 * (test/harness) against the fake API over loopback.
 *
 * 10 000 jobs created long before activation finish in random order (many in the same
 * microsecond, some while a poll is paging) over many simulated one-minute polls; 20 % of list
 * requests fail (500, 502, 503, 429, hang-then-drop, malformed and truncated bodies, dropped
 * connections); some polls get a tiny time budget; the node's static data is randomly reloaded
 * from the last saved snapshot (an n8n restart), and some emits lose their save (a crash between
 * the emit and the save). Checks: every job that reached success after activation is emitted,
 * nothing else is, and no job twice except right after a lost save (counted separately).
 *
 * Time is simulated: the fake runs on a manual clock that the trigger reads too (trigger/clock.ts),
 * each request takes 5–60 ms of it (so poll budgets bind), and the transport's retry back-off
 * (`sleep` from n8n-workflow) returns at once, so the test takes seconds, not hours.
 */
jest.mock('n8n-workflow', () => ({
	...jest.requireActual('n8n-workflow'),
	sleep: async () => {},
}));

const { startFakeDreamlook, DEFAULT_API_KEY } = require('../fake-dreamlook');
const { pollOnce } = require('../harness');
const { DreamlookTrigger } = require('../../nodes/Dreamlook/DreamlookTrigger.node');
const { DreamlookApi } = require('../../credentials/DreamlookApi.credentials');
const { rng } = require('./model-list');
const { triggerClock } = require('../../nodes/Dreamlook/trigger/clock');

const JOBS = 10_000;
const PRE_ACTIVATION_JOBS = 300;
const FAULT_RATE = 0.2;
const RELOAD_RATE = 0.1;
const LOST_SAVE_RATE = 0.05;
const TINY_BUDGET_RATE = 0.05;
const SMALL_BUDGET_RATE = 0.25;
const SEED = 20261125;

jest.setTimeout(120_000);

const copy = (value) => JSON.parse(JSON.stringify(value));

test('chaos: 10 000 jobs, 20 % failing requests, reloads and lost saves — every success once', async () => {
	const started = performance.now();
	const random = rng(SEED);
	const fake = await startFakeDreamlook({ clock: 'manual', quiet: true, seed: SEED, maxLoggedRequests: 1000 });
	// The trigger runs on the fake's simulated time (look-back, skew and budgets included).
	const realNow = triggerClock.now;
	triggerClock.now = () => fake.clock.now();
	try {
		// History before activation: finished jobs that must never be emitted.
		fake.seedJobs(PRE_ACTIVATION_JOBS, { queuedMs: 10, runningMs: 10, spacingMs: 1000, each: (i) => ({ outcome: i % 4 ? 'success' : 'failure' }) });
		// The jobs under test: created long ago, still queued until the test ends them.
		const pending = fake.seedJobs(JOBS, { queuedMs: 1e12, runningMs: 1e12, spacingMs: 1 });
		fake.clock.advance(60_000);

		const figures = {
			jobs: JOBS,
			polls: 0,
			failedPolls: 0,
			droppedOverBudget: 0,
			partialPollsAfterError: 0,
			partialPollsForBudget: 0,
			listRequests: 0,
			faultsInjected: 0,
			reloads: 0,
			lostSaves: 0,
			itemsInLostSavePolls: 0,
			duplicatesAfterLostSave: 0,
			maxStateBytes: 0,
			overStateBound: 0,
			maxItemsPerPoll: 0,
			finishedDuringPoll: 0,
			seconds: 0,
		};
		const finished = new Map(); // id -> outcome
		const finishTimes = []; // fake clock, ms
		const finishNow = (id) => {
			const outcome = random() < 0.8 ? 'success' : 'failure';
			fake.finishJob(id, outcome);
			finished.set(id, outcome);
			finishTimes.push(fake.clock.now());
		};
		const takeRandom = () => pending.splice(Math.floor(random() * pending.length), 1)[0];

		const faultsByKind = {};
		const countList = (entry) => {
			figures.listRequests++;
			if (entry.fault) {
				figures.faultsInjected++;
				faultsByKind[entry.fault] = (faultsByKind[entry.fault] ?? 0) + 1;
			}
		};
		fake.setOptions({
			onRequest: (entry) => {
				if (!entry.path.startsWith('/jobs')) return;
				// Each request takes 5–60 ms of simulated time: budgets are spent on the injected clock.
				if (duringPoll) fake.clock.advance(5 + Math.floor(random() * 55));
				if (entry.path !== '/jobs') return;
				countList(entry);
				// Jobs also finish while a poll is paging through the list.
				if (duringPoll && pending.length > 0 && random() < 0.15) {
					const n = 1 + Math.floor(random() * 20);
					for (let k = 0; k < n && pending.length > 0; k++) {
						finishNow(takeRandom());
						figures.finishedDuringPoll++;
					}
				}
			},
		});
		let duringPoll = false;

		const parameters = { event: 'success', jobType: 'all', simplify: true, downloadImages: false };
		const pollWith = (staticData, budgetMs) =>
			pollOnce({
				nodeType: DreamlookTrigger,
				credentialTypes: { dreamlookApi: DreamlookApi },
				credentials: { dreamlookApi: { id: '1', name: 'Dreamlook', data: { apiKey: DEFAULT_API_KEY, baseUrl: fake.url } } },
				parameters,
				staticData,
				getPollBudgetMs: () => budgetMs,
			});

		fake.faults.chaos({
			rate: FAULT_RATE,
			seed: SEED,
			kinds: ['500', '502', '503', '429', 'timeout', 'malformed', 'partial', 'drop'],
			hangMs: 20,
			only: { method: 'GET', path: '/jobs' },
		});

		// Activation: its first poll must succeed (n8n would report the failed activation); n8n
		// saves static data right after activating.
		let memory = {};
		let first;
		for (let attempt = 1; !first; attempt++) {
			try {
				first = await pollWith(memory, 300_000);
			} catch (error) {
				if (attempt > 20) throw error;
				memory = {};
			}
		}
		// Checked outside the retry loop, so that a wrong answer cannot be retried away.
		expect(first.items).toBeNull();
		let saved = copy(memory);

		const emitted = new Map(); // id -> times
		const atRisk = new Map(); // id -> how many polls that emitted it lost their save

		const pollOnceMore = async (afterBurst = false) => {
			figures.polls++;
			// Big backlogs get a short budget half of the time, so sweeps have to resume.
			const draw = afterBurst && random() < 0.5 ? TINY_BUDGET_RATE + (SMALL_BUDGET_RATE - TINY_BUDGET_RATE) / 2 : random();
			const budget =
				draw < TINY_BUDGET_RATE ? 5 + Math.floor(random() * 40) : draw < SMALL_BUDGET_RATE ? 80 + Math.floor(random() * 300) : 300_000;
			duringPoll = true;
			let result;
			try {
				result = await pollWith(memory, budget);
			} catch {
				figures.failedPolls++;
				return;
			} finally {
				duringPoll = false;
			}
			if (result.logs.some((line) => /over its budget/.test(line.message))) figures.droppedOverBudget++;
			if (result.logs.some((line) => /listing jobs failed after/.test(line.message))) figures.partialPollsAfterError++;
			if (result.logs.some((line) => /stopped after .* \(budget\)/.test(line.message))) figures.partialPollsForBudget++;
			const bytes = JSON.stringify(memory).length;
			figures.maxStateBytes = Math.max(figures.maxStateBytes, bytes);
			const ids = result.items ? result.items[0].map((item) => item.json.job_id) : [];
			// State bound: 4 KB plus a few bytes per job emitted recently (inside the look-back
			// window or a read spanning polls) and per unfinished job remembered.
			const recent = finishTimes.filter((at) => at >= fake.clock.now() - 40 * 60_000).length;
			const bound = 4096 + 8 * recent + 16 * (memory.cursor?.open?.length ?? 0);
			if (bytes > bound) figures.overStateBound++;
			if (!result.items) return;
			figures.maxItemsPerPoll = Math.max(figures.maxItemsPerPoll, ids.length);
			for (const id of ids) {
				const times = (emitted.get(id) ?? 0) + 1;
				emitted.set(id, times);
				if (times > 1) {
					if (!atRisk.has(id)) throw new Error(`job ${id} emitted twice without a lost save`);
					figures.duplicatesAfterLostSave++;
				}
			}
			if (random() < LOST_SAVE_RATE) {
				// Crash between the emit and the save: n8n comes back with the previous snapshot.
				figures.lostSaves++;
				figures.itemsInLostSavePolls += ids.length;
				ids.forEach((id) => atRisk.set(id, (atRisk.get(id) ?? 0) + 1));
				memory = copy(saved);
			} else {
				saved = copy(memory);
			}
		};

		while (pending.length > 0) {
			// A minute of Dreamlook activity: usually tens of jobs, sometimes a burst of hundreds.
			const burst = random() < 0.03 ? 300 + Math.floor(random() * 1200) : Math.floor(random() * 100);
			for (let k = 0; k < burst && pending.length > 0; k++) {
				finishNow(takeRandom());
				// About half the jobs share their microsecond with the previous one.
				if (random() < 0.5) fake.clock.advance(0.001);
			}
			fake.clock.advance(60_000);
			await pollOnceMore(burst >= 300);
			if (random() < RELOAD_RATE) {
				figures.reloads++;
				memory = copy(saved);
			}
		}

		// Quiet period: the faults stop; the trigger catches up and then idles.
		fake.faults.chaos(null);
		let quietPolls = 0;
		for (let quiet = 0; quiet < 200 && quietPolls < 45; quiet++) {
			fake.clock.advance(60_000);
			const before = emitted.size;
			await pollOnceMore();
			quietPolls = emitted.size === before && !memory.cursor?.sweep ? quietPolls + 1 : 0;
		}

		const successes = [...finished].filter(([, outcome]) => outcome === 'success').map(([id]) => id);
		const missing = successes.filter((id) => !emitted.has(id));
		const unexpected = [...emitted.keys()].filter((id) => finished.get(id) !== 'success');
		// A job may come again once per lost save of a poll that emitted it, never more.
		const duplicatedWithoutLostSave = [...emitted].filter(([id, times]) => times - 1 > (atRisk.get(id) ?? 0));
		figures.seconds = Math.round((performance.now() - started) / 100) / 10;

		console.log(
			`Dreamlook Trigger chaos figures\n${Object.entries({
				...figures,
				successes: successes.length,
				failuresNotEmitted: finished.size - successes.length,
				emittedDistinct: emitted.size,
				missing: missing.length,
				unexpected: unexpected.length,
				duplicatedWithoutLostSave: duplicatedWithoutLostSave.length,
				finalStateBytes: JSON.stringify(memory).length,
				finalStateParts: JSON.stringify(Object.fromEntries(Object.entries(memory.cursor ?? {}).map(([k, v]) => [k, JSON.stringify(v).length]))),
				faultsByKind: JSON.stringify(faultsByKind),
			})
				.map(([key, value]) => `  ${key.padEnd(26)} ${value}`)
				.join('\n')}`,
		);

		expect(finished.size).toBe(JOBS);
		expect(missing).toEqual([]);
		expect(unexpected).toEqual([]);
		expect(duplicatedWithoutLostSave).toEqual([]);
		expect(figures.failedPolls).toBeGreaterThan(0);
		expect(figures.partialPollsForBudget).toBeGreaterThan(0);
		expect(figures.overStateBound).toBe(0);
		// Idle again (40 minutes after the last job the window has moved past it): small state.
		expect(JSON.stringify(memory).length).toBeLessThanOrEqual(4096);
	} finally {
		triggerClock.now = realNow;
		await fake.close();
	}
});
