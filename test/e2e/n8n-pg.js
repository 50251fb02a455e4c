'use strict';
// Reads what n8n stored in its PostgreSQL database (queue mode), with n8n's own `pg` and
// `flatted` modules from the provisioned runtime (pure JavaScript: the machine's Node 20 loads
// them). The SQLite counterpart for single-process n8n is test/e2e/n8n-db.js.

const path = require('node:path');
const rt = require('../../scripts/n8n-runtime');

function load(name) {
	const n8nDir = path.dirname(path.dirname(rt.N8N_BIN));
	return require(require.resolve(name, { paths: [n8nDir, path.join(n8nDir, 'node_modules'), path.join(rt.N8N_DIR, 'node_modules')] }));
}

/**
 * Job ids a trigger emitted into one execution. The items are read from the trigger node's run
 * when the execution got that far; otherwise (an execution whose worker died before saving, or one
 * still queued) from the execution stack the main stored when it created the execution: those are
 * the items the trigger emitted, visible and retryable in n8n's execution list.
 * @returns {{jobIds: string[], source: 'runData'|'stack'|'none'}}
 */
function emittedJobIds(data, triggerNodeName) {
	const fromItems = (items) => (items ?? []).map((i) => i?.json?.job_id).filter(Boolean).map(String);
	const runs = data?.resultData?.runData?.[triggerNodeName];
	if (Array.isArray(runs) && runs.length) {
		return { jobIds: runs.flatMap((r) => fromItems(r?.data?.main?.[0])), source: 'runData' };
	}
	const stack = data?.executionData?.nodeExecutionStack ?? [];
	const entry = stack.find((s) => s?.node?.name === triggerNodeName);
	if (entry) return { jobIds: fromItems(entry.data?.main?.[0]), source: 'stack' };
	return { jobIds: [], source: 'none' };
}

/**
 * @param {{host: string, port: number, user: string, password: string, database: string}} config
 */
async function connect(config) {
	const { Client } = load('pg');
	const { parse } = load('flatted');
	const client = new Client({ ...config, connectionTimeoutMillis: 10_000, statement_timeout: 30_000 });
	await client.connect();
	return {
		/** Executions of a workflow, oldest first, with the job ids its trigger emitted. */
		async executions(workflowId, triggerNodeName) {
			const { rows } = await client.query(
				`SELECT e.id, e.status, e.mode, e.finished, e."startedAt", e."stoppedAt", d.data
				   FROM execution_entity e LEFT JOIN execution_data d ON d."executionId" = e.id
				  WHERE e."workflowId" = $1 ORDER BY e.id`,
				[workflowId],
			);
			return rows.map((row) => {
				let emitted = { jobIds: [], source: 'none' };
				let error = null;
				let data = null;
				try {
					data = row.data ? parse(row.data) : null;
					if (triggerNodeName) emitted = emittedJobIds(data, triggerNodeName);
					error = data?.resultData?.error?.message ?? null;
				} catch (e) {
					error = `could not read execution data: ${e.message}`;
				}
				return {
					id: String(row.id),
					status: row.status,
					mode: row.mode,
					finished: Boolean(row.finished),
					startedAt: row.startedAt,
					stoppedAt: row.stoppedAt,
					jobIds: emitted.jobIds,
					source: emitted.source,
					error,
					data,
				};
			});
		},
		async staticData(workflowId) {
			const { rows } = await client.query('SELECT "staticData" FROM workflow_entity WHERE id = $1', [workflowId]);
			const s = rows[0]?.staticData;
			return typeof s === 'string' ? JSON.parse(s) : (s ?? null);
		},
		/** n8n 2.41's durable poll scheduler keeps the cursor in poller_state (null: no such table or row). */
		async pollerCursor(workflowId) {
			try {
				const { rows } = await client.query('SELECT cursor FROM poller_state WHERE "workflowId" = $1', [workflowId]);
				return rows.length ? rows.map((r) => r.cursor) : null;
			} catch {
				return null;
			}
		},
		query: (sql, params) => client.query(sql, params),
		close: () => client.end(),
	};
}

module.exports = { connect, emittedJobIds, load };
