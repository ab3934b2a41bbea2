// The worker in workerd with nothing in front of it: real local D1 and R2 (Miniflare's), one loopback socket.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { type Json, Miniflare, type MiniflareWorkerConfig, PLUGINS } from "miniflare";
import { unstable_readConfig } from "wrangler";
import { childEnv, repoRoot } from "./processes.ts";
import { applyMigrations } from "./workers.ts";

const run = promisify(execFile);

type ServiceConfig = { name?: string; worker?: { globalOutbound?: { name?: string } } };
type CorePlugin = { getServices: (...args: unknown[]) => Promise<{ services: ServiceConfig[] }> };

/** Names of the user services whose outbound interceptor is taken out, and whether it was. */
const directOutbound = new Map<string, boolean>();
let coreWrapped = false;

/**
 * Miniflare routes every fetch a worker makes through an "outbound interceptor", a JavaScript worker of its own
 * (it emulates image resizing and strips CF-Connecting-IP). Deployed workers have no such hop, and it costs about
 * 0.25 ms per upstream call on the 2-core machine. This takes it out for the workers started here: their fetches
 * go to workerd's network service directly. Miniflare has no option for it, so this wraps its core plugin, once.
 */
function takeOutOutboundInterceptor(serviceName: string): void {
  const core = PLUGINS.core as unknown as CorePlugin;
  if (!coreWrapped) {
    coreWrapped = true;
    const getServices = core.getServices.bind(core);
    core.getServices = async (...args) => {
      const result = await getServices(...args);
      for (const service of result.services) {
        if (!service.name || !directOutbound.has(service.name)) continue;
        if (!service.worker?.globalOutbound?.name?.startsWith("outbound:")) continue;
        delete service.worker.globalOutbound;
        directOutbound.set(service.name, true);
      }
      return result;
    };
  }
  directOutbound.set(serviceName, false);
}

export type StartWorkerdParameters = {
  /** Loopback port of the worker's socket; absent or 0 picks a free one. */
  port?: number;
  /** Local D1 and R2 state, in the layout of `wrangler dev --persist-to` (migrations are applied to it here). */
  persistTo: string;
  /** Worker variables and secrets on top of wrangler.toml's `[vars]`. */
  vars: Record<string, string>;
  /** Called with every line the worker logs; otherwise kept for `output()`. */
  onOutput?: (text: string) => void;
  /** Loopback port of workerd's V8 inspector (Chrome DevTools protocol), to profile the worker; absent: none. */
  inspectorPort?: number;
};

export type Workerd = {
  /** Base URL of the worker's own socket, e.g. http://127.0.0.1:41234. */
  url: string;
  /** The worker's last log lines, to explain a failure. */
  output: () => string;
  stop: () => Promise<void>;
};

/** Builds the worker as `wrangler deploy` would (esbuild, nodejs_compat polyfills) into `outDir`; returns the module. */
export async function bundleWorker(outDir: string): Promise<string> {
  await run("wrangler", ["deploy", "--dry-run", "--env=", "--outdir", outDir], {
    cwd: repoRoot,
    env: childEnv(),
    maxBuffer: 16 << 20,
  }).catch((err: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(`Bundling the worker failed: ${err.stderr || err.stdout || err.message}`);
  });
  return path.join(outDir, "index.js");
}

/**
 * Runs the worker of wrangler.toml (top-level environment) in workerd through Miniflare, the same runtime and local
 * D1/R2 simulators `wrangler dev` uses, but listening on a direct socket of the user worker: no wrangler ProxyWorker,
 * no Miniflare entry worker, no request logging back to Node. Requests go from the client straight to the worker, as
 * on Cloudflare's edge, where nothing of the dev tooling sits in front of it either. Crons do not fire.
 */
export async function startWorkerd({
  port = 0,
  persistTo,
  vars,
  onOutput,
  inspectorPort,
}: StartWorkerdParameters): Promise<Workerd> {
  const config = unstable_readConfig({ config: path.join(repoRoot, "wrangler.toml") }, { hideWarnings: true });
  // Only vars, D1 and R2 are passed on below: fail loudly rather than run without a binding wrangler.toml gained.
  const unmapped = {
    kv_namespaces: config.kv_namespaces.length,
    durable_objects: config.durable_objects.bindings.length,
    services: config.services?.length ?? 0,
    queues: config.queues.producers?.length ?? 0,
  };
  const missing = Object.entries(unmapped).filter(([, n]) => n > 0);
  if (missing.length > 0) {
    throw new Error(`startWorkerd does not pass on ${missing.map(([k]) => k).join(", ")} bindings yet.`);
  }
  const build = await mkdtemp(path.join(tmpdir(), "tributary-workerd-"));
  let output = "";
  const keep = (text: string) => {
    output = `${output}${text}\n`.slice(-20_000);
    onOutput?.(text);
  };
  try {
    const [main] = await Promise.all([bundleWorker(build), applyMigrations(persistTo)]);
    const workerName = config.name ?? "worker";
    takeOutOutboundInterceptor(`core:user:${workerName}`);
    const env: NonNullable<MiniflareWorkerConfig["env"]> = {};
    for (const [name, value] of Object.entries({ ...config.vars, ...vars })) {
      env[name] = typeof value === "string" ? { type: "text", value } : { type: "json", value: value as Json };
    }
    for (const d of config.d1_databases) {
      env[d.binding] = { type: "d1", id: d.preview_database_id ?? d.database_id ?? d.binding };
    }
    for (const b of config.r2_buckets) env[b.binding] = { type: "r2", name: b.preview_bucket_name ?? b.bucket_name };
    const mf = new Miniflare({
      host: "127.0.0.1",
      port: 0,
      logRequests: false,
      enableDevRegistry: false,
      ...(inspectorPort === undefined ? {} : { inspectorPort }),
      // `wrangler dev --persist-to <dir>` and `wrangler d1 migrations apply --persist-to <dir>` keep state in <dir>/v3.
      resourcePersistencePath: path.join(persistTo, "v3"),
      handleStructuredLogs: ({ message }) => keep(message),
      workers: [
        {
          config: {
            name: workerName,
            compatibilityDate: config.compatibility_date ?? "2026-08-01",
            compatibilityFlags: config.compatibility_flags,
            manifest: {
              mainModule: "index.js",
              modules: { "index.js": { type: "esm", contents: await readFile(main, "utf8") } },
            },
            env,
          },
          dev: { unsafeDirectSockets: [{ host: "127.0.0.1", port }], unsafeRegisterWorker: false },
        },
      ],
    });
    let url: string;
    try {
      url = (await mf.unsafeGetDirectURL(workerName)).origin;
      if (!directOutbound.get(`core:user:${workerName}`)) {
        throw new Error("Miniflare's outbound interceptor was not found to take out (has its config layout changed?).");
      }
    } catch (err) {
      await mf.dispose().catch(() => {});
      throw err;
    }
    await rm(build, { recursive: true, force: true });
    return { url, output: () => output, stop: () => mf.dispose() };
  } catch (err) {
    await rm(build, { recursive: true, force: true });
    throw new Error(`Starting the worker in workerd failed: ${(err as Error).message}\n${output}`, { cause: err });
  }
}
