#!/usr/bin/env node
// End-to-end test in n8n's queue mode (issue #11): PostgreSQL + Redis, one `n8n start` main and
// two `n8n worker` processes sharing the packed package, binary data in the database.
//
//   node scripts/e2e-queue.js [--only create,legacy,durable,wait] [--no-build] [--keep]
//
// Cases:
//   create   50 items of Create Image Job (Wait + Download) from 10 webhook calls, run by both
//            workers; outputs paired, binaries read back through the main's REST API, 1 job per
//            item at the fake; then the same load on one worker (creates per second, 2 vs 1).
//   legacy / durable   the Dreamlook Trigger published while 200 jobs finish over ~3 minutes; the
//            worker running a trigger execution is SIGKILLed and the main restarted in the middle;
//            every job must be in exactly one execution (read from n8n's PostgreSQL). Once with
//            n8n's legacy poll scheduling, once with the durable scheduler and poll cursors.
//   wait     examples/wait-by-callback.json started by a webhook: the execution waits in n8n's Wait
//            node (saved `waiting`), both workers are SIGKILLed and the main restarted, the fake's
//            delayed callback resumes it on a new worker; a lost callback is picked up at the limit.
//
// Services: see test/e2e/queue-services.js (uses 127.0.0.1:5432 / 6379 when they answer, else
// starts them; leaves them as found). Work dir: .e2e/queue (git-ignored). Uses the n8n runtime of
// scripts/n8n-runtime.js (.n8n-runtime, n8n 2.41.1). Last line: "N passed, N failed".
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const rt = require('./n8n-runtime');
const setup = require('../test/e2e/n8n-setup');
const wt = require('../test/e2e/workflow-tools');
const services = require('../test/e2e/queue-services');
const pgdb = require('../test/e2e/n8n-pg');
const { createRunner, assert, log } = require('../test/e2e/runner');
const { startFakeDreamlook, DEFAULT_API_KEY } = require('../test/fake-dreamlook');

const PROJECT_DIR = rt.PROJECT_DIR;
const WORK = path.join(PROJECT_DIR, '.e2e', 'queue');
const USER_FOLDER = path.join(WORK, 'n8n');
const HOME_DIR = path.join(WORK, 'home');
const WORKFLOW_DIR = path.join(PROJECT_DIR, 'test', 'e2e', 'queue-workflows');

const TOTAL_TIMEOUT_MS = Number(process.env.E2E_QUEUE_TIMEOUT_MS || 35 * 60_000);
const GOOD_CRED = { id: 'e2eDreamlookGood', name: 'Dreamlook (fake API)' };
const OWNER = { email: 'e2e@example.com', password: 'E2e-password-1', firstName: 'E2E', lastName: 'Tester' };
const TRIGGER_NODE = 'Dreamlook Trigger';
const CREATE_WF = 'e2eQueueCreate01';
const WORKER_CONCURRENCY = 2;
const BATCHES = 10;
const ITEMS_PER_BATCH = 5;
const TRIGGER_JOBS = Number(process.env.E2E_QUEUE_TRIGGER_JOBS || 200);
const FINISH_SPAN_MS = Number(process.env.E2E_QUEUE_FINISH_SPAN_MS || 150_000);

/** The durable poll scheduler of n8n 2.41 (off by default there). */
const DURABLE_ENV = {
	N8N_SCHEDULER_ENABLED: 'true',
	N8N_SCHEDULER_POLL_TRIGGERS_ENABLED: 'true',
	N8N_USE_WORKFLOW_PUBLICATION_SERVICE: 'true',
	N8N_POLLER_DURABLE_CURSORS_ENABLED: 'true',
};
const LEGACY_ENV = Object.fromEntries(Object.keys(DURABLE_ENV).map((k) => [k, 'false']));

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const onlyArg = args.find((a) => a.startsWith('--only'));
const only = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1] : args[args.indexOf(onlyArg) + 1]).split(',') : null;
const runner = createRunner({ only });

const state = {
	/** @type {import('../test/fake-dreamlook/fake').FakeDreamlook | null} */ fake: null,
	/** @type {Awaited<ReturnType<typeof services.startPostgres>> | null} */ pg: null,
	/** @type {Awaited<ReturnType<typeof services.startRedis>> | null} */ redis: null,
	/** @type {{stop: Function}[]} */ processes: [],
	setupOk: false,
	/** printed at the end */ measures: /** @type {string[]} */ ([]),
};

// ---------------------------------------------------------------------------------------------
// a queue-mode n8n: database, env, main, workers

/**
 * A fresh database with the credential and the given workflows imported and published.
 * @returns {Promise<{env: Record<string, string>, dbConfig: any, name: string}>}
 */
