// The manifest and metering readers reconciliation uses, chosen from the environment.
import { HttpManifestReader } from "./manifest.ts";
import type { ManifestReader, MeteringReader } from "./types.ts";

/**
 * Readers for the settler's manifests and the gateway's metering totals. Manifests come from the settler
 * at `SETTLER_URL` (docs/settlement.md); without it they are "not configured". Metering has no reader yet:
 * the settler does not expose per-epoch metering totals, so that source stays "not configured".
 */
export function configuredReaders(env: NodeJS.ProcessEnv = process.env): {
  manifests?: ManifestReader;
  metering?: MeteringReader;
} {
  return env.SETTLER_URL ? { manifests: new HttpManifestReader(env.SETTLER_URL) } : {};
}
