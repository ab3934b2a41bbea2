// Reconciliation as a pure comparison: clean on a consistent set of sources, and naming the exact mismatch
// when a usage record, a manifest or a charge is tampered with.
import type { Hex } from "viem";
import { describe, expect, it } from "vitest";
import { reconcile } from "../reconcile/compare.ts";
import type { ChainData, EpochManifest, MeteringTotals } from "../reconcile/types.ts";

const token = "0x00000000000000000000000000000000000000aa" as Hex;
const bob = "0x00000000000000000000000000000000000000b0" as Hex;
const eve = "0x00000000000000000000000000000000000000e0" as Hex;
const carol = "0x00000000000000000000000000000000000000c0" as Hex;
const dave = "0x00000000000000000000000000000000000000d0" as Hex;
const root = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;

/** Epoch 1 (final): Bob 30 + 5 of license fees → Carol 20, Dave 15. Epoch 2 vetoed. Epoch 3 (pending): Bob 2 → Carol 21, Dave 16. */
function sources() {
  const chain: ChainData = {
    epochs: [
      {
        chainId: 31337,
        epochId: 1n,
        status: "final",
        root: root(1),
        usageDigest: root(11),
        manifestUri: "r2://1",
        payerCount: 1n,
        charges: [{ payer: bob, token, amount: 30n, refunded: 0n }],
        totals: [{ token, charged: 30n, licenseFees: 5n }],
      },
      {
        chainId: 31337,
        epochId: 2n,
        status: "vetoed",
        root: root(2),
        usageDigest: root(12),
        manifestUri: "r2://2",
        payerCount: 1n,
        charges: [{ payer: bob, token, amount: 1n, refunded: 1n }],
        totals: [{ token, charged: 1n, licenseFees: 0n }],
      },
      {
        chainId: 31337,
        epochId: 3n,
        status: "pending",
        root: root(3),
        usageDigest: root(13),
        manifestUri: "r2://3",
        payerCount: 1n,
        charges: [{ payer: bob, token, amount: 2n, refunded: 0n }],
        totals: [{ token, charged: 2n, licenseFees: 0n }],
      },
    ],
    claimed: [{ account: carol, token, claimed: 20n }],
  };
  const manifests = new Map<bigint, EpochManifest | null>([
    [
      1n,
      {
        epochId: 1n,
        root: root(1),
        usageDigest: root(11),
        charges: [{ payer: bob, token, amount: 30n }],
        accruals: [
          { account: carol, token, cumulativeAmount: 20n },
          { account: dave, token, cumulativeAmount: 15n },
        ],
      },
    ],
    [
      3n,
      {
        epochId: 3n,
        root: root(3),
        usageDigest: root(13),
        charges: [{ payer: bob, token, amount: 2n }],
        accruals: [
          { account: carol, token, cumulativeAmount: 21n },
          { account: dave, token, cumulativeAmount: 16n },
        ],
      },
    ],
  ]);
  const metering: MeteringTotals = {
    epochs: [
      { epochId: 1n, payer: bob, token, amount: 30n, records: 12 },
      { epochId: 3n, payer: bob, token, amount: 2n, records: 1 },
    ],
    unsettled: [],
  };
  return { chain, manifests, metering };
}

