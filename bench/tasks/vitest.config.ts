// Runs the claim benchmark inside workerd with the worker's bindings and shipped migrations.
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const workers = path.join(import.meta.dirname, "../../workers");
const migrations = path.join(workers, "migrations");

export default defineConfig(async () => ({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: path.join(workers, "../wrangler.toml") },
      miniflare: {
        bindings: {
          // Sizes chosen by bench/tasks.ts (full or --quick); defaults in the test.
          ...Object.fromEntries(
            ["BENCH_CLAIMS", "BENCH_ROUNDS", "BENCH_KS"].flatMap((name) => {
              const value = process.env[name];
              return value ? [[name, value]] : [];
            }),
          ),
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
    root: import.meta.dirname,
    include: ["claims.bench.test.ts"],
    setupFiles: [path.join(workers, "test/apply-migrations.ts")],
    testTimeout: 600_000,
  },
}));
