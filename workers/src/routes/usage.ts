// The payer's own usage under /v1/usage: records or groups by day/model in pages, filtered by model or key, signed
// receipts, the receipt signer, escrow.
import { usageQuerySchema } from "@tributary/schemas/gateway";
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { AppError } from "../errors.ts";
import { findArchivedRecord } from "../gateway/archived-receipts.ts";
import { apiKeyAuth } from "../gateway/auth.ts";
import { escrowStatus } from "../gateway/catalog.ts";
import type { ApiKey } from "../gateway/keys.ts";
import { RECEIPT_COLUMNS, receiptOfRecord, type SignedRecord } from "../gateway/meter.ts";
import { previousSigners, RECEIPT_SCHEME, receiptText, signerOf } from "../gateway/receipts.ts";
import { idsOfPayer } from "../gateway/request-id.ts";
import { archivedBefore, listGroups, listRecords } from "../gateway/usage.ts";
import { validate } from "../validate.ts";

const keyOf = (c: { get: (k: "apiKey") => ApiKey | undefined }) => {
  const key = c.get("apiKey");
  if (!key) throw new AppError("invalid_api_key", "You didn't provide an API key.");
  return key;
};

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
    const id = c.req.param("id");
    const payer = keyOf(c).payer;
    // The id as the receipt names it, or the payer's own X-Request-Id; only the payer's records are read, so another
    // payer's request is not found whatever its id (one answer for both, no oracle).
    const row = await c.env.METER_DB.prepare(
      `SELECT ${RECEIPT_COLUMNS}, signature, signer FROM usage_records WHERE request_id IN (?, ?) AND payer = ? LIMIT 1`,
    )
      .bind(...idsOfPayer(id, payer), payer)
      .first<SignedRecord>();
    // Past the usage retention the record is in this region's archive in R2, under the epoch that settled it.
    const found = row ?? (await findArchivedRecord(c.env.DB, c.env.BUCKET, id));
    if (!found || found.payer !== payer)
      throw new AppError(
        "not_found",
        "No receipt with this id for your account in this region. A receipt is served by the region that metered " +
          "the request; past the usage retention it is found only for the gateway's own request ids (not a " +
          "client's X-Request-Id) (docs/settlement.md, Usage retention).",
      );
    const receipt = receiptOfRecord(found);
    return c.json({
      object: "usage.receipt",
      payload: receiptText(receipt),
      signature: found.signature,
      // The key that signed it, which after a rotation is not the one published now (null: recorded before signers
      // were stored).
      signer: found.signer,
      receipt,
      // Served from the usage archive in R2 rather than from D1.
      archived: row === null,
    });
  })
  .get("/usage", apiKeyAuth, validate("query", usageQuerySchema), async (c) => {
    const q = c.req.valid("query");
    const payer = keyOf(c).payer;
    const window = { from: q.from ? Date.parse(q.from) : 0, to: q.to ? Date.parse(q.to) : null };
    if (q.group_by) {
      if (q.key_id) {
        throw new AppError(
          "invalid_request",
          "key_id: groups cannot be filtered by key, because archived usage is rolled up per day, model and token " +
            "only; list the records with key_id instead (without group_by).",
          { param: "key_id" },
        );
      }
      const filter = { models: q.model };
      const groups = await listGroups(c.env.METER_DB, payer, q.group_by, window, filter, q.limit, q.page);
      const data = groups.data.map(({ grp, ...rest }) => ({
        object: "usage.group",
        [q.group_by as string]: grp,
        ...rest,
      }));
      return c.json({
        object: "list",
        group_by: q.group_by,
        region: c.env.REGION,
        data,
        has_more: groups.has_more,
        next_page: groups.next_page,
      });
    }
    const [records, archived] = await Promise.all([
      listRecords(c.env.METER_DB, payer, window, { models: q.model, keyIds: q.key_id }, q.limit, q.page),
      archivedBefore(c.env.DB),
    ]);
    const data = records.data.map((r) => ({
      object: "usage.record",
      ...r,
      stream: r.stream === 1,
      estimated: r.estimated === 1,
      created_at: new Date(r.created_at).toISOString(),
    }));
    return c.json({
      object: "list",
      region: c.env.REGION,
      data,
      has_more: records.has_more,
      next_page: records.next_page,
      // Records created before this instant may be in R2 only (docs/settlement.md, "Usage retention").
      archived_before: archived === null ? null : new Date(archived).toISOString(),
    });
  })
  .get("/escrow", apiKeyAuth, async (c) =>
    c.json({ object: "escrow", payer: keyOf(c).payer, data: await escrowStatus(c.env.DB, keyOf(c).payer) }),
  );
