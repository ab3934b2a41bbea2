import { describe, expect, it } from "vitest";
import { toMeteringTotals } from "../reconcile/metering.ts";

describe("toMeteringTotals", () => {
  it("normalizes the settler's metering report", () => {
    const totals = toMeteringTotals(
      {
        settled_watermark: 1_700_000_000_000,
        epochs: [{ epoch_id: 2, payer: "0xAB", token: "0xCD", amount: "18446744073709551617", records: 3 }],
        unsettled: [{ payer: "0xab", token: "0xcd", amount: "5", records: 1, oldest_at: 1_699_999_999_500 }],
      },
      "settler",
    );
    expect(totals.epochs).toEqual([
      expect.objectContaining({ epochId: 2n, payer: "0xab", token: "0xcd", amount: 18446744073709551617n, records: 3 }),
    ]);
    expect(totals.unsettled[0]).toMatchObject({ amount: 5n, oldestAt: 1_699_999_999 });
  });

  it("names the source and the field when the report is malformed", () => {
    expect(() => toMeteringTotals({ settled_watermark: null, epochs: [{ epoch_id: 1 }], unsettled: [] }, "x")).toThrow(
      /^x is not a metering report: epochs\.0\.payer/,
    );
  });
});
