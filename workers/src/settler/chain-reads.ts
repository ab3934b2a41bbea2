// What the settler reads from the chain: lineage and splits (with tasks exports for Merkle splits), license fees.
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { assetRegistryAbi, epochLedgerAbi } from "@tributary/schemas/abis";
import { weightsFileSchema } from "@tributary/schemas/tasks";
import { type Address, getAbiItem, type PublicClient } from "viem";
import type { LicenseFee, ManifestAsset, SplitInfo } from "./manifest.ts";

type Hex = `0x${string}`;

/** The ledger's `EpochStatus` values (contracts/src/base/Settlement.sol) that the settler acts on. */
export const EPOCH_STATUS = { vetoed: 2, final: 3 } as const;

export class UnresolvableAsset extends Error {
  override readonly name = "UnresolvableAsset";
  readonly assetId: Hex;
  constructor(assetId: Hex, message: string) {
    super(message);
    this.assetId = assetId;
  }
}

export type LoadAssetsParameters = {
  client: PublicClient;
  registry: Address;
  tasksDb: D1Database;
  bucket: R2Bucket;
  maxDepth: number;
};

/**
 * Loads `rootId` and its ancestors up to `maxDepth` into `into` (skipping ones already there). Throws
 * UnresolvableAsset naming the root when the root or an ancestor is unknown on-chain, or a Merkle split has
 * no tasks export with the same root.
 */
export async function loadLineage(p: LoadAssetsParameters, rootId: Hex, into: Map<Hex, ManifestAsset>): Promise<void> {
  const visit = async (assetId: Hex, depth: number): Promise<void> => {
    if (into.has(assetId)) return;
    const asset = await loadAsset(p, assetId).catch((err: unknown) => {
      throw new UnresolvableAsset(
        rootId,
        `Asset ${assetId} (lineage of ${rootId}) cannot be resolved: ${message(err)}`,
      );
    });
    into.set(assetId, asset);
    if (depth >= p.maxDepth) return;
    for (const parent of asset.parents) await visit(parent.assetId, depth + 1);
  };
  await visit(rootId.toLowerCase() as Hex, 0);
}

async function loadAsset(p: LoadAssetsParameters, assetId: Hex): Promise<ManifestAsset> {
  const at = { address: p.registry, abi: assetRegistryAbi, args: [assetId] } as const;
  const [asset, parents, split] = await Promise.all([
    p.client.readContract({ ...at, functionName: "assetOf" }),
    p.client.readContract({ ...at, functionName: "parentsOf" }),
    p.client.readContract({ ...at, functionName: "splitOf" }),
  ]);
  const base = {
    id: assetId,
    owner: asset.owner.toLowerCase() as Hex,
    parents: parents.map((l) => ({ assetId: l.parentId.toLowerCase() as Hex, shareBps: Number(l.shareBps) })),
  };
  if (split.kind === 0) return { ...base, split: [], splitInfo: { kind: "none" } };
  if (split.kind === 1) {
    const recipients = await p.client.readContract({ ...at, functionName: "recipientsOf" });
    const info: SplitInfo = {
      kind: "explicit",
      version: split.version,
      totalWeight: split.totalWeight.toString(),
      recipients: recipients.length,
    };
    const list = recipients.map((r) => ({ account: r.account.toLowerCase() as Hex, weight: BigInt(r.weight) }));
    return { ...base, split: list, splitInfo: info };
  }
  const root = split.root.toLowerCase() as Hex;
  const row = await p.tasksDb
    .prepare("SELECT weights_key FROM dataset_exports WHERE lower(merkle_root) = ? ORDER BY created_at DESC LIMIT 1")
    .bind(root)
    .first<{ weights_key: string }>();
  if (!row) throw new Error(`no tasks export has the Merkle root ${root}`);
  const object = await p.bucket.get(row.weights_key);
  if (!object) throw new Error(`the weights file ${row.weights_key} is missing from R2`);
  const file = weightsFileSchema.parse(await object.json());
  const weights = file.weights.map((w) => ({ account: w.account.toLowerCase() as Hex, weight: BigInt(w.weight) }));
  const rebuilt = StandardMerkleTree.of(
    weights.map((w) => [w.account, w.weight.toString()]),
    ["address", "uint256"],
  );
  if (rebuilt.root.toLowerCase() !== root) {
    throw new Error(`the weights file ${row.weights_key} has root ${rebuilt.root}, the chain ${root}`);
  }
  const total = weights.reduce((sum, w) => sum + w.weight, 0n);
  if (total !== split.totalWeight) {
    throw new Error(`the weights file ${row.weights_key} sums to ${total}, the chain says ${split.totalWeight}`);
  }
  const info: SplitInfo = {
    kind: "merkle",
    version: split.version,
    root,
    totalWeight: total.toString(),
    recipients: weights.length,
    weightsKey: row.weights_key,
  };
  return { ...base, split: weights, splitInfo: info };
}

const feeEvent = getAbiItem({ abi: epochLedgerAbi, name: "LicenseFeeHeld" });

/** `LicenseFeeHeld` events of the ledger in blocks from..to (inclusive), in chain order. */
export async function licenseFeesIn(
  client: PublicClient,
  ledger: Address,
  from: bigint,
  to: bigint,
): Promise<LicenseFee[]> {
  if (to < from) return [];
  const logs = await client.getLogs({ address: ledger, event: feeEvent, fromBlock: from, toBlock: to, strict: true });
  return logs.map((l) => ({
    licenseId: l.args.licenseId,
    assetId: l.args.assetId.toLowerCase() as Hex,
    token: l.args.token.toLowerCase() as Hex,
    amount: l.args.amount,
    blockNumber: l.blockNumber,
    transactionHash: l.transactionHash,
    logIndex: l.logIndex,
  }));
}

function message(err: unknown): string {
  return err instanceof Error ? ((err as { shortMessage?: string }).shortMessage ?? err.message) : String(err);
}
