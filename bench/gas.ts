// Benchmark module "gas": metric 7, claim gas vs the merkle-distributor, settleEpoch per payer and vs recipients.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { childEnv, repoRoot } from "../scripts/lib/processes.ts";
import { ratio, round } from "./lib/stats.ts";
import type { BenchResult } from "./types.ts";

const run_ = promisify(execFile);

/** Uniswap merkle-distributor's average claim transaction (gasUsed on a 100,000-leaf tree). */
const UNISWAP_CLAIM_GAS = 78_600;

type ForgeJson = Record<string, { test_results: Record<string, { status: string; gas_snapshots?: Groups }> }>;
type Groups = Record<string, Record<string, string>>;

/**
 * Runs contracts/test/gas/LedgerGas.t.sol with forge and reads the named gas snapshots from its JSON output.
 * Snapshots are written to a temporary folder with checking off, so the committed contracts/snapshots stay untouched.
 */
async function measure(): Promise<Groups> {
  const snapshots = await mkdtemp(path.join(tmpdir(), "tributary-gas-"));
  try {
    const { stdout } = await run_("forge", ["test", "--match-contract", "LedgerGasTest", "--json"], {
      cwd: repoRoot,
      env: childEnv({ FOUNDRY_SNAPSHOTS: snapshots, FORGE_SNAPSHOT_CHECK: "false" }),
      maxBuffer: 64 * 1024 * 1024,
    });
    const groups: Groups = {};
    for (const suite of Object.values(JSON.parse(stdout) as ForgeJson)) {
      for (const [name, test] of Object.entries(suite.test_results)) {
        if (test.status !== "Success") throw new Error(`Gas test ${name} did not pass: ${test.status}.`);
        for (const [group, entries] of Object.entries(test.gas_snapshots ?? {})) {
          groups[group] = { ...groups[group], ...entries };
        }
      }
    }
    return groups;
  } finally {
    await rm(snapshots, { recursive: true, force: true });
  }
}

export async function run(_: { quick: boolean }): Promise<BenchResult[]> {
  const groups = await measure();
  const gas = (group: string, name: string) => {
    const value = groups[group]?.[name];
    if (value === undefined) throw new Error(`forge reported no gas snapshot ${group}/${name}.`);
    return Number(value);
  };
  const source = { source: "forge test --match-contract LedgerGasTest", proofDepth: 17, treeLeaves: "≈100,000" };
  const claim = (name: string, what: string): BenchResult => {
    const value = gas("claim", `${name}-depth17-tx`);
    return {
      metric: `gas.claim.${name}`,
      value,
      unit: "gas",
      baseline: { name: "Uniswap merkle-distributor avg", value: UNISWAP_CLAIM_GAS },
      ratio: ratio(value, UNISWAP_CLAIM_GAS),
      parameters: { ...source, case: what, measured: "21,000 + calldata + execution (a transaction's gasUsed)" },
    };
  };
  const p1 = gas("settleEpoch", "payers-1");
  const p10 = gas("settleEpoch", "payers-10");
  const p100 = gas("settleEpoch", "payers-100");
  const flat = (recipients: number): BenchResult => {
    const value = gas("settleEpoch", `payers-10-recipients-${recipients}`);
    const base = gas("settleEpoch", "payers-10-recipients-10");
    return {
      metric: `gas.settleEpoch.recipients-${recipients}`,
      value,
      unit: "gas",
      baseline: { name: "10 recipients", value: base },
      ratio: ratio(value, base),
      parameters: { payers: 10, recipients, expected: "flat: recipients live only in the Merkle tree" },
    };
  };
  return [
    claim("repeat-claimant", "account claimed before and holds the token (Uniswap's average case)"),
    claim("first-claimant", "first claim ever, account holds none of the token"),
    {
      metric: "gas.settleEpoch.per-payer",
      value: round((p100 - p10) / 90, 0),
      unit: "gas",
      parameters: { from: "(payers-100 − payers-10) ÷ 90", payers1: p1, payers10: p10, payers100: p100 },
    },
    {
      metric: "gas.settleEpoch.payers-100",
      value: p100,
      unit: "gas",
      baseline: { name: "1 payer", value: p1 },
      ratio: ratio(p100, p1),
      parameters: { payers: 100 },
    },
    flat(10_000),
    flat(100_000),
  ];
}
