// Usage retention: the records of epochs that are final on-chain move from the meter databases to R2, leaving their
// daily rollups behind, and the holds they settled leave the control database, so D1 (10 GB per database) holds only
// recent usage.
import { epochLedgerAbi } from "@tributary/schemas/abis";
import { chainClient, chainConfig } from "../chain/config.ts";
import { AppError } from "../errors.ts";
import { utcDay } from "../gateway/spend.ts";
import { RECORD_DAY_SQL } from "../gateway/usage.ts";
import { EPOCH_STATUS } from "./chain-reads.ts";
import { type MeterDb, meterDatabases } from "./meters.ts";
import { IDS_PER_STATEMENT } from "./record.ts";
import type { SettlerEnv } from "./settings.ts";

/** Records per R2 part (one NDJSON object) and per delete. */
const PART_RECORDS = 1000;
/** Settled holds deleted per statement. */
const HOLDS_PER_STATEMENT = 500;
/**
 * A run starts no further epoch once it has archived this many records, so one cron invocation stays well inside a
 * Worker's CPU and memory limits however large a backlog is (the next runs take the rest, oldest first).
 */
const MAX_RECORDS_PER_RUN = 200_000;

/**
 * Adds the records matched by `where` to their daily rollups (`usage_daily`, which `GET /v1/usage` reads beside the
 * live records). An overflowing `cost` fails the table's CHECK, and with it the batch, instead of turning into a REAL.
 */
const rollupSql = (where: string) =>
  `INSERT INTO usage_daily (payer, day, model, token, requests, input_tokens, output_tokens, cost, estimated)
   SELECT payer, ${RECORD_DAY_SQL}, model, token, count(*), sum(input_tokens), sum(output_tokens), sum(cost),
     sum(estimated)
   FROM usage_records WHERE ${where} GROUP BY 1, 2, 3, 4
   ON CONFLICT (payer, day, model, token) DO UPDATE SET requests = requests + excluded.requests,
     input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
     cost = cost + excluded.cost, estimated = estimated + excluded.estimated`;

/** R2 prefix of an epoch's archived records: a folder per meter database binding under it. */
export const archivePrefix = (epochId: number) => `settlement/epochs/${epochId}/usage/`;

/**
 * R2 key of one part of an epoch's archived records: named by its first request id, so a rerun rewrites it, and
 * parts of a folder in key order hold consecutive ranges of request ids (gateway/archived-receipts.ts reads one).
 */
export const archiveKey = (epochId: number, binding: string, firstRequestId: string) =>
  `${archivePrefix(epochId)}${binding}/${firstRequestId}.ndjson`;

/**
 * The R2 bucket an archived meter database's records go to: `SETTLEMENT_ARCHIVE_BUCKETS` maps meter bindings to R2
 * bindings (`METER_DB_EU:ARCHIVE_EU,…`), and a meter binding it does not name archives to `BUCKET`. Each region's
 * records stay in that region's own bucket (and jurisdiction), where its gateway finds old receipts
 * (gateway/archived-receipts.ts).
 */
export function archiveBucketOf(env: SettlerEnv, meterBinding: string): R2Bucket {
  const pairs = (env.SETTLEMENT_ARCHIVE_BUCKETS ?? "")
    .split(",")
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => pair.split(":").map((name) => name.trim()));
  const named = pairs.find(([meter]) => meter === meterBinding)?.[1];
  const bucket = (env as unknown as Record<string, unknown>)[named ?? "BUCKET"] as R2Bucket | undefined;
  if (pairs.some((pair) => pair.length !== 2 || !pair[0] || !pair[1]) || !bucket || typeof bucket.put !== "function") {
    throw new AppError(
      "unavailable",
      `The settler has no R2 binding ${named ?? "BUCKET"} to archive ${meterBinding} to (SETTLEMENT_ARCHIVE_BUCKETS: ` +
        "comma-separated METER_BINDING:R2_BINDING pairs).",
    );
  }
  return bucket;
}

export type ArchiveOptions = { now?: number };

export type ArchivedEpoch = { epochId: number; records: number; parts: number; holds: number };

/** Days of usage kept in D1 (`USAGE_RETENTION_DAYS`); null: nothing is archived. */
export function retentionMs(env: { USAGE_RETENTION_DAYS?: string }): number | null {
  const value = env.USAGE_RETENTION_DAYS;
  if (value === undefined || value === "") return null;
  const days = Number(value);
  if (!Number.isInteger(days) || days < 0 || days > 36_500) {
    throw new AppError("unavailable", "The variable USAGE_RETENTION_DAYS must be a whole number of days, 0 to 36500.");
  }
  return days * 86_400_000;
}

type SettledEpoch = { epoch_id: number; watermark: number; updated_at: number };

/**
 * Archives settled epochs in order, oldest first, while each is final on the ledger and its watermark is older than
 * the retention. Per epoch and meter database: its totals per payer and token are stored first (reconciliation reads
 * them from then on), then its records go to R2 as NDJSON parts of PART_RECORDS, each part deleted from D1 once it is
 * stored, in the transaction that adds it to the meter database's daily rollups (`GET /v1/usage` groups). Then the
 * holds that epochs up to this one settled are deleted, except today's, which the daily spend limits still count
 * (they go with a later run). Every step is idempotent, so a run cut short is finished by the next.
 */
