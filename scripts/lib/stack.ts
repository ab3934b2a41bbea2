// Starts the whole local stack in order and tears it down in reverse: chain, contracts, model server,
// worker, indexer, demo data. Used by `npm run dev` and the end-to-end test.
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Deployment } from "@tributary/schemas/deployment";
import { startModelServer } from "../model-server.ts";
import { anvilKeys, ensureDeployed, startAnvil } from "./chain.ts";
import { startIndexer } from "./indexer.ts";
import { assertPortFree, repoRoot } from "./processes.ts";
import { type DemoData, seedDemo } from "./seed.ts";
import { applyMigrations, startWorker } from "./workers.ts";

export type StackOptions = {
  /** State and logs; `.dev` by default. Anything else also keeps its own deployment files. */
  stateDir: string;
  ports: { chain: number; gateway: number; indexer: number; model: number };
  /** Print progress lines (the CLI does; tests do not). */
  log?: (line: string) => void;
};

/** `.dev/stack.json`: what is running where, and the demo credentials. */
export type StackInfo = {
  chainId: number;
  rpcUrl: string;
  gatewayUrl: string;
  tasksUrl: string;
  indexerUrl: string;
  dashboardUrl: string;
  modelServerUrl: string;
  /** The operator API's bearer token (`ADMIN_TOKEN`) of this local stack; docs/gateway.md, "Operator API". */
  adminToken: string;
  contracts: Record<string, `0x${string}`>;
  demo: DemoData;
};

/** What has been started so far, so a failure or Ctrl-C at any point stops exactly that. */
export class Stack {
  readonly #stops: { name: string; stop: () => Promise<void> }[] = [];

  add(name: string, stop: () => Promise<void>) {
    this.#stops.push({ name, stop });
  }

