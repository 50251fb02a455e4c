/**
 * An in-memory stand-in for GET /jobs, for driving the pure cursor without HTTP. Timestamps are
 * microseconds. Orders: by state_updated desc (ties by job_id desc, like the fake API), by
 * creation desc whatever is asked, or a fixed scramble (no order); ties may be reshuffled on
 * every request.
 */
import type { CursorJob } from '../../nodes/Dreamlook/trigger/cursor';

export interface ModelJob extends CursorJob {
	us: number;
	createdUs: number;
}

export function iso(us: number): string {
	const seconds = new Date(Math.floor(us / 1000)).toISOString().slice(0, 19);
	return `${seconds}.${String(((us % 1_000_000) + 1_000_000) % 1_000_000).padStart(6, '0')}`;
}

export const START_US = Date.UTC(2026, 10, 25, 12, 0, 0) * 1000;

function scramble(id: string, salt: number): number {
	let h = (0x811c9dc5 ^ salt) >>> 0;
	for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
	return (h ^ (h >>> 13)) >>> 0;
}

export class ModelList {
	jobs = new Map<string, ModelJob>();
	/** called before every page is answered (lets a test change the list between reads) */
	beforePage: ((offset: number) => void) | undefined;
	requests = 0;
	lookups = 0;
	order: 'updated' | 'created' | 'unordered' = 'updated';
	unstableTies = false;
	/** ids whose state_updated reads null */
	undated = new Set<string>();
	/** the list shows these jobs as this (older) copy: visibility lag */
	lagging = new Map<string, ModelJob>();
	private counter = 0;

	add(state: string, us: number, jobType = 'image-gen', id?: string, createdUs = us): ModelJob {
		const jobId = id ?? `ig_${String(this.counter++).padStart(8, '0')}`;
		const job: ModelJob = { job_id: jobId, state, state_updated: iso(us), state_queued_start: iso(createdUs), job_type: jobType, us, createdUs };
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

	private view(job: ModelJob): ModelJob {
		const shown = this.lagging.get(job.job_id) ?? job;
		return this.undated.has(shown.job_id) ? { ...shown, state_updated: null } : { ...shown };
	}

	sorted(state?: string): ModelJob[] {
		const rows = [...this.jobs.values()].map((job) => this.lagging.get(job.job_id) ?? job).filter((job) => !state || job.state === state);
		const salt = this.requests;
		const keyed = rows.map((job) => ({
			job,
			k: this.order === 'unordered' ? scramble(job.job_id, 0) : this.order === 'created' ? job.createdUs : job.us,
			t: this.unstableTies ? scramble(job.job_id, salt) : 0,
		}));
		keyed.sort((a, b) => b.k - a.k || b.t - a.t || (a.job.job_id < b.job.job_id ? 1 : a.job.job_id > b.job.job_id ? -1 : 0));
		return keyed.map((entry) => entry.job);
	}

	page(offset: number, limit: number, state?: string): { jobs: ModelJob[]; received: number; total: number } {
		this.beforePage?.(offset);
		this.requests++;
		const rows = this.sorted(state);
		const jobs = rows.slice(offset, offset + limit).map((job) => this.view(job));
		return { jobs, received: jobs.length, total: rows.length };
	}

	/** GET /jobs/{type}/{id}: always up to date. */
	get(id: string): ModelJob | 'gone' {
		this.lookups++;
		const job = this.jobs.get(id);
		if (!job) return 'gone';
		return this.undated.has(id) ? { ...job, state_updated: null } : { ...job };
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
