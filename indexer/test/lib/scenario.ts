// Drives the deployed contracts through every event kind the indexer handles, with real transactions.
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { encodeAbiParameters, type Hex, keccak256, maxUint256, stringToHex, zeroAddress } from "viem";
import { abis, type Chain, type Contracts } from "./chain.ts";

/** Account indexes of the anvil keys. */
export const DEPLOYER = 0;
export const ALICE = 1;
export const BOB = 2;
export const CAROL = 3;
export const DAVE = 4;

/** A cumulative accrual tree over (account, token, cumulativeAmount) in the settler's standard encoding. */
export function accrualTree(token: Hex, accruals: [Hex, bigint][]) {
  return StandardMerkleTree.of(
    accruals.map(([account, amount]) => [account, token, amount.toString()]),
    ["address", "address", "uint256"],
  );
}

/** The proof of `account`'s leaf in `tree`. */
export function proofOf(tree: ReturnType<typeof accrualTree>, account: Hex): Hex[] {
  for (const [i, value] of tree.entries()) {
    if ((value[0] as string).toLowerCase() === account.toLowerCase()) return tree.getProof(i) as Hex[];
  }
  throw new Error(`${account} has no leaf in the tree.`);
}

export const assetIdOf = (owner: Hex, salt: Hex) =>
  keccak256(encodeAbiParameters([{ type: "address" }, { type: "bytes32" }], [owner, salt]));

/** What the scenario did, for the assertions. Amounts in token base units (6 decimals). */
export type Facts = Awaited<ReturnType<typeof runScenario>>;

