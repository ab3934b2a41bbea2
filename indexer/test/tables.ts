// Assertions over the indexed tables, read back through the indexer's GraphQL API.
import { expect } from "vitest";
import { graphql } from "../../scripts/lib/indexer.ts";
import type { Facts } from "./lib/scenario.ts";

type Row = Record<string, unknown>;

/** All rows of the GraphQL list field `field` (up to 1,000), with the given selection. */
export async function rows(url: string, field: string, selection: string, args = ""): Promise<Row[]> {
  const query = `{ ${field}(limit: 1000${args ? `, ${args}` : ""}) { items { ${selection} } } }`;
  const data = await graphql<Record<string, { items: Row[] }>>(url, query);
  return data[field]?.items ?? [];
}

export async function expectAssets(url: string, f: Facts) {
  const assets = await rows(
    url,
    "assets",
    "id kind owner version metadataUri splitVersion splitKind parentCount parentShareBps licenseCount",
    'orderBy: "registeredBlock"',
  );
  expect(assets).toEqual([
    {
      id: f.dataset,
      kind: "dataset",
      owner: f.dave,
      version: 0,
      metadataUri: "ipfs://dataset",
      splitVersion: 1,
      splitKind: "explicit",
      parentCount: 0,
      parentShareBps: 0,
      licenseCount: 0,
    },
    {
      id: f.model,
      kind: "model",
      owner: f.alice,
      version: 1,
      metadataUri: "ipfs://model-v2",
      splitVersion: 1,
      splitKind: "merkle",
      parentCount: 1,
      parentShareBps: 2000,
      licenseCount: 1,
    },
  ]);
  const versions = await rows(url, "assetVersions", "assetId version metadataUri", 'orderBy: "blockNumber"');
  expect(versions).toEqual([
    { assetId: f.dataset, version: 0, metadataUri: "ipfs://dataset" },
    { assetId: f.model, version: 0, metadataUri: "ipfs://model" },
    { assetId: f.model, version: 1, metadataUri: "ipfs://model-v2" },
  ]);
  expect(await rows(url, "assetTransfers", "assetId from to")).toEqual([
    { assetId: f.dataset, from: f.alice, to: f.dave },
  ]);
  const splits = await rows(
    url,
    "contributorSplits",
    "assetId version kind totalWeight root uri recipientCount",
    'orderBy: "blockNumber"',
  );
  expect(splits).toEqual([
    { assetId: f.dataset, version: 1, kind: "explicit", totalWeight: "4", root: null, uri: null, recipientCount: 2 },
    {
      assetId: f.model,
      version: 1,
      kind: "merkle",
      totalWeight: "100",
      root: f.crowdRoot,
      uri: "ipfs://crowd",
      recipientCount: null,
    },
  ]);
  const recipients = await rows(url, "splitRecipients", "account weight");
  expect(recipients).toHaveLength(2);
  expect(recipients).toContainEqual({ account: f.carol, weight: "3" });
  expect(recipients).toContainEqual({ account: f.dave, weight: "1" });
  expect(await rows(url, "lineageEdges", "childId parentId shareBps licenseId")).toEqual([
    { childId: f.model, parentId: f.dataset, shareBps: 2000, licenseId: "0" },
  ]);
}

export async function expectLicensing(url: string, f: Facts) {
  const terms = await rows(
    url,
    "licenseTermss",
    "id assetId token pricePerMTokIn pricePerMTokOut upfrontFee duration transferable active",
    'orderBy: "id"',
  );
  expect(terms).toEqual([
    {
      id: "1",
      assetId: f.model,
      token: f.token,
      pricePerMTokIn: "1000",
      pricePerMTokOut: "2000",
      upfrontFee: "5000000",
      duration: "3600",
      transferable: true,
      active: true,
    },
    {
      id: "2",
      assetId: f.dataset,
      token: f.token,
      pricePerMTokIn: "1000",
      pricePerMTokOut: "2000",
      upfrontFee: "0",
      duration: "0",
      transferable: false,
      active: false,
    },
  ]);
  expect(await rows(url, "licenses", "id termsId assetId holder payer fee expiresAt transferCount approved")).toEqual([
    {
      id: "1",
      termsId: "1",
      assetId: f.model,
      holder: f.carol,
      payer: f.bob,
      fee: "5000000",
      expiresAt: String(f.mintedAt + 3600n),
      transferCount: 1,
      approved: null,
    },
  ]);
  expect(await rows(url, "licenseTransfers", "licenseId from to", 'orderBy: "blockNumber"')).toEqual([
    { licenseId: "1", from: f.zeroAddress, to: f.bob },
    { licenseId: "1", from: f.bob, to: f.carol },
  ]);
  expect(await rows(url, "licenseOperators", "owner operator approved")).toEqual([
    { owner: f.bob, operator: f.dave, approved: true },
  ]);
  expect(await rows(url, "licenseFees", "licenseId assetId token amount")).toEqual([
    { licenseId: "1", assetId: f.model, token: f.token, amount: "5000000" },
  ]);
}

