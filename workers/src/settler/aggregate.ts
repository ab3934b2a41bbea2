// Pure aggregation of an epoch's usage records: per (payer, token, model asset) sums, record ids for the digest.
import { keccak256, stringToBytes } from "viem";

/** The part of a usage record settlement needs. `cost` in base units of `token`. */
export type UsageRow = { requestId: string; payer: string; token: string; modelAsset: string; cost: bigint };

/** Usage of one model asset by one payer in one token. */
export type UsageGroup = {
  payer: `0x${string}`;
  token: `0x${string}`;
  assetId: `0x${string}`;
  amount: bigint;
  records: number;
  ids: string[];
};

const lower = (s: string) => s.toLowerCase() as `0x${string}`;

/** Accumulates rows in any order; groups are keyed by payer, token and model asset (all lower-case). */
export class UsageAggregate {
  readonly groups = new Map<string, UsageGroup>();

  add(row: UsageRow): void {
    const payer = lower(row.payer);
    const token = lower(row.token);
    const assetId = lower(row.modelAsset);
    const key = `${payer}|${token}|${assetId}`;
    let group = this.groups.get(key);
    if (!group) {
      group = { payer, token, assetId, amount: 0n, records: 0, ids: [] };
      this.groups.set(key, group);
    }
    group.amount += row.cost;
    group.records += 1;
    group.ids.push(row.requestId);
  }
}

/** Per (payer, token): the charge of the epoch summed over model assets. */
export type PayerCharge = { payer: `0x${string}`; token: `0x${string}`; amount: bigint; records: number };

/** Sums groups into one charge per payer and token, sorted by payer then token. */
export function chargesOf(groups: Iterable<UsageGroup>): PayerCharge[] {
  const byPayer = new Map<string, PayerCharge>();
  for (const g of groups) {
    const key = `${g.payer}|${g.token}`;
    const charge = byPayer.get(key) ?? { payer: g.payer, token: g.token, amount: 0n, records: 0 };
    charge.amount += g.amount;
    charge.records += g.records;
    byPayer.set(key, charge);
  }
  return [...byPayer.values()].sort((a, b) => compare(a.payer, b.payer) || compare(a.token, b.token));
}

/**
 * The usage digest posted on-chain: keccak256 of the request ids sorted ascending (byte order; ids are ASCII)
 * and joined by "\n". Anyone holding the metering data can recompute it.
 */
export function usageDigest(ids: string[]): `0x${string}` {
  const sorted = [...ids].sort(compare);
  return keccak256(stringToBytes(sorted.join("\n")));
}

/** Byte-order comparison of ASCII strings (not locale order). */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
