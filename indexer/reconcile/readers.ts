// The manifest and metering readers reconciliation uses, chosen from the environment.
import type { ManifestReader, MeteringReader } from "./types.ts";

/**
 * Readers for the settler's manifests and the gateway's metering totals. None exists yet: their formats
 * are defined by the settlement job (docs/settlement.md), which has not landed. Until then reconciliation
 * checks the indexed chain on its own and reports both sources as "not configured".
 */
export function configuredReaders(_env: NodeJS.ProcessEnv = process.env): {
  manifests?: ManifestReader;
  metering?: MeteringReader;
} {
  return {};
}
