// Every refusal in OpenAI's error shape, and upstream fallbacks, retries and timeouts.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { adminCall, call, chat, holds, seed, usageRecord } from "./helpers.ts";

type OpenAiError = { error: { message: string; type: string; param: string | null; code: string | null } };

async function expectError(res: Response, status: number, code: string, param?: string) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as OpenAiError;
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect(typeof body.error.type).toBe("string");
  if (param !== undefined) expect(body.error.param).toBe(param);
  return body.error;
}

const post = (key: string | undefined, json: unknown, init: RequestInit = {}) =>
  call("/v1/chat/completions", { method: "POST", ...(key ? { key } : {}), json, ...init });

describe("refusals in OpenAI's error shape", () => {
  it("refuses a missing or unknown key", async () => {
    const s = await seed();
    await expectError(await post(undefined, chat(s.model, "hi")), 401, "invalid_api_key");
    await expectError(await post("trb_0123456789abcdef", chat(s.model, "hi")), 401, "invalid_api_key");
  });

  it("refuses a revoked key at once in the revoking isolate", async () => {
    const s = await seed();
    expect((await post(s.apiKey, chat(s.model, "hi"))).status).toBe(200);
    await adminCall("DELETE", `/keys/${s.keyId}`);
    const error = await expectError(await post(s.apiKey, chat(s.model, "hi")), 401, "invalid_api_key");
    expect(error.message).toContain("revoked");
  });

  it("refuses an expired key", async () => {
    // A key cannot be created expired; this one expires after creation.
    const s = await seed({ key: { expires_at: new Date(Date.now() + 60_000).toISOString() } });
    await env.DB.prepare("UPDATE api_keys SET expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1000, s.keyId)
      .run();
    const error = await expectError(await post(s.apiKey, chat(s.model, "hi")), 401, "invalid_api_key");
    expect(error.message).toContain("expired");
  });

  it("refuses unknown models and models outside the key's scope", async () => {
    const s = await seed();
    await expectError(await post(s.apiKey, chat("no-such-model", "hi")), 404, "model_not_found", "model");
    const scoped = await seed({ key: { models: [s.model] } });
    await expectError(await post(scoped.apiKey, chat(scoped.model, "hi")), 404, "model_not_found", "model");
  });

  it("refuses a model on the wrong endpoint, naming what it is", async () => {
    const s = await seed();
    const embeddings = await call("/v1/embeddings", {
      method: "POST",
      key: s.apiKey,
      json: { model: s.model, input: "a" },
    });
    const error = await expectError(embeddings, 400, "invalid_request", "model");
    expect(error.message).toBe(`The model \`${s.model}\` is a chat model and cannot be used with /v1/embeddings.`);
    const e = await seed({ kind: "embedding" });
    const chatted = await expectError(await post(e.apiKey, chat(e.model, "hi")), 400, "invalid_request", "model");
    expect(chatted.message).toBe(
      `The model \`${e.model}\` is an embedding model and cannot be used with /v1/chat/completions.`,
    );
    // Nothing was held for either.
    expect(await holds(s.payer)).toEqual([]);
    expect(await holds(e.payer)).toEqual([]);
  });

  it("refuses a payer without a valid license", async () => {
    const s = await seed({ licenseExpiresAt: new Date(Date.now() - 1000).toISOString() });
    const error = await expectError(await post(s.apiKey, chat(s.model, "hi")), 403, "forbidden", "model");
    expect(error.message).toContain("license");
    const models = (await (await call("/v1/models", { key: s.apiKey })).json()) as { data: unknown[] };
    expect(models.data).toEqual([]);
  });

  it("refuses malformed JSON, wrong types and oversized bodies", async () => {
    const s = await seed();
    const malformed = await call("/v1/chat/completions", {
      method: "POST",
      key: s.apiKey,
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    await expectError(malformed, 400, "invalid_request");
    // A JSON body without a JSON Content-Type (curl's -d sends a form type) is refused as such, not as missing fields.
    for (const type of ["application/x-www-form-urlencoded", "text/plain", null]) {
      const untyped = await call("/v1/chat/completions", {
        method: "POST",
        key: s.apiKey,
        ...(type ? { headers: { "content-type": type } } : {}),
        body: JSON.stringify(chat(s.model, "hi")),
      });
      const error = await expectError(untyped, 400, "invalid_request");
      expect(error.message).toContain("Content-Type: application/json");
      expect(error.param).toBeNull();
    }
    const charset = await call("/v1/chat/completions", {
      method: "POST",
      key: s.apiKey,
      headers: { "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify(chat(s.model, "hi")),
    });
    expect(charset.status).toBe(200);
    await expectError(await post(s.apiKey, { model: s.model, messages: "hi" }), 400, "invalid_request", "messages");
    const several = await expectError(await post(s.apiKey, chat(s.model, "hi", { n: 2 })), 400, "invalid_request", "n");
    expect(several.message).toBe(
      "n: Only n = 1 is supported: the gateway reserves and meters one completion per request.",
    );
    await expectError(
      await post(s.apiKey, chat(s.model, "hi", { max_tokens: -1 })),
      400,
      "invalid_request",
      "max_tokens",
    );
    const big = chat(s.model, "x".repeat(1024 * 1024 + 10));
    await expectError(await post(s.apiKey, big), 413, "payload_too_large");
  });

  it("refuses when the rpm limit is reached, with Retry-After and x-ratelimit headers", async () => {
    const s = await seed({ key: { rpm: 2 } });
    const first = await post(s.apiKey, chat(s.model, "one"));
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-limit-requests")).toBe("2");
    expect(first.headers.get("x-ratelimit-remaining-requests")).toBe("1");
    expect((await post(s.apiKey, chat(s.model, "two"))).status).toBe(200);
    const third = await post(s.apiKey, chat(s.model, "three"));
    await expectError(third, 429, "rate_limit_exceeded");
    expect(Number(third.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(third.headers.get("x-ratelimit-remaining-requests")).toBe("0");
  });

  it("checks the rate limit before holding anything: a rate-limited request holds nothing", async () => {
    const s = await seed({ key: { rpm: 1 }, escrow: 1_000_000n });
    const first = await post(s.apiKey, chat(s.model, "one"));
    expect(first.status).toBe(200);
    await usageRecord(first.headers.get("x-request-id") ?? "");
    const limited = await post(s.apiKey, chat(s.model, "two"));
    await expectError(limited, 429, "rate_limit_exceeded");
    const held = await holds(s.payer);
    expect(held.map((h) => h.request_id)).not.toContain(limited.headers.get("x-request-id"));
    expect(held).toHaveLength(1);
  });

  it("counts a request that the escrow then refuses, as before (402 after the rate limit)", async () => {
    const s = await seed({ key: { rpm: 5 }, escrow: 1n });
    await expectError(await post(s.apiKey, chat(s.model, "too expensive")), 402, "insufficient_quota");
    const row = await env.DB.prepare("SELECT requests FROM rate_windows WHERE key_id = ?").bind(s.keyId).first();
    expect(row).toEqual({ requests: 1 });
    expect(await holds(s.payer)).toHaveLength(0);
  });

  it("refuses a request larger than the key's tpm, as a limit on tokens", async () => {
    const s = await seed({ key: { tpm: 20 } });
    const error = await expectError(
      await post(s.apiKey, chat(s.model, "hi", { max_tokens: 50 })),
      429,
      "rate_limit_exceeded",
    );
    expect(error.type).toBe("tokens");
  });
});

describe("upstream fallbacks", () => {
  it("falls back to the next route on a 500", async () => {
    const s = await seed({ routes: [{ upstreamModel: "error-500" }, { upstreamModel: "echo" }] });
    const res = await post(s.apiKey, chat(s.model, "fallback please"));
    expect(res.status).toBe(200);
    expect((await usageRecord(res.headers.get("x-request-id") ?? "")).route_id).toBe(`${s.model}-r1`);
  });

  it("falls back to the next route on a 429", async () => {
    const s = await seed({ routes: [{ upstreamModel: "error-429", maxRetries: 1 }, { upstreamModel: "echo" }] });
    const res = await post(s.apiKey, chat(s.model, "fallback please"));
    expect(res.status).toBe(200);
    expect((await usageRecord(res.headers.get("x-request-id") ?? "")).route_id).toBe(`${s.model}-r1`);
  });

  it("retries the same route when it recovers", async () => {
    const tag = `flaky-503-1-${crypto.randomUUID()}`;
    const s = await seed({ routes: [{ upstreamModel: tag, maxRetries: 1 }, { upstreamModel: "error-500" }] });
    const res = await post(s.apiKey, chat(s.model, "retry please"));
    expect(res.status).toBe(200);
    expect((await usageRecord(res.headers.get("x-request-id") ?? "")).route_id).toBe(`${s.model}-r0`);
  });

  it("moves on at once when Retry-After asks for longer than the gateway waits", async () => {
    const s = await seed({ routes: [{ upstreamModel: "error-429-long", maxRetries: 3 }, { upstreamModel: "echo" }] });
    const started = Date.now();
    const res = await post(s.apiKey, chat(s.model, "no waiting"));
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await usageRecord(res.headers.get("x-request-id") ?? "")).route_id).toBe(`${s.model}-r1`);
  });

  it("answers 502 and charges nothing when the upstream's answer is not JSON", async () => {
    const s = await seed({ routes: [{ upstreamModel: "not-json" }] });
    const res = await post(s.apiKey, chat(s.model, "garbage"));
    await expectError(res, 502, "upstream_error");
    expect(await usageRecord(res.headers.get("x-request-id") ?? "")).toMatchObject({
      status: "upstream_error",
      cost: "0",
    });
    expect((await holds(s.payer))[0]).toMatchObject({ state: "released" });
  });

  it("falls back when a route times out", async () => {
    const s = await seed({ routes: [{ upstreamModel: "hang", timeoutMs: 150 }, { upstreamModel: "echo" }] });
    const started = Date.now();
    const res = await post(s.apiKey, chat(s.model, "too slow"));
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await usageRecord(res.headers.get("x-request-id") ?? "")).route_id).toBe(`${s.model}-r1`);
  });

  it("answers 429 with the upstream's Retry-After when every route is rate-limited, charging nothing", async () => {
    const s = await seed({ routes: [{ upstreamModel: "error-429", maxRetries: 1 }, { upstreamModel: "error-429" }] });
    const res = await post(s.apiKey, chat(s.model, "busy"));
    const error = await expectError(res, 429, "rate_limit_exceeded");
    expect(error.type).toBe("requests");
    // The model server's 429 says Retry-After: 0; the client is told to wait at least a second.
    expect(res.headers.get("retry-after")).toBe("1");
    const record = await usageRecord(res.headers.get("x-request-id") ?? "");
    expect(record).toMatchObject({ status: "upstream_error", cost: "0", http_status: 429 });
    // One route rate-limited and another failing otherwise is an upstream failure.
    const mixed = await seed({ routes: [{ upstreamModel: "error-429" }, { upstreamModel: "error-500" }] });
    await expectError(await post(mixed.apiKey, chat(mixed.model, "busy")), 502, "upstream_error");
  });

  it("answers 502 when every route fails, charging nothing and releasing the hold", async () => {
    const s = await seed({ routes: [{ upstreamModel: "error-500" }, { upstreamModel: "hang", timeoutMs: 100 }] });
    const res = await post(s.apiKey, chat(s.model, "doomed"));
    const error = await expectError(res, 502, "upstream_error");
    expect(error.type).toBe("server_error");
    const record = await usageRecord(res.headers.get("x-request-id") ?? "");
    expect(record).toMatchObject({ status: "upstream_error", cost: "0" });
    expect((await holds(s.payer))[0]).toMatchObject({ state: "released", amount: "0" });
  });
});
