// Metric 3: the highest throughput whose p99 stays under 50 ms, metered route vs bare route, a direct call and
// Portkey's gateway (and Portkey's own vs the direct call), by a concurrency sweep.

import { startLoadGenerators } from "../lib/load.ts";
import { median, ratio, round } from "../lib/stats.ts";
import type { BenchResult } from "../types.ts";
import { BASELINES, requests, VARIANTS, type Variant } from "./latency.ts";
import type { GatewayStack } from "./stack.ts";

/** The latency objective of the sweep: a level counts only if its p99 is below this. */
export const SLO_P99_MS = 50;

/**
 * Client processes of the sweep (bench/lib/load-child.ts, node:http). A closed loop of `fetch` calls inside the
 * bench's own process topped out at 1.2–1.6k req/s against the direct call on the 2-core machine, about 2× the bare
 * route, and took CPU from the worker; two such processes reached 3.5–4.4k (docs/benchmarks.md, Method).
 */
export const LOAD_PROCESSES = 2;

export type SweepSizes = { levels: number[]; rounds: number; seconds: number; maxRequests: number };

type Level = { concurrency: number; rps: number; p99: number };

/**
 * For each concurrency level, the metered route (with a rate-limited key, like Kong's key auth + rate limiting
 * anchor), the bare route, the direct call and Portkey's gateway run one after the other for `rounds` rounds, in an order that rotates
 * every round; a level's figures are the medians over rounds. Every level runs, so the peak over all levels
 * (whatever its p99) is reported beside the objective. The clients run in `LOAD_PROCESSES` child processes.
 */
export async function throughput(stack: GatewayStack, sizes: SweepSizes): Promise<BenchResult[]> {
  const calls = requests(stack, stack.upstreams.fast, false, stack.limitedKey);
  const sweep: Record<Variant, Level[]> = { metered: [], bare: [], direct: [], portkey: [] };
  const load = await startLoadGenerators(LOAD_PROCESSES);
  try {
    for (const v of VARIANTS) await load.run(calls[v], { concurrency: 4, seconds: 1, maxRequests: 200 });
    for (const concurrency of sizes.levels) {
      const runs = Object.fromEntries(VARIANTS.map((v) => [v, { rps: [] as number[], p99: [] as number[] }]));
      for (let r = 0; r < sizes.rounds; r++) {
        const order = VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length] as Variant);
        for (const v of order) {
          const res = await load.run(calls[v], { concurrency, seconds: sizes.seconds, maxRequests: sizes.maxRequests });
          if (res.errors > 0) throw new Error(`${res.errors} ${v} requests failed at concurrency ${concurrency}.`);
          runs[v]?.rps.push(res.rps);
          runs[v]?.p99.push(res.p99);
        }
      }
      for (const v of VARIANTS) {
        sweep[v].push({ concurrency, rps: round(median(runs[v]?.rps ?? [])), p99: round(median(runs[v]?.p99 ?? [])) });
      }
    }
  } finally {
    await load.stop();
  }
  const best = (levels: Level[], slo: number) =>
    levels.filter((l) => l.p99 < slo).reduce<Level | undefined>((a, l) => (a && a.rps >= l.rps ? a : l), undefined);
  const result = (metric: string, slo: number, baseline: keyof typeof BASELINES, system: Variant = "metered") => {
    const m = best(sweep[system], slo);
    const b = best(sweep[baseline], slo);
    return {
      metric: `${metric}.vs-${baseline}`,
      value: m?.rps ?? 0,
      unit: "req/s",
      baseline: { name: BASELINES[baseline], value: b?.rps ?? 0 },
      ratio: ratio(m?.rps ?? 0, b?.rps ?? 0),
      parameters: {
        sloP99Ms: Number.isFinite(slo) ? slo : null,
        [`${system}Concurrency`]: m?.concurrency ?? null,
        baselineConcurrency: b?.concurrency ?? null,
        key: "metered route: rpm and tpm limits (the rate limiter runs on every call)",
        upstreamLatencyMs: 0,
        loadProcesses: LOAD_PROCESSES,
        ...sizes,
        sweep,
      },
    } satisfies BenchResult;
  };
  // The peak regardless of latency still gives a ratio when the machine is too loaded for any level to meet the SLO.
  const slo = `p99-under-${SLO_P99_MS}ms`;
  return [
    ...(["bare", "direct", "portkey"] as const).map((b) => result(`gateway.throughput.${slo}`, SLO_P99_MS, b)),
    ...(["bare", "direct", "portkey"] as const).map((b) => result("gateway.throughput.peak", Infinity, b)),
    result(`gateway.portkey.throughput.${slo}`, SLO_P99_MS, "direct", "portkey"),
    result("gateway.portkey.throughput.peak", Infinity, "direct", "portkey"),
  ];
}
