// Benchmark: what the metered gateway route adds over a direct call to the same local upstream.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startModelServer } from "../scripts/model-server.ts";
import { seedGateway } from "../scripts/seed-gateway.ts";

const root = path.join(import.meta.dirname, "..");
const ADMIN = "bench-admin-token";
const N = Number(process.env.BENCH_N ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

/**
 * Runs the worker under `wrangler dev` (workerd with local D1 and R2, as `npm run dev` does) after applying the shipped
 * migrations. wrangler dev puts its own proxy in front of workerd, so the overhead measured here is an upper bound of
 * what a deployed worker adds.
 */
async function startGateway(): Promise<{ url: string; close: () => Promise<void> }> {
  const state = mkdtempSync(path.join(tmpdir(), "tributary-bench-"));
  const wrangler = path.join(root, "node_modules/.bin/wrangler");
  for (const db of ["DB", "METER_DB"]) {
    execFileSync(wrangler, ["d1", "migrations", "apply", db, "--local", "--persist-to", state], {
      cwd: root,
      stdio: "ignore",
    });
  }
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(
    wrangler,
    ["dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", state, "--var", `ADMIN_TOKEN:${ADMIN}`],
    { cwd: root, stdio: "ignore" },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const up = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (i > 120) throw new Error("wrangler dev did not start");
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    url,
    close: async () => {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(state, { recursive: true, force: true });
    },
  };
}

/** Seeds two models (one per upstream) licensed to one payer with a large escrow; returns an API key. */
async function seed(gatewayUrl: string, upstreams: Record<string, string>): Promise<string> {
  let apiKey = "";
  for (const [i, [model, url]] of Object.entries(upstreams).entries()) {
    ({ apiKey } = await seedGateway({
      gatewayUrl,
      adminToken: ADMIN,
      model,
      assetId: `0x${String(i + 1).repeat(64)}`,
      upstreamBaseUrl: `${url}/v1`,
      termsId: `terms-${model}`,
      token: `0x${"cd".repeat(20)}`,
      pricePerMTokIn: 1000n,
      pricePerMTokOut: 2000n,
      licenseId: `license-${model}`,
      payer: `0x${"ef".repeat(20)}`,
      licenseExpiresAt: new Date("2100-01-01T00:00:00Z"),
      escrow: 10n ** 18n,
    }));
  }
  return apiKey;
}

const body = (model: string, stream: boolean) =>
  JSON.stringify({
    model,
    stream,
    messages: [{ role: "user", content: "the quick brown fox jumps over the lazy dog" }],
  });

/** One request (a chat completion, or a GET of `path`); returns total ms and ms to the first body byte. */
async function once(url: string, payload: string | null, key?: string, path = "/v1/chat/completions") {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key) headers.authorization = `Bearer ${key}`;
  const started = performance.now();
  const init = payload === null ? { headers } : { method: "POST", headers, body: payload };
  const res = await fetch(`${url}${path}`, init);
  const reader = res.body?.getReader();
  let first = 0;
  for (;;) {
    const { done } = (await reader?.read()) ?? { done: true };
    if (!first) first = performance.now() - started;
    if (done) break;
  }
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  return { total: performance.now() - started, first };
}

const pct = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};
const round = (x: number) => Math.round(x * 100) / 100;

async function series(n: number, call: () => Promise<{ total: number; first: number }>) {
  for (let i = 0; i < Math.min(50, n); i++) await call();
  const samples: { total: number; first: number }[] = [];
  for (let i = 0; i < n; i++) samples.push(await call());
  const total = samples.map((s) => s.total);
  const first = samples.map((s) => s.first);
  return {
    p50: round(pct(total, 50)),
    p99: round(pct(total, 99)),
    ttft_p50: round(pct(first, 50)),
    ttft_p99: round(pct(first, 99)),
  };
}

async function throughput(call: () => Promise<unknown>) {
  const deadline = performance.now() + SECONDS * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        await call();
        done++;
      }
    }),
  );
  return Math.round(done / SECONDS);
}

const fast = await startModelServer({ latencyMs: 0 });
const slow = await startModelServer({ latencyMs: 50 });
const gateway = await startGateway();
try {
  const key = await seed(gateway.url, { "bench-0ms": fast.url, "bench-50ms": slow.url });
  const results: Record<string, unknown> = { n: N, concurrency: CONCURRENCY, seconds: SECONDS };
  // The harness floor: a worker route with no database, through the same dev proxy.
  results.floor = await series(N, () => once(gateway.url, null, undefined, "/v1/usage/signer"));
  // Authentication and one control-database read, no upstream and no write.
  results.models = await series(N, () => once(gateway.url, null, key, "/v1/models"));
  console.log("floor (no database)", JSON.stringify(results.floor));
  console.log("GET /v1/models (one read)", JSON.stringify(results.models));
  for (const [label, upstream, model, n] of [
    ["0ms", fast.url, "bench-0ms", N],
    ["50ms", slow.url, "bench-50ms", Math.min(N, 200)],
  ] as const) {
    for (const stream of [false, true]) {
      const kind = `${label} ${stream ? "stream" : "json"}`;
      const direct = await series(n, () => once(upstream, body("echo", stream)));
      const viaGateway = await series(n, () => once(gateway.url, body(model, stream), key));
      results[kind] = {
        direct,
        gateway: viaGateway,
        added_p50_ms: round(viaGateway.p50 - direct.p50),
        added_p99_ms: round(viaGateway.p99 - direct.p99),
        added_ttft_p50_ms: round(viaGateway.ttft_p50 - direct.ttft_p50),
      };
      console.log(kind, JSON.stringify(results[kind]));
    }
  }
  const directRps = await throughput(() => once(fast.url, body("echo", false)));
  const gatewayRps = await throughput(() => once(gateway.url, body("bench-0ms", false), key));
  results.throughput_rps = { direct: directRps, gateway: gatewayRps };
  console.log("throughput (requests/s)", JSON.stringify(results.throughput_rps));
  writeFileSync(path.join(import.meta.dirname, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
} finally {
  await gateway.close();
  await fast.close();
  await slow.close();
}
