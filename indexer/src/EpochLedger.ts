// Handlers for settlement and claims on EpochLedger: epochs, per-token totals, payer charges, vetoes, claims.
import { ponder } from "ponder:registry";
import { accountEarning, claim, epoch, epochTotal, escrowAccount, escrowMovement, payerCharge } from "ponder:schema";
import { at, bumpAccountDaily, emptyEscrow } from "./lib/rows.ts";

ponder.on("EpochLedger:EpochSettled", async ({ event, context }) => {
  const { epochId, root, usageDigest, manifestURI, payerCount, claimableAt } = event.args;
  // The epoch starts pending until its challenge period ends.
  await context.db
    .insert(epoch)
    .values({
      chainId: context.chain.id,
      id: epochId,
      status: "pending",
      root,
      usageDigest,
      manifestUri: manifestURI,
      payerCount,
      claimableAt,
      settledAt: event.block.timestamp,
      settledBlock: event.block.number,
      transactionHash: event.transaction.hash,
    })
    .onConflictDoNothing();
});

ponder.on("EpochLedger:EpochTotalSettled", async ({ event, context }) => {
  const { epochId, token, charged, licenseFees } = event.args;
  // What the epoch charged and attributed from held fees in this token.
  await context.db
    .insert(epochTotal)
    .values({ chainId: context.chain.id, epochId, token, charged, licenseFees })
    .onConflictDoNothing();
});

ponder.on("EpochLedger:ChargeDebited", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { epochId, payer, token, amount } = event.args;
  const updatedAt = event.block.timestamp;
  // The charge (emitted before EpochSettled in the same transaction).
  await context.db
    .insert(payerCharge)
    .values({ chainId, epochId, payer, token, amount, refunded: 0n, ...at(event) })
    .onConflictDoNothing();
  // The payer's escrow shrinks by the charge.
  const account = await context.db
    .insert(escrowAccount)
    .values({ chainId, payer, token, ...emptyEscrow, charged: amount, updatedAt })
    .onConflictDoUpdate((row) => ({ balance: row.balance - amount, charged: row.charged + amount, updatedAt }));
  // The charge as an escrow movement.
  await context.db
    .insert(escrowMovement)
    .values({
      id: event.id,
      chainId,
      payer,
      token,
      kind: "charge",
      amount,
      balance: account.balance,
      epochId,
      ...at(event),
    })
    .onConflictDoNothing();
  // The payer's day.
  await bumpAccountDaily(context.db, { chainId, account: payer, token, timestamp: updatedAt }, { charged: amount });
});

ponder.on("EpochLedger:ChargeRefunded", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { epochId, payer, token, amount } = event.args;
  const updatedAt = event.block.timestamp;
  // The vetoed charge is marked refunded.
  await context.db
    .update(payerCharge, { chainId, epochId, payer, token })
    .set((row) => ({ refunded: row.refunded + amount }));
  // The payer's escrow gets the charge back.
  const account = await context.db
    .insert(escrowAccount)
    .values({ chainId, payer, token, ...emptyEscrow, balance: amount, refunded: amount, updatedAt })
    .onConflictDoUpdate((row) => ({ balance: row.balance + amount, refunded: row.refunded + amount, updatedAt }));
  // The refund as an escrow movement.
  await context.db
    .insert(escrowMovement)
    .values({
      id: event.id,
      chainId,
      payer,
      token,
      kind: "refund",
      amount,
      balance: account.balance,
      epochId,
      ...at(event),
    })
    .onConflictDoNothing();
  // The payer's day.
  await bumpAccountDaily(context.db, { chainId, account: payer, token, timestamp: updatedAt }, { refunded: amount });
});

ponder.on("EpochLedger:EpochVetoed", async ({ event, context }) => {
  // The guardian rejected the epoch; its charges were refunded by the ChargeRefunded events before this one.
  await context.db
    .update(epoch, { chainId: context.chain.id, id: event.args.epochId })
    .set({ status: "vetoed", vetoedAt: event.block.timestamp, vetoedBy: event.args.guardian });
});

ponder.on("EpochLedger:EpochFinalized", async ({ event, context }) => {
  // The epoch's root is now the one claims are proven against.
  await context.db
    .update(epoch, { chainId: context.chain.id, id: event.args.epochId })
    .set({ status: "final", finalizedAt: event.block.timestamp });
});

ponder.on("EpochLedger:Claimed", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { account, token, amount, cumulativeAmount, epochId, caller } = event.args;
  const timestamp = event.block.timestamp;
  // The claim as paid.
  await context.db
    .insert(claim)
    .values({ id: event.id, chainId, account, token, amount, cumulativeAmount, epochId, caller, ...at(event) })
    .onConflictDoNothing();
  // The account's lifetime claimed equals the cumulative amount of its last claim.
  await context.db
    .insert(accountEarning)
    .values({ chainId, account, token, claimed: cumulativeAmount, claimCount: 1, lastClaimAt: timestamp })
    .onConflictDoUpdate((row) => ({
      claimed: cumulativeAmount,
      claimCount: row.claimCount + 1,
      lastClaimAt: timestamp,
    }));
  // The account's day.
  await bumpAccountDaily(context.db, { chainId, account, token, timestamp }, { claimed: amount, claimCount: 1 });
});
