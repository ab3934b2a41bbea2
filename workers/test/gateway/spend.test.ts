// Money properties under concurrency: no overspend, one record per request, daily limits, escrow sync.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { adminCall, call, chat, holds, receiptOf, seed, usageRecord, verifyReceipt } from "./helpers.ts";

const sumOf = (xs: string[]) => xs.reduce((a, x) => a + BigInt(x), 0n);

/** Streams a completion to the end (or aborts it after `abortAfter` reads); returns status and request id. */
async function streamCompletion(apiKey: string, model: string, content: string, abortAfter?: number) {
  const res = await call("/v1/chat/completions", {
    method: "POST",
    key: apiKey,
    json: chat(model, content, { stream: true, max_tokens: 10 }),
  });
  const requestId = res.headers.get("x-request-id") ?? "";
  if (res.status !== 200) {
    const error = ((await res.json()) as { error: { code: string } }).error;
    return { status: res.status, requestId, code: error.code };
  }
  const reader = res.body?.getReader();
  if (!reader) throw new Error("no body");
  for (let reads = 0; ; reads++) {
    if (abortAfter !== undefined && reads === abortAfter) {
      await reader.cancel();
      break;
    }
    if ((await reader.read()).done) break;
  }
  return { status: 200, requestId, code: null };
}

