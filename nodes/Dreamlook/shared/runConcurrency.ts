/**
 * The Concurrency option of a run, turned into limits for each phase of the create pipeline.
 * - A fixed number: at most that many requests in flight in each phase, create starts ≥ 10 ms apart
 *   (as before Auto existed; a workflow that stored a number keeps exactly that behaviour).
 * - Auto (0, "auto" or not set): every API request of the run passes one RequestGate whose limit
 *   and start spacing come from AutoConcurrency (see autoConcurrency.ts); the phases only bound
 *   how many items are under way at once (the ceiling).
 */
import type { IExecuteFunctions } from 'n8n-workflow';
import { sleep } from './sleep';

import { RequestGate, useRequestGate } from '../transport/requestGate';
import { AUTO_CONCURRENCY, AutoConcurrency } from './autoConcurrency';

/** The option's value for Auto. */
export const CONCURRENCY_AUTO = 0;

/**
 * Create requests start at least this far apart with a fixed Concurrency (at most 100 a second):
 * with many items, their requests stay spread instead of leaving in waves (see mapWithConcurrency).
 */
export const FIXED_CREATE_START_SPACING_MS = 10;

/** Image downloads (storage links, not the API) under Auto: the former default. */
const AUTO_DOWNLOAD_CONCURRENCY = 10;

export interface RunConcurrency {
	auto: boolean;
	/** Items whose create may be under way at once, and the least time between two create starts. */
	creates: number;
	createSpacingMs: number;
	/** Status checks under way at once. */
	waits: number;
	downloads: number;
	/** Auto only: the gate all API requests of the run pass. */
	gate?: RequestGate;
}

/** Concurrency from the option's value: 0, "auto", empty or missing = Auto; a number ≥ 1 fixes it. */
export function readConcurrency(value: unknown): number {
	if (typeof value === 'string' && value.trim().toLowerCase() === 'auto') return CONCURRENCY_AUTO;
	const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	return typeof number === 'number' && Number.isFinite(number) && number >= 1 ? Math.floor(number) : CONCURRENCY_AUTO;
}

export function setUpConcurrency(ctx: IExecuteFunctions, setting: number): RunConcurrency {
	if (setting >= 1) {
		return { auto: false, creates: setting, createSpacingMs: FIXED_CREATE_START_SPACING_MS, waits: setting, downloads: setting };
	}
	const gate = new RequestGate(new AutoConcurrency(), { now: () => performance.now(), sleep }, (event, controller) => {
		ctx.logger.debug(`Dreamlook: Concurrency Auto ${event}: now ${controller.limit} in flight`, {
			limit: controller.limit,
			learnedCeiling: controller.learnedCeiling,
			latency: controller.latency,
		});
	});
	useRequestGate(ctx, gate);
	const ceiling = AUTO_CONCURRENCY.ceiling;
	return { auto: true, creates: ceiling, createSpacingMs: 0, waits: ceiling, downloads: AUTO_DOWNLOAD_CONCURRENCY, gate };
}
