// A chain reorganisation on anvil (snapshot, blocks, revert, other blocks) and what the tables must show after it.
import { keccak256, stringToHex } from "viem";
import { expect } from "vitest";
import { abis, type Contracts, connect } from "./lib/chain.ts";
import { ALICE, assetIdOf, BOB, type Facts } from "./lib/scenario.ts";
import { eventually } from "./lib/stack.ts";
import { rows } from "./tables.ts";

const balanceOf = async (url: string) => (await rows(url, "escrowAccounts", "balance"))[0]?.balance;

/** Indexes a branch with an asset and a deposit, drops it for a branch with another asset, and checks the tables follow. */
export async function expectReorgFollowed(url: string, rpcUrl: string, c: Contracts, f: Facts) {
  const chain = connect(rpcUrl);
  const register = (name: string) =>
    chain.send(ALICE, {
      address: c.registry,
      abi: abis.registry,
      functionName: "register",
      args: [keccak256(stringToHex(name)), 2, keccak256(stringToHex(name)), `ipfs://${name}`],
    });
  const dropped = assetIdOf(f.alice, keccak256(stringToHex("reorg-dropped")));
  const kept = assetIdOf(f.alice, keccak256(stringToHex("reorg-kept")));
  const ids = async () => (await rows(url, "assets", "id")).map((a) => a.id);

  // The branch that will be dropped: an agent and a deposit of 7, indexed.
  const snapshot = await chain.testClient.snapshot();
  await register("reorg-dropped");
  await chain.send(BOB, {
    address: c.ledger,
    abi: abis.ledger,
    functionName: "deposit",
    args: [f.bob, f.token, 7_000_000n],
  });
  await eventually(async () => {
    expect(await ids()).toContain(dropped);
    expect(await balanceOf(url)).toBe("65000000");
  });

  // The new branch, longer than the dropped one: another agent and no deposit.
  await chain.testClient.revert({ id: snapshot });
  await register("reorg-kept");
  await chain.testClient.mine({ blocks: 4 });
  await eventually(async () => {
    const now = await ids();
    expect(now).toContain(kept);
    expect(now).not.toContain(dropped);
    expect(await balanceOf(url)).toBe("58000000");
  });
  expect(await rows(url, "escrowMovements", "id")).toHaveLength(7);
  expect(
    (await rows(url, "accountDailys", "account deposited")).filter((d) => d.account === f.bob).map((d) => d.deposited),
  ).toEqual(["100000000"]);
  expect((await rows(url, "assetVersions", "assetId")).map((v) => v.assetId)).not.toContain(dropped);
}
