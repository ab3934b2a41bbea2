// Housekeeping of the control database: holds and rows the gateway leaves behind that nothing settles or deletes on
// the request path (expired escrow leases and reservations, released leases, reservations expired long ago, expired
// payer sessions, old rate-limit windows). D1 caps a database at 10 GB, and the control database is shared by every
// region. Runs hourly (scheduled.ts).
import { deleteReleasedLeases, releaseExpiredLeases } from "./lease.ts";
import { deleteOldRateWindows } from "./rate-limit.ts";
import { deleteExpiredSessions } from "./siwe.ts";
import { releaseExpiredReservations } from "./spend.ts";

/** Rows per statement: each statement stays short, whatever the backlog. */
const ROWS_PER_STATEMENT = 1000;
/**
 * Rows one run takes per step at most, so one cron invocation stays well inside a Worker's limits however large a
 * backlog is (a first run on a database that never had this job, a run missed); the next runs take the rest.
 */
const MAX_ROWS_PER_RUN = 100_000;
/**
 * How long a reservation released as `expired` stays after its expiry before it is deleted (ms): 7 days.
 *
 * Until then a late charge still lands on it (`settleWrite` in spend.ts): its request was alive after all, its
 * heartbeats lost. After, that charge would find no row, and `held` would miss it until its usage record is settled
 * (the settler bills the record all the same, and defers it as a shortfall should the escrow no longer cover it).
 * A non-streaming request ends within its routes' timeouts (`upstreamBoundMs`, upstream.ts) and 30 s of
 * `waitUntil`. A stream has no bound of its own and lives while its client stays connected, but no stream of a
 * model's capped output runs for days, and an update of the Workers runtime ends the requests still running on the
 * old one (after at most 20 minutes' grace). A week covers that with room to spare, and costs one small row per
 * request whose worker died.
 */
export const EXPIRED_RESERVATION_RETENTION_MS = 7 * 86_400_000;

export type PruneOptions = {
  now?: number;
  /** Rows one run takes per step at most (default MAX_ROWS_PER_RUN; tests lower it). */
  maxRowsPerRun?: number;
};

/** What one run did, per step: rows released (leases) or deleted. */
export type Pruned = {
  leasesReleased: number;
  reservationsReleased: number;
  leasesDeleted: number;
  reservationsDeleted: number;
  sessions: number;
  rateWindows: number;
};

/**
 * Releases the escrow of expired leases and reservations of every payer, then deletes released leases of past days,
 * reservations expired EXPIRED_RESERVATION_RETENTION_MS ago, expired payer sessions and rate-limit windows no longer
 * counted. Each step repeats one bounded statement until it finds fewer rows than it asked for, or has taken
 * MAX_ROWS_PER_RUN. Idempotent: every statement takes only rows its own rule still selects (a released lease is not
 * released again, a deleted row is gone), so a run cut short or repeated, or two runs at once, change nothing twice.
 * Other per-request holds (charged, or released at 0 by a failed call) are never deleted here: the usage archive
 * deletes them once their epoch is final (settler/archive.ts).
 */
export async function pruneGateway(db: D1Database, options: PruneOptions = {}): Promise<Pruned> {
  const now = options.now ?? Date.now();
  const cap = options.maxRowsPerRun ?? MAX_ROWS_PER_RUN;
  // Statements on spend_holds count the ids they return: `meta.changes` may include the `held` triggers' updates.
  const rows = async (statement: D1PreparedStatement) => (await statement.all()).results.length;
  const changes = async (statement: D1PreparedStatement) => (await statement.run()).meta.changes;
  const leasesReleased = await inBatches(cap, (limit) => rows(releaseExpiredLeases(db, now, limit)));
  const reservationsReleased = await inBatches(cap, (limit) => rows(releaseExpiredReservations(db, now, limit)));
  // Released leases in id order: each statement starts after the last id the previous one deleted, so the rows it
  // keeps (today's, live leases) are read once per run, not once per statement.
  let after: string | undefined;
  const leasesDeleted = await inBatches(cap, async (limit) => {
    const { results } = await deleteReleasedLeases(db, now, limit, after).all<{ request_id: string }>();
    for (const { request_id } of results) if (after === undefined || request_id > after) after = request_id;
    return results.length;
  });
  // Expired reservations in created_at order, each statement starting at the newest one the previous deleted, so
  // the unsettled charges it keeps (a payer the settler carries over) are read once per run.
  let from = 0;
  const reservationsDeleted = await inBatches(cap, async (limit) => {
    const { results } = await deleteExpiredReservations(db, now, limit, from).all<{ created_at: number }>();
    for (const { created_at } of results) from = Math.max(from, created_at);
    return results.length;
  });
  const sessions = await inBatches(cap, (limit) => changes(deleteExpiredSessions(db, now, limit)));
  const rateWindows = await inBatches(cap, (limit) => changes(deleteOldRateWindows(db, now, limit)));
  return { leasesReleased, reservationsReleased, leasesDeleted, reservationsDeleted, sessions, rateWindows };
}

/**
 * Deletes up to `limit` reservations released as `expired` (their worker died before charging them) whose expiry
 * is EXPIRED_RESERVATION_RETENTION_MS before `now`, created at `from` or later, in created_at order, and returns
 * their `created_at`. Without this they stay for good, one row per such request.
 *
 * An expired row holds 0 (`amount = 0` is checked all the same), so `held` (its delete trigger moves it by 0), the
 * keys' daily limits (Σ amount per key and day) and the escrow view (which sums `reserved` and `leased` rows) read
 * the same without it. One the settler marked settled (its request lived and wrote a usage record, but its charge
 * never landed) is left to the usage archive, which deletes it with its epoch. Once the row is gone its
 * `X-Request-Id` may be used again, as the ids of archived requests may. Found through the index of unsettled holds
 * by time: a reservation expires after its creation (admission stamps its start + LEASE_SWEEP_AFTER_MS, heartbeats
 * only push that on), so it was created before the cut-off too; the bound on `created_at` narrows the search and
 * could only make a row go later, never sooner.
 */
function deleteExpiredReservations(db: D1Database, now: number, limit: number, from: number): D1PreparedStatement {
  const before = now - EXPIRED_RESERVATION_RETENTION_MS;
  return db
    .prepare(
      `DELETE FROM spend_holds WHERE rowid IN (SELECT rowid FROM spend_holds
       WHERE settled_at IS NULL AND created_at >= ?1 AND created_at < ?2
         AND state = 'expired' AND amount = 0 AND expires_at < ?2
       ORDER BY created_at LIMIT ?3)
       RETURNING created_at`,
    )
    .bind(from, before, limit);
}

/** Runs `step` with limits of ROWS_PER_STATEMENT until it takes fewer rows than allowed or `cap` rows in all. */
async function inBatches(cap: number, step: (limit: number) => Promise<number>): Promise<number> {
  let total = 0;
  while (total < cap) {
    const limit = Math.min(ROWS_PER_STATEMENT, cap - total);
    const taken = await step(limit);
    total += taken;
    if (taken < limit) break;
  }
  return total;
}
