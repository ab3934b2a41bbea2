// D1 tables of a regional meter database (binding METER_DB): one usage record per gateway request.
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

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
