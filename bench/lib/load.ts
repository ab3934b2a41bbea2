// A closed-loop load generator: C clients each send their next request when the previous one answered.
import { percentile } from "./stats.ts";

export type ClosedLoopParameters = {
  concurrency: number;
  /** Stops after this many seconds... */
  seconds: number;
  /** ...or after this many requests, whichever comes first. */
  maxRequests: number;
};

export type ClosedLoopReturnType = { rps: number; p50: number; p99: number; requests: number; errors: number };

/** Runs `call` in a closed loop and reports requests per second and latency percentiles in ms. */
export async function closedLoop(
  call: () => Promise<unknown>,
  { concurrency, seconds, maxRequests }: ClosedLoopParameters,
): Promise<ClosedLoopReturnType> {
  const latencies: number[] = [];
  let started = 0;
  let errors = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline && started < maxRequests) {
        started++;
        const t = performance.now();
        try {
          await call();
          latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  return {
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    requests: latencies.length,
    errors,
  };
}
