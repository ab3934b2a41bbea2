// Reads contracts/deployments/<chainId>.json, written by the forge deploy script, for every chain to index.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Deployment, parseDeployment } from "@tributary/schemas/deployment";

/** A chain the indexer follows: its id, RPC URL and deployment. */
export type IndexedChain = { name: string; id: number; rpc: string; deployment: Deployment };

const defaultDeploymentsDir = fileURLToPath(new URL("../contracts/deployments/", import.meta.url));

/**
 * The chains to index: every `PONDER_RPC_URL_<chainId>` in the environment, or the local anvil
 * chain (31337 at http://127.0.0.1:8545) when none is set. Deployment files come from
 * `DEPLOYMENTS_DIR` (default contracts/deployments).
 */
export function indexedChains(env: NodeJS.ProcessEnv = process.env): IndexedChain[] {
  const chains = chainRpcs(env);
  const dir = env.DEPLOYMENTS_DIR ?? defaultDeploymentsDir;
  return chains.map(({ id, rpc }) => {
    const file = path.join(dir, `${id}.json`);
    if (!existsSync(file)) {
      throw new Error(`No deployment for chain ${id}: ${file} is missing. Run the deploy script for that chain first.`);
    }
    const deployment = parseDeployment(readFileSync(file, "utf8"), file);
    return { name: id === 31337 ? "anvil" : `chain${id}`, id, rpc, deployment };
  });
}

/** The ids of the chains `indexedChains` follows, without reading their deployment files. */
export function indexedChainIds(env: NodeJS.ProcessEnv = process.env): number[] {
  return chainRpcs(env).map((c) => c.id);
}

function chainRpcs(env: NodeJS.ProcessEnv): { id: number; rpc: string }[] {
  const configured = Object.entries(env)
    .filter(([key, value]) => key.startsWith("PONDER_RPC_URL_") && value)
    .map(([key, rpc]) => ({ id: Number(key.slice("PONDER_RPC_URL_".length)), rpc: rpc as string }));
  return configured.length > 0 ? configured : [{ id: 31337, rpc: "http://127.0.0.1:8545" }];
}
