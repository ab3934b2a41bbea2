// Metering: exactly one usage record per request (idempotent by request id), the hold settled, the receipt signed.

import type { ApiKey } from "./keys.ts";
import { chargeLease, type Lease } from "./lease.ts";
import { USAGE_INSERT_SQL } from "./metering-sql.ts";
import { costOf } from "./pricing.ts";
import { type ReceiptPayload, type SignedReceipt, type SigningEnv, signReceipt } from "./receipts.ts";
import type { Resolved } from "./routing.ts";
import { CONTROL_BINDING, settleWrite } from "./spend.ts";
import { type Write, type Writes, writeBehindAll } from "./write-behind.ts";

/**
 * Where a request's worst case is held: its own reservation row (client-chosen request ids), or the isolate's
 * escrow lease; either kept live by `stopKeepAlive`'s timer until the request is charged.
 */
export type Spend =
  | { kind: "hold"; stopKeepAlive: () => void }
  | { kind: "lease"; lease: Lease; stopKeepAlive: () => void };

/** What is known about a request once it is admitted and its worst case reserved. */
export type Metered = {
  requestId: string;
  key: ApiKey;
  resolved: Resolved;
  endpoint: "chat.completions" | "embeddings";
  stream: boolean;
  /** Worst-case cost reserved, in base units (the charge exceeds it only as `chargeOf` says). */
  reserved: bigint;
  spend: Spend;
  /** Set once the request is metered: a request is charged once, whatever calls complete it. */
  recorded?: true;
  startedAt: number;
  region: string;
};

/** How a request ended: completed; client_disconnected or interrupted (charged for what was generated); upstream_error (no charge). */
export type Outcome = {
  routeId: string | null;
  inputTokens: number;
  outputTokens: number;
  estimated: boolean;
  status: "completed" | "client_disconnected" | "interrupted" | "upstream_error";
  httpStatus: number;
};

export type MeterEnv = SigningEnv & { DB: D1Database; METER_DB: D1Database };

/** The columns of a usage record that its receipt attests, as `receiptOfRecord` reads them. */
export const RECEIPT_COLUMNS = `request_id, region, payer, key_id, model, model_asset, license_id, terms_id, token,
  input_tokens, output_tokens, CAST(cost AS TEXT) AS cost, estimated, status, created_at`;

/** A usage record's receipt columns (`RECEIPT_COLUMNS`). */
export type ReceiptRecord = Omit<ReceiptPayload, "v" | "estimated" | "created_at"> & {
  estimated: number;
  created_at: number;
};

/** A stored usage record's receipt columns with its signature and the key that made it (null: before signers were
 * stored). */
export type SignedRecord = ReceiptRecord & { signature: string; signer: string | null };

/**
 * The charge for an outcome: the license price of its tokens, so the record's tokens and its cost always agree (a
 * receipt can be checked against the terms). It can exceed what was reserved only when the upstream counts more
 * prompt tokens than the bound (media parts, whose size the gateway does not read, `MEDIA_PART_TOKENS`); the
 * reservation bounds the prompt's text and the output, which the upstream is held to.
 */
export function chargeOf(m: Metered, o: Outcome): bigint {
  if (o.status === "upstream_error") return 0n;
  return costOf(o.inputTokens, o.outputTokens, m.resolved.pricePerMTokIn, m.resolved.pricePerMTokOut);
}

/** The columns of an outcome's usage record that its receipt attests, as they are stored. */
function receiptRecordOf(m: Metered, o: Outcome, cost: bigint, now: number): ReceiptRecord {
  return {
    request_id: m.requestId,
    region: m.region,
    payer: m.key.payer,
    key_id: m.key.id,
    model: m.resolved.model,
    model_asset: m.resolved.assetId,
    license_id: m.resolved.licenseId,
    terms_id: m.resolved.termsId,
    token: m.resolved.token,
    input_tokens: o.inputTokens,
    output_tokens: o.outputTokens,
    cost: cost.toString(),
    estimated: o.estimated ? 1 : 0,
    status: o.status,
    created_at: now,
  };
}

/**
 * The receipt payload of an outcome: made from its record's columns by `receiptOfRecord`, the function that rebuilds
 * a stored record's receipt, so what is signed and what is served later cannot differ.
 */
export function receiptPayload(m: Metered, o: Outcome, cost: bigint, now: number): ReceiptPayload {
  return receiptOfRecord(receiptRecordOf(m, o, cost, now));
}

/** The receipt payload of a stored usage record: the payload that was signed, field for field. */
export function receiptOfRecord(r: ReceiptRecord): ReceiptPayload {
  return {
    v: 1,
    request_id: r.request_id,
    region: r.region,
    payer: r.payer,
    key_id: r.key_id,
    model: r.model,
    model_asset: r.model_asset,
    license_id: r.license_id,
    terms_id: r.terms_id,
    token: r.token,
    input_tokens: r.input_tokens,
    output_tokens: r.output_tokens,
    cost: r.cost,
    estimated: r.estimated === 1,
    status: r.status,
    created_at: new Date(r.created_at).toISOString(),
  };
}

/**
 * Signs the receipt and starts writing the usage record and charging the request; `written` settles when both are
 * stored (hand it to waitUntil). Both go through the isolate's write-behind queues (write-behind.ts) on one timer,
 * so concurrent requests share one batch per database. The writes are idempotent (insert-or-ignore by request id;
 * a reservation settles only from `reserved`; a lease charge applies only with its hold's insert), and a request is
 * metered once per isolate.
 */
export async function recordUsage(
  env: MeterEnv,
  m: Metered,
  o: Outcome,
): Promise<{ receipt: SignedReceipt; cost: bigint; written: Promise<void> }> {
  const now = Date.now();
  const cost = chargeOf(m, o);
  const receipt = await signReceipt(env, receiptPayload(m, o, cost, now));
  if (m.recorded) return { receipt, cost, written: Promise.resolve() };
  m.recorded = true;
  const r = m.resolved;
  const insert: Write = {
    sql: USAGE_INSERT_SQL,
    params: [
      m.requestId,
      m.key.id,
      m.key.payer,
      r.model,
      r.assetId,
      r.licenseId,
      r.termsId,
      r.token,
      o.routeId,
      m.endpoint,
      m.stream ? 1 : 0,
      o.inputTokens,
      o.outputTokens,
      cost.toString(),
      m.reserved.toString(),
      o.status,
      o.httpStatus,
      now - m.startedAt,
      m.region,
      o.estimated ? 1 : 0,
      now,
      receipt.signature,
      receipt.signer,
    ],
  };
  const usage: Writes = { db: env.METER_DB, binding: "METER_DB", writes: [insert] };
  let written: Promise<void>;
  m.spend.stopKeepAlive();
  if (m.spend.kind === "lease") {
    const charge = chargeLease(env.DB, m.spend.lease, m.requestId, m.reserved, cost);
    written = writeBehindAll([usage, charge.writes]).then(([, results]) => charge.committed(results ?? []));
  } else {
    const settle: Writes = { db: env.DB, binding: CONTROL_BINDING, writes: [settleWrite(m.requestId, cost)] };
    written = writeBehindAll([usage, settle]).then(() => undefined);
  }
  return { receipt, cost, written };
}
