// Housekeeping of the control database: holds and rows the gateway leaves behind that nothing settles or deletes on
// the request path (expired escrow leases and reservations, released leases, expired payer sessions, old rate-limit
// windows). D1 caps a database at 10 GB, and the control database is shared by every region. Runs hourly
// (scheduled.ts).
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
  sessions: number;
  rateWindows: number;
};

/**
 * Releases the escrow of expired leases and reservations of every payer, then deletes released leases of past days,
 * expired payer sessions and rate-limit windows no longer counted. Each step repeats one bounded statement until it finds fewer
 * rows than it asked for, or has taken MAX_ROWS_PER_RUN. Idempotent: every statement takes only rows its own rule
 * still selects (a released lease is not released again, a deleted row is gone), so a run cut short or repeated, or
 * two runs at once, change nothing twice. Per-request holds are released only when expired and never deleted: the
 * usage archive deletes them once their epoch is final (settler/archive.ts).
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
  const sessions = await inBatches(cap, (limit) => changes(deleteExpiredSessions(db, now, limit)));
  const rateWindows = await inBatches(cap, (limit) => changes(deleteOldRateWindows(db, now, limit)));
  return { leasesReleased, reservationsReleased, leasesDeleted, sessions, rateWindows };
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
