// Benchmark module "tasks": metric 4, claims per second at K = 1, 10, 100 vs a raw UPDATE … RETURNING, inside workerd.
import { spawn } from "node:child_process";
import path from "node:path";
import { childEnv, repoRoot } from "../scripts/lib/processes.ts";
import { ratio, round } from "./lib/stats.ts";
import type { BenchResult } from "./types.ts";

type Row = {
  k: number;
  claimsPerSecond: number;
  p99Ms: number;
  rawClaimsPerSecond: number;
  rawP99Ms: number;
  doubleLeases: number;
  rawDoubleLeases: number;
  claimsPerRound: number;
  rounds: number;
};

const FULL = { BENCH_CLAIMS: "400", BENCH_ROUNDS: "5", BENCH_KS: "1,10,100" };
const QUICK = { BENCH_CLAIMS: "150", BENCH_ROUNDS: "2", BENCH_KS: "1,10,100" };

/** Runs bench/tasks/claims.bench.test.ts (the same as `npm run bench:tasks -w workers`) and reads its result line. */
async function runInWorkerd(sizes: Record<string, string>): Promise<Row[]> {
  const args = ["run", "--config", "../bench/tasks/vitest.config.ts"];
  const child = spawn("vitest", args, { cwd: path.join(repoRoot, "workers"), env: childEnv(sizes), stdio: "pipe" });
  let output = "";
  child.stdout.on("data", (c: Buffer) => {
    output += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    output += c.toString();
  });
  const code = await new Promise<number>((resolve) => child.once("exit", (c) => resolve(c ?? 1)));
  const json = /BENCH_RESULTS (\[.*\])/.exec(output)?.[1];
  if (code !== 0 || !json) throw new Error(`The claim benchmark failed (exit ${code}):\n${output.slice(-4000)}`);
  return JSON.parse(json) as Row[];
}

export async function run({ quick }: { quick: boolean }): Promise<BenchResult[]> {
  const rows = await runInWorkerd(quick ? QUICK : FULL);
  return rows.flatMap((r): BenchResult[] => {
    const parameters = {
      annotators: r.k,
      claimsPerRound: r.claimsPerRound,
      rounds: r.rounds,
      items: 600,
      overlap: 3,
      statistic: "median of rounds, system and baseline alternating",
    };
    return [
      {
        metric: `tasks.claims-per-second.k${r.k}`,
        value: round(r.claimsPerSecond, 1),
        unit: "claims/s",
        baseline: { name: "raw UPDATE … RETURNING", value: round(r.rawClaimsPerSecond, 1) },
        ratio: ratio(r.claimsPerSecond, r.rawClaimsPerSecond),
        parameters,
      },
      {
        metric: `tasks.claim-p99.k${r.k}`,
        value: round(r.p99Ms),
        unit: "ms",
        baseline: { name: "raw UPDATE … RETURNING", value: round(r.rawP99Ms) },
        ratio: ratio(r.p99Ms, r.rawP99Ms),
        parameters,
      },
      {
        metric: `tasks.double-leases.k${r.k}`,
        value: r.doubleLeases,
        unit: "leases",
        baseline: { name: "required", value: 0 },
        parameters: { ...parameters, rawDoubleLeases: r.rawDoubleLeases },
      },
    ];
  });
}
