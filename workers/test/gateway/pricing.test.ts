// Pure money and retry arithmetic: cost rounding, prompt bounds, Retry-After parsing.
import { describe, expect, it } from "vitest";
import { costOf, maxPromptTokens } from "../../src/gateway/pricing.ts";
import { retryAfterMs } from "../../src/gateway/upstream.ts";

describe("costOf", () => {
  it("is ceil((in·pIn + out·pOut) / 1e6) in integers", () => {
    expect(costOf(0, 0, 5n, 7n)).toBe(0n);
    expect(costOf(1, 0, 1n, 0n)).toBe(1n);
    expect(costOf(1_000_000, 0, 3n, 0n)).toBe(3n);
    expect(costOf(1_000_001, 0, 3n, 0n)).toBe(4n);
    expect(costOf(7, 16, 1_000_000n, 2_000_000n)).toBe(39n);
  });

  it("stays exact beyond 2^53", () => {
    const price = 10n ** 18n;
    expect(costOf(123_456_789, 987_654_321, price, price)).toBe(1_111_111_110n * 10n ** 12n);
  });
});

describe("maxPromptTokens", () => {
  it("bounds the prompt by its UTF-8 bytes plus framing", () => {
    expect(maxPromptTokens([{ role: "user", content: "héllo" }])).toBe(6 + 8 + 8);
    expect(maxPromptTokens([{ role: "user", content: [{ type: "text", text: "ab" }] }])).toBe(2 + 8 + 8);
  });
});

describe("retryAfterMs", () => {
  it("reads delta-seconds and HTTP dates", () => {
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs("2")).toBe(2000);
    expect(retryAfterMs("0.5")).toBe(500);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterMs("Thu, 01 Jan 2026 00:00:03 GMT", now)).toBe(3000);
    expect(retryAfterMs("soon")).toBeUndefined();
  });
});
