/**
 * The gate every API request of one node run passes when its Concurrency is "Auto": at most
 * `controller.limit` attempts in flight, starts spread by `controller.startSpacingMs`, and each
 * attempt's outcome (latency, 429 + Retry-After) fed back to the controller. The spacing is kept
 * by one timer for the whole gate (never one per waiting attempt): each turn of starts then has
 * its own turn of the event loop, so the requests already started go out on the wire, and answers
 * that arrived (a 429 above all) are read before the next turn — which is admitted only if the
 * limit they left still allows it. A turn admits `controller.startsPerTurn` starts while the timer
 * fires on time, one when it fired late (the process is busy and reads answers later). A repeated
 * attempt (after a 429 or a transient failure) goes before requests not yet sent, so that a
 * request the server refused is not refused again behind new ones. Attached per execution context (`useRequestGate`), so transport/request.ts finds it
 * without every caller passing it along.
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
	/** Called when the attempt may start, with the number in flight, itself included. */
	admit: (inFlightAtStart: number) => void;
}

export class RequestGate {
	/** Attempts started and not yet ended. */
	private inFlight = 0;

	private nextStartAt = Number.NEGATIVE_INFINITY;

	/** Starts admitted in the current spacing turn, and when it began. */
	private startedInTurn = 0;

	private turnStartedAt = Number.NEGATIVE_INFINITY;

	/** How late the pacing timer fired last time (ms); unknown (as late) before its first turn. */
	private lastTickLateMs = Number.POSITIVE_INFINITY;

	/** The gate's one pacing timer is pending. */
	private ticking = false;

	private readonly waiting: Waiter[] = [];

	/** Most attempts in flight at once, for logs and tests. */
	mostInFlight = 0;

	constructor(
		readonly controller: AutoConcurrency,
		private readonly clock: GateClock,
		private readonly onEvent?: (event: AutoConcurrencyEvent, controller: AutoConcurrency) => void,
	) {}

	/**
	 * Waits for a place under the limit and for this attempt's turn in the start spacing (repeats
	 * before first attempts). Rejects when `signal` aborts while waiting.
	 */
	async enter(repeat: boolean, signal?: AbortSignal): Promise<GateTicket> {
		if (signal?.aborted) throw new Error('aborted');
		const inFlightAtStart = await new Promise<number>((resolve, reject) => {
			const waiter: Waiter = {
				repeat,
				admit: (count) => {
					signal?.removeEventListener('abort', onAbort);
					resolve(count);
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
		const startedAt = this.clock.now();
		let finished = false;
		return {
			done: (outcome) => {
				if (finished) return;
				finished = true;
				this.inFlight--;
				const event = this.controller.record({ ...outcome, startedAt, endedAt: this.clock.now(), inFlightAtStart });
				if (event) this.onEvent?.(event, this.controller);
				this.pump();
			},
		};
	}

	/** Starts waiters while the limit allows and their turn has come; else waits for the turn (one timer). */
	private pump(): void {
		while (this.waiting.length > 0 && this.inFlight < this.controller.limit) {
			const now = this.clock.now();
			if (now < this.nextStartAt) {
				this.tick(this.nextStartAt - now);
				return;
			}
			const waiter = this.waiting.shift() as Waiter;
			this.inFlight++;
			this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
			const spacing = this.controller.startSpacingMs;
			// A turn left unfinished (no more waiters then) ends once its spacing has passed.
			if (this.startedInTurn > 0 && now >= this.turnStartedAt + spacing) this.startedInTurn = 0;
			if (this.startedInTurn === 0) this.turnStartedAt = now;
			this.startedInTurn++;
			if (this.startedInTurn >= this.startsThisTurn()) {
				this.nextStartAt = now + spacing;
				this.startedInTurn = 0;
			}
			waiter.admit(this.inFlight);
		}
	}

	/**
	 * The controller's starts per turn while the pacing timer fires on time; one when it fired late
	 * (this process is busy: answers, a 429 above all, are read later, so fewer starts go out blind).
	 */
	private startsThisTurn(): number {
		return this.lastTickLateMs < this.controller.startSpacingMs ? this.controller.startsPerTurn : 1;
	}

	private tick(ms: number): void {
		if (this.ticking) return;
		this.ticking = true;
		const due = this.clock.now() + ms;
		void this.clock.sleep(ms).then(
			() => {
				this.ticking = false;
				this.lastTickLateMs = this.clock.now() - due;
				this.pump();
			},
			() => {
				this.ticking = false;
			},
		);
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
