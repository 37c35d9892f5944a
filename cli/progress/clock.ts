/** Epoch milliseconds from a clock the caller chooses; tests pass a fake one. */
export type Clock = () => number;

/** Monotonic (never steps back with the wall clock) yet comparable with the solver's epoch times. */
export const systemClock: Clock = () => performance.timeOrigin + performance.now();