async function prepareInstance(name, workflows, { modeEnv = {} } = {}) {
	const database = await state.pg.createDatabase(name);
	const dbConfig = { host: state.pg.host, port: state.pg.port, user: state.pg.user, password: state.pg.password, database };
	const env = {
		HOME: HOME_DIR,
		N8N_LOG_LEVEL: 'info',
		EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'all',
		EXECUTIONS_DATA_SAVE_ON_ERROR: 'all',
		N8N_RUNNERS_TASK_TIMEOUT: '120',
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: dbConfig.host,
		DB_POSTGRESDB_PORT: String(dbConfig.port),
		DB_POSTGRESDB_DATABASE: database,
		DB_POSTGRESDB_USER: dbConfig.user,
		DB_POSTGRESDB_PASSWORD: dbConfig.password,
		EXECUTIONS_MODE: 'queue',
		QUEUE_BULL_REDIS_HOST: state.redis.host,
		QUEUE_BULL_REDIS_PORT: String(state.redis.port),
		QUEUE_BULL_PREFIX: `${state.redis.prefix}-${name}`,
		QUEUE_HEALTH_CHECK_ACTIVE: 'true',
		N8N_DEFAULT_BINARY_DATA_MODE: 'database',
		...modeEnv,
	};
	const t0 = Date.now();
	await setup.importCredentials([{ ...GOOD_CRED, type: 'dreamlookApi', data: { apiKey: DEFAULT_API_KEY, baseUrl: state.fake.url } }], {
		userFolder: USER_FOLDER,
		workDir: path.join(WORK, name),
		env,
	});
	const dir = path.join(WORK, name, 'import');
	wt.writeImportDir(dir, workflows);
	await setup.importWorkflowDir(dir, { userFolder: USER_FOLDER, env });
	for (const wf of workflows) await setup.publishWorkflow(wf.id, { userFolder: USER_FOLDER, env });
	log(`  ${name}: database ${database}, imported and published ${workflows.map((w) => w.id).join(', ')} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
	return { env, dbConfig, name };
}

/** Output since a mark, for processes whose whole output is kept. */
function outputSince(proc, mark) {
	return proc.output().slice(mark);
}

/** port: the main's port (a restarted main keeps it, so the resume URLs handed out stay valid). */
async function startMain(instance, label, { port } = {}) {
	port = port ?? (await services.freePort());
	const broker = await services.freePort();
	const t0 = Date.now();
	const main = await rt.startN8n({
		port,
		brokerPort: broker,
		userFolder: USER_FOLDER,
		env: { ...instance.env, WEBHOOK_URL: `http://127.0.0.1:${port}/` },
		logFile: path.join(WORK, `${instance.name}-main-${label}.log`),
		timeoutMs: 180_000,
	});
	state.processes.push(main);
	main.label = `main-${label}`;
	log(`  ${instance.name}: main ${label} ready on ${main.url} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
	return main;
}

async function startWorker(instance, label, concurrency = WORKER_CONCURRENCY) {
	const health = await services.freePort();
	const broker = await services.freePort();
	const worker = await rt.startN8n({
		args: ['worker', `--concurrency=${concurrency}`],
		port: health,
		brokerPort: broker,
		userFolder: USER_FOLDER,
		env: { ...instance.env, QUEUE_HEALTH_CHECK_PORT: String(health) },
		logFile: path.join(WORK, `${instance.name}-worker-${label}.log`),
		wait: false,
	});
	state.processes.push(worker);
	worker.label = `worker-${label}`;
	await rt.waitForPath(worker.url, '/healthz/readiness', { timeoutMs: 180_000, child: worker.child }).catch(async (e) => {
		await worker.stop();
		e.message += `\n--- worker output (tail) ---\n${worker.output().slice(-3000)}`;
		throw e;
	});
	return worker;
}

/** "Worker started execution N" lines of a worker's output (after a mark). */
function startedExecutions(worker, mark = 0) {
	return [...outputSince(worker, mark).matchAll(/Worker started execution (\d+)/g)].map((m) => m[1]);
}

async function stopAll(procs) {
	for (const p of procs) await p.stop().catch(() => {});
}

function rest(base, cookie) {
	return async (urlPath, opts = {}) => {
		const r = await setup.request(`${base}${urlPath}`, { ...opts, headers: { cookie: `n8n-auth=${cookie}`, ...(opts.headers || {}) }, timeoutMs: 30_000 });
		return r;
	};
}

/** GET a binary through the main's REST API (what the editor's execution view does). */
function restBinary(base, cookie, id) {
	const http = require('node:http');
	return new Promise((resolve, reject) => {
		const url = `${base}/rest/binary-data?id=${encodeURIComponent(id)}&action=download`;
		const req = http.get(url, { headers: { cookie: `n8n-auth=${cookie}` }, timeout: 30_000 }, (res) => {
			const chunks = [];
			res.on('data', (d) => chunks.push(d));
			res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, bytes: Buffer.concat(chunks) }));
		});
		req.on('timeout', () => req.destroy(new Error(`timeout: GET ${url}`)));
		req.on('error', reject);
	});
}

function imageIdOf(url) {
	const m = /\/images\/([^/?]+)\.png/.exec(url);
	return m ? m[1] : null;
}

const pairedIndex = (p) => (Array.isArray(p) ? p[0]?.item : p?.item);

// ---------------------------------------------------------------------------------------------
// cases

async function caseSetup() {
	await rt.ensureRuntime();
	assert(rt.N8N_MAJOR >= 2, `the queue e2e runs on n8n 2.x (runtime has ${rt.N8N_VERSION})`);
	fs.rmSync(WORK, { recursive: true, force: true });
	for (const d of [WORK, HOME_DIR]) fs.mkdirSync(d, { recursive: true });

	const packed = await setup.buildAndPack(PROJECT_DIR, path.join(WORK, 'pack'), { build: !flag('--no-build') });
	const installed = await setup.installTarball(packed.tarball, USER_FOLDER);
	log(`  packed ${path.basename(packed.tarball)}, installed once into ${path.relative(PROJECT_DIR, installed)} (main and workers share it)`);

	state.fake = await startFakeDreamlook({
		port: 0,
		host: '127.0.0.1',
		clock: { type: 'real', speed: 1 },
		timing: { queuedMs: 300, runningMs: 2500 },
		imageBytes: 3000,
		quiet: true,
	});
	log(`  fake Dreamlook API on ${state.fake.url}`);

	const t0 = Date.now();
	state.redis = await services.startRedis({ workDir: WORK });
	state.pg = await services.startPostgres();
	log(`  services ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
	state.setupOk = true;
}

