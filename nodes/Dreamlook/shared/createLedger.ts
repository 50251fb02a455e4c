import { createHash } from 'crypto';

/**
 * What the node remembers about each item's create within one execution, so that n8n's
 * "Retry On Fail" (which re-runs the whole node, every item) never starts a second paid job.
 *
 * - `created`: the job exists; a re-run reuses it (no POST).
 * - `unknown`: the POST may or may not have created a job (no answer, 5xx, unreadable 2xx); a
 *   re-run looks for it by its idempotency tag and never POSTs again.
 *
 * Kept in the memory of the process that runs the execution (where n8n runs the retries too),
 * bounded in entries and expiring, keyed by execution, workflow, node, item and request body.
 */
export type LedgerEntry = { kind: 'created'; jobId: string } | { kind: 'unknown'; tag: string };

export interface CreateIdentity {
	executionId: string;
	workflowId: string;
	nodeId: string;
	itemIndex: number;
	/** Hash of the request body (without the node's own tags): a changed body is a new request. */
	bodyHash: string;
}

export interface LedgerOptions {
	maxEntries: number;
	ttlMs: number;
	now: () => number;
}

const DEFAULT_OPTIONS: LedgerOptions = {
	maxEntries: 10000,
	// n8n retries within seconds (at most 5 tries, ≤ 5 s apart, plus the node's own waits).
	ttlMs: 24 * 3600 * 1000,
	now: () => Date.now(),
};

function sha256(text: string): string {
	return createHash('sha256').update(text).digest('hex');
}

/** JSON with object keys sorted, so that equal bodies hash equally whatever the key order. */
export function stableJson(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
	if (value && typeof value === 'object') {
		const entries = Object.entries(value as Record<string, unknown>)
			.filter(([, entry]) => entry !== undefined)
			.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
		return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${stableJson(entry)}`).join(',')}}`;
	}
	return JSON.stringify(value) ?? 'null';
}

export function bodyHashOf(body: unknown): string {
	return sha256(stableJson(body)).slice(0, 32);
}

export function ledgerKey(identity: CreateIdentity): string {
	const { executionId, workflowId, nodeId, itemIndex, bodyHash } = identity;
	return JSON.stringify([executionId, workflowId, nodeId, itemIndex, bodyHash]);
}

/**
 * The idempotency tag sent with the create: unique per execution, node, item and body, and
 * carrying no readable data (a hash), so it can be looked up in the job list afterwards.
 */
export function idempotencyTagOf(identity: CreateIdentity): string {
	return `n8n-${sha256(ledgerKey(identity)).slice(0, 32)}`;
}

/** The tag that stays the same across executions (workflow, node, item, body): for n8n's "Retry". */
export function requestTagOf(identity: CreateIdentity): string {
	const { workflowId, nodeId, itemIndex, bodyHash } = identity;
	return `n8n-${sha256(JSON.stringify([workflowId, nodeId, itemIndex, bodyHash])).slice(0, 32)}`;
}

export class CreateLedger {
	private readonly entries = new Map<string, { entry: LedgerEntry; at: number }>();

	private readonly options: LedgerOptions;

	constructor(options: Partial<LedgerOptions> = {}) {
		this.options = { ...DEFAULT_OPTIONS, ...options };
	}

	get size(): number {
		return this.entries.size;
	}

	get(identity: CreateIdentity): LedgerEntry | undefined {
		const key = ledgerKey(identity);
		const found = this.entries.get(key);
		if (!found) return undefined;
		if (this.options.now() - found.at > this.options.ttlMs) {
			this.entries.delete(key);
			return undefined;
		}
		return found.entry;
	}

	set(identity: CreateIdentity, entry: LedgerEntry): void {
		const key = ledgerKey(identity);
		this.entries.delete(key);
		this.entries.set(key, { entry, at: this.options.now() });
		this.evict();
	}

	/** Expired entries first, then the oldest (a Map keeps insertion order). */
	private evict(): void {
		const now = this.options.now();
		for (const [key, { at }] of this.entries) {
			if (now - at <= this.options.ttlMs) break;
			this.entries.delete(key);
		}
		while (this.entries.size > this.options.maxEntries) {
			const oldest = this.entries.keys().next().value;
			if (oldest === undefined) break;
			this.entries.delete(oldest);
		}
	}
}

/** The one ledger of this process (n8n runs an execution, and its node retries, in one process). */
export const processLedger = new CreateLedger();
