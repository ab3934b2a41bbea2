// Deploys the contracts to anvil, emits AssetRegistered through a real transaction, and reads the row back
// from the indexer's GraphQL API.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { assetRegistryAbi } from "@tributary/schemas/abis";
import type { Deployment } from "@tributary/schemas/deployment";
import { createWalletClient, encodeAbiParameters, http, keccak256, stringToHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Anvil, anvilKeys, deployContracts, startAnvil } from "../../scripts/lib/chain.ts";
import { graphql, type Indexer, startIndexer } from "../../scripts/lib/indexer.ts";
import { freePort, repoRoot } from "../../scripts/lib/processes.ts";

let anvil: Anvil;
let indexer: Indexer;
let deployment: Deployment;
let dir: string;

beforeAll(async () => {
  mkdirSync(path.join(repoRoot, ".dev"), { recursive: true });
  dir = mkdtempSync(path.join(repoRoot, ".dev/test-indexer-"));
  anvil = await startAnvil({ port: await freePort() });
  deployment = await deployContracts({ rpcUrl: anvil.rpcUrl, deploymentsDir: path.join(dir, "deployments") });
  indexer = await startIndexer({
    rpcUrl: anvil.rpcUrl,
    port: await freePort(),
    deploymentsDir: path.join(dir, "deployments"),
    schema: `test_${process.pid}`,
    pgliteDir: path.join(dir, "pglite"),
  });
});

afterAll(async () => {
  await indexer?.stop();
  await anvil?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("AssetRegistry indexing", () => {
  it("turns an AssetRegistered event into an asset row served over GraphQL", async () => {
    const owner = privateKeyToAccount(anvilKeys[1]);
    const wallet = createWalletClient({ account: owner, chain: foundry, transport: http(anvil.rpcUrl) });
    const registry = deployment.contracts.AssetRegistry?.address;
    expect(registry).toMatch(/^0x[0-9a-fA-F]{40}$/);
    const salt = keccak256(stringToHex("indexer-test-model"));
    const contentHash = keccak256(stringToHex("weights"));
    await wallet.writeContract({
      address: registry as `0x${string}`,
      abi: assetRegistryAbi,
      functionName: "register",
      args: [salt, 1, contentHash, "ipfs://model"],
    });

    const query = `{ assets { items { id owner kind contentHash metadataUri chainId } } }`;
    let items: { id: string; owner: string; kind: string; contentHash: string; metadataUri: string }[] = [];
    for (let i = 0; i < 100 && items.length === 0; i++) {
      items = (await graphql<{ assets: { items: typeof items } }>(indexer.url, query)).assets.items;
      if (items.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      owner: owner.address.toLowerCase(),
      kind: "model",
      contentHash,
      metadataUri: "ipfs://model",
      chainId: 31337,
    });
    // The id is computable off-chain before registration: keccak256(abi.encode(owner, salt)).
    expect(items[0]?.id).toBe(
      keccak256(encodeAbiParameters([{ type: "address" }, { type: "bytes32" }], [owner.address, salt])),
    );
  });
});
