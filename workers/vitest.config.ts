// Workers tests run inside workerd with the bindings of the root wrangler.toml and the shipped migrations.
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const migrations = path.join(import.meta.dirname, "migrations");

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
            // The local model servers started by test/gateway/global-setup.ts, and the gateway's test secrets.
            UPSTREAM_URL: inject("upstreamUrl"),
            SLOW_UPSTREAM_URL: inject("slowUpstreamUrl"),
            UPSTREAM_KEY: inject("upstreamKey"),
            ADMIN_TOKEN: "test-admin-token",
            GATEWAY_SIGNING_KEY: "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
            LOG_BATCH_MAX_LINES: "5",
          },
        },
      })),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      globalSetup: ["./test/gateway/global-setup.ts"],
      setupFiles: ["./test/apply-migrations.ts"],
    },
  };
});