/** Fire BATCHES webhook calls of ITEMS_PER_BATCH prompts; wait for their executions; check them all. */
async function runCreateLoad({ instance, main, cookie, workers, label }) {
	const fake = state.fake;
	const db = await pgdb.connect(instance.dbConfig);
	try {
		const before = new Set((await db.executions(CREATE_WF)).map((e) => e.id));
		const reqMark = fake.requests.length;
		const outMarks = workers.map((w) => w.output().length);
		const prompts = [];
		const t0 = Date.now();
		await Promise.all(
			Array.from({ length: BATCHES }, async (_, b) => {
				const batchPrompts = Array.from({ length: ITEMS_PER_BATCH }, (_, i) => `queue ${label} batch ${b} item ${i}`);
				prompts.push(...batchPrompts);
				for (let attempt = 0; ; attempt++) {
					const r = await setup.request(`${main.url}/webhook/dreamlook-queue-create`, { method: 'POST', body: { batch: b, prompts: batchPrompts } });
					if (r.status === 200) return;
					// 404 until the main has registered the production webhook (no execution is created)
					assert(r.status === 404 && attempt < 60, `webhook answered HTTP ${r.status}: ${r.body.slice(0, 300)}`);
					await rt.sleep(500);
				}
			}),
		);
		// wait for BATCHES finished executions
		let execs = [];
		const deadline = Date.now() + 240_000;
		for (;;) {
			execs = (await db.executions(CREATE_WF)).filter((e) => !before.has(e.id));
			const done = execs.filter((e) => e.finished || ['success', 'error', 'crashed', 'canceled'].includes(e.status));
			if (execs.length >= BATCHES && done.length === execs.length) break;
			if (Date.now() > deadline) throw new Error(`after 240 s: ${execs.length} executions, statuses ${execs.map((e) => e.status).join(',')}`);
			await rt.sleep(1000);
		}
		const wall = Date.now() - t0;
		assert(execs.length === BATCHES, `${execs.length} executions for ${BATCHES} webhook calls`);
		const bad = execs.filter((e) => e.status !== 'success');
		assert(bad.length === 0, `executions not successful: ${JSON.stringify(bad.map((e) => ({ id: e.id, status: e.status, error: e.error })))}`);

		// 1 job per item at the fake
		const posts = fake.requests.slice(reqMark).filter((r) => r.method === 'POST' && r.path === '/image_gen');
		const byPrompt = {};
		for (const p of posts) byPrompt[p.body?.prompt] = (byPrompt[p.body?.prompt] || 0) + 1;
		const jobsByPrompt = {};
		for (const j of fake.jobs()) if (prompts.includes(j.config?.prompt)) jobsByPrompt[j.config.prompt] = (jobsByPrompt[j.config.prompt] || 0) + 1;
		for (const p of prompts) {
			assert(byPrompt[p] === 1, `"${p}": ${byPrompt[p] || 0} POST /image_gen, expected 1`);
			assert(jobsByPrompt[p] === 1, `"${p}": ${jobsByPrompt[p] || 0} jobs at the fake, expected 1`);
		}
		assert(posts.length === prompts.length, `${posts.length} creates for ${prompts.length} items`);

		// every output right and paired, binaries read back through the main's REST API
		const api = rest(main.url, cookie);
		let binaries = 0;
		for (const e of execs) {
			const r = await api(`/rest/executions/${e.id}`);
			assert(r.status === 200, `GET /rest/executions/${e.id}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
			const execution = JSON.parse(r.body).data;
			const data = typeof execution.data === 'string' ? pgdb.load('flatted').parse(execution.data) : execution.data;
			const runData = data.resultData.runData;
			const made = runData['Make Items'][0].data.main[0];
			const created = runData['Create Image Job'][0].data.main[0];
			const measured = runData['Measure Images'][0].data.main[0];
			assert(made.length === ITEMS_PER_BATCH && created.length === made.length && measured.length === made.length, `execution ${e.id}: ${made.length} / ${created.length} / ${measured.length} items`);
			for (let k = 0; k < created.length; k++) {
				const item = created[k];
				const where = `execution ${e.id} item ${k}`;
				assert(pairedIndex(item.pairedItem) === k, `${where}: paired with input ${JSON.stringify(item.pairedItem)}`);
				assert(item.json.state === 'success', `${where}: state ${item.json.state}`);
				const job = fake.getJob(item.json.job_id);
				assert(job && job.config.prompt === made[k].json.prompt, `${where}: job ${item.json.job_id} has prompt "${job?.config?.prompt}", the paired input "${made[k].json.prompt}"`);
				assert(measured[k].json.prompt === made[k].json.prompt && measured[k].json.job_id === item.json.job_id, `${where}: downstream saw ${JSON.stringify(measured[k].json).slice(0, 200)}`);
				const urls = item.json.image_urls;
				assert(Array.isArray(urls) && urls.length === 2, `${where}: image_urls ${JSON.stringify(urls)}`);
				for (let j = 0; j < urls.length; j++) {
					const bin = item.binary?.[`data_${j}`];
					assert(bin && bin.id, `${where}: no binary data_${j} (${JSON.stringify(Object.keys(item.binary || {}))})`);
					assert(String(bin.id).startsWith('database:'), `${where}: data_${j} is stored as ${bin.id}, not in the database`);
					const expected = fake.imageBytesFor(imageIdOf(urls[j]));
					const got = await restBinary(main.url, cookie, bin.id);
					assert(got.status === 200, `${where}: GET /rest/binary-data for data_${j}: HTTP ${got.status}`);
					assert(got.bytes.equals(expected), `${where}: data_${j} read from the main has ${got.bytes.length} bytes, not the ${expected.length} the fake served`);
					assert(measured[k].json.images[j].bytes === expected.length && measured[k].json.images[j].isPng, `${where}: the worker's Code node read ${JSON.stringify(measured[k].json.images[j])}`);
					binaries++;
				}
			}
		}

		// who ran what
		const perWorker = workers.map((w, i) => startedExecutions(w, outMarks[i]));
		const ran = perWorker.flat();
		for (const e of execs) assert(ran.includes(e.id), `no worker logged "Worker started execution ${e.id}"`);

		// measures: creates per second (first to last create) and items per second (first create to last end)
		const createTimes = posts.map((p) => new Date(p.at).getTime()).sort((a, b) => a - b);
		const ends = execs.map((e) => new Date(e.stoppedAt).getTime());
		const createSpan = (createTimes.at(-1) - createTimes[0]) / 1000;
		const endSpan = (Math.max(...ends) - createTimes[0]) / 1000;
		const m = {
			label,
			workers: workers.length,
			executionsPerWorker: perWorker.map((p) => p.length),
			createsPerSecond: prompts.length / Math.max(createSpan, 0.001),
			itemsPerSecond: prompts.length / Math.max(endSpan, 0.001),
			createSpan,
			endSpan,
			wall: wall / 1000,
			binaries,
		};
		log(
			`  ${label}: ${execs.length} executions (${m.executionsPerWorker.join(' + ')} per worker), ${prompts.length} items, ${binaries} binaries read via REST; ` +
				`creates ${createSpan.toFixed(1)} s → ${m.createsPerSecond.toFixed(2)}/s; first create to last end ${endSpan.toFixed(1)} s → ${m.itemsPerSecond.toFixed(2)} items/s`,
		);
		return m;
	} finally {
		await db.close();
	}
}

