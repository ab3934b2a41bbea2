// Pure epoch computation: revenue per asset → attribution → cumulative accruals → Merkle tree → manifest JSON.
import { compare, type PayerCharge, type UsageGroup } from "./aggregate.ts";
import { type AttributedAsset, attribute } from "./attribution.ts";
import { accrualTree } from "./tree.ts";

export const MANIFEST_FORMAT = "tributary.settlement-manifest/1";
export const ACCRUAL_LEAF = ["address", "address", "uint256"] as const;

type Hex = `0x${string}`;

/** A `LicenseFeeHeld` event of the ledger. */
export type LicenseFee = {
  licenseId: bigint;
  assetId: Hex;
  token: Hex;
  amount: bigint;
  blockNumber: bigint;
  transactionHash: Hex;
  logIndex: number;
};

/** How an asset's contributor split was resolved, for the manifest. */
export type SplitInfo =
  | { kind: "none" }
  | { kind: "explicit"; version: number; totalWeight: string; recipients: number }
  | { kind: "merkle"; version: number; root: Hex; totalWeight: string; recipients: number; weightsKey: string };

export type ManifestAsset = AttributedAsset & { splitInfo: SplitInfo };

/** A charge that was not posted (escrow too low, or an asset attribution cannot resolve); carried over. */
export type Shortfall = PayerCharge & { escrow: bigint | null; reason: "escrow" | "unknown-asset"; assetId?: Hex };

export type BuildManifestParameters = {
  chainId: number;
  epochLedger: Hex;
  epochId: number;
  parentEpochId: number;
  watermark: number;
  blocks: { from: bigint; to: bigint };
  protocolFeeBps: number;
  treasury: Hex;
  maxDepth: number;
  regions: { binding: string; records: number }[];
  usageDigest: Hex;
  /** The usage groups that are settled (shortfalls already removed). */
  groups: readonly UsageGroup[];
  charges: readonly PayerCharge[];
  shortfalls: readonly Shortfall[];
  licenseFees: readonly LicenseFee[];
  /** Fees of assets whose attribution cannot be resolved: left held on-chain, reported. */
  unattributedLicenseFees: readonly LicenseFee[];
  assets: ReadonlyMap<Hex, ManifestAsset>;
  /** The parent epoch's cumulative amounts, keyed `${account}|${token}` (lower-case). */
  previous: ReadonlyMap<string, bigint>;
};

const s = (v: bigint) => v.toString();

const feeJson = (f: LicenseFee) => ({
  licenseId: s(f.licenseId),
  assetId: f.assetId,
  token: f.token,
  amount: s(f.amount),
  blockNumber: Number(f.blockNumber),
  transactionHash: f.transactionHash,
  logIndex: f.logIndex,
});

