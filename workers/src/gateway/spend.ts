// Spend control: reserve the worst case against escrow in one conditional statement, settle the actual cost after.
// Requests with gateway-made ids are admitted against an isolate's escrow lease instead (lease.ts); a per-request
// reservation is used when the client chose the request id, whose uniqueness per payer only the database can check.
import { AppError } from "../errors.ts";
import type { Write } from "./write-behind.ts";

/**
 * available = escrow − pending withdrawal − unsettled charges − in-flight reservations. The hold is inserted only if
 * the reservation fits, and the check and the insert are one SQLite statement: D1 runs statements of a database one
 * at a time, so concurrent requests see each other's holds and can never reserve more than the escrow holds. `held`
 * is the sum of the pair's unsettled holds, kept by triggers within each statement that changes a hold, so the check
 * costs the same whatever the number of holds.
 *
 * The hold's id ?1 is the payer's (`<client id>@<payer>`, request-id.ts), so its key refuses the payer's second use of
 * a client id; ?10 is the client's id as it is, which the payer's own holds may carry too (a gateway id the client sent
 * back, or a client id recorded before client ids were scoped): the payer's use of it in either form is a reuse, and
 * a receipt looked up by it names one request. Another payer's holds are never read.
 */
const RESERVE_SQL = `
INSERT INTO spend_holds (request_id, payer, token, key_id, day, reserved, amount, state, created_at, expires_at)
SELECT ?1, ?2, ?3, ?4, ?5, CAST(?6 AS INTEGER), CAST(?6 AS INTEGER), 'reserved', ?7, ?9
WHERE coalesce((SELECT balance - withdrawal - held FROM escrow_balances WHERE payer = ?2 AND token = ?3), 0)
    >= CAST(?6 AS INTEGER)
  AND (?8 IS NULL OR coalesce((SELECT sum(amount) FROM spend_holds WHERE key_id = ?4 AND day = ?5), 0)
    + CAST(?6 AS INTEGER) <= CAST(?8 AS INTEGER))
  AND NOT EXISTS (SELECT 1 FROM spend_holds WHERE request_id = ?10 AND payer = ?2)
ON CONFLICT(request_id) DO NOTHING
RETURNING request_id`;

export type ReserveParameters = {
  /** The hold's id: the request id, which for a client's own id is the payer's (`payerRequestId`). */
  requestId: string;
  /** The client's `X-Request-Id` as it sent it, when it chose the id (a reuse is then refused with 409). */
  clientRequestId?: string | null;
  payer: string;
  token: string;
  keyId: string;
  /** Worst-case cost in base units. */
  amount: bigint;
  /** The key's spend cap per UTC day in base units, if any. */
  dailyLimit: bigint | null;
  now: number;
};

/** The binding of the control database, which holds escrow, holds and leases (for the write-behind queues). */
export const CONTROL_BINDING = "DB";

/** The UTC day of a time, as YYYY-MM-DD (daily spend limits count per UTC day). */
export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * Reserves the worst case or throws `insufficient_quota` (402), or `conflict` when the payer used the request id. Until
 * `expiresAt` the reservation is its request's; after, a sweep may release it (`EXPIRED_RESERVATION`), unless a
 * heartbeat moved it on (gateway/lease.ts `keepHoldAlive`).
 */
export async function reserve(db: D1Database, p: ReserveParameters, expiresAt: number): Promise<void> {
  const inserted = await db
    .prepare(RESERVE_SQL)
    .bind(
      p.requestId,
      p.payer,
      p.token,
      p.keyId,
      utcDay(p.now),
      p.amount.toString(),
      p.now,
      p.dailyLimit?.toString() ?? null,
      expiresAt,
      p.clientRequestId ?? p.requestId,
    )
    .first<{ request_id: string }>();
  if (!inserted) await refuse(db, p);
}

