// Chain sync, write side: one D1 batch per range (reorg rewind, state, charges, hold matching, cursor).
import { escrowStatement, INT64_MAX, licenseStatement, termsStatement } from "../gateway/catalog.ts";
import type { Debit, RangeState, Refund, Touched } from "./sync-read.ts";
import { pairKey } from "./sync-read.ts";

/**
 * Seconds of clock difference tolerated between the chain and the gateway: a debit can only cover holds created
 * before its block's timestamp plus this, so debits the gateway never metered (a restored database, another
 * deployment) cannot mark newer holds as settled.
 */
export const CLOCK_SKEW_SECONDS = 60n;

const int = (amount: bigint) => (amount > INT64_MAX ? INT64_MAX : amount).toString();

/** Rows a rewind to `block` must read again: everything the sync wrote after it. */
export async function touchedAfter(db: D1Database, block: bigint, touched: Touched): Promise<void> {
  const after = Number(block);
  const [terms, licenses, escrow] = await db.batch<{ id?: string; payer?: string; token?: string }>([
    db.prepare("SELECT id FROM license_terms WHERE block_number > ?").bind(after),
    db.prepare("SELECT id FROM licenses WHERE block_number > ?").bind(after),
    db.prepare("SELECT payer, token FROM escrow_balances WHERE block_number > ?").bind(after),
  ]);
  for (const r of terms?.results ?? []) if (r.id) touched.terms.add(r.id);
  for (const r of licenses?.results ?? []) if (r.id) touched.licenses.add(r.id);
  for (const r of escrow?.results ?? []) if (r.payer && r.token) touched.escrow.add(pairKey(r.payer, r.token));
}

/** Undoes what blocks after `block` did to charges: unmarks their holds, forgets their debits and refunds. */
function rewindStatements(db: D1Database, block: bigint): D1PreparedStatement[] {
  const after = Number(block);
  return [
    db
      .prepare(
        `UPDATE spend_holds SET settled_at = NULL, settled_by = NULL
         WHERE settled_by IN (SELECT id FROM chain_charges WHERE block_number > ?)`,
      )
      .bind(after),
    db.prepare("DELETE FROM chain_charges WHERE block_number > ?").bind(after),
    // A refund undone: its debit counts again; its holds were unmarked by the refund and are matched again below.
    db.prepare("UPDATE chain_charges SET refunded_block = NULL WHERE refunded_block > ?").bind(after),
  ];
}

function debitStatement(db: D1Database, d: Debit): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO chain_charges (id, epoch_id, payer, token, amount, matched, block_number, block_time)
       VALUES (?, ?, ?, ?, CAST(? AS INTEGER), 0, ?, ?) ON CONFLICT(id) DO NOTHING`,
    )
    .bind(d.id, Number(d.epochId), d.payer, d.token, int(d.amount), Number(d.blockNumber), Number(d.blockTime));
}

/** A vetoed epoch's charges are back in escrow: their holds are unsettled again. */
function refundStatements(db: D1Database, r: Refund): D1PreparedStatement[] {
  const open = "epoch_id = ?1 AND payer = ?2 AND token = ?3 AND refunded_block IS NULL";
  return [
    db
      .prepare(
        `UPDATE spend_holds SET settled_at = NULL, settled_by = NULL
         WHERE settled_by IN (SELECT id FROM chain_charges WHERE ${open})`,
      )
      .bind(Number(r.epochId), r.payer, r.token),
    db
      .prepare(`UPDATE chain_charges SET refunded_block = ?4, matched = 0 WHERE ${open}`)
      .bind(Number(r.epochId), r.payer, r.token, Number(r.blockNumber)),
  ];
}

/**
 * Marks as settled the oldest unsettled finished holds of the debit's payer and token whose running sum fits in
 * what the debit has not matched yet, then records the matched sum. The marked sum never exceeds the debited
 * amount, so a charge the chain has not debited is never dropped from the unsettled spend.
 */
function matchStatements(db: D1Database, id: string, now: number): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `UPDATE spend_holds SET settled_at = ?2, settled_by = ?1 WHERE request_id IN (
           SELECT request_id FROM (
             SELECT h.request_id, sum(h.amount) OVER (ORDER BY h.created_at, h.request_id) AS running
             FROM spend_holds h, chain_charges c
             WHERE c.id = ?1 AND c.refunded_block IS NULL AND h.payer = c.payer AND h.token = c.token AND h.settled_at IS NULL
               AND h.state IN ('charged', 'released') AND h.created_at < (c.block_time + ?3) * 1000)
           WHERE running <= (SELECT amount - matched FROM chain_charges WHERE id = ?1))`,
      )
      .bind(id, now, Number(CLOCK_SKEW_SECONDS)),
    db
      .prepare(
        "UPDATE chain_charges SET matched = (SELECT coalesce(sum(amount), 0) FROM spend_holds WHERE settled_by = ?1) WHERE id = ?1",
      )
      .bind(id),
  ];
}

/** Ids of debits not fully matched yet, oldest first (a hold may have still been in flight at the last sync). */
export async function openDebits(db: D1Database): Promise<string[]> {
  const { results } = await db
    .prepare(
      "SELECT id FROM chain_charges WHERE refunded_block IS NULL AND matched < amount ORDER BY block_number, id LIMIT 500",
    )
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

export type StepWrite = {
  chainId: string;
  /** Set when this step starts with a reorg rewind to this block. */
  rewindTo: bigint | null;
  state: RangeState;
  blockHash: string;
  /** Debits left unmatched by earlier runs. */
  open: string[];
};

/** Writes one range step as one transaction: its effects and the cursor move together or not at all. */
export async function writeStep(db: D1Database, w: StepWrite): Promise<void> {
  const now = Date.now();
  const s = w.state;
  const statements: D1PreparedStatement[] = [];
  if (w.rewindTo !== null) statements.push(...rewindStatements(db, w.rewindTo));
  for (const d of s.debits) statements.push(debitStatement(db, d));
  for (const r of s.refunds) statements.push(...refundStatements(db, r));
  for (const t of s.terms) statements.push(termsStatement(db, t));
  for (const id of s.deletedTerms) statements.push(db.prepare("DELETE FROM license_terms WHERE id = ?").bind(id));
  for (const l of s.licenses) statements.push(licenseStatement(db, l));
  for (const id of s.deletedLicenses) statements.push(db.prepare("DELETE FROM licenses WHERE id = ?").bind(id));
  for (const e of s.escrow) statements.push(escrowStatement(db, { ...e, blockNumber: s.block }, now));
  const toMatch = new Set([...w.open, ...s.debits.map((d) => d.id)]);
  for (const id of toMatch) statements.push(...matchStatements(db, id, now));
  statements.push(
    db
      .prepare("UPDATE chain_sync SET block_number = ?, block_hash = ?, updated_at = ? WHERE chain_id = ?")
      .bind(Number(s.block), w.blockHash, now, w.chainId),
  );
  await db.batch(statements);
}
