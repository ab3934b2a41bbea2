// Handlers for the escrow events of EpochLedger: deposits, withdrawal requests, withdrawals, held license fees.
import { ponder } from "ponder:registry";
import { escrowAccount, escrowMovement, licenseFee } from "ponder:schema";
import { at, bumpAccountDaily, emptyEscrow as empty } from "./lib/rows.ts";

ponder.on("EpochLedger:Deposited", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { payer, token, from, amount, balance } = event.args;
  const updatedAt = event.block.timestamp;
  // The payer's balance as the event states it, and lifetime deposits.
  await context.db
    .insert(escrowAccount)
    .values({ chainId, payer, token, ...empty, balance, deposited: amount, updatedAt })
    .onConflictDoUpdate((row) => ({ balance, deposited: row.deposited + amount, updatedAt }));
  // The deposit as a movement, with who paid it.
  await context.db
    .insert(escrowMovement)
    .values({ id: event.id, chainId, payer, token, kind: "deposit", amount, balance, from, ...at(event) })
    .onConflictDoNothing();
  // The payer's day.
  await bumpAccountDaily(context.db, { chainId, account: payer, token, timestamp: updatedAt }, { deposited: amount });
});

ponder.on("EpochLedger:WithdrawalRequested", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { payer, token, amount, unlockEpoch, unlockAt } = event.args;
  const updatedAt = event.block.timestamp;
  // The open request replaces any earlier one.
  const account = await context.db
    .insert(escrowAccount)
    .values({
      chainId,
      payer,
      token,
      ...empty,
      withdrawalRequested: amount,
      withdrawalUnlockEpoch: unlockEpoch,
      withdrawalUnlockAt: unlockAt,
      updatedAt,
    })
    .onConflictDoUpdate({
      withdrawalRequested: amount,
      withdrawalUnlockEpoch: unlockEpoch,
      withdrawalUnlockAt: unlockAt,
      updatedAt,
    });
  // The request as a movement; the balance is unchanged until the withdrawal.
  await context.db
    .insert(escrowMovement)
    .values({
      id: event.id,
      chainId,
      payer,
      token,
      kind: "withdrawal_requested",
      amount,
      balance: account.balance,
      unlockEpoch,
      unlockAt,
      ...at(event),
    })
    .onConflictDoNothing();
});

ponder.on("EpochLedger:Withdrawn", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { payer, token, amount, balance } = event.args;
  const updatedAt = event.block.timestamp;
  // The balance after payout; the request is consumed.
  await context.db
    .insert(escrowAccount)
    .values({ chainId, payer, token, ...empty, balance, withdrawn: amount, updatedAt })
    .onConflictDoUpdate((row) => ({
      balance,
      withdrawn: row.withdrawn + amount,
      withdrawalRequested: 0n,
      withdrawalUnlockEpoch: null,
      withdrawalUnlockAt: null,
      updatedAt,
    }));
  // The withdrawal as a movement.
  await context.db
    .insert(escrowMovement)
    .values({ id: event.id, chainId, payer, token, kind: "withdrawal", amount, balance, ...at(event) })
    .onConflictDoNothing();
  // The payer's day.
  await bumpAccountDaily(context.db, { chainId, account: payer, token, timestamp: updatedAt }, { withdrawn: amount });
});

ponder.on("EpochLedger:LicenseFeeHeld", async ({ event, context }) => {
  const { licenseId, assetId, token, amount } = event.args;
  // The upfront fee the ledger holds until an epoch attributes it.
  await context.db
    .insert(licenseFee)
    .values({ chainId: context.chain.id, licenseId, assetId, token, amount, ...at(event) })
    .onConflictDoNothing();
});
