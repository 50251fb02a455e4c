/**
 * An in-memory stand-in for GET /jobs ordered by state_updated desc (ties by job_id desc, like
 * the fake API), for driving the pure cursor without HTTP. Timestamps are microseconds.
 */
import type { CursorJob } from '../../nodes/Dreamlook/trigger/cursor';

export interface ModelJob extends CursorJob {
	us: number;
}

export function iso(us: number): string {
	const seconds = new Date(Math.floor(us / 1000)).toISOString().slice(0, 19);
	return `${seconds}.${String(us % 1_000_000).padStart(6, '0')}`;
}

export const START_US = Date.UTC(2026, 10, 25, 12, 0, 0) * 1000;

export class ModelList {
	jobs = new Map<string, ModelJob>();
	/** called before every page is answered (lets a test change the list between reads) */
	beforePage: ((offset: number) => void) | undefined;
	requests = 0;
	order: 'desc' | 'shuffled' = 'desc';
	private counter = 0;

	add(state: string, us: number, jobType = 'image-gen', id?: string): ModelJob {
		const jobId = id ?? `ig_${String(this.counter++).padStart(8, '0')}`;
		const job: ModelJob = { job_id: jobId, state, state_updated: iso(us), job_type: jobType, us };
		this.jobs.set(jobId, job);
		return job;
	}

	/** A job changes state: its state_updated moves to `us`. */
	update(id: string, state: string, us: number): void {
		const job = this.jobs.get(id);
		if (!job) throw new Error(`no job ${id}`);
		this.jobs.set(id, { ...job, state, us, state_updated: iso(us) });
	}

	remove(id: string): void {
		this.jobs.delete(id);
	}

	sorted(state?: string): ModelJob[] {
		const rows = [...this.jobs.values()].filter((job) => !state || job.state === state);
		rows.sort((a, b) => b.us - a.us || (a.job_id < b.job_id ? 1 : a.job_id > b.job_id ? -1 : 0));
		return rows;
	}

	page(offset: number, limit: number, state?: string): { jobs: ModelJob[]; received: number; total: number } {
		this.beforePage?.(offset);
		this.requests++;
		let rows = this.sorted(state);
		if (this.order === 'shuffled') rows = [...rows].reverse();
		const jobs = rows.slice(offset, offset + limit).map((job) => ({ ...job }));
		return { jobs, received: jobs.length, total: rows.length };
	}
}

/** Small seeded PRNG (mulberry32) so failures replay. */
export function rng(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}
