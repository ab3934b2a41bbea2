// What an account has accrued per token, from the newest final epoch's manifest (the tree claims are proven against).
import { db } from "ponder:api";
import { epoch } from "ponder:schema";
import { and, desc, eq } from "ponder";
import type { Hex } from "viem";
import { configuredReaders } from "../../reconcile/readers.ts";
import type { EpochManifest } from "../../reconcile/types.ts";

/** Manifests of posted epochs never change; cached by chain, epoch and root. */
const cache = new Map<string, EpochManifest | null>();

export type Accrued = { chainId: number; epochId: bigint; tokens: Map<Hex, bigint> };

/**
 * The account's cumulative accruals in the newest final epoch of each chain, or null when no manifest
 * reader is configured (SETTLER_URL) or no epoch is final yet. Throws when a manifest cannot be read.
 */
export async function accruedOf(account: Hex, chainId?: number): Promise<Accrued[] | null> {
  const reader = configuredReaders().manifests;
  if (!reader) return null;
  const finals = await db
    .select()
    .from(epoch)
    .where(and(eq(epoch.status, "final"), chainId ? eq(epoch.chainId, chainId) : undefined))
    .orderBy(desc(epoch.id));
  const newest = new Map<number, (typeof finals)[number]>();
  for (const e of finals) if (!newest.has(e.chainId)) newest.set(e.chainId, e);
  const out: Accrued[] = [];
  for (const e of newest.values()) {
    const key = `${e.chainId}:${e.id}:${e.root}`;
    if (!cache.has(key)) cache.set(key, await reader.read({ epochId: e.id, manifestUri: e.manifestUri }));
    const manifest = cache.get(key);
    if (!manifest) continue;
    const tokens = new Map<Hex, bigint>();
    for (const a of manifest.accruals) {
      if (a.account.toLowerCase() === account) tokens.set(a.token.toLowerCase() as Hex, a.cumulativeAmount);
    }
    out.push({ chainId: e.chainId, epochId: e.id, tokens });
  }
  return out;
}
