// GET /api/reconciliation: the indexed chain against settlement manifests and gateway metering, per epoch.

import { db } from "ponder:api";
import { accountEarning, epoch, epochTotal, payerCharge } from "ponder:schema";
import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono";
import { asc, eq } from "ponder";
import { z } from "zod";
import { indexedChainIds } from "../../deployments.ts";
import { reconcile } from "../../reconcile/compare.ts";
import { configuredReaders } from "../../reconcile/readers.ts";
import type { ChainData, EpochManifest } from "../../reconcile/types.ts";
import { amounts, invalid, ProblemError } from "./problem.ts";

export const reconciliation = new Hono();

const query = z.object({ chainId: z.coerce.number().int().positive().optional() });

reconciliation.get("/", zValidator("query", query, invalid), async (c) => {
  const chainId = await chainOf(c.req.valid("query").chainId);
  const chain = await loadChain(chainId);
  const readers = configuredReaders();
  let manifests: Map<bigint, EpochManifest | null> | undefined;
  if (readers.manifests) {
    manifests = new Map();
    for (const e of chain.epochs) {
      const manifest = await readers.manifests.read(e).catch((err: Error) => {
        throw new ProblemError(502, "Manifest unreadable", `Epoch ${e.epochId}: ${err.message}`);
      });
      manifests.set(e.epochId, manifest);
    }
  }
  const metering = readers.metering ? await readers.metering.totals() : undefined;
  return amounts(c, { chainId, ...reconcile({ chain, manifests, metering }) });
});

/**
 * The chain to reconcile: the one asked for, or the only one indexed. A chain this indexer does not follow is 404:
 * its report would hold no on-chain epochs, and the metering of the chains it does follow would read as drift.
 */
async function chainOf(asked?: number): Promise<number> {
  if (asked) {
    const indexed = indexedChainIds();
    if (!indexed.includes(asked)) {
      throw new ProblemError(404, "Unknown chain", `Chain ${asked} is not indexed here (${indexed.join(", ")}).`, [
        { parameter: "chainId", message: `one of ${indexed.join(", ")}` },
      ]);
    }
    return asked;
  }
  const chains = await db.selectDistinct({ chainId: epoch.chainId }).from(epoch);
  if (chains.length > 1) {
    throw new ProblemError(400, "Invalid request", "Several chains are indexed: choose one with chainId.", [
      { parameter: "chainId", message: `one of ${chains.map((x) => x.chainId).join(", ")}` },
    ]);
  }
  return chains[0]?.chainId ?? 31337;
}

/** Epochs with their charges and totals, and what each account claimed, from the indexed tables. */
async function loadChain(chainId: number): Promise<ChainData> {
  const epochs = await db.select().from(epoch).where(eq(epoch.chainId, chainId)).orderBy(asc(epoch.id));
  const charges = await db.select().from(payerCharge).where(eq(payerCharge.chainId, chainId));
  const totals = await db.select().from(epochTotal).where(eq(epochTotal.chainId, chainId));
  const claimed = await db.select().from(accountEarning).where(eq(accountEarning.chainId, chainId));
  return {
    epochs: epochs.map((e) => ({
      chainId,
      epochId: e.id,
      status: e.status as "pending" | "vetoed" | "final",
      root: e.root,
      usageDigest: e.usageDigest,
      manifestUri: e.manifestUri,
      payerCount: e.payerCount,
      charges: charges
        .filter((x) => x.epochId === e.id)
        .map(({ payer, token, amount, refunded }) => ({ payer, token, amount, refunded })),
      totals: totals
        .filter((x) => x.epochId === e.id)
        .map(({ token, charged, licenseFees }) => ({ token, charged, licenseFees })),
    })),
    claimed: claimed.map(({ account, token, claimed }) => ({ account, token, claimed })),
  };
}
