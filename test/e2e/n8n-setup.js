'use strict';
// Setting up a real n8n user folder for this package: install the packed tarball the way n8n's
// own community-package installer does, import credentials and workflows, create the owner.
// Shared by scripts/e2e.js and scripts/dev.js.

const fs = require('node:fs');
const path = require('node:path');
const http = require('node:http');
const rt = require('../../scripts/n8n-runtime');

const PACKAGE_NAME = 'n8n-nodes-dreamlook';

function nodesDir(userFolder) {
	return path.join(userFolder, '.n8n', 'nodes');
}

function packageDir(userFolder) {
	return path.join(nodesDir(userFolder), 'node_modules', PACKAGE_NAME);
}

/** Record the package in ~/.n8n/nodes/package.json as n8n does. */
function writeNodesPackageJson(userFolder, version) {
	const file = path.join(nodesDir(userFolder), 'package.json');
	let pkg = { name: 'installed-nodes', private: true, dependencies: {} };
	try {
		pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
	} catch {
		/* new */
	}
	pkg.dependencies = { ...(pkg.dependencies || {}), [PACKAGE_NAME]: version };
	fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + '\n');
}

/**
 * `npm run build` + `npm pack` of the project: the tarball users get.
 * @returns {Promise<{tarball: string, files: string[], version: string}>}
 */
async function buildAndPack(projectDir, outDir, { build = true } = {}) {
	if (build) {
		const b = await rt.run('npm', ['run', 'build'], { cwd: projectDir, timeoutMs: 5 * 60_000 });
		if (b.code !== 0) throw new Error(`npm run build failed (exit ${b.code}):\n${(b.stdout + b.stderr).slice(-4000)}`);
	}
	fs.rmSync(outDir, { recursive: true, force: true });
	fs.mkdirSync(outDir, { recursive: true });
	const p = await rt.run('npm', ['pack', '--json', '--pack-destination', outDir], { cwd: projectDir, timeoutMs: 2 * 60_000 });
	if (p.code !== 0) throw new Error(`npm pack failed (exit ${p.code}):\n${p.stderr.slice(-4000)}`);
	const info = JSON.parse(p.stdout.slice(p.stdout.indexOf('[')))[0];
	return { tarball: path.join(outDir, info.filename), files: info.files.map((f) => f.path), version: info.version };
}

/**
 * Install a packed tarball into <userFolder>/.n8n/nodes exactly like n8n's community package
 * installer (extract, drop dev/peer/optional dependencies, `npm install` what is left).
 */
async function installTarball(tarball, userFolder) {
	const dir = packageDir(userFolder);
	fs.rmSync(dir, { recursive: true, force: true });
	fs.mkdirSync(dir, { recursive: true });
	const x = await rt.run('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1'], { timeoutMs: 60_000 });
	if (x.code !== 0) throw new Error(`could not extract ${tarball}: ${x.stderr}`);
	const pkgFile = path.join(dir, 'package.json');
	const { devDependencies, peerDependencies, optionalDependencies, ...pkg } = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
	fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
	if (pkg.dependencies && Object.keys(pkg.dependencies).length > 0) {
		const i = await rt.run(
			'npm',
			['install', '--audit=false', '--fund=false', '--bin-links=false', '--install-strategy=shallow', '--ignore-scripts=true', '--package-lock=false'],
			{ cwd: dir, timeoutMs: 5 * 60_000 },
		);
		if (i.code !== 0) throw new Error(`npm install of the package's dependencies failed:\n${i.stderr.slice(-3000)}`);
	}
	writeNodesPackageJson(userFolder, pkg.version);
	return dir;
}

/** For `npm run dev`: a symlink to the project, so a rebuild + n8n restart shows changes. */
function linkProject(projectDir, userFolder) {
	const dir = packageDir(userFolder);
	fs.mkdirSync(path.dirname(dir), { recursive: true });
	fs.rmSync(dir, { recursive: true, force: true });
	fs.symlinkSync(projectDir, dir, 'dir');
	const version = JSON.parse(fs.readFileSync(path.join(projectDir, 'package.json'), 'utf8')).version;
	writeNodesPackageJson(userFolder, version);
	return dir;
}

function checkCli(r, what) {
	if (r.code !== 0) {
		throw new Error(`${what} failed (exit ${r.code}${r.timedOut ? ', timed out' : ''}):\n${(r.stdout + '\n' + r.stderr).slice(-4000)}`);
	}
	return r;
}

