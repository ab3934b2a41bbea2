// Escrow leases: an isolate reserves a slice of a key's spendable escrow in one conditional statement and admits
// requests against it in memory, so the request path waits for no database in the common case.
import { CHARGE_INSERT_SQL } from "./metering-sql.ts";
import { CONTROL_BINDING, type ReserveParameters, refuse, releaseExpiredReservationsOf, utcDay } from "./spend.ts";
import { type Write, type Writes, writeBehind } from "./write-behind.ts";

/** An isolate admits requests against a lease only this long after the database last confirmed it live (ms). */
export const LEASE_TTL_MS = 30_000;
/**
 * A lease whose isolate has not confirmed it for this long may be released by any grant for its payer (ms). The
 * margin over LEASE_TTL_MS covers clock skew between isolates and the time a confirming write takes to land.
 */
export const LEASE_SWEEP_AFTER_MS = 120_000;
/** A streaming request still running confirms its lease at least this often (ms), so a long stream keeps it live. */
export const LEASE_HEARTBEAT_MS = 20_000;
/** A grant takes at most 1/LEASE_SHARE of what is available beyond what the waiting request needs. */
const LEASE_SHARE = 4;
/** The first grant of a lease aims at this many worst cases of the request that opened it; each refill doubles it. */
const FIRST_GRANT_MULTIPLE = 8n;

/** Leases and holds live in the control database; `db` is this request's binding object for it. */
const writeControl = (db: D1Database, writes: Write[]) => writeBehind(db, CONTROL_BINDING, writes);

/** An isolate's lease of one key's escrow in one token, for one UTC day (daily spend limits count per day). */
export type Lease = {
  id: string;
  keyId: string;
  payer: string;
  token: string;
  day: string;
  /** Everything granted into the lease so far (the row's `reserved`). */
  granted: bigint;
  /** What requests may still be admitted against: granted − worst cases in flight − charges of finished requests. */
  available: bigint;
  /**
   * Size the next grant aims at: doubled when the last full grant went within a second, halved when it lasted 10 s,
   * and set to what was granted when a grant was cut short.
   */
  target: bigint;
  /** The smallest target: FIRST_GRANT_MULTIPLE worst cases of the request that opened the lease. */
  floor: bigint;
  lastGrantAt: number;
  /** Start of the last write that found the lease live; it admits until LEASE_TTL_MS after. */
  confirmedAt: number;
  /** Requests admitted against it whose charge is not written yet. */
  inflight: number;
  /** A background top-up is on its way (one at a time; requests never wait for another request's top-up). */
  refilling: boolean;
  /** No longer admits; released once its last request is charged. */
  retiring: boolean;
};

const leases = new Map<string, Lease>();
let isolateId: string | undefined;
let sequence = 0;

const nextMidnight = (day: string) => Date.parse(`${day}T00:00:00Z`) + 86_400_000;

/** Whether a lease may admit at `now`: live in the database for sure, and of the current day. */
function usable(lease: Lease, now: number): boolean {
  return !lease.retiring && now < lease.confirmedAt + LEASE_TTL_MS && now < nextMidnight(lease.day);
}

/** Gives what a lease still holds back to its payer; the triggers lower `held` by as much in the same statement. */
const RELEASE_LEASES = "UPDATE spend_holds SET amount = 0, state = 'released' WHERE";
/**
 * A lease whose isolate stopped confirming it: `expires_at`, its last confirmation + LEASE_SWEEP_AFTER_MS, is before
 * ?1. Its isolate admitted nothing against it for LEASE_SWEEP_AFTER_MS − LEASE_TTL_MS, and every request admitted
 * before either confirmed it since (LEASE_HEARTBEAT_MS) or ended (LEASE_UNATTENDED_MS), so releasing it frees nothing
 * a running request still counts on.
 */
const EXPIRED_LEASE = "state = 'leased' AND expires_at < ?1";
/**
 * Lease ids are `lease:<isolate>:<n>`, made by the gateway only: a client's `X-Request-Id` cannot contain a colon
 * (hono's requestId middleware replaces such an id by a UUID), and the hold of one is `<id>@<payer>` (request-id.ts),
 * so no per-request hold has an id in this range.
 */
const LEASE_IDS_FROM = "lease:";
const LEASE_IDS_TO = "lease;";

/**
 * Releases everything a lease still holds: its remaining grant goes back to the payer's available escrow. Queued
 * behind the charges of its requests (the write-behind queue is FIFO), so what was admitted stays held until charged.
 */
function releaseWrite(lease: Lease): Write {
  return { sql: `${RELEASE_LEASES} request_id = ?1 AND state = 'leased'`, params: [lease.id] };
}

