// Test-only bindings added by vitest.config.ts.
import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface Env {
      MIGRATIONS: { control: D1Migration[]; meter: D1Migration[]; tasks: D1Migration[] };
      UPSTREAM_URL: string;
      SLOW_UPSTREAM_URL: string;
      UPSTREAM_KEY: string;
      ADMIN_TOKEN: string;
      GATEWAY_SIGNING_KEY: string;
      CHAIN_ID: string;
      CHAIN_RPC_URL: string;
      ASSET_REGISTRY_ADDRESS: string;
      LICENSING_ADDRESS: string;
      EPOCH_LEDGER_ADDRESS: string;
      /** The test chain's MockERC20, the payment token of test licenses. */
      PAYMENT_TOKEN_ADDRESS: string;
      /** The test chain's deployment file as text. */
      CHAIN_DEPLOYMENT: string;
      SETTLER_PRIVATE_KEY: string;
      /** A private anvil chain with the same contract addresses, for tests that revert or move time. */
      SYNC_CHAIN_RPC_URL: string;
    }
  }
}
