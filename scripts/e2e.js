#!/usr/bin/env node
// End-to-end test in a real n8n (issue #4):
//   build + npm pack + install the tarball into a fresh n8n user folder, start the fake Dreamlook
//   API on loopback, import a credential and the workflows of test/e2e/workflows and examples/,
//   `n8n execute` them, publish the trigger workflow and run `n8n start` across a restart
//   (asserting from n8n's own database), and open the editor in headless Chromium.
//
//   node scripts/e2e.js [--only a,b] [--no-build] [--no-browser] [--keep]
//
// Provisions n8n with scripts/n8n-runtime.js first (a few minutes, once). Everything it makes
// lives in .e2e/ (git-ignored); the editor screenshot is .e2e/screenshots/editor.png.
// E2E_N8N_VERSION=1.123.81 runs it against that n8n instead (runtime .n8n-runtime/n8n-<version>,
// work dir .e2e/run-n8n-<version>, screenshots .e2e/screenshots-n8n-<version>).
// Last line: "N passed, N failed". Exit code 0 only when nothing failed.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

if (process.env.E2E_N8N_VERSION) process.env.N8N_RUNTIME_N8N_VERSION = process.env.E2E_N8N_VERSION;
const rt = require('./n8n-runtime');
const setup = require('../test/e2e/n8n-setup');
const wt = require('../test/e2e/workflow-tools');
const { Skip, assert, log, createRunner, freePort } = require('../test/e2e/runner');
const { startFakeDreamlook, DEFAULT_API_KEY, startRecorder } = require('../test/fake-dreamlook');

const PROJECT_DIR = rt.PROJECT_DIR;
const E2E_DIR = path.join(PROJECT_DIR, '.e2e');
const OTHER_VERSION = rt.N8N_VERSION === rt.DEFAULT_N8N_VERSION ? '' : `-n8n-${rt.N8N_VERSION}`;
const WORK = path.join(E2E_DIR, `run${OTHER_VERSION}`);
const USER_FOLDER = path.join(WORK, 'n8n');
const HOME_DIR = path.join(WORK, 'home');
const FILES_DIR = path.join(WORK, 'files'); // where example workflows may write
const SCREENSHOT_DIR = path.join(E2E_DIR, `screenshots${OTHER_VERSION}`);
const WORKFLOW_DIR = path.join(PROJECT_DIR, 'test', 'e2e', 'workflows');
const EXAMPLES_DIR = path.join(PROJECT_DIR, 'examples');
const TRIGGER_DIST = path.join(PROJECT_DIR, 'dist', 'nodes', 'Dreamlook', 'DreamlookTrigger.node.js');

const TOTAL_TIMEOUT_MS = Number(process.env.E2E_TIMEOUT_MS || 30 * 60_000);
const GOOD_CRED = { id: 'e2eDreamlookGood', name: 'Dreamlook (fake API)' };
const BAD_CRED = { id: 'e2eDreamlookBad1', name: 'Dreamlook (wrong key)' };
const WRONG_KEY = 'dl-ffffffffffffffffffffffffffffffff';
const OWNER = { email: 'e2e@example.com', password: 'E2e-password-1', firstName: 'E2E', lastName: 'Tester' };

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const onlyArg = args.find((a) => a.startsWith('--only'));
const only = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1] : args[args.indexOf(onlyArg) + 1]).split(',') : null;

/** Env for every n8n process of this run. */
const N8N_ENV = {
	HOME: HOME_DIR,
	N8N_RESTRICT_FILE_ACCESS_TO: FILES_DIR,
	N8N_LOG_LEVEL: process.env.E2E_N8N_LOG_LEVEL || 'info',
	EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'all',
	EXECUTIONS_DATA_SAVE_ON_ERROR: 'all',
	N8N_RUNNERS_TASK_TIMEOUT: '120',
};

// ---------------------------------------------------------------------------------------------
// test runner (test/e2e/runner.js, shared with scripts/e2e-queue.js)

const { results, runCase, summary } = createRunner({ only });
const state = {
	/** @type {import('../test/fake-dreamlook/fake').FakeDreamlook | null} */ fake: null,
	/** jobs seeded for Get Job / continue-on-fail */ finishedImageJobId: '',
	/** @type {{stop: Function}[]} */ servers: [],
	setupOk: false,
	triggerBuilt: false,
	exampleWorkflows: /** @type {any[]} */ ([]),
	/** agent example id → the workflow that runs its first Dreamlook tool without an LLM */
	toolRunners: /** @type {Record<string, any>} */ ({}),
	/** examples/wait-by-callback.json: its file and two copies started by a webhook */
	waitByCallback: /** @type {any} */ (null),
	/** trigger workflows to publish, per poll-scheduler mode: [{id, saveDir?, file?}] */
	triggerSets: /** @type {{classic: any[], durable: any[]}} */ ({ classic: [], durable: [] }),
};

/**
 * n8n 2.41's durable poll scheduler (off by default there, on by default from about 2.45): the
 * trigger's static data is a per-poll copy, committed with the execution it started.
 */
const DURABLE_SCHEDULER_ENV = {
	N8N_SCHEDULER_ENABLED: 'true',
	N8N_SCHEDULER_POLL_TRIGGERS_ENABLED: 'true',
	N8N_USE_WORKFLOW_PUBLICATION_SERVICE: 'true',
	N8N_POLLER_DURABLE_CURSORS_ENABLED: 'true',
};

/** The id of a trigger workflow's copy for the durable-cursor run (same length, distinct). */
function durableCopyId(id) {
	return `${id.slice(0, Math.max(1, id.length - 3))}Dur`;
}

/** Two consecutive free ports (n8n port + its task broker port). */
async function freePorts() {
	return [await freePort(), await freePort()];
}

// ---------------------------------------------------------------------------------------------
// n8n helpers

async function execute(workflowId, timeoutMs = 150_000) {
	const r = await rt.runN8n(['execute', `--id=${workflowId}`, '--rawOutput'], {
		userFolder: USER_FOLDER,
		env: N8N_ENV,
		timeoutMs,
		brokerPort: await freePort(),
	});
	const run = setup.parseExecuteOutput(r.stdout);
	const text = `${r.stdout}\n${r.stderr}`;
	fs.writeFileSync(path.join(WORK, `execute-${workflowId}.log`), text);
	return { ...r, run, text };
}

function expectSuccess(r, what) {
	assert(!r.timedOut, `${what}: n8n execute timed out`);
	assert(r.code === 0 && r.run, `${what}: n8n execute exited ${r.code}:\n${r.text.slice(-3000)}`);
	assert(r.run.status === 'success' || r.run.finished === true, `${what}: run status ${r.run.status}`);
}

function items(r, node) {
	const out = setup.nodeItems(r.run, node);
	assert(Array.isArray(out), `node "${node}" produced no output; ran: ${Object.keys(r.run?.data?.resultData?.runData ?? {}).join(', ')}`);
	return out;
}

function imageIdOf(url) {
	const m = /\/images\/([^/?]+)\.png/.exec(url);
	return m ? m[1] : null;
}

/** Every image of a job as the fake serves it. */
function fakeImagesOf(jobId) {
	const job = state.fake.getJob(jobId);
	assert(job, `the fake has no job ${jobId}`);
	return (job.image_gen_results ?? []).flatMap((r) => r.generated_images ?? []);
}

function postsSince(startIndex, pathName) {
	return state.fake.requests.slice(startIndex).filter((r) => r.method === 'POST' && r.path === pathName);
}

async function readDb(workflowId, triggerNodeName) {
	const r = await rt.run(
		rt.NODE24,
		[path.join(PROJECT_DIR, 'test', 'e2e', 'n8n-db.js'), path.join(USER_FOLDER, '.n8n', 'database.sqlite'), workflowId, triggerNodeName],
		{ env: { ...process.env, N8N_PACKAGE_DIR: path.dirname(path.dirname(rt.N8N_BIN)) }, timeoutMs: 30_000 },
	);
	assert(r.code === 0, `reading n8n's database failed: ${r.stderr}`);
	return JSON.parse(r.stdout);
}

// ---------------------------------------------------------------------------------------------
// cases

