// Tables the indexer materializes from contract events.
import { onchainTable } from "ponder";

/** A registered AI asset (dataset, model or agent). */
export const asset = onchainTable("asset", (t) => ({
  id: t.hex().primaryKey(),
  chainId: t.integer().notNull(),
  owner: t.hex().notNull(),
  kind: t.text().notNull(),
  contentHash: t.hex().notNull(),
  metadataUri: t.text().notNull(),
  registeredBlock: t.bigint().notNull(),
  registeredAt: t.bigint().notNull(),
  transactionHash: t.hex().notNull(),
}));