export async function runScenario(chain: Chain, c: Contracts) {
  const { send, accounts, advance } = chain;
  const [deployer, alice, bob, carol, dave] = accounts.map((a) => a.address.toLowerCase() as Hex) as [
    Hex,
    Hex,
    Hex,
    Hex,
    Hex,
  ];
  const { registry, licensing, ledger } = c;
  const token = c.token.toLowerCase() as Hex;

  // Assets: a dataset and a model, one metadata update, both kinds of split, one lineage edge.
  const datasetSalt = keccak256(stringToHex("scenario-dataset"));
  const modelSalt = keccak256(stringToHex("scenario-model"));
  const dataset = assetIdOf(alice, datasetSalt);
  const model = assetIdOf(alice, modelSalt);
  const r = { address: registry, abi: abis.registry } as const;
  await send(ALICE, {
    ...r,
    functionName: "register",
    args: [datasetSalt, 0, keccak256(stringToHex("labels")), "ipfs://dataset"],
  });
  await send(ALICE, {
    ...r,
    functionName: "register",
    args: [modelSalt, 1, keccak256(stringToHex("weights")), "ipfs://model"],
  });
  await send(ALICE, {
    ...r,
    functionName: "updateMetadata",
    args: [model, keccak256(stringToHex("weights-v2")), "ipfs://model-v2"],
  });
  // Accounts strictly ascending; Carol weighs 3, Dave 1.
  const split = (
    [
      [carol, 3n],
      [dave, 1n],
    ] as [Hex, bigint][]
  ).sort(([a], [b]) => (a < b ? -1 : 1));
  await send(ALICE, {
    ...r,
    functionName: "setExplicitSplit",
    args: [dataset, split.map(([a]) => a), split.map(([, w]) => w)],
  });
  const crowdRoot = keccak256(stringToHex("crowd"));
  await send(ALICE, { ...r, functionName: "setMerkleSplit", args: [model, crowdRoot, 100n, "ipfs://crowd"] });
  await send(ALICE, { ...r, functionName: "linkParent", args: [model, dataset, 2_000, 0n] });

  // Terms on the model (transferable, 1 h) and on the dataset (switched off again).
  const l = { address: licensing, abi: abis.licensing } as const;
  const fee = 5_000_000n;
  const terms = {
    token,
    pricePerMTokIn: 1_000n,
    pricePerMTokOut: 2_000n,
    duration: 3_600n,
    commercial: true,
    derivatives: true,
    active: true,
  };
  await send(ALICE, {
    ...l,
    functionName: "publishTerms",
    args: [{ ...terms, assetId: model, upfrontFee: fee, transferable: true }],
  });
  await send(ALICE, {
    ...l,
    functionName: "publishTerms",
    args: [{ ...terms, assetId: dataset, upfrontFee: 0n, duration: 0n, transferable: false }],
  });
  await send(ALICE, { ...l, functionName: "setTermsActive", args: [2n, false] });

  // Bob buys license 1 on the model, approves Dave for it and as operator, then hands it to Carol.
  const t = { address: token, abi: abis.token } as const;
  await send(BOB, { ...t, functionName: "mint", args: [bob, 1_000_000_000n] });
  await send(BOB, { ...t, functionName: "approve", args: [licensing, maxUint256] });
  await send(BOB, { ...t, functionName: "approve", args: [ledger, maxUint256] });
  const minted = await send(BOB, { ...l, functionName: "mintLicense", args: [1n, bob] });
  const mintedAt = (await chain.publicClient.getBlock({ blockNumber: minted.blockNumber })).timestamp;
  await send(BOB, { ...l, functionName: "approve", args: [dave, 1n] });
  await send(BOB, { ...l, functionName: "setApprovalForAll", args: [dave, true] });
  await send(BOB, { ...l, functionName: "transferFrom", args: [bob, carol, 1n] });

  // Escrow: Bob deposits and asks to withdraw part of it (unlocks after two more epochs).
  const e = { address: ledger, abi: abis.ledger } as const;
  await send(BOB, { ...e, functionName: "deposit", args: [bob, token, 100_000_000n] });
  await send(BOB, { ...e, functionName: "requestWithdrawal", args: [token, 10_000_000n] });

  // Epoch 1: charges Bob 30, attributes the 5 of license fees; Carol 20 and Dave 15 accrue. Final after 60 s.
  const tree1 = accrualTree(token, [
    [carol, 20_000_000n],
    [dave, 15_000_000n],
  ]);
  const charges1 = [{ payer: bob, token, amount: 30_000_000n }];
  await send(DEPLOYER, {
    ...e,
    functionName: "settleEpoch",
    args: [
      1n,
      tree1.root as Hex,
      charges1,
      [{ token, charged: 30_000_000n, licenseFees: fee }],
      keccak256(stringToHex("usage-1")),
      "r2://manifests/1.json",
    ],
  });
  await advance(61);
  await send(DAVE, { ...e, functionName: "finalize", args: [] });
  // Dave pays the gas; the funds go to Carol.
  await send(DAVE, { ...e, functionName: "claim", args: [carol, token, 20_000_000n, proofOf(tree1, carol)] });

  // Epoch 2 charges Bob 1 and is vetoed by the guardian, which refunds him.
  const charges2 = [{ payer: bob, token, amount: 1_000_000n }];
  const tree2 = accrualTree(token, [
    [carol, 20_500_000n],
    [dave, 15_500_000n],
  ]);
  await send(DEPLOYER, {
    ...e,
    functionName: "settleEpoch",
    args: [
      2n,
      tree2.root as Hex,
      charges2,
      [{ token, charged: 1_000_000n, licenseFees: 0n }],
      keccak256(stringToHex("usage-2")),
      "r2://manifests/2.json",
    ],
  });
  await send(DEPLOYER, { ...e, functionName: "veto", args: [2n, charges2] });

  // Two epochs later Bob's withdrawal unlocks.
  await send(BOB, { ...e, functionName: "withdraw", args: [token] });

  // Epoch 3 charges Bob 2 and stays pending (in its challenge period).
  const tree3 = accrualTree(token, [
    [carol, 21_000_000n],
    [dave, 16_000_000n],
  ]);
  await send(DEPLOYER, {
    ...e,
    functionName: "settleEpoch",
    args: [
      3n,
      tree3.root as Hex,
      [{ payer: bob, token, amount: 2_000_000n }],
      [{ token, charged: 2_000_000n, licenseFees: 0n }],
      keccak256(stringToHex("usage-3")),
      "r2://manifests/3.json",
    ],
  });

  // Roles and pause: pause and unpause, hand the guardian role and the registry to Dave, move the dataset to Dave.
  await send(DEPLOYER, { ...e, functionName: "pause", args: [] });
  await send(DEPLOYER, { ...e, functionName: "unpause", args: [] });
  await send(DEPLOYER, { ...e, functionName: "proposeRole", args: [2, dave] });
  await send(DAVE, { ...e, functionName: "acceptRole", args: [2] });
  await send(DEPLOYER, { ...r, functionName: "transferOwnership", args: [dave] });
  await send(DAVE, { ...r, functionName: "acceptOwnership", args: [] });
  await send(ALICE, { ...r, functionName: "transferAsset", args: [dataset, dave] });

  return {
    deployer,
    alice,
    bob,
    carol,
    dave,
    token,
    dataset,
    model,
    crowdRoot,
    fee,
    mintedAt,
    roots: [tree1.root, tree2.root, tree3.root] as Hex[],
    zeroAddress,
  };
}