async function caseCreate() {
	if (!state.setupOk) throw new Error('setup failed');
	const wf = wt.prepareWorkflow(wt.readWorkflow(path.join(WORKFLOW_DIR, 'create-batch.json')), { credential: GOOD_CRED });
	const instance = await prepareInstance('create', [wf]);
	const procs = [];
	try {
		const workers = [await startWorker(instance, '1'), await startWorker(instance, '2')];
		procs.push(...workers);
		const main = await startMain(instance, '1');
		procs.push(main);
		const cookie = await setup.ensureOwner(main.url, OWNER);

		const two = await runCreateLoad({ instance, main, cookie, workers, label: 'two workers' });
		assert(two.executionsPerWorker.every((n) => n > 0), `both workers must take part: ${two.executionsPerWorker.join(' + ')} executions`);

		// the same load on one worker process at the same per-worker concurrency
		await workers[1].stop();
		const one = await runCreateLoad({ instance, main, cookie, workers: [workers[0]], label: 'one worker' });
		state.measures.push(
			`creates per second, ${BATCHES} executions × ${ITEMS_PER_BATCH} items, worker concurrency ${WORKER_CONCURRENCY}: ` +
				`2 workers ${two.createsPerSecond.toFixed(2)}/s vs 1 worker ${one.createsPerSecond.toFixed(2)}/s (${(two.createsPerSecond / one.createsPerSecond).toFixed(2)}×); ` +
				`items per second end to end ${two.itemsPerSecond.toFixed(2)} vs ${one.itemsPerSecond.toFixed(2)} (${(two.itemsPerSecond / one.itemsPerSecond).toFixed(2)}×)`,
		);
	} finally {
		await stopAll(procs);
	}
}

/**
 * The Dreamlook Trigger in queue mode while TRIGGER_JOBS jobs finish over FINISH_SPAN_MS; in the
 * middle the worker running a trigger execution is SIGKILLed and the main restarted.
 */
