// Non-streaming chat completions: metering at license prices, integer rounding, estimates, signed receipts.
import { verifyMessage } from "viem";
import { describe, expect, it } from "vitest";
import { call, chat, holds, seed, usageRecord } from "./helpers.ts";

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
    const signer = res.headers.get("x-tributary-receipt-signer") as `0x${string}`;
    expect(await verifyMessage({ address: signer, message: payload, signature })).toBe(true);
    expect(JSON.parse(payload)).toMatchObject({ request_id: requestId, cost: "39", input_tokens: 7, payer: s.payer });
    expect(payload).toBe(record.receipt);

    expect(await holds(s.payer)).toEqual([
      { request_id: requestId, state: "charged", amount: "39", reserved: record.reserved },
    ]);
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
    const receipt = (await mine.json()) as { payload: string; signature: `0x${string}`; signer: `0x${string}` };
    expect(
      await verifyMessage({ address: receipt.signer, message: receipt.payload, signature: receipt.signature }),
    ).toBe(true);
    const signer = (await (await call("/v1/usage/signer")).json()) as { address: string };
    expect(signer.address).toBe(receipt.signer);
    expect((await call(`/v1/usage/receipts/${requestId}`, { key: other.apiKey })).status).toBe(404);
  });
});

describe("the receipt signer", () => {
  it("is the configured GATEWAY_SIGNING_KEY, not the local fallback", async () => {
    const signer = (await (await call("/v1/usage/signer")).json()) as { address: string };
    expect(signer.address).toBe("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
  });
});
