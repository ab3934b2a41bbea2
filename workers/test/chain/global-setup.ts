// Starts a real anvil chain in Node for the workerd tests, deploys the contracts with the forge script and
// provides the RPC URL and addresses. Test files share the chain: each sends from accounts of its own.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { deployContracts, startAnvil } from "../../../scripts/lib/chain.ts";
import { freePort, repoRoot } from "../../../scripts/lib/processes.ts";

declare module "vitest" {
  export interface ProvidedContext {
    chainRpcUrl: string;
    /** contracts/deployments/<chainId>.json of the test chain, as text. */
    chainDeployment: string;
  }
}

export default async function setup(project: TestProject) {
  mkdirSync(path.join(repoRoot, ".dev"), { recursive: true });
  const dir = mkdtempSync(path.join(repoRoot, ".dev/test-workers-"));
  const anvil = await startAnvil({ port: await freePort() });
  const deployment = await deployContracts({ rpcUrl: anvil.rpcUrl, deploymentsDir: path.join(dir, "deployments") });
  project.provide("chainRpcUrl", anvil.rpcUrl);
  project.provide("chainDeployment", JSON.stringify(deployment));
  return async () => {
    await anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
