// The indexer lives in indexer/; this root file lets `ponder` find its config from the repository root.
export { default } from "./indexer/ponder.config.ts";