  async stop(): Promise<void> {
    for (const { stop } of this.#stops.splice(0).reverse()) await stop().catch(() => {});
  }
}

/** The worker variables naming the deployed contracts (workers/src/chain/config.ts). */
function contractVars(deployment: Deployment): Record<string, string> {
  const address = (name: string) => {
    const contract = deployment.contracts[name];
    if (!contract) throw new Error(`The deployment has no ${name}; redeploy with \`npm run dev -- --fresh\`.`);
    return contract.address;
  };
  return {
    ASSET_REGISTRY_ADDRESS: address("AssetRegistry"),
    LICENSING_ADDRESS: address("Licensing"),
    EPOCH_LEDGER_ADDRESS: address("EpochLedger"),
  };
}

/** The genesis timestamp of the local chain: kept in the state folder so a resumed chain keeps its hashes. */
function chainGenesis(stateDir: string, resuming: boolean): number {
  const file = path.join(stateDir, "chain.json");
  if (resuming) {
    let saved: { genesisTimestamp?: unknown } = {};
    try {
      saved = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      // Missing or unreadable: explained below.
    }
    if (typeof saved?.genesisTimestamp !== "number") {
      throw new Error(
        `${path.relative(repoRoot, file)} is missing or unreadable, so the saved chain cannot be resumed; run \`npm run dev -- --fresh\`.`,
      );
    }
    return saved.genesisTimestamp;
  }
  const genesisTimestamp = Math.floor(Date.now() / 1000);
  writeFileSync(file, `${JSON.stringify({ genesisTimestamp })}\n`);
  return genesisTimestamp;
}

export async function startStack(options: StackOptions, stack = new Stack()): Promise<StackInfo> {
  const { stateDir, ports } = options;
  const log = options.log ?? (() => {});
  const logsDir = path.join(stateDir, "logs");
  mkdirSync(logsDir, { recursive: true });
  const logTo = (name: string) => {
    const file = createWriteStream(path.join(logsDir, `${name}.log`), { flags: "a" });
    stack.add(`${name} log`, async () => void file.end());
    return (text: string) => void file.write(text);
  };

  await assertPortFree(ports.chain, "anvil, --chain-port");
  await assertPortFree(ports.gateway, "worker, --gateway-port");
  await assertPortFree(ports.indexer, "indexer, --indexer-port");
  await assertPortFree(ports.model, "model server, --model-port");

  log("starting the local model server");
  const model = await startModelServer({ port: ports.model });
  stack.add("model server", model.close);

  log("starting anvil (chain 31337)");
  const stateFile = path.join(stateDir, "anvil-state.json");
  const genesisTimestamp = chainGenesis(stateDir, existsSync(stateFile));
  const anvil = await startAnvil({ port: ports.chain, stateFile, genesisTimestamp }).catch((err: Error) => {
    throw existsSync(stateFile)
      ? new Error(
          `The chain state in ${path.relative(repoRoot, stateFile)} cannot be loaded; run \`npm run dev -- --fresh\`. (${err.message.split("\n")[0]})`,
        )
      : err;
  });
  stack.add("anvil", anvil.stop);

  const defaultState = stateDir === path.join(repoRoot, ".dev");
  const deploymentsDir = defaultState
    ? path.join(repoRoot, "contracts/deployments")
    : path.join(stateDir, "deployments");
  log("deploying the contracts (forge script), unless the resumed chain has them");
  const deployment = await ensureDeployed({ rpcUrl: anvil.rpcUrl, deploymentsDir }).catch((err: Error) => {
    throw new Error(`${err.message.split("\n")[0]} If the chain state is stale, run \`npm run dev -- --fresh\`.`);
  });

  log("applying D1 migrations and starting the worker (wrangler dev)");
  const persistTo = path.join(stateDir, "wrangler");
  await applyMigrations(persistTo);
  const adminToken = "dev-admin-token";
  const worker = await startWorker({
    port: ports.gateway,
    persistTo,
    vars: {
      ADMIN_TOKEN: adminToken,
      CHAIN_ID: String(deployment.chainId),
      CHAIN_RPC_URL: anvil.rpcUrl,
      ...contractVars(deployment),
      // anvil's first account deployed the contracts and holds the settler role on the local chain.
      SETTLER_PRIVATE_KEY: anvilKeys[0],
      // Signs usage receipts (a P-256 key: any 32-byte scalar below the curve's order; this one is public).
      GATEWAY_SIGNING_KEY: anvilKeys[5],
      // The settler takes every record made before the close (no watermark lag), so `npm run settle` sees them.
      SETTLEMENT_LAG_SECONDS: "0",
      // The manifest URI posted on-chain is this worker's URL, not a bare path that names no host (the dashboard and
      // anyone reading the chain could not fetch it).
      SETTLEMENT_PUBLIC_URL: `http://127.0.0.1:${ports.gateway}`,
    },
    onOutput: logTo("wrangler"),
  });
  stack.add("worker", worker.stop);

  log("starting the indexer (Ponder on PGlite)");
  // The indexer's tables are derived from the chain, so they are rebuilt on every start.
  const pgliteDir = path.join(stateDir, "pglite");
  rmSync(pgliteDir, { recursive: true, force: true });
  const indexer = await startIndexer({
    rpcUrl: anvil.rpcUrl,
    port: ports.indexer,
    deploymentsDir,
    schema: "tributary",
    pgliteDir,
    // The worker serves /settlement/epochs/:id/manifest, which reconciliation and payouts read.
    settlerUrl: worker.url,
    settlerAdminToken: adminToken,
    onOutput: logTo("ponder"),
  });
  stack.add("indexer", indexer.stop);

  log("seeding demo data");
  const demo = await seedDemo({
    stateDir,
    rpcUrl: anvil.rpcUrl,
    deployment,
    gatewayUrl: worker.url,
    adminToken,
    modelServerUrl: model.url,
  });

  // wrangler dev runs no cron triggers, so the stack stands in for the chain sync's every-minute cron:
  // once now (what the seeding wrote on-chain reaches the gateway's copy) and then every 30 s.
  const syncChain = async () => {
    const res = await fetch(`${worker.url}/admin/chain/sync`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}` },
    });
    await res.body?.cancel();
    return res.status;
  };
  const firstSync = await syncChain();
  if (firstSync >= 300)
    throw new Error(`The first chain sync answered ${firstSync}; see ${path.join("logs", "wrangler.log")}.`);
  const timer = setInterval(() => void syncChain().catch(() => {}), 30_000);
  stack.add("chain sync timer", async () => clearInterval(timer));

  const info: StackInfo = {
    chainId: deployment.chainId,
    rpcUrl: anvil.rpcUrl,
    gatewayUrl: worker.url,
    tasksUrl: worker.url,
    indexerUrl: indexer.url,
    dashboardUrl: `${indexer.url}/dashboard`,
    modelServerUrl: model.url,
    adminToken,
    contracts: Object.fromEntries(Object.entries(deployment.contracts).map(([name, c]) => [name, c.address])),
    demo,
  };
  writeFileSync(path.join(stateDir, "stack.json"), `${JSON.stringify(info, null, 2)}\n`);
  return info;
}
