// The hourly housekeeping of the control database (gateway/prune.ts): expired leases and reservations give their
// escrow back for every payer, released leases of past days, reservations expired a week ago, expired sessions and
// uncounted rate windows leave, and nothing charged moves.
// Time moves through the job's `now` option (and fake `Date` for requests of "yesterday"), never by sleeping.
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { privateKeyToAccount } from "viem/accounts";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sha256Hex } from "../../src/gateway/crypto.ts";
import { forgetLeases, keepHoldAlive, LEASE_HEARTBEAT_MS, LEASE_SWEEP_AFTER_MS } from "../../src/gateway/lease.ts";
import { EXPIRED_RESERVATION_RETENTION_MS, pruneGateway } from "../../src/gateway/prune.ts";
import { payerRequestId } from "../../src/gateway/request-id.ts";
import { SESSION_TTL_MS } from "../../src/gateway/siwe.ts";
import { reserve, settleWrite, utcDay } from "../../src/gateway/spend.ts";
import { jobsByCron } from "../../src/scheduled.ts";
import { call, charged, complete, forgetIsolate, holds, leases, ledger, prices, seed, signInAs } from "./helpers.ts";

/** The payer's escrow as `GET /v1/escrow` shows it (one token per seeded payer). */
async function escrowView(apiKey: string) {
  const body = (await (await call("/v1/escrow", { key: apiKey })).json()) as { data: Record<string, string>[] };
  expect(body.data).toHaveLength(1);
  return body.data[0];
}

const byId = <T extends { request_id: string }>(rows: T[]) =>
  [...rows].sort((a, b) => (a.request_id < b.request_id ? -1 : 1));

/** Everything the spend ledger and the escrow view say about a payer. */
async function books(s: { payer: string; apiKey: string }) {
  return {
    holds: byId(await holds(s.payer)),
    leases: byId(await leases(s.payer)),
    ledger: await ledger(s.payer),
    view: await escrowView(s.apiKey),
  };
}

async function expiresAt(leaseId: string) {
  const row = await env.DB.prepare("SELECT expires_at FROM spend_holds WHERE request_id = ?")
    .bind(leaseId)
    .first<{ expires_at: number }>();
  if (!row) throw new Error(`no lease ${leaseId}`);
  return row.expires_at;
}

