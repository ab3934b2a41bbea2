// The chain sync's triggers on the main test chain: the cron job, and POST /admin/chain/sync (ADMIN_TOKEN, problem JSON).
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index.ts";
import { adminCall, call } from "../gateway/helpers.ts";

describe("chain-sync cron job", () => {
  it("runs every minute and moves the cursor; a run that finds the lease taken steps aside quietly", async () => {
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const cursor = await env.DB.prepare(
      "SELECT block_number, lease_until FROM chain_sync WHERE chain_id = '31337'",
    ).first<{
      block_number: number;
      lease_until: number;
    }>();
    expect(cursor?.block_number).toBeGreaterThan(0);
    expect(cursor?.lease_until).toBe(0);

    await env.DB.prepare("UPDATE chain_sync SET lease_until = ? WHERE chain_id = '31337'")
      .bind(Date.now() + 60_000)
      .run();
    const busy = await call("/admin/chain/sync", {
      method: "POST",
      headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` },
    });
    expect(busy.status).toBe(409);
    expect(busy.headers.get("content-type")).toContain("application/problem+json");
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      await worker.scheduled(createScheduledController({ cron: "* * * * *" }), env, createExecutionContext());
    } finally {
      console.error = original;
    }
    expect(errors).toEqual([]);
    await env.DB.prepare("UPDATE chain_sync SET lease_until = 0 WHERE chain_id = '31337'").run();
  });
});

describe("POST /admin/chain/sync", () => {
  it("syncs the configured chain up to its head and reports where it stopped", async () => {
    const res = await adminCall("POST", "/chain/sync");
    const body = (await res.json()) as { chain_id: number; block: string; block_hash: string; ranges: number };
    expect(body.chain_id).toBe(31337);
    expect(BigInt(body.block)).toBeGreaterThan(0n);
    expect(body.block_hash).toMatch(/^0x[0-9a-f]{64}$/);
    const again = (await (await adminCall("POST", "/chain/sync")).json()) as { block: string; events: number };
    expect(BigInt(again.block)).toBeGreaterThanOrEqual(BigInt(body.block));
  });

  it("refuses callers without the admin token with problem JSON", async () => {
    const res = await call("/admin/chain/sync", { method: "POST" });
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
  });
});
