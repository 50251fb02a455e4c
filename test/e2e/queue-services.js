'use strict';
// PostgreSQL and Redis for the queue-mode e2e (scripts/e2e-queue.js).
//
// PostgreSQL: the server on 127.0.0.1:5432 when it answers; otherwise Debian's cluster is started
// (`pg_ctlcluster <version> main start`), after `apt-get install -y postgresql` when it is not
// installed, and stopped again at the end. Each run gets its own throwaway role and databases,
// dropped at the end. Administration goes through `runuser -u postgres -- psql` (peer auth on the
// local socket), or E2E_PG_ADMIN_URL (postgres://superuser:password@host:port/postgres) when set.
//
// Redis: the server on 127.0.0.1:6379 when it answers PING (the run uses its own QUEUE_BULL_PREFIX
// and deletes its keys at the end); otherwise a private `redis-server` on a free loopback port in
// the work dir, without persistence, killed at the end (after `apt-get install -y redis-server`
// when the binary is missing). Nothing is left running that was not running before.

const fs = require('node:fs');
const net = require('node:net');
const { freePort } = require('./runner');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawnSync } = require('node:child_process');
const rt = require('../../scripts/n8n-runtime');

function log(msg) {
	process.stdout.write(`  [services] ${msg}\n`);
}

function which(cmd) {
	const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
	return r.status === 0 ? r.stdout.trim() : null;
}

