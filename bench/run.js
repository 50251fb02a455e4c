#!/usr/bin/env node
'use strict';
// npm run bench — every benchmark against the fake Dreamlook API on loopback, one table.
//   node bench/run.js [--only create,wait,download,package,trigger,money,callback,checkpoint]
// Each benchmark runs in its own process on a private copy of the compiled package (see
// lib.js prepareSnapshot); the fake API runs in yet another process. Not part of `npm test`.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { ROOT, prepareSnapshot } = require('./lib');

const BENCHES = ['create', 'wait', 'download', 'package'];
/** Run after the trigger's section (numbered after it in the table). */
const LATE_BENCHES = ['money', 'callback', 'checkpoint']; // checkpoint: 3 rounds of 2 GiB (node, curl, Node's pipe), about a minute
/** Where the trigger's own benchmark may live (written by the trigger's developer). */
const TRIGGER_CANDIDATES = ['bench/trigger.js', 'bench/trigger-bench.js', 'bench/bench-trigger.js', 'scripts/bench-trigger.js', 'scripts/trigger-bench.js'];

function machine() {
	const cpus = os.cpus();
	return {
		cpus: `${os.availableParallelism?.() ?? cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}`,
		memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB total, ${(os.freemem() / 2 ** 30).toFixed(1)} GiB free`,
		node: process.version,
		os: `${os.type()} ${os.release()}`,
		load: os.loadavg().map((value) => value.toFixed(2)).join(' '),
	};
}

function runBench(file, env) {
	const started = Date.now();
	// --expose-gc: memory rows start from a collected heap (without it a 1 000-item run's peak RSS growth read
	// 8.6 MB once and 36.0 MB the next time, mostly garbage the run before had left uncollected).
	const run = spawnSync(process.execPath, ['--expose-gc', file], { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
	const lines = run.stdout.trim().split('\n');
	let result = null;
	try {
		result = JSON.parse(lines[lines.length - 1]);
	} catch {
		result = null;
	}
	return { status: run.status, result, stdout: run.stdout, seconds: (Date.now() - started) / 1000 };
}

/**
 * The trigger bench's own result shape ({ rows: [{ jobs, requestsPerIdlePoll, pollMsMedian, ... }],
 * goals, met }) as table rows; any other shape is shown field by field.
 */
function triggerSection(result, file) {
	const title = `5. Trigger idle polls (${file})`;
	if (result.rows.every((row) => typeof row.measure === 'string')) return { ...result, title: result.title ?? title };
	const rows = result.rows.map((row) => {
		if (row.jobs !== undefined && row.requestsPerIdlePoll !== undefined) {
			return {
				measure: `${row.jobs} jobs of history: requests / poll() ms median, p95 / state`,
				value: `${row.requestsPerIdlePoll} / ${row.pollMsMedian}, ${row.pollMsP95} ms / ${row.stateBytes} B`,
			};
		}
		return { measure: JSON.stringify(row).slice(0, 60), value: '' };
	});
	const describe = {
		requestsPerIdlePoll: (goal) => [`requests per idle poll`, `≤ ${goal}`],
		pollMsAt10k: (goal) => ['poll() median at 10 000 jobs', `< ${goal} ms`],
		stateBytes: (goal) => ['static data size', `≤ ${goal} B`],
	};
	for (const [key, ok] of Object.entries(result.met ?? {})) {
		const [measure, goal] = describe[key]?.(result.goals?.[key]) ?? [key, String(result.goals?.[key] ?? '')];
		rows.push({ measure, value: ok ? 'met' : 'missed', goal, ok: Boolean(ok) });
	}
	return { title, rows };
}

function findTrigger() {
	return TRIGGER_CANDIDATES.map((file) => path.join(ROOT, file)).find((file) => fs.existsSync(file));
}

function pad(text, width) {
	const length = [...text].length;
	return length >= width ? text : text + ' '.repeat(width - length);
}

function printTable(sections) {
	const rows = [];
	for (const section of sections) {
		rows.push({ section: section.title });
		for (const row of section.rows) rows.push(row);
	}
	const widths = { measure: 10, value: 10, goal: 4 };
	for (const row of rows) {
		if (row.section) continue;
		widths.measure = Math.max(widths.measure, [...String(row.measure)].length);
		widths.value = Math.max(widths.value, [...String(row.value)].length);
		widths.goal = Math.max(widths.goal, [...(row.goal ?? '')].length);
	}
	const line = (cells) => `| ${cells.join(' | ')} |`;
	const out = [line([pad('Measure', widths.measure), pad('Result', widths.value), pad('Goal', widths.goal), 'Met'])];
	out.push(line(['-'.repeat(widths.measure), '-'.repeat(widths.value), '-'.repeat(widths.goal), '---']));
	for (const row of rows) {
		if (row.section) {
			out.push(line([pad(`**${row.section}**`, widths.measure), pad('', widths.value), pad('', widths.goal), '   ']));
			continue;
		}
		const met = row.ok === undefined ? '   ' : row.ok ? 'yes' : 'NO ';
		out.push(line([pad(row.measure, widths.measure), pad(String(row.value), widths.value), pad(row.goal ?? '', widths.goal), met]));
	}
	return out.join('\n');
}

async function main() {
	const onlyIndex = process.argv.indexOf('--only');
	const only = onlyIndex > 0 ? new Set(process.argv[onlyIndex + 1].split(',')) : null;
	const wanted = (name) => !only || only.has(name);
	const host = machine();
	process.stderr.write(`bench: ${host.cpus}; ${host.memory}; Node ${host.node}; load ${host.load}\n`);
	const snapshot = prepareSnapshot();
	process.stderr.write(`bench: compiled package from ${snapshot.source}\n`);
	const env = { ...process.env, BENCH_DIST: snapshot.snapshot };

	const sections = [];
	let crashed = false;
	for (const name of BENCHES.filter(wanted)) {
		process.stderr.write(`bench: ${name}…\n`);
		const run = runBench(path.join(__dirname, `${name}.js`), env);
		if (run.status !== 0 || !run.result) {
			crashed = true;
			sections.push({ title: name, rows: [{ measure: 'benchmark', value: `crashed (exit ${run.status})`, goal: 'runs', ok: false }] });
			continue;
		}
		sections.push(run.result);
	}

	if (wanted('trigger')) {
		const trigger = findTrigger();
		if (!trigger) {
			sections.push({ title: '5. Trigger', rows: [{ measure: 'trigger', value: 'not built yet' }] });
		} else {
			process.stderr.write(`bench: trigger (${path.relative(ROOT, trigger)})…\n`);
			const run = runBench(trigger, env);
			if (run.status === 0 && Array.isArray(run.result?.rows)) sections.push(triggerSection(run.result, path.relative(ROOT, trigger)));
			else
				sections.push({
					title: `5. Trigger (${path.relative(ROOT, trigger)})`,
					rows: [{ measure: 'output', value: run.status === 0 ? run.stdout.trim().split('\n').slice(-5).join(' / ') : `crashed (exit ${run.status})`, ok: run.status === 0 ? undefined : false }],
				});
			if (run.status !== 0) crashed = true;
		}
	}

	for (const name of LATE_BENCHES.filter(wanted)) {
		process.stderr.write(`bench: ${name}…\n`);
		const run = runBench(path.join(__dirname, `${name}.js`), env);
		if (run.status !== 0 || !run.result) {
			crashed = true;
			sections.push({ title: name, rows: [{ measure: 'benchmark', value: `crashed (exit ${run.status})`, goal: 'runs', ok: false }] });
			continue;
		}
		sections.push(run.result);
	}

	const table = printTable(sections);
	const goals = sections.flatMap((section) => section.rows).filter((row) => row.ok !== undefined);
	const met = goals.filter((row) => row.ok).length;
	process.stdout.write(`\nMachine: ${host.cpus}, ${host.memory}, Node ${host.node}, ${host.os}, load average at start ${host.load}\n\n${table}\n\nGoals met: ${met} of ${goals.length}\n`);

	const record = path.join(ROOT, 'node_modules', '.cache', 'n8n-nodes-dreamlook-bench', 'last-run.json');
	fs.writeFileSync(record, JSON.stringify({ at: new Date().toISOString(), machine: host, sections }, null, 2));
	process.exitCode = crashed ? 1 : 0;
}

main().catch((error) => {
	process.stderr.write(`${error.stack || error.message}\n`);
	process.exitCode = 1;
});
