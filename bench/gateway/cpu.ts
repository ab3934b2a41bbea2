// Metric 4: CPU time per request of the process serving it: the worker's workerd (metered and bare routes) and
// Portkey's Node process, under the same closed-loop load.

import { cpuMs } from "../lib/cpu.ts";
import { startLoadGenerators } from "../lib/load.ts";
import { median, ratio, round } from "../lib/stats.ts";
import type { BenchResult } from "../types.ts";
import { BASELINES, requests } from "./latency.ts";
import type { GatewayStack } from "./stack.ts";
import { LOAD_PROCESSES } from "./throughput.ts";

export type CpuSizes = { rounds: number; requests: number; concurrency: number };

const SYSTEMS = ["metered", "bare", "portkey"] as const;
type System = (typeof SYSTEMS)[number];

/**
 * Wall-clock figures on a shared 2-core machine move with whatever else runs; the CPU a process used per request
 * does much less, and it is what bounds a core's throughput. Each round sends `requests` calls per system at a fixed
 * concurrency (order rotating every round) and divides the serving process's CPU time (user + system, all threads,
 * from /proc) by the calls answered; the figure is the median over rounds. The workerd process also runs Miniflare's
 * local D1 and R2 simulators, so the metered route's figure includes the database work that a deployed worker
 * hands to D1 over the network: an upper bound of the gateway's own CPU.
 */
export async function cpuPerRequest(stack: GatewayStack, sizes: CpuSizes): Promise<BenchResult[]> {
  const { worker, portkey } = stack.pids;
  if (worker === undefined) return [];
  const pids: Record<System, number> = { metered: worker, bare: worker, portkey };
  const calls = requests(stack, stack.upstreams.fast, false, stack.limitedKey);
  const perRequest: Record<System, number[]> = { metered: [], bare: [], portkey: [] };
  const load = await startLoadGenerators(LOAD_PROCESSES);
  try {
    for (const s of SYSTEMS)
      await load.run(calls[s], { concurrency: sizes.concurrency, seconds: 60, maxRequests: 300 });
    for (let r = 0; r < sizes.rounds; r++) {
      for (const s of SYSTEMS.map((_, i) => SYSTEMS[(i + r) % SYSTEMS.length] as System)) {
        const before = cpuMs(pids[s]);
        const res = await load.run(calls[s], {
          concurrency: sizes.concurrency,
          seconds: 60,
          maxRequests: sizes.requests,
        });
        if (res.errors > 0) throw new Error(`${res.errors} ${s} requests failed while measuring CPU.`);
        perRequest[s].push(((cpuMs(pids[s]) - before) * 1000) / res.requests);
      }
    }
  } finally {
    await load.stop();
  }
  const value = (s: System) => round(median(perRequest[s]), 1);
  const result = (baseline: "bare" | "portkey"): BenchResult => ({
    metric: `gateway.cpu.per-request.vs-${baseline}`,
    value: value("metered"),
    unit: "µs",
    baseline: { name: BASELINES[baseline], value: value(baseline) },
    ratio: ratio(value("metered"), value(baseline)),
    parameters: {
      statistic: "median over rounds of process CPU time ÷ requests",
      process: { metered: "workerd (with local D1/R2)", bare: "workerd", portkey: "node" },
      key: "metered route: rpm and tpm limits (the rate limiter runs on every call)",
      upstreamLatencyMs: 0,
      ...sizes,
      rounds: perRequest,
    },
  });
  return [result("bare"), result("portkey")];
}