async function caseTrigger(mode) {
	if (!state.setupOk) throw new Error('setup failed');
	const fake = state.fake;
	const wfId = mode === 'durable' ? 'e2eQTrigDurable1' : 'e2eQTrigLegacy01';
	const raw = wt.readWorkflow(path.join(WORKFLOW_DIR, 'trigger.json'));
	const wf = wt.prepareWorkflow(raw, { credential: GOOD_CRED, replacements: { WORKFLOW_ID: wfId, MODE: mode } });
	const instance = await prepareInstance(`trigger_${mode}`, [wf], { modeEnv: mode === 'durable' ? DURABLE_ENV : LEGACY_ENV });

	// jobs that finish later (created now, finished one by one by the test)
	const jobIds = [];
	for (let i = 0; i < TRIGGER_JOBS; i++) {
		jobIds.push(fake.createJob({ config: { prompt: `queue trigger ${mode} ${i}` }, queuedMs: 24 * 3600_000, runningMs: 3600_000 }).job_id);
	}
	const ours = new Set(jobIds);
	const procs = [];
	const db = await pgdb.connect(instance.dbConfig);
	let finisher = null;
	try {
		const workers = [await startWorker(instance, '1'), await startWorker(instance, '2')];
		procs.push(...workers);
		let main = await startMain(instance, '1');
		procs.push(main);
		// Active once the trigger stored its baseline cursor: in the workflow's staticData (legacy
		// scheduling: the activation poll), or in poller_state (the durable scheduler polls on its own schedule).
		const hasCursor = async () => JSON.stringify((mode === 'durable' ? await db.pollerCursor(wfId) : await db.staticData(wfId)) || null).includes('cursor');
		const t0 = Date.now();
		while (!(await hasCursor())) {
			assert(!/durable poll cursors stay disabled/.test(main.output()), `n8n did not enable durable cursors:\n${main.output().slice(-3000)}`);
			assert(Date.now() - t0 < 120_000, `the trigger stored no cursor within 120 s:\n${main.output().slice(-3000)}`);
			await rt.sleep(1000);
		}
		const active = Date.now();
		log(`  ${mode}: trigger active; finishing ${TRIGGER_JOBS} jobs over ${FINISH_SPAN_MS / 1000} s`);

		// finish the jobs at a steady pace
		let finished = 0;
		let stopFinisher = false;
		finisher = (async () => {
			const step = FINISH_SPAN_MS / TRIGGER_JOBS;
			for (let i = 0; i < jobIds.length && !stopFinisher; i++) {
				const due = active + 2000 + i * step;
				if (due > Date.now()) await rt.sleep(due - Date.now());
				fake.finishJob(jobIds[i], 'success');
				finished = i + 1;
			}
		})();

		// chaos: SIGKILL the worker that runs the first trigger execution holding jobs, then restart the main
		const marks = workers.map((w) => w.output().length);
		let killed = null;
		const chaosDeadline = Date.now() + FINISH_SPAN_MS;
		while (!killed) {
			assert(Date.now() < chaosDeadline, 'no trigger execution reached a worker while the jobs finished');
			for (let i = 0; i < workers.length && !killed; i++) {
				const started = startedExecutions(workers[i], marks[i]);
				if (started.length) killed = { worker: workers[i], executionId: started[0] };
			}
			await rt.sleep(100);
		}
		await rt.sleep(1000); // inside the execution's 8 s Wait node
		rt.killGroup(killed.worker.child, 'SIGKILL');
		log(`  ${mode}: SIGKILLed ${killed.worker.label} while it ran execution ${killed.executionId} (${finished} of ${TRIGGER_JOBS} jobs finished)`);
		await rt.sleep(3000);
		const stopAt = Date.now();
		await main.stop();
		const how = main.child.signalCode === 'SIGKILL' ? 'SIGTERM, then SIGKILL after 20 s (it waits for the execution the dead worker held)' : `SIGTERM, exit ${main.child.exitCode ?? main.child.signalCode}`;
		log(`  ${mode}: main stopped in ${((Date.now() - stopAt) / 1000).toFixed(1)} s (${how}); ${finished} finished; down for 20 s`);
		await rt.sleep(20_000);
		main = await startMain(instance, '2');
		procs.push(main);
		log(`  ${mode}: main restarted (${finished} finished)`);
		await finisher;
		finisher = null;
		log(`  ${mode}: all ${TRIGGER_JOBS} jobs finished; waiting for the polls to emit them`);

		// wait until every job is in an execution, then one more poll for late duplicates
		const seenAll = async () => {
			const execs = await db.executions(wfId, TRIGGER_NODE);
			const seen = new Set(execs.flatMap((e) => e.jobIds));
			return { execs, missing: jobIds.filter((id) => !seen.has(id)) };
		};
		let view = await seenAll();
		const deadline = Date.now() + 150_000;
		while (view.missing.length) {
			assert(Date.now() < deadline, `${view.missing.length} jobs in no execution 150 s after the last finished: ${view.missing.slice(0, 5).join(', ')}…`);
			await rt.sleep(2000);
			view = await seenAll();
		}
		const listsBefore = fake.requests.filter((r) => r.method === 'GET' && r.path === '/jobs').length;
		const pollDeadline = Date.now() + 75_000;
		while (fake.requests.filter((r) => r.method === 'GET' && r.path === '/jobs').length === listsBefore && Date.now() < pollDeadline) await rt.sleep(1000);
		await rt.sleep(12_000); // let that poll's execution (8 s Wait) finish
		view = await seenAll();

		const counts = {};
		for (const e of view.execs) for (const id of e.jobIds) counts[id] = (counts[id] || 0) + 1;
		const strangers = Object.keys(counts).filter((id) => !ours.has(id));
		const dup = jobIds.filter((id) => counts[id] > 1);
		const emissions = jobIds.reduce((s, id) => s + (counts[id] || 0), 0);
		const byStatus = {};
		for (const e of view.execs) byStatus[e.status] = (byStatus[e.status] || 0) + 1;
		const killedExec = view.execs.find((e) => e.id === killed.executionId);
		const withJobs = view.execs.filter((e) => e.jobIds.length);
		log(
			`  ${mode}: ${view.execs.length} executions (${JSON.stringify(byStatus)}), ${withJobs.length} with jobs, sizes ${withJobs.map((e) => e.jobIds.length).join(',')}; ` +
				`killed execution ${killed.executionId}: status ${killedExec?.status}, ${killedExec?.jobIds.length} jobs read from its ${killedExec?.source}`,
		);
		state.measures.push(
			`trigger (${mode} poll scheduling), ${TRIGGER_JOBS} jobs, worker SIGKILL + main restart: ${(emissions / TRIGGER_JOBS).toFixed(2)} executions per finished job ` +
				`(${withJobs.length} executions; the killed one is ${killedExec?.status} with ${killedExec?.jobIds.length} jobs)`,
		);
		assert(strangers.length === 0, `emitted jobs that finished before activation or belong to no one: ${strangers.slice(0, 5).join(', ')}`);
		assert(dup.length === 0, `${dup.length} jobs in more than one execution: ${dup.slice(0, 5).map((id) => `${id} ×${counts[id]}`).join(', ')}`);
		assert(jobIds.every((id) => counts[id] === 1), 'a job is in no execution');
		const failed = view.execs.filter((e) => e.id !== killed.executionId && e.status !== 'success');
		assert(failed.length === 0, `executions other than the killed one did not succeed: ${JSON.stringify(failed.map((e) => ({ id: e.id, status: e.status, error: e.error })))}`);
	} finally {
		if (finisher) {
			await finisher.catch(() => {});
		}
		await db.close().catch(() => {});
		await stopAll(procs);
	}
}

