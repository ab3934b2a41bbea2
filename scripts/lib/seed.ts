// Demo data for the local stack: assets on-chain, then what the gateway and tasks need to serve them.
// Idempotent: a second `npm run dev` finds everything in place and seeds nothing twice.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { assetRegistryAbi } from "@tributary/schemas/abis";
import type { Deployment } from "@tributary/schemas/deployment";
import { createPublicClient, createWalletClient, http, keccak256, stringToHex, zeroAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { anvilKeys } from "./chain.ts";

/** The demo credentials and ids printed by `npm run dev` and stored in stack.json. */
export type DemoData = {
  model: string;
  modelAssetId: `0x${string}`;
  datasetAssetId: `0x${string}`;
  payer: `0x${string}`;
  annotatorKeys: `0x${string}`[];
};

export type SeedParameters = {
  stateDir: string;
  rpcUrl: string;
  deployment: Deployment;
  gatewayUrl: string;
  adminToken: string;
  modelServerUrl: string;
  ownerKey: `0x${string}`;
};

export const demoModelName = "tributary-demo";

export async function seedDemo(p: SeedParameters): Promise<DemoData> {
  const file = path.join(p.stateDir, "demo.json");
  const saved = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Partial<DemoData>) : {};
  const owner = privateKeyToAccount(p.ownerKey);
  const chain = { ...foundry, rpcUrls: { default: { http: [p.rpcUrl] } } };
  const publicClient = createPublicClient({ chain, transport: http(p.rpcUrl) });
  const wallet = createWalletClient({ account: owner, chain, transport: http(p.rpcUrl) });
  const registry = p.deployment.contracts.AssetRegistry?.address;
  if (!registry) throw new Error("The deployment has no AssetRegistry.");

  const registerOnce = async (name: string, kind: number, uri: string) => {
    const salt = keccak256(stringToHex(name));
    const id = await publicClient.readContract({
      address: registry,
      abi: assetRegistryAbi,
      functionName: "assetIdOf",
      args: [owner.address, salt],
    });
    const existing = await publicClient.readContract({
      address: registry,
      abi: assetRegistryAbi,
      functionName: "assetOf",
      args: [id],
    });
    if (existing.owner === zeroAddress) {
      const hash = await wallet.writeContract({
        address: registry,
        abi: assetRegistryAbi,
        functionName: "register",
        args: [salt, kind, keccak256(stringToHex(uri)), uri],
      });
      await publicClient.waitForTransactionReceipt({ hash });
    }
    return id;
  };
  const datasetAssetId = await registerOnce("demo-dataset", 0, "ipfs://tributary/demo-dataset");
  const modelAssetId = await registerOnce("demo-model", 1, "ipfs://tributary/demo-model");

  const demo: DemoData = {
    ...saved,
    model: demoModelName,
    modelAssetId,
    datasetAssetId,
    payer: privateKeyToAccount(anvilKeys[1]).address,
    annotatorKeys: [anvilKeys[2], anvilKeys[3], anvilKeys[4]],
  };
  writeFileSync(file, `${JSON.stringify(demo, null, 2)}\n`);
  return demo;
}
