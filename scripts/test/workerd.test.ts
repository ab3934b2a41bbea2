// The worker in workerd with nothing in front of it (scripts/lib/workerd.ts): it answers, and D1 and R2 are real.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../lib/processes.ts";
import { startWorkerd, type Workerd } from "../lib/workerd.ts";
import { seedGateway } from "../seed-gateway.ts";

const ADMIN = "workerd-test-admin";
const state = mkdtempSync(path.join(tmpdir(), "tributary-workerd-test-"));
let worker: Workerd;
let port: number;
/** Headers of the requests the worker's bare bench route sends to this upstream. */
const upstreamSaw: IncomingHttpHeaders[] = [];
const upstream = createServer((req, res) => {
  upstreamSaw.push(req.headers);
  res.end("upstream answer");
});

beforeAll(async () => {
  port = await freePort();
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  worker = await startWorkerd({ port, persistTo: state, vars: { ADMIN_TOKEN: ADMIN, BENCH_UPSTREAMS: upstreamUrl } });
});

afterAll(async () => {
  await worker?.stop();
  upstream.close();
  rmSync(state, { recursive: true, force: true });
});

describe("startWorkerd", () => {
  it("listens on the requested loopback port, straight to the worker", async () => {
    expect(worker.url).toBe(`http://127.0.0.1:${port}`);
    const res = await fetch(`${worker.url}/no-such-route`);
    expect(res.status).toBe(404);
    // The worker's own error shape, not a dev proxy's page.
    expect(await res.json()).toMatchObject({ status: 404, detail: expect.stringContaining("No route") });
  });

  it("sends the worker's fetches to the network directly, not through Miniflare's outbound interceptor", async () => {
    const res = await fetch(`${worker.url}/bench/passthrough/0/anything`);
    expect(await res.text()).toBe("upstream answer");
    expect(upstreamSaw).toHaveLength(1);
    // The interceptor adds CF-Worker to every outbound request.
    expect(upstreamSaw[0]).not.toHaveProperty("cf-worker");
  });

  it("answers /health with migrated D1 databases and a working R2 bucket", async () => {
    const res = await fetch(`${worker.url}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; r2: boolean; tables: Record<string, number> };
    expect(body).toMatchObject({ ok: true, region: "local", r2: true });
    for (const db of ["control", "meter", "tasks"]) expect(body.tables[db]).toBeGreaterThan(0);
  });

  it("keeps what the admin API writes to D1: a seeded model is listed for the new key", async () => {
    const { apiKey } = await seedGateway({
      gatewayUrl: worker.url,
      adminToken: ADMIN,
      model: "workerd-test-model",
      assetId: `0x${"12".repeat(32)}`,
      upstreamBaseUrl: "http://127.0.0.1:9/v1",
      termsId: "workerd-test-terms",
      token: `0x${"cd".repeat(20)}`,
      pricePerMTokIn: 1000n,
      pricePerMTokOut: 2000n,
      licenseId: "workerd-test-license",
      payer: `0x${"ef".repeat(20)}`,
      licenseExpiresAt: new Date("2100-01-01T00:00:00Z"),
      escrow: 10n ** 18n,
    });
    const models = await fetch(`${worker.url}/v1/models`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(models.status).toBe(200);
    expect(((await models.json()) as { data: { id: string }[] }).data.map((m) => m.id)).toContain("workerd-test-model");
    const wrong = await fetch(`${worker.url}/v1/models`, { headers: { authorization: `Bearer ${apiKey}x` } });
    expect(wrong.status).toBe(401);
  });
});