const WAIT_EXAMPLE = path.join(PROJECT_DIR, 'examples', 'wait-by-callback.json');
const WAIT_NODES = { get: 'Get Trained Job', generate: 'Generate with Checkpoint', notFinished: 'Training Not Finished' };
/** After the training job ends: long enough for both workers and the main to be restarted first. */
const WAIT_CALLBACK_DELAY_MS = Number(process.env.E2E_QUEUE_CALLBACK_DELAY_MS || 75_000);

/** Items a node output in an execution's stored data (first output of each run). */
function nodeItems(data, node) {
	return (data?.resultData?.runData?.[node] ?? []).flatMap((r) => r?.data?.main?.[0] ?? []);
}

async function untilTrue(what, timeoutMs, fn, everyMs = 500) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await fn();
		if (value) return value;
		if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
		await rt.sleep(everyMs);
	}
}

/**
 * examples/wait-by-callback.json in queue mode, started by a production webhook (the single-process
 * e2e runs the same copies): Train Model sends Callback URL = $execution.resumeUrl, the execution is
 * saved `waiting` in n8n's Wait node; (1) both workers are SIGKILLed and the main restarted (same port)
 * while it waits, then the fake's delayed callback resumes it and a new worker finishes it; (2) the
 * callback is lost and the copy's 5 s wait limit resumes it (the main's wait tracker, every minute).
 * Each run: success, Get Trained Job = the new training job in state success, Generate with Checkpoint
 * 2 images stored in the database.
 */
