// Derived tables: earnings per account and daily rollups per asset and per account.
import { index, onchainTable, primaryKey } from "ponder";

/** Per account and token: claimed on-chain; accrued once a manifest says so (reconciliation fills it). */
export const accountEarning = onchainTable(
  "account_earning",
  (t) => ({
    chainId: t.integer().notNull(),
    account: t.hex().notNull(),
    token: t.hex().notNull(),
    claimed: t.bigint().notNull(),
    claimCount: t.integer().notNull(),
    lastClaimAt: t.bigint().notNull(),
  }),
  (t) => ({ pk: primaryKey({ columns: [t.chainId, t.account, t.token] }), claimedIdx: index().on(t.claimed) }),
);

/** Per asset, token and UTC day: licenses minted and upfront fees paid. */
export const assetDaily = onchainTable(
  "asset_daily",
  (t) => ({
    chainId: t.integer().notNull(),
    assetId: t.hex().notNull(),
    token: t.hex().notNull(),
    day: t.text().notNull(),
    licensesMinted: t.integer().notNull(),
    licenseFees: t.bigint().notNull(),
  }),
  (t) => ({ pk: primaryKey({ columns: [t.chainId, t.assetId, t.token, t.day] }) }),
);

/** Per account, token and UTC day: claims received and escrow flows as a payer. */
export const accountDaily = onchainTable(
  "account_daily",
  (t) => ({
    chainId: t.integer().notNull(),
    account: t.hex().notNull(),
    token: t.hex().notNull(),
    day: t.text().notNull(),
    claimed: t.bigint().notNull(),
    claimCount: t.integer().notNull(),
    deposited: t.bigint().notNull(),
    charged: t.bigint().notNull(),
    refunded: t.bigint().notNull(),
    withdrawn: t.bigint().notNull(),
  }),
  (t) => ({ pk: primaryKey({ columns: [t.chainId, t.account, t.token, t.day] }) }),
);
