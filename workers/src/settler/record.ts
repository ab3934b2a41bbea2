// Recording a settled epoch in the gateway's spend ledger: lower escrow balances first, then settle the holds.
import { epochLedgerAbi } from "@tributary/schemas/abis";
import type { Address, PublicClient } from "viem";
import { INT64_MAX } from "../gateway/catalog.ts";
import type { Manifest } from "./manifest.ts";

/** Bound parameters per statement stay far under D1's 100. */
const IDS_PER_STATEMENT = 90;
const STATEMENTS_PER_BATCH = 50;

/**
 * After the epoch's transaction is mined: each charged payer's balance is set to its on-chain escrow (which
 * already has the debit), then exactly the epoch's holds are marked settled. In between, a charge is counted
 * both in the lowered balance and as unsettled: `available` is under-counted, never over-counted. Idempotent.
 */
export async function markSettled(
  db: D1Database,
  client: PublicClient,
  ledger: Address,
  manifest: Manifest,
  requestIds: string[],
): Promise<void> {
  await refreshBalances(db, client, ledger, manifest.charges);
  await setHoldsSettled(db, requestIds, Date.now());
}

/** Sets each payer's synced escrow balance to what the ledger holds now. */
export async function refreshBalances(
  db: D1Database,
  client: PublicClient,
  ledger: Address,
  charges: readonly { payer: string; token: string }[],
): Promise<void> {
  const now = Date.now();
  const balances = await Promise.all(
    charges.map(async (c) => {
      const balance = await client.readContract({
        address: ledger,
        abi: epochLedgerAbi,
        functionName: "escrowOf",
        args: [c.payer as Address, c.token as Address],
      });
      return { payer: c.payer, token: c.token, balance: clamp(balance) };
    }),
  );
  const upserts = balances.map((b) =>
    db
      .prepare(
        `INSERT INTO escrow_balances (payer, token, balance, updated_at) VALUES (?, ?, CAST(? AS INTEGER), ?)
         ON CONFLICT(payer, token) DO UPDATE SET balance = excluded.balance, updated_at = excluded.updated_at`,
      )
      .bind(b.payer, b.token, b.balance.toString(), now),
  );
  for (let i = 0; i < upserts.length; i += STATEMENTS_PER_BATCH) {
    await db.batch(upserts.slice(i, i + STATEMENTS_PER_BATCH));
  }
}

/** Balances above SQLite's INTEGER range are stored clamped (refuses spend, never allows it), as the gateway does. */
function clamp(balance: bigint): bigint {
  if (balance > INT64_MAX) return INT64_MAX;
  return balance;
}

/** Marks the holds of `requestIds` settled at `at`, or unsettled again when `at` is null. */
export async function setHoldsSettled(db: D1Database, requestIds: string[], at: number | null): Promise<void> {
  const statements: D1PreparedStatement[] = [];
  const guard = at === null ? "settled_at IS NOT NULL" : "settled_at IS NULL";
  for (let i = 0; i < requestIds.length; i += IDS_PER_STATEMENT) {
    const chunk = requestIds.slice(i, i + IDS_PER_STATEMENT);
    statements.push(
      db
        .prepare(
          `UPDATE spend_holds SET settled_at = ? WHERE ${guard} AND request_id IN (${chunk.map(() => "?").join(",")})`,
        )
        .bind(at, ...chunk),
    );
  }
  for (let i = 0; i < statements.length; i += STATEMENTS_PER_BATCH) {
    await db.batch(statements.slice(i, i + STATEMENTS_PER_BATCH));
  }
}
