// The gateway under test: local model servers in their own processes, the worker in workerd (no dev proxy), seeded;
// Portkey's gateway beside it as a baseline.
import { accessSync, constants, statfsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { answers, freePort, type Managed, repoRoot, start, waitUntil } from "../../scripts/lib/processes.ts";
import { startWorkerd } from "../../scripts/lib/workerd.ts";
import { applyMigrations, startWorker } from "../../scripts/lib/workers.ts";
import { seedGateway } from "../../scripts/seed-gateway.ts";
import { descendantsNamed } from "../lib/cpu.ts";

const ADMIN = "bench-admin-token";
const PAYER = `0x${"ef".repeat(20)}` as const;
const TOKEN = `0x${"cd".repeat(20)}` as const;

/** One local upstream: a model server with its own latency, reached directly, bare through the worker, or metered. */
export type Upstream = {
  /** The model server's base URL (direct calls). */
  direct: string;
  /** The worker's bare pass-through route to it. */
  bare: string;
  /** The gateway model name routed to it. */
  model: string;
};

/** What runs the worker: workerd with nothing in front (default), or `wrangler dev` with its proxy, to compare. */
export type Runtime = "workerd" | "wrangler-dev";

export type GatewayStack = {
  url: string;
  runtime: Runtime;
  /** Where the worker's local D1 and R2 keep their files (`stateDirectory`). */
  state: StateDirectory;
  /** An API key without limits. */
  key: string;
  /** An API key with rpm and tpm limits high enough never to refuse, so every call also runs the rate limiter. */
  limitedKey: string;
  upstreams: { fast: Upstream; slow: Upstream; streaming: Upstream };
  /** Portkey's open-source gateway in Node, routing to any upstream by headers (`portkeyHeaders`). */
  portkey: string;
  /** Processes serving the calls, for their CPU time: workerd (absent under `wrangler dev`) and Portkey's node. */
  pids: { worker?: number; portkey: number };
  close: () => Promise<void>;
};

/** Upstream options per name: latency before the answer, and delay between streamed chunks (ms). */
const UPSTREAMS = {
  fast: { latencyMs: 0, chunkDelayMs: 0 },
  slow: { latencyMs: 50, chunkDelayMs: 0 },
  streaming: { latencyMs: 0, chunkDelayMs: 5 },
} as const;

/** Portkey's gateway (npm `@portkey-ai/gateway`, a devDependency), run as its package's bin does. */
const PORTKEY_SERVER = path.join(repoRoot, "node_modules/@portkey-ai/gateway/build/start-server.js");

/** Headers that send an OpenAI-compatible call through Portkey to `upstream`'s model server. */
export function portkeyHeaders(upstream: Upstream): Record<string, string> {
  return {
    "x-portkey-provider": "openai",
    "x-portkey-custom-host": `${upstream.direct}/v1`,
    authorization: "Bearer bench",
  };
}

/** TMPFS_MAGIC of statfs(2): a file system in memory. */
const TMPFS = 0x01021994;

/** The folder the local D1 and R2 files go under, and whether it is in memory. */
export type StateDirectory = { parent: string; storage: "memory" | "disk" };

/**
 * Where the worker's local D1 and R2 keep their files: `BENCH_STATE_DIR` when set, else /dev/shm when it is a
 * writable file system in memory, else the temp folder. Miniflare's D1 is SQLite inside the worker's own workerd
 * process, so every commit's file work and every WAL checkpoint's fsyncs (0.5–1 ms each on this machine's disk) run
 * on the thread that serves the worker's requests. A deployed worker never pays that: D1 commits on D1's servers.
 * On disk, a call answered while the previous call's metering batch committed waited for those syncs (docs/benchmarks.md).
 */
export function stateDirectory(env: NodeJS.ProcessEnv = process.env): StateDirectory {
  const configured = env.BENCH_STATE_DIR || undefined;
  const parent = configured ?? (inMemory("/dev/shm") ? "/dev/shm" : tmpdir());
  return { parent, storage: inMemory(parent) ? "memory" : "disk" };
}

function inMemory(folder: string): boolean {
  try {
    accessSync(folder, constants.W_OK);
    return statfsSync(folder).type === TMPFS;
  } catch {
    return false;
  }
}

/** `BENCH_RUNTIME=wrangler-dev npm run bench -- gateway` measures the worker behind wrangler dev's proxy instead. */
export function runtimeFromEnv(): Runtime {
  const runtime = process.env.BENCH_RUNTIME ?? "workerd";
  if (runtime !== "workerd" && runtime !== "wrangler-dev") {
    throw new Error(`BENCH_RUNTIME must be "workerd" or "wrangler-dev", not "${runtime}".`);
  }
  return runtime;
}

/**
 * Model servers run in child processes so the load generator's event loop measures only the client side. The
 * worker runs in workerd with Miniflare's local D1 and R2 and is reached on its own socket (scripts/lib/workerd.ts),
 * with none of `wrangler dev`'s proxy layers in front, as on Cloudflare's edge. The bare route runs in the same
 * worker and pays the same runtime, which is what makes metered ÷ bare the gateway's own cost.
 */
export async function startGatewayStack(runtime: Runtime = runtimeFromEnv()): Promise<GatewayStack> {
  const managed: Pick<Managed, "stop">[] = [];
  const storage = stateDirectory();
  const state = await mkdtemp(path.join(storage.parent, "tributary-bench-"));
  const close = async () => {
    for (const m of managed.reverse()) await m.stop();
    await rm(state, { recursive: true, force: true });
  };
  try {
    const servers: Record<string, string> = {};
    for (const [name, o] of Object.entries(UPSTREAMS)) {
      const port = await freePort();
      const args = ["scripts/model-server.ts", "--port", String(port), "--latency-ms", String(o.latencyMs)];
      const server = start({
        name: `model-server-${name}`,
        command: "node",
        args: [...args, "--chunk-delay-ms", String(o.chunkDelayMs)],
      });
      managed.push(server);
      servers[name] = `http://127.0.0.1:${port}`;
      await waitUntil(server, `the ${name} model server answers`, () => answers(`${servers[name]}/v1/models`));
    }
    // Portkey as its bin starts it; `--headless` leaves out its log console UI. It listens on every interface (it
    // takes no host); we call it on loopback. It reaches nothing but the model servers (checked with strace).
    const portkeyPort = await freePort();
    const portkey = start({
      name: "portkey",
      command: "node",
      args: [PORTKEY_SERVER, `--port=${portkeyPort}`, "--headless"],
    });
    managed.push(portkey);
    const portkeyUrl = `http://127.0.0.1:${portkeyPort}`;
    await waitUntil(portkey, "Portkey's gateway answers", () => answers(portkeyUrl));
    const names = Object.keys(UPSTREAMS);
    const vars = { ADMIN_TOKEN: ADMIN, BENCH_UPSTREAMS: names.map((n) => servers[n]).join(",") };
    let worker: { url: string; stop: () => Promise<void> };
    if (runtime === "wrangler-dev") {
      await applyMigrations(state);
      worker = await startWorker({ port: await freePort(), persistTo: state, vars });
    } else {
      const inspector = process.env.BENCH_INSPECTOR_PORT;
      worker = await startWorkerd({
        persistTo: state,
        vars,
        ...(inspector ? { inspectorPort: Number(inspector) } : {}),
      });
    }
    managed.push(worker);
    const workerds = runtime === "workerd" ? descendantsNamed(process.pid, "workerd") : [];
    if (runtime === "workerd" && workerds.length !== 1) {
      throw new Error(`Expected one workerd process under the bench, found ${workerds.length}.`);
    }
    let key = "";
    for (const [i, name] of names.entries()) {
      ({ apiKey: key } = await seedGateway({
        gatewayUrl: worker.url,
        adminToken: ADMIN,
        model: `bench-${name}`,
        assetId: `0x${String(i + 1).repeat(64)}`,
        upstreamBaseUrl: `${servers[name]}/v1`,
        termsId: `terms-${name}`,
        token: TOKEN,
        pricePerMTokIn: 1000n,
        pricePerMTokOut: 2000n,
        licenseId: `license-${name}`,
        payer: PAYER,
        licenseExpiresAt: new Date("2100-01-01T00:00:00Z"),
        escrow: 10n ** 18n,
      }));
    }
    const upstream = (name: string, i: number): Upstream => ({
      direct: servers[name] as string,
      bare: `${worker.url}/bench/passthrough/${i}`,
      model: `bench-${name}`,
    });
    return {
      url: worker.url,
      runtime,
      state: storage,
      key,
      limitedKey: await createLimitedKey(worker.url),
      upstreams: { fast: upstream("fast", 0), slow: upstream("slow", 1), streaming: upstream("streaming", 2) },
      portkey: portkeyUrl,
      pids: { ...(workerds[0] === undefined ? {} : { worker: workerds[0] }), portkey: portkey.child.pid as number },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

async function createLimitedKey(url: string): Promise<string> {
  const res = await fetch(`${url}/admin/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: JSON.stringify({ payer: PAYER, name: "bench-limited", rpm: 10_000_000, tpm: 2_000_000_000 }),
  });
  if (!res.ok) throw new Error(`Creating the rate-limited key failed with ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { secret: string }).secret;
}
