// Demo annotation work: the demo annotators label the project, the owner exports the dataset version and
// commits its contribution weights on-chain as the dataset's Merkle split, so settlement pays annotators.
import { assetRegistryAbi } from "@tributary/schemas/abis";
import type { Deployment } from "@tributary/schemas/deployment";
import type { DatasetExport } from "@tributary/schemas/tasks/exports";
import { createPublicClient, createWalletClient, type Hex, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { api, signIn, work } from "../tasks-demo.ts";

export type SeedAnnotationsParameters = {
  tasksUrl: string;
  rpcUrl: string;
  deployment: Deployment;
  ownerKey: Hex;
  annotatorKeys: Hex[];
  datasetId: Hex;
  projectId: string;
};

/** Merkle splits are kind 2 in ContributorSplits.SplitKind (None, Explicit, Merkle). */
const MERKLE_SPLIT = 2;

/** Returns the dataset's committed split root; does the work only when the chain has no Merkle split yet. */
export async function seedAnnotations(p: SeedAnnotationsParameters): Promise<{ splitRoot: Hex }> {
  const chain = { ...foundry, rpcUrls: { default: { http: [p.rpcUrl] } } };
  const client = createPublicClient({ chain, transport: http(p.rpcUrl) });
  const registry = p.deployment.contracts.AssetRegistry?.address;
  if (!registry) throw new Error("The deployment has no AssetRegistry.");
  const split = await client.readContract({
    address: registry,
    abi: assetRegistryAbi,
    functionName: "splitOf",
    args: [p.datasetId],
  });
  if (split.kind === MERKLE_SPLIT) return { splitRoot: split.root };

  await Promise.all(p.annotatorKeys.map((key) => work(p.tasksUrl, key, p.projectId)));
  const token = await signIn(p.tasksUrl, p.ownerKey);
  const exportsUrl = `${p.tasksUrl}/tasks/datasets/${p.datasetId}/exports`;
  const { body: exported } = await api<DatasetExport>(exportsUrl, { method: "POST", token });
  const owner = createWalletClient({ account: privateKeyToAccount(p.ownerKey), chain, transport: http(p.rpcUrl) });
  const hash = await owner.writeContract({
    address: registry,
    abi: assetRegistryAbi,
    functionName: "setMerkleSplit",
    args: [p.datasetId, exported.merkleRoot as Hex, BigInt(exported.totalWeight), exportsUrl],
  });
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error("setMerkleSplit reverted.");

  // New items stay open, so annotators trying the demo have work to claim.
  await api(`${p.tasksUrl}/tasks/projects/${p.projectId}/items`, {
    method: "POST",
    token,
    json: {
      items: Array.from({ length: 10 }, (_, i) => ({
        externalId: `review-open-${i}`,
        text: i % 2 ? `Works as described, ${i} stars.` : `Stopped working on day ${i}.`,
      })),
    },
  });
  return { splitRoot: exported.merkleRoot as Hex };
}
