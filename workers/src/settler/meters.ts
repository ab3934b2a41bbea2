// The regional meter databases the settler reads: tag records with an epoch, scan them, carry some over.
import { AppError } from "../errors.ts";
import type { UsageAggregate } from "./aggregate.ts";

export type MeterDb = { binding: string; db: D1Database };

/** The D1 bindings named by SETTLEMENT_METER_BINDINGS (comma-separated; default METER_DB). */
export function meterDatabases(env: Record<string, unknown> & { SETTLEMENT_METER_BINDINGS?: string }): MeterDb[] {
  const names = (env.SETTLEMENT_METER_BINDINGS ?? "METER_DB")
    .split(",")
    .map((n) => n.trim())
    .filter(Boolean);
  return names.map((binding) => {
    const db = env[binding] as D1Database | undefined;
    if (!db || typeof (db as { prepare?: unknown }).prepare !== "function") {
      throw new AppError("unavailable", `The settler has no D1 binding ${binding} (SETTLEMENT_METER_BINDINGS).`);
    }
    return { binding, db };
  });
}

/** Assigns every untagged record created before the watermark to the epoch (idempotent). */
export async function tagRecords(meters: MeterDb[], epochId: number, watermark: number): Promise<void> {
  await Promise.all(
    meters.map(({ db }) =>
      db
        .prepare("UPDATE usage_records SET epoch_id = ? WHERE epoch_id IS NULL AND created_at < ?")
        .bind(epochId, watermark)
        .run(),
    ),
  );
}

const PAGE = 5000;

/** Reads the epoch's records of every region into the aggregate, in pages by request id; returns counts. */
export async function scanRecords(
  meters: MeterDb[],
  epochId: number,
  into: UsageAggregate,
): Promise<{ binding: string; records: number }[]> {
  const counts: { binding: string; records: number }[] = [];
  for (const { binding, db } of meters) {
    let after = "";
    let records = 0;
    for (;;) {
      const { results } = await db
        .prepare(
          `SELECT request_id, payer, token, model_asset, CAST(cost AS TEXT) AS cost FROM usage_records
           WHERE epoch_id = ? AND request_id > ? ORDER BY request_id LIMIT ?`,
        )
        .bind(epochId, after, PAGE)
        .all<{ request_id: string; payer: string; token: string; model_asset: string; cost: string }>();
      for (const r of results) {
        into.add({
          requestId: r.request_id,
          payer: r.payer,
          token: r.token,
          modelAsset: r.model_asset,
          cost: BigInt(r.cost),
        });
      }
      records += results.length;
      const last = results.at(-1);
      if (!last || results.length < PAGE) break;
      after = last.request_id;
    }
    counts.push({ binding, records });
  }
  return counts;
}

/** Carries records over to a later epoch: by payer and token, or by model asset. */
export async function untagRecords(
  meters: MeterDb[],
  epochId: number,
  which: { payer: string; token: string } | { assetId: string },
): Promise<void> {
  await Promise.all(
    meters.map(({ db }) =>
      "assetId" in which
        ? db
            .prepare("UPDATE usage_records SET epoch_id = NULL WHERE epoch_id = ? AND lower(model_asset) = ?")
            .bind(epochId, which.assetId)
            .run()
        : db
            .prepare(
              "UPDATE usage_records SET epoch_id = NULL WHERE epoch_id = ? AND lower(payer) = ? AND lower(token) = ?",
            )
            .bind(epochId, which.payer, which.token)
            .run(),
    ),
  );
}