/** @param {Array<{id: string, name: string, type: string, data: object}>} credentials */
async function importCredentials(credentials, { userFolder, workDir, env }) {
	const file = path.join(workDir, 'credentials.json');
	fs.mkdirSync(workDir, { recursive: true });
	fs.writeFileSync(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
	try {
		return checkCli(await rt.runN8n(['import:credentials', `--input=${file}`], { userFolder, env }), 'n8n import:credentials');
	} finally {
		fs.rmSync(file, { force: true }); // holds a plain API key
	}
}

async function importWorkflowDir(dir, { userFolder, env }) {
	return checkCli(await rt.runN8n(['import:workflow', '--separate', `--input=${dir}`], { userFolder, env }), 'n8n import:workflow');
}

/** Make a workflow active for the next `n8n start` (`update:workflow --active=true` on 1.x, see rt.runN8n). */
async function publishWorkflow(id, { userFolder, env }) {
	return checkCli(await rt.runN8n(['publish:workflow', `--id=${id}`], { userFolder, env }), `n8n publish:workflow ${id}`);
}

/** The reverse of publishWorkflow. */
async function unpublishWorkflow(id, { userFolder, env }) {
	return checkCli(await rt.runN8n(['unpublish:workflow', `--id=${id}`], { userFolder, env }), `n8n unpublish:workflow ${id}`);
}

/**
 * Output of `n8n execute --rawOutput`: the run JSON (after any log lines).
 * @returns {any|null}
 */
function parseExecuteOutput(stdout) {
	const lines = stdout.split('\n');
	for (let i = 0; i < lines.length; i++) {
		if (lines[i] !== '{') continue;
		try {
			return JSON.parse(lines.slice(i).join('\n'));
		} catch {
			/* try a later one (the JSON may be followed by more lines) */
			for (let j = lines.length; j > i; j--) {
				if (lines[j - 1] !== '}') continue;
				try {
					return JSON.parse(lines.slice(i, j).join('\n'));
				} catch {
					/* keep looking */
				}
			}
		}
	}
	return null;
}

/** Items a node output (first run, first output) in a run from `n8n execute`. */
function nodeItems(run, nodeName) {
	return run?.data?.resultData?.runData?.[nodeName]?.[0]?.data?.main?.[0] ?? null;
}

/** @returns {Promise<{status: number, headers: http.IncomingHttpHeaders, body: string}>} */
function request(url, { method = 'GET', body, headers = {}, timeoutMs = 15_000 } = {}) {
	return new Promise((resolve, reject) => {
		const data = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
		const req = http.request(
			url,
			{
				method,
				timeout: timeoutMs,
				headers: { ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}), ...headers },
			},
			(res) => {
				let text = '';
				res.setEncoding('utf8');
				res.on('data', (d) => (text += d));
				res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
			},
		);
		req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${url}`)));
		req.on('error', reject);
		req.end(data);
	});
}

function authCookieOf(res) {
	const cookies = [].concat(res.headers['set-cookie'] || []);
	const c = cookies.map((s) => /^n8n-auth=([^;]+)/.exec(s)).find(Boolean);
	return c ? c[1] : null;
}

/**
 * Create the instance owner (first start) or log in (later starts). Returns the n8n-auth cookie.
 * @param {string} baseUrl @param {{email: string, password: string, firstName?: string, lastName?: string}} owner
 */
async function ensureOwner(baseUrl, owner, { timeoutMs = 90_000 } = {}) {
	// Seen on a busy machine (n8n 2.41, CI): right after /healthz and /rest/settings answered, both
	// routes below still answered 404 ("Cannot POST"), n8n not done mounting them. Retry those, bounded.
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const setup = await request(`${baseUrl}/rest/owner/setup`, {
			method: 'POST',
			body: { email: owner.email, password: owner.password, firstName: owner.firstName || 'Demo', lastName: owner.lastName || 'User' },
		});
		let cookie = setup.status === 200 ? authCookieOf(setup) : null;
		if (cookie) return cookie;
		const login = await request(`${baseUrl}/rest/login`, {
			method: 'POST',
			body: { emailOrLdapLoginId: owner.email, email: owner.email, password: owner.password },
		});
		cookie = login.status === 200 ? authCookieOf(login) : null;
		if (cookie) return cookie;
		if (setup.status !== 404 || login.status !== 404 || Date.now() > deadline) {
			throw new Error(
				`could not create or log in the owner: setup HTTP ${setup.status} ${setup.body.slice(0, 300)}; login HTTP ${login.status} ${login.body.slice(0, 300)}`,
			);
		}
		await rt.sleep(1000);
	}
}

module.exports = {
	PACKAGE_NAME,
	nodesDir,
	packageDir,
	buildAndPack,
	installTarball,
	linkProject,
	importCredentials,
	importWorkflowDir,
	publishWorkflow,
	unpublishWorkflow,
	parseExecuteOutput,
	nodeItems,
	request,
	ensureOwner,
};
