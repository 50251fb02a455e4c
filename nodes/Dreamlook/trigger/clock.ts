/**
 * The trigger's clock (ms since the epoch). Tests replace `now` to run the trigger on the fake
 * API's simulated time; everything the trigger decides by time (the look-back, the allowed skew,
 * the poll budget) reads this clock.
 */
export const triggerClock = {
	now: (): number => Date.now(),
};
