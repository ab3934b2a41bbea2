// Licensing tables: terms, ERC-721 licenses and their transfers, operators, upfront fees.
import { index, onchainTable, primaryKey } from "ponder";
import { at } from "./columns.ts";

/** License terms published for an asset; prices in token base units per million tokens. */
export const licenseTerms = onchainTable(
  "license_terms",
  (t) => ({
    chainId: t.integer().notNull(),
    id: t.bigint().notNull(),
    assetId: t.hex().notNull(),
    token: t.hex().notNull(),
    pricePerMTokIn: t.bigint().notNull(),
    pricePerMTokOut: t.bigint().notNull(),
    upfrontFee: t.bigint().notNull(),
    /** Seconds; 0 = perpetual. */
    duration: t.bigint().notNull(),
    commercial: t.boolean().notNull(),
    derivatives: t.boolean().notNull(),
    transferable: t.boolean().notNull(),
    active: t.boolean().notNull(),
    ...at(),
  }),
  (t) => ({ pk: primaryKey({ columns: [t.chainId, t.id] }), assetIdx: index().on(t.chainId, t.assetId) }),
);

/** A license (ERC-721 token of Licensing) with its current holder and expiry. */
export const license = onchainTable(
  "license",
  (t) => ({
    chainId: t.integer().notNull(),
    id: t.bigint().notNull(),
    termsId: t.bigint().notNull(),
    assetId: t.hex().notNull(),
    holder: t.hex().notNull(),
    payer: t.hex().notNull(),
    token: t.hex().notNull(),
    fee: t.bigint().notNull(),
    /** Unix seconds; 2^64-1 = perpetual. */
    expiresAt: t.bigint().notNull(),
    transferCount: t.integer().notNull(),
    /** Per-token approval (ERC-721 Approval); null when none. */
    approved: t.hex(),
    ...at(),
  }),
  (t) => ({
    pk: primaryKey({ columns: [t.chainId, t.id] }),
    assetIdx: index().on(t.chainId, t.assetId),
    holderIdx: index().on(t.holder),
  }),
);

/** ERC-721 Transfer events of licenses, the mint included (from = 0x0). */
export const licenseTransfer = onchainTable(
  "license_transfer",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    licenseId: t.bigint().notNull(),
    from: t.hex().notNull(),
    to: t.hex().notNull(),
    ...at(),
  }),
  (t) => ({ licenseIdx: index().on(t.chainId, t.licenseId) }),
);

/** ERC-721 ApprovalForAll of licenses: may `operator` move all of `owner`'s licenses. */
export const licenseOperator = onchainTable(
  "license_operator",
  (t) => ({
    chainId: t.integer().notNull(),
    owner: t.hex().notNull(),
    operator: t.hex().notNull(),
    approved: t.boolean().notNull(),
    ...at(),
  }),
  (t) => ({ pk: primaryKey({ columns: [t.chainId, t.owner, t.operator] }) }),
);

/** An upfront license fee the ledger holds until an epoch attributes it (LicenseFeeHeld). */
export const licenseFee = onchainTable(
  "license_fee",
  (t) => ({
    chainId: t.integer().notNull(),
    licenseId: t.bigint().notNull(),
    assetId: t.hex().notNull(),
    token: t.hex().notNull(),
    amount: t.bigint().notNull(),
    ...at(),
  }),
  (t) => ({ pk: primaryKey({ columns: [t.chainId, t.licenseId] }), assetIdx: index().on(t.chainId, t.assetId) }),
);
