/**
 * The Instant Trigger's memory of job ids it has emitted (or is verifying right now), so that a
 * duplicate or replayed callback emits nothing. Bounded: at most `maxEntries` ids, each kept
 * `ttlMs`; the oldest go first. Pure: the caller passes the time.
 */
export interface RecentJobsLimits {
	maxEntries: number;
	ttlMs: number;
}

export const RECENT_JOBS_LIMITS: RecentJobsLimits = { maxEntries: 10_000, ttlMs: 48 * 3600_000 };

type Entry = { status: 'verifying' | 'emitted'; expiresAt: number };

export class RecentJobs {
	private readonly entries = new Map<string, Entry>();

	constructor(private readonly limits: RecentJobsLimits = RECENT_JOBS_LIMITS) {}

	get size(): number {
		return this.entries.size;
	}

	/**
	 * Takes the job id for this callback: true when nobody emitted it within the window and no
	 * other callback is verifying it right now. A taken id must be `confirm`ed or `release`d.
	 */
	claim(jobId: string, now: number): boolean {
		this.prune(now);
		const entry = this.entries.get(jobId);
		if (entry && entry.expiresAt > now) return false;
		this.entries.delete(jobId);
		this.entries.set(jobId, { status: 'verifying', expiresAt: now + this.limits.ttlMs });
		return true;
	}

	/** The job was emitted: later callbacks for it within the window emit nothing. */
	confirm(jobId: string, now: number): void {
		this.entries.delete(jobId);
		this.entries.set(jobId, { status: 'emitted', expiresAt: now + this.limits.ttlMs });
		this.prune(now);
	}

	/** The job was not emitted (not finished, not matching, not verifiable): a later callback may. */
	release(jobId: string): void {
		if (this.entries.get(jobId)?.status === 'verifying') this.entries.delete(jobId);
	}

	/** The jobs emitted within the window, oldest first: [id, when it was emitted (epoch ms)]. */
	emitted(now: number): Array<[string, number]> {
		this.prune(now);
		const out: Array<[string, number]> = [];
		for (const [id, entry] of this.entries) {
			if (entry.status === 'emitted') out.push([id, entry.expiresAt - this.limits.ttlMs]);
		}
		return out;
	}

	has(jobId: string, now: number): boolean {
		const entry = this.entries.get(jobId);
		return entry !== undefined && entry.expiresAt > now;
	}

	private prune(now: number): void {
		for (const [id, entry] of this.entries) {
			if (entry.expiresAt <= now) this.entries.delete(id);
		}
		// Map keeps insertion order: the first entries are the oldest.
		while (this.entries.size > this.limits.maxEntries) {
			const oldest = this.entries.keys().next().value as string;
			this.entries.delete(oldest);
		}
	}
}

const JOB_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/**
 * The job id a callback names. Dreamlook POSTs the job object; only its id is used (the job is
 * re-read with the API key), so nothing else in the body is trusted.
 */
export function callbackJobId(body: unknown): { jobId: string } | { error: string } {
	const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined;
	const nested = (key: string) => {
		const value = record?.[key];
		return typeof value === 'object' && value !== null ? (value as Record<string, unknown>).job_id : undefined;
	};
	const id = record?.job_id ?? nested('job') ?? nested('data');
	if (typeof id !== 'string' || id.trim() === '') return { error: 'The request body names no job_id: a Dreamlook callback sends the job object.' };
	const jobId = id.trim();
	if (!JOB_ID_PATTERN.test(jobId)) return { error: 'The job_id in the request body is not a Dreamlook job id.' };
	return { jobId };
}
