// Non-streaming chat completions: metering at license prices, integer rounding, estimates, signed receipts.
import { env } from "cloudflare:workers";
import { p256 } from "@noble/curves/nist";
import { describe, expect, it } from "vitest";
import { LOCAL_DEV_SIGNING_KEY, type ReceiptPayload, signReceipt } from "../../src/gateway/receipts.ts";
import { call, chat, holds, seed, usageRecord, verifyReceipt } from "./helpers.ts";

function decodeReceipt(header: string) {
  const [b64, signature] = header.split(".");
  const payload = new TextDecoder().decode(
    Uint8Array.from(atob((b64 ?? "").replaceAll("-", "+").replaceAll("_", "/")), (ch) => ch.charCodeAt(0)),
  );
  return { payload, signature: signature as `0x${string}` };
}

describe("POST /v1/chat/completions (non-streaming)", () => {
  it("answers, meters the upstream's usage at the license price, and signs a receipt", async () => {
    const s = await seed({ pricePerMTokIn: 1_000_000n, pricePerMTokOut: 2_000_000n });
    const res = await call("/v1/chat/completions", {
      method: "POST",
      key: s.apiKey,
      json: chat(s.model, "hello brave new world"),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { model: string; choices: { message: { content: string } }[]; usage: object };
    expect(body.model).toBe(s.model);
    expect(body.choices[0]?.message.content.startsWith("world new brave hello")).toBe(true);
    expect(body.usage).toEqual({ prompt_tokens: 7, completion_tokens: 16, total_tokens: 23 });

    const requestId = res.headers.get("x-request-id") ?? "";
    const record = await usageRecord(requestId);
    // ceil((7 * 1e6 + 16 * 2e6) / 1e6) = 39 base units.
    expect(record).toMatchObject({ input_tokens: 7, output_tokens: 16, cost: "39", status: "completed", estimated: 0 });

    const { payload, signature } = decodeReceipt(res.headers.get("x-tributary-receipt") ?? "");
    const signer = res.headers.get("x-tributary-receipt-signer") ?? "";
    expect(await verifyReceipt(signer, payload, signature)).toBe(true);
    // A receipt whose payload was changed (the cost, here) does not verify.
    expect(await verifyReceipt(signer, payload.replace('"cost":"39"', '"cost":"38"'), signature)).toBe(false);
    expect(JSON.parse(payload)).toMatchObject({ request_id: requestId, cost: "39", input_tokens: 7, payer: s.payer });
    expect(payload).toBe(record.receipt);
    expect(record.signer).toBe(signer);

    expect(await holds(s.payer)).toEqual([
      { request_id: requestId, state: "charged", amount: "39", reserved: record.reserved },
    ]);
  });

  it("names each request with a time-ordered id (UUIDv7) unless the client chose one", async () => {
    const s = await seed();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await call("/v1/chat/completions", { method: "POST", key: s.apiKey, json: chat(s.model, `id ${i}`) });
      expect(res.status).toBe(200);
      ids.push(res.headers.get("x-request-id") ?? "");
    }
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // Later requests sort after earlier ones, so their rows are appended to the primary-key indexes.
    expect([...ids].sort()).toEqual(ids);
    // The first 48 bits are the millisecond the request was named, at or before its record's created_at.
    const record = await usageRecord(ids[0] ?? "");
    const named = Number.parseInt((ids[0] ?? "").replace("-", "").slice(0, 12), 16);
    expect(named).toBeLessThanOrEqual(record.created_at);
    expect(record.created_at - named).toBeLessThan(60_000);
    // A client's own id is kept as it is.
    const own = `own-${crypto.randomUUID()}`;
    const res = await call("/v1/chat/completions", {
      method: "POST",
      key: s.apiKey,
      json: chat(s.model, "own id"),
      headers: { "x-request-id": own },
    });
    expect(res.headers.get("x-request-id")).toBe(own);
  });

  it("rounds the cost up to the next base unit, in integers", async () => {
    const s = await seed({ pricePerMTokIn: 3n, pricePerMTokOut: 5n });
    const res = await call("/v1/chat/completions", {
      method: "POST",
      key: s.apiKey,
      json: chat(s.model, "one two", { max_tokens: 2 }),
    });
    expect(res.status).toBe(200);
    const record = await usageRecord(res.headers.get("x-request-id") ?? "");
    // 5 * 3 + 2 * 5 = 25 micro-units → 1 base unit.
    expect(record).toMatchObject({ input_tokens: 5, output_tokens: 2, cost: "1" });
  });

  it("estimates and flags usage the upstream did not report, never recording zero", async () => {
    const s = await seed({ routes: [{ upstreamModel: "no-usage" }] });
    const res = await call("/v1/chat/completions", {
      method: "POST",
      key: s.apiKey,
      json: chat(s.model, "count these words"),
    });
    expect(res.status).toBe(200);
    const record = await usageRecord(res.headers.get("x-request-id") ?? "");
    expect(record.estimated).toBe(1);
    expect(record.input_tokens).toBeGreaterThan(0);
    expect(record.output_tokens).toBeGreaterThan(0);
    expect(BigInt(record.cost)).toBeGreaterThan(0n);
    // The client gets the usage it is charged for, flagged as estimated.
    const body = (await res.json()) as { usage: object };
    expect(body.usage).toEqual({
      prompt_tokens: record.input_tokens,
      completion_tokens: record.output_tokens,
      total_tokens: record.input_tokens + record.output_tokens,
    });
    expect(res.headers.get("x-tributary-usage-estimated")).toBe("true");
  });

  it("holds tools, tool calls and response formats as prompt, and charges what the upstream counts beyond", async () => {
    const s = await seed({ pricePerMTokIn: 1_000_000n, pricePerMTokOut: 1_000_000n });
    const send = async (json: object) => {
      const res = await call("/v1/chat/completions", { method: "POST", key: s.apiKey, json });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { usage: { prompt_tokens: number; completion_tokens: number } };
      return { body, record: await usageRecord(res.headers.get("x-request-id") ?? "") };
    };
    // 40 tool definitions and a tool call in the history: the hold covers their text, not just the messages'.
    const tools = Array.from({ length: 40 }, (_, i) => ({
      type: "function",
      function: { name: `tool_${i}`, description: "x".repeat(200), parameters: { type: "object", properties: {} } },
    }));
    const plain = await send(chat(s.model, "hi", { max_tokens: 4 }));
    const withTools = await send({
      model: s.model,
      max_tokens: 4,
      tools,
      messages: [
        { role: "user", content: "hi" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "c1", type: "function", function: { name: "tool_1", arguments: "y".repeat(500) } }],
        },
        { role: "tool", tool_call_id: "c1", content: "done" },
        { role: "user", content: "hi" },
      ],
    });
    expect(BigInt(withTools.record.reserved) - BigInt(plain.record.reserved)).toBeGreaterThan(40n * 200n + 500n);

    // Two images: the upstream counts 2,833 prompt tokens each (as GPT-4o mini does), more than the 1,500 held per
    // media part. The charge is the license price of what it counted, and the receipt's tokens and cost agree.
    const image = { type: "image_url", image_url: { url: `data:image/png;base64,${"A".repeat(50_000)}` } };
    const { body, record } = await send(
      chat(s.model, [{ type: "text", text: "what is this" }, image, image] as unknown as string, { max_tokens: 4 }),
    );
    expect(body.usage.prompt_tokens).toBe(3 + 3 + 2 * 2833);
    // The base64 data is not held as text: 2 × 1,500 for the images, the text and framing, 4 output tokens.
    expect(BigInt(record.reserved)).toBeLessThan(3_200n);
    expect(BigInt(record.reserved)).toBeGreaterThan(3_000n);
    expect(record).toMatchObject({ input_tokens: 5672, output_tokens: 4, cost: "5676" });
    expect(BigInt(record.cost)).toBeGreaterThan(BigInt(record.reserved));
    const [hold] = (await holds(s.payer)).filter((h) => h.request_id === record.request_id);
    expect(hold).toMatchObject({ state: "charged", amount: "5676" });
  });

  it("sends the upstream the held output cap, in the field the route or the client names, never the client's value", async () => {
    // The `caps` upstream answers with the output caps it received.
    const capsSent = async (s: { apiKey: string; model: string }, extra: Record<string, unknown>) => {
      const res = await call("/v1/chat/completions", {
        method: "POST",
        key: s.apiKey,
        json: chat(s.model, "hi", extra),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { choices: { message: { content: string } }[] };
      return JSON.parse(body.choices[0]?.message.content ?? "");
    };
    const s = await seed({ maxOutputTokens: 64, routes: [{ upstreamModel: "caps" }] });
    expect(await capsSent(s, {})).toEqual({ max_tokens: 64, max_completion_tokens: null });
    expect(await capsSent(s, { max_tokens: 10 })).toEqual({ max_tokens: 10, max_completion_tokens: null });
    expect(await capsSent(s, { max_completion_tokens: 10 })).toEqual({ max_tokens: null, max_completion_tokens: 10 });
    expect(await capsSent(s, { max_tokens: 100_000 })).toEqual({ max_tokens: 64, max_completion_tokens: null });
    // Both: each says the held cap; the client's larger max_tokens never reaches the upstream.
    expect(await capsSent(s, { max_completion_tokens: 5, max_tokens: 100_000 })).toEqual({
      max_tokens: 5,
      max_completion_tokens: 5,
    });
    // A route to a model that refuses max_tokens (OpenAI's reasoning models) gets the cap in max_completion_tokens
    // only, whatever the client sent.
    const reasoning = await seed({
      maxOutputTokens: 64,
      routes: [{ upstreamModel: "caps", maxTokensParam: "max_completion_tokens" }],
    });
    expect(await capsSent(reasoning, {})).toEqual({ max_tokens: null, max_completion_tokens: 64 });
    expect(await capsSent(reasoning, { max_tokens: 7 })).toEqual({ max_tokens: null, max_completion_tokens: 7 });
  });

  it("serves the receipt again at /v1/usage/receipts/:id, to its payer only", async () => {
    const s = await seed();
    const other = await seed();
    const res = await call("/v1/chat/completions", {
      method: "POST",
      key: s.apiKey,
      json: chat(s.model, "receipt please"),
    });
    const requestId = res.headers.get("x-request-id") ?? "";
    await usageRecord(requestId);
    const mine = await call(`/v1/usage/receipts/${requestId}`, { key: s.apiKey });
    expect(mine.status).toBe(200);
    const receipt = (await mine.json()) as { payload: string; signature: string; signer: string };
    expect(await verifyReceipt(receipt.signer, receipt.payload, receipt.signature)).toBe(true);
    const signer = (await (await call("/v1/usage/signer")).json()) as { public_key: string };
    expect(signer.public_key).toBe(receipt.signer);
    expect((await call(`/v1/usage/receipts/${requestId}`, { key: other.apiKey })).status).toBe(404);
    // The signer is the record's own: a receipt signed before a key rotation names the key that signed it, not the
    // key published now.
    const earlier = `0x04${"ab".repeat(64)}`;
    await env.METER_DB.prepare("UPDATE usage_records SET signer = ? WHERE request_id = ?")
      .bind(earlier, requestId)
      .run();
    const again = (await (await call(`/v1/usage/receipts/${requestId}`, { key: s.apiKey })).json()) as {
      signer: string;
    };
    expect(again.signer).toBe(earlier);
  });
});

/** GATEWAY_SIGNING_KEY in workers/vitest.config.ts. */
const CONFIGURED_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";

describe("the receipt signer", () => {
  it("is the configured GATEWAY_SIGNING_KEY, not the local fallback", async () => {
    const signer = (await (await call("/v1/usage/signer")).json()) as {
      scheme: string;
      public_key: string;
      jwk: JsonWebKey;
      previous: string[];
    };
    expect(signer.scheme).toBe("ecdsa-p256-sha256");
    expect(signer.public_key).toBe(
      `0x${Buffer.from(p256.getPublicKey(CONFIGURED_KEY.slice(2), false)).toString("hex")}`,
    );
    expect(signer.public_key).not.toBe(
      `0x${Buffer.from(p256.getPublicKey(LOCAL_DEV_SIGNING_KEY.slice(2), false)).toString("hex")}`,
    );
    // A key rotated out is still published, so what it signed still verifies (GATEWAY_PREVIOUS_SIGNERS).
    const rotatedOut = `0x${"07".repeat(32)}`;
    expect(signer.previous).toEqual([
      `0x${Buffer.from(p256.getPublicKey(rotatedOut.slice(2), false)).toString("hex")}`,
    ]);
    const payload = { v: 1, request_id: "req_before_rotation", cost: "5" } as unknown as ReceiptPayload;
    const old = await signReceipt({ GATEWAY_SIGNING_KEY: rotatedOut, REGION: "test" }, payload);
    expect(await verifyReceipt(signer.previous[0] ?? "", old.payload, old.signature)).toBe(true);
    // The JWK is the same key: a client can import it as published.
    const jwk = Buffer.concat([
      Buffer.from([4]),
      Buffer.from(signer.jwk.x ?? "", "base64url"),
      Buffer.from(signer.jwk.y ?? "", "base64url"),
    ]);
    expect(`0x${jwk.toString("hex")}`).toBe(signer.public_key);
  });
});
