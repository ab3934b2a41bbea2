// Tables the indexer materializes from contract events: amounts are bigint, ids and addresses hex, days "YYYY-MM-DD".
export * from "./schema/assets.ts";
export * from "./schema/ledger.ts";
export * from "./schema/licensing.ts";
export * from "./schema/rollups.ts";
