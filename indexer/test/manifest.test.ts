// The settler's manifest format as reconciliation reads it: normalized, or rejected naming the bad field.
import type { Hex } from "viem";
import { describe, expect, it } from "vitest";
import { toEpochManifest } from "../reconcile/manifest.ts";

const token = "0x00000000000000000000000000000000000000aa" as Hex;
const bob = "0x00000000000000000000000000000000000000b0" as Hex;
const carol = "0x00000000000000000000000000000000000000c0" as Hex;
const root = (n: number) => `0x${n.toString(16).padStart(64, "0")}` as Hex;

describe("toEpochManifest", () => {
  const json = {
    format: "tributary.settlement-manifest/1",
    chainId: 31337,
    epochId: 4,
    parentEpochId: 3,
    usage: { digest: root(14).toUpperCase().replace("0X", "0x"), recordCount: 2, regions: [] },
    charges: [{ payer: bob, token, amount: "7", records: 2 }],
    accruals: [{ account: carol, token, amount: "7", cumulative: "28" }],
    root: root(4),
    tree: { format: "standard-v1" },
  };

  it("normalizes the settler's manifest: bigints, lower-case hex, cumulative amounts", () => {
    expect(toEpochManifest(json, "m.json")).toEqual({
      epochId: 4n,
      root: root(4),
      usageDigest: root(14),
      charges: [{ payer: bob, token, amount: 7n }],
      accruals: [{ account: carol, token, amount: 7n, cumulativeAmount: 28n }],
      shortfalls: [],
    });
  });

  it("rejects another format or a float amount, naming the field", () => {
    expect(() => toEpochManifest({ ...json, format: "other/1" }, "m.json")).toThrow(
      /m.json is not a settlement manifest: format/,
    );
    expect(() =>
      toEpochManifest({ ...json, charges: [{ payer: bob, token, amount: "7.5", records: 1 }] }, "m.json"),
    ).toThrow(/charges\.0\.amount must be a decimal string/);
  });
});
