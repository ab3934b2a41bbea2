// A closed-loop load generator: C clients each send their next request when the previous one answered.
import { spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import type { TimedRequest } from "./http.ts";
import { percentile } from "./stats.ts";

export type ClosedLoopParameters = {
  concurrency: number;
  /** Stops after this many seconds... */
  seconds: number;
  /** ...or after this many requests, whichever comes first. */
  maxRequests: number;
};

export type ClosedLoopReturnType = {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  /** Milliseconds of every answered request. */
  latencies: number[];
};

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
    latencies,
  };
}

/** One closed loop as bench/lib/load-child.ts gets it on stdin, and its answer on stdout. */
export type LoadJob = ClosedLoopParameters & { request: TimedRequest };
export type LoadAnswer = { seconds: number; latencies: number[]; errors: number };

/** Closed loops run by child processes, each with its own event loop; the bench's process only collects results. */
export type LoadGenerators = {
  /** Runs `concurrency` clients spread over the processes, all sending `request`; results merged as one loop. */
  run: (request: TimedRequest, parameters: ClosedLoopParameters) => Promise<ClosedLoopReturnType>;
  stop: () => Promise<void>;
};

/** Starts `processes` load generator processes (bench/lib/load-child.ts), kept for every run until `stop`. */
export async function startLoadGenerators(processes: number): Promise<LoadGenerators> {
  const children = Array.from({ length: processes }, () => {
    const child = spawn(process.execPath, [path.join(import.meta.dirname, "load-child.ts")], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const ask = async (job: LoadJob): Promise<LoadAnswer> => {
      child.stdin.write(`${JSON.stringify(job)}\n`);
      const line = await lines.next();
      if (line.done) throw new Error(`A load generator exited with code ${child.exitCode}.`);
      return JSON.parse(line.value) as LoadAnswer;
    };
    return { child, ask, exited };
  });
  const run = async (request: TimedRequest, { concurrency, seconds, maxRequests }: ClosedLoopParameters) => {
    // Clients dealt round-robin; a process with none sits the run out.
    const shares = children.map((_, i) => Math.floor(concurrency / processes) + (i < concurrency % processes ? 1 : 0));
    const answers = await Promise.all(
      children.flatMap((c, i) => {
        const share = shares[i] ?? 0;
        if (share === 0) return [];
        const requests = Math.ceil((maxRequests * share) / concurrency);
        return [c.ask({ request, concurrency: share, seconds, maxRequests: requests })];
      }),
    );
    const latencies = answers.flatMap((a) => a.latencies);
    const elapsed = Math.max(...answers.map((a) => a.seconds));
    return {
      rps: latencies.length / elapsed,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      requests: latencies.length,
      errors: answers.reduce((n, a) => n + a.errors, 0),
      latencies,
    };
  };
  const stop = async () => {
    for (const c of children) c.child.stdin.end();
    await Promise.all(children.map((c) => c.exited));
  };
  return { run, stop };
}