/** Builds the manifest of an epoch. Throws (AttributionError) if an asset it needs is missing from `assets`. */
export function buildManifest(p: BuildManifestParameters) {
  const revenue = new Map<string, { assetId: Hex; token: Hex; usage: bigint; licenseFees: bigint; records: number }>();
  const revenueOf = (assetId: Hex, token: Hex) => {
    const key = `${assetId}|${token}`;
    let r = revenue.get(key);
    if (!r) {
      r = { assetId, token, usage: 0n, licenseFees: 0n, records: 0 };
      revenue.set(key, r);
    }
    return r;
  };
  for (const g of p.groups) {
    const r = revenueOf(g.assetId, g.token);
    r.usage += g.amount;
    r.records += g.records;
  }
  for (const f of p.licenseFees) revenueOf(f.assetId, f.token).licenseFees += f.amount;

  const totals = new Map<Hex, { charged: bigint; licenseFees: bigint; protocolFee: bigint }>();
  const totalOf = (token: Hex) => {
    let t = totals.get(token);
    if (!t) {
      t = { charged: 0n, licenseFees: 0n, protocolFee: 0n };
      totals.set(token, t);
    }
    return t;
  };
  for (const c of p.charges) totalOf(c.token).charged += c.amount;
  const accrued = new Map<string, bigint>();
  for (const r of revenue.values()) {
    const t = totalOf(r.token);
    t.licenseFees += r.licenseFees;
    const a = attribute({
      revenue: r.usage + r.licenseFees,
      assetId: r.assetId,
      assets: p.assets,
      protocolFeeBps: p.protocolFeeBps,
      treasury: p.treasury,
      maxDepth: p.maxDepth,
    });
    t.protocolFee += a.fee;
    for (const [account, amount] of a.accruals) {
      const key = `${account}|${r.token}`;
      accrued.set(key, (accrued.get(key) ?? 0n) + amount);
    }
  }

  const keys = new Set([...p.previous.keys(), ...accrued.keys()]);
  const accruals = [...keys]
    .map((key) => {
      const [account, token] = key.split("|") as [Hex, Hex];
      const amount = accrued.get(key) ?? 0n;
      return { account, token, amount, cumulative: (p.previous.get(key) ?? 0n) + amount };
    })
    .sort((a, b) => compare(a.account, b.account) || compare(a.token, b.token));
  const tree = accrualTree(accruals.map((a) => [a.account, a.token, s(a.cumulative)]));

  return {
    format: MANIFEST_FORMAT,
    chainId: p.chainId,
    epochLedger: p.epochLedger.toLowerCase(),
    epochId: p.epochId,
    parentEpochId: p.parentEpochId,
    watermark: new Date(p.watermark).toISOString(),
    blocks: { from: Number(p.blocks.from), to: Number(p.blocks.to) },
    protocolFeeBps: p.protocolFeeBps,
    treasury: p.treasury.toLowerCase(),
    maxDepth: p.maxDepth,
    usage: {
      digest: p.usageDigest,
      recordCount: p.charges.reduce((n, c) => n + c.records, 0),
      regions: p.regions,
    },
    charges: p.charges.map((c) => ({ payer: c.payer, token: c.token, amount: s(c.amount), records: c.records })),
    shortfalls: p.shortfalls.map((f) => ({
      payer: f.payer,
      token: f.token,
      amount: s(f.amount),
      escrow: f.escrow === null ? null : s(f.escrow),
      records: f.records,
      reason: f.reason,
      ...(f.assetId ? { assetId: f.assetId } : {}),
    })),
    totals: [...totals.entries()]
      .sort(([a], [b]) => compare(a, b))
      .map(([token, t]) => ({
        token,
        charged: s(t.charged),
        licenseFees: s(t.licenseFees),
        protocolFee: s(t.protocolFee),
      })),
    licenseFees: p.licenseFees.map(feeJson),
    unattributedLicenseFees: p.unattributedLicenseFees.map(feeJson),
    revenue: [...revenue.values()]
      .sort((a, b) => compare(a.assetId, b.assetId) || compare(a.token, b.token))
      .map((r) => ({
        assetId: r.assetId,
        token: r.token,
        usage: s(r.usage),
        licenseFees: s(r.licenseFees),
        total: s(r.usage + r.licenseFees),
        records: r.records,
      })),
    assets: [...p.assets.values()]
      .sort((a, b) => compare(a.id, b.id))
      .map((a) => ({ assetId: a.id, owner: a.owner, parents: a.parents, split: a.splitInfo })),
    accruals: accruals.map((a) => ({
      account: a.account,
      token: a.token,
      amount: s(a.amount),
      cumulative: s(a.cumulative),
    })),
    root: tree.root,
    tree: tree.dump,
  };
}

export type Manifest = ReturnType<typeof buildManifest>;

/** Cumulative amounts of a manifest, keyed `${account}|${token}`: the `previous` of the next epoch. */
export function cumulativeOf(manifest: Pick<Manifest, "accruals">): Map<string, bigint> {
  return new Map(manifest.accruals.map((a) => [`${a.account}|${a.token}`, BigInt(a.cumulative)]));
}
