#!/usr/bin/env node
'use strict';
/**
 * What n8n's community-package scanner (@n8n/scan-community-package) enforces, run on the tarball
 * `npm pack` produces — the bytes users get, not the working tree:
 *
 *  - package.json: name n8n-nodes-*, keyword, MIT, description, homepage, repository, author with
 *    email, engines, `files: ["dist"]`, no `dependencies`, peerDependencies exactly
 *    {"n8n-workflow": "*"}, no lifecycle scripts, no overrides, n8n section (api version 1, every
 *    node/credential path under dist/ and present in the tarball);
 *  - tarball: only dist/, README.md, LICENSE, package.json; LICENSE and README present;
 *  - every node and credential loads in a fresh process, its icons exist in the tarball, every
 *    node has its codex (X.node.json: categories, aliases, documentation) beside it;
 *  - compiled dist/**\/*.js: the scanner's own ESLint pass (community-nodes recommended rules +
 *    no-console on `**\/*.js` and package.json, exactly as the scanner lints the tarball), plus a
 *    stricter import check: only relative paths and n8n's allow-list, with no devDependency
 *    exception (a devDependency is not installed in n8n, so requiring it fails at runtime).
 *
 *   node scripts/check-package.js [--json] [--keep]
 * Builds first when dist/ lacks a file package.json names. Exit code 1 when a check fails.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync, execFileSync } = require('node:child_process');
const { createRequire } = require('node:module');

const ROOT = path.resolve(__dirname, '..');

/** n8n's allow-list (no-restricted-imports in @n8n/eslint-plugin-community-nodes), without its devDependency exception. */
const ALLOWED_MODULES = ['n8n-workflow', 'ai-node-sdk', '@n8n/ai-node-sdk', 'lodash', 'moment', 'p-limit', 'luxon', 'zod', 'crypto', 'node:crypto'];
const FORBIDDEN_SCRIPTS = ['prepare', 'preinstall', 'install', 'postinstall', 'prepublish', 'preprepare', 'postprepare'];
const ALLOWED_TOP_LEVEL = new Set(['package.json', 'README.md', 'LICENSE']);

function npmCommand() {
	return process.platform === 'win32' ? 'npm.cmd' : 'npm';
}

function listFiles(dir, base = dir) {
	const out = [];
	for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
		const full = path.join(dir, entry.name);
		if (entry.isDirectory()) out.push(...listFiles(full, base));
		else out.push(path.relative(base, full).split(path.sep).join('/'));
	}
	return out.sort();
}

/** Build when dist/ is missing a file the n8n section names. */
function ensureBuilt(root) {
	const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
	const wanted = [...(pkg.n8n?.nodes ?? []), ...(pkg.n8n?.credentials ?? [])];
	if (wanted.length > 0 && wanted.every((file) => fs.existsSync(path.join(root, file)))) return false;
	const result = spawnSync(npmCommand(), ['run', 'build'], { cwd: root, encoding: 'utf8' });
	if (result.status !== 0) throw new Error(`npm run build failed:\n${result.stdout}\n${result.stderr}`);
	return true;
}

