// A client's own X-Request-Id is its payer's: other payers may use the same id, and no answer tells whether they did.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  call,
  chat,
  holds,
  ledger,
  prices,
  receiptOf,
  recordIdOf,
  type Seeded,
  seed,
  usageRecord,
  verifyReceipt,
} from "./helpers.ts";

type ErrorBody = { error: { message: string; code: string } };
type Receipt = { payload: string; signature: string; signer: string; receipt: { request_id: string; payer: string } };

const post = (s: Seeded, id: string, extra: Record<string, unknown> = {}) =>
  call("/v1/chat/completions", {
    method: "POST",
    key: s.apiKey,
    headers: { "x-request-id": id },
    json: chat(s.model, "hi", { max_tokens: 10, ...extra }),
  });

const receiptAt = (s: Seeded, path: string) => call(path, { key: s.apiKey });

/** The payer's usage records in this region, as `GET /v1/usage` lists them. */
async function listed(s: Seeded) {
  const res = await call("/v1/usage", { key: s.apiKey });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: { request_id: string; cost: string }[] }).data;
}

describe("a client's X-Request-Id is scoped to its payer", () => {
  it("lets two payers use the same id: each is served, recorded and charged once, and reads only its own", async () => {
    const a = await seed(prices);
    const b = await seed(prices);
    const id = `req-${crypto.randomUUID().slice(0, 8)}`;

    const first = await post(a, id);
    expect(first.status).toBe(200);
    // b's call with a's id is an ordinary call (a stream, to read its receipt URL).
    const second = await post(b, id, { stream: true });
    expect(second.status).toBe(200);
    await second.text();
    for (const [s, res] of [
      [a, first],
      [b, second],
    ] as const) {
      // The client's id comes back as it sent it; the record is the payer's `<id>@<payer>`.
      expect(res.headers.get("x-request-id")).toBe(id);
      const recorded = recordIdOf(res);
      expect(recorded).toBe(`${id}@${s.payer}`);
      const record = await usageRecord(recorded);
      expect(record.status).toBe("completed");
      // One charge per payer, the record's cost, and the escrow counter agrees with the holds.
      const charges = await holds(s.payer);
      expect(charges).toEqual([
        expect.objectContaining({ request_id: recorded, state: "charged", amount: record.cost }),
      ]);
      const l = await ledger(s.payer);
      expect(l.held).toBe(l.summed);
      expect(await listed(s)).toEqual([expect.objectContaining({ request_id: recorded, cost: record.cost })]);
    }
    expect(receiptOf(first)?.payer).toBe(a.payer);
    expect(second.headers.get("x-tributary-receipt-url")).toBe(`/v1/usage/receipts/${id}@${b.payer}`);

    // Each payer's receipt, by the id it sent, by the receipt URL, and by the receipt's request_id: its own, verified.
    for (const [s, path] of [
      [a, `/v1/usage/receipts/${id}`],
      [a, `/v1/usage/receipts/${receiptOf(first)?.request_id}`],
      [b, `/v1/usage/receipts/${id}`],
      [b, second.headers.get("x-tributary-receipt-url") ?? ""],
    ] as const) {
      const res = await receiptAt(s, path);
      expect(res.status, path).toBe(200);
      const r = (await res.json()) as Receipt;
      expect(r.receipt).toMatchObject({ request_id: `${id}@${s.payer}`, payer: s.payer });
      expect(await verifyReceipt(r.signer, r.payload, r.signature)).toBe(true);
    }
  });

  it("refuses the same payer's second use of an id with 409, and another payer's use of it is not refused", async () => {
    const a = await seed(prices);
    const b = await seed(prices);
    const id = `counter-${crypto.randomUUID().slice(0, 8)}`;
    expect((await post(a, id)).status).toBe(200);
    const again = await post(a, id);
    expect(again.status).toBe(409);
    const body = (await again.json()) as ErrorBody;
    expect(body.error.code).toBe("conflict");
    expect(body.error.message).toBe(`A request with id ${id} was already processed; use a new X-Request-Id.`);
    expect((await post(b, id)).status).toBe(200);
    expect((await post(b, id)).status).toBe(409);
    // One record and one charge each, whatever the replays.
    for (const s of [a, b]) {
      await usageRecord(`${id}@${s.payer}`);
      expect(await holds(s.payer)).toHaveLength(1);
      expect(await listed(s)).toHaveLength(1);
    }
  });

  it("answers another payer's id like a fresh one: a payer without escrow gets 402, not 409", async () => {
    const a = await seed(prices);
    const broke = await seed({ ...prices, escrow: 0n });
    const id = `shared-${crypto.randomUUID().slice(0, 8)}`;
    expect((await post(a, id)).status).toBe(200);
    await usageRecord(`${id}@${a.payer}`);
    const refused = await post(broke, id);
    expect(refused.status).toBe(402);
    expect(((await refused.json()) as ErrorBody).error.code).toBe("insufficient_quota");
    // And a's gateway-made ids are no one else's to be refused by: b may send one as its own id.
    const b = await seed(prices);
    const plain = await call("/v1/chat/completions", { method: "POST", key: a.apiKey, json: chat(a.model, "hi") });
    const gatewayId = plain.headers.get("x-request-id") ?? "";
    await usageRecord(gatewayId);
    expect((await post(b, gatewayId)).status).toBe(200);
    // a sending it back is a reuse of its own id, as before.
    expect((await post(a, gatewayId)).status).toBe(409);
  });

  it("replays a payer's own upstream failure to its retries, never another payer's", async () => {
    const a = await seed({ ...prices, routes: [{ upstreamModel: "error-500" }] });
    const b = await seed({ ...prices, routes: [{ upstreamModel: "error-500" }] });
    const ok = await seed(prices);
    const id = `retry-${crypto.randomUUID().slice(0, 8)}`;
    const failed = await post(a, id);
    expect(failed.status).toBe(502);
    expect(((await failed.json()) as ErrorBody).error.message).not.toContain("already failed upstream");
    await usageRecord(`${id}@${a.payer}`);
    // b's first call with the id goes upstream and fails there on its own; its retry is answered from its record.
    const bFirst = await post(b, id);
    expect(bFirst.status).toBe(502);
    expect(((await bFirst.json()) as ErrorBody).error.message).not.toContain("already failed upstream");
    await usageRecord(`${id}@${b.payer}`);
    const bRetry = await post(b, id);
    expect(bRetry.status).toBe(502);
    expect(((await bRetry.json()) as ErrorBody).error.message).toContain(
      `The request with id ${id} already failed upstream (HTTP 502)`,
    );
    // A payer whose route works is served, not answered with a's or b's failure.
    expect((await post(ok, id)).status).toBe(200);
    for (const s of [a, b]) expect(await holds(s.payer)).toEqual([expect.objectContaining({ amount: "0" })]);
  });

  it("never serves another payer's receipt, and answers for it exactly as for an id nobody used", async () => {
    const a = await seed(prices);
    const b = await seed(prices);
    const id = `mine-${crypto.randomUUID().slice(0, 8)}`;
    const res = await post(a, id);
    expect(res.status).toBe(200);
    const recorded = recordIdOf(res);
    await usageRecord(recorded);
    const plain = await call("/v1/chat/completions", { method: "POST", key: a.apiKey, json: chat(a.model, "hi") });
    const gatewayId = plain.headers.get("x-request-id") ?? "";
    await usageRecord(gatewayId);
    expect((await receiptAt(a, `/v1/usage/receipts/${gatewayId}`)).status).toBe(200);

    const nobody = await receiptAt(b, `/v1/usage/receipts/never-${crypto.randomUUID().slice(0, 8)}`);
    expect(nobody.status).toBe(404);
    const notFound = await nobody.json();
    for (const theirs of [id, recorded, encodeURIComponent(recorded), gatewayId]) {
      const answer = await receiptAt(b, `/v1/usage/receipts/${theirs}`);
      expect(answer.status, theirs).toBe(404);
      expect(await answer.json()).toEqual(notFound);
    }
  });

  it("keeps refusing a payer's ids recorded before client ids were scoped, and serves their receipts to it only", async () => {
    const a = await seed(prices);
    const b = await seed(prices);
    const id = `legacy-${crypto.randomUUID().slice(0, 8)}`;
    expect((await post(a, id)).status).toBe(200);
    await usageRecord(`${id}@${a.payer}`);
    // As the gateway recorded a client's id before: the id as it is, in the record and the hold.
    await env.METER_DB.prepare("UPDATE usage_records SET request_id = ? WHERE request_id = ?")
      .bind(id, `${id}@${a.payer}`)
      .run();
    await env.DB.prepare("UPDATE spend_holds SET request_id = ? WHERE request_id = ?")
      .bind(id, `${id}@${a.payer}`)
      .run();
    expect((await post(a, id)).status).toBe(409);
    const mine = await receiptAt(a, `/v1/usage/receipts/${id}`);
    expect(mine.status).toBe(200);
    expect(((await mine.json()) as Receipt).receipt).toMatchObject({ request_id: id, payer: a.payer });
    // For b the old record is not there: its own call with the id is served, and the id then names its own receipt.
    expect((await receiptAt(b, `/v1/usage/receipts/${id}`)).status).toBe(404);
    expect((await post(b, id)).status).toBe(200);
    await usageRecord(`${id}@${b.payer}`);
    const theirs = await receiptAt(b, `/v1/usage/receipts/${id}`);
    expect(((await theirs.json()) as Receipt).receipt).toMatchObject({
      request_id: `${id}@${b.payer}`,
      payer: b.payer,
    });
  });
});
