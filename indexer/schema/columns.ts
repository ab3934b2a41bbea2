// Columns shared by event tables.
import { bigint, hex } from "ponder";

/** Where and when a row's event happened; every event table carries these (fresh builders per table). */
export const at = () => ({
  blockNumber: bigint().notNull(),
  timestamp: bigint().notNull(),
  transactionHash: hex().notNull(),
});