async function caseWaitByCallback() {
	if (!state.setupOk) throw new Error('setup failed');
	const fake = state.fake;
	const example = wt.prepareWorkflow(wt.readWorkflow(WAIT_EXAMPLE), { credential: GOOD_CRED, pollIntervalSeconds: 1 });
	const copies = {
		restart: wt.webhookStartedCopy(example, { id: 'e2eQWaitCallbk01', path: 'e2e-queue-wait-by-callback' }),
		lost: wt.webhookStartedCopy(example, { id: 'e2eQWaitCallbk02', path: 'e2e-queue-wait-lost-callback', limitSeconds: 5 }),
	};
	const port = await services.freePort();
	// $execution.resumeUrl is built on the worker that runs Train Model, from the worker's own
	// WEBHOOK_URL: main and workers all get the main's address (as behind a proxy)
	const webhookUrl = `http://127.0.0.1:${port}/`;
	const instance = await prepareInstance('wait', [copies.restart.wf, copies.lost.wf], { modeEnv: { WEBHOOK_URL: webhookUrl } });
	const procs = [];
	const db = await pgdb.connect(instance.dbConfig);
	const start = async (suffix) => {
		const [w1, w2, m] = await Promise.all([startWorker(instance, `1${suffix}`), startWorker(instance, `2${suffix}`), startMain(instance, `1${suffix}`, { port })]);
		procs.push(w1, w2, m);
		return { workers: [w1, w2], main: m };
	};
	let n8n = await start('');
	try {
		const run = async (label, copy, callbacks, { whileWaiting } = {}) => {
			fake.setOptions({ callbacks });
			const before = new Set((await db.executions(copy.id)).map((e) => e.id));
			const jobsBefore = new Set(fake.jobs().map((j) => j.job_id));
			const t0 = Date.now();
			await untilTrue(`${label}: the start webhook`, 60_000, async () => {
				const r = await setup.request(`${n8n.main.url}/webhook/${copy.path}`, { method: 'POST', body: {} });
				assert(r.status === 200 || r.status === 404, `${label}: the start webhook answered HTTP ${r.status}: ${r.body.slice(0, 300)}`);
				return r.status === 200; // 404 until the main has registered the production webhook: nothing started
			});
			const execution = async () => (await db.executions(copy.id)).find((e) => !before.has(e.id));
			const waiting = await untilTrue(`${label}: the execution saved as waiting`, 60_000, async () => {
				const e = await execution();
				assert(!e || ['new', 'running', 'waiting'].includes(e.status), `${label}: execution ${e?.id} ended ${e?.status} before waiting: ${e?.error}`);
				return e?.status === 'waiting' ? e : null;
			});
			const trainings = fake.jobs().filter((j) => !jobsBefore.has(j.job_id) && String(j.job_id).startsWith('db_'));
			assert(trainings.length === 1, `${label}: ${trainings.length} training jobs created, expected 1`);
			const training = trainings[0].job_id;
			const callbackUrl = trainings[0].config?.callback;
			assert(callbackUrl?.startsWith(`${webhookUrl}webhook-waiting/${waiting.id}`), `${label}: the training's Callback URL ${callbackUrl} is not execution ${waiting.id}'s resume URL at the main (${webhookUrl})`);
			log(`  ${label}: execution ${waiting.id} waiting ${((Date.now() - t0) / 1000).toFixed(1)} s after the start webhook, training ${training}`);
			const marks = new Map(n8n.workers.map((w) => [w, w.output().length])); // restarted workers start at 0
			if (whileWaiting) await whileWaiting({ training, execution: waiting.id });
			let callbackSeenAt = null;
			const done = await untilTrue(`${label}: the execution finished`, WAIT_CALLBACK_DELAY_MS + 150_000, async () => {
				if (!callbackSeenAt && fake.callbacks.some((c) => c.job_id === training)) callbackSeenAt = Date.now();
				const e = await execution();
				return e && !['new', 'running', 'waiting'].includes(e.status) ? e : null;
			});
			assert(done.status === 'success', `${label}: execution ${done.id} ended ${done.status}: ${done.error}`);
			const got = nodeItems(done.data, WAIT_NODES.get);
			assert(got.length === 1 && got[0].json.job_id === training && got[0].json.state === 'success', `${label}: Get Trained Job output ${JSON.stringify(got.map((i) => i.json)).slice(0, 500)}, expected ${training} in state success`);
			const ran = Object.keys(done.data?.resultData?.runData ?? {});
			assert(ran.includes(WAIT_NODES.generate) && !ran.includes(WAIT_NODES.notFinished), `${label}: nodes run ${ran.join(', ')}`);
			const generated = nodeItems(done.data, WAIT_NODES.generate);
			const binaries = Object.values(generated[0]?.binary ?? {});
			assert(generated.length === 1 && generated[0].json.state === 'success' && binaries.length === 2, `${label}: Generate with Checkpoint output ${JSON.stringify(generated.map((i) => ({ ...i.json, binary: Object.keys(i.binary ?? {}) }))).slice(0, 500)}, expected 2 images`);
			assert(binaries.every((b) => String(b.id).startsWith('database:')), `${label}: images stored as ${binaries.map((b) => b.id).join(', ')}, not in the database`);
			const resumedBy = n8n.workers.filter((w) => startedExecutions(w, marks.get(w) ?? 0).includes(done.id)).map((w) => w.label);
			assert(resumedBy.length === 1, `${label}: execution ${done.id} resumed on ${resumedBy.length} workers (${resumedBy.join(', ')}), expected 1`);
			const sent = fake.callbacks.filter((c) => c.job_id === training);
			const ended = new Date(done.stoppedAt).getTime();
			return { training, execution: done.id, sent, resumedBy: resumedBy[0], endAfterCallbackMs: callbackSeenAt ? ended - callbackSeenAt : null, total: (ended - t0) / 1000 };
		};

		// 1. workers SIGKILLed and the main restarted while the execution waits; the callback comes after
		let restartedAt = 0;
		const restart = await run('restart while waiting', copies.restart, { copies: 1, delayMs: WAIT_CALLBACK_DELAY_MS, jitterMs: 0, early: false }, {
			whileWaiting: async ({ training, execution }) => {
				const t0 = Date.now();
				for (const w of n8n.workers) rt.killGroup(w.child, 'SIGKILL');
				await n8n.main.stop();
				const mainExit = n8n.main.child.signalCode === 'SIGKILL' ? 'SIGKILL after 20 s' : `SIGTERM, exit ${n8n.main.child.exitCode ?? n8n.main.child.signalCode}`;
				await stopAll(n8n.workers);
				n8n = await start('-restarted');
				restartedAt = Date.now();
				const [e] = (await db.executions(copies.restart.id)).filter((x) => x.id === execution);
				assert(e?.status === 'waiting', `execution ${execution} is ${e?.status} after the restart, expected waiting`);
				assert(!fake.callbacks.some((c) => c.job_id === training), `the callback of ${training} came before the restart was over (${((restartedAt - t0) / 1000).toFixed(1)} s): raise E2E_QUEUE_CALLBACK_DELAY_MS`);
				log(`  restart while waiting: both workers SIGKILLed, main stopped (${mainExit}), 2 workers + main up again on port ${port} in ${((restartedAt - t0) / 1000).toFixed(1)} s; execution ${execution} still waiting, no callback yet`);
			},
		});
		const call = restart.sent;
		assert(call.length === 1 && call[0].status === 200, `callback after the restart: ${JSON.stringify(call.map((c) => [c.status, c.error]))}`);
		log(
			`  restart while waiting: ${restart.training}'s callback answered 200 after the restart, execution ${restart.execution} resumed on ${restart.resumedBy} (a restarted worker), success with 2 images; ` +
				`end ${(restart.endAfterCallbackMs / 1000).toFixed(1)} s after the callback, ${restart.total.toFixed(1)} s after the start webhook`,
		);
		assert(restartedAt > 0, 'the restart did not happen');

		// 2. the callback is lost: the copy's 5 s wait limit resumes it (the main's wait tracker), the job is read all the same
		const lost = await run('lost callback', copies.lost, { copies: 0, delayMs: 0, jitterMs: 0, early: false });
		assert(lost.sent.length === 0, `a callback was sent although the fake was told to lose it: ${JSON.stringify(lost.sent)}`);
		log(`  lost callback: ${lost.training}, no callback, resumed by the 5 s wait limit on ${lost.resumedBy}, execution ${lost.execution} success with 2 images ${lost.total.toFixed(1)} s after the start webhook`);
		state.measures.push(
			`wait by callback: execution ended ${(restart.endAfterCallbackMs / 1000).toFixed(1)} s after the callback (after a worker SIGKILL + main restart); ` +
				`lost callback: resumed by the 5 s limit, ended ${lost.total.toFixed(1)} s after the start (wait tracker every 60 s)`,
		);
	} finally {
		fake.setOptions({ callbacks: { copies: 1, delayMs: 0, jitterMs: 0, early: false } });
		await db.close().catch(() => {});
		await stopAll(procs);
	}
}

