// Handlers for AssetRegistry events: assets, metadata versions, transfers, splits, lineage and ownership.
import { ponder } from "ponder:registry";
import {
  asset,
  assetTransfer,
  assetVersion,
  contributorSplit,
  lineageEdge,
  roleHolder,
  splitRecipient,
} from "ponder:schema";
import { at, logAdmin } from "./lib/rows.ts";

const kinds = ["dataset", "model", "agent"] as const;

ponder.on("AssetRegistry:AssetRegistered", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { assetId, owner, contentHash, metadataURI } = event.args;
  // Registration creates the asset at metadata version 0, with no split and no parents yet.
  await context.db
    .insert(asset)
    .values({
      chainId,
      id: assetId,
      owner,
      kind: kinds[event.args.kind] ?? "unknown",
      contentHash,
      metadataUri: metadataURI,
      version: 0,
      splitVersion: 0,
      splitKind: "none",
      parentCount: 0,
      parentShareBps: 0,
      licenseCount: 0,
      registeredBlock: event.block.number,
      registeredAt: event.block.timestamp,
      transactionHash: event.transaction.hash,
    })
    .onConflictDoNothing();
  // Version 0 of the asset's metadata history.
  await context.db
    .insert(assetVersion)
    .values({ chainId, assetId, version: 0, contentHash, metadataUri: metadataURI, ...at(event) })
    .onConflictDoNothing();
});

ponder.on("AssetRegistry:AssetTransferred", async ({ event, context }) => {
  const chainId = context.chain.id;
  // The transfer itself, as history.
  await context.db
    .insert(assetTransfer)
    .values({
      id: event.id,
      chainId,
      assetId: event.args.assetId,
      from: event.args.from,
      to: event.args.to,
      ...at(event),
    })
    .onConflictDoNothing();
  // The asset's current owner.
  await context.db.update(asset, { chainId, id: event.args.assetId }).set({ owner: event.args.to });
});

ponder.on("AssetRegistry:AssetMetadataUpdated", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { assetId, contentHash, metadataURI } = event.args;
  // The asset's current metadata, one version up.
  const updated = await context.db
    .update(asset, { chainId, id: assetId })
    .set((row) => ({ contentHash, metadataUri: metadataURI, version: row.version + 1 }));
  // The new version in the history.
  await context.db
    .insert(assetVersion)
    .values({ chainId, assetId, version: updated.version, contentHash, metadataUri: metadataURI, ...at(event) })
    .onConflictDoUpdate({ contentHash, metadataUri: metadataURI });
});

ponder.on("AssetRegistry:ExplicitSplitSet", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { assetId, version, accounts, weights, totalWeight } = event.args;
  // The split version and its size.
  await context.db
    .insert(contributorSplit)
    .values({ chainId, assetId, version, kind: "explicit", totalWeight, recipientCount: accounts.length, ...at(event) })
    .onConflictDoNothing();
  // One row per recipient of this version.
  await context.db
    .insert(splitRecipient)
    .values(accounts.map((account, i) => ({ chainId, assetId, version, account, weight: weights[i] ?? 0n })))
    .onConflictDoNothing();
  // The asset points at its newest split.
  await context.db.update(asset, { chainId, id: assetId }).set({ splitVersion: version, splitKind: "explicit" });
});

ponder.on("AssetRegistry:MerkleSplitSet", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { assetId, version, root, totalWeight, uri } = event.args;
  // The crowd split: its root, total weight and where the full list lives.
  await context.db
    .insert(contributorSplit)
    .values({ chainId, assetId, version, kind: "merkle", totalWeight, root, uri, ...at(event) })
    .onConflictDoNothing();
  // The asset points at its newest split.
  await context.db.update(asset, { chainId, id: assetId }).set({ splitVersion: version, splitKind: "merkle" });
});

ponder.on("AssetRegistry:ParentLinked", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { childId, parentId, shareBps, licenseId } = event.args;
  // The lineage edge (links are permanent).
  await context.db
    .insert(lineageEdge)
    .values({ chainId, childId, parentId, shareBps, licenseId, ...at(event) })
    .onConflictDoNothing();
  // The child's parent count and the share of its revenue its parents take.
  await context.db
    .update(asset, { chainId, id: childId })
    .set((row) => ({ parentCount: row.parentCount + 1, parentShareBps: row.parentShareBps + shareBps }));
});

ponder.on("AssetRegistry:LicensingSet", async ({ event, context }) => {
  // The one-time wiring of the licensing contract.
  await logAdmin(context.db, event, {
    chainId: context.chain.id,
    contract: "AssetRegistry",
    kind: "licensing_set",
    account: event.args.licensing,
  });
});

ponder.on("AssetRegistry:OwnershipTransferStarted", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { previousOwner, newOwner } = event.args;
  // Log of the proposal.
  await logAdmin(context.db, event, {
    chainId,
    contract: "AssetRegistry",
    kind: "ownership_transfer_started",
    role: "owner",
    account: newOwner,
    previous: previousOwner,
  });
  // The pending owner.
  await context.db
    .insert(roleHolder)
    .values({
      chainId,
      contract: "AssetRegistry",
      role: "owner",
      holder: previousOwner,
      pending: newOwner,
      updatedAt: event.block.timestamp,
    })
    .onConflictDoUpdate({ pending: newOwner, updatedAt: event.block.timestamp });
});

ponder.on("AssetRegistry:OwnershipTransferred", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { previousOwner, newOwner } = event.args;
  // Log of the completed transfer.
  await logAdmin(context.db, event, {
    chainId,
    contract: "AssetRegistry",
    kind: "ownership_transferred",
    role: "owner",
    account: newOwner,
    previous: previousOwner,
  });
  // The current owner; nothing pending any more.
  await context.db
    .insert(roleHolder)
    .values({
      chainId,
      contract: "AssetRegistry",
      role: "owner",
      holder: newOwner,
      pending: null,
      updatedAt: event.block.timestamp,
    })
    .onConflictDoUpdate({ holder: newOwner, pending: null, updatedAt: event.block.timestamp });
});
