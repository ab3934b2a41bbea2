// Chain sync, write side: one D1 batch per range (reorg rewind, state read at the range's last block, cursor).
import { escrowStatement, licenseStatement, termsStatement } from "../gateway/catalog.ts";
import type { RangeState, Touched } from "./sync-read.ts";
import { pairKey } from "./sync-read.ts";

/** Rows a rewind to `block` must read again: everything the sync (or the settler) wrote after it. */
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

/**
 * A rewind forgets the blocks after `block`: balances read at those (reorged-out) blocks step back to `block`, so
 * the re-read at the new range's last block (never below `block`) may replace them despite the block-ordered write.
 */
function rewindStatement(db: D1Database, block: bigint): D1PreparedStatement {
  return db.prepare("UPDATE escrow_balances SET block_number = ?1 WHERE block_number > ?1").bind(Number(block));
}

export type StepWrite = {
  chainId: string;
  /** Set when this step starts with a reorg rewind to this block. */
  rewindTo: bigint | null;
  state: RangeState;
  blockHash: string;
  /** The ledger's tip epoch at the range's last block. */
  ledgerTip: bigint;
};

/**
 * Writes one range step as one transaction: its effects and the cursor move together or not at all. Escrow rows
 * are written only if no newer chain read (the settler's, after recording an epoch) is stored already, and do not
 * raise a balance while a vetoed epoch still waits for the settler to reopen its holds; holds are never touched here.
 */
export async function writeStep(db: D1Database, w: StepWrite): Promise<void> {
  const now = Date.now();
  const s = w.state;
  const statements: D1PreparedStatement[] = [];
  if (w.rewindTo !== null) statements.push(rewindStatement(db, w.rewindTo));
  for (const t of s.terms) statements.push(termsStatement(db, t));
  for (const id of s.deletedTerms) statements.push(db.prepare("DELETE FROM license_terms WHERE id = ?").bind(id));
  for (const l of s.licenses) statements.push(licenseStatement(db, l));
  for (const id of s.deletedLicenses) statements.push(db.prepare("DELETE FROM licenses WHERE id = ?").bind(id));
  for (const e of s.escrow)
    statements.push(escrowStatement(db, { ...e, blockNumber: s.block, ledgerTip: w.ledgerTip }, now));
  statements.push(
    db
      .prepare("UPDATE chain_sync SET block_number = ?, block_hash = ?, updated_at = ? WHERE chain_id = ?")
      .bind(Number(s.block), w.blockHash, now, w.chainId),
  );
  await db.batch(statements);
}
