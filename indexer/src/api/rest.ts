// REST endpoints for dashboards under /api: payouts, top assets and earners, epochs, status; sub-apps for assets and reconciliation.

import { db } from "ponder:api";
import {
  accountDaily,
  accountEarning,
  adminEvent,
  asset,
  assetDaily,
  claim,
  epoch,
  epochTotal,
  roleHolder,
} from "ponder:schema";
import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono";
import { and, asc, desc, eq, gt, inArray, sum } from "ponder";
import { type Accrued, accruedOf } from "./accrued.ts";
import { assets } from "./assets.ts";
import { accountParam, epochsQuery, payoutsQuery, topQuery } from "./params.ts";
import { amounts, invalid, ProblemError, problem } from "./problem.ts";
import { reconciliation } from "./reconciliation.ts";

export const rest = new Hono();

rest.onError((err, c) => problem(c, err));
rest.route("/assets", assets);
rest.route("/reconciliation", reconciliation);

rest.get(
  "/accounts/:account/payouts",
  zValidator("param", accountParam, invalid),
  zValidator("query", payoutsQuery, invalid),
  async (c) => {
    const { account } = c.req.valid("param");
    const q = c.req.valid("query");
    const scope = <T extends typeof accountEarning | typeof claim | typeof accountDaily>(t: T) =>
      and(
        eq(t.account, account),
        q.chainId ? eq(t.chainId, q.chainId) : undefined,
        q.token ? eq(t.token, q.token) : undefined,
      );
    const earnings = await db
      .select()
      .from(accountEarning)
      .where(scope(accountEarning))
      .orderBy(asc(accountEarning.token));
    const claims = await db
      .select()
      .from(claim)
      .where(scope(claim))
      .orderBy(desc(claim.blockNumber), desc(claim.id))
      .limit(q.limit)
      .offset(q.offset);
    const days = await db
      .select()
      .from(accountDaily)
      .where(and(scope(accountDaily), gt(accountDaily.claimCount, 0)))
      .orderBy(asc(accountDaily.day));
    const accrued = await accruedOf(account, q.chainId).catch((err: Error) => {
      throw new ProblemError(502, "Manifest unreadable", err.message);
    });
    return amounts(c, {
      account,
      accruedAsOf: accrued?.map(({ chainId, epochId }) => ({ chainId, epochId })) ?? null,
      earnings: earningsOf(earnings, accrued, q.token),
      claims: claims.map(
        ({ chainId, token, amount, cumulativeAmount, epochId, caller, timestamp, transactionHash }) => ({
          chainId,
          token,
          amount,
          cumulativeAmount,
          epochId,
          caller,
          timestamp,
          transactionHash,
        }),
      ),
      days: days.map(({ chainId, day, token, claimed, claimCount }) => ({ chainId, day, token, claimed, claimCount })),
    });
  },
);

rest.get("/top/assets", zValidator("query", topQuery, invalid), async (c) => {
  const q = c.req.valid("query");
  const fees = sum(assetDaily.licenseFees);
  const rows = await db
    .select({
      chainId: assetDaily.chainId,
      assetId: assetDaily.assetId,
      token: assetDaily.token,
      licenseFees: fees,
      licensesMinted: sum(assetDaily.licensesMinted),
    })
    .from(assetDaily)
    .where(
      and(
        q.chainId ? eq(assetDaily.chainId, q.chainId) : undefined,
        q.token ? eq(assetDaily.token, q.token) : undefined,
      ),
    )
    .groupBy(assetDaily.chainId, assetDaily.assetId, assetDaily.token)
    .orderBy(desc(fees), asc(assetDaily.assetId))
    .limit(q.limit);
  const assets = rows.length
    ? await db
        .select()
        .from(asset)
        .where(
          inArray(
            asset.id,
            rows.map((r) => r.assetId),
          ),
        )
    : [];
  return amounts(c, {
    source: "license_fees",
    assets: rows.map((r) => {
      const a = assets.find((x) => x.id === r.assetId && x.chainId === r.chainId);
      return {
        ...r,
        kind: a?.kind,
        owner: a?.owner,
        metadataUri: a?.metadataUri,
        licenseFees: BigInt(r.licenseFees ?? 0),
        licensesMinted: Number(r.licensesMinted ?? 0),
      };
    }),
  });
});

