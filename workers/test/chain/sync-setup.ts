// Starts a second, private anvil chain for the chain-sync tests: they revert snapshots (reorgs), move time and settle
// epochs, which would disturb the test files sharing the main test chain.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { deployContracts, startAnvil } from "../../../scripts/lib/chain.ts";
import { freePort, repoRoot } from "../../../scripts/lib/processes.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** RPC URL of the private chain; the contracts sit at the same (CREATE2) addresses as on the main test chain. */
    syncChainRpcUrl: string;
  }
}

export default async function setup(project: TestProject) {
  mkdirSync(path.join(repoRoot, ".dev"), { recursive: true });
  const dir = mkdtempSync(path.join(repoRoot, ".dev/test-sync-"));
  const anvil = await startAnvil({ port: await freePort() });
  await deployContracts({ rpcUrl: anvil.rpcUrl, deploymentsDir: path.join(dir, "deployments") });
  project.provide("syncChainRpcUrl", anvil.rpcUrl);
  return async () => {
    await anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
