// The manifest and metering readers reconciliation uses, chosen from the environment.
import { HttpManifestReader } from "./manifest.ts";
import { HttpMeteringReader } from "./metering.ts";
import type { ManifestReader, MeteringReader } from "./types.ts";

/**
 * Readers for the settler's manifests and the gateway's metering totals. Manifests come from the settler
 * at `SETTLER_URL` (docs/settlement.md); metering from its operator API, which also needs
 * `SETTLER_ADMIN_TOKEN`. A source without its variables is "not configured".
 */
export function configuredReaders(env: NodeJS.ProcessEnv = process.env): {
  manifests?: ManifestReader;
  metering?: MeteringReader;
} {
  if (!env.SETTLER_URL) return {};
  return {
    manifests: new HttpManifestReader(env.SETTLER_URL),
    ...(env.SETTLER_ADMIN_TOKEN ? { metering: new HttpMeteringReader(env.SETTLER_URL, env.SETTLER_ADMIN_TOKEN) } : {}),
  };
}
