// Workers tests run inside workerd with the bindings of the root wrangler.toml and the shipped migrations.
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const migrations = path.join(import.meta.dirname, "migrations");

export default defineConfig(async () => ({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "../wrangler.toml" },
      miniflare: {
        bindings: {
          MIGRATIONS: {
            control: await readD1Migrations(path.join(migrations, "control")),
            meter: await readD1Migrations(path.join(migrations, "meter")),
            tasks: await readD1Migrations(path.join(migrations, "tasks")),
          },
        },
      },
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["./test/apply-migrations.ts"],
  },
}));
