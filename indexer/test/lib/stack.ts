// One anvil chain, deployment and Ponder process per database variant (PGlite or PostgreSQL), shared by a test file.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { Socket } from "node:net";
import path from "node:path";
import type { Deployment } from "@tributary/schemas/deployment";
import pg from "pg";
import { type Anvil, deployContracts, startAnvil } from "../../../scripts/lib/chain.ts";
import { type Indexer, startIndexer } from "../../../scripts/lib/indexer.ts";
import { freePort, repoRoot } from "../../../scripts/lib/processes.ts";

/** The PostgreSQL the PostgreSQL variant uses: TEST_DATABASE_URL, else the loopback server with trust auth. */
export const postgresUrl = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

export type Variant = "pglite" | "postgres";

export type Stack = { anvil: Anvil; deployment: Deployment; indexer: Indexer; stop: () => Promise<void> };

/** Whether anything accepts TCP connections at the host and port of `url`. */
export async function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return await new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once("error", () => done(false));
    socket.connect(Number(port || 5432), hostname, () => done(true));
  });
}

/** Starts anvil, deploys the contracts into a temporary deployments folder and starts `ponder start` on it. */
export async function startStack(variant: Variant): Promise<Stack> {
  mkdirSync(path.join(repoRoot, ".dev"), { recursive: true });
  const dir = mkdtempSync(path.join(repoRoot, `.dev/test-indexer-${variant}-`));
  const schema = `test_${variant}_${process.pid}_${Date.now()}`;
  const anvil = await startAnvil({ port: await freePort() });
  const cleanup = async (indexer?: Indexer) => {
    await indexer?.stop();
    await anvil.stop();
    if (variant === "postgres") await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const deployment = await deployContracts({ rpcUrl: anvil.rpcUrl, deploymentsDir: path.join(dir, "deployments") });
    const indexer = await startIndexer({
      rpcUrl: anvil.rpcUrl,
      port: await freePort(),
      deploymentsDir: path.join(dir, "deployments"),
      schema,
      pgliteDir: path.join(dir, "pglite"),
      databaseUrl: variant === "postgres" ? postgresUrl : undefined,
    });
    return { anvil, deployment, indexer, stop: () => cleanup(indexer) };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Drops the schema a test's Ponder wrote into, so test runs leave nothing behind in PostgreSQL. */
async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Retries `check` (an assertion) until it passes or `timeoutMs` runs out, then throws its last error. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
