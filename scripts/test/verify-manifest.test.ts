// What `npm run verify-epoch` says of an epoch's on-chain status beside its rebuilt root.
import { describe, expect, it } from "vitest";
import { epochStatusLine } from "../lib/verify-manifest.ts";

describe("epochStatusLine", () => {
  it("says that a vetoed epoch pays nothing, though its root still rebuilds", () => {
    expect(epochStatusLine(2, 0n)).toBe(
      "vetoed: its charges were refunded and it pays nothing; the next epoch settles its usage again.",
    );
  });

  it("says when a pending epoch becomes claimable, and that a final one is", () => {
    expect(epochStatusLine(1, 1_796_658_513n)).toBe(
      "pending: in its challenge period, claimable from 2026-12-07T15:48:33.000Z unless vetoed.",
    );
    expect(epochStatusLine(3, 1_796_658_513n)).toBe("final: its accruals can be claimed.");
    expect(epochStatusLine(0, 0n)).toBe("not on-chain.");
  });
});
