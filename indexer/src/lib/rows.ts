// Small helpers the handlers share: event position columns, UTC days, and the daily rollup upserts.
import type { Context } from "ponder:registry";
import { accountDaily, adminEvent } from "ponder:schema";
import type { Hex } from "viem";

type Db = Context["db"];

/** A payer's escrow row before its first movement. */
export const emptyEscrow = {
  balance: 0n,
  deposited: 0n,
  withdrawn: 0n,
  charged: 0n,
  refunded: 0n,
  withdrawalRequested: 0n,
  withdrawalUnlockEpoch: null,
  withdrawalUnlockAt: null,
};

/** The position columns (`blockNumber`, `timestamp`, `transactionHash`) of an event's row. */
export function at(event: { block: { number: bigint; timestamp: bigint }; transaction: { hash: Hex } }) {
  return { blockNumber: event.block.number, timestamp: event.block.timestamp, transactionHash: event.transaction.hash };
}

/** The UTC day ("YYYY-MM-DD") of a block timestamp in seconds. */
export function dayOf(timestamp: bigint): string {
  return new Date(Number(timestamp) * 1000).toISOString().slice(0, 10);
}

/** The amounts an event adds to one account's day; missing fields add nothing. */
export type AccountDelta = Partial<Record<"claimed" | "deposited" | "charged" | "refunded" | "withdrawn", bigint>> & {
  claimCount?: number;
};

/** Adds `delta` to the account's row for the event's day, creating it at zero first. */
export async function bumpAccountDaily(
  db: Db,
  key: { chainId: number; account: Hex; token: Hex; timestamp: bigint },
  delta: AccountDelta,
): Promise<void> {
  const d = { claimed: 0n, deposited: 0n, charged: 0n, refunded: 0n, withdrawn: 0n, claimCount: 0, ...delta };
  await db
    .insert(accountDaily)
    .values({ chainId: key.chainId, account: key.account, token: key.token, day: dayOf(key.timestamp), ...d })
    .onConflictDoUpdate((row) => ({
      claimed: row.claimed + d.claimed,
      claimCount: row.claimCount + d.claimCount,
      deposited: row.deposited + d.deposited,
      charged: row.charged + d.charged,
      refunded: row.refunded + d.refunded,
      withdrawn: row.withdrawn + d.withdrawn,
    }));
}

/** Appends one role, pause, ownership or wiring change to the admin log. */
export async function logAdmin(
  db: Db,
  event: { id: string; block: { number: bigint; timestamp: bigint }; transaction: { hash: Hex } },
  row: { chainId: number; contract: string; kind: string; role?: string; account: Hex; previous?: Hex },
): Promise<void> {
  await db
    .insert(adminEvent)
    .values({ id: event.id, ...row, ...at(event) })
    .onConflictDoNothing();
}
