#!/usr/bin/env node
// Reads what n8n itself stored, straight from its SQLite database. Run with the provisioned
// Node 24 (it loads n8n's own sqlite3 and flatted modules):
//   node24 test/e2e/n8n-db.js <database.sqlite> <workflowId> <triggerNodeName>
// Prints one JSON object: { executions: [{id, status, mode, finished, jobIds, items, ranNodes, error}], staticData,
// pollerCursors }: jobIds and items ({job_id, state, binary keys}) are what the named node output.
'use strict';

const path = require('node:path');

const [dbPath, workflowId, triggerNodeName] = process.argv.slice(2);
const n8nDir = process.env.N8N_PACKAGE_DIR;
if (!dbPath || !workflowId || !n8nDir) {
	console.error('usage: N8N_PACKAGE_DIR=... n8n-db.js <database.sqlite> <workflowId> <triggerNodeName>');
	process.exit(2);
}
const load = (name) => require(require.resolve(name, { paths: [n8nDir, path.join(n8nDir, 'node_modules')] }));
const sqlite3 = load('sqlite3');
const { parse } = load('flatted');

const db = new sqlite3.Database(dbPath, sqlite3.OPEN_READONLY);
const all = (sql, params) =>
	new Promise((resolve, reject) => db.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows))));

(async () => {
	db.configure('busyTimeout', 10000);
	const rows = await all(
		`SELECT e.id, e.status, e.mode, e.finished, d.data
		   FROM execution_entity e LEFT JOIN execution_data d ON d.executionId = e.id
		  WHERE e.workflowId = ? ORDER BY e.id`,
		[workflowId],
	);
	const executions = rows.map((row) => {
		let jobIds = [];
		let items = [];
		let ranNodes = [];
		let error = null;
		try {
			const data = row.data ? parse(row.data) : null;
			const runs = data?.resultData?.runData?.[triggerNodeName] ?? [];
			for (const run of runs) {
				for (const item of run?.data?.main?.[0] ?? []) {
					if (item?.json?.job_id) jobIds.push(String(item.json.job_id));
					items.push({ job_id: item?.json?.job_id ?? null, state: item?.json?.state ?? null, binary: Object.keys(item?.binary ?? {}) });
				}
			}
			ranNodes = Object.keys(data?.resultData?.runData ?? {});
			error = data?.resultData?.error?.message ?? null;
		} catch (e) {
			error = `could not read execution data: ${e.message}`;
		}
		return { id: row.id, status: row.status, mode: row.mode, finished: Boolean(row.finished), jobIds, items, ranNodes, error };
	});
	const [wf] = await all('SELECT staticData, active FROM workflow_entity WHERE id = ?', [workflowId]);
	let staticData = null;
	try {
		staticData = wf?.staticData ? JSON.parse(wf.staticData) : null;
	} catch {
		staticData = wf?.staticData ?? null;
	}
	// n8n 2.41's durable poll scheduler keeps the cursor in its own table (poller_state), not in
	// the workflow's staticData; older n8n has no such table.
	let pollerCursors = null;
	try {
		const cursorRows = await all('SELECT nodeId, cursor FROM poller_state WHERE workflowId = ?', [workflowId]);
		pollerCursors = cursorRows.map((r) => {
			try {
				return { nodeId: r.nodeId, cursor: JSON.parse(r.cursor) };
			} catch {
				return { nodeId: r.nodeId, cursor: r.cursor };
			}
		});
	} catch {
		pollerCursors = null;
	}
	process.stdout.write(JSON.stringify({ executions, staticData, pollerCursors, active: wf ? Boolean(wf.active) : null }) + '\n');
	db.close();
})().catch((e) => {
	console.error(e.stack || String(e));
	process.exit(1);
});
