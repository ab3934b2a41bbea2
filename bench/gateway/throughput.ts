// Metric 3: the highest throughput whose p99 stays under 50 ms, metered route vs bare route, by a concurrency sweep.

import { closedLoop } from "../lib/load.ts";
import { median, ratio, round } from "../lib/stats.ts";
import type { BenchResult } from "../types.ts";
import { variants } from "./latency.ts";
import type { GatewayStack } from "./stack.ts";

/** The latency objective of the sweep: a level counts only if its p99 is below this. */
export const SLO_P99_MS = 50;

export type SweepSizes = { levels: number[]; rounds: number; seconds: number; maxRequests: number };

type Level = { concurrency: number; rps: number; p99: number };

/**
 * For each concurrency level, the metered route (with a rate-limited key, like Kong's key auth + rate limiting
 * anchor) and the bare route run alternately for `rounds` rounds; a level's figures are the medians over rounds.
 * Every level runs, so the peak over all levels (whatever its p99) is reported beside the objective.
 */
export async function throughput(stack: GatewayStack, sizes: SweepSizes): Promise<BenchResult[]> {
  const { metered, bare } = variants(stack, stack.upstreams.fast, false, stack.limitedKey);
  const calls = { metered, bare };
  const sweep: Record<"metered" | "bare", Level[]> = { metered: [], bare: [] };
  await closedLoop(metered, { concurrency: 4, seconds: 1, maxRequests: 200 });
  await closedLoop(bare, { concurrency: 4, seconds: 1, maxRequests: 200 });
  for (const concurrency of sizes.levels) {
    const runs: Record<string, { rps: number[]; p99: number[] }> = {
      metered: { rps: [], p99: [] },
      bare: { rps: [], p99: [] },
    };
    for (let r = 0; r < sizes.rounds; r++) {
      const order = r % 2 ? (["bare", "metered"] as const) : (["metered", "bare"] as const);
      for (const v of order) {
        const res = await closedLoop(calls[v], { concurrency, seconds: sizes.seconds, maxRequests: sizes.maxRequests });
        if (res.errors > 0) throw new Error(`${res.errors} ${v} requests failed at concurrency ${concurrency}.`);
        runs[v]?.rps.push(res.rps);
        runs[v]?.p99.push(res.p99);
      }
    }
    for (const v of ["metered", "bare"] as const) {
      sweep[v].push({ concurrency, rps: round(median(runs[v]?.rps ?? [])), p99: round(median(runs[v]?.p99 ?? [])) });
    }
  }
  const best = (levels: Level[], slo: number) =>
    levels.filter((l) => l.p99 < slo).reduce<Level | undefined>((a, l) => (a && a.rps >= l.rps ? a : l), undefined);
  const result = (metric: string, slo: number): BenchResult => {
    const m = best(sweep.metered, slo);
    const b = best(sweep.bare, slo);
    return {
      metric,
      value: m?.rps ?? 0,
      unit: "req/s",
      baseline: { name: "bare route", value: b?.rps ?? 0 },
      ratio: ratio(m?.rps ?? 0, b?.rps ?? 0),
      parameters: {
        sloP99Ms: Number.isFinite(slo) ? slo : null,
        meteredConcurrency: m?.concurrency ?? null,
        bareConcurrency: b?.concurrency ?? null,
        key: "rpm and tpm limits (the rate limiter runs on every call)",
        upstreamLatencyMs: 0,
        ...sizes,
        sweep,
      },
    };
  };
  // The peak regardless of latency still gives a ratio when the machine is too loaded for any level to meet the SLO.
  return [
    result(`gateway.throughput.p99-under-${SLO_P99_MS}ms`, SLO_P99_MS),
    result("gateway.throughput.peak", Infinity),
  ];
}
