// D1 tables of a regional meter database (binding METER_DB): one usage record per gateway request, and the daily
// rollups of records archived to R2.
import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Exactly one row per metered request, keyed by request id. `cost` is integer base units of `token`
 * (read with CAST(cost AS TEXT)); `estimated` is 1 when the upstream reported no usage and tokens were counted here.
 */
export const usageRecords = sqliteTable(
  "usage_records",
  {
    requestId: text("request_id").primaryKey(),
    keyId: text("key_id").notNull(),
    payer: text("payer").notNull(),
    model: text("model").notNull(),
    modelAsset: text("model_asset").notNull(),
    licenseId: text("license_id").notNull(),
    termsId: text("terms_id").notNull(),
    token: text("token").notNull(),
    routeId: text("route_id"),
    endpoint: text("endpoint").notNull(),
    stream: integer("stream").notNull(),
    inputTokens: integer("input_tokens").notNull(),
    outputTokens: integer("output_tokens").notNull(),
    cost: integer("cost").notNull(),
    reserved: integer("reserved").notNull(),
    status: text("status").notNull(),
    httpStatus: integer("http_status").notNull(),
    latencyMs: integer("latency_ms").notNull(),
    region: text("region").notNull(),
    estimated: integer("estimated").notNull(),
    createdAt: integer("created_at").notNull(),
    /**
     * The ECDSA P-256 signature of the usage receipt (gateway/receipts.ts). The receipt's payload is not stored: each
     * of its fields is a column here, and gateway/meter.ts `receiptOfRecord` rebuilds the signed text from them.
     */
    signature: text("signature").notNull(),
    /** The public key that made `signature` (0x-hex SEC1), so a receipt stays attributable after a key rotation. */
    signer: text("signer"),
    /**
     * The settlement epoch this record is assigned to (null: not yet). Settled once that epoch is recorded as
     * settled in the control database's `settlement_epochs`; see docs/settlement.md.
     */
    epochId: integer("epoch_id"),
  },
  (t) => [
    index("usage_records_payer_created").on(t.payer, t.createdAt),
    index("usage_records_epoch_created").on(t.epochId, t.createdAt),
  ],
);

/**
 * The usage records that left D1 for R2 (settler/archive.ts), summed per payer, UTC day of `created_at`, model and
 * token, so `GET /v1/usage?group_by=day|model` still counts them. A record is added here in the same batch that
 * deletes it from `usage_records`: it is counted in exactly one of the two tables. `cost` is integer base units of
 * `token` (read with CAST(cost AS TEXT)); `estimated` counts the records whose tokens were estimated.
 */
export const usageDaily = sqliteTable(
  "usage_daily",
  {
    payer: text("payer").notNull(),
    /** YYYY-MM-DD, the UTC day of the records' `created_at`. */
    day: text("day").notNull(),
    model: text("model").notNull(),
    token: text("token").notNull(),
    requests: integer("requests").notNull(),
    inputTokens: integer("input_tokens").notNull(),
    outputTokens: integer("output_tokens").notNull(),
    cost: integer("cost").notNull(),
    estimated: integer("estimated").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.payer, t.day, t.model, t.token] }),
    // SQLite turns an integer sum that overflows 64 bits into a REAL without a word: an upsert adding to `cost` must
    // fail (and with it the delete in its batch) rather than round money.
    check("usage_daily_cost_integer", sql`typeof(${t.cost}) = 'integer'`),
  ],
);
