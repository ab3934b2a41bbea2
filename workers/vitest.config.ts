// Workers tests run inside workerd with the bindings of the root wrangler.toml and the shipped migrations.
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { parseDeployment } from "@tributary/schemas/deployment";
import { defineConfig } from "vitest/config";

const migrations = path.join(import.meta.dirname, "migrations");

/** The worker variables naming the test chain (see src/chain/config.ts). */
function chainBindings(rpcUrl: string, deploymentText: string) {
  const deployment = parseDeployment(deploymentText, "test deployment");
  const address = (name: string) => deployment.contracts[name]?.address ?? "";
  return {
    CHAIN_ID: String(deployment.chainId),
    CHAIN_RPC_URL: rpcUrl,
    ASSET_REGISTRY_ADDRESS: address("AssetRegistry"),
    LICENSING_ADDRESS: address("Licensing"),
    EPOCH_LEDGER_ADDRESS: address("EpochLedger"),
    PAYMENT_TOKEN_ADDRESS: address("MockERC20"),
    CHAIN_DEPLOYMENT: deploymentText,
  };
}

export default defineConfig(async () => {
  const MIGRATIONS = {
    control: await readD1Migrations(path.join(migrations, "control")),
    meter: await readD1Migrations(path.join(migrations, "meter")),
    tasks: await readD1Migrations(path.join(migrations, "tasks")),
  };
  return {
    plugins: [
      cloudflareTest(({ inject }) => ({
        wrangler: { configPath: "../wrangler.toml" },
        miniflare: {
          bindings: {
            MIGRATIONS,
            // The anvil chain started by test/chain/global-setup.ts, and anvil's first account as settler.
            ...chainBindings(inject("chainRpcUrl"), inject("chainDeployment")),
            SETTLER_PRIVATE_KEY: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
            // A private chain for the chain-sync tests (test/chain/sync-setup.ts).
            SYNC_CHAIN_RPC_URL: inject("syncChainRpcUrl"),
            // The local model servers started by test/gateway/global-setup.ts, and the gateway's test secrets.
            UPSTREAM_URL: inject("upstreamUrl"),
            SLOW_UPSTREAM_URL: inject("slowUpstreamUrl"),
            UPSTREAM_KEY: inject("upstreamKey"),
            ADMIN_TOKEN: "test-admin-token",
            GATEWAY_SIGNING_KEY: "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
            // The public key of the scalar 0x0707…07, as if it had signed receipts before a rotation.
            GATEWAY_PREVIOUS_SIGNERS:
              "0x041e18532fd4754c02f3041d9c75ceb33b83ffd81ac7ce4fe882ccb1c98bc5896ea46c311c4e2ff40dd96a3653e6e45445d32dfe486eced75c7a90c6a18881c0a3",
            LOG_BATCH_MAX_LINES: "5",
          },
        },
      })),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      globalSetup: ["./test/gateway/global-setup.ts", "./test/chain/global-setup.ts", "./test/chain/sync-setup.ts"],
      setupFiles: ["./test/apply-migrations.ts"],
    },
  };
});
