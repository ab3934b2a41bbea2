// The operator trigger of the chain sync: POST /admin/chain/sync (ADMIN_TOKEN, problem JSON).
import { describe, expect, it } from "vitest";
import { adminCall, call } from "../gateway/helpers.ts";

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