export async function archiveFinalEpochs(env: SettlerEnv, options: ArchiveOptions = {}): Promise<ArchivedEpoch[]> {
  const retention = retentionMs(env);
  if (retention === null) return [];
  const now = options.now ?? Date.now();
  const config = chainConfig(env);
  const client = chainClient(config);
  // Every meter database's bucket is resolved first: a missing one fails the run before anything moves.
  const meters = meterDatabases(env as unknown as Record<string, unknown>).map((meter) => ({
    ...meter,
    bucket: archiveBucketOf(env, meter.binding),
  }));
  const { results } = await env.DB.prepare(
    `SELECT epoch_id, watermark, updated_at FROM settlement_epochs
     WHERE status = 'settled' AND archived_at IS NULL AND watermark <= ? ORDER BY epoch_id`,
  )
    .bind(now - retention)
    .all<SettledEpoch>();
  const archived: ArchivedEpoch[] = [];
  let total = 0;
  for (const epoch of results) {
    if (total >= MAX_RECORDS_PER_RUN) break;
    const onChain = await client.readContract({
      address: config.contracts.epochLedger,
      abi: epochLedgerAbi,
      functionName: "epochOf",
      args: [BigInt(epoch.epoch_id)],
    });
    // Final: no veto can refund the epoch any more. Epochs become final in order, so one that is not final yet
    // holds back every later one.
    if (onChain.status !== EPOCH_STATUS.final) break;
    let records = 0;
    let parts = 0;
    for (const meter of meters) {
      const moved = await archiveRecords(env, meter, epoch.epoch_id);
      records += moved.records;
      parts += moved.parts;
    }
    // Holds settled up to this epoch's settlement (settler/record.ts settles them before the epoch row says
    // `settled`); a vetoed epoch's holds were unsettled again, so none of them is taken.
    const holds = await deleteSettledHolds(env.DB, epoch.updated_at, utcDay(now));
    await env.DB.prepare("UPDATE settlement_epochs SET archived_at = ? WHERE epoch_id = ? AND archived_at IS NULL")
      .bind(now, epoch.epoch_id)
      .run();
    archived.push({ epochId: epoch.epoch_id, records, parts, holds });
    total += records;
  }
  return archived;
}

type RecordRow = Record<string, unknown> & { request_id: string };

/** A meter database and the bucket its archived records go to. */
type ArchiveTarget = MeterDb & { bucket: R2Bucket };

async function archiveRecords(env: SettlerEnv, { binding, db, bucket }: ArchiveTarget, epochId: number) {
  // The totals first, in one batch, before any record is deleted; a run cut short already stored them, from every
  // record, so they are never summed again from what is left.
  const stored = await env.DB.prepare("SELECT 1 AS n FROM archived_metering WHERE epoch_id = ? AND binding = ? LIMIT 1")
    .bind(epochId, binding)
    .first();
  if (!stored) {
    const { results: totals } = await db
      .prepare(
        `SELECT payer, token, CAST(SUM(cost) AS TEXT) AS amount, COUNT(*) AS records FROM usage_records
         WHERE epoch_id = ? GROUP BY payer, token`,
      )
      .bind(epochId)
      .all<{ payer: string; token: string; amount: string; records: number }>();
    if (totals.length > 0) {
      await env.DB.batch(
        totals.map((t) =>
          env.DB.prepare(
            `INSERT INTO archived_metering (epoch_id, binding, payer, token, amount, records)
             VALUES (?, ?, ?, ?, CAST(? AS INTEGER), ?) ON CONFLICT DO NOTHING`,
          ).bind(epochId, binding, t.payer, t.token, t.amount, t.records),
        ),
      );
    }
  }
  let records = 0;
  let parts = 0;
  for (;;) {
    const { results: page } = await db
      .prepare(
        `SELECT *, CAST(cost AS TEXT) AS cost, CAST(reserved AS TEXT) AS reserved FROM usage_records
         WHERE epoch_id = ? ORDER BY request_id LIMIT ?`,
      )
      .bind(epochId, PART_RECORDS)
      .all<RecordRow>();
    const first = page[0];
    if (!first) break;
    await bucket.put(
      archiveKey(epochId, binding, first.request_id),
      `${page.map((r) => JSON.stringify(r)).join("\n")}\n`,
      { httpMetadata: { contentType: "application/x-ndjson" } },
    );
    const ids = page.map((r) => r.request_id);
    const statements: D1PreparedStatement[] = [];
    for (let i = 0; i < ids.length; i += IDS_PER_STATEMENT) {
      const chunk = ids.slice(i, i + IDS_PER_STATEMENT);
      const inChunk = `epoch_id = ? AND request_id IN (${chunk.map(() => "?").join(",")})`;
      statements.push(
        db.prepare(rollupSql(inChunk)).bind(epochId, ...chunk),
        db.prepare(`DELETE FROM usage_records WHERE ${inChunk}`).bind(epochId, ...chunk),
      );
    }
    // One batch is one transaction: a record leaves `usage_records` exactly when it is added to its rollup, so a run
    // cut short anywhere has counted each record once, live or rolled up, and the rerun takes the rest.
    await db.batch(statements);
    records += page.length;
    parts++;
  }
  return { records, parts };
}

/** Deletes holds settled at or before `settledBy` of days before `today`; returns how many. */
async function deleteSettledHolds(db: D1Database, settledBy: number, today: string): Promise<number> {
  let deleted = 0;
  for (;;) {
    const result = await db
      .prepare(
        `DELETE FROM spend_holds WHERE rowid IN (SELECT rowid FROM spend_holds
         WHERE settled_at IS NOT NULL AND settled_at <= ? AND day < ? LIMIT ?)`,
      )
      .bind(settledBy, today, HOLDS_PER_STATEMENT)
      .run();
    deleted += result.meta.changes;
    if (result.meta.changes < HOLDS_PER_STATEMENT) return deleted;
  }
}