export async function expectLedger(url: string, f: Facts) {
  // 100 deposited − 30 (epoch 1) − 1 + 1 (epoch 2, vetoed) − 10 withdrawn − 2 (epoch 3).
  expect(
    await rows(
      url,
      "escrowAccounts",
      "payer token balance deposited withdrawn charged refunded withdrawalRequested withdrawalUnlockEpoch",
    ),
  ).toEqual([
    {
      payer: f.bob,
      token: f.token,
      balance: "58000000",
      deposited: "100000000",
      withdrawn: "10000000",
      charged: "33000000",
      refunded: "1000000",
      withdrawalRequested: "0",
      withdrawalUnlockEpoch: null,
    },
  ]);
  const movements = await rows(
    url,
    "escrowMovements",
    "kind amount balance epochId unlockEpoch",
    'orderBy: "blockNumber"',
  );
  expect(movements).toEqual([
    { kind: "deposit", amount: "100000000", balance: "100000000", epochId: null, unlockEpoch: null },
    { kind: "withdrawal_requested", amount: "10000000", balance: "100000000", epochId: null, unlockEpoch: "2" },
    { kind: "charge", amount: "30000000", balance: "70000000", epochId: "1", unlockEpoch: null },
    { kind: "charge", amount: "1000000", balance: "69000000", epochId: "2", unlockEpoch: null },
    { kind: "refund", amount: "1000000", balance: "70000000", epochId: "2", unlockEpoch: null },
    { kind: "withdrawal", amount: "10000000", balance: "60000000", epochId: null, unlockEpoch: null },
    { kind: "charge", amount: "2000000", balance: "58000000", epochId: "3", unlockEpoch: null },
  ]);
  const epochs = await rows(
    url,
    "epochs",
    "id status root manifestUri payerCount vetoedBy finalizedAt",
    'orderBy: "id"',
  );
  expect(epochs.map((e) => [e.id, e.status, e.root, e.manifestUri, e.payerCount])).toEqual([
    ["1", "final", f.roots[0], "r2://manifests/1.json", "1"],
    ["2", "vetoed", f.roots[1], "r2://manifests/2.json", "1"],
    ["3", "pending", f.roots[2], "r2://manifests/3.json", "1"],
  ]);
  expect(epochs[1]?.vetoedBy).toBe(f.deployer);
  expect(epochs[0]?.finalizedAt).not.toBeNull();
  expect(await rows(url, "epochTotals", "epochId token charged licenseFees", 'orderBy: "epochId"')).toEqual([
    { epochId: "1", token: f.token, charged: "30000000", licenseFees: "5000000" },
    { epochId: "2", token: f.token, charged: "1000000", licenseFees: "0" },
    { epochId: "3", token: f.token, charged: "2000000", licenseFees: "0" },
  ]);
  expect(await rows(url, "payerCharges", "epochId payer amount refunded", 'orderBy: "epochId"')).toEqual([
    { epochId: "1", payer: f.bob, amount: "30000000", refunded: "0" },
    { epochId: "2", payer: f.bob, amount: "1000000", refunded: "1000000" },
    { epochId: "3", payer: f.bob, amount: "2000000", refunded: "0" },
  ]);
  expect(await rows(url, "claims", "account token amount cumulativeAmount epochId caller")).toEqual([
    {
      account: f.carol,
      token: f.token,
      amount: "20000000",
      cumulativeAmount: "20000000",
      epochId: "1",
      caller: f.dave,
    },
  ]);
  expect(await rows(url, "accountEarnings", "account token claimed claimCount")).toEqual([
    { account: f.carol, token: f.token, claimed: "20000000", claimCount: 1 },
  ]);
}

export async function expectAdmin(url: string, f: Facts) {
  const holders = await rows(url, "roleHolders", "contract role holder pending", 'orderBy: "role"');
  expect(holders).toHaveLength(4);
  expect(holders).toContainEqual({ contract: "EpochLedger", role: "guardian", holder: f.dave, pending: null });
  expect(holders).toContainEqual({ contract: "EpochLedger", role: "settler", holder: f.deployer, pending: null });
  expect(holders).toContainEqual({ contract: "AssetRegistry", role: "owner", holder: f.dave, pending: null });
  const kinds = (await rows(url, "adminEvents", "contract kind role account", 'orderBy: "blockNumber"')).map(
    (e) => `${e.contract}:${e.kind}:${e.role ?? ""}`,
  );
  for (const kind of [
    "EpochLedger:role_transferred:owner",
    "EpochLedger:licensing_set:",
    "AssetRegistry:licensing_set:",
    "EpochLedger:paused:",
    "EpochLedger:unpaused:",
    "EpochLedger:role_transfer_started:guardian",
    "EpochLedger:role_transferred:guardian",
    "AssetRegistry:ownership_transfer_started:owner",
    "AssetRegistry:ownership_transferred:owner",
  ]) {
    expect(kinds).toContain(kind);
  }
}

export async function expectRollups(url: string, f: Facts) {
  const assetDays = await rows(url, "assetDailys", "assetId token day licensesMinted licenseFees");
  expect(assetDays).toEqual([
    {
      assetId: f.model,
      token: f.token,
      day: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      licensesMinted: 1,
      licenseFees: "5000000",
    },
  ]);
  const accountDays = await rows(
    url,
    "accountDailys",
    "account claimed claimCount deposited charged refunded withdrawn",
  );
  const sum = (account: string, field: string) =>
    accountDays.filter((d) => d.account === account).reduce((s, d) => s + BigInt(d[field] as string), 0n);
  expect([sum(f.bob, "deposited"), sum(f.bob, "charged"), sum(f.bob, "refunded"), sum(f.bob, "withdrawn")]).toEqual([
    100_000_000n,
    33_000_000n,
    1_000_000n,
    10_000_000n,
  ]);
  expect(sum(f.carol, "claimed")).toBe(20_000_000n);
}
