import { describe, expect, it } from "vitest";
import { callCost } from "../src/money.ts";

const random = (max: number) => BigInt(Math.floor(Math.random() * max));

describe("callCost", () => {
  it("prices per million tokens and rounds up", () => {
    expect(callCost({ inputTokens: 1_000_000n, outputTokens: 0n, pricePerMTokIn: 3n, pricePerMTokOut: 9n })).toBe(3n);
    expect(callCost({ inputTokens: 1n, outputTokens: 0n, pricePerMTokIn: 1n, pricePerMTokOut: 0n })).toBe(1n);
    expect(callCost({ inputTokens: 0n, outputTokens: 0n, pricePerMTokIn: 5n, pricePerMTokOut: 5n })).toBe(0n);
    expect(callCost({ inputTokens: 10n, outputTokens: 20n, pricePerMTokIn: 150_000n, pricePerMTokOut: 600_000n })).toBe(
      14n,
    );
  });

  it("is the least integer not below the exact cost, for random calls", () => {
    for (let i = 0; i < 1_000; i++) {
      const p = {
        inputTokens: random(200_000),
        outputTokens: random(50_000),
        pricePerMTokIn: random(10 ** 9),
        pricePerMTokOut: random(10 ** 9),
      };
      const exact = p.inputTokens * p.pricePerMTokIn + p.outputTokens * p.pricePerMTokOut;
      const cost = callCost(p);
      expect(cost * 1_000_000n >= exact).toBe(true);
      expect((cost - 1n) * 1_000_000n < exact).toBe(true);
    }
  });

  it("stays exact beyond 2^53", () => {
    const cost = callCost({
      inputTokens: 10n ** 12n,
      outputTokens: 0n,
      pricePerMTokIn: 10n ** 18n,
      pricePerMTokOut: 0n,
    });
    expect(cost).toBe(10n ** 24n);
  });

  it("refuses negative inputs", () => {
    expect(() => callCost({ inputTokens: -1n, outputTokens: 0n, pricePerMTokIn: 1n, pricePerMTokOut: 1n })).toThrow(
      RangeError,
    );
  });
});
