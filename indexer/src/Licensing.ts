// Handlers for Licensing events: terms, ERC-721 licenses (mint, transfer, approvals) and the asset's daily fees.
import { ponder } from "ponder:registry";
import { asset, assetDaily, license, licenseOperator, licenseTerms, licenseTransfer } from "ponder:schema";
import { zeroAddress } from "viem";
import { at, dayOf } from "./lib/rows.ts";

ponder.on("Licensing:TermsPublished", async ({ event, context }) => {
  const { termsId, ...terms } = event.args;
  // New terms start active.
  await context.db
    .insert(licenseTerms)
    .values({ chainId: context.chain.id, id: termsId, ...terms, active: true, ...at(event) })
    .onConflictDoNothing();
});

ponder.on("Licensing:TermsActiveSet", async ({ event, context }) => {
  // Terms switched on or off for new licenses.
  await context.db
    .update(licenseTerms, { chainId: context.chain.id, id: event.args.termsId })
    .set({ active: event.args.active });
});

ponder.on("Licensing:LicenseMinted", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { licenseId, termsId, assetId, holder, payer, token, fee, expiresAt } = event.args;
  // The license with its first holder and expiry.
  await context.db
    .insert(license)
    .values({
      chainId,
      id: licenseId,
      termsId,
      assetId,
      holder,
      payer,
      token,
      fee,
      expiresAt,
      transferCount: 0,
      ...at(event),
    })
    .onConflictDoNothing();
  // One more license on the asset.
  await context.db.update(asset, { chainId, id: assetId }).set((row) => ({ licenseCount: row.licenseCount + 1 }));
  // The asset's day: one more license and its upfront fee.
  await context.db
    .insert(assetDaily)
    .values({ chainId, assetId, token, day: dayOf(event.block.timestamp), licensesMinted: 1, licenseFees: fee })
    .onConflictDoUpdate((row) => ({ licensesMinted: row.licensesMinted + 1, licenseFees: row.licenseFees + fee }));
});

ponder.on("Licensing:Transfer", async ({ event, context }) => {
  const chainId = context.chain.id;
  const { from, to, tokenId } = event.args;
  // Every transfer as history, the mint (from 0x0) included.
  await context.db
    .insert(licenseTransfer)
    .values({ id: event.id, chainId, licenseId: tokenId, from, to, ...at(event) })
    .onConflictDoNothing();
  // A mint's Transfer comes before LicenseMinted, which creates the row; later ones move it and clear its approval.
  if (from !== zeroAddress) {
    await context.db
      .update(license, { chainId, id: tokenId })
      .set((row) => ({ holder: to, approved: null, transferCount: row.transferCount + 1 }));
  }
});

ponder.on("Licensing:Approval", async ({ event, context }) => {
  const { approved, tokenId } = event.args;
  // The account approved to move this license (0x0 clears it).
  await context.db
    .update(license, { chainId: context.chain.id, id: tokenId })
    .set({ approved: approved === zeroAddress ? null : approved });
});

ponder.on("Licensing:ApprovalForAll", async ({ event, context }) => {
  const { owner, operator, approved } = event.args;
  // Whether the operator may move all of the owner's licenses.
  await context.db
    .insert(licenseOperator)
    .values({ chainId: context.chain.id, owner, operator, approved, ...at(event) })
    .onConflictDoUpdate({ approved, ...at(event) });
});
