// Pure money and retry arithmetic: cost rounding, prompt bounds, Retry-After parsing, the upstream time bound.
import { describe, expect, it } from "vitest";
import { LEASE_UNATTENDED_MS } from "../../src/gateway/lease.ts";
import { costOf, maxPromptTokens } from "../../src/gateway/pricing.ts";
import { retryAfterMs, upstreamBoundMs } from "../../src/gateway/upstream.ts";

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

describe("upstreamBoundMs", () => {
  const route = (timeoutMs: number, maxRetries: number) => ({
    id: "r",
    priority: 0,
    baseUrl: "http://upstream/v1",
    secretName: null,
    upstreamModel: "m",
    timeoutMs,
    maxRetries,
  });

  it("adds every attempt's timeout and the longest wait before each retry", () => {
    // 30 s, a 2 s wait (Retry-After at most MAX_RETRY_WAIT_MS), 30 s; then a second route's single attempt.
    expect(upstreamBoundMs([route(30_000, 1)])).toBe(62_000);
    expect(upstreamBoundMs([route(30_000, 1), route(10_000, 0)])).toBe(72_000);
  });

  it("lets a non-streaming call on the default route skip the lease heartbeat, and not one on longer routes", () => {
    expect(upstreamBoundMs([route(30_000, 1)])).toBeLessThan(LEASE_UNATTENDED_MS);
    expect(upstreamBoundMs([route(30_000, 1), route(30_000, 1)])).toBeGreaterThan(LEASE_UNATTENDED_MS);
  });
});
