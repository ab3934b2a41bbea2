// Pure money and retry arithmetic: cost rounding, prompt bounds, Retry-After parsing, the upstream time bound.

import type { ChatMessage } from "@tributary/schemas/openai";
import { describe, expect, it } from "vitest";
import { LEASE_UNATTENDED_MS } from "../../src/gateway/lease.ts";
import {
  costOf,
  estimateInputTokens,
  MEDIA_PART_TOKENS,
  maxInputTokens,
  promptTokens,
} from "../../src/gateway/pricing.ts";
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

describe("promptTokens", () => {
  const request = (messages: ChatMessage[], extra: Record<string, unknown> = {}) => ({
    model: "m",
    messages,
    ...extra,
  });

  it("bounds the prompt by the UTF-8 bytes of its text, plus framing", () => {
    expect(promptTokens(request([{ role: "user", content: "héllo" }])).bound).toBe(6 + 8 + 8);
    expect(promptTokens(request([{ role: "user", content: [{ type: "text", text: "ab" }] }])).bound).toBe(2 + 8 + 8);
  });

  it("counts every field the model reads: tools, tool calls, response formats", () => {
    const base = promptTokens(request([{ role: "user", content: "hi" }])).bound;
    const description = "é".repeat(1000);
    const tools = [{ type: "function", function: { name: "f", description, parameters: { type: "object" } } }];
    expect(promptTokens(request([{ role: "user", content: "hi" }], { tools })).bound).toBeGreaterThan(base + 2000);
    const schema = { type: "json_schema", json_schema: { name: "s", schema: { description } } };
    expect(promptTokens(request([{ role: "user", content: "hi" }], { response_format: schema })).bound).toBeGreaterThan(
      base + 2000,
    );
    const call = { id: "c", type: "function", function: { name: "f", arguments: description } };
    const history = [{ role: "assistant" as const, content: null, tool_calls: [call] }];
    expect(promptTokens(request([...history, { role: "user", content: "hi" }])).bound).toBeGreaterThan(base + 2000);
    // Sampling parameters are not prompt.
    expect(promptTokens(request([{ role: "user", content: "hi" }], { temperature: 0.5, seed: 7 })).bound).toBe(base);
  });

  it("holds MEDIA_PART_TOKENS per image or audio part, whatever the size of its data", () => {
    const image = (bytes: number) => ({
      type: "image_url",
      image_url: { url: `data:image/png;base64,${"A".repeat(bytes)}` },
    });
    const small = promptTokens(request([{ role: "user", content: [image(10)] }])).bound;
    expect(promptTokens(request([{ role: "user", content: [image(500_000)] }])).bound).toBe(small);
    const two = promptTokens(request([{ role: "user", content: [image(10), image(10)] }])).bound;
    expect(two - small).toBeGreaterThanOrEqual(MEDIA_PART_TOKENS);
    expect(promptTokens(request([{ role: "user", content: [image(500_000)] }])).estimate).toBeLessThan(
      MEDIA_PART_TOKENS + 20,
    );
  });
});

describe("maxInputTokens", () => {
  it("bounds texts by their bytes and counts token ids exactly", () => {
    expect(maxInputTokens("héllo")).toBe(6);
    expect(maxInputTokens(["ab", "c"])).toBe(3);
    expect(maxInputTokens([1, 2, 3])).toBe(3);
    expect(maxInputTokens([[1, 2], [3]])).toBe(3);
    expect(estimateInputTokens([[1, 2], [3]])).toBe(3);
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
    maxTokensParam: null,
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