/** The lease to admit from for `p`, opening a new one (and retiring the old) when the current one may not admit. */
function currentLease(db: D1Database, p: ReserveParameters, waitUntil: (p: Promise<unknown>) => void): Lease {
  const slot = `${p.keyId}|${p.token}`;
  const found = leases.get(slot);
  if (found && usable(found, p.now)) return found;
  if (found) {
    found.retiring = true;
    if (found.inflight === 0 && found.granted > 0n) {
      waitUntil(writeControl(db, [releaseWrite(found)]).catch(() => undefined));
    }
  }
  isolateId ??= crypto.randomUUID();
  const lease: Lease = {
    id: `lease:${isolateId}:${++sequence}`,
    keyId: p.keyId,
    payer: p.payer,
    token: p.token,
    day: utcDay(p.now),
    granted: 0n,
    available: 0n,
    target: p.amount * FIRST_GRANT_MULTIPLE,
    floor: p.amount * FIRST_GRANT_MULTIPLE,
    lastGrantAt: 0,
    confirmedAt: p.now,
    inflight: 0,
    refilling: false,
    retiring: false,
  };
  if (leases.size >= 10_000) leases.clear();
  leases.set(slot, lease);
  return lease;
}

/**
 * Releases the payer's leases and reservations that expired (their isolates stopped confirming them), then grants
 * into `lease` g = max(need, min(want, available ÷ LEASE_SHARE)), capped by the available escrow and the key's daily
 * limit, and only if g ≥ need and g > 0. One batch, so the check and the grant see the same state.
 */
const SWEEP_SQL = `${RELEASE_LEASES} ${EXPIRED_LEASE} AND payer = ?2 AND token = ?3`;

const GRANT_SQL = `
WITH room AS (
  SELECT coalesce((SELECT balance - withdrawal - held FROM escrow_balances WHERE payer = ?2 AND token = ?3), 0) AS avail,
    CASE WHEN ?9 IS NULL THEN NULL ELSE CAST(?9 AS INTEGER)
      - coalesce((SELECT sum(amount) FROM spend_holds WHERE key_id = ?4 AND day = ?5), 0) END AS daily
), sized AS (
  SELECT min(avail, coalesce(daily, avail), max(CAST(?6 AS INTEGER), min(CAST(?7 AS INTEGER), avail / CAST(?10 AS INTEGER)))) AS g
  FROM room
)
INSERT INTO spend_holds (request_id, payer, token, key_id, day, reserved, amount, state, created_at, expires_at)
SELECT ?1, ?2, ?3, ?4, ?5, g, g, 'leased', CAST(?8 AS INTEGER), CAST(?8 AS INTEGER) + CAST(?11 AS INTEGER) FROM sized WHERE g >= CAST(?6 AS INTEGER) AND g > 0
ON CONFLICT(request_id) DO UPDATE SET reserved = reserved + excluded.reserved, amount = amount + excluded.amount,
  expires_at = excluded.expires_at
WHERE state = 'leased'
RETURNING CAST(reserved AS TEXT) AS reserved`;

/**
 * Grants more into a lease; false when nothing could be granted. Grants of one lease may run concurrently (each
 * request that lacks room asks for itself): `reserved` only grows, so the largest value seen is what was granted.
 */
async function grant(db: D1Database, lease: Lease, need: bigint, p: ReserveParameters): Promise<boolean> {
  const sentAt = Date.now();
  const want = lease.target > need ? lease.target : need;
  const [, , granted] = await db.batch([
    db.prepare(SWEEP_SQL).bind(sentAt, lease.payer, lease.token),
    releaseExpiredReservationsOf(db, sentAt, lease.payer, lease.token),
    db
      .prepare(GRANT_SQL)
      .bind(
        lease.id,
        lease.payer,
        lease.token,
        lease.keyId,
        lease.day,
        need.toString(),
        want.toString(),
        sentAt,
        p.dailyLimit?.toString() ?? null,
        LEASE_SHARE,
        LEASE_SWEEP_AFTER_MS,
      ),
  ]);
  const row = granted?.results[0] as { reserved: string } | undefined;
  if (!row) return false;
  const reserved = BigInt(row.reserved);
  const delta = reserved > lease.granted ? reserved - lease.granted : 0n;
  lease.available += delta;
  if (delta > 0n) lease.granted = reserved;
  lease.confirmedAt = Math.max(lease.confirmedAt, sentAt);
  const since = sentAt - lease.lastGrantAt;
  // A grant cut short by the payer's share aims no higher next time: a lease never keeps asking for what it cannot
  // get, so it takes another quarter of the rest only as fast as its requests spend.
  if (delta < want) lease.target = delta > lease.floor ? delta : lease.floor;
  else if (since < 1_000) lease.target *= 2n;
  else if (since > 10_000 && lease.target / 2n >= lease.floor) lease.target /= 2n;
  lease.lastGrantAt = sentAt;
  // A lease retired while this grant was in flight may have no request left to release it.
  if (lease.retiring && lease.inflight === 0) await writeControl(db, [releaseWrite(lease)]);
  return true;
}

