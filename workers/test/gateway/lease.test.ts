// Escrow and rate-limit leases: requests are admitted in memory against slices the database granted, and the
// ledger stays exact: no overspend across isolates, every lease released, stale leases swept.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { chargeLease, forgetLeases, LEASE_TTL_MS, type Lease } from "../../src/gateway/lease.ts";
import { forgetRateLeases } from "../../src/gateway/rate-limit.ts";
import { charged, complete, forgetIsolate, holds, leases, ledger, prices, seed } from "./helpers.ts";

const sumOf = (xs: string[]) => xs.reduce((a, x) => a + BigInt(x), 0n);

afterEach(forgetIsolate);

describe("escrow leases", () => {
  it("apply a charge once when its writes run again (a batch retried after it had committed)", async () => {
    const s = await seed(prices);
    const { requestId } = await complete(s.apiKey, s.model);
    await charged(s.payer, 1);
    const [before] = await leases(s.payer);
    const ledgerBefore = await ledger(s.payer);
    // The same charge for the same request against the same lease row, as the write-behind's retry would send it.
    const lease = {
      id: before?.request_id,
      keyId: s.keyId,
      payer: s.payer,
      token: s.token,
      day: new Date().toISOString().slice(0, 10),
      available: 0n,
      inflight: 1,
      retiring: false,
    } as Lease;
    const { writes } = chargeLease(env.DB, lease, requestId, 28n, 8n);
    const results = await env.DB.batch(writes.writes.map((w) => env.DB.prepare(w.sql).bind(...w.params)));
    // Neither the hold's insert nor the lease's decrement applied.
    expect(results.map((r) => r.meta.changes)).toEqual([0, 0]);
    expect(await leases(s.payer)).toEqual([before]);
    expect((await holds(s.payer)).filter((h) => h.request_id === requestId)).toEqual([
      { request_id: requestId, state: "charged", amount: "8", reserved: "28" },
    ]);
    expect(await ledger(s.payer)).toEqual(ledgerBefore);
  });

  it("admit requests against one lease and charge each on its own row, the lease shrinking by the same", async () => {
    const s = await seed(prices);
    for (let i = 0; i < 5; i++) expect((await complete(s.apiKey, s.model)).status).toBe(200);
    const rows = await charged(s.payer, 5);
    expect(rows.every((h) => h.state === "charged" && h.amount === "8" && h.reserved === "28")).toBe(true);
    const [lease, ...others] = await leases(s.payer);
    expect(others).toHaveLength(0);
    expect(lease?.state).toBe("leased");
    // Granted = still held + charged out of it: nothing created or lost.
    expect(BigInt(lease?.reserved ?? 0) - BigInt(lease?.amount ?? 0)).toBe(sumOf(rows.map((h) => h.amount)));
    const { held, summed } = await ledger(s.payer);
    expect(held).toBe(summed);
    expect(held).toBe(BigInt(lease?.amount ?? 0) + 40n);
  });

  it("never hold more than the escrow across isolates, and refuse only when no grant fits", async () => {
    const s = await seed({ ...prices, escrow: 200n });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      // Every other request comes from a fresh isolate, which must lease its own slice.
      if (i % 2 === 1) forgetLeases();
      const { status } = await complete(s.apiKey, s.model);
      statuses.push(status);
      const { held, summed, balance } = await ledger(s.payer);
      expect(held).toBe(summed);
      expect(held).toBeLessThanOrEqual(balance);
    }
    expect(statuses.every((st) => st === 200 || st === 402)).toBe(true);
    const ok = statuses.filter((st) => st === 200).length;
    expect(ok).toBeGreaterThanOrEqual(5);
    const rows = await charged(s.payer, ok);
    expect(sumOf(rows.map((h) => h.amount))).toBe(BigInt(ok) * 8n);
    expect(BigInt(ok) * 8n).toBeLessThanOrEqual(200n);
    // Each fresh isolate opened a lease of its own.
    expect((await leases(s.payer)).length).toBeGreaterThan(1);
  });

  it("release a lease whose isolate stopped confirming it, at the next grant for its payer", async () => {
    const s = await seed({ ...prices, escrow: 100n });
    const stale = (id: string, expiresAt: number) =>
      env.DB.prepare(
        `INSERT INTO spend_holds (request_id, payer, token, key_id, day, reserved, amount, state, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, 100, 100, 'leased', ?, ?)`,
      )
        .bind(id, s.payer, s.token, s.keyId, new Date().toISOString().slice(0, 10), Date.now(), expiresAt)
        .run();
    // A live lease of another isolate holds the whole escrow: refused.
    await stale("lease:other-isolate:1", Date.now() + 60_000);
    expect((await complete(s.apiKey, s.model)).status).toBe(402);
    await env.DB.prepare("UPDATE spend_holds SET expires_at = ? WHERE request_id = 'lease:other-isolate:1'")
      .bind(Date.now() - 1)
      .run();
    // Its isolate is gone (expired): the next grant releases it and the request goes through.
    expect((await complete(s.apiKey, s.model)).status).toBe(200);
    const swept = (await leases(s.payer)).find((l) => l.request_id === "lease:other-isolate:1");
    expect(swept).toMatchObject({ state: "released", amount: "0" });
    const { held, summed } = await ledger(s.payer);
    expect(held).toBe(summed);
  });

  it("retire a lease the database has not confirmed within the TTL, returning what it did not spend", async () => {
    const s = await seed(prices);
    expect((await complete(s.apiKey, s.model)).status).toBe(200);
    await charged(s.payer, 1);
    const [first] = await leases(s.payer);
    expect(BigInt(first?.amount ?? 0)).toBeGreaterThan(0n);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + LEASE_TTL_MS + 1000 });
    expect((await complete(s.apiKey, s.model)).status).toBe(200);
    vi.useRealTimers();
    await charged(s.payer, 2);
    const after = await leases(s.payer);
    expect(after).toHaveLength(2);
    expect(after.find((l) => l.request_id === first?.request_id)).toMatchObject({ state: "released", amount: "0" });
    const current = after.find((l) => l.request_id !== first?.request_id);
    expect(current?.state).toBe("leased");
    const { held, summed } = await ledger(s.payer);
    expect(held).toBe(summed);
    expect(held).toBe(BigInt(current?.amount ?? 0) + 16n);
  });
});

describe("rate-limit leases", () => {
  it("keep a key exactly within its rpm across isolates", async () => {
    const s = await seed({ key: { rpm: 3 } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      forgetRateLeases();
      statuses.push((await complete(s.apiKey, s.model)).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const row = await env.DB.prepare("SELECT requests FROM rate_windows WHERE key_id = ?").bind(s.keyId).first();
    expect(row).toEqual({ requests: 3 });
  });

  it("lease larger slices to a busy key and still never count past its limits", async () => {
    const s = await seed({ key: { rpm: 160 } });
    const results = await Promise.all(Array.from({ length: 40 }, () => complete(s.apiKey, s.model)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const row = await env.DB.prepare("SELECT requests FROM rate_windows WHERE key_id = ?")
      .bind(s.keyId)
      .first<{ requests: number }>();
    // At least every request is counted; leased ahead by at most 1/16 of the limit, never past the limit.
    expect(row?.requests).toBeGreaterThanOrEqual(40);
    expect(row?.requests).toBeLessThanOrEqual(160);
  });
});
