/** A fixed delay, or a range to draw each request's delay from (the bench's 30–60 ms). */
export type Latency = number | readonly [min: number, max: number];

export function delayOf(latency: Latency, random: () => number = Math.random): number {
  if (typeof latency === 'number') return latency;
  const [min, max] = latency;
  return min + Math.round(random() * (max - min));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
