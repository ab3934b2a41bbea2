// Attribution of an asset's revenue down its lineage: protocol fee, parents by share, contributors by
// weight, dust to the owner. Pure integer arithmetic: the parts always sum to the revenue exactly.

/** Basis points: 10,000 = 100 %. */
export const BPS = 10_000n;

/** An account's share of an asset's contributor split. Weights are relative; only their ratio matters. */
export type SplitRecipient = { account: `0x${string}`; weight: bigint };

/** What attribution needs to know of an asset. */
export type AttributedAsset = {
  id: `0x${string}`;
  /** Receives the asset's rounding dust and its whole remainder when the split is empty. */
  owner: `0x${string}`;
  /** Lineage: each parent receives `shareBps` of what reaches this asset (after the protocol fee). */
  parents: readonly { assetId: `0x${string}`; shareBps: number }[];
  /** The contributor split: an explicit list, or a dataset's annotators with their committed weights. */
  split: readonly SplitRecipient[];
};

export type AttributeParameters = {
  /** Revenue of `assetId` in base units of one payment token. */
  revenue: bigint;
  assetId: `0x${string}`;
  assets: ReadonlyMap<`0x${string}`, AttributedAsset>;
  protocolFeeBps: number;
  treasury: `0x${string}`;
  /** Parents deeper than this are not followed; what would reach them stays with the deepest asset. */
  maxDepth: number;
};

export type Attribution = {
  fee: bigint;
  /** Amount per account (lower-case hex), fee included under the treasury. Sums to `revenue`. */
  accruals: Map<`0x${string}`, bigint>;
};

export class AttributionError extends Error {
  override readonly name = "AttributionError";
}

/** Attributes `revenue` of one asset in one token. Throws on an unknown asset or shares above 100 %. */
export function attribute(p: AttributeParameters): Attribution {
  if (p.revenue < 0n) throw new AttributionError(`Revenue must not be negative, got ${p.revenue}.`);
  if (!Number.isInteger(p.protocolFeeBps) || p.protocolFeeBps < 0 || p.protocolFeeBps > 10_000) {
    throw new AttributionError(`The protocol fee must be 0 to 10000 bps, got ${p.protocolFeeBps}.`);
  }
  const accruals = new Map<`0x${string}`, bigint>();
  const credit = (account: `0x${string}`, amount: bigint) => {
    if (amount === 0n) return;
    const key = account.toLowerCase() as `0x${string}`;
    accruals.set(key, (accruals.get(key) ?? 0n) + amount);
  };
  const fee = (p.revenue * BigInt(p.protocolFeeBps)) / BPS;
  credit(p.treasury, fee);

  const distribute = (assetId: `0x${string}`, amount: bigint, depth: number) => {
    const asset = p.assets.get(assetId);
    if (!asset) throw new AttributionError(`Asset ${assetId} is not known to attribution.`);
    let remainder = amount;
    if (depth < p.maxDepth) {
      const totalShare = asset.parents.reduce((sum, parent) => sum + parent.shareBps, 0);
      if (totalShare > 10_000) throw new AttributionError(`Asset ${assetId} gives ${totalShare} bps to parents.`);
      for (const parent of asset.parents) {
        const part = (amount * BigInt(parent.shareBps)) / BPS;
        distribute(parent.assetId, part, depth + 1);
        remainder -= part;
      }
    }
    splitAmong(asset, remainder, credit);
  };
  distribute(p.assetId, p.revenue - fee, 0);
  return { fee, accruals };
}

/** Splits `amount` by weight, flooring each part; the dust (and everything, if no weight) goes to the owner. */
function splitAmong(asset: AttributedAsset, amount: bigint, credit: (a: `0x${string}`, v: bigint) => void) {
  const totalWeight = asset.split.reduce((sum, r) => sum + r.weight, 0n);
  let paid = 0n;
  if (totalWeight > 0n) {
    for (const recipient of asset.split) {
      if (recipient.weight < 0n) throw new AttributionError(`Asset ${asset.id} has a negative weight.`);
      const part = (amount * recipient.weight) / totalWeight;
      credit(recipient.account, part);
      paid += part;
    }
  }
  credit(asset.owner, amount - paid);
}
