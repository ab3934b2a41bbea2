// Metrics 1 and 2: latency of the metered route vs a direct call, the bare route and Portkey's gateway, JSON and
// streamed; and Portkey's own vs the direct call.

import { type Sample, type TimedRequest, timed } from "../lib/http.ts";
import { interleave, medianOfRounds } from "../lib/rounds.ts";
import { ratio, round } from "../lib/stats.ts";
import type { BenchResult } from "../types.ts";
import { type GatewayStack, portkeyHeaders, type Upstream } from "./stack.ts";

export type Sizes = { rounds: number; warmup: number; perRound: number };

/** The same small chat request everywhere; max_tokens is explicit so the gateway's cap changes nothing. */
export function chatBody(model: string, stream: boolean): string {
  return JSON.stringify({
    model,
    stream,
    max_tokens: 16,
    messages: [{ role: "user", content: "the quick brown fox jumps over the lazy dog" }],
  });
}

export const VARIANTS = ["metered", "bare", "direct", "portkey"] as const;
export type Variant = (typeof VARIANTS)[number];

/** What each baseline is called in results. */
export const BASELINES = { bare: "bare route", direct: "direct call", portkey: "Portkey gateway" } as const;

/**
 * Four ways to the same upstream: direct, the worker's bare pass-through, Portkey's gateway (the direct call's body,
 * routed by headers), and the full metered route.
 */
export function requests(
  stack: GatewayStack,
  upstream: Upstream,
  stream: boolean,
  key = stack.key,
): Record<Variant, TimedRequest> {
  const path = "/v1/chat/completions";
  return {
    direct: { url: `${upstream.direct}${path}`, body: chatBody("echo", stream) },
    bare: { url: `${upstream.bare}${path}`, body: chatBody("echo", stream) },
    portkey: { url: `${stack.portkey}${path}`, body: chatBody("echo", stream), headers: portkeyHeaders(upstream) },
    metered: {
      url: `${stack.url}${path}`,
      body: chatBody(upstream.model, stream),
      headers: { authorization: `Bearer ${key}` },
    },
  };
}

/** The same four as calls from this process. */
function variants(stack: GatewayStack, upstream: Upstream, stream: boolean) {
  const r = requests(stack, upstream, stream);
  return Object.fromEntries(VARIANTS.map((v) => [v, () => timed(r[v])]));
}

type Rounds = Record<string, Sample[][]>;

/**
 * For one statistic: metered vs direct, bare and Portkey (`gateway.<metric>.vs-…`), and Portkey's own vs direct
 * (`gateway.portkey.<metric>.vs-direct`), as four results.
 */
function versus(metric: string, rounds: Rounds, p: number, pick: (s: Sample) => number | number[], params: object) {
  const value = (v: Variant) => round(medianOfRounds(rounds[v] ?? [], p, pick));
  const result = (name: string, system: Variant, b: keyof typeof BASELINES): BenchResult => ({
    metric: `${name}.vs-${b}`,
    value: value(system),
    unit: "ms",
    baseline: { name: BASELINES[b], value: value(b) },
    ratio: ratio(value(system), value(b)),
    parameters: { percentile: p, ...params },
  });
  return [
    ...(["direct", "bare", "portkey"] as const).map((b) => result(metric, "metered", b)),
    result(metric.replace(/^gateway\./, "gateway.portkey."), "portkey", "direct"),
  ];
}

/** Metric 1: p50 and p99 of non-streaming chat completions at an upstream answering after `latencyMs`. */
export async function latency(stack: GatewayStack, upstream: Upstream, latencyMs: number, sizes: Sizes) {
  const rounds = await interleave({ variants: variants(stack, upstream, false), ...sizes });
  const params = { upstreamLatencyMs: latencyMs, stream: false, ...sizes, statistic: "median of round percentiles" };
  return [50, 99].flatMap((p) =>
    versus(`gateway.latency.p${p}.upstream-${latencyMs}ms`, rounds, p, (s) => s.total, params),
  );
}

/** Metric 2: time to the first streamed chunk (p50) and the p99 gap between chunks, 16 chunks 5 ms apart. */
export async function streaming(stack: GatewayStack, sizes: Sizes) {
  const rounds = await interleave({ variants: variants(stack, stack.upstreams.streaming, true), ...sizes });
  const params = {
    upstreamChunkDelayMs: 5,
    chunks: 16,
    stream: true,
    ...sizes,
    statistic: "median of round percentiles",
  };
  return [
    ...versus("gateway.stream.ttft.p50", rounds, 50, (s) => s.first, params),
    ...versus("gateway.stream.gap.p99", rounds, 99, (s) => s.gaps, params),
  ];
}
