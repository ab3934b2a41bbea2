// The payer's own usage under /v1/usage: records or groups by day/model, signed receipts, the receipt signer, escrow.
import { usageQuerySchema } from "@tributary/schemas/gateway";
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { AppError } from "../errors.ts";
import { apiKeyAuth } from "../gateway/auth.ts";
import { escrowStatus } from "../gateway/catalog.ts";
import type { ApiKey } from "../gateway/keys.ts";
import { RECEIPT_COLUMNS, type ReceiptRecord, receiptOfRecord } from "../gateway/meter.ts";
import { previousSigners, RECEIPT_SCHEME, receiptText, signerOf } from "../gateway/receipts.ts";
import { validate } from "../validate.ts";

type RecordRow = {
  request_id: string;
  key_id: string;
  model: string;
  endpoint: string;
  stream: number;
  input_tokens: number;
  output_tokens: number;
  cost: string;
  token: string;
  status: string;
  estimated: number;
  latency_ms: number;
  region: string;
  created_at: number;
};

const keyOf = (c: { get: (k: "apiKey") => ApiKey | undefined }) => {
  const key = c.get("apiKey");
  if (!key) throw new AppError("invalid_api_key", "You didn't provide an API key.");
  return key;
};

const GROUPS = {
  day: "strftime('%Y-%m-%d', created_at / 1000, 'unixepoch')",
  model: "model",
} as const;

export const usage = new Hono<AppEnv>()
  .get("/usage/signer", (c) => {
    const signer = signerOf(c.env);
    return c.json({
      scheme: RECEIPT_SCHEME,
      public_key: signer.publicKey,
      jwk: signer.jwk,
      // Keys that signed earlier receipts (before a rotation); each receipt names its own signer.
      previous: previousSigners(c.env),
      payload: "UTF-8 JSON of the receipt",
      signature: "0x-hex r‖s (64 bytes, s ≤ n/2) of ECDSA P-256 over SHA-256 of the payload",
    });
  })
  .get("/usage/receipts/:id", apiKeyAuth, async (c) => {
    const row = await c.env.METER_DB.prepare(
      `SELECT ${RECEIPT_COLUMNS}, signature, signer FROM usage_records WHERE request_id = ?`,
    )
      .bind(c.req.param("id"))
      .first<ReceiptRecord & { signature: string; signer: string | null }>();
    if (!row || row.payer !== keyOf(c).payer)
      throw new AppError(
        "not_found",
        "No receipt with this id for your account. Records of settled epochs older than the gateway's usage " +
          "retention are archived with their receipts under the epoch in R2 (docs/settlement.md).",
      );
    const receipt = receiptOfRecord(row);
    return c.json({
      object: "usage.receipt",
      payload: receiptText(receipt),
      signature: row.signature,
      // The key that signed it, which after a rotation is not the one published now (null: recorded before signers
      // were stored).
      signer: row.signer,
      receipt,
    });
  })
  .get("/usage", apiKeyAuth, validate("query", usageQuerySchema), async (c) => {
    const q = c.req.valid("query");
    const payer = keyOf(c).payer;
    const from = q.from ? Date.parse(q.from) : 0;
    const to = q.to ? Date.parse(q.to) : Number.MAX_SAFE_INTEGER;
    if (q.group_by) {
      const group = GROUPS[q.group_by];
      const { results } = await c.env.METER_DB.prepare(
        `SELECT ${group} AS grp, token, count(*) AS requests, sum(input_tokens) AS input_tokens,
           sum(output_tokens) AS output_tokens, CAST(sum(cost) AS TEXT) AS cost, sum(estimated) AS estimated
         FROM usage_records WHERE payer = ? AND created_at >= ? AND created_at < ?
         GROUP BY grp, token ORDER BY grp LIMIT ?`,
      )
        .bind(payer, from, to, q.limit)
        .all<{
          grp: string;
          token: string;
          requests: number;
          input_tokens: number;
          output_tokens: number;
          cost: string;
          estimated: number;
        }>();
      const data = results.map(({ grp, ...rest }) => ({ object: "usage.group", [q.group_by as string]: grp, ...rest }));
      return c.json({ object: "list", group_by: q.group_by, region: c.env.REGION, data });
    }
    const { results } = await c.env.METER_DB.prepare(
      `SELECT request_id, key_id, model, endpoint, stream, input_tokens, output_tokens, CAST(cost AS TEXT) AS cost, token,
         status, estimated, latency_ms, region, created_at
       FROM usage_records WHERE payer = ? AND created_at >= ? AND created_at < ? ORDER BY created_at DESC LIMIT ?`,
    )
      .bind(payer, from, to, q.limit)
      .all<RecordRow>();
    const data = results.map((r) => ({
      object: "usage.record",
      ...r,
      stream: r.stream === 1,
      estimated: r.estimated === 1,
      created_at: new Date(r.created_at).toISOString(),
    }));
    return c.json({ object: "list", region: c.env.REGION, data });
  })
  .get("/escrow", apiKeyAuth, async (c) =>
    c.json({ object: "escrow", payer: keyOf(c).payer, data: await escrowStatus(c.env.DB, keyOf(c).payer) }),
  );
