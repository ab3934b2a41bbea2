// Shared wire schemas, ABIs and money arithmetic of Tributary.
export * from "./abis/index.ts";
export * from "./deployment.ts";
export * from "./money.ts";
