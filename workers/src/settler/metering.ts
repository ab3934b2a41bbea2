// Metering totals for reconciliation: what every region metered per settled epoch, payer and token, and the
// records an epoch should have taken (created before the newest settled watermark) but never did. Epochs whose
// records were archived (settler/archive.ts) count with the totals stored before their records left D1.
import { meterDatabases } from "./meters.ts";

export type MeteringTotals = {
  /** Watermark (unix ms) of the newest settled epoch; records before it should all carry an epoch. */
  settled_watermark: number | null;
  epochs: { epoch_id: number; payer: string; token: string; amount: string; records: number }[];
  unsettled: { payer: string; token: string; amount: string; records: number; oldest_at: number }[];
};

/** Sums every region's usage records; amounts are decimal strings of base units. */
export async function meteringTotals(env: Env): Promise<MeteringTotals> {
  const newest = await env.DB.prepare(
    "SELECT watermark FROM settlement_epochs WHERE status = 'settled' ORDER BY epoch_id DESC LIMIT 1",
  ).first<{ watermark: number }>();
  const watermark = newest?.watermark ?? null;
  const epochs = new Map<string, MeteringTotals["epochs"][number]>();
  const unsettled = new Map<string, MeteringTotals["unsettled"][number]>();
  const addEpoch = (r: { epoch_id: number; payer: string; token: string; amount: string; records: number }) => {
    const key = `${r.epoch_id}/${r.payer}/${r.token}`;
    const sum = epochs.get(key);
    epochs.set(key, {
      epoch_id: r.epoch_id,
      payer: r.payer,
      token: r.token,
      amount: String(BigInt(sum?.amount ?? 0) + BigInt(r.amount)),
      records: (sum?.records ?? 0) + r.records,
    });
  };
  const { results: archived } = await env.DB.prepare(
    `SELECT epoch_id, binding, payer, token, CAST(amount AS TEXT) AS amount, records FROM archived_metering`,
  ).all<{ epoch_id: number; binding: string; payer: string; token: string; amount: string; records: number }>();
  for (const r of archived) addEpoch(r);
  for (const { binding, db } of meterDatabases(env as unknown as Record<string, unknown>)) {
    // Epochs are archived oldest first, so a database's archived epochs are those up to its newest archived one;
    // its records of those (if an archive was cut short) are counted in the stored totals already.
    const archivedUpTo = archived.reduce((m, r) => (r.binding === binding && r.epoch_id > m ? r.epoch_id : m), 0);
    const [tagged, untagged] = await db.batch<{
      epoch_id: number;
      payer: string;
      token: string;
      amount: string;
      records: number;
      oldest_at: number;
    }>([
      db
        .prepare(
          `SELECT epoch_id, payer, token, CAST(SUM(cost) AS TEXT) AS amount, COUNT(*) AS records FROM usage_records
           WHERE epoch_id > ? GROUP BY epoch_id, payer, token`,
        )
        .bind(archivedUpTo),
      db
        .prepare(
          `SELECT payer, token, CAST(SUM(cost) AS TEXT) AS amount, COUNT(*) AS records, MIN(created_at) AS oldest_at
           FROM usage_records WHERE epoch_id IS NULL AND created_at < ? GROUP BY payer, token`,
        )
        .bind(watermark ?? 0),
    ]);
    for (const r of tagged?.results ?? []) addEpoch(r);
    for (const r of untagged?.results ?? []) {
      const key = `${r.payer}/${r.token}`;
      const sum = unsettled.get(key);
      unsettled.set(key, {
        payer: r.payer,
        token: r.token,
        amount: String(BigInt(sum?.amount ?? 0) + BigInt(r.amount)),
        records: (sum?.records ?? 0) + r.records,
        oldest_at: Math.min(sum?.oldest_at ?? r.oldest_at, r.oldest_at),
      });
    }
  }
  return { settled_watermark: watermark, epochs: [...epochs.values()], unsettled: [...unsettled.values()] };
}
