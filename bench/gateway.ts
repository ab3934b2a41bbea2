// Benchmark module "gateway": metrics 1–4 (overhead vs direct and bare route, streaming, throughput at p99 < 50 ms,
// CPU per request).
import { type CpuSizes, cpuPerRequest } from "./gateway/cpu.ts";
import { latency, type Sizes, streaming } from "./gateway/latency.ts";
import { startGatewayStack } from "./gateway/stack.ts";
import { type SweepSizes, throughput } from "./gateway/throughput.ts";
import type { BenchResult } from "./types.ts";

const FULL = {
  fast: { rounds: 7, warmup: 30, perRound: 100 },
  slow: { rounds: 7, warmup: 10, perRound: 30 },
  stream: { rounds: 7, warmup: 10, perRound: 25 },
  sweep: { levels: [1, 2, 4, 8, 16, 32], rounds: 3, seconds: 2, maxRequests: 4000 },
  cpu: { rounds: 5, requests: 3000, concurrency: 8 },
} satisfies Record<string, Sizes | SweepSizes | CpuSizes>;

const QUICK = {
  fast: { rounds: 3, warmup: 10, perRound: 30 },
  slow: { rounds: 3, warmup: 3, perRound: 10 },
  stream: { rounds: 3, warmup: 3, perRound: 8 },
  sweep: { levels: [1, 4, 16], rounds: 1, seconds: 1, maxRequests: 1000 },
  cpu: { rounds: 3, requests: 1000, concurrency: 8 },
} satisfies Record<string, Sizes | SweepSizes | CpuSizes>;

export async function run({ quick }: { quick: boolean }): Promise<BenchResult[]> {
  const sizes = quick ? QUICK : FULL;
  const stack = await startGatewayStack();
  try {
    const results = [
      ...(await latency(stack, stack.upstreams.fast, 0, sizes.fast)),
      ...(await latency(stack, stack.upstreams.slow, 50, sizes.slow)),
      ...(await streaming(stack, sizes.stream)),
      ...(await throughput(stack, sizes.sweep)),
      ...(await cpuPerRequest(stack, sizes.cpu)),
    ];
    return results.map((r) => ({
      ...r,
      parameters: { ...r.parameters, runtime: stack.runtime, state: stack.state.storage },
    }));
  } finally {
    await stack.close();
  }
}