async function caseSetup() {
	await rt.ensureRuntime();
	fs.rmSync(WORK, { recursive: true, force: true });
	for (const d of [WORK, HOME_DIR, FILES_DIR, SCREENSHOT_DIR]) fs.mkdirSync(d, { recursive: true });

	// 1. what users get: build, pack, install the tarball the way n8n installs community packages
	const packed = await setup.buildAndPack(PROJECT_DIR, path.join(WORK, 'pack'), { build: !flag('--no-build') });
	for (const f of ['package.json', 'dist/nodes/Dreamlook/Dreamlook.node.js', 'dist/credentials/DreamlookApi.credentials.js']) {
		assert(packed.files.includes(f), `the packed tarball lacks ${f}`);
	}
	assert(!packed.files.some((f) => /^(nodes|credentials|test)\//.test(f)), 'the tarball ships source or tests');
	const installed = await setup.installTarball(packed.tarball, USER_FOLDER);
	state.triggerBuilt = fs.existsSync(path.join(installed, 'dist', 'nodes', 'Dreamlook', 'DreamlookTrigger.node.js'));
	log(`  packed ${path.basename(packed.tarball)} (${packed.files.length} files), installed into ${path.relative(PROJECT_DIR, installed)}`);

	// 2. the fake Dreamlook API, real clock, short job timings
	state.fake = await startFakeDreamlook({
		port: 0,
		host: '127.0.0.1',
		clock: { type: 'real', speed: 1 },
		timing: { queuedMs: 300, runningMs: 1200 },
		imageBytes: 3000,
		quiet: true,
	});
	log(`  fake Dreamlook API on ${state.fake.url}`);
	const finished = state.fake.createJob({ config: { prompt: 'a finished job for Get Job', num_samples: 2 } });
	state.fake.finishJob(finished.job_id, 'success');
	state.finishedImageJobId = finished.job_id;

	// 3. credentials (plain data: n8n encrypts on import) and workflows
	await setup.importCredentials(
		[
			{ ...GOOD_CRED, type: 'dreamlookApi', data: { apiKey: DEFAULT_API_KEY, baseUrl: state.fake.url } },
			{ ...BAD_CRED, type: 'dreamlookApi', data: { apiKey: WRONG_KEY, baseUrl: state.fake.url } },
		],
		{ userFolder: USER_FOLDER, workDir: WORK, env: N8N_ENV },
	);
	const replacements = { FINISHED_IMAGE_JOB_ID: state.finishedImageJobId, POLL_CRON: '0 * * * * *' };
	const workflows = [];
	for (const file of fs.readdirSync(WORKFLOW_DIR).filter((f) => f.endsWith('.json')).sort()) {
		const wf = wt.readWorkflow(path.join(WORKFLOW_DIR, file));
		if (wt.usesTrigger(wf) && !state.triggerBuilt) continue;
		workflows.push(wt.prepareWorkflow(wf, { replacements }));
		if (wt.usesTrigger(wf)) {
			// one copy per poll-scheduler mode, so each mode starts from its own baseline
			const copy = { ...wf, id: durableCopyId(wf.id), name: `${wf.name} (durable cursors)` };
			workflows.push(wt.prepareWorkflow(copy, { replacements }));
			state.triggerSets.classic.push({ id: wf.id });
			state.triggerSets.durable.push({ id: copy.id });
		}
	}
	for (const file of fs.existsSync(EXAMPLES_DIR) ? fs.readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.json')).sort() : []) {
		const wf = wt.readWorkflow(path.join(EXAMPLES_DIR, file));
		assert(wf.id, `examples/${file} has no id`);
		const prepared = wt.prepareWorkflow(wf, {
			credential: GOOD_CRED,
			pollIntervalSeconds: 1,
			textReplacements: { [wt.EXAMPLE_OUTPUT_FOLDER]: path.join(FILES_DIR, wf.id) },
		});
		fs.mkdirSync(path.join(FILES_DIR, wf.id), { recursive: true }); // the Write node needs the folder
		state.exampleWorkflows.push({ file, wf: prepared });
		if (isWaitByCallbackExample(prepared)) {
			state.waitByCallback = {
				file,
				main: wt.webhookStartedCopy(prepared, { id: 'e2eWaitCallbk01', path: 'e2e-wait-by-callback' }),
				lost: wt.webhookStartedCopy(prepared, { id: 'e2eWaitCallbk02', path: 'e2e-wait-lost-callback', limitSeconds: 5 }),
			};
			workflows.push(state.waitByCallback.main.wf, state.waitByCallback.lost.wf);
		}
		if (isAgentExample(prepared)) {
			const runner = toolExecutorWorkflow(prepared);
			state.toolRunners[wf.id] = runner;
			workflows.push(runner);
		}
		if (wt.usesTrigger(wf) && !state.triggerBuilt) continue;
		workflows.push(prepared);
		if (wt.usesTrigger(wf)) {
			const copy = { ...wf, id: durableCopyId(wf.id), name: `${wf.name} (durable cursors)` };
			const preparedCopy = wt.prepareWorkflow(copy, {
				credential: GOOD_CRED,
				pollIntervalSeconds: 1,
				textReplacements: { [wt.EXAMPLE_OUTPUT_FOLDER]: path.join(FILES_DIR, copy.id) },
			});
			fs.mkdirSync(path.join(FILES_DIR, copy.id), { recursive: true });
			workflows.push(preparedCopy);
			state.triggerSets.classic.push({ id: wf.id, saveDir: path.join(FILES_DIR, wf.id), file });
			state.triggerSets.durable.push({ id: copy.id, saveDir: path.join(FILES_DIR, copy.id), file: `${file} (copy)` });
		}
	}
	const ids = workflows.map((w) => w.id);
	assert(new Set(ids).size === ids.length, `workflow ids collide: ${ids.join(', ')}`);
	wt.writeImportDir(path.join(WORK, 'import'), workflows);
	await setup.importWorkflowDir(path.join(WORK, 'import'), { userFolder: USER_FOLDER, env: N8N_ENV });
	log(`  imported 2 credentials and ${workflows.length} workflows`);
	state.setupOk = true;
}

function needSetup() {
	if (!state.setupOk) throw new Error('setup failed');
}

async function caseCreateImage() {
	needSetup();
	const before = state.fake.requests.length;
	const r = await execute('e2eCreateImage01');
	expectSuccess(r, 'create image');
	const out = items(r, 'Measure Images');
	assert(out.length === 1, `expected 1 item, got ${out.length}`);
	const m = out[0].json;
	assert(m.state === 'success', `job state ${m.state}`);
	assert(m.imageCount === 2, `expected 2 downloaded images, got ${m.imageCount}`);
	const posts = postsSince(before, '/image_gen');
	assert(posts.length === 1, `expected exactly one POST /image_gen, the fake saw ${posts.length}`);
	const served = fakeImagesOf(m.job_id);
	assert(served.length === 2, `the fake job has ${served.length} images`);
	m.images.forEach((img, i) => {
		const id = imageIdOf(served[i].url);
		const expected = state.fake.imageBytesFor(id);
		assert(img.isPng && img.mimeType === 'image/png', `image ${i} is not a PNG (${img.mimeType})`);
		assert(img.bytes === expected.length, `image ${i}: n8n holds ${img.bytes} bytes, the fake served ${expected.length}`);
	});
}

async function caseGetJob() {
	needSetup();
	const r = await execute('e2eGetJob0000001');
	expectSuccess(r, 'get job');
	const out = items(r, 'Describe Image');
	assert(out.length === 1, `expected 1 item, got ${out.length}`);
	const j = out[0].json;
	assert(j.job_id === state.finishedImageJobId, `job_id ${j.job_id}`);
	assert(j.state === 'success', `state ${j.state}`);
	assert(j.mimeType === 'image/png', `mimeType ${j.mimeType}`);
	assert(Number(j.imageCount) === fakeImagesOf(state.finishedImageJobId).length, `imageCount ${j.imageCount}`);
	assert(String(j.fileName).startsWith(state.finishedImageJobId), `fileName ${j.fileName}`);
}

async function caseListJobs() {
	needSetup();
	// one job that is still running must not be listed under "success"
	const running = state.fake.createJob({ config: { prompt: 'still running' }, queuedMs: 0, runningMs: 10 * 60_000 });
	const expected = state.fake.jobs().filter((j) => j.state === 'success').map((j) => j.job_id).sort();
	const r = await execute('e2eListJobs00001');
	expectSuccess(r, 'list jobs');
	const listed = items(r, 'List Jobs').map((i) => i.json);
	assert(listed.every((j) => j.state === 'success'), `listed a job that is not finished: ${JSON.stringify(listed.find((j) => j.state !== 'success'))}`);
	const ids = listed.map((j) => j.job_id).sort();
	assert(!ids.includes(running.job_id), 'listed the running job under State = Success');
	assert(JSON.stringify(ids) === JSON.stringify(expected), `listed ${ids.join(',')}; the fake has ${expected.join(',')}`);
}

async function caseBadKey() {
	needSetup();
	const jobsBefore = state.fake.jobs().length;
	const r = await execute('e2eBadKey0000001');
	assert(!r.timedOut, 'n8n execute timed out');
	assert(r.code !== 0, 'the workflow with a wrong API key succeeded');
	assert(r.text.includes('Dreamlook rejected the API key'), `the output lacks "Dreamlook rejected the API key":\n${r.text.slice(-2500)}`);
	assert(!r.text.includes(WRONG_KEY), 'the wrong API key appears in n8n output');
	assert(state.fake.jobs().length === jobsBefore, 'a job was created with a wrong key');
}

async function caseContinueOnFail() {
	needSetup();
	const r = await execute('e2eContinueFail1');
	expectSuccess(r, 'continue on fail');
	const got = items(r, 'Get Job').map((i) => i.json);
	assert(got.length === 2, `Get Job output ${got.length} items`);
	assert(got[0].state === 'success' && got[0].job_id === state.finishedImageJobId, `item 0: ${JSON.stringify(got[0])}`);
	assert(typeof got[1].error === 'string' && /found nothing|not found|404/i.test(got[1].error), `item 1: ${JSON.stringify(got[1])}`);
	const summary = items(r, 'Count Outcomes')[0].json;
	assert(summary.total === 2 && summary.ok === 1 && summary.errors.length === 1, `downstream saw ${JSON.stringify(summary)}`);
}

async function caseExample(entry) {
	needSetup();
	const { wf, file } = entry;
	assert(wt.startsWithManualTrigger(wf), `examples/${file} has no Manual Trigger to run it with`);
	const before = state.fake.requests.length;
	const r = await execute(wf.id, 240_000);
	expectSuccess(r, file);
	const runData = r.run.data.resultData.runData;
	for (const node of wf.nodes) {
		if (node.disabled || node.type === 'n8n-nodes-base.stickyNote') continue;
		assert(runData[node.name], `node "${node.name}" did not run`);
	}
	const imageGenPosts = postsSince(before, '/image_gen');
	const trainingPosts = postsSince(before, '/dreambooth');
	const downloadsCheckpoints = wf.nodes.some((n) => n.type === wt.DREAMLOOK_NODE && n.parameters?.resource === 'checkpoint');
	/** checkpoint id → the bytes the fake serves for it */
	const checkpointFiles = new Map();
	if (downloadsCheckpoints) {
		// train → wait → Checkpoint → Download: every checkpoint of the one training job, as binary data
		assert(trainingPosts.length === 1, `expected one training job, the fake saw ${trainingPosts.length} POST /dreambooth`);
		const trainNode = wf.nodes.find((n) => n.type === wt.DREAMLOOK_NODE && n.parameters?.resource === 'training');
		const trainingJobId = runData[trainNode.name][0].data.main[0][0]?.json?.job_id;
		const job = state.fake.getJob(trainingJobId);
		assert(job && job.state === 'success', `training job ${trainingJobId}: ${job?.state}`);
		const checkpoints = job.dreambooth_result?.checkpoints ?? [];
		assert(checkpoints.length === (trainingPosts[0].body?.extract_lora ? 2 : 1), `the training job has ${checkpoints.length} checkpoints`);
		for (const c of checkpoints) checkpointFiles.set(c.checkpoint_id, state.fake.checkpointBytesFor(c.checkpoint_id));
		const node = wf.nodes.find((n) => n.type === wt.DREAMLOOK_NODE && n.parameters?.resource === 'checkpoint');
		const out = runData[node.name][0].data.main[0];
		assert(out.length === 1, `"${node.name}" returned ${out.length} items`);
		const listed = (out[0].json.checkpoints ?? []).map((c) => c.checkpoint_id);
		assert(listed.length === checkpoints.length && listed.every((id) => checkpointFiles.has(id)), `"${node.name}" lists ${listed.join(', ')}`);
		assert(Object.keys(out[0].binary ?? {}).length === checkpoints.length, `"${node.name}" attached ${Object.keys(out[0].binary ?? {}).join(', ')}`);
	} else if (trainingPosts.length) {
		// train then generate: the image job must use the checkpoint that training produced
		const trainingJobs = state.fake.jobs().filter((j) => j.job_type === 'dreambooth' && j.dreambooth_result);
		const checkpoints = trainingJobs.flatMap((j) => (j.dreambooth_result.checkpoints ?? []).map((c) => c.checkpoint_id));
		assert(trainingPosts.length === 1, `expected one training job, the fake saw ${trainingPosts.length} POST /dreambooth`);
		assert(imageGenPosts.length === 1, `expected one image job after training, the fake saw ${imageGenPosts.length}`);
		assert(
			checkpoints.includes(imageGenPosts[0].body?.checkpoint_id),
			`the image job used checkpoint ${imageGenPosts[0].body?.checkpoint_id}; training produced ${checkpoints.join(', ') || 'none'}`,
		);
		const last = wf.nodes.filter((n) => n.type === wt.DREAMLOOK_NODE).pop();
		const out = runData[last.name][0].data.main[0];
		assert(out.length === 1 && Object.keys(out[0].binary ?? {}).length === Number(last.parameters.numSamples), `"${last.name}" returned ${JSON.stringify(out.map((i) => Object.keys(i.binary ?? {})))}`);
	}
	// examples that save images write them under their output folder
	const outDir = path.join(FILES_DIR, wf.id);
	if (wf.nodes.some((n) => n.type === 'n8n-nodes-base.readWriteFile')) {
		const files = fs.existsSync(outDir) ? fs.readdirSync(outDir) : [];
		assert(files.length > 0, `nothing was written to ${outDir}`);
		for (const f of files) {
			const buf = fs.readFileSync(path.join(outDir, f));
			const checkpointId = f.replace(/\.safetensors$/, '');
			if (checkpointFiles.has(checkpointId)) {
				assert(buf.equals(checkpointFiles.get(checkpointId)), `${f}: ${buf.length} bytes, not what the fake served (${checkpointFiles.get(checkpointId).length})`);
				checkpointFiles.delete(checkpointId);
				continue;
			}
			assert(buf.length > 8 && buf[0] === 0x89 && buf.toString('latin1', 1, 4) === 'PNG', `${f} is not a PNG`);
		}
		assert(checkpointFiles.size === 0, `checkpoints not written to ${outDir}: ${[...checkpointFiles.keys()].join(', ')}`);
	}
}

/** An example built around an AI Agent with Dreamlook tools (no Manual Trigger: it needs an LLM to run). */
/** An example that pauses in n8n's Wait node until a webhook call (Dreamlook's callback) resumes it. */
function isWaitByCallbackExample(wf) {
	return wf.nodes.some((n) => n.type === 'n8n-nodes-base.wait' && n.parameters?.resume === 'webhook');
}

function isAgentExample(wf) {
	return wf.nodes.some((n) => n.type === wt.DREAMLOOK_TOOL) && !wt.startsWithManualTrigger(wf);
}

/** What the agent's model would send: a value per $fromAI key of the tool node. */
const TOOL_ARGUMENTS = { prompt: 'a watercolour of a lighthouse at dawn', negative_prompt: 'blurry, watermark' };

/**
 * The agent example's first Dreamlook tool run the way the editor's "Execute step" runs a tool node
 * (n8n-core's rewireGraph): Manual Trigger → n8n's Tool Executor, the tool on its ai_tool input, the
 * $fromAI values in the executor's query (n8n 2.x: under the tool's name; 1.x: the arguments
 * themselves). Runs with `n8n execute`, no LLM.
 */
function toolExecutorWorkflow(example) {
	const tool = example.nodes.find((n) => n.type === wt.DREAMLOOK_TOOL);
	const toolName = tool.name.replace(/[^a-zA-Z0-9_-]/g, '_');
	const keys = [...JSON.stringify(tool.parameters).matchAll(/\$fromAI\(\s*\\?['"]([^'"\\]+)/g)].map((m) => m[1]);
	const query = Object.fromEntries(keys.map((k) => [k, TOOL_ARGUMENTS[k] ?? `value of ${k}`]));
	return {
		id: `${example.id.slice(0, 14)}TE`,
		name: `${example.name} (its tool "${tool.name}" without an LLM)`,
		nodes: [
			{ id: 'te-trigger', name: 'Manual Trigger', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			{ id: 'te-executor', name: 'Tool Executor', type: '@n8n/n8n-nodes-langchain.toolExecutor', typeVersion: 1, position: [240, 0], parameters: { query: JSON.stringify(rt.N8N_MAJOR === 1 ? query : { [toolName]: query }), toolName: '', node: tool.name } },
			{ ...tool, position: [240, 200] },
		],
		connections: {
			'Manual Trigger': { main: [[{ node: 'Tool Executor', type: 'main', index: 0 }]] },
			[tool.name]: { ai_tool: [[{ node: 'Tool Executor', type: 'ai_tool', index: 0 }]] },
		},
		settings: { executionOrder: 'v1' },
		meta: { toolArguments: query, toolNode: tool.name },
		active: false,
	};
}

async function caseAgentExample(entry) {
	needSetup();
	const { wf, file } = entry;
	// n8n loaded it: the stored workflow, read back through n8n's own export, has the tool nodes as written
	const exportFile = path.join(WORK, `export-${wf.id}.json`);
	const ex = await rt.runN8n(['export:workflow', `--id=${wf.id}`, `--output=${exportFile}`], { userFolder: USER_FOLDER, env: N8N_ENV });
	assert(ex.code === 0, `n8n export:workflow ${wf.id} failed: ${(ex.stdout + ex.stderr).slice(-1000)}`);
	const stored = [].concat(JSON.parse(fs.readFileSync(exportFile, 'utf8')))[0];
	const tools = stored.nodes.filter((n) => n.type === wt.DREAMLOOK_TOOL);
	assert(tools.length === wf.nodes.filter((n) => n.type === wt.DREAMLOOK_TOOL).length && tools.length > 0, `examples/${file}: n8n stored ${tools.length} Dreamlook tool nodes`);
	for (const t of tools) {
		assert(/\$fromAI\(/.test(JSON.stringify(t.parameters)), `"${t.name}" has no $fromAI parameter`);
		const connected = stored.connections[t.name]?.ai_tool?.[0]?.[0]?.node;
		assert(stored.nodes.find((n) => n.name === connected)?.type === '@n8n/n8n-nodes-langchain.agent', `"${t.name}" is not connected to an AI Agent (${connected})`);
	}
	// its first tool, run as the editor's From-AI test runs it: JSON for the agent, no binary, one job
	const runner = state.toolRunners[wf.id];
	const before = state.fake.requests.length;
	const r = await execute(runner.id, 240_000);
	expectSuccess(r, `${file} tool`);
	const out = items(r, 'Tool Executor');
	assert(out.length === 1, `Tool Executor returned ${out.length} items`);
	const answer = out[0].json;
	const text = typeof answer === 'string' ? answer : typeof answer.response === 'string' ? answer.response : JSON.stringify(answer);
	let jobs;
	try {
		jobs = [].concat(JSON.parse(text));
	} catch {
		throw new Error(`the tool did not answer JSON: ${text.slice(0, 500)}`);
	}
	fs.writeFileSync(path.join(WORK, `tool-answer-${wf.id}.json`), JSON.stringify(jobs, null, 2));
	const job = jobs[0] ?? {};
	assert(/^ig_/.test(job.job_id) && job.state === 'success', `tool answer: ${text.slice(0, 500)}`);
	assert(Array.isArray(job.image_urls) && job.image_urls.length >= 1 && job.image_urls.every((u) => imageIdOf(u)), `image_urls: ${JSON.stringify(job.image_urls)}`);
	assert(!Number.isNaN(Date.parse(job.image_urls_expire_at)), `image_urls_expire_at: ${job.image_urls_expire_at}`);
	assert(Array.isArray(job.seeds) && job.seeds.length === job.image_urls.length, `seeds: ${JSON.stringify(job.seeds)}`);
	assert(!out[0].binary && !/"binary"/.test(text), 'the tool answer carries binary data');
	const posts = postsSince(before, '/image_gen');
	assert(posts.length === 1, `expected one POST /image_gen, the fake saw ${posts.length}`);
	for (const [key, value] of Object.entries(runner.meta.toolArguments)) {
		const sent = key === 'prompt' ? posts[0].body?.prompt : key === 'negative_prompt' ? posts[0].body?.negative_prompt : value;
		assert(sent === value, `$fromAI('${key}') sent ${JSON.stringify(sent)}, the query said ${JSON.stringify(value)}`);
	}
	const downloads = state.fake.requests.slice(before).filter((q) => q.path.startsWith('/images/'));
	assert(downloads.length === 0, `the tool downloaded ${downloads.length} images`);
	log(`  tool "${runner.meta.toolNode}": ${job.job_id} ${job.state}, ${job.image_urls.length} image URL(s), links expire ${job.image_urls_expire_at}`);
}

// ---------------------------------------------------------------------------------------------
// "Safe when nobody watches": n8n's Retry On Fail, API redirects, booleans given by expressions

const RETRY_PROMPT = 'retry after a dropped create, item ';
const RETRY_ITEMS = 3;
/**
 * Retry On Fail after a create whose answer was lost: the strong outcome (the execution succeeds
 * and every item has its images, the lost job found again by its idempotency tag) is asserted
 * unless E2E_RETRY_STRONG=0, which also accepts the "may have been created" error; one job per
 * item is asserted in every case.
 */
const RETRY_EXPECT_SUCCESS = process.env.E2E_RETRY_STRONG !== '0';
/** The job list (GET /jobs, where the idempotency tag is looked up), not /jobs/<type>/<id>. */
const JOB_LIST_PATH = /^\/jobs\/?$/;

/**
 * Code (3 items) → Create Image Job with Retry On Fail (3 tries, 1 s apart). The fake carries out
 * the first POST /image_gen and drops the connection unanswered.
 *   lookup: 'flaky' — the job list answers 503 four times (the node's read attempts of one try),
 *     so the first try cannot find the lost job and n8n's Retry On Fail runs the node again;
 *   lookup: 'down' — the job list answers 503 throughout: no try can tell whether the job exists.
 */
async function caseRetryDroppedCreate({ lookup }) {
	needSetup();
	const fake = state.fake;
	const before = fake.requests.length;
	const jobsBefore = new Set(fake.jobs().map((j) => j.job_id));
	fake.faults.add({ method: 'POST', path: '/image_gen', times: 1, action: { dropAfterCommit: true } });
	fake.faults.add({ method: 'GET', path: JOB_LIST_PATH, times: lookup === 'down' ? Infinity : 4, action: { status: 503 } });
	let r;
	try {
		r = await execute('e2eRetryDropped1', 240_000);
	} finally {
		fake.faults.clear();
	}
	assert(!r.timedOut, 'n8n execute timed out');
	const newJobs = fake.jobs().filter((j) => !jobsBefore.has(j.job_id));
	const posts = postsSince(before, '/image_gen');
	const lists = fake.requests.slice(before).filter((q) => q.method === 'GET' && JOB_LIST_PATH.test(q.path));
	const jobsByItem = Array.from({ length: RETRY_ITEMS }, (_, i) => newJobs.filter((j) => j.config?.prompt === `${RETRY_PROMPT}${i}`));
	const tagged = posts.filter((p) => JSON.stringify(p.body?.tags ?? []).includes('n8n_idempotency')).length;
	const outcome = r.code === 0 && r.run && (r.run.status === 'success' || r.run.finished === true) ? 'success' : 'error';
	log(
		`  ${outcome}; ${posts.length} POST /image_gen (${tagged} with an idempotency tag), GET /jobs answered ${lists.map((q) => q.status).join(',') || 'never'}; jobs per item: ${jobsByItem.map((j) => j.length).join(' / ')}`,
	);
	assert(posts.length >= 1 && posts[0].fault === 'dropAfterCommit' && posts[0].committedStatus === 200, `the first POST /image_gen was not carried out then dropped (${JSON.stringify({ status: posts[0]?.status, fault: posts[0]?.fault, committedStatus: posts[0]?.committedStatus })})`);
	jobsByItem.forEach((jobs, i) => {
		assert(jobs.length === 1, `item ${i} has ${jobs.length} jobs at the fake (${jobs.map((j) => j.job_id).join(', ')}): Retry On Fail ${jobs.length > 1 ? 'paid twice' : 'lost the item'}`);
	});
	assert(newJobs.length === RETRY_ITEMS, `the fake holds ${newJobs.length} new jobs for ${RETRY_ITEMS} items`);
	assert(posts.length === RETRY_ITEMS, `${posts.length} POST /image_gen for ${RETRY_ITEMS} items: an item was POSTed again`);
	if (lookup === 'down') {
		assert(outcome === 'error', 'the execution succeeded although nothing could tell whether the lost job exists');
		assert(/may have been created/i.test(r.text), `the execution failed without "may have been created":\n${r.text.slice(-2500)}`);
		assert(!r.text.includes(DEFAULT_API_KEY), 'the API key appears in n8n output');
		return;
	}
	assert(lists.some((q) => q.status === 200), 'the idempotency tag was never looked up successfully (no GET /jobs answered 200)');
	if (outcome === 'error') {
		assert(/may have been created/i.test(r.text), `the execution failed without "may have been created":\n${r.text.slice(-2500)}`);
		assert(!RETRY_EXPECT_SUCCESS, 'the execution failed with "may have been created" where reusing the job through its idempotency tag was expected');
		return;
	}
	const out = items(r, 'Create Image Job');
	assert(out.length === RETRY_ITEMS, `the node output ${out.length} items, expected ${RETRY_ITEMS}`);
	out.forEach((item, i) => {
		const job = jobsByItem[i][0];
		assert(item.json.job_id === job.job_id, `item ${i} reports job ${item.json.job_id}, the fake's job for it is ${job.job_id}`);
		assert(item.json.state === 'success', `item ${i}: state ${item.json.state}`);
		const binaries = Object.keys(item.binary ?? {});
		assert(binaries.length === 2, `item ${i} carries ${binaries.length} images, expected 2 (${binaries.join(', ')})`);
	});
}

async function caseRedirect() {
	needSetup();
	const fake = state.fake;
	// another host than the fake's 127.0.0.1 (still loopback); it answers 200 {job_id: 'ig_evil0001'} to anything
	const recorder = await startRecorder({ host: '127.0.0.2' });
	recorder.host = new URL(recorder.url).host;
	const before = fake.requests.length;
	fake.faults.add({ method: 'POST', path: '/image_gen', times: 1, action: { redirect: `${recorder.url}/image_gen`, status: 307 } });
	let r;
	try {
		r = await execute('e2eRedirect00001');
	} finally {
		fake.faults.clear();
		await recorder.close();
	}
	assert(!r.timedOut, 'n8n execute timed out');
	const posts = postsSince(before, '/image_gen');
	log(`  exit ${r.code}; the fake answered ${posts.map((p) => p.status).join(', ') || 'nothing'}; the recorder saw ${recorder.requests.length} request(s), ${recorder.requests.filter((q) => q.authorization).length} with authorization`);
	assert(posts.length === 1 && posts[0].status === 307, `expected one POST /image_gen answered 307, the fake saw ${JSON.stringify(posts.map((p) => p.status))}: is the redirect fault in the fake?`);
	assert(!recorder.requests.some((q) => q.authorization), `the API key reached ${recorder.host}: ${JSON.stringify(recorder.requests)}`);
	assert(recorder.requests.length === 0, `the redirect was followed to ${recorder.host}: ${JSON.stringify(recorder.requests)}`);
	assert(r.code !== 0, 'the execution succeeded although the API answered with a redirect');
	assert(r.text.includes(recorder.host.split(':')[0]), `the error does not name the redirect's host ${recorder.host}:\n${r.text.slice(-2500)}`);
	assert(!r.text.includes(DEFAULT_API_KEY), 'the API key appears in n8n output');
}

const LIMITED_ITEMS = 60;
const LIMITED_MAX_IN_FLIGHT = 10;

/** Issue 13: Concurrency Auto against a server that answers 429 above 10 requests in flight. */
async function caseLimitedRegime() {
	needSetup();
	const fake = state.fake;
	const before = fake.requests.length;
	const jobsBefore = new Set(fake.jobs().map((j) => j.job_id));
	fake.setLatency(100);
	fake.setMaxInFlight(LIMITED_MAX_IN_FLIGHT, { retryAfter: 1 });
	let r;
	try {
		r = await execute('e2eLimitedAuto01', 240_000);
	} finally {
		fake.setLatency(0);
		fake.setMaxInFlight(null);
	}
	expectSuccess(r, 'limited regime');
	const posts = postsSince(before, '/image_gen');
	const refused = posts.filter((p) => p.status === 429).length;
	const newJobs = fake.jobs().filter((j) => !jobsBefore.has(j.job_id));
	const out = items(r, 'Create Image Job');
	const nodeRun = r.run.data.resultData.runData['Create Image Job'][0];
	const floorMs = (LIMITED_ITEMS * 100) / LIMITED_MAX_IN_FLIGHT;
	log(`  ${posts.length} POST /image_gen, ${refused} answered 429; ${newJobs.length} jobs; node time ${nodeRun.executionTime} ms (floor ${floorMs} ms)`);
	assert(refused > 0, 'the fake never answered 429: the limit was not reached, so this case tested nothing');
	assert(out.length === LIMITED_ITEMS, `the node output ${out.length} items, expected ${LIMITED_ITEMS}`);
	const failed = out.filter((item) => item.json.error || !item.json.job_id);
	assert(failed.length === 0, `${failed.length} items failed or carry no job id: ${JSON.stringify(failed.slice(0, 2))}`);
	for (let i = 0; i < LIMITED_ITEMS; i++) {
		const jobs = newJobs.filter((j) => j.config?.prompt === `limited regime, item ${i}`);
		assert(jobs.length === 1, `item ${i} has ${jobs.length} jobs at the fake: ${jobs.length > 1 ? 'a duplicate paid job' : 'lost'}`);
		assert(out[i].json.job_id === jobs[0].job_id, `item ${i} reports job ${out[i].json.job_id}, the fake's job for it is ${jobs[0].job_id}`);
	}
	assert(newJobs.length === LIMITED_ITEMS, `the fake holds ${newJobs.length} new jobs for ${LIMITED_ITEMS} items`);
	assert(posts.length - refused === LIMITED_ITEMS, `${posts.length - refused} POSTs were accepted for ${LIMITED_ITEMS} items`);
}

async function caseDryRunExpression() {
	needSetup();
	const fake = state.fake;
	const before = fake.requests.length;
	const jobsBefore = fake.jobs().length;
	const r = await execute('e2eDryRunExpr001');
	const posts = postsSince(before, '/image_gen');
	log(`  "true": exit ${r.code}; ${posts.length} POST /image_gen, dry_run ${JSON.stringify(posts.map((p) => p.body?.dry_run))}; ${fake.jobs().length - jobsBefore} new job(s)`);
	assert(fake.jobs().length === jobsBefore, `Dry Run "true" created ${fake.jobs().length - jobsBefore} real job(s) at the fake`);
	assert(posts.length === 1 && posts[0].body?.dry_run === true, `expected one POST /image_gen with dry_run: true, the fake saw ${JSON.stringify(posts.map((p) => p.body))}`);
	expectSuccess(r, 'dry run "true"');
	const out = items(r, 'Create Image Job');
	assert(out.length === 1 && out[0].json.state === 'dry_run', `output ${JSON.stringify(out.map((i) => i.json))}`);

	const before2 = fake.requests.length;
	const r2 = await execute('e2eDryRunBad0001');
	const posts2 = fake.requests.slice(before2).filter((q) => q.method === 'POST');
	log(`  "yes": exit ${r2.code ?? `by ${r2.signal}`}; ${posts2.length} POST(s) at the fake`);
	assert(!r2.timedOut, 'n8n execute timed out');
	assert(posts2.length === 0, `Dry Run "yes" sent ${posts2.length} POST(s): ${JSON.stringify(posts2.map((p) => ({ path: p.path, dry_run: p.body?.dry_run })))}`);
	assert(fake.jobs().length === jobsBefore, 'Dry Run "yes" created a job');
	assert(r2.code !== 0, 'Dry Run "yes" did not fail the execution');
	assert(/Dry Run/.test(r2.text), `the error does not name "Dry Run":\n${r2.text.slice(-2500)}`);
}

/**
 * The published trigger workflows (the test workflow and the example "react to finished jobs")
 * under `n8n start`, across a restart, in one poll-scheduler mode: classic (static data saved
 * when a poll emits) or n8n 2.41's durable cursors (a per-poll copy committed with the
 * execution, kept in n8n's poller_state table). Each mode has its own copies of the workflows,
 * so each starts from its own baseline; the workflows are unpublished at the end.
 */
async function caseTrigger({ durable }) {
	needSetup();
	if (!state.triggerBuilt) throw new Skip('trigger not built yet (no dist/nodes/Dreamlook/DreamlookTrigger.node.js)');
	const fake = state.fake;
	const triggerName = 'Dreamlook Trigger';
	const mode = durable ? 'durable' : 'classic';
	if (durable && /^1\./.test(rt.N8N_VERSION)) throw new Skip(`n8n ${rt.N8N_VERSION} has no durable poll scheduler`);
	const env = durable ? { ...N8N_ENV, ...DURABLE_SCHEDULER_ENV } : N8N_ENV;
	const published = state.triggerSets[mode];
	assert(published.length > 0, 'no trigger workflows were imported');

	const finishNew = (label) => {
		const job = fake.createJob({ config: { prompt: `trigger test ${mode} ${label}` }, queuedMs: 60 * 60_000, runningMs: 60 * 60_000 });
		return fake.finishJob(job.job_id, 'success').job_id;
	};
	const seenIn = (db) => new Set(db.executions.flatMap((e) => e.jobIds));
	/** Where this mode keeps the trigger's cursor: the workflow's staticData, or poller_state. */
	const storedCursor = (db) => (durable ? db.pollerCursors : db.staticData);
	// the trigger keeps its state under the key "cursor" of its node's static data
	const hasCursor = (db) => {
		const stored = durable ? (db?.pollerCursors ?? []).map((row) => row.cursor) : db?.staticData;
		return JSON.stringify(stored ?? null).includes('"cursor"');
	};
	const waitForJobs = async (ids, timeoutMs) => {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const dbs = [];
			for (const wf of published) dbs.push(await readDb(wf.id, triggerName));
			const missing = dbs.map((db, i) => [published[i].id, ids.filter((id) => !seenIn(db).has(id))]).filter(([, m]) => m.length);
			if (missing.length === 0) return dbs;
			if (Date.now() > deadline) {
				throw new Error(`no execution within ${timeoutMs / 1000} s for ${JSON.stringify(missing)}; executions: ${JSON.stringify(dbs.map((d) => d.executions))}`);
			}
			await rt.sleep(2000);
		}
	};
	const startAndWaitActive = async (label, { firstStart }) => {
		const [port, broker] = await freePorts();
		const handle = await rt.startN8n({ port, brokerPort: broker, userFolder: USER_FOLDER, env, logFile: path.join(WORK, `n8n-start-${mode}-${label}.log`) });
		state.servers.push(handle);
		// On the first start, wait until each trigger stored its baseline cursor, so that jobs
		// finished next count as "after activation". Classic n8n runs the first poll during
		// activation (the log line suffices); the durable scheduler polls on its own schedule,
		// so there only the committed cursor counts.
		const t0 = Date.now();
		for (;;) {
			const out = handle.output();
			let ready = out.includes('Editor is now accessible');
			for (const wf of published) {
				if (!ready || !firstStart) break;
				const logged = !durable && out.includes('Activated workflow') && out.includes(wf.id);
				ready = logged || hasCursor(await readDb(wf.id, triggerName));
			}
			if (ready) break;
			if (N8N_ENV.N8N_LOG_LEVEL === 'info' && /activation|could not be activated/i.test(out) && /error/i.test(out) && /Dreamlook/.test(out)) {
				throw new Error(`activation failed:\n${out.slice(-3000)}`);
			}
			if (/durable poll cursors stay disabled/.test(out)) throw new Error(`n8n did not enable durable cursors:\n${out.slice(-3000)}`);
			if (Date.now() - t0 > 120_000) throw new Error(`workflows were not activated within 120 s:\n${out.slice(-3000)}`);
			await rt.sleep(1000);
		}
		return handle;
	};

	for (const wf of published) {
		const pub = await rt.runN8n(['publish:workflow', `--id=${wf.id}`], { userFolder: USER_FOLDER, env });
		assert(pub.code === 0, `publish:workflow ${wf.id} failed: ${(pub.stdout + pub.stderr).slice(-2000)}`);
	}
	const finishedBefore = fake.jobs().filter((j) => j.state === 'success').map((j) => j.job_id);

	let n8n = await startAndWaitActive('1', { firstStart: true });
	try {
		const j1 = finishNew('1');
		const j2 = finishNew('2');
		log(`  [${mode}] activated; finished ${j1}, ${j2}; waiting for the next poll (up to a minute)`);
		await waitForJobs([j1, j2], durable ? 170_000 : 100_000);
		await n8n.stop();

		const j3 = finishNew('3 (while n8n is down)');
		n8n = await startAndWaitActive('2', { firstStart: false });
		const j4 = finishNew('4 (after restart)');
		log(`  [${mode}] restarted; finished ${j3} while down and ${j4} after; waiting for the next poll`);
		await waitForJobs([j3, j4], durable ? 170_000 : 100_000);
		await rt.sleep(3000); // let any duplicate show up
		await n8n.stop();

		for (const wf of published) {
			const db = await readDb(wf.id, triggerName);
			const counts = {};
			for (const e of db.executions) for (const id of e.jobIds) counts[id] = (counts[id] || 0) + 1;
			for (const id of [j1, j2, j3, j4]) assert(counts[id] === 1, `${wf.id}: job ${id} produced ${counts[id] || 0} executions, expected exactly 1`);
			for (const id of finishedBefore) assert(!counts[id], `${wf.id}: job ${id} finished before activation but was emitted`);
			const failed = db.executions.filter((e) => e.status !== 'success' || e.error);
			assert(failed.length === 0, `${wf.id}: executions not successful: ${JSON.stringify(failed)}`);
			assert(hasCursor(db), `${wf.id}: no cursor where the ${mode} scheduler keeps it: ${JSON.stringify({ staticData: db.staticData, pollerCursors: db.pollerCursors })}`);
			if (wf.saveDir) {
				for (const id of [j1, j2, j3, j4]) {
					assert(fs.existsSync(path.join(wf.saveDir, `${id}_0.png`)), `${wf.file}: ${id}_0.png was not saved in ${wf.saveDir}`);
				}
			}
			log(`  [${mode}] ${wf.id}: ${db.executions.length} executions for ${Object.keys(counts).length} jobs; cursor ${JSON.stringify(storedCursor(db)).slice(0, 160)}`);
		}
	} finally {
		await n8n.stop();
		for (const wf of published) {
			const r = await rt.runN8n(['unpublish:workflow', `--id=${wf.id}`], { userFolder: USER_FOLDER, env });
			if (r.code !== 0) log(`  [${mode}] unpublish:workflow ${wf.id} failed: ${(r.stdout + r.stderr).slice(-500)}`);
		}
	}
}

/**
 * The Dreamlook Instant Trigger published under `n8n start`: the fake calls back each job's
 * callback URL (the trigger's production URL) twice, with jitter, plus an early call while the
 * job is still queued; a forged call names an unknown id, another claims success for a running
 * job. Each finished job must start exactly one execution, with its image; nothing else may.
 */
async function caseInstantTrigger() {
	needSetup();
	const fake = state.fake;
	const wfId = 'e2eInstantTrig01';
	const triggerName = 'Dreamlook Instant Trigger';
	const webhookPath = '5b1f7c1e-2d7a-4a39-9a7e-3f5c0e2d9b61/dreamlook';
	const pub = await rt.runN8n(['publish:workflow', `--id=${wfId}`], { userFolder: USER_FOLDER, env: N8N_ENV });
	assert(pub.code === 0, `publish:workflow ${wfId} failed: ${(pub.stdout + pub.stderr).slice(-2000)}`);
	const [port, broker] = await freePorts();
	const start = async (logName) => {
		const server = await rt.startN8n({ port, brokerPort: broker, userFolder: USER_FOLDER, env: N8N_ENV, logFile: path.join(WORK, logName) });
		state.servers.push(server);
		return server;
	};
	let n8n = await start('n8n-instant.log');
	const url = `http://127.0.0.1:${port}/webhook/${webhookPath}`;
	const post = async (body) => {
		const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
		return { status: res.status, body: await res.text() };
	};
	// the production webhook answers once the workflow is active
	const ready = async () => {
		const t0 = Date.now();
		for (;;) {
			const probe = await post({}).catch((e) => ({ status: 0, body: String(e) }));
			if (probe.status === 400) return; // the trigger itself refused a body without a job id
			if (Date.now() - t0 > 90_000) throw new Error(`the instant trigger's webhook did not answer 400 within 90 s (last: ${probe.status} ${probe.body.slice(0, 300)})`);
			await rt.sleep(1000);
		}
	};
	try {
		await ready();
		const running = fake.createJob({ config: { prompt: 'instant: still running' }, queuedMs: 60 * 60_000, runningMs: 60 * 60_000 });
		const forgedUnknown = await post({ job_id: 'ig_forged0001', state: 'success' });
		const forgedRunning = await post({ ...running, state: 'success' });
		assert(forgedUnknown.status === 200 && /unknown job/.test(forgedUnknown.body), `forged unknown id: ${forgedUnknown.status} ${forgedUnknown.body}`);
		assert(forgedRunning.status === 200 && /"emitted":false/.test(forgedRunning.body), `forged success of a running job: ${forgedRunning.status} ${forgedRunning.body}`);

		fake.setOptions({ callbacks: { copies: 2, delayMs: 0, jitterMs: 200, early: true } });
		const callbacksBefore = fake.callbacks.length;
		const ids = [];
		for (let i = 0; i < 3; i++) {
			ids.push(fake.createJob({ config: { prompt: `instant ${i}` }, callback: url, queuedMs: 200, runningMs: 400 + i * 100 }).job_id);
		}
		log(`  created ${ids.join(', ')} with callback ${url.replace(/\/webhook\/.*/, '/webhook/…')} (2 copies each, jitter, early call)`);
		const deadline = Date.now() + 60_000;
		let db;
		for (;;) {
			db = await readDb(wfId, triggerName);
			const seen = new Set(db.executions.flatMap((e) => e.jobIds));
			if (ids.every((id) => seen.has(id)) && fake.callbacks.length - callbacksBefore >= 9) break;
			if (Date.now() > deadline) throw new Error(`not every job started an execution within 60 s: ${JSON.stringify({ ids, executions: db.executions, callbacks: fake.callbacks.slice(callbacksBefore).map((c) => [c.job_id, c.state, c.status]) })}`);
			await rt.sleep(1000);
		}
		await rt.sleep(3000); // let any duplicate show up
		db = await readDb(wfId, triggerName);
		const counts = {};
		for (const e of db.executions) for (const id of e.jobIds) counts[id] = (counts[id] || 0) + 1;
		for (const id of ids) assert(counts[id] === 1, `job ${id} started ${counts[id] || 0} executions, expected exactly 1: ${JSON.stringify(counts)}`);
		assert(!counts[running.job_id] && !counts.ig_forged0001, `a forged call started an execution: ${JSON.stringify(counts)}`);
		assert(db.executions.length === ids.length, `expected ${ids.length} executions, got ${db.executions.length}`);
		const failed = db.executions.filter((e) => e.status !== 'success' || e.error);
		assert(failed.length === 0, `executions not successful: ${JSON.stringify(failed)}`);
		const sent = fake.callbacks.slice(callbacksBefore);
		assert(sent.filter((c) => c.state === 'queued').length === 3, 'the early calls were not sent');
		assert(sent.filter((c) => c.state === 'success' && c.status === 200).length === 6, `callbacks not all answered 200: ${JSON.stringify(sent.map((c) => [c.state, c.status]))}`);
		log(`  ${db.executions.length} executions for ${ids.length} jobs from ${sent.length} callbacks (+2 forged calls)`);

		// n8n restarted (the in-process memory is gone): a late duplicate callback still emits nothing,
		// from the record kept in the workflow's static data
		await n8n.stop();
		n8n = await start('n8n-instant-restarted.log');
		await ready();
		const late = await post(fake.getJob(ids[0]));
		assert(late.status === 200 && /already emitted/.test(late.body), `a duplicate callback after the restart: ${late.status} ${late.body}`);
		await rt.sleep(3000);
		const after = await readDb(wfId, triggerName);
		assert(after.executions.length === ids.length, `after the restart a duplicate callback started an execution: ${after.executions.length} executions for ${ids.length} jobs`);
		log(`  after an n8n restart, a duplicate callback for ${ids[0]}: ${late.status} "already emitted", still ${after.executions.length} executions`);
	} finally {
		fake.setOptions({ callbacks: { copies: 1, delayMs: 0, jitterMs: 0, early: false } });
		await n8n.stop();
		const r = await rt.runN8n(['unpublish:workflow', `--id=${wfId}`], { userFolder: USER_FOLDER, env: N8N_ENV });
		if (r.code !== 0) log(`  unpublish:workflow ${wfId} failed: ${(r.stdout + r.stderr).slice(-500)}`);
	}
}

const WAIT_EXAMPLE_NODES = { get: 'Get Trained Job', generate: 'Generate with Checkpoint', notFinished: 'Training Not Finished' };

/**
 * examples/wait-by-callback.json, started by a webhook in `n8n start`: Train Model sends its job with
 * Callback URL = $execution.resumeUrl, the execution waits in n8n's Wait node, Dreamlook's callback
 * resumes it, Get Trained Job reads the job with the key, and the trained model generates images.
 * Three runs: (1) an early call at creation meets the still-running execution (409) and the real
 * callback resumes it; (2) n8n is restarted while the execution waits, the callback comes after;
 * (3) the callback is lost and the wait limit (5 s in this copy) resumes it: the job is read all the same.
 */
async function caseWaitByCallback() {
	needSetup();
	const fake = state.fake;
	const w = state.waitByCallback;
	for (const id of [w.main.id, w.lost.id]) {
		const pub = await rt.runN8n(['publish:workflow', `--id=${id}`], { userFolder: USER_FOLDER, env: N8N_ENV });
		assert(pub.code === 0, `publish:workflow ${id} failed: ${(pub.stdout + pub.stderr).slice(-2000)}`);
	}
	const [port, broker] = await freePorts();
	// the resume URL's base, as behind a reverse proxy
	const env = { ...N8N_ENV, WEBHOOK_URL: `http://127.0.0.1:${port}/` };
	const start = async (logName) => {
		const server = await rt.startN8n({ port, brokerPort: broker, userFolder: USER_FOLDER, env, logFile: path.join(WORK, logName) });
		state.servers.push(server);
		return server;
	};
	let n8n = await start('n8n-wait.log');
	const executionsOf = async (id, node = WAIT_EXAMPLE_NODES.get) => (await readDb(id, node)).executions;
	const untilTrue = async (what, timeoutMs, fn) => {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const value = await fn();
			if (value) return value;
			if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
			await rt.sleep(1000);
		}
	};
	const run = async (label, copy, callbacks, { whileWaiting } = {}) => {
		fake.setOptions({ callbacks });
		const before = (await executionsOf(copy.id)).map((e) => e.id);
		const jobsBefore = new Set(fake.jobs().map((j) => j.job_id));
		await untilTrue(`${label}: the start webhook`, 90_000, async () => {
			const res = await fetch(`http://127.0.0.1:${port}/webhook/${copy.path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).catch(() => null);
			return res?.status === 200; // 404 until the workflow is active: nothing started then
		});
		const execution = async () => (await executionsOf(copy.id)).find((e) => !before.includes(e.id));
		if (whileWaiting) {
			await untilTrue(`${label}: the execution saved as waiting`, 60_000, async () => (await execution())?.status === 'waiting');
			await whileWaiting();
		}
		const done = await untilTrue(`${label}: the execution finished`, 180_000, async () => {
			const e = await execution();
			return e && !['new', 'running', 'waiting'].includes(e.status) ? e : null;
		});
		const trainings = fake.jobs().filter((j) => !jobsBefore.has(j.job_id) && String(j.job_id).startsWith('db_'));
		assert(trainings.length === 1, `${label}: ${trainings.length} training jobs created, expected 1`);
		const training = trainings[0].job_id;
		assert(done.status === 'success', `${label}: execution ${done.id} ended ${done.status}: ${done.error}`);
		assert(done.items.length === 1 && done.items[0].job_id === training && done.items[0].state === 'success', `${label}: Get Trained Job output ${JSON.stringify(done.items)}, expected ${training} in state success`);
		assert(done.ranNodes.includes(WAIT_EXAMPLE_NODES.generate) && !done.ranNodes.includes(WAIT_EXAMPLE_NODES.notFinished), `${label}: nodes run ${done.ranNodes.join(', ')}`);
		const generated = (await executionsOf(copy.id, WAIT_EXAMPLE_NODES.generate)).find((e) => e.id === done.id);
		assert(generated.items.length === 1 && generated.items[0].state === 'success' && generated.items[0].binary.length === 2, `${label}: Generate with Checkpoint output ${JSON.stringify(generated.items)}, expected 2 images`);
		const sent = fake.callbacks.filter((c) => c.job_id === training);
		return { training, execution: done.id, sent };
	};
	try {
		// 1. an early call at creation: the execution is still running (409), the real callback resumes it
		const early = await run('early call', w.main, { copies: 1, delayMs: 0, jitterMs: 0, early: true });
		assert(early.sent.every((c) => /\/webhook-waiting\//.test(c.url)), `the training's Callback URL is not the execution's resume URL: ${early.sent.map((c) => c.url).join(', ')}`);
		// The early call comes while Train Model still runs: n8n refuses it (409 in 2.x, 500 in 1.123) and
		// the finished job's call resumes the execution; or, should it arrive just after the pause was
		// saved, it resumes the execution and Get Trained Job waits for the job. Either way one resumes.
		const earlyCall = early.sent.find((c) => c.state === 'queued');
		const finalCall = early.sent.find((c) => c.state === 'success');
		const answers = JSON.stringify(early.sent.map((c) => [c.state, c.status]));
		assert(earlyCall && finalCall, `expected an early and a final call, the fake sent ${answers}`);
		assert([earlyCall, finalCall].filter((c) => c.status === 200).length === 1, `expected exactly one call to resume the execution: ${answers}`);
		log(`  early call: ${early.training}, callbacks answered ${answers} (${earlyCall.status === 200 ? 'the early call resumed it, Get Trained Job waited' : 'the early call refused, the final one resumed it'}), execution ${early.execution} success with 2 images`);

		// 2. n8n restarted while the execution waits; the callback arrives after the restart
		const restarted = await run('restart while waiting', w.main, { copies: 1, delayMs: 40_000, jitterMs: 0, early: false }, {
			whileWaiting: async () => {
				await n8n.stop();
				n8n = await start('n8n-wait-restarted.log');
			},
		});
		assert(restarted.sent.length === 1 && restarted.sent[0].status === 200, `callback after the restart: ${JSON.stringify(restarted.sent.map((c) => [c.status, c.error]))}`);
		log(`  restart while waiting: ${restarted.training}, callback after the restart answered 200, execution ${restarted.execution} success`);

		// 3. the callback is lost: the wait limit (5 s here) resumes the execution, the job is read all the same
		const lost = await run('lost callback', w.lost, { copies: 0, delayMs: 0, jitterMs: 0, early: false });
		assert(lost.sent.length === 0, `a callback was sent although the fake was told to lose it: ${JSON.stringify(lost.sent)}`);
		log(`  lost callback: ${lost.training}, no callback, resumed by the wait limit, execution ${lost.execution} success`);
	} finally {
		fake.setOptions({ callbacks: { copies: 1, delayMs: 0, jitterMs: 0, early: false } });
		await n8n.stop();
		for (const id of [w.main.id, w.lost.id]) {
			const r = await rt.runN8n(['unpublish:workflow', `--id=${id}`], { userFolder: USER_FOLDER, env: N8N_ENV });
			if (r.code !== 0) log(`  unpublish:workflow ${id} failed: ${(r.stdout + r.stderr).slice(-500)}`);
		}
	}
}

const CREATOR_DESCRIPTION = 'Generate images with Stable Diffusion and train DreamBooth models on dreamlook.ai';
const CREATOR_ACTIONS = ['Create image job', 'Get job', 'List jobs', 'Create training job', 'Train a model and generate images with it', 'Download checkpoint'];
const CREATOR_TRIGGERS = ['On job succeeded', 'On job failed'];

/**
 * The node creator of a new workflow with a trigger ("What happens next?"): searching "dreamlook" lists
 * the app entry "Dreamlook" with its own description, under no "(sub-nodes)" heading; opening it
 * lists its actions and the trigger's events.
 */
async function checkNodeCreator(page, context, base) {
	// what a new user starts from: a new workflow with a Manual Trigger (in the workflow above, which
	// already holds Dreamlook nodes, n8n 1.123's search showed the entries without descriptions)
	const created = await context.request.post(`${base}/rest/workflows`, {
		data: { name: 'E2E: node creator', nodes: [{ id: 'nc-trigger', name: 'Manual Trigger', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} }], connections: {}, settings: {}, ...(rt.N8N_MAJOR === 1 ? { active: false } : {}) },
	});
	assert(created.ok(), `creating a workflow failed: HTTP ${created.status()} ${await created.text()}`);
	const workflow = (await created.json()).data;
	await page.goto(`${base}/workflow/${workflow.id}`, { waitUntil: 'domcontentloaded', timeout: 60_000 });
	await page.waitForSelector('[data-test-id="canvas-node"]', { timeout: 60_000 });
	await rt.sleep(1000);
	const creator = page.locator('[data-test-id="node-creator"]');
	await page.click('[data-test-id="node-creator-plus-button"]');
	await creator.waitFor({ timeout: 20_000 });
	await page.locator('[data-test-id="node-creator-search-bar"]').fill('dreamlook');
	const entry = page.locator('[data-test-id="item-iterator-item"]').filter({ has: page.locator('[data-test-id="node-creator-item-name"]', { hasText: /^\s*Dreamlook\s*$/ }) });
	await entry.first().waitFor({ timeout: 20_000 });
	const listText = await creator.innerText();
	fs.writeFileSync(path.join(WORK, 'node-creator-search.txt'), listText);
	await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'node-creator-search.png') });
	assert((await entry.count()) === 1, `"Dreamlook" is listed ${await entry.count()} times:\n${listText}`);
	assert(!/sub-nodes/i.test(listText), `the search for "dreamlook" shows a sub-nodes heading:\n${listText}`);
	assert(listText.split('\n').some((l) => l.trim() === 'Dreamlook Instant'), `the Instant Trigger is not listed as "Dreamlook Instant":\n${listText}`);
	const descriptionEl = entry.locator('[data-test-id="node-creator-item-description"]');
	// n8n 1.123's search list in this run showed the entries without descriptions (a fresh editor
	// page showed them): on 1.x the description is checked when shown, else reported
	if (rt.N8N_MAJOR !== 1) await descriptionEl.first().waitFor({ timeout: 10_000 });
	const description = (await descriptionEl.count()) ? (await descriptionEl.first().innerText()).trim() : null;
	if (description === null) log('  note: n8n 1.x node creator: the search list shows no descriptions here; the description is not checked');
	else assert(description === CREATOR_DESCRIPTION, `"Dreamlook" is described as "${description}"`);

	await entry.first().click();
	const actionsText = async () => creator.innerText();
	const deadline = Date.now() + 15_000;
	while (Date.now() < deadline && !(await actionsText()).includes(CREATOR_ACTIONS[0])) await rt.sleep(300);
	// n8n 2.41 shows the triggers' section folded: open it when its events are not shown
	const before = await actionsText();
	if (!CREATOR_TRIGGERS.some((t) => before.includes(t))) {
		const toggle = creator.getByText(/^\s*Triggers\b/).first();
		if (await toggle.count()) await toggle.click();
		await rt.sleep(800);
	}
	const opened = await actionsText();
	fs.writeFileSync(path.join(WORK, 'node-creator-actions.txt'), opened);
	await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'node-creator-actions.png') });
	const lines = opened.split('\n').map((l) => l.trim());
	for (const name of [...CREATOR_ACTIONS, ...CREATOR_TRIGGERS]) {
		assert(lines.includes(name), `opening "Dreamlook" in the node creator does not list "${name}":\n${opened}`);
	}
	log(`  node creator: "dreamlook" → Dreamlook (${description ?? 'no description shown'}); ${CREATOR_ACTIONS.length} actions, triggers ${CREATOR_TRIGGERS.join(', ')}`);
	await page.keyboard.press('Escape');
}

async function caseEditor() {
	needSetup();
	if (flag('--no-browser')) throw new Skip('--no-browser');
	const chromium = await rt.ensureChromium();
	const { chromium: pw } = await rt.ensureBrowserTools();
	const workflowId = state.triggerBuilt ? 'e2eEditorBoth001' : 'e2eCreateImage01';
	const expectTypes = state.triggerBuilt ? [wt.DREAMLOOK_NODE, wt.DREAMLOOK_TRIGGER] : [wt.DREAMLOOK_NODE];

	const [port, broker] = await freePorts();
	const n8n = await rt.startN8n({ port, brokerPort: broker, userFolder: USER_FOLDER, env: N8N_ENV, logFile: path.join(WORK, 'n8n-editor.log') });
	state.servers.push(n8n);
	const browserHome = path.join(WORK, 'chromium-home');
	fs.mkdirSync(browserHome, { recursive: true });
	let browser;
	try {
		const base = `http://localhost:${port}`;
		await setup.ensureOwner(n8n.url, OWNER);
		// the node types the editor gets must include ours, with icon URLs that resolve
		browser = await pw.launch({
			executablePath: chromium,
			headless: true,
			args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
			env: { ...process.env, HOME: browserHome },
			timeout: 60_000,
		});
		const context = await browser.newContext({ viewport: { width: 1400, height: 800 } });
		const page = await context.newPage();
		const consoleErrors = [];
		const failedRequests = [];
		page.on('console', (msg) => {
			if (msg.type() === 'error') consoleErrors.push(`${msg.text()}${msg.location()?.url ? ` (${msg.location().url})` : ''}`);
		});
		page.on('pageerror', (err) => consoleErrors.push(`pageerror: ${err.message}`));
		page.on('response', (res) => {
			if (res.status() >= 400) failedRequests.push(`${res.status()} ${res.request().method()} ${res.url()}`);
		});
		const login = await context.request.post(`${base}/rest/login`, { data: { emailOrLdapLoginId: OWNER.email, password: OWNER.password } });
		assert(login.ok(), `login failed: HTTP ${login.status()} ${await login.text()}`);

		await page.goto(`${base}/workflow/${workflowId}`, { waitUntil: 'domcontentloaded', timeout: 60_000 });
		await page.waitForSelector('[data-test-id="canvas-node"]', { timeout: 60_000 });
		await page.waitForLoadState('networkidle', { timeout: 30_000 }).catch(() => {});
		await rt.sleep(1500);

		const nodes = await page.$$eval('[data-test-id="canvas-node"]', (els) =>
			els.map((el) => {
				const img = el.querySelector('img');
				const icon = el.querySelector('[data-test-id="node-icon"], .n8n-node-icon, [class*="nodeIcon"], [class*="node-icon"]');
				return {
					name: el.getAttribute('data-node-name') || el.textContent.trim().slice(0, 60),
					type: el.getAttribute('data-node-type'),
					img: img ? { src: img.getAttribute('src'), ok: img.complete && img.naturalWidth > 0 } : null,
					iconText: icon ? icon.textContent.trim() : null,
					html: el.innerHTML.slice(0, 400),
				};
			}),
		);
		fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
		const shot = path.join(SCREENSHOT_DIR, 'editor.png');
		await page.screenshot({ path: shot });
		log(`  screenshot: ${path.relative(PROJECT_DIR, shot)}`);

		for (const type of expectTypes) {
			const node = nodes.find((n) => n.type === type);
			assert(node, `no canvas node of type ${type}; found ${nodes.map((n) => n.type || n.name).join(', ')}`);
			assert(node.img && node.img.ok, `${type} renders no icon image (${JSON.stringify(node.img)}; ${node.html})`);
			assert(/dreamlook/i.test(node.img.src), `${type} icon is ${node.img.src}`);
			assert(node.iconText !== '?', `${type} shows the "?" placeholder`);
			const icon = await context.request.get(new URL(node.img.src, base).toString());
			assert(icon.ok() && (await icon.text()).includes('<svg'), `icon ${node.img.src}: HTTP ${icon.status()}`);
		}
		// open the regular node: its parameters panel must render too
		const regular = nodes.find((n) => n.type === wt.DREAMLOOK_NODE);
		await page.dblclick(`[data-test-id="canvas-node"][data-node-type="${wt.DREAMLOOK_NODE}"]`);
		await page.waitForSelector('[data-test-id="ndv"], [data-test-id="node-parameters"]', { timeout: 30_000 });
		await rt.sleep(1000);
		const panelText = await page.locator('[data-test-id="node-parameters"]').first().innerText({ timeout: 10_000 });
		const ndvShot = path.join(SCREENSHOT_DIR, 'node-panel.png');
		await page.screenshot({ path: ndvShot });
		log(`  screenshot: ${path.relative(PROJECT_DIR, ndvShot)} (${regular.name} opened)`);
		assert(/Resource/.test(panelText) && /Operation/.test(panelText), `the node panel shows no Resource/Operation fields:\n${panelText.slice(0, 500)}`);
		// as users run n8n (N8N_RELEASE_TYPE=stable): no "[DEV]" in the title
		const title = await page.title();
		assert(!/\[DEV\]/i.test(title), `the editor title is "${title}"`);
		fs.writeFileSync(path.join(WORK, 'editor-nodes.json'), JSON.stringify({ nodes, consoleErrors, failedRequests }, null, 2));
		// Opening a node panel makes the editor probe /schemas/<type>/<version>.json for an optional
		// output schema (a node's __schema__ folder); it answers 404 when the package ships none.
		// That probe is the one tolerated 404 (reported, not failed).
		const schemaProbe = (text) => /\/schemas\/n8n-nodes-dreamlook\.[A-Za-z]+\/[\d.]+(\/[^ )]*)?\.json/.test(text) && /404/.test(text);
		const probes = failedRequests.filter(schemaProbe);
		if (probes.length) log(`  note: no output schema shipped (editor probe answered 404): ${probes.map((p) => p.split(' ').pop()).join(', ')}`);
		consoleErrors.splice(0, consoleErrors.length, ...consoleErrors.filter((e) => !schemaProbe(e)));
		failedRequests.splice(0, failedRequests.length, ...failedRequests.filter((r) => !schemaProbe(r)));
		// n8n 1.123's editor asks for AI builder sessions on every workflow it opens, also without the
		// licence (403 "Plan lacks license for this feature"): n8n's own noise, reported, not failed.
		const aiSessions = (text) => rt.N8N_MAJOR === 1 && /\/rest\/ai\/sessions\/metadata|Failed to fetch sessions metadata/.test(text);
		if (failedRequests.some(aiSessions)) log('  note: n8n 1.x editor: POST /rest/ai/sessions/metadata answered 403 (no AI licence), not caused by this package');
		consoleErrors.splice(0, consoleErrors.length, ...consoleErrors.filter((e) => !aiSessions(e)));
		failedRequests.splice(0, failedRequests.length, ...failedRequests.filter((r) => !aiSessions(r)));
		// n8n 1.123's node panel asks for the workflow's last successful execution and gets a 404 when
		// there is none (a run with --only, where nothing executed this workflow): n8n's own, reported.
		const noLastSuccess = (text) => rt.N8N_MAJOR === 1 && /\/rest\/workflows\/[^/]+\/executions\/last-successful/.test(text) && /404/.test(text);
		if (failedRequests.some(noLastSuccess)) log('  note: n8n 1.x editor: GET /rest/workflows/<id>/executions/last-successful answered 404 (no successful execution yet), not caused by this package');
		consoleErrors.splice(0, consoleErrors.length, ...consoleErrors.filter((e) => !noLastSuccess(e)));
		failedRequests.splice(0, failedRequests.length, ...failedRequests.filter((r) => !noLastSuccess(r)));
		assert(consoleErrors.length === 0, `console errors in the editor:\n${consoleErrors.join('\n')}\nfailed requests:\n${failedRequests.join('\n')}`);
		assert(failedRequests.length === 0, `failed requests from the editor:\n${failedRequests.join('\n')}`);
		await checkNodeCreator(page, context, base);
	} finally {
		if (browser) await browser.close().catch(() => {});
		await n8n.stop();
	}
}

// ---------------------------------------------------------------------------------------------

async function cleanup() {
	for (const s of state.servers) await s.stop().catch(() => {});
	if (state.fake) await state.fake.close().catch(() => {});
	rt.killAllStarted('SIGKILL');
}

async function main() {
	const started = Date.now();
	const overall = setTimeout(async () => {
		results.push({ name: 'e2e total time', status: 'fail', ms: Date.now() - started, detail: `over ${TOTAL_TIMEOUT_MS / 1000} s` });
		log(`FAIL e2e total time: over ${TOTAL_TIMEOUT_MS / 1000} s, stopping`);
		await cleanup();
		summary();
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
		await runCase('setup: provision, build, pack, install, fake API, import', 25 * 60_000, caseSetup);
		await runCase('execute: create image job, wait, download, measure in Code', 180_000, caseCreateImage);
		await runCase('execute: get job with images into Set', 180_000, caseGetJob);
		await runCase('execute: list jobs (state filter)', 180_000, caseListJobs);
		await runCase('execute: wrong API key fails with the credential message', 180_000, caseBadKey);
		await runCase('execute: continue on fail', 180_000, caseContinueOnFail);
		if (!fs.existsSync(EXAMPLES_DIR) || fs.readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.json')).length === 0) {
			await runCase('examples', 1000, async () => {
				throw new Error('no examples/*.json');
			});
		}
		for (const entry of state.exampleWorkflows.filter((e) => !wt.usesTrigger(e.wf) && !isAgentExample(e.wf) && !isWaitByCallbackExample(e.wf))) {
			await runCase(`example: ${entry.file}`, 300_000, () => caseExample(entry));
		}
		for (const entry of state.exampleWorkflows.filter((e) => isAgentExample(e.wf))) {
			await runCase(`example: ${entry.file}: n8n loads it; its Dreamlook tool runs without an LLM (Tool Executor, as the editor's From AI test) and answers JSON`, 300_000, () => caseAgentExample(entry));
		}
		await runCase('execute: Retry On Fail after a dropped create (tag lookup 503 × 4), one job per item, images', 300_000, () => caseRetryDroppedCreate({ lookup: 'flaky' }));
		await runCase('execute: Retry On Fail after a dropped create, tag lookup down: "may have been created", one POST per item', 300_000, () => caseRetryDroppedCreate({ lookup: 'down' }));
		await runCase('execute: redirect from the API fails naming the host, key not sent', 180_000, caseRedirect);
		await runCase(`execute: ${LIMITED_ITEMS} creates with Concurrency Auto, server answers 429 above ${LIMITED_MAX_IN_FLIGHT} in flight: 0 failed, 0 duplicates`, 240_000, caseLimitedRegime);
		await runCase('execute: Dry Run from an expression ("true" dry run, "yes" fails)', 240_000, caseDryRunExpression);
		const triggerExamples = state.exampleWorkflows.filter((e) => wt.usesTrigger(e.wf)).map((e) => ` + example ${e.file}`).join('');
		await runCase(`trigger: published workflow${triggerExamples}, each finished job in exactly one execution, across an n8n restart (classic poll scheduler)`, 420_000, () => caseTrigger({ durable: false }));
		await runCase(`trigger: the same under n8n's durable poll cursors (N8N_POLLER_DURABLE_CURSORS_ENABLED and the scheduler chain)`, 540_000, () => caseTrigger({ durable: true }));
		if (state.waitByCallback) {
			await runCase(`example: ${state.waitByCallback.file}: the execution waits in n8n's Wait node and is resumed by Dreamlook's callback (an early call at creation, a callback after an n8n restart, a lost callback picked up at the wait limit)`, 540_000, caseWaitByCallback);
		}
		await runCase('instant trigger: real callbacks (duplicated, reordered, early) start one execution per finished job; forged calls start none; a duplicate after an n8n restart starts none', 300_000, caseInstantTrigger);
		await runCase('editor: nodes render with icons, no console errors, screenshot', 240_000, caseEditor);
	} finally {
		await cleanup();
		if (!flag('--keep')) {
			// keep logs and the screenshot, drop the ~heavy user folder
			fs.rmSync(path.join(WORK, 'n8n', '.n8n', 'binaryData'), { recursive: true, force: true });
		}
	}
	log(`total ${Math.round((Date.now() - started) / 1000)} s`);
	const failed = summary();
	process.exit(failed ? 1 : 0);
}

main().catch(async (e) => {
	log(`FAIL e2e driver: ${e.stack || e}`);
	await cleanup();
	results.push({ name: 'e2e driver', status: 'fail', ms: 0, detail: String(e.message) });
	summary();
	process.exit(1);
});
