// Building an epoch: scan its records, defer what cannot be settled, attribute, and write the manifest to R2.
import { epochLedgerAbi } from "@tributary/schemas/abis";
import type { Address, PublicClient } from "viem";
import type { ChainConfig } from "../chain/config.ts";
import { chargesOf, UsageAggregate, type UsageGroup, usageDigest } from "./aggregate.ts";
import { licenseFeesIn, loadLineage, UnresolvableAsset } from "./chain-reads.ts";
import { buildManifest, cumulativeOf, type Manifest, type ManifestAsset, type Shortfall } from "./manifest.ts";
import { type MeterDb, scanRecords, untagRecords } from "./meters.ts";
import type { SettlementSettings } from "./settings.ts";

type Hex = `0x${string}`;

export type BuildParameters = {
  env: Env;
  config: ChainConfig;
  client: PublicClient;
  settings: SettlementSettings;
  meters: MeterDb[];
  epoch: { epochId: number; watermark: number; fromBlock: number; toBlock: number };
};

export type Built = { manifest: Manifest; ids: string[] };

/** Computes the epoch's manifest from the records tagged with its id; untags the records it carries over. */
export async function buildEpoch(p: BuildParameters): Promise<Built> {
  const { epochId } = p.epoch;
  const aggregate = new UsageAggregate();
  const regions = await scanRecords(p.meters, epochId, aggregate);
  const fees = await licenseFeesIn(
    p.client,
    p.config.contracts.epochLedger,
    BigInt(p.epoch.fromBlock),
    BigInt(p.epoch.toBlock),
  );

  const assets = new Map<Hex, ManifestAsset>();
  const unresolved = new Map<Hex, string>();
  const lineage = {
    client: p.client,
    registry: p.config.contracts.assetRegistry,
    tasksDb: p.env.TASKS_DB,
    bucket: p.env.BUCKET,
    maxDepth: p.settings.maxDepth,
  };
  const roots = new Set<Hex>([...[...aggregate.groups.values()].map((g) => g.assetId), ...fees.map((f) => f.assetId)]);
  for (const assetId of roots) {
    try {
      await loadLineage(lineage, assetId, assets);
    } catch (err) {
      if (!(err instanceof UnresolvableAsset)) throw err;
      unresolved.set(assetId, err.message);
    }
  }

  const shortfalls: Shortfall[] = [];
  let groups: UsageGroup[] = [...aggregate.groups.values()];
  for (const assetId of unresolved.keys()) {
    const deferred = groups.filter((g) => g.assetId === assetId);
    if (deferred.length === 0) continue;
    for (const c of chargesOf(deferred)) shortfalls.push({ ...c, escrow: null, reason: "unknown-asset", assetId });
    await untagRecords(p.meters, epochId, { assetId });
    groups = groups.filter((g) => g.assetId !== assetId);
  }
  for (const charge of chargesOf(groups)) {
    const escrow = await p.client.readContract({
      address: p.config.contracts.epochLedger,
      abi: epochLedgerAbi,
      functionName: "escrowOf",
      args: [charge.payer as Address, charge.token as Address],
    });
    if (charge.amount <= escrow) continue;
    shortfalls.push({ ...charge, escrow, reason: "escrow" });
    await untagRecords(p.meters, epochId, { payer: charge.payer, token: charge.token });
    groups = groups.filter((g) => g.payer !== charge.payer || g.token !== charge.token);
  }
  const attributedFees = fees.filter((f) => !unresolved.has(f.assetId));
  const unattributedFees = fees.filter((f) => unresolved.has(f.assetId));

  const [, tip] = await p.client.readContract({
    address: p.config.contracts.epochLedger,
    abi: epochLedgerAbi,
    functionName: "epochIds",
  });
  const parentEpochId = Number(tip);
  const previous =
    parentEpochId === 0 ? new Map<string, bigint>() : cumulativeOf(await readManifest(p.env, parentEpochId));
  const ids = groups.flatMap((g) => g.ids);
  const manifest = buildManifest({
    chainId: p.config.chain.id,
    epochLedger: p.config.contracts.epochLedger,
    epochId,
    parentEpochId,
    watermark: p.epoch.watermark,
    blocks: { from: BigInt(p.epoch.fromBlock), to: BigInt(p.epoch.toBlock) },
    protocolFeeBps: p.settings.protocolFeeBps,
    treasury: p.settings.treasury,
    maxDepth: p.settings.maxDepth,
    regions: regions.map((r) => ({ binding: r.binding, records: r.records })),
    usageDigest: usageDigest(ids),
    groups,
    charges: chargesOf(groups),
    shortfalls,
    licenseFees: attributedFees,
    unattributedLicenseFees: unattributedFees,
    assets,
    previous,
  });
  return { manifest, ids };
}

/** R2 key of an epoch's manifest. Written once per build; a rebuild (before posting) overwrites it. */
export const manifestKey = (epochId: number) => `settlement/epochs/${epochId}/manifest.json`;

/** Reads a stored manifest; throws when the epoch has none. */
export async function readManifest(env: Env, epochId: number): Promise<Manifest> {
  const object = await env.BUCKET.get(manifestKey(epochId));
  if (!object) throw new Error(`The manifest of epoch ${epochId} is missing from R2 (${manifestKey(epochId)}).`);
  return (await object.json()) as Manifest;
}
