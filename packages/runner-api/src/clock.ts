/** Injected time source, so tests can move time (TTL, expiry) without waiting. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
