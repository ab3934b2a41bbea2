// Handlers for AssetRegistry events.
import { ponder } from "ponder:registry";
import { asset } from "ponder:schema";

const kinds = ["dataset", "model", "agent"] as const;

ponder.on("AssetRegistry:AssetRegistered", async ({ event, context }) => {
  // Registration creates the asset; a replayed event after a reorg rewrites the same row.
  await context.db
    .insert(asset)
    .values({
      id: event.args.assetId,
      chainId: context.chain.id,
      owner: event.args.owner,
      kind: kinds[event.args.kind] ?? "unknown",
      contentHash: event.args.contentHash,
      metadataUri: event.args.metadataURI,
      registeredBlock: event.block.number,
      registeredAt: event.block.timestamp,
      transactionHash: event.transaction.hash,
    })
    .onConflictDoNothing();
});
