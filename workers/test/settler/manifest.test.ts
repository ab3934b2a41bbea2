// Properties of the epoch manifest: exact sums per token, cumulative accruals, a tree that matches the accruals.
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { describe, expect, it } from "vitest";
import { chargesOf, UsageAggregate, usageDigest } from "../../src/settler/aggregate.ts";
import { buildManifest, cumulativeOf, type LicenseFee, type ManifestAsset } from "../../src/settler/manifest.ts";
import { accrualTree } from "../../src/settler/tree.ts";

type Hex = `0x${string}`;
const hex = (n: number, bytes: number) => `0x${n.toString(16).padStart(bytes * 2, "0")}` as Hex;

/** A small deterministic generator (mulberry32) so failures reproduce from the seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return (max: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * max);
  };
}

/** Random assets where each may link to earlier ones (a DAG), random splits, usage rows and license fees. */
function randomEpoch(seed: number, previous: Map<string, bigint>, epochId: number) {
  const r = rng(seed);
  const tokens = [hex(0xa1, 20), hex(0xa2, 20)];
  const assets = new Map<Hex, ManifestAsset>();
  const count = 1 + r(8);
  for (let i = 0; i < count; i++) {
    const id = hex(1000 + i, 32);
    const parents: { assetId: Hex; shareBps: number }[] = [];
    let left = 10_000;
    for (let j = 0; j < i; j++) {
      if (r(3) !== 0) continue;
      const share = r(left + 1);
      left -= share;
      parents.push({ assetId: hex(1000 + j, 32), shareBps: share });
    }
    const split = Array.from({ length: r(5) }, () => ({ account: hex(1 + r(30), 20), weight: BigInt(1 + r(1000)) }));
    assets.set(id, { id, owner: hex(100 + i, 20), parents, split, splitInfo: { kind: "none" } });
  }
  const ids = [...assets.keys()];
  const aggregate = new UsageAggregate();
  const rows = r(200);
  for (let i = 0; i < rows; i++) {
    aggregate.add({
      requestId: `e${epochId}-r${i}`,
      payer: hex(500 + r(5), 20),
      token: tokens[r(2)] as Hex,
      modelAsset: ids[r(ids.length)] as Hex,
      cost: BigInt(r(1_000_000)),
    });
  }
  const fees: LicenseFee[] = Array.from({ length: r(3) }, (_, i) => ({
    licenseId: BigInt(i),
    assetId: ids[r(ids.length)] as Hex,
    token: tokens[r(2)] as Hex,
    amount: BigInt(r(10_000_000)),
    blockNumber: 1n,
    transactionHash: hex(i, 32),
    logIndex: i,
  }));
  const groups = [...aggregate.groups.values()];
  return buildManifest({
    chainId: 31337,
    epochLedger: hex(1, 20),
    epochId,
    parentEpochId: epochId - 1,
    watermark: 0,
    blocks: { from: 0n, to: 0n },
    protocolFeeBps: r(2_000),
    treasury: hex(0xfee, 20),
    maxDepth: 1 + r(8),
    regions: [{ binding: "METER_DB", records: rows }],
    usageDigest: usageDigest(groups.flatMap((g) => g.ids)),
    groups,
    charges: chargesOf(groups),
    shortfalls: [],
    licenseFees: fees,
    unattributedLicenseFees: [],
    assets,
    previous,
  });
}

describe("buildManifest", () => {
  it("accrues exactly what was charged plus license fees, per token, over 60 random epochs", () => {
    let previous = new Map<string, bigint>();
    for (let seed = 1; seed <= 60; seed++) {
      const m = randomEpoch(seed, previous, seed);
      for (const t of m.totals) {
        const accrued = m.accruals.filter((a) => a.token === t.token).reduce((s, a) => s + BigInt(a.amount), 0n);
        const charged = m.charges.filter((c) => c.token === t.token).reduce((s, c) => s + BigInt(c.amount), 0n);
        expect(BigInt(t.charged)).toBe(charged);
        expect(accrued).toBe(BigInt(t.charged) + BigInt(t.licenseFees));
      }
      for (const a of m.accruals) {
        expect(BigInt(a.amount) >= 0n).toBe(true);
        expect(BigInt(a.cumulative)).toBe((previous.get(`${a.account}|${a.token}`) ?? 0n) + BigInt(a.amount));
      }
      // Nobody from an earlier epoch disappears from the cumulative tree.
      for (const key of previous.keys()) expect(m.accruals.some((a) => `${a.account}|${a.token}` === key)).toBe(true);
      const rebuilt = StandardMerkleTree.of(
        m.accruals.map((a) => [a.account, a.token, a.cumulative]),
        ["address", "address", "uint256"],
      );
      expect(rebuilt.root).toBe(m.root);
      previous = cumulativeOf(m);
    }
  }, 60_000);

  it("digests request ids independently of their order", () => {
    expect(usageDigest(["b", "a", "c"])).toBe(usageDigest(["c", "b", "a"]));
    expect(usageDigest(["a"])).not.toBe(usageDigest(["b"]));
  });
});

describe("accrualTree", () => {
  it("builds the same tree, root and dump as StandardMerkleTree.of", () => {
    const r = rng(7);
    for (const size of [1, 2, 3, 7, 64, 301]) {
      const values: [string, string, string][] = Array.from({ length: size }, () => [
        hex(1 + r(1_000_000), 20),
        hex(0xa1 + r(3), 20),
        (BigInt(r(2 ** 31)) * 10n ** BigInt(r(60))).toString(),
      ]);
      const ours = accrualTree(values);
      const theirs = StandardMerkleTree.of(values, ["address", "address", "uint256"]);
      expect(ours.root).toBe(theirs.root);
      expect(ours.dump).toEqual(theirs.dump());
      expect(StandardMerkleTree.load(ours.dump).root).toBe(theirs.root);
    }
  });
});