describe("spend control", () => {
  it("never lets concurrent requests spend more than the escrow", async () => {
    // Each request reserves 28 base units (18 prompt tokens worst case + 10 output) and costs 8; 20 would cost 160.
    const s = await seed({
      escrow: 100n,
      pricePerMTokIn: 1_000_000n,
      pricePerMTokOut: 1_000_000n,
      routes: [{ upstreamModel: "echo", slow: true }],
    });
    const results = await Promise.all(Array.from({ length: 20 }, () => streamCompletion(s.apiKey, s.model, "hi")));
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status !== 200);
    expect(ok.length).toBeGreaterThanOrEqual(3);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((r) => r.status === 402 && r.code === "insufficient_quota")).toBe(true);
    const records = await Promise.all(ok.map((r) => usageRecord(r.requestId)));
    const charged = sumOf(records.map((r) => r.cost));
    expect(charged).toBeLessThanOrEqual(100n);
    expect(charged).toBe(BigInt(ok.length) * 8n);
    expect(sumOf((await holds(s.payer)).map((h) => h.amount))).toBe(charged);
  });

  it("meters 50 parallel streams, 10 aborted mid-way, exactly once each", async () => {
    const s = await seed({
      pricePerMTokIn: 1_000_000n,
      pricePerMTokOut: 1_000_000n,
      routes: [{ upstreamModel: "echo", slow: true }],
    });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => streamCompletion(s.apiKey, s.model, "a b c d e f", i < 10 ? 2 : undefined)),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const records = await Promise.all(results.map((r) => usageRecord(r.requestId)));
    expect(new Set(records.map((r) => r.request_id)).size).toBe(50);
    const { n } = (await env.METER_DB.prepare("SELECT count(*) AS n FROM usage_records WHERE payer = ?")
      .bind(s.payer)
      .first<{ n: number }>()) ?? { n: 0 };
    expect(n).toBe(50);
    expect(records.every((r) => BigInt(r.cost) > 0n && r.input_tokens > 0)).toBe(true);
    expect(records.filter((r) => r.status === "client_disconnected")).toHaveLength(10);
    expect(records.filter((r) => r.status === "completed" && r.estimated === 0)).toHaveLength(40);
    // Completed: 9 prompt tokens + 10 output = 19 each; the ledger and the records agree to the unit.
    const completed = records.filter((r) => r.status === "completed");
    expect(completed.every((r) => r.cost === "19")).toBe(true);
    const hs = await holds(s.payer);
    expect(hs.every((h) => h.state === "charged")).toBe(true);
    expect(sumOf(hs.map((h) => h.amount))).toBe(sumOf(records.map((r) => r.cost)));
    // Every record's stored signature attests its stored cost: the receipt rebuilt from the columns verifies.
    const verified = await Promise.all(records.map((r) => verifyReceipt(r.signer ?? "", r.receipt, r.signature)));
    expect(verified.every(Boolean)).toBe(true);
  });

  it("records and charges a request id once; a replay is refused", async () => {
    const s = await seed();
    const requestId = `retry-${crypto.randomUUID()}`;
    const headers = { "x-request-id": requestId };
    const first = await call("/v1/chat/completions", {
      method: "POST",
      key: s.apiKey,
      headers,
      json: chat(s.model, "once"),
    });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-request-id")).toBe(requestId);
    const second = await call("/v1/chat/completions", {
      method: "POST",
      key: s.apiKey,
      headers,
      json: chat(s.model, "once"),
    });
    expect(second.status).toBe(409);
    // Recorded as the payer's id, which the receipt names.
    const recorded = `${requestId}@${s.payer}`;
    expect(receiptOf(first)?.request_id).toBe(recorded);
    await usageRecord(recorded);
    const { n } = (await env.METER_DB.prepare("SELECT count(*) AS n FROM usage_records WHERE request_id = ?")
      .bind(recorded)
      .first<{ n: number }>()) ?? { n: 0 };
    expect(n).toBe(1);
    expect(await holds(s.payer)).toHaveLength(1);
  });

  it("enforces the key's daily spend limit", async () => {
    const s = await seed({
      pricePerMTokIn: 1_000_000n,
      pricePerMTokOut: 1_000_000n,
      key: { daily_spend_limit: "30" },
    });
    const body = chat(s.model, "hi", { max_tokens: 10 });
    const first = await call("/v1/chat/completions", { method: "POST", key: s.apiKey, json: body });
    expect(first.status).toBe(200);
    await usageRecord(first.headers.get("x-request-id") ?? "");
    // 8 spent: the next worst case of 28 does not fit in the 22 left, and the answer says so.
    const second = await call("/v1/chat/completions", { method: "POST", key: s.apiKey, json: body });
    expect(second.status).toBe(402);
    const refused = (await second.json()) as { error: { code: string; message: string } };
    expect(refused.error.code).toBe("insufficient_quota");
    expect(refused.error.message).toContain("may cost up to 28 base units, but this API key has 22 left");
    expect(second.headers.get("retry-after")).toBeNull();
    // A smaller request fits now: 4 prompt tokens and 1 output token cost 5 of a worst case of 19.
    const small = await call("/v1/chat/completions", {
      method: "POST",
      key: s.apiKey,
      json: chat(s.model, "hi", { max_tokens: 1 }),
    });
    expect(small.status).toBe(200);
    await usageRecord(small.headers.get("x-request-id") ?? "");
    // Spent to the limit (a charge of 30 more today, as another isolate would have written): nothing is left until
    // midnight, which Retry-After says.
    await env.DB.prepare(
      `INSERT INTO spend_holds (request_id, payer, token, key_id, day, reserved, amount, state, created_at)
       VALUES (?, ?, ?, ?, ?, 30, 30, 'charged', ?)`,
    )
      .bind(`own-${crypto.randomUUID()}`, s.payer, s.token, s.keyId, new Date().toISOString().slice(0, 10), Date.now())
      .run();
    const exhausted = await call("/v1/chat/completions", { method: "POST", key: s.apiKey, json: body });
    expect(exhausted.status).toBe(402);
    const spentOut = (await exhausted.json()) as { error: { message: string } };
    expect(spentOut.error.message).toContain("reached its daily spend limit of 30 base units");
    expect(Number(exhausted.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("counts settled charges once when the chain sync lowers the escrow", async () => {
    const s = await seed({ escrow: 1000n, pricePerMTokIn: 1_000_000n, pricePerMTokOut: 1_000_000n });
    const res = await call("/v1/chat/completions", {
      method: "POST",
      key: s.apiKey,
      json: chat(s.model, "hi", { max_tokens: 10 }),
    });
    await usageRecord(res.headers.get("x-request-id") ?? "");
    const before = (await (await call("/v1/escrow", { key: s.apiKey })).json()) as {
      data: { available: string; unsettled: string }[];
    };
    expect(before.data[0]).toMatchObject({ unsettled: "8", available: "992" });
    await adminCall("PUT", "/escrow", {
      payer: s.payer,
      token: s.token,
      balance: "992",
      settled_before: new Date(Date.now() + 1).toISOString(),
    });
    const after = (await (await call("/v1/escrow", { key: s.apiKey })).json()) as {
      data: { available: string; unsettled: string }[];
    };
    expect(after.data[0]).toMatchObject({ balance: "992", unsettled: "0", reserved: "0", available: "992" });
  });
});