rest.get("/top/earners", zValidator("query", topQuery, invalid), async (c) => {
  const q = c.req.valid("query");
  const rows = await db
    .select()
    .from(accountEarning)
    .where(
      and(
        q.chainId ? eq(accountEarning.chainId, q.chainId) : undefined,
        q.token ? eq(accountEarning.token, q.token) : undefined,
      ),
    )
    .orderBy(desc(accountEarning.claimed), asc(accountEarning.account))
    .limit(q.limit);
  return amounts(c, { earners: rows });
});

rest.get("/epochs", zValidator("query", epochsQuery, invalid), async (c) => {
  const q = c.req.valid("query");
  const rows = await db
    .select()
    .from(epoch)
    .where(and(q.chainId ? eq(epoch.chainId, q.chainId) : undefined, q.status ? eq(epoch.status, q.status) : undefined))
    .orderBy(desc(epoch.id), asc(epoch.chainId))
    .limit(q.limit)
    .offset(q.offset);
  const totals = rows.length
    ? await db
        .select()
        .from(epochTotal)
        .where(
          inArray(
            epochTotal.epochId,
            rows.map((e) => e.id),
          ),
        )
    : [];
  return amounts(c, {
    epochs: rows.map((e) => ({
      chainId: e.chainId,
      id: e.id,
      status: e.status,
      root: e.root,
      usageDigest: e.usageDigest,
      manifestUri: e.manifestUri,
      payerCount: e.payerCount,
      settledAt: e.settledAt,
      claimableAt: e.claimableAt,
      finalizedAt: e.finalizedAt,
      vetoedAt: e.vetoedAt,
      transactionHash: e.transactionHash,
      totals: totals
        .filter((t) => t.epochId === e.id && t.chainId === e.chainId)
        .map(({ token, charged, licenseFees }) => ({ token, charged, licenseFees })),
    })),
  });
});

rest.get("/status", async (c) => {
  const roles = await db.select().from(roleHolder).orderBy(asc(roleHolder.contract), asc(roleHolder.role));
  const pauses = await db
    .select()
    .from(adminEvent)
    .where(inArray(adminEvent.kind, ["paused", "unpaused"]))
    .orderBy(desc(adminEvent.blockNumber), desc(adminEvent.id))
    .limit(1);
  const [last] = await db.select().from(epoch).orderBy(desc(epoch.id)).limit(1);
  return amounts(c, {
    paused: pauses[0]?.kind === "paused",
    roles: roles.map(({ chainId, contract, role, holder, pending }) => ({ chainId, contract, role, holder, pending })),
    lastEpoch: last ? { chainId: last.chainId, id: last.id, status: last.status } : null,
  });
});

// Anything else under /api (a sub-app's notFound is not consulted once it is mounted).
rest.all("/*", (c) => problem(c, new ProblemError(404, "Not found", `No endpoint ${c.req.method} ${c.req.path}.`)));

/**
 * Claimed per chain and token beside accrued (cumulative in the newest final manifest) and unclaimed; both
 * null when no manifest reader is configured. Tokens accrued but never claimed appear with claimed 0.
 */
function earningsOf(rows: (typeof accountEarning.$inferSelect)[], accrued: Accrued[] | null, token?: string) {
  type Earning = {
    chainId: number;
    token: string;
    claimed: bigint;
    claimCount: number;
    lastClaimAt: bigint | null;
    accrued: bigint | null;
    unclaimed: bigint | null;
  };
  const out: Earning[] = rows.map(({ chainId, token, claimed, claimCount, lastClaimAt }) => {
    const a = accrued ? (accrued.find((x) => x.chainId === chainId)?.tokens.get(token) ?? 0n) : null;
    return {
      chainId,
      token,
      claimed,
      claimCount,
      lastClaimAt,
      accrued: a,
      unclaimed: a === null ? null : a > claimed ? a - claimed : 0n,
    };
  });
  for (const { chainId, tokens } of accrued ?? []) {
    for (const [t, a] of tokens) {
      if ((token && t !== token) || out.some((e) => e.chainId === chainId && e.token === t)) continue;
      out.push({
        chainId,
        token: t,
        claimed: 0n,
        claimCount: 0,
        lastClaimAt: null,
        accrued: a,
        unclaimed: a,
      });
    }
  }
  return out;
}