/** `npm pack` into a temp dir and extract it there; returns paths and npm's own report. */
function packAndExtract(root) {
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dreamlook-pack-'));
	const output = execFileSync(npmCommand(), ['pack', '--json', '--pack-destination', tmp], {
		cwd: root,
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	const report = JSON.parse(output.slice(output.indexOf('[')))[0];
	const tarball = path.join(tmp, report.filename);
	const packageDir = path.join(tmp, 'package');
	fs.mkdirSync(packageDir);
	execFileSync('tar', ['-xzf', tarball, '-C', packageDir, '--strip-components=1']);
	return { tmp, tarball, packageDir, report };
}

/**
 * Loads every node and credential file of the extracted package in a fresh Node process (peer
 * dependencies resolve from this repo's node_modules, as they resolve from n8n's in n8n).
 */
function describeEntries(packageDir, root, pkg) {
	const linkDir = path.dirname(packageDir);
	const link = path.join(linkDir, 'node_modules');
	if (!fs.existsSync(link)) fs.symlinkSync(path.join(root, 'node_modules'), link, 'dir');
	const entries = [
		...(pkg.n8n?.nodes ?? []).map((file) => ({ file, kind: 'node' })),
		...(pkg.n8n?.credentials ?? []).map((file) => ({ file, kind: 'credential' })),
	].filter((entry) => fs.existsSync(path.join(packageDir, entry.file)));
	const script = `
		const path = require('path');
		const out = [];
		for (const { file, kind } of JSON.parse(process.argv[1])) {
			try {
				const mod = require(path.join(process.cwd(), file));
				const Class = Object.values(mod).find((value) => typeof value === 'function');
				if (!Class) { out.push({ file, kind, error: 'exports no class' }); continue; }
				const instance = new Class();
				const d = kind === 'node' ? (instance.description ?? instance.baseDescription ?? {}) : instance;
				out.push({ file, kind, name: d.name, displayName: d.displayName, icon: d.icon ?? null,
					polling: d.polling === true, usableAsTool: d.usableAsTool === true, group: d.group ?? [] });
			} catch (error) {
				out.push({ file, kind, error: String(error && error.message || error) });
			}
		}
		process.stdout.write(JSON.stringify(out));
	`;
	const result = spawnSync(process.execPath, ['-e', script, JSON.stringify(entries)], { cwd: packageDir, encoding: 'utf8' });
	if (result.status !== 0) throw new Error(`loading the packed nodes failed:\n${result.stderr}`);
	return JSON.parse(result.stdout);
}

/** Every `file:` icon path (light/dark or plain) of a description. */
function iconFiles(icon) {
	if (!icon) return [];
	const values = typeof icon === 'string' ? [icon] : [icon.light, icon.dark];
	return values.filter((value) => typeof value === 'string');
}

/** The scanner's ESLint pass over the tarball (`**\/*.js` and package.json). */
async function runScannerLint(packageDir, root) {
	const cliRequire = createRequire(path.join(root, 'node_modules', '@n8n', 'node-cli', 'dist', 'configs', 'eslint.js'));
	const { ESLint } = cliRequire('eslint');
	const tsParser = cliRequire('typescript-eslint').parser;
	const { n8nCommunityNodesPlugin } = await import(cliRequire.resolve('@n8n/eslint-plugin-community-nodes'));
	const n8nNodesPlugin = cliRequire('eslint-plugin-n8n-nodes-base');
	const eslint = new ESLint({
		cwd: packageDir,
		allowInlineConfig: false,
		overrideConfigFile: true,
		overrideConfig: [
			n8nCommunityNodesPlugin.configs.recommended,
			{ rules: { 'no-console': 'error' } },
			{ plugins: { 'n8n-nodes-base': n8nNodesPlugin } },
			{ files: ['package.json'], rules: { ...n8nNodesPlugin.configs.community.rules } },
			{ files: ['**/*.json'], languageOptions: { parser: tsParser } },
		],
	});
	const files = listFiles(packageDir)
		.filter((file) => file.endsWith('.js') || file === 'package.json')
		.map((file) => path.join(packageDir, file));
	const results = await eslint.lintFiles(files);
	const problems = [];
	for (const result of results) {
		for (const message of result.messages) {
			if (message.severity !== 2) continue;
			problems.push(`${path.relative(packageDir, result.filePath)}:${message.line}:${message.column} ${message.message} (${message.ruleId})`);
		}
	}
	return { files: files.length, problems };
}

/** Module specifiers required or imported by compiled JS. */
function importsOf(source) {
	const found = [];
	const pattern = /\brequire\(\s*(["'`])([^"'`]+)\1\s*\)|\bimport\(\s*(["'`])([^"'`]+)\3\s*\)|\bfrom\s+(["'])([^"']+)\5/g;
	for (let match = pattern.exec(source); match; match = pattern.exec(source)) found.push(match[2] ?? match[4] ?? match[6]);
	return found;
}

function moduleNameOf(specifier) {
	return specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
}

/**
 * Packs the package and runs every check. Returns { ok, checks: [{name, ok, details}], tarball }.
 * @param {{root?: string, keep?: boolean, build?: boolean}} [options]
 */
async function checkPackage(options = {}) {
	const root = options.root ?? ROOT;
	if (options.build !== false) ensureBuilt(root);
	const { tmp, tarball, packageDir, report } = packAndExtract(root);
	const checks = [];
	const check = (name, ok, details = '') => checks.push({ name, ok: Boolean(ok), details });
	try {
		const files = listFiles(packageDir);
		const fileSet = new Set(files);
		const pkg = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));

		// --- package.json
		check('name is n8n-nodes-* (or @scope/n8n-nodes-*)', /^(@[a-z0-9-~][a-z0-9-._~]*\/)?n8n-nodes-[a-z0-9-._~]+$/.test(pkg.name ?? ''), pkg.name);
		check('keywords include n8n-community-node-package', Array.isArray(pkg.keywords) && pkg.keywords.includes('n8n-community-node-package'));
		check('license is MIT', pkg.license === 'MIT', pkg.license);
		check('description is set', typeof pkg.description === 'string' && pkg.description.trim().length > 0);
		check('version is set', typeof pkg.version === 'string' && pkg.version.length > 0, pkg.version);
		check('homepage is a URL', /^https?:\/\//.test(pkg.homepage ?? ''), pkg.homepage);
		check('repository.url is set', typeof (pkg.repository?.url ?? pkg.repository) === 'string', JSON.stringify(pkg.repository));
		check('author has a name and an email', Boolean(pkg.author?.name) && /.+@.+/.test(pkg.author?.email ?? ''), JSON.stringify(pkg.author));
		check('engines.node is set', typeof pkg.engines?.node === 'string', JSON.stringify(pkg.engines));
		check('no runtime dependencies', !pkg.dependencies || Object.keys(pkg.dependencies).length === 0, JSON.stringify(pkg.dependencies ?? {}));
		check('no optional/bundled dependencies', !pkg.optionalDependencies && !pkg.bundleDependencies && !pkg.bundledDependencies);
		check(
			'peerDependencies are exactly {"n8n-workflow": "*"}',
			JSON.stringify(pkg.peerDependencies) === JSON.stringify({ 'n8n-workflow': '*' }),
			JSON.stringify(pkg.peerDependencies),
		);
		const lifecycle = Object.keys(pkg.scripts ?? {}).filter((script) => FORBIDDEN_SCRIPTS.includes(script));
		check('no lifecycle scripts', lifecycle.length === 0, lifecycle.join(', '));
		check('no overrides / resolutions', !pkg.overrides && !pkg.resolutions && !pkg.pnpm?.overrides);
		check('files is ["dist"]', JSON.stringify(pkg.files) === JSON.stringify(['dist']), JSON.stringify(pkg.files));
		check('n8n.n8nNodesApiVersion is 1', pkg.n8n?.n8nNodesApiVersion === 1);
		const nodePaths = pkg.n8n?.nodes ?? [];
		const credentialPaths = pkg.n8n?.credentials ?? [];
		check('n8n.nodes is not empty', nodePaths.length > 0);
		for (const file of [...nodePaths, ...credentialPaths]) {
			check(`${file} is under dist/ and in the tarball`, file.startsWith('dist/') && fileSet.has(file));
		}

		// --- tarball contents
		const stray = files.filter((file) => !file.startsWith('dist/') && !ALLOWED_TOP_LEVEL.has(file));
		check('tarball holds only dist/, README.md, LICENSE, package.json', stray.length === 0, stray.join(', '));
		check('LICENSE is in the tarball', fileSet.has('LICENSE'));
		check('README.md is in the tarball', fileSet.has('README.md'));
		const sources = files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'));
		check('no TypeScript sources or tests in the tarball', sources.length === 0 && !files.some((file) => /\.test\.|__tests__|\/test\//.test(file)), sources.join(', '));

		// --- nodes and credentials: load, icons, codex
		for (const entry of describeEntries(packageDir, root, pkg)) {
			if (entry.error) {
				check(`${entry.file} loads`, false, entry.error);
				continue;
			}
			check(`${entry.file} loads (${entry.kind} ${entry.name})`, Boolean(entry.name));
			const icons = iconFiles(entry.icon);
			check(`${entry.file} has an icon`, icons.length > 0);
			for (const icon of icons) {
				if (!icon.startsWith('file:')) continue;
				const target = path.posix.normalize(path.posix.join(path.posix.dirname(entry.file), icon.slice('file:'.length)));
				check(`${entry.file} icon ${icon} is in the tarball`, target.startsWith('dist/') && fileSet.has(target), target);
			}
			if (entry.kind !== 'node') continue;
			const codexFile = entry.file.replace(/\.js$/, '.json');
			if (!fileSet.has(codexFile)) {
				check(`${entry.file} has a codex ${codexFile}`, false);
				continue;
			}
			let codex = {};
			try {
				codex = JSON.parse(fs.readFileSync(path.join(packageDir, codexFile), 'utf8'));
			} catch (error) {
				check(`${codexFile} is JSON`, false, error.message);
				continue;
			}
			check(`${codexFile}: node is ${pkg.name}.${entry.name}`, codex.node === `${pkg.name}.${entry.name}`, codex.node);
			check(`${codexFile}: categories`, Array.isArray(codex.categories) && codex.categories.length > 0, JSON.stringify(codex.categories));
			check(`${codexFile}: aliases`, Array.isArray(codex.alias) && codex.alias.length > 0);
			const docs = codex.resources?.primaryDocumentation ?? [];
			check(`${codexFile}: documentation link`, docs.length > 0 && docs.every((doc) => /^https?:\/\//.test(doc.url ?? '')));
		}

		// --- compiled code
		const jsFiles = files.filter((file) => file.endsWith('.js'));
		const badImports = [];
		const consoleUses = [];
		for (const file of jsFiles) {
			const source = fs.readFileSync(path.join(packageDir, file), 'utf8');
			for (const specifier of importsOf(source)) {
				if (specifier.startsWith('./') || specifier.startsWith('../')) continue;
				if (!ALLOWED_MODULES.includes(moduleNameOf(specifier))) badImports.push(`${file}: ${specifier}`);
			}
			if (/\bconsole\s*\./.test(source)) consoleUses.push(file);
		}
		check('dist imports only relative files and n8n\'s allow-list (no devDependency)', badImports.length === 0, badImports.join('; '));
		check('no console in dist', consoleUses.length === 0, consoleUses.join(', '));
		const lint = await runScannerLint(packageDir, root);
		check(
			`scanner ESLint pass on the tarball (${lint.files} files: restricted globals/imports, no-console, package.json rules)`,
			lint.problems.length === 0,
			lint.problems.slice(0, 20).join('\n'),
		);

		const tarballInfo = {
			file: options.keep ? tarball : report.filename,
			size: report.size,
			unpackedSize: report.unpackedSize,
			entryCount: report.entryCount,
		};
		return { ok: checks.every((c) => c.ok), checks, tarball: tarballInfo, packageDir: options.keep ? packageDir : undefined };
	} finally {
		if (!options.keep) fs.rmSync(tmp, { recursive: true, force: true });
	}
}

async function main() {
	const args = new Set(process.argv.slice(2));
	const result = await checkPackage({ keep: args.has('--keep') });
	if (args.has('--json')) {
		process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
	} else {
		for (const c of result.checks) {
			console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${!c.ok && c.details ? `\n       ${c.details.replace(/\n/g, '\n       ')}` : ''}`);
		}
		const { size, unpackedSize, entryCount } = result.tarball;
		console.log(`\npacked: ${(size / 1024).toFixed(1)} KB (${entryCount} files, ${(unpackedSize / 1024).toFixed(1)} KB unpacked)`);
		console.log(result.ok ? 'package check passed' : `package check FAILED (${result.checks.filter((c) => !c.ok).length} problems)`);
	}
	process.exitCode = result.ok ? 0 : 1;
}

if (require.main === module) {
	main().catch((error) => {
		console.error(error.stack || error.message);
		process.exitCode = 1;
	});
}

module.exports = { checkPackage, runScannerLint, importsOf };