describe("reconcile", () => {
  it("is clean when chain, manifests and metering agree", () => {
    const report = reconcile(sources());
    expect(report.mismatches).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.sources).toEqual({ chain: "indexed", manifests: "checked", metering: "checked" });
    expect(report.epochs.map((e) => [e.epochId, e.status, e.ok])).toEqual([
      [1n, "final", true],
      [2n, "vetoed", true],
      [3n, "pending", true],
    ]);
  });

  it("checks the chain alone when no manifest or metering reader is configured", () => {
    const { chain } = sources();
    expect(reconcile({ chain })).toMatchObject({
      ok: true,
      sources: { manifests: "not configured", metering: "not configured" },
    });
  });

  it("names a tampered usage record: metering differs from the chain and the manifest", () => {
    const s = sources();
    s.metering.epochs[0] = { epochId: 1n, payer: bob, token, amount: 31n, records: 13 };
    const report = reconcile(s);
    expect(report.ok).toBe(false);
    expect(report.mismatches).toEqual([
      {
        kind: "charge_mismatch",
        epochId: 1n,
        payer: bob,
        token,
        amounts: { chain: 30n, manifest: 30n, metering: 31n },
        message: expect.stringContaining("metering 31"),
      },
    ]);
    expect(report.epochs.find((e) => e.epochId === 1n)?.ok).toBe(false);
  });

  it("names a tampered manifest: another root, and accruals that do not add up to the epoch's total", () => {
    const s = sources();
    s.manifests.set(3n, {
      epochId: 3n,
      root: root(99),
      charges: [{ payer: bob, token, amount: 2n }],
      accruals: [
        { account: carol, token, cumulativeAmount: 22n },
        { account: dave, token, cumulativeAmount: 16n },
      ],
    });
    expect(reconcile(s).mismatches).toEqual([
      {
        kind: "root_mismatch",
        epochId: 3n,
        amounts: { chain: root(3), manifest: root(99) },
        message: expect.any(String),
      },
      {
        kind: "accrual_total_mismatch",
        epochId: 3n,
        token,
        amounts: { chain: 2n, manifest: 3n },
        message: expect.any(String),
      },
    ]);
  });

  it("names a tampered charge: the chain debited another amount, or another payer", () => {
    const s = sources();
    const epoch = s.chain.epochs[0];
    if (!epoch) throw new Error("no epoch 1");
    epoch.charges = [
      { payer: bob, token, amount: 29n, refunded: 0n },
      { payer: eve, token, amount: 1n, refunded: 0n },
    ];
    epoch.payerCount = 2n;
    const mismatches = reconcile(s).mismatches;
    expect(mismatches).toContainEqual({
      kind: "charge_mismatch",
      epochId: 1n,
      payer: bob,
      token,
      amounts: { chain: 29n, manifest: 30n, metering: 30n },
      message: expect.any(String),
    });
    expect(mismatches).toContainEqual({
      kind: "charge_mismatch",
      epochId: 1n,
      payer: eve,
      token,
      amounts: { chain: 1n, manifest: null, metering: null },
      message: expect.any(String),
    });
    expect(mismatches).toHaveLength(2);
  });

  it("reports missing and extra epochs on every side", () => {
    const s = sources();
    s.manifests.delete(3n);
    s.manifests.set(9n, { epochId: 9n, root: root(9), charges: [], accruals: [] });
    s.metering.epochs = s.metering.epochs.filter((m) => m.epochId !== 1n);
    s.metering.epochs.push({ epochId: 4n, payer: bob, token, amount: 7n, records: 3 });
    const kinds = reconcile(s).mismatches.map((m) => [m.kind, m.epochId, m.amounts]);
    expect(kinds).toEqual([
      ["epoch_missing_onchain", 9n, { chain: null, manifest: root(9) }],
      ["epoch_missing_manifest", 3n, { chain: root(3), manifest: null }],
      ["epoch_missing_onchain", 4n, { chain: null, metering: 7n }],
      ["epoch_missing_metering", 1n, { chain: 30n, metering: null }],
    ]);
  });

  it("reports claims above what the newest final tree accrues, and usage never settled", () => {
    const s = sources();
    s.chain.claimed.push({ account: dave, token, claimed: 16n });
    s.metering.unsettled.push({ payer: eve, token, amount: 4n, records: 2, oldestAt: 1_700_000_000 });
    expect(reconcile(s).mismatches).toEqual([
      {
        kind: "claimed_exceeds_accrued",
        epochId: 1n,
        account: dave,
        token,
        amounts: { chain: 16n, manifest: 15n },
        message: expect.any(String),
      },
      {
        kind: "unsettled_usage",
        payer: eve,
        token,
        amounts: { metering: 4n, records: "2" },
        message: expect.stringContaining("2 usage records"),
      },
    ]);
  });

  it("checks the chain against itself: totals, payer counts and vetoes refunded", () => {
    const { chain } = sources();
    const [e1, e2] = chain.epochs;
    if (!e1 || !e2) throw new Error("no epochs");
    e1.totals = [{ token, charged: 31n, licenseFees: 5n }];
    e1.payerCount = 2n;
    e2.charges = [{ payer: bob, token, amount: 1n, refunded: 0n }];
    expect(reconcile({ chain }).mismatches.map((m) => [m.kind, m.epochId, m.amounts])).toEqual([
      ["charge_total_mismatch", 1n, { declaredTotal: 31n, sumOfCharges: 30n }],
      ["payer_count_mismatch", 1n, { payerCount: 2n, chargeEvents: 1n }],
      ["veto_not_refunded", 2n, { charged: 1n, refunded: 0n }],
    ]);
  });

  it("uses the manifest's per-account amounts when it has them (no parent tree needed)", () => {
    const s = sources();
    s.manifests.delete(1n);
    s.manifests.set(3n, {
      epochId: 3n,
      root: root(3),
      charges: [{ payer: bob, token, amount: 2n }],
      accruals: [
        { account: carol, token, cumulativeAmount: 21n, amount: 2n },
        { account: dave, token, cumulativeAmount: 16n, amount: 1n },
      ],
    });
    const kinds = reconcile({ chain: s.chain, manifests: s.manifests }).mismatches.map((m) => [
      m.kind,
      m.epochId,
      m.amounts,
    ]);
    expect(kinds).toEqual([
      ["epoch_missing_manifest", 1n, { chain: root(1), manifest: null }],
      ["accrual_total_mismatch", 3n, { chain: 2n, manifest: 3n }],
    ]);
  });
});

describe("reconcile with the settler's shortfalls", () => {
  it("reports usage the newest epoch carried over as never settled", () => {
    const s = sources();
    const m3 = s.manifests.get(3n);
    if (!m3) throw new Error("no manifest 3");
    m3.shortfalls = [{ payer: eve, token, amount: 9n, records: 4, reason: "escrow" }];
    expect(reconcile({ chain: s.chain, manifests: s.manifests }).mismatches).toEqual([
      {
        kind: "unsettled_usage",
        epochId: 3n,
        payer: eve,
        token,
        amounts: { manifest: 9n, records: "4", reason: "escrow" },
        message: expect.stringContaining("carried over by epoch 3 (escrow)"),
      },
    ]);
  });
});
