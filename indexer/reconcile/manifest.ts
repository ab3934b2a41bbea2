// Reads the settler's epoch manifests (format "tributary.settlement-manifest/1", docs/settlement.md) over HTTP.
import type { Hex } from "viem";
import { z } from "zod";
import type { EpochManifest, ManifestReader } from "./types.ts";

const hex = z
  .string()
  .regex(/^0x[0-9a-fA-F]*$/, "must be 0x-prefixed hex")
  .transform((h) => h.toLowerCase() as Hex);
const amount = z.string().regex(/^\d+$/, "must be a decimal string of base units").transform(BigInt);
const id = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).transform((n) => BigInt(n));

/** The fields of a settlement manifest reconciliation reads; the rest (tree, assets, revenue…) passes through. */
export const settlementManifestSchema = z.looseObject({
  format: z.literal("tributary.settlement-manifest/1"),
  chainId: z.number().int().positive(),
  epochId: id,
  root: hex,
  usage: z.looseObject({ digest: hex, recordCount: z.number().int().nonnegative() }),
  charges: z.array(z.looseObject({ payer: hex, token: hex, amount, records: z.number().int().nonnegative() })),
  accruals: z.array(z.looseObject({ account: hex, token: hex, amount, cumulative: amount })),
  shortfalls: z
    .array(
      z.looseObject({ payer: hex, token: hex, amount, records: z.number().int().nonnegative(), reason: z.string() }),
    )
    .default([]),
});

/** The normalized view reconciliation compares, from a parsed settlement manifest. */
export function toEpochManifest(json: unknown, where: string): EpochManifest {
  const parsed = settlementManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${where} is not a settlement manifest: ${issue?.path.join(".") || "(root)"} ${issue?.message}.`);
  }
  const m = parsed.data;
  return {
    epochId: m.epochId,
    root: m.root,
    usageDigest: m.usage.digest,
    charges: m.charges.map(({ payer, token, amount }) => ({ payer, token, amount })),
    accruals: m.accruals.map(({ account, token, amount, cumulative }) => ({
      account,
      token,
      amount,
      cumulativeAmount: cumulative,
    })),
    shortfalls: m.shortfalls.map(({ payer, token, amount, records, reason }) => ({
      payer,
      token,
      amount,
      records,
      reason,
    })),
  };
}

/**
 * Fetches each epoch's manifest from the settler (`GET <settlerUrl>/settlement/epochs/:id/manifest`), or
 * from the epoch's `manifestURI` itself when that is an http(s) URL. 404 means the manifest is missing.
 */
export class HttpManifestReader implements ManifestReader {
  readonly settlerUrl: string;

  constructor(settlerUrl: string) {
    this.settlerUrl = settlerUrl.replace(/\/$/, "");
  }

  async read({ epochId, manifestUri }: { epochId: bigint; manifestUri: string }): Promise<EpochManifest | null> {
    const url = /^https?:\/\//.test(manifestUri)
      ? manifestUri
      : `${this.settlerUrl}/settlement/epochs/${epochId}/manifest`;
    const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    if (res.status === 404) return null;
    if (!res.ok) throw new Error(`GET ${url} answered ${res.status}.`);
    const manifest = toEpochManifest(await res.json(), url);
    if (manifest.epochId !== epochId)
      throw new Error(`${url} is the manifest of epoch ${manifest.epochId}, not ${epochId}.`);
    return manifest;
  }
}
