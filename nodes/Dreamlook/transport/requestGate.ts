/**
 * The gate every API request of one node run passes when its Concurrency is "Auto": at most
 * `controller.limit` attempts in flight, starts spread by `controller.startSpacingMs`, and each
 * attempt's outcome (latency, 429 + Retry-After) fed back to the controller. A repeated attempt
 * (after a 429 or a transient failure) goes before requests not yet sent, so that a request the
 * server refused is not refused again behind new ones. Attached per execution context
 * (`useRequestGate`), so transport/request.ts finds it without every caller passing it along.
 */
import { AutoConcurrency, type AutoConcurrencyEvent } from '../shared/autoConcurrency';

export interface GateClock {
	now: () => number;
	/** Resolves after `ms`, or rejects when `signal` aborts. */
	sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface GateTicket {
	/** Reports the attempt's end (once; later calls are ignored) and frees its place. */
	done: (outcome: { status?: number; retryAfterMs?: number }) => void;
}

interface Waiter {
	repeat: boolean;
	admit: () => void;
}

export class RequestGate {
	private inFlight = 0;

	private nextStartAt = Number.NEGATIVE_INFINITY;

	private readonly waiting: Waiter[] = [];

	/** Most attempts in flight at once, for logs and tests. */
	mostInFlight = 0;

	constructor(
		readonly controller: AutoConcurrency,
		private readonly clock: GateClock,
		private readonly onEvent?: (event: AutoConcurrencyEvent, controller: AutoConcurrency) => void,
	) {}

	/**
	 * Waits for a place (repeats first), then for the start spacing. Rejects when `signal` aborts;
	 * the place is then given back.
	 */
	async enter(repeat: boolean, signal?: AbortSignal): Promise<GateTicket> {
		if (signal?.aborted) throw new Error('aborted');
		if (this.inFlight >= this.controller.limit || this.waiting.length > 0) {
			await new Promise<void>((resolve, reject) => {
				const waiter: Waiter = {
					repeat,
					admit: () => {
						signal?.removeEventListener('abort', onAbort);
						resolve();
					},
				};
				const onAbort = () => {
					const index = this.waiting.indexOf(waiter);
					if (index >= 0) this.waiting.splice(index, 1);
					reject(new Error('aborted'));
				};
				signal?.addEventListener('abort', onAbort, { once: true });
				// Repeats queue behind earlier repeats but before every first attempt.
				const firstNew = repeat ? this.waiting.findIndex((entry) => !entry.repeat) : -1;
				if (firstNew >= 0) this.waiting.splice(firstNew, 0, waiter);
				else this.waiting.push(waiter);
				this.pump();
			});
		} else {
			this.inFlight++;
		}
		// The place is held from here: `inFlight` counts this attempt.
		const inFlightAtStart = this.inFlight;
		this.mostInFlight = Math.max(this.mostInFlight, inFlightAtStart);
		const now = this.clock.now();
		const startAt = Math.max(now, this.nextStartAt);
		this.nextStartAt = startAt + this.controller.startSpacingMs;
		if (startAt > now) {
			const paced = await this.clock.sleep(startAt - now, signal).then(
				() => true,
				() => false,
			);
			if (!paced) {
				this.release();
				throw new Error('aborted');
			}
		}
		const startedAt = this.clock.now();
		let finished = false;
		return {
			done: (outcome) => {
				if (finished) return;
				finished = true;
				const event = this.controller.record({ ...outcome, startedAt, endedAt: this.clock.now(), inFlightAtStart });
				if (event) this.onEvent?.(event, this.controller);
				this.release();
			},
		};
	}

	private release(): void {
		this.inFlight--;
		this.pump();
	}

	/** Admits waiters while there is room under the current limit. */
	private pump(): void {
		while (this.waiting.length > 0 && this.inFlight < this.controller.limit) {
			const waiter = this.waiting.shift() as Waiter;
			this.inFlight++;
			waiter.admit();
		}
	}
}

const gates = new WeakMap<object, RequestGate>();

/** Every API request made with `ctx` from now on passes `gate`. */
export function useRequestGate(ctx: object, gate: RequestGate): void {
	gates.set(ctx, gate);
}

export function requestGateOf(ctx: object): RequestGate | undefined {
	return gates.get(ctx);
}
