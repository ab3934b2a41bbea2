// EpochLedger tables: escrow, epochs, charges, claims, roles and pause.
import { index, onchainTable, primaryKey } from "ponder";
import { at } from "./columns.ts";

/** Escrow of one payer in one token: current balance, lifetime flows, open withdrawal request. */
export const escrowAccount = onchainTable(
  "escrow_account",
  (t) => ({
    chainId: t.integer().notNull(),
    payer: t.hex().notNull(),
    token: t.hex().notNull(),
    balance: t.bigint().notNull(),
    deposited: t.bigint().notNull(),
    withdrawn: t.bigint().notNull(),
    charged: t.bigint().notNull(),
    refunded: t.bigint().notNull(),
    /** Open withdrawal request (0 = none), the epoch and time after which it unlocks. */
    withdrawalRequested: t.bigint().notNull(),
    withdrawalUnlockEpoch: t.bigint(),
    withdrawalUnlockAt: t.bigint(),
    updatedAt: t.bigint().notNull(),
  }),
  (t) => ({ pk: primaryKey({ columns: [t.chainId, t.payer, t.token] }) }),
);

/** Every escrow movement: deposit, withdrawal_requested, withdrawal, charge, refund. */
export const escrowMovement = onchainTable(
  "escrow_movement",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    payer: t.hex().notNull(),
    token: t.hex().notNull(),
    kind: t.text().notNull(),
    amount: t.bigint().notNull(),
    /** Escrow balance after the movement. */
    balance: t.bigint().notNull(),
    /** Deposits: who paid. Charges and refunds: the epoch. Requests: unlock epoch and time. */
    from: t.hex(),
    epochId: t.bigint(),
    unlockEpoch: t.bigint(),
    unlockAt: t.bigint(),
    ...at(),
  }),
  (t) => ({ payerIdx: index().on(t.chainId, t.payer, t.token) }),
);

/** A settled epoch: root, usage digest, manifest, and status (pending | vetoed | final). */
export const epoch = onchainTable(
  "epoch",
  (t) => ({
    chainId: t.integer().notNull(),
    id: t.bigint().notNull(),
    status: t.text().notNull(),
    root: t.hex().notNull(),
    usageDigest: t.hex().notNull(),
    manifestUri: t.text().notNull(),
    payerCount: t.bigint().notNull(),
    claimableAt: t.bigint().notNull(),
    settledAt: t.bigint().notNull(),
    settledBlock: t.bigint().notNull(),
    transactionHash: t.hex().notNull(),
    vetoedAt: t.bigint(),
    vetoedBy: t.hex(),
    finalizedAt: t.bigint(),
  }),
  (t) => ({ pk: primaryKey({ columns: [t.chainId, t.id] }), statusIdx: index().on(t.status) }),
);

/** Per token of an epoch: charged (sum of charges) and license fees attributed. */
export const epochTotal = onchainTable(
  "epoch_total",
  (t) => ({
    chainId: t.integer().notNull(),
    epochId: t.bigint().notNull(),
    token: t.hex().notNull(),
    charged: t.bigint().notNull(),
    licenseFees: t.bigint().notNull(),
  }),
  (t) => ({ pk: primaryKey({ columns: [t.chainId, t.epochId, t.token] }) }),
);

/** What an epoch debited from one payer in one token, and whether a veto refunded it. */
export const payerCharge = onchainTable(
  "payer_charge",
  (t) => ({
    chainId: t.integer().notNull(),
    epochId: t.bigint().notNull(),
    payer: t.hex().notNull(),
    token: t.hex().notNull(),
    amount: t.bigint().notNull(),
    refunded: t.bigint().notNull(),
    ...at(),
  }),
  (t) => ({ pk: primaryKey({ columns: [t.chainId, t.epochId, t.payer, t.token] }), payerIdx: index().on(t.payer) }),
);

/** A claim paid to `account` (Claimed); `epochId` is the finalized epoch whose root proved it. */
export const claim = onchainTable(
  "claim",
  (t) => ({
    id: t.text().primaryKey(),
    chainId: t.integer().notNull(),
    account: t.hex().notNull(),
    token: t.hex().notNull(),
    amount: t.bigint().notNull(),
    cumulativeAmount: t.bigint().notNull(),
    epochId: t.bigint().notNull(),
    caller: t.hex().notNull(),
    ...at(),
  }),
  (t) => ({ accountIdx: index().on(t.chainId, t.account, t.token) }),
);

/** Role and pause changes of the ledger and ownership of the registry, as a log. */
export const adminEvent = onchainTable("admin_event", (t) => ({
  id: t.text().primaryKey(),
  chainId: t.integer().notNull(),
  contract: t.text().notNull(),
  /** role_transfer_started | role_transferred | paused | unpaused | licensing_set | ownership_transfer_started | ownership_transferred */
  kind: t.text().notNull(),
  /** owner | settler | guardian (null for pause and licensing). */
  role: t.text(),
  account: t.hex().notNull(),
  previous: t.hex(),
  ...at(),
}));

/** Current holder and pending holder of each role per contract (the pause flag is the latest paused/unpaused admin event). */
export const roleHolder = onchainTable(
  "role_holder",
  (t) => ({
    chainId: t.integer().notNull(),
    contract: t.text().notNull(),
    role: t.text().notNull(),
    holder: t.hex().notNull(),
    pending: t.hex(),
    updatedAt: t.bigint().notNull(),
  }),
  (t) => ({ pk: primaryKey({ columns: [t.chainId, t.contract, t.role] }) }),
);
