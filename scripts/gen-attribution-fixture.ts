// Writes contracts/test/fixtures/attribution.json: random one-level attributions computed by the settler's
// TypeScript module, which the Solidity `Attribution` library must reproduce exactly (AttributionFixture.t.sol).
// Run: node scripts/gen-attribution-fixture.ts (deterministic; commit the output).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { toHex } from "viem";
import { type AttributedAsset, attribute } from "../workers/src/settler/attribution.ts";

const root = path.resolve(import.meta.dirname, "..");
const out = path.join(root, "contracts/test/fixtures/attribution.json");
type Hex = `0x${string}`;
const hex = (n: number, bytes: number) => `0x${n.toString(16).padStart(bytes * 2, "0")}` as Hex;

/** mulberry32: a small seeded generator so the fixture is the same on every run. */
let state = 0x7269627;
const random = (max: number) => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * max);
};
const bigRandom = (bits: number) => {
  let v = 0n;
  for (let i = 0; i < bits; i += 16) v = (v << 16n) | BigInt(random(65536));
  return v & ((1n << BigInt(bits)) - 1n);
};

/**
 * Each case is one bytes32 array (the test's JSON parser reads those):
 * [amount, feeBps, nParents, nWeights, parentBps…, weights…, fee, parentParts…, contributorParts…, ownerDust].
 */
const cases: Hex[][] = [];
for (let k = 0; k < 64; k++) {
  const amount = k === 0 ? 0n : bigRandom(1 + random(128));
  const feeBps = random(2_001);
  const nParents = random(17);
  let left = 10_000;
  const parentBps = Array.from({ length: nParents }, () => {
    const share = random(Math.min(left, 2_500) + 1);
    left -= share;
    return share;
  });
  const weights = Array.from({ length: random(9) }, () => 1n + bigRandom(1 + random(96)));
  const model = hex(0xf0, 32);
  const parents: AttributedAsset[] = parentBps.map((_, i) => ({
    id: hex(0x100 + i, 32),
    owner: hex(0x100 + i, 20),
    parents: [],
    split: [],
  }));
  const asset: AttributedAsset = {
    id: model,
    owner: hex(0xf0, 20),
    parents: parents.map((p, i) => ({ assetId: p.id, shareBps: parentBps[i] ?? 0 })),
    split: weights.map((weight, j) => ({ account: hex(0x200 + j, 20), weight })),
  };
  const assets = new Map([asset, ...parents].map((a) => [a.id, a]));
  const treasury = hex(0xfee, 20);
  const { fee, accruals } = attribute({
    revenue: amount,
    assetId: model,
    assets,
    protocolFeeBps: feeBps,
    treasury,
    maxDepth: 1,
  });
  const of = (account: Hex) => accruals.get(account) ?? 0n;
  const values = [
    amount,
    BigInt(feeBps),
    BigInt(nParents),
    BigInt(weights.length),
    ...parentBps.map(BigInt),
    ...weights,
    fee,
    ...parents.map((p) => of(p.owner)),
    ...asset.split.map((r) => of(r.account)),
    of(asset.owner),
  ];
  cases.push(values.map((v) => toHex(v, { size: 32 })));
}
writeFileSync(out, `${JSON.stringify({ count: cases.length, cases }, null, 2)}\n`);
console.log(`Wrote ${path.relative(root, out)} (${cases.length} cases).`);
