// The bench harness's own test: the runner in a tiny mode and its statistics (npm test's "bench" suite).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ["*.test.ts"],
    testTimeout: 120_000,
  },
});