/** Explains why a reservation (or a lease grant, with what the lease still `leased`) failed, as the error to answer. */
export async function refuse(db: D1Database, p: ReserveParameters, leased = 0n): Promise<never> {
  const day = utcDay(p.now);
  // Only the payer's own holds are read: whether another payer used an id is not this payer's to learn.
  const clientId = p.clientRequestId;
  const existing = clientId
    ? await db
        .prepare("SELECT 1 AS n FROM spend_holds WHERE request_id IN (?, ?) AND payer = ?")
        .bind(p.requestId, clientId, p.payer)
        .first<{ n: number }>()
    : null;
  if (existing) {
    throw new AppError("conflict", `A request with id ${clientId} was already processed; use a new X-Request-Id.`);
  }
  const row = await db
    .prepare(
      `SELECT CAST(coalesce((SELECT balance - withdrawal - held FROM escrow_balances WHERE payer = ?1 AND token = ?2), 0)
         AS TEXT) AS available`,
    )
    .bind(p.payer, p.token)
    .first<{ available: string }>();
  // What this isolate's escrow lease still has counts as available too (`leased`, see lease.ts).
  const available = BigInt(row?.available ?? "0") + leased;
  if (available < p.amount) {
    throw new AppError(
      "insufficient_quota",
      `You exceeded your current quota: this request may cost up to ${p.amount} base units of ${p.token} ` +
        `but only ${available < 0n ? 0n : available} are available in escrow. Deposit more or lower max_tokens.`,
    );
  }
  // The key's daily limit: what is left of it today is the limit less every hold of the key today (charges, worst
  // cases in flight, leases), plus what this isolate's lease still has free.
  const spent = await db
    .prepare("SELECT CAST(coalesce(sum(amount), 0) AS TEXT) AS spent FROM spend_holds WHERE key_id = ? AND day = ?")
    .bind(p.keyId, day)
    .first<{ spent: string }>();
  const limit = p.dailyLimit ?? 0n;
  const leftToday = limit - BigInt(spent?.spent ?? "0") + leased;
  const midnight = Date.parse(`${day}T00:00:00Z`) + 86_400_000;
  const resets = new Date(midnight).toISOString();
  if (leftToday > 0n) {
    // A smaller request may fit now: no Retry-After.
    throw new AppError(
      "insufficient_quota",
      `This request may cost up to ${p.amount} base units, but this API key has ${leftToday} left of its daily spend ` +
        `limit of ${limit} (it resets at ${resets}). Lower max_tokens or the prompt, or wait.`,
    );
  }
  throw new AppError(
    "insufficient_quota",
    `This API key reached its daily spend limit of ${limit} base units; it resets at ${resets}.`,
    { retryAfterSeconds: Math.ceil((midnight - p.now) / 1000) },
  );
}

/**
 * Turns a reservation into the actual charge (`chargeOf` in meter.ts); a second call changes nothing. A reservation
 * a sweep took back (`expired`: its request outlived its expiry without a heartbeat landing) is charged all the same:
 * the call happened and its usage record is written, so the charge is what `held` must count.
 */
export function settleWrite(requestId: string, amount: bigint): Write {
  return {
    sql: `UPDATE spend_holds SET amount = CAST(?2 AS INTEGER), state = CASE WHEN CAST(?2 AS INTEGER) = 0
      THEN 'released' ELSE 'charged' END WHERE request_id = ?1 AND state IN ('reserved', 'expired')`,
    params: [requestId, amount.toString()],
  };
}

/**
 * A reservation whose request stopped confirming it: its worker went away between admission and charge (a crash,
 * an evicted isolate), so nothing will ever settle it. Released as `expired` with amount 0, which gives its worst
 * case back to the payer; `settleWrite` still charges it should its request turn out to be alive after all.
 */
const EXPIRED_RESERVATION = "state = 'reserved' AND expires_at < ?1";
const EXPIRE_RESERVATIONS = "UPDATE spend_holds SET amount = 0, state = 'expired' WHERE";

/** Releases the expired reservations of one payer in a token (with each lease grant, gateway/lease.ts). */
export function releaseExpiredReservationsOf(
  db: D1Database,
  now: number,
  payer: string,
  token: string,
): D1PreparedStatement {
  return db
    .prepare(`${EXPIRE_RESERVATIONS} ${EXPIRED_RESERVATION} AND payer = ?2 AND token = ?3`)
    .bind(now, payer, token);
}

/**
 * Releases up to `limit` expired reservations of every payer (the hourly housekeeping, gateway/prune.ts) and returns
 * their ids (count them: `meta.changes` includes the triggers' updates of `escrow_balances`).
 */
export function releaseExpiredReservations(db: D1Database, now: number, limit: number): D1PreparedStatement {
  return db
    .prepare(
      `${EXPIRE_RESERVATIONS} rowid IN (SELECT rowid FROM spend_holds WHERE ${EXPIRED_RESERVATION} LIMIT ?2)
       RETURNING request_id`,
    )
    .bind(now, limit);
}
