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
    }
  }
}
