// REST endpoints per asset under /api/assets: revenue over time and licenses.
import { db } from "ponder:api";
import { asset, assetDaily, license } from "ponder:schema";
import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono";
import { and, asc, eq, gt, gte, lte } from "ponder";
import { assetParam, licensesQuery, revenueQuery } from "./params.ts";
import { amounts, invalid, ProblemError } from "./problem.ts";

/** Expiry the contract writes for perpetual licenses (2^64 − 1). */
const PERPETUAL = 2n ** 64n - 1n;

export const assets = new Hono();

/** The asset, or a 404 problem. */
async function findAsset(assetId: `0x${string}`, chainId?: number) {
  const [row] = await db
    .select()
    .from(asset)
    .where(and(eq(asset.id, assetId), chainId ? eq(asset.chainId, chainId) : undefined))
    .limit(1);
  if (!row) throw new ProblemError(404, "Unknown asset", `No asset ${assetId} is indexed.`);
  return row;
}

assets.get(
  "/:assetId/revenue",
  zValidator("param", assetParam, invalid),
  zValidator("query", revenueQuery, invalid),
  async (c) => {
    const { assetId } = c.req.valid("param");
    const q = c.req.valid("query");
    const a = await findAsset(assetId, q.chainId);
    const days = await db
      .select()
      .from(assetDaily)
      .where(
        and(
          eq(assetDaily.chainId, a.chainId),
          eq(assetDaily.assetId, assetId),
          q.token ? eq(assetDaily.token, q.token) : undefined,
          q.from ? gte(assetDaily.day, q.from) : undefined,
          q.to ? lte(assetDaily.day, q.to) : undefined,
        ),
      )
      .orderBy(asc(assetDaily.day), asc(assetDaily.token));
    const totals = new Map<string, { token: `0x${string}`; licensesMinted: number; licenseFees: bigint }>();
    for (const d of days) {
      const t = totals.get(d.token) ?? { token: d.token, licensesMinted: 0, licenseFees: 0n };
      t.licensesMinted += d.licensesMinted;
      t.licenseFees += d.licenseFees;
      totals.set(d.token, t);
    }
    return amounts(c, {
      chainId: a.chainId,
      assetId,
      kind: a.kind,
      owner: a.owner,
      source: "license_fees",
      days: days.map(({ day, token, licensesMinted, licenseFees }) => ({ day, token, licensesMinted, licenseFees })),
      totals: [...totals.values()],
    });
  },
);

assets.get(
  "/:assetId/licenses",
  zValidator("param", assetParam, invalid),
  zValidator("query", licensesQuery, invalid),
  async (c) => {
    const { assetId } = c.req.valid("param");
    const q = c.req.valid("query");
    const a = await findAsset(assetId, q.chainId);
    const now = BigInt(q.at ?? Math.floor(Date.now() / 1000));
    const rows = await db
      .select()
      .from(license)
      .where(
        and(
          eq(license.chainId, a.chainId),
          eq(license.assetId, assetId),
          q.active === "true" ? gt(license.expiresAt, now) : undefined,
          q.active === "false" ? lte(license.expiresAt, now) : undefined,
        ),
      )
      .orderBy(asc(license.id))
      .limit(q.limit)
      .offset(q.offset);
    return amounts(c, {
      chainId: a.chainId,
      assetId,
      at: now,
      licenses: rows.map((l) => ({
        id: l.id,
        termsId: l.termsId,
        holder: l.holder,
        payer: l.payer,
        token: l.token,
        fee: l.fee,
        mintedAt: l.timestamp,
        expiresAt: l.expiresAt === PERPETUAL ? null : l.expiresAt,
        expired: l.expiresAt <= now,
        transferCount: l.transferCount,
      })),
    });
  },
);