/** Waits until the lease row is no longer `leased` (its release is written behind the response). */
async function released(leaseId: string) {
  const deadline = Date.now() + 3000;
  for (;;) {
    const row = await env.DB.prepare("SELECT state FROM spend_holds WHERE request_id = ?")
      .bind(leaseId)
      .first<{ state: string }>();
    if (row?.state === "released") return;
    if (Date.now() > deadline) throw new Error(`lease ${leaseId} not released`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

afterEach(forgetIsolate);

describe("gateway housekeeping: leases", () => {
  it("releases the expired lease of a payer who never calls again, moving nothing else", async () => {
    const s = await seed(prices);
    for (let i = 0; i < 2; i++) expect((await complete(s.apiKey, s.model)).status).toBe(200);
    await charged(s.payer, 2);
    // Its isolate goes away, and nobody calls for the payer again: no grant will sweep the lease.
    forgetLeases();
    const before = await books(s);
    const [lease] = before.leases;
    if (!lease) throw new Error("no lease");
    expect(lease.state).toBe("leased");
    expect(before.ledger.held).toBe(before.ledger.summed);
    expect(before.view?.leased).toBe(lease.amount);
    const expiry = await expiresAt(lease.request_id);

    // At its expiry it is still the isolate's: released only once expires_at < now, the rule of every grant's sweep.
    await pruneGateway(env.DB, { now: expiry });
    expect(await leases(s.payer)).toEqual(before.leases);
    const pruned = await pruneGateway(env.DB, { now: expiry + 1 });
    expect(pruned.leasesReleased).toBeGreaterThanOrEqual(1);

    const after = await books(s);
    // Released, and still there: it is of today (the same run's deletion step left it).
    expect(after.leases).toEqual([{ ...lease, state: "released", amount: "0" }]);
    expect(after.holds).toEqual(before.holds);
    expect(after.ledger.held).toBe(after.ledger.summed);
    expect(after.ledger.held).toBe(before.ledger.held - BigInt(lease.amount));
    expect(after.ledger.held).toBe(16n);
    expect(after.view).toEqual({ ...before.view, leased: "0" });
  });

  it("deletes released leases of past days, never a live lease or a request's hold; a second run nothing", async () => {
    // "Yesterday" lies before the day the job deletes up to, even in the minutes after midnight.
    const yesterday = Date.now() - 86_400_000 - LEASE_SWEEP_AFTER_MS;
    const s = await seed(prices);
    const f = await seed({ ...prices, routes: [{ upstreamModel: "error-500" }] });
    const g = await seed(prices);
    vi.useFakeTimers({ toFake: ["Date"], now: yesterday });
    // Yesterday: a request through s's lease, one with its own id (a per-request hold), and two failed calls of f
    // charged 0 (a per-request hold and a lease's request): `released` rows of amount 0, like a released lease.
    expect((await complete(s.apiKey, s.model)).status).toBe(200);
    expect((await complete(s.apiKey, s.model, { "x-request-id": `own-${crypto.randomUUID()}` })).status).toBe(200);
    expect((await complete(f.apiKey, f.model, { "x-request-id": `own-${crypto.randomUUID()}` })).status).toBe(502);
    expect((await complete(f.apiKey, f.model)).status).toBe(502);
    await charged(s.payer, 2);
    const failed = await charged(f.payer, 2);
    expect(failed.map((h) => [h.state, h.amount])).toEqual([
      ["released", "0"],
      ["released", "0"],
    ]);
    vi.useRealTimers();
    // Today: g's live lease, and a lease of yesterday still confirmed by its isolate (a stream admitted before
    // midnight keeps its lease alive with heartbeats until its charge).
    expect((await complete(g.apiKey, g.model)).status).toBe(200);
    await charged(g.payer, 1);
    const now = Date.now();
    await env.DB.prepare(
      `INSERT INTO spend_holds (request_id, payer, token, key_id, day, reserved, amount, state, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, 40, 40, 'leased', ?, ?)`,
    )
      .bind(
        `lease:streaming-${crypto.randomUUID()}:1`,
        g.payer,
        g.token,
        g.keyId,
        utcDay(yesterday),
        yesterday,
        now + 1,
      )
      .run();

    const before = { s: await books(s), f: await books(f), g: await books(g) };
    const [sLease] = before.s.leases;
    const [fLease] = before.f.leases;
    expect(before.s.leases).toHaveLength(1);
    expect(before.f.leases).toHaveLength(1);
    expect(before.g.leases.map((l) => l.state)).toEqual(["leased", "leased"]);
    for (const b of Object.values(before)) expect(b.ledger.held).toBe(b.ledger.summed);

    const pruned = await pruneGateway(env.DB, { now });
    // The leases of yesterday whose isolates stopped confirming them are released, then deleted.
    expect(pruned.leasesReleased).toBeGreaterThanOrEqual(2);
    expect(pruned.leasesDeleted).toBeGreaterThanOrEqual(2);
    const after = { s: await books(s), f: await books(f), g: await books(g) };
    expect(after.s.leases).toEqual([]);
    expect(after.f.leases).toEqual([]);
    expect(after.g).toEqual(before.g);
    // Every request's hold stays, charged or released at 0, of yesterday or not.
    expect(after.s.holds).toEqual(before.s.holds);
    expect(after.f.holds).toEqual(before.f.holds);
    // Held escrow drops by exactly what the dead leases held; the escrow view moves only in `leased`.
    expect(after.s.ledger).toEqual({ ...before.s.ledger, held: 16n, summed: 16n });
    expect(before.s.ledger.held - BigInt(sLease?.amount ?? "x")).toBe(16n);
    expect(after.f.ledger).toEqual({ ...before.f.ledger, held: 0n, summed: 0n });
    expect(before.f.ledger.held - BigInt(fLease?.amount ?? "x")).toBe(0n);
    expect(after.s.view).toEqual({ ...before.s.view, leased: "0" });
    expect(after.f.view).toEqual({ ...before.f.view, leased: "0" });

    expect(await pruneGateway(env.DB, { now })).toEqual({
      leasesReleased: 0,
      reservationsReleased: 0,
      leasesDeleted: 0,
      reservationsDeleted: 0,
      sessions: 0,
      rateWindows: 0,
    });

    // The isolate still holds s's lease of yesterday in memory: it never admits against it again (it is of a past
    // day), so the next request opens a new lease, and the deleted row does not come back.
    expect((await complete(s.apiKey, s.model)).status).toBe(200);
    await charged(s.payer, 3);
    const later = await books(s);
    expect(later.leases).toHaveLength(1);
    expect(later.leases[0]?.request_id).not.toBe(sLease?.request_id);
    expect(later.leases[0]?.state).toBe("leased");
    expect(later.ledger.held).toBe(later.ledger.summed);
    expect(later.ledger.held).toBe(24n + BigInt(later.leases[0]?.amount ?? "x"));
  });

  it("deletes a backlog in bounded statements, at most the run's cap, each reading on after the last", async () => {
    const s = await seed(prices);
    const now = Date.now();
    const tag = crypto.randomUUID();
    // 5,000 released leases whose ids alternate between yesterday's (to delete) and today's (to keep), so every
    // statement after the first must start behind today's rows it passed over.
    await env.DB.prepare(
      `INSERT INTO spend_holds (request_id, payer, token, key_id, day, reserved, amount, state, created_at, expires_at)
       WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 4999)
       SELECT printf('lease:bulk-%s-%05d:1', ?1, i), ?2, ?3, ?4, CASE WHEN i % 2 = 0 THEN ?5 ELSE ?6 END, 28, 0,
         'released', ?7, ?7 FROM n`,
    )
      .bind(tag, s.payer, s.token, s.keyId, utcDay(now - 86_400_000 - LEASE_SWEEP_AFTER_MS), utcDay(now), now)
      .run();
    const count = async () =>
      (
        await env.DB.prepare("SELECT day, count(*) AS n FROM spend_holds WHERE payer = ? GROUP BY day ORDER BY day")
          .bind(s.payer)
          .all<{ day: string; n: number }>()
      ).results.map((r) => r.n);
    expect(await count()).toEqual([2500, 2500]);
    const heldBefore = await ledger(s.payer);

    expect((await pruneGateway(env.DB, { now, maxRowsPerRun: 2000 })).leasesDeleted).toBe(2000);
    expect(await count()).toEqual([500, 2500]);
    expect((await pruneGateway(env.DB, { now, maxRowsPerRun: 2000 })).leasesDeleted).toBeGreaterThanOrEqual(500);
    expect(await count()).toEqual([2500]);
    expect(await ledger(s.payer)).toEqual(heldBefore);
  });

  it("keeps an isolate's retired lease until its day has been over for LEASE_SWEEP_AFTER_MS", async () => {
    const s = await seed(prices);
    expect((await complete(s.apiKey, s.model)).status).toBe(200);
    await charged(s.payer, 1);
    const [lease] = await leases(s.payer);
    if (!lease) throw new Error("no lease");
    // The isolate retires it (past its TTL, the next request opens another) and releases what it did not spend.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 31_000 });
    expect((await complete(s.apiKey, s.model)).status).toBe(200);
    vi.useRealTimers();
    await released(lease.request_id);
    const day = (await env.DB.prepare("SELECT day FROM spend_holds WHERE request_id = ?")
      .bind(lease.request_id)
      .first<{ day: string }>()) ?? { day: "" };
    const endOfDay = Date.parse(`${day.day}T00:00:00Z`) + 86_400_000;
    // A grant sent just before midnight may still be on its way: the row stays LEASE_SWEEP_AFTER_MS into the next day.
    await pruneGateway(env.DB, { now: endOfDay + LEASE_SWEEP_AFTER_MS - 1 });
    expect((await leases(s.payer)).map((l) => l.request_id)).toContain(lease.request_id);
    const pruned = await pruneGateway(env.DB, { now: endOfDay + LEASE_SWEEP_AFTER_MS });
    expect(pruned.leasesDeleted).toBeGreaterThanOrEqual(1);
    expect((await leases(s.payer)).map((l) => l.request_id)).not.toContain(lease.request_id);
    // Its charges stay.
    expect(await holds(s.payer)).toHaveLength(2);
  });
});

/** The reservation a request with its own id holds once admitted, as admission writes it (gateway/admission.ts). */
async function reserveFor(s: { payer: string; token: string; keyId: string }, expiresAt: number, amount = 28n) {
  const requestId = `own-${crypto.randomUUID()}`;
  const now = Date.now();
  const hold = { requestId, payer: s.payer, token: s.token, keyId: s.keyId, amount, dailyLimit: null, now };
  await reserve(env.DB, hold, expiresAt);
  return requestId;
}

async function holdOf(requestId: string) {
  return env.DB.prepare(
    `SELECT state, CAST(amount AS TEXT) AS amount, CAST(reserved AS TEXT) AS reserved, expires_at, created_at
     FROM spend_holds WHERE request_id = ?`,
  )
    .bind(requestId)
    .first<{ state: string; amount: string; reserved: string; expires_at: number | null; created_at: number }>();
}

describe("gateway housekeeping: reservations", () => {
  it("gives back the reservation of a request whose worker died, at its expiry, and still charges a late end", async () => {
    const s = await seed(prices);
    const expiry = Date.now() + LEASE_SWEEP_AFTER_MS;
    // Admitted with its own id, then its worker went away: nothing will settle the reservation.
    const id = await reserveFor(s, expiry);
    const before = await books(s);
    expect(before.holds).toEqual([{ request_id: id, state: "reserved", amount: "28", reserved: "28" }]);
    expect(before.ledger.held).toBe(28n);
    expect(before.view?.reserved).toBe("28");

    // At its expiry it is still its request's.
    expect((await pruneGateway(env.DB, { now: expiry })).reservationsReleased).toBe(0);
    expect(await holds(s.payer)).toEqual(before.holds);
    const pruned = await pruneGateway(env.DB, { now: expiry + 1 });
    expect(pruned.reservationsReleased).toBeGreaterThanOrEqual(1);
    const after = await books(s);
    expect(after.holds).toEqual([{ request_id: id, state: "expired", amount: "0", reserved: "28" }]);
    expect(after.ledger).toEqual({ ...before.ledger, held: 0n, summed: 0n });
    expect(after.view).toEqual({ ...before.view, reserved: "0", available: before.ledger.balance.toString() });
    expect((await pruneGateway(env.DB, { now: expiry + 1 })).reservationsReleased).toBe(0);
    expect(await books(s)).toEqual(after);

    // Its request was alive after all (its heartbeats lost): its charge lands as on a reservation, and counts.
    const { sql, params } = settleWrite(id, 8n);
    await env.DB.prepare(sql)
      .bind(...params)
      .run();
    expect(await holds(s.payer)).toEqual([{ request_id: id, state: "charged", amount: "8", reserved: "28" }]);
    expect(await ledger(s.payer)).toEqual({ ...before.ledger, held: 8n, summed: 8n });
    expect(await escrowView(s.apiKey)).toEqual({
      ...after.view,
      unsettled: "8",
      available: `${before.ledger.balance - 8n}`,
    });
    // A second delivery of the same charge changes nothing.
    await env.DB.prepare(sql)
      .bind(...params)
      .run();
    expect((await ledger(s.payer)).held).toBe(8n);
  });

  it("lets the payer's next lease grant give back its expired reservations, and no one else's", async () => {
    const s = await seed(prices);
    const other = await seed(prices);
    const now = Date.now();
    const dead = await reserveFor(s, now - 1);
    const live = await reserveFor(s, now + LEASE_SWEEP_AFTER_MS);
    const otherDead = await reserveFor(other, now - 1);
    expect((await ledger(s.payer)).held).toBe(56n);

    expect((await complete(s.apiKey, s.model)).status).toBe(200);
    await charged(s.payer, 2);
    expect((await holdOf(dead))?.state).toBe("expired");
    expect((await holdOf(live))?.state).toBe("reserved");
    expect((await holdOf(otherDead))?.state).toBe("reserved");
    const l = await ledger(s.payer);
    expect(l.held).toBe(l.summed);
    const [lease] = await leases(s.payer);
    // The live reservation, the request's charge of 8 and what the lease still holds.
    expect(l.held).toBe(28n + 8n + BigInt(lease?.amount ?? "x"));
  });

  it("stamps each reservation with its expiry, and a heartbeat moves it on while its request runs", async () => {
    const s = await seed(prices);
    const own = `own-${crypto.randomUUID()}`;
    const started = Date.now();
    expect((await complete(s.apiKey, s.model, { "x-request-id": own })).status).toBe(200);
    await charged(s.payer, 1);
    const row = await holdOf(payerRequestId(own, s.payer));
    expect(row?.state).toBe("charged");
    expect(row?.expires_at).toBe((row?.created_at ?? 0) + LEASE_SWEEP_AFTER_MS);
    expect(row?.created_at).toBeGreaterThanOrEqual(started);

    // A stream (no bound on its duration) beats every LEASE_HEARTBEAT_MS; a bounded call needs no beat.
    const id = await reserveFor(s, started + LEASE_SWEEP_AFTER_MS);
    const beats: Promise<unknown>[] = [];
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const stopBounded = keepHoldAlive(env.DB, { id, state: "reserved" }, (p) => beats.push(p), 30_000);
    const stop = keepHoldAlive(env.DB, { id, state: "reserved" }, (p) => beats.push(p), Number.POSITIVE_INFINITY);
    vi.advanceTimersByTime(LEASE_HEARTBEAT_MS);
    expect(beats).toHaveLength(1);
    await Promise.all(beats);
    const beaten = (await holdOf(id))?.expires_at ?? 0;
    expect(beaten).toBeGreaterThan(started + LEASE_SWEEP_AFTER_MS);
    // So the sweep at the first expiry leaves it.
    await pruneGateway(env.DB, { now: started + LEASE_SWEEP_AFTER_MS + 1 });
    expect((await holdOf(id))?.state).toBe("reserved");
    stop();
    stopBounded();
    vi.advanceTimersByTime(LEASE_HEARTBEAT_MS * 3);
    expect(beats).toHaveLength(1);
    // Once settled, a beat would change nothing: it only moves a row still in the state it keeps.
    await env.DB.prepare(settleWrite(id, 8n).sql)
      .bind(...settleWrite(id, 8n).params)
      .run();
    const stale = keepHoldAlive(env.DB, { id, state: "reserved" }, (p) => beats.push(p), Number.POSITIVE_INFINITY);
    vi.advanceTimersByTime(LEASE_HEARTBEAT_MS);
    stale();
    await Promise.all(beats);
    expect((await holdOf(id))?.expires_at).toBe(beaten);
  });
});

describe("gateway housekeeping: expired reservations", () => {
  it("deletes an expired reservation a week past its expiry, never a younger, charged or settled one; no figure moves", async () => {
    const s = await seed(prices);
    const now = Date.now();
    // A request with its own id admitted two minutes ago, whose worker died: its reservation has just expired.
    vi.useFakeTimers({ toFake: ["Date"], now: now - LEASE_SWEEP_AFTER_MS - 1 });
    const young = await reserveFor(s, now - 1);
    vi.useRealTimers();
    expect((await pruneGateway(env.DB, { now })).reservationsReleased).toBeGreaterThanOrEqual(1);
    // Four more, admitted more than a week ago: one failed upstream (charged 0), the workers of the others died and
    // their reservations expired.
    const created = now - EXPIRED_RESERVATION_RETENTION_MS - 2 * LEASE_SWEEP_AFTER_MS;
    const expiry = created + LEASE_SWEEP_AFTER_MS;
    vi.useFakeTimers({ toFake: ["Date"], now: created });
    const dead = await reserveFor(s, expiry);
    const late = await reserveFor(s, expiry);
    const failed = await reserveFor(s, expiry);
    const marked = await reserveFor(s, expiry);
    vi.useRealTimers();
    const write = async (w: { sql: string; params: unknown[] }) =>
      env.DB.prepare(w.sql)
        .bind(...w.params)
        .run();
    await write(settleWrite(failed, 0n));
    const expiring = await pruneGateway(env.DB, { now: expiry + 1 });
    expect(expiring).toMatchObject({ reservationsDeleted: 0 });
    expect(expiring.reservationsReleased).toBeGreaterThanOrEqual(3);
    // One was alive after all: its charge landed late. Another wrote its usage record but not its charge, and the
    // settler marked it settled with its epoch.
    await write(settleWrite(late, 8n));
    await env.DB.prepare("UPDATE spend_holds SET settled_at = ? WHERE request_id = ?").bind(now, marked).run();
    const states = async () =>
      Object.fromEntries(
        await Promise.all(
          Object.entries({ dead, late, failed, marked, young }).map(async ([k, id]) => [
            k,
            (await holdOf(id))?.state ?? "gone",
          ]),
        ),
      );
    expect(await states()).toEqual({
      dead: "expired",
      late: "charged",
      failed: "released",
      marked: "expired",
      young: "expired",
    });
    const before = await books(s);
    expect(before.ledger).toMatchObject({ held: 8n, summed: 8n });
    expect(before.view).toMatchObject({ unsettled: "8", reserved: "0", leased: "0" });

    // A week after its expiry it stays; a millisecond later it goes, and only it.
    await pruneGateway(env.DB, { now: expiry + EXPIRED_RESERVATION_RETENTION_MS });
    expect(byId(await holds(s.payer))).toEqual(before.holds);
    const pruned = await pruneGateway(env.DB, { now: expiry + EXPIRED_RESERVATION_RETENTION_MS + 1 });
    expect(pruned.reservationsDeleted).toBeGreaterThanOrEqual(1);
    expect(await states()).toEqual({
      dead: "gone",
      late: "charged",
      failed: "released",
      marked: "expired",
      young: "expired",
    });
    const after = await books(s);
    expect(after.holds).toEqual(before.holds.filter((h) => h.request_id !== dead));
    expect(after.ledger).toEqual(before.ledger);
    expect(after.view).toEqual(before.view);

    // The young one goes a week after its own expiry; the charged, released and settled ones stay.
    // (Other tests' reservations that expired before it may go in this run.)
    await pruneGateway(env.DB, { now: now - 1 + EXPIRED_RESERVATION_RETENTION_MS });
    expect((await holdOf(young))?.state).toBe("expired");
    expect(
      (await pruneGateway(env.DB, { now: now + EXPIRED_RESERVATION_RETENTION_MS })).reservationsDeleted,
    ).toBeGreaterThanOrEqual(1);
    expect(await states()).toEqual({
      dead: "gone",
      late: "charged",
      failed: "released",
      marked: "expired",
      young: "gone",
    });
    const later = await books(s);
    expect(later.ledger).toEqual(before.ledger);
    expect(later.view).toEqual(before.view);
    expect((await pruneGateway(env.DB, { now: now + EXPIRED_RESERVATION_RETENTION_MS })).reservationsDeleted).toBe(0);
  });

  it("deletes a backlog in bounded statements, at most the run's cap, keeping the unsettled charges between", async () => {
    const s = await seed(prices);
    const now = Date.now();
    const old = now - EXPIRED_RESERVATION_RETENTION_MS - LEASE_SWEEP_AFTER_MS - 10_000;
    const tag = crypto.randomUUID();
    // 5,000 holds of requests with their own ids, a week old, one a millisecond: expired reservations alternate
    // with charges the settler has not marked (a payer it carries over), so every statement after the first must
    // start behind the charges it passed over.
    await env.DB.prepare(
      `INSERT INTO spend_holds (request_id, payer, token, key_id, day, reserved, amount, state, created_at, expires_at)
       WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 4999)
       SELECT printf('own-bulk-%s-%05d', ?1, i), ?2, ?3, ?4, ?5, 28, CASE WHEN i % 2 = 0 THEN 0 ELSE 1 END,
         CASE WHEN i % 2 = 0 THEN 'expired' ELSE 'charged' END, ?6 + i, ?6 + i + ?7 FROM n`,
    )
      .bind(tag, s.payer, s.token, s.keyId, utcDay(old), old, LEASE_SWEEP_AFTER_MS)
      .run();
    const count = async () =>
      (
        await env.DB.prepare(
          "SELECT state, count(*) AS n FROM spend_holds WHERE payer = ? GROUP BY state ORDER BY state",
        )
          .bind(s.payer)
          .all<{ state: string; n: number }>()
      ).results.map((r) => [r.state, r.n]);
    expect(await count()).toEqual([
      ["charged", 2500],
      ["expired", 2500],
    ]);
    const before = await ledger(s.payer);
    expect(before).toMatchObject({ held: 2500n, summed: 2500n });

    expect((await pruneGateway(env.DB, { now, maxRowsPerRun: 2000 })).reservationsDeleted).toBe(2000);
    expect(await count()).toEqual([
      ["charged", 2500],
      ["expired", 500],
    ]);
    expect((await pruneGateway(env.DB, { now, maxRowsPerRun: 2000 })).reservationsDeleted).toBeGreaterThanOrEqual(500);
    expect(await count()).toEqual([["charged", 2500]]);
    expect(await ledger(s.payer)).toEqual(before);
  });
});

describe("gateway housekeeping: rate windows and sessions", () => {
  it("deletes rate-limit windows of every key older than the previous minute", async () => {
    const k = await seed({ ...prices, key: { rpm: 100 } });
    expect((await complete(k.apiKey, k.model)).status).toBe(200);
    const row = await env.DB.prepare("SELECT window FROM rate_windows WHERE key_id = ?")
      .bind(k.keyId)
      .first<{ window: number }>();
    const current = row?.window ?? 0;
    expect(current).toBeGreaterThan(0);
    // Older windows of this key, and of a key that is never used again (its own pruning never runs).
    const idle = `key_idle_${crypto.randomUUID()}`;
    const insert = env.DB.prepare("INSERT INTO rate_windows (key_id, window, requests, tokens) VALUES (?, ?, 1, 28)");
    await env.DB.batch([
      insert.bind(k.keyId, current - 120_000),
      insert.bind(k.keyId, current - 60_000),
      insert.bind(idle, current - 3_600_000),
      insert.bind(idle, current - 120_000),
      insert.bind(idle, current - 60_000),
    ]);
    const windowsOf = async (keyId: string) =>
      (
        await env.DB.prepare("SELECT window FROM rate_windows WHERE key_id = ? ORDER BY window")
          .bind(keyId)
          .all<{ window: number }>()
      ).results.map((r) => r.window);

    // During the current minute: the previous window may still be counted by an isolate whose clock is behind.
    const pruned = await pruneGateway(env.DB, { now: current + 59_999 });
    expect(pruned.rateWindows).toBeGreaterThanOrEqual(3);
    expect(await windowsOf(k.keyId)).toEqual([current - 60_000, current]);
    expect(await windowsOf(idle)).toEqual([current - 60_000]);
    expect((await pruneGateway(env.DB, { now: current + 59_999 })).rateWindows).toBe(0);
    await pruneGateway(env.DB, { now: current + 60_000 });
    expect(await windowsOf(k.keyId)).toEqual([current]);
    expect(await windowsOf(idle)).toEqual([]);
  });

  it("deletes expired payer sessions and keeps live ones", async () => {
    const account = privateKeyToAccount(`0x${"5a".repeat(32)}`);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() - SESSION_TTL_MS - 1000 });
    const old = (await (await signInAs(account)).json()) as { token: string };
    vi.useRealTimers();
    const live = (await (await signInAs(account)).json()) as { token: string; expires_at: string };
    expect((await call("/v1/keys", { key: old.token })).status).toBe(401);
    expect((await call("/v1/keys", { key: live.token })).status).toBe(200);
    const stored = async (token: string) =>
      (await env.DB.prepare("SELECT 1 AS n FROM payer_sessions WHERE token_hash = ?")
        .bind(sha256Hex(token))
        .first()) !== null;
    expect(await stored(old.token)).toBe(true);

    const pruned = await pruneGateway(env.DB);
    expect(pruned.sessions).toBeGreaterThanOrEqual(1);
    expect(await stored(old.token)).toBe(false);
    expect(await stored(live.token)).toBe(true);
    expect((await call("/v1/keys", { key: live.token })).status).toBe(200);
    // The middleware accepts a session while expires_at > now: it goes exactly when it is refused anyway.
    const expiry = Date.parse(live.expires_at);
    await pruneGateway(env.DB, { now: expiry - 1 });
    expect(await stored(live.token)).toBe(true);
    await pruneGateway(env.DB, { now: expiry });
    expect(await stored(live.token)).toBe(false);
  });
});

describe("gateway housekeeping: the hourly cron", () => {
  it("runs after the settlement jobs and releases expired leases", async () => {
    const jobs = jobsByCron["0 * * * *"] ?? [];
    expect(jobs.map((j) => j.name)).toEqual(["settlement-close", "usage-archive", "gateway-prune"]);
    const s = await seed({ ...prices, escrow: 100n });
    const id = `lease:gone-${crypto.randomUUID()}:1`;
    await env.DB.prepare(
      `INSERT INTO spend_holds (request_id, payer, token, key_id, day, reserved, amount, state, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, 100, 100, 'leased', ?, ?)`,
    )
      .bind(id, s.payer, s.token, s.keyId, utcDay(Date.now()), Date.now(), Date.now() - 1)
      .run();
    expect((await ledger(s.payer)).held).toBe(100n);
    // Only the housekeeping job: the settlement jobs send as the settler, which settlement.test.ts alone does.
    await jobs.find((j) => j.name === "gateway-prune")?.run(env, createExecutionContext());
    expect(await leases(s.payer)).toMatchObject([{ request_id: id, state: "released", amount: "0" }]);
    expect(await ledger(s.payer)).toMatchObject({ held: 0n, summed: 0n });
    expect(await escrowView(s.apiKey)).toMatchObject({ leased: "0", available: "100" });
  });
});
