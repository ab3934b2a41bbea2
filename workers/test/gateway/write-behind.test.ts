// The write-behind queue: concurrent writes share batches, stay in order, and fail only on their own.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { writeBehind, writeBehindAll } from "../../src/gateway/write-behind.ts";

/**
 * env.DB, counting the batches sent through it; each batch is answered `slowMs` after it was sent (or when the local
 * D1 is done, if later), a steady round trip like a remote D1's, whatever the load on this machine.
 */
function counting(slowMs = 0) {
  const batches: number[] = [];
  const db = {
    prepare: (sql: string) => env.DB.prepare(sql),
    batch: async (statements: D1PreparedStatement[]) => {
      batches.push(statements.length);
      const sent = Date.now();
      const results = await env.DB.batch(statements);
      const left = slowMs - (Date.now() - sent);
      if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
      return results;
    },
  } as unknown as D1Database;
  return { db, batches };
}

const insert = (id: string, value: number) => ({
  sql: "INSERT INTO write_behind_test (id, value) VALUES (?1, ?2)",
  params: [id, value],
});

beforeAll(async () => {
  for (const db of [env.DB, env.METER_DB]) {
    await db
      .prepare("CREATE TABLE IF NOT EXISTS write_behind_test (id TEXT PRIMARY KEY, value INTEGER NOT NULL)")
      .run();
  }
});

describe("writeBehind", () => {
  it("commits concurrent writes in shared batches, and each caller gets its own results", async () => {
    const { db, batches } = counting();
    const binding = crypto.randomUUID();
    const run = crypto.randomUUID();
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        writeBehind(db, binding, [insert(`${run}-${i}`, i), insert(`${run}-${i}-b`, i)]),
      ),
    );
    expect(results.every((r) => r.length === 2 && r.every((x) => x.meta.changes === 1))).toBe(true);
    const { n } = (await env.DB.prepare("SELECT count(*) AS n FROM write_behind_test WHERE id LIKE ?")
      .bind(`${run}-%`)
      .first<{ n: number }>()) ?? { n: 0 };
    expect(n).toBe(60);
    // 60 statements from 30 callers in far fewer round trips than callers.
    expect(batches.reduce((a, b) => a + b, 0)).toBe(60);
    expect(batches.length).toBeLessThan(10);
  });

  it("wakes each writer about once, even when a batch's round trip is long", async () => {
    // A remote D1 answers a batch in tens of milliseconds; the writers of a window must not keep polling meanwhile
    // (each wake is a timer re-entering its request, which costs CPU). Timers are counted where they are made. The
    // round trip is a steady 45 ms (see `counting`): with the local D1's own time in it, a loaded machine made the
    // window's batch take longer than the first one that taught the queue, and its writers woke early.
    const { db, batches } = counting(45);
    const binding = crypto.randomUUID();
    const run = crypto.randomUUID();
    // The first batch teaches the queue the round trip.
    await writeBehind(db, binding, [insert(`${run}-first`, 0)]);
    const original = globalThis.setTimeout;
    let timers = 0;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      timers++;
      return original(...args);
    }) as typeof setTimeout;
    try {
      const writers = 40;
      const results = await Promise.all(
        Array.from({ length: writers }, (_, i) => writeBehind(db, binding, [insert(`${run}-${i}`, i)])),
      );
      expect(results.every((r) => r[0]?.meta.changes === 1)).toBe(true);
      // One batch for the window (plus the slow db's own timer per batch, at most), and about one wake per writer:
      // the planned one, and at most one more look when the window's sender woke late and its batch was not back
      // yet (the design's "looks again when its batch should be back"). Other test files share workerd's thread, so
      // in the whole suite a sender's timer can fire 50 ms late (CI: 48 timers for 40 writers). Polling, which this
      // guards against, woke every 2–5 ms: dozens of times per writer.
      expect(batches.length).toBe(2);
      expect(timers - (batches.length - 1)).toBeLessThanOrEqual(2 * writers);
    } finally {
      globalThis.setTimeout = original;
    }
  });

  it("keeps the order of writes to the same row across callers", async () => {
    const { db } = counting();
    const binding = crypto.randomUUID();
    const id = crypto.randomUUID();
    await writeBehind(db, binding, [insert(id, 0)]);
    const steps = Array.from({ length: 20 }, (_, i) =>
      writeBehind(db, binding, [
        { sql: "UPDATE write_behind_test SET value = value * 2 + ?2 WHERE id = ?1", params: [id, i % 2] },
      ]),
    );
    await Promise.all(steps);
    const expected = Array.from({ length: 20 }, (_, i) => i % 2).reduce((v, bit) => v * 2 + bit, 0);
    const row = await env.DB.prepare("SELECT value FROM write_behind_test WHERE id = ?").bind(id).first();
    expect(row).toEqual({ value: expected });
  });

  it("fails only the caller whose write fails; the others in its batch are committed", async () => {
    const { db } = counting();
    const binding = crypto.randomUUID();
    const run = crypto.randomUUID();
    await writeBehind(db, binding, [insert(`${run}-taken`, 1)]);
    const outcomes = await Promise.allSettled([
      writeBehind(db, binding, [insert(`${run}-a`, 1)]),
      writeBehind(db, binding, [insert(`${run}-taken`, 2)]),
      writeBehind(db, binding, [insert(`${run}-b`, 1)]),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const { results } = await env.DB.prepare("SELECT id, value FROM write_behind_test WHERE id LIKE ? ORDER BY id")
      .bind(`${run}-%`)
      .all();
    expect(results).toEqual([
      { id: `${run}-a`, value: 1 },
      { id: `${run}-b`, value: 1 },
      { id: `${run}-taken`, value: 1 },
    ]);
  });

  it("commits one caller's writes to several databases on one wait, and reports a failure in any of them", async () => {
    const run = crypto.randomUUID();
    const [control, meter] = [crypto.randomUUID(), crypto.randomUUID()];
    const count = async (db: D1Database) =>
      (
        await db
          .prepare("SELECT count(*) AS n FROM write_behind_test WHERE id LIKE ?")
          .bind(`${run}-%`)
          .first<{ n: number }>()
      )?.n;
    const both = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        writeBehindAll([
          { db: env.DB, binding: control, writes: [insert(`${run}-${i}`, i)] },
          { db: env.METER_DB, binding: meter, writes: [insert(`${run}-${i}`, i), insert(`${run}-${i}-b`, i)] },
        ]),
      ),
    );
    expect(both.every(([c, m]) => c?.length === 1 && m?.length === 2)).toBe(true);
    expect([await count(env.DB), await count(env.METER_DB)]).toEqual([10, 20]);
    // A write that fails in one database fails its caller, and the other database keeps what it committed.
    await expect(
      writeBehindAll([
        { db: env.DB, binding: control, writes: [insert(`${run}-0`, 1)] },
        { db: env.METER_DB, binding: meter, writes: [insert(`${run}-late`, 1)] },
      ]),
    ).rejects.toThrow(/UNIQUE/);
    expect([await count(env.DB), await count(env.METER_DB)]).toEqual([10, 21]);
  });
});
