// One anvil chain, deployment and Ponder process per database variant (PGlite or PostgreSQL), shared by a test file.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import type { Deployment } from "@tributary/schemas/deployment";
import { type Anvil, deployContracts, startAnvil } from "../../../scripts/lib/chain.ts";
import { type Indexer, startIndexer } from "../../../scripts/lib/indexer.ts";
import { createTempDatabase, reachable, type TempDatabase } from "../../../scripts/lib/postgres.ts";
import { freePort, repoRoot } from "../../../scripts/lib/processes.ts";

export { reachable };

/** The PostgreSQL server the PostgreSQL variant creates its throwaway database on: TEST_DATABASE_URL, else loopback with trust auth. */
export const postgresUrl = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

export type Variant = "pglite" | "postgres";

export type Stack = { anvil: Anvil; deployment: Deployment; indexer: Indexer; stop: () => Promise<void> };

/** Starts anvil, deploys the contracts into a temporary deployments folder and starts `ponder start` on it (reading manifests from `settlerUrl`). */
export async function startStack(variant: Variant, options: { settlerUrl?: string } = {}): Promise<Stack> {
  mkdirSync(path.join(repoRoot, ".dev"), { recursive: true });
  const dir = mkdtempSync(path.join(repoRoot, `.dev/test-indexer-${variant}-`));
  const schema = `test_${variant}_${process.pid}_${Date.now()}`;
  const anvil = await startAnvil({ port: await freePort() });
  let database: TempDatabase | undefined;
  const cleanup = async (indexer?: Indexer) => {
    await indexer?.stop();
    await anvil.stop();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (variant === "postgres") database = await createTempDatabase(postgresUrl, schema);
    const deployment = await deployContracts({ rpcUrl: anvil.rpcUrl, deploymentsDir: path.join(dir, "deployments") });
    const indexer = await startIndexer({
      rpcUrl: anvil.rpcUrl,
      port: await freePort(),
      deploymentsDir: path.join(dir, "deployments"),
      schema,
      pgliteDir: path.join(dir, "pglite"),
      databaseUrl: database?.url,
      settlerUrl: options.settlerUrl,
    });
    return { anvil, deployment, indexer, stop: () => cleanup(indexer) };
  } catch (err) {
    await cleanup();
    throw err;
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
