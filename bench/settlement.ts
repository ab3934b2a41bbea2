// Epoch close benchmark: aggregation, attribution and the Merkle tree for 1M usage records and 100k recipients.
import { performance } from "node:perf_hooks";
import { chargesOf, UsageAggregate, usageDigest } from "../workers/src/settler/aggregate.ts";
import { buildManifest, type ManifestAsset } from "../workers/src/settler/manifest.ts";
import type { BenchResult } from "./types.ts";

type Hex = `0x${string}`;

/** A deterministic address or id from a number. */
const hex = (prefix: string, n: number, bytes: number) =>
  `0x${prefix}${n.toString(16).padStart(bytes * 2 - prefix.length, "0")}` as Hex;

/**
 * What is measured: the pure part of an epoch close in Node, from usage rows in memory to the manifest JSON —
 * aggregation per (payer, token, model), the usage digest, attribution down model → dataset → annotators, the
 * cumulative StandardMerkleTree over every recipient, and serializing the manifest. Not measured: reading D1
 * (pages of 5,000 rows), R2 writes and the transaction (whose gas depends on payers only; docs/gas.md).
 * Peak memory is the process's maximum resident set size, input rows included.
 */
export async function run({ quick }: { quick: boolean }): Promise<BenchResult[]> {
  const records = quick ? 50_000 : 1_000_000;
  const recipients = quick ? 5_000 : 100_000;
  const datasets = 100;
  const payers = 1_000;
  const token = hex("e4", 1, 20);
  const assets = new Map<Hex, ManifestAsset>();
  const perDataset = Math.ceil(recipients / datasets);
  for (let d = 0; d < datasets; d++) {
    const dataset = hex("da", d, 32);
    const model = hex("40", d, 32);
    const split = Array.from({ length: perDataset }, (_, i) => ({
      account: hex("a0", d * perDataset + i, 20),
      weight: BigInt(1 + ((i * 7919) % 997)),
    }));
    assets.set(dataset, { id: dataset, owner: hex("0d", d, 20), parents: [], split, splitInfo: { kind: "none" } });
    assets.set(model, {
      id: model,
      owner: hex("0e", d, 20),
      parents: [{ assetId: dataset, shareBps: 3000 }],
      split: [],
      splitInfo: { kind: "none" },
    });
  }
  const rows = Array.from({ length: records }, (_, i) => ({
    requestId: `req-${i.toString(36).padStart(8, "0")}`,
    payer: hex("fa", i % payers, 20),
    token,
    modelAsset: hex("40", i % datasets, 32),
    cost: BigInt(100 + (i % 5000)),
  }));
  const rssBefore = process.memoryUsage().rss;

  const started = performance.now();
  const aggregate = new UsageAggregate();
  for (const row of rows) aggregate.add(row);
  const groups = [...aggregate.groups.values()];
  const charges = chargesOf(groups);
  const digest = usageDigest(groups.flatMap((g) => g.ids));
  const aggregated = performance.now();
  const manifest = buildManifest({
    chainId: 31337,
    epochLedger: hex("1e", 1, 20),
    epochId: 1,
    parentEpochId: 0,
    watermark: Date.now(),
    blocks: { from: 0n, to: 1n },
    protocolFeeBps: 500,
    treasury: hex("77", 1, 20),
    maxDepth: 8,
    regions: [{ binding: "METER_DB", records }],
    usageDigest: digest,
    groups,
    charges,
    shortfalls: [],
    licenseFees: [],
    unattributedLicenseFees: [],
    assets,
    previous: new Map(),
  });
  const built = performance.now();
  const json = JSON.stringify(manifest);
  const done = performance.now();
  const peakRss = process.resourceUsage().maxRSS * 1024;

  const parameters = { records, recipients: manifest.accruals.length, payers, models: datasets, datasets, quick };
  return [
    { metric: "settlement.close_ms", value: round(done - started), unit: "ms", parameters },
    { metric: "settlement.aggregate_ms", value: round(aggregated - started), unit: "ms", parameters },
    { metric: "settlement.attribute_and_tree_ms", value: round(built - aggregated), unit: "ms", parameters },
    { metric: "settlement.manifest_bytes", value: json.length, unit: "bytes", parameters },
    {
      metric: "settlement.peak_rss_mb",
      value: round(peakRss / 2 ** 20),
      unit: "MiB",
      parameters: { ...parameters, rssBeforeCloseMiB: round(rssBefore / 2 ** 20) },
    },
  ];
}

const round = (x: number) => Math.round(x * 10) / 10;

if (import.meta.main) {
  const quick = process.argv.includes("--quick");
  for (const r of await run({ quick })) console.log(`${r.metric.padEnd(36)} ${String(r.value).padStart(12)} ${r.unit}`);
}
