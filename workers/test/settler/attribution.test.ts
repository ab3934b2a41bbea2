import { describe, expect, it } from "vitest";
import { type AttributedAsset, AttributionError, attribute } from "../../src/settler/attribution.ts";

const hex = (n: number, bytes: number) => `0x${n.toString(16).padStart(bytes * 2, "0")}` as `0x${string}`;
const account = (n: number) => hex(n, 20);
const assetId = (n: number) => hex(n, 32);
const treasury = account(0xfee);

function sum(values: Iterable<bigint>) {
  let total = 0n;
  for (const v of values) total += v;
  return total;
}

describe("attribute", () => {
  it("takes the fee, pays the dataset's annotators by weight and gives dust to the owner", () => {
    const dataset: AttributedAsset = {
      id: assetId(1),
      owner: account(10),
      parents: [],
      split: [
        { account: account(11), weight: 1n },
        { account: account(12), weight: 2n },
      ],
    };
    const model: AttributedAsset = {
      id: assetId(2),
      owner: account(20),
      parents: [{ assetId: assetId(1), shareBps: 3_000 }],
      split: [{ account: account(21), weight: 1n }],
    };
    const assets = new Map([dataset, model].map((a) => [a.id, a]));
    const { fee, accruals } = attribute({
      revenue: 1_001n,
      assetId: model.id,
      assets,
      protocolFeeBps: 500,
      treasury,
      maxDepth: 8,
    });
    // fee = floor(1001 · 5 %) = 50; rest 951; dataset gets floor(951 · 30 %) = 285, split 1:2 = 95 / 190.
    expect(fee).toBe(50n);
    expect(accruals.get(account(11))).toBe(95n);
    expect(accruals.get(account(12))).toBe(190n);
    expect(accruals.get(account(21))).toBe(666n);
    expect(accruals.get(account(10))).toBeUndefined();
    expect(accruals.get(treasury)).toBe(50n);
    expect(sum(accruals.values())).toBe(1_001n);
  });

  it("gives everything to the owner when the split is empty, and stops at the depth bound", () => {
    const chain: AttributedAsset[] = [0, 1, 2].map((i) => ({
      id: assetId(i),
      owner: account(100 + i),
      parents: i < 2 ? [{ assetId: assetId(i + 1), shareBps: 5_000 }] : [],
      split: [],
    }));
    const assets = new Map(chain.map((a) => [a.id, a]));
    const { accruals } = attribute({
      revenue: 100n,
      assetId: assetId(0),
      assets,
      protocolFeeBps: 0,
      treasury,
      maxDepth: 1,
    });
    expect(accruals.get(account(100))).toBe(50n);
    expect(accruals.get(account(101))).toBe(50n);
    expect(accruals.get(account(102))).toBeUndefined();
  });

  it("refuses parents whose shares exceed 100 % and unknown assets", () => {
    const bad: AttributedAsset = {
      id: assetId(1),
      owner: account(1),
      parents: [
        { assetId: assetId(2), shareBps: 6_000 },
        { assetId: assetId(2), shareBps: 6_000 },
      ],
      split: [],
    };
    const assets = new Map([[bad.id, bad]]);
    const run = (id: `0x${string}`) =>
      attribute({ revenue: 10n, assetId: id, assets, protocolFeeBps: 0, treasury, maxDepth: 4 });
    expect(() => run(assetId(1))).toThrow(AttributionError);
    expect(() => run(assetId(9))).toThrow(/not known/);
  });

  it("sums exactly to the revenue, never negative, for random lineages and splits", () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 300; round++) {
      const count = 1 + rand(12);
      const assets = new Map<`0x${string}`, AttributedAsset>();
      for (let i = 0; i < count; i++) {
        // Parents only among later assets keeps the lineage acyclic, as the registry guarantees.
        const parents: { assetId: `0x${string}`; shareBps: number }[] = [];
        let budget = 10_000;
        for (let j = i + 1; j < count && parents.length < 16; j++) {
          if (rand(3) !== 0) continue;
          const share = rand(budget + 1);
          budget -= share;
          parents.push({ assetId: assetId(j), shareBps: share });
        }
        const split = Array.from({ length: rand(6) }, () => ({
          account: account(1 + rand(20)),
          weight: BigInt(rand(1_000)),
        }));
        assets.set(assetId(i), { id: assetId(i), owner: account(500 + i), parents, split });
      }
      const revenue = BigInt(rand(2 ** 30)) * BigInt(rand(2 ** 30)) + BigInt(rand(1_000));
      const protocolFeeBps = rand(10_001);
      const { fee, accruals } = attribute({
        revenue,
        assetId: assetId(0),
        assets,
        protocolFeeBps,
        treasury,
        maxDepth: 1 + rand(10),
      });
      expect(sum(accruals.values())).toBe(revenue);
      expect(fee).toBe((revenue * BigInt(protocolFeeBps)) / 10_000n);
      for (const v of accruals.values()) expect(v > 0n).toBe(true);
    }
  });
});
