// What an account can claim: cumulative amounts and proofs from the newest finalized epoch, claimed from the chain.
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { epochLedgerAbi } from "@tributary/schemas/abis";
import type { Address, Hex } from "viem";
import { chainClient, chainConfig } from "../chain/config.ts";
import { readManifest } from "./build.ts";
import { ACCRUAL_LEAF, type Manifest } from "./manifest.ts";
import type { SettlerEnv } from "./settings.ts";

type Indexed = {
  manifest: Manifest;
  tree: StandardMerkleTree<[string, string, string]>;
  byAccount: Map<string, number[]>;
};

/** Parsed manifests per epoch id, kept for the isolate's lifetime (an epoch's manifest never changes once posted). */
const cache = new Map<number, Indexed>();

async function indexed(env: SettlerEnv, epochId: number): Promise<Indexed> {
  const hit = cache.get(epochId);
  if (hit) return hit;
  const manifest = await readManifest(env, epochId);
  const tree = StandardMerkleTree.load<[string, string, string]>(
    manifest.tree as Parameters<typeof StandardMerkleTree.load<[string, string, string]>>[0],
  );
  const byAccount = new Map<string, number[]>();
  for (const [i, [account]] of tree.entries()) {
    const key = account.toLowerCase();
    byAccount.set(key, [...(byAccount.get(key) ?? []), i]);
  }
  const entry = { manifest, tree, byAccount };
  if (cache.size > 8) cache.clear();
  cache.set(epochId, entry);
  return entry;
}

export type Payout = { token: Hex; cumulative: string; claimed: string; claimable: string; proof: Hex[] };

export type PayoutsReturnType = {
  account: Hex;
  claimableEpochId: number;
  root: Hex | null;
  leafEncoding: readonly string[];
  payouts: Payout[];
  pending: { epochId: number; token: Hex; cumulative: string }[];
};

/** Payouts of `account` (lower-case hex): per token, against the root claims are proven with now. */
export async function payoutsOf(env: SettlerEnv, account: Hex): Promise<PayoutsReturnType> {
  const config = chainConfig(env);
  const client = chainClient(config);
  const ledger = config.contracts.epochLedger;
  const [, tip, claimable] = await client.readContract({
    address: ledger,
    abi: epochLedgerAbi,
    functionName: "epochIds",
  });
  const payouts: Payout[] = [];
  let root: Hex | null = null;
  if (claimable > 0n) {
    const { manifest, tree, byAccount } = await indexed(env, Number(claimable));
    root = manifest.root;
    for (const i of byAccount.get(account) ?? []) {
      const [, token, cumulative] = tree.at(i) ?? [];
      if (!token || !cumulative) continue;
      const claimed = await client.readContract({
        address: ledger,
        abi: epochLedgerAbi,
        functionName: "claimedOf",
        args: [account as Address, token as Address],
      });
      const due = BigInt(cumulative) - claimed;
      payouts.push({
        token: token.toLowerCase() as Hex,
        cumulative,
        claimed: claimed.toString(),
        claimable: (due > 0n ? due : 0n).toString(),
        proof: tree.getProof(i) as Hex[],
      });
    }
  }
  const pending: PayoutsReturnType["pending"] = [];
  for (let id = Number(claimable) + 1; id <= Number(tip); id++) {
    const epoch = await client.readContract({
      address: ledger,
      abi: epochLedgerAbi,
      functionName: "epochOf",
      args: [BigInt(id)],
    });
    if (epoch.status !== 1) continue;
    const { manifest } = await indexed(env, id).catch(() => ({ manifest: null }));
    for (const a of manifest?.accruals ?? []) {
      if (a.account === account) pending.push({ epochId: id, token: a.token as Hex, cumulative: a.cumulative });
    }
  }
  return { account, claimableEpochId: Number(claimable), root, leafEncoding: ACCRUAL_LEAF, payouts, pending };
}
