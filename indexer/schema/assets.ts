// Asset tables: registrations, metadata versions, transfers, contributor splits and lineage.
import { index, onchainTable, primaryKey } from "ponder";
import { at } from "./columns.ts";

/** A registered AI asset (dataset, model or agent) and its current state. */
export const asset = onchainTable(
  "asset",
  (t) => ({
    chainId: t.integer().notNull(),
    id: t.hex().notNull(),
    owner: t.hex().notNull(),
    kind: t.text().notNull(),
    contentHash: t.hex().notNull(),
    metadataUri: t.text().notNull(),
    /** Metadata version: 0 at registration, +1 per AssetMetadataUpdated. */
    version: t.integer().notNull(),
    /** Contributor split version (0 = none), its kind ("explicit" | "merkle" | "none"). */
    splitVersion: t.integer().notNull(),
    splitKind: t.text().notNull(),
    parentCount: t.integer().notNull(),
    parentShareBps: t.integer().notNull(),
    /** Licenses minted on this asset (fees per token and day are in `asset_daily`). */
    licenseCount: t.integer().notNull(),
    registeredBlock: t.bigint().notNull(),
    registeredAt: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
  }),
  (t) => ({ pk: primaryKey({ columns: [t.chainId, t.id] }), ownerIdx: index().on(t.owner) }),
);

/** Every content hash and metadata URI an asset had; version 0 is the registration. */
export const assetVersion = onchainTable(
  "asset_version",
  (t) => ({
    chainId: t.integer().notNull(),
    assetId: t.hex().notNull(),
    version: t.integer().notNull(),
    contentHash: t.hex().notNull(),
    metadataUri: t.text().notNull(),
    ...at(),
  }),
  (t) => ({ pk: primaryKey({ columns: [t.chainId, t.assetId, t.version] }) }),
);

/** Ownership changes of assets (AssetTransferred). */
export const assetTransfer = onchainTable(
  "asset_transfer",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    assetId: t.hex().notNull(),
    from: t.hex().notNull(),
    to: t.hex().notNull(),
    ...at(),
  }),
  (t) => ({ assetIdx: index().on(t.chainId, t.assetId) }),
);

/** Each version of an asset's contributor split: explicit list or Merkle root of (account, weight). */
export const contributorSplit = onchainTable(
  "contributor_split",
  (t) => ({
    chainId: t.integer().notNull(),
    assetId: t.hex().notNull(),
    version: t.integer().notNull(),
    kind: t.text().notNull(),
    totalWeight: t.bigint().notNull(),
    /** Merkle splits only. */
    root: t.hex(),
    uri: t.text(),
    recipientCount: t.integer(),
    ...at(),
  }),
  (t) => ({ pk: primaryKey({ columns: [t.chainId, t.assetId, t.version] }) }),
);

/** The recipients of an explicit split version. */
export const splitRecipient = onchainTable(
  "split_recipient",
  (t) => ({
    chainId: t.integer().notNull(),
    assetId: t.hex().notNull(),
    version: t.integer().notNull(),
    account: t.hex().notNull(),
    weight: t.bigint().notNull(),
  }),
  (t) => ({
    pk: primaryKey({ columns: [t.chainId, t.assetId, t.version, t.account] }),
    accountIdx: index().on(t.account),
  }),
);

/** A lineage edge: `childId` pays `shareBps` of its revenue to `parentId` (permanent). */
export const lineageEdge = onchainTable(
  "lineage_edge",
  (t) => ({
    chainId: t.integer().notNull(),
    childId: t.hex().notNull(),
    parentId: t.hex().notNull(),
    shareBps: t.integer().notNull(),
    /** License on the parent that allowed the derivative; 0 when one owner holds both. */
    licenseId: t.bigint().notNull(),
    ...at(),
  }),
  (t) => ({ pk: primaryKey({ columns: [t.chainId, t.childId, t.parentId] }), parentIdx: index().on(t.parentId) }),
);