function isRoot() {
	return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Resolves true when host:port accepts a TCP connection within timeoutMs. */
function portAnswers(port, host = '127.0.0.1', timeoutMs = 1500) {
	return new Promise((resolve) => {
		const s = net.connect({ port, host });
		const done = (ok) => {
			s.destroy();
			resolve(ok);
		};
		s.setTimeout(timeoutMs, () => done(false));
		s.once('connect', () => done(true));
		s.once('error', () => done(false));
	});
}

async function aptInstall(pkgs) {
	if (!which('apt-get')) throw new Error(`${pkgs.join(', ')} missing and apt-get is not available: install them and rerun`);
	const sudo = isRoot() ? [] : which('sudo') ? ['sudo', '-n'] : null;
	if (!sudo) throw new Error(`${pkgs.join(', ')} missing: run \`apt-get install -y ${pkgs.join(' ')}\` as root`);
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	const cmd = (args) => (sudo.length ? rt.run(sudo[0], [...sudo.slice(1), ...args], { env, timeoutMs: 15 * 60_000 }) : rt.run(args[0], args.slice(1), { env, timeoutMs: 15 * 60_000 }));
	log(`installing ${pkgs.join(' ')} (apt-get)`);
	let i = await cmd(['apt-get', 'install', '-y', '--no-install-recommends', ...pkgs]);
	if (i.code !== 0) {
		const u = await cmd(['apt-get', 'update']);
		if (u.code !== 0) throw new Error(`apt-get update failed (exit ${u.code}):\n${u.stderr.slice(-2000)}`);
		i = await cmd(['apt-get', 'install', '-y', '--no-install-recommends', ...pkgs]);
	}
	if (i.code !== 0) throw new Error(`apt-get install ${pkgs.join(' ')} failed (exit ${i.code}):\n${i.stderr.slice(-2000)}`);
}

// ---------------------------------------------------------------------------------------------
// Redis: a minimal RESP client (PING, SCAN, DEL) so that no client library is needed.

function redisCommand(port, host, args, timeoutMs = 5000) {
	return new Promise((resolve, reject) => {
		const s = net.connect({ port, host });
		let buf = Buffer.alloc(0);
		const timer = setTimeout(() => {
			s.destroy();
			reject(new Error(`redis ${args[0]}: timeout`));
		}, timeoutMs);
		s.on('error', (e) => {
			clearTimeout(timer);
			reject(e);
		});
		s.on('data', (d) => {
			buf = Buffer.concat([buf, d]);
			const parsed = parseResp(buf, 0);
			if (parsed) {
				clearTimeout(timer);
				s.end();
				resolve(parsed.value);
			}
		});
		s.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`);
	});
}

/** @returns {{value: any, end: number} | null} null when incomplete */
function parseResp(buf, at) {
	const nl = buf.indexOf('\r\n', at);
	if (nl < 0) return null;
	const type = String.fromCharCode(buf[at]);
	const line = buf.toString('utf8', at + 1, nl);
	if (type === '+' || type === ':') return { value: type === ':' ? Number(line) : line, end: nl + 2 };
	if (type === '-') return { value: new Error(line), end: nl + 2 };
	if (type === '$') {
		const n = Number(line);
		if (n < 0) return { value: null, end: nl + 2 };
		if (buf.length < nl + 2 + n + 2) return null;
		return { value: buf.toString('utf8', nl + 2, nl + 2 + n), end: nl + 2 + n + 2 };
	}
	if (type === '*') {
		const n = Number(line);
		const out = [];
		let pos = nl + 2;
		for (let i = 0; i < n; i++) {
			const p = parseResp(buf, pos);
			if (!p) return null;
			out.push(p.value);
			pos = p.end;
		}
		return { value: out, end: pos };
	}
	throw new Error(`unexpected RESP type ${type}`);
}

async function redisPing(port, host = '127.0.0.1') {
	try {
		return (await redisCommand(port, host, ['PING'], 2000)) === 'PONG';
	} catch {
		return false;
	}
}

/** Delete every key that starts with prefix (SCAN + DEL). Returns how many were deleted. */
async function redisDeletePrefix(port, host, prefix) {
	let cursor = '0';
	let deleted = 0;
	do {
		const [next, keys] = await redisCommand(port, host, ['SCAN', cursor, 'MATCH', `${prefix}*`, 'COUNT', '1000']);
		cursor = next;
		if (keys.length) deleted += await redisCommand(port, host, ['DEL', ...keys]);
	} while (cursor !== '0');
	return deleted;
}

/**
 * @param {{workDir: string}} o
 * @returns {Promise<{host: string, port: number, prefix: string, shared: boolean, stop: () => Promise<void>}>}
 */
async function startRedis({ workDir }) {
	const prefix = `dl-e2e-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
	if (await redisPing(6379)) {
		log('Redis: using the server on 127.0.0.1:6379 (own key prefix, deleted at the end)');
		return {
			host: '127.0.0.1',
			port: 6379,
			prefix,
			shared: true,
			async stop() {
				const n = await redisDeletePrefix(6379, '127.0.0.1', prefix).catch(() => 0);
				log(`Redis: deleted ${n} keys of this run`);
			},
		};
	}
	if (!which('redis-server')) await aptInstall(['redis-server']);
	const port = await freePort();
	const dir = path.join(workDir, 'redis');
	fs.mkdirSync(dir, { recursive: true });
	const child = rt.spawnTracked(
		which('redis-server'),
		['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--logfile', path.join(dir, 'redis.log')],
		{ stdio: 'ignore' },
	);
	const deadline = Date.now() + 20_000;
	while (!(await redisPing(port))) {
		if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${fs.readFileSync(path.join(dir, 'redis.log'), 'utf8').slice(-1500)}`);
		if (Date.now() > deadline) throw new Error('redis-server did not answer PING within 20 s');
		await rt.sleep(100);
	}
	log(`Redis: private redis-server on 127.0.0.1:${port} (pid ${child.pid}, no persistence)`);
	return {
		host: '127.0.0.1',
		port,
		prefix,
		shared: false,
		async stop() {
			rt.killGroup(child, 'SIGKILL');
		},
	};
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/** Run SQL as the PostgreSQL superuser. */
async function psqlAdmin(sql, { db = 'postgres' } = {}) {
	const adminUrl = process.env.E2E_PG_ADMIN_URL;
	let r;
	if (adminUrl) {
		const u = new URL(adminUrl);
		u.pathname = `/${db}`;
		r = await rt.run('psql', [u.toString(), '-v', 'ON_ERROR_STOP=1', '-Atqc', sql], { timeoutMs: 60_000 });
	} else {
		const args = ['-v', 'ON_ERROR_STOP=1', '-Atq', '-d', db, '-c', sql];
		if (isRoot()) r = await rt.run('runuser', ['-u', 'postgres', '--', 'psql', ...args], { timeoutMs: 60_000, cwd: '/' });
		else r = await rt.run('sudo', ['-n', '-u', 'postgres', 'psql', ...args], { timeoutMs: 60_000, cwd: '/' });
	}
	if (r.code !== 0) throw new Error(`psql failed (exit ${r.code}): ${r.stderr.slice(-1500)}\nSQL: ${sql}`);
	return r.stdout.trim();
}

function pgClusters() {
	const r = spawnSync('pg_lsclusters', ['--no-header'], { encoding: 'utf8' });
	if (r.status !== 0) return [];
	return r.stdout
		.split('\n')
		.filter(Boolean)
		.map((l) => l.trim().split(/\s+/))
		.map(([version, name, port, status]) => ({ version, name, port: Number(port), status }));
}

/**
 * @returns {Promise<{host: string, port: number, user: string, password: string,
 *   createDatabase: (suffix: string) => Promise<string>, stop: () => Promise<void>}>}
 */
async function startPostgres() {
	let startedCluster = null;
	if (await portAnswers(5432)) {
		log('PostgreSQL: using the server on 127.0.0.1:5432');
	} else {
		if (!which('pg_ctlcluster') || pgClusters().length === 0) await aptInstall(['postgresql']);
		const cluster = pgClusters().find((c) => c.port === 5432) || pgClusters()[0];
		if (!cluster) throw new Error('no PostgreSQL cluster (pg_lsclusters lists none)');
		if (cluster.port !== 5432) throw new Error(`the PostgreSQL cluster ${cluster.version}/${cluster.name} listens on ${cluster.port}, not 5432`);
		const t0 = Date.now();
		const r = await rt.run('pg_ctlcluster', [cluster.version, cluster.name, 'start'], { timeoutMs: 120_000 });
		if (r.code !== 0) throw new Error(`pg_ctlcluster ${cluster.version} ${cluster.name} start failed: ${r.stderr.slice(-1500)}`);
		startedCluster = cluster;
		const deadline = Date.now() + 60_000;
		while (!(await portAnswers(5432))) {
			if (Date.now() > deadline) throw new Error('PostgreSQL did not answer on 5432 within 60 s');
			await rt.sleep(200);
		}
		log(`PostgreSQL: started cluster ${cluster.version}/${cluster.name} (${Date.now() - t0} ms); stopped again at the end`);
	}
	const tag = `dl_e2e_${process.pid}_${crypto.randomBytes(3).toString('hex')}`;
	const password = crypto.randomBytes(12).toString('hex');
	await psqlAdmin(`CREATE ROLE ${tag} LOGIN PASSWORD '${password}'`);
	/** @type {string[]} */
	const databases = [];
	return {
		host: '127.0.0.1',
		port: 5432,
		user: tag,
		password,
		/** A fresh database owned by this run's role. */
		async createDatabase(suffix) {
			const name = `${tag}_${suffix}`;
			await psqlAdmin(`CREATE DATABASE ${name} OWNER ${tag}`);
			databases.push(name);
			return name;
		},
		async stop() {
			for (const db of databases) await psqlAdmin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch((e) => log(`could not drop ${db}: ${e.message}`));
			await psqlAdmin(`DROP ROLE IF EXISTS ${tag}`).catch((e) => log(`could not drop role ${tag}: ${e.message}`));
			if (startedCluster) {
				const r = await rt.run('pg_ctlcluster', [startedCluster.version, startedCluster.name, 'stop', '-m', 'fast'], { timeoutMs: 60_000 });
				log(`PostgreSQL: stopped cluster ${startedCluster.version}/${startedCluster.name} (exit ${r.code})`);
			}
		},
	};
}

module.exports = { startPostgres, startRedis, portAnswers, freePort, redisPing, psqlAdmin };