// ---------------------------------------------------------------------------------------------

async function cleanup() {
	await stopAll(state.processes);
	rt.killAllStarted('SIGKILL');
	if (state.fake) await state.fake.close().catch(() => {});
	if (state.pg) await state.pg.stop().catch((e) => log(`PostgreSQL cleanup: ${e.message}`));
	if (state.redis) await state.redis.stop().catch((e) => log(`Redis cleanup: ${e.message}`));
	state.pg = null;
	state.redis = null;
}

async function main() {
	const started = Date.now();
	const overall = setTimeout(async () => {
		runner.results.push({ name: 'queue e2e total time', status: 'fail', ms: Date.now() - started, detail: `over ${TOTAL_TIMEOUT_MS / 1000} s` });
		log(`FAIL queue e2e total time: over ${TOTAL_TIMEOUT_MS / 1000} s, stopping`);
		await cleanup();
		runner.summary();
		process.exit(1);
	}, TOTAL_TIMEOUT_MS);
	overall.unref();
	for (const sig of ['SIGINT', 'SIGTERM']) {
		process.once(sig, async () => {
			log(`${sig}: stopping`);
			await cleanup();
			process.exit(130);
		});
	}
	try {
		await runner.runCase('setup: provision, build, pack, install once, fake API, PostgreSQL, Redis', 25 * 60_000, caseSetup);
		await runner.runCase('create: 50 items over 2 workers (wait + download), paired, binaries via the main, 1 job per item; then on 1 worker', 12 * 60_000, caseCreate);
		await runner.runCase(`trigger legacy: ${TRIGGER_JOBS} jobs, worker SIGKILL + main restart, exactly one execution per job`, 12 * 60_000, () => caseTrigger('legacy'));
		await runner.runCase(`trigger durable: ${TRIGGER_JOBS} jobs, worker SIGKILL + main restart, exactly one execution per job (durable poll cursors)`, 12 * 60_000, () =>
			caseTrigger('durable'),
		);
		await runner.runCase('wait by callback: examples/wait-by-callback.json waits in n8n\'s Wait node; workers SIGKILLed + main restarted while waiting, resumed by the late callback; a lost callback picked up at the limit', 10 * 60_000, caseWaitByCallback);
	} finally {
		await cleanup();
		if (!flag('--keep')) fs.rmSync(USER_FOLDER, { recursive: true, force: true });
	}
	log('');
	log(`measures (${require('node:os').cpus().length} CPUs, load ${require('node:os').loadavg()[0].toFixed(1)}):`);
	for (const m of state.measures) log(`  ${m}`);
	log(`total ${Math.round((Date.now() - started) / 1000)} s`);
	const failed = runner.summary();
	process.exit(failed ? 1 : 0);
}

main().catch(async (e) => {
	log(`FAIL queue e2e driver: ${e.stack || e}`);
	await cleanup();
	runner.results.push({ name: 'queue e2e driver', status: 'fail', ms: 0, detail: String(e.message) });
	runner.summary();
	process.exit(1);
});