/**
 * Admits a request's worst case `p.amount` against the isolate's lease of the key's escrow, or throws
 * `insufficient_quota` (402). Waits for the database only when the lease cannot cover the request (one batch, as
 * a per-request reservation would); tops the lease up in the background once it is half spent.
 */
export async function admitFromLease(
  db: D1Database,
  p: ReserveParameters,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<Lease> {
  for (let attempt = 0; ; attempt++) {
    const lease = currentLease(db, p, waitUntil);
    if (lease.available >= p.amount) {
      lease.available -= p.amount;
      lease.inflight++;
      if (lease.available < lease.target / 2n && !lease.refilling) {
        lease.refilling = true;
        const topUp = grant(db, lease, 0n, p).finally(() => {
          lease.refilling = false;
        });
        waitUntil(topUp.catch(() => false));
      }
      return lease;
    }
    // Ask for what this request lacks; a grant that finds the escrow short changes nothing.
    if (attempt >= 3 || !(await grant(db, lease, p.amount - lease.available, p))) {
      if (lease.available >= p.amount && attempt < 3) continue;
      return refuse(db, p, lease.available);
    }
  }
}

/**
 * Charges a finished request admitted against `lease`: its own hold row with the charge, taken out of the lease in
 * the same transaction (only when the hold was inserted: `changes()` is the previous statement's row count), so the
 * payer's held total never moves. What was not spent is admissible again at once. Returns the writes, for the
 * write-behind queue (in order after every write queued before them), and what to call with their results.
 */
export function chargeLease(
  db: D1Database,
  lease: Lease,
  requestId: string,
  reserved: bigint,
  cost: bigint,
): { writes: Writes; committed: (results: D1Result[]) => void } {
  const sentAt = Date.now();
  lease.available += reserved - cost;
  lease.inflight--;
  const writes: Write[] = [
    {
      sql: CHARGE_INSERT_SQL,
      params: [
        requestId,
        lease.payer,
        lease.token,
        lease.keyId,
        lease.day,
        reserved.toString(),
        cost.toString(),
        cost === 0n ? "released" : "charged",
        sentAt,
      ],
    },
    {
      sql: `UPDATE spend_holds SET amount = amount - CAST(?2 AS INTEGER), expires_at = ?3
        WHERE request_id = ?1 AND state = 'leased' AND changes() = 1`,
      params: [lease.id, cost.toString(), sentAt + LEASE_SWEEP_AFTER_MS],
    },
  ];
  // The last request of a retiring lease releases it, in the same batch, after its own charge.
  if (lease.retiring && lease.inflight === 0) writes.push(releaseWrite(lease));
  return {
    writes: { db, binding: CONTROL_BINDING, writes },
    committed: (results) => {
      if ((results[1]?.meta.changes ?? 0) > 0) lease.confirmedAt = Math.max(lease.confirmedAt, sentAt);
    },
  };
}

/**
 * How long a request admitted against a lease may run without a heartbeat: admission needs a confirmation at most
 * LEASE_TTL_MS old, and each confirmation keeps the lease from sweeps for LEASE_SWEEP_AFTER_MS (less a margin for
 * the charge's own write to land).
 */
export const LEASE_UNATTENDED_MS = LEASE_SWEEP_AFTER_MS - LEASE_TTL_MS - 10_000;

/**
 * Keeps a lease live while one of its requests runs (a long stream, a slow upstream): every LEASE_HEARTBEAT_MS a
 * write pushes the lease's expiry forward, so no grant elsewhere releases what this request was admitted against.
 * A request that cannot outlast LEASE_UNATTENDED_MS (`maxDurationMs`, e.g. a non-streaming call bounded by its
 * routes' timeouts) needs no heartbeat and gets no timer, which would cost CPU on every call.
 * Returns the function that stops it, to call when the request is charged.
 */
export function keepAlive(
  db: D1Database,
  lease: Lease,
  waitUntil: (p: Promise<unknown>) => void,
  maxDurationMs = Number.POSITIVE_INFINITY,
): () => void {
  return keepHoldAlive(db, { id: lease.id, state: "leased" }, waitUntil, maxDurationMs, (sentAt) => {
    lease.confirmedAt = Math.max(lease.confirmedAt, sentAt);
  });
}

/**
 * The heartbeat of a hold row (a lease, or a request's own reservation) while it is in `state`: pushes its
 * `expires_at` to LEASE_SWEEP_AFTER_MS past each beat, when its request may outlast LEASE_UNATTENDED_MS, and calls
 * `confirmed` with the beat's start when the row was still in that state. Returns the function that stops it.
 */
export function keepHoldAlive(
  db: D1Database,
  hold: { id: string; state: "leased" | "reserved" },
  waitUntil: (p: Promise<unknown>) => void,
  maxDurationMs: number,
  confirmed: (sentAt: number) => void = () => {},
): () => void {
  if (maxDurationMs < LEASE_UNATTENDED_MS) return () => {};
  const timer = setInterval(() => {
    const sentAt = Date.now();
    const beat = db
      .prepare("UPDATE spend_holds SET expires_at = ?2 WHERE request_id = ?1 AND state = ?3")
      .bind(hold.id, sentAt + LEASE_SWEEP_AFTER_MS, hold.state)
      .run()
      .then((result) => {
        if (result.meta.changes > 0) confirmed(sentAt);
      });
    waitUntil(beat.catch(() => undefined));
  }, LEASE_HEARTBEAT_MS);
  return () => clearInterval(timer);
}

/**
 * Releases up to `limit` expired leases of every payer (the hourly housekeeping, gateway/prune.ts), by the rule each
 * grant sweeps its own payer's with: escrow held by an isolate that went away comes back even when its payer never
 * calls again, which would otherwise leave it held for good. Nothing else changes: a live isolate whose lease this
 * releases finds it as after any other grant's sweep (its writes need `state = 'leased'`). Returns the released ids
 * (count them: `meta.changes` may include the triggers' updates of `escrow_balances`).
 */
export function releaseExpiredLeases(db: D1Database, now: number, limit: number): D1PreparedStatement {
  return db
    .prepare(
      `${RELEASE_LEASES} rowid IN (SELECT rowid FROM spend_holds WHERE ${EXPIRED_LEASE} LIMIT ?2) RETURNING request_id`,
    )
    .bind(now, limit);
}

/**
 * Deletes up to `limit` released leases with ids after `after`, in id order, of UTC days that ended at least
 * LEASE_SWEEP_AFTER_MS before `now`, and returns their ids (the next call starts after the last, so a run reads each
 * lease row once). Every lease ends as such a row, so without this they pile up in the control database.
 *
 * Nothing needs them. A released lease holds 0, so `held` (its triggers), the keys' daily limits (Σ amount per key
 * and day), the escrow view and every other sum read the same with or without it, and its delete moves `held` by 0.
 * The settler marks and reopens holds by the request ids of usage records, never lease ids (see LEASE_IDS_FROM). The
 * admin `settled_before` may have marked it settled, so the usage archive may delete it first; either delete is
 * final. The isolate's own writes to it (a charge's decrement, the release, the heartbeat) require
 * `state = 'leased'`: they change nothing, row or no row. Only a grant could bring it back, by inserting it afresh,
 * and no isolate grants into a lease of a past day: `currentLease` replaces a lease once the isolate's clock is past
 * its day (`usable`), so every grant into it came from a request admitted before that midnight, sent within a few
 * round trips; LEASE_SWEEP_AFTER_MS covers those and clock skew, as it does for the sweep. An isolate that still
 * holds the lease in memory retires it at its next request, and its release then finds no row. Even a grant landing
 * later would be an ordinary one, checked against the escrow and the key's daily limit, counted in `held` by the
 * triggers, released by its retiring isolate or swept, and deleted by a later run: no money is lost or counted
 * twice. Today's released leases stay: their isolates may still send grants into them, which a released row refuses.
 */
export function deleteReleasedLeases(
  db: D1Database,
  now: number,
  limit: number,
  after = LEASE_IDS_FROM,
): D1PreparedStatement {
  const before = utcDay(now - LEASE_SWEEP_AFTER_MS);
  return db
    .prepare(
      `DELETE FROM spend_holds WHERE rowid IN (SELECT rowid FROM spend_holds
       WHERE request_id > ?1 AND request_id < ?2 AND state = 'released' AND amount = 0 AND day < ?3
       ORDER BY request_id LIMIT ?4)
       RETURNING request_id`,
    )
    .bind(after, LEASE_IDS_TO, before, limit);
}

/** Forgets the isolate's leases as if it were a new isolate (tests); their rows stay held until released or swept. */
export function forgetLeases(): void {
  leases.clear();
  isolateId = undefined;
}
