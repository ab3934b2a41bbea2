// Recording a settled epoch in the gateway's spend ledger: lower escrow balances first, then settle the holds.
import { epochLedgerAbi } from "@tributary/schemas/abis";
import type { Address, PublicClient } from "viem";
import { escrowStatement } from "../gateway/catalog.ts";
import type { Manifest } from "./manifest.ts";

/** Bound parameters per statement stay far under D1's 100. */
export const IDS_PER_STATEMENT = 90;
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

/**
 * Sets each payer's synced escrow balance and open withdrawal to what the ledger holds at the latest block, and
 * records that block: the write is block-ordered with the chain sync's (gateway/catalog.ts `escrowStatement`), so
 * a sync read from before the debit (or the refund) cannot overwrite it afterwards.
 */
export async function refreshBalances(
  db: D1Database,
  client: PublicClient,
  ledger: Address,
  charges: readonly { payer: string; token: string }[],
): Promise<void> {
  const now = Date.now();
  const blockNumber = await client.getBlockNumber({ cacheTime: 0 });
  const at = { address: ledger, abi: epochLedgerAbi, blockNumber } as const;
  const balances = await Promise.all(
    charges.map(async (c) => {
      const args = [c.payer as Address, c.token as Address] as const;
      const [balance, withdrawal] = await Promise.all([
        client.readContract({ ...at, functionName: "escrowOf", args }),
        client.readContract({ ...at, functionName: "withdrawalOf", args }),
      ]);
      return { payer: c.payer, token: c.token, balance, withdrawal: withdrawal[0], blockNumber };
    }),
  );
  const upserts = balances.map((b) => escrowStatement(db, b, now));
  for (let i = 0; i < upserts.length; i += STATEMENTS_PER_BATCH) {
    await db.batch(upserts.slice(i, i + STATEMENTS_PER_BATCH));
  }
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
