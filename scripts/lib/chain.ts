// The local chain: start anvil, deploy the contracts with the forge script, read the deployment back.

import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { type Deployment, parseDeployment } from "@tributary/schemas/deployment";
import { childEnv, type Managed, repoRoot, start, waitUntil } from "./processes.ts";

const run = promisify(execFile);

/** anvil's default mnemonic: its accounts are funded on every local chain. Never use it elsewhere. */
export const anvilMnemonic = "test test test test test test test test test test test junk";

/** Private keys of anvil's first accounts (derived from `anvilMnemonic`; a test checks they match). */
export const anvilKeys = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
  "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
] as const satisfies readonly `0x${string}`[];

export type Anvil = Managed & { rpcUrl: string };

export type StartAnvilParameters = {
  port: number;
  /** Load the chain from this file if it exists and dump it there on exit. */
  stateFile?: string;
  /**
   * Genesis timestamp in seconds. A resumed chain needs the one it started with: anvil rebuilds the
   * genesis block on load, and another timestamp would give it another hash than block 1's parent.
   */
  genesisTimestamp?: number;
};

/** Starts anvil (chain 31337) on `port` and resolves once it answers JSON-RPC. */
export async function startAnvil({ port, stateFile, genesisTimestamp }: StartAnvilParameters): Promise<Anvil> {
  const args = ["--port", String(port), "--host", "127.0.0.1", "--chain-id", "31337", "--silent"];
  if (stateFile) args.push("--state", stateFile);
  if (genesisTimestamp !== undefined) args.push("--timestamp", String(genesisTimestamp));
  const anvil = start({ name: "anvil", command: "anvil", args });
  const rpcUrl = `http://127.0.0.1:${port}`;
  await waitUntil(anvil, "anvil answers JSON-RPC", async () => (await chainIdOf(rpcUrl)) === 31337);
  return { ...anvil, rpcUrl };
}

/** The chain id `rpcUrl` answers with. */
export async function chainIdOf(rpcUrl: string): Promise<number> {
  return Number(await rpc<string>(rpcUrl, "eth_chainId", []));
}

async function rpc<T>(rpcUrl: string, method: string, params: unknown[]): Promise<T> {
  const res = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal: AbortSignal.timeout(5_000),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

/**
 * The deployment in `deploymentsDir` for the chain at `rpcUrl` if every contract in it has code there
 * (a resumed local chain), else a fresh deployment.
 */
export async function ensureDeployed(p: DeployParameters & { deploymentsDir: string }): Promise<Deployment> {
  const file = path.join(p.deploymentsDir, `${await chainIdOf(p.rpcUrl)}.json`);
  if (existsSync(file)) {
    const deployment = parseDeployment(readFileSync(file, "utf8"), file);
    const codes = await Promise.all(
      Object.values(deployment.contracts).map((c) => rpc<string>(p.rpcUrl, "eth_getCode", [c.address, "latest"])),
    );
    if (codes.length > 0 && codes.every((code) => code !== "0x")) return deployment;
  }
  return await deployContracts(p);
}

export type DeployParameters = {
  rpcUrl: string;
  /** Folder the deploy script writes `<chainId>.json` into; inside the repository (forge's fs permissions). */
  deploymentsDir?: string;
  privateKey?: `0x${string}`;
};

/** Runs contracts/script/Deploy.s.sol against `rpcUrl` and returns the deployment it wrote. */
export async function deployContracts({
  rpcUrl,
  deploymentsDir = path.join(repoRoot, "contracts/deployments"),
  privateKey = anvilKeys[0],
}: DeployParameters): Promise<Deployment> {
  mkdirSync(deploymentsDir, { recursive: true });
  const args = [
    "script",
    "contracts/script/Deploy.s.sol",
    "--rpc-url",
    rpcUrl,
    "--broadcast",
    "--private-key",
    privateKey,
  ];
  await run("forge", args, {
    cwd: repoRoot,
    env: childEnv({ DEPLOYMENTS_DIR: deploymentsDir }),
    maxBuffer: 64 << 20,
  }).catch((err: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(`forge script Deploy failed: ${err.stderr || err.stdout || err.message}`);
  });
  const chainId = await chainIdOf(rpcUrl);
  const file = path.join(deploymentsDir, `${chainId}.json`);
  return parseDeployment(readFileSync(file, "utf8"), file);
}
