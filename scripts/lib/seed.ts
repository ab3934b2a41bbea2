// Demo data for the local stack: assets, terms, escrow and a license on-chain, then the gateway's model,
// route and API key, then an annotation project whose labelled work is committed as the dataset's split.
// Idempotent: a resumed stack reuses what it finds.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Deployment } from "@tributary/schemas/deployment";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { seedGateway } from "../seed-gateway.ts";
import { seedTasksDemo, signIn } from "../tasks-demo.ts";
import { anvilKeys } from "./chain.ts";
import { seedAnnotations } from "./seed-annotations.ts";
import { type ChainDemo, seedChainDemo } from "./seed-chain.ts";

/** The demo credentials and ids printed by `npm run dev` and stored in stack.json. */
export type DemoData = ChainDemo & {
  /** Model name to pass as `model` to the gateway. */
  model: string;
  /** A payer API key for the gateway (`Authorization: Bearer …`). */
  apiKey: string;
  payer: Hex;
  /** Private keys of demo annotators (anvil accounts), for signing in to /tasks. */
  annotatorKeys: Hex[];
  /** The demo annotation project of the dataset. */
  projectId: string;
  /** Root of the dataset's contributor split on-chain: the demo annotators' exported weights. */
  datasetSplitRoot: Hex;
};

export type SeedParameters = {
  stateDir: string;
  rpcUrl: string;
  deployment: Deployment;
  gatewayUrl: string;
  adminToken: string;
  modelServerUrl: string;
};

export const demoModelName = "tributary-demo";
const ownerKey = anvilKeys[0];
const payerKey = anvilKeys[1];

export async function seedDemo(p: SeedParameters): Promise<DemoData> {
  const file = path.join(p.stateDir, "demo.json");
  const saved = readSaved(file);
  const payer = privateKeyToAccount(payerKey).address;

  const chain = await seedChainDemo({ rpcUrl: p.rpcUrl, deployment: p.deployment, ownerKey, payerKey, saved });

  let apiKey = saved.apiKey;
  if (!apiKey || !(await keyWorks(p.gatewayUrl, apiKey))) {
    ({ apiKey } = await seedGateway({
      gatewayUrl: p.gatewayUrl,
      adminToken: p.adminToken,
      model: demoModelName,
      assetId: chain.modelAssetId,
      upstreamBaseUrl: `${p.modelServerUrl}/v1`,
      termsId: chain.termsId,
      token: chain.token,
      pricePerMTokIn: BigInt(chain.pricePerMTokIn),
      pricePerMTokOut: BigInt(chain.pricePerMTokOut),
      licenseId: chain.licenseId,
      payer,
      licenseExpiresAt: new Date(chain.licenseExpiresAt),
      escrow: BigInt(chain.escrow),
      keyName: "demo",
    }));
  }

  let projectId = saved.projectId;
  if (!projectId || !(await projectExists(p.gatewayUrl, projectId))) {
    ({ projectId } = await seedTasksDemo({ tasksUrl: p.gatewayUrl, ownerKey, datasetId: chain.datasetAssetId }));
  }

  const annotatorKeys: Hex[] = [anvilKeys[2], anvilKeys[3], anvilKeys[4]];
  const { splitRoot } = await seedAnnotations({
    tasksUrl: p.gatewayUrl,
    rpcUrl: p.rpcUrl,
    deployment: p.deployment,
    ownerKey,
    annotatorKeys,
    datasetId: chain.datasetAssetId,
    projectId,
  });

  const demo: DemoData = {
    ...chain,
    datasetSplitRoot: splitRoot,
    model: demoModelName,
    apiKey,
    payer,
    annotatorKeys,
    projectId,
  };
  writeFileSync(file, `${JSON.stringify(demo, null, 2)}\n`);
  return demo;
}

/** The demo ids of an earlier run; an unreadable file only means seeding checks everything again. */
function readSaved(file: string): Partial<DemoData> {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Partial<DemoData>;
  } catch {
    return {};
  }
}

async function keyWorks(gatewayUrl: string, apiKey: string): Promise<boolean> {
  const res = await fetch(`${gatewayUrl}/v1/models`, { headers: { authorization: `Bearer ${apiKey}` } });
  await res.body?.cancel();
  return res.ok;
}

/** Whether the saved project is still in the tasks database (it is gone after a reset of the worker state). */
async function projectExists(tasksUrl: string, projectId: string): Promise<boolean> {
  const token = await signIn(tasksUrl, ownerKey);
  const res = await fetch(`${tasksUrl}/tasks/projects/${projectId}`, { headers: { authorization: `Bearer ${token}` } });
  await res.body?.cancel();
  return res.ok;
}
