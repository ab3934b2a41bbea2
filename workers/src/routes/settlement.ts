// Settlement surfaces: the operator's epoch close, public epoch manifests, and payouts with proofs.
import { payoutAccountParamsSchema, settlementEpochParamsSchema } from "@tributary/schemas/settlement";
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { AppError } from "../errors.ts";
import { archiveFinalEpochs } from "../settler/archive.ts";
import { manifestKey } from "../settler/build.ts";
import { closeEpoch, manifestUri } from "../settler/close.ts";
import { meteringTotals } from "../settler/metering.ts";
import { payoutsOf } from "../settler/payouts.ts";
import type { SettlerEnv } from "../settler/settings.ts";
import { validate } from "../validate.ts";
import { adminAuth } from "./admin.ts";

/**
 * `POST /admin/settlement/close`: closes the next epoch now (the cron runs the same).
 * `GET /admin/settlement/metering`: metered totals per epoch, payer and token, for reconciliation.
 * `POST /admin/settlement/archive`: archives the usage of final epochs past the retention now (the cron runs the same).
 */
export const settlementAdmin = new Hono<AppEnv>().use(adminAuth);

settlementAdmin.get("/metering", async (c) => c.json(await meteringTotals(c.env)));

settlementAdmin.post("/close", async (c) => {
  const result = await closeEpoch(c.env);
  if (!result) return c.body(null, 204);
  const m = result.manifest;
  return c.json({
    epoch_id: result.epochId,
    status: result.status,
    tx_hash: result.txHash,
    root: m.root,
    manifest_uri: manifestUri(c.env, result.epochId),
    records: m.usage.recordCount,
    payers: m.charges.length,
    accounts: m.accruals.length,
    totals: m.totals,
    shortfalls: m.shortfalls,
  });
});

settlementAdmin.post("/archive", async (c) => {
  const archived = await archiveFinalEpochs(c.env);
  return c.json({
    data: archived.map((a) => ({ epoch_id: a.epochId, records: a.records, parts: a.parts, holds: a.holds })),
  });
});

type EpochListRow = {
  epoch_id: number;
  status: string;
  watermark: number;
  root: string | null;
  usage_digest: string | null;
  record_count: number | null;
  payer_count: number | null;
  shortfall_count: number | null;
  tx_hash: string | null;
  block_number: number | null;
  error: string | null;
};

/** An epoch row as served; `manifest_uri` is the one the settler posts on-chain (SETTLEMENT_PUBLIC_URL and the path). */
const epochView = (env: SettlerEnv, r: EpochListRow) => ({
  epoch_id: r.epoch_id,
  status: r.status,
  watermark: new Date(r.watermark).toISOString(),
  root: r.root,
  usage_digest: r.usage_digest,
  records: r.record_count,
  payers: r.payer_count,
  shortfalls: r.shortfall_count,
  tx_hash: r.tx_hash,
  block_number: r.block_number,
  error: r.error,
  manifest_uri: r.root ? manifestUri(env, r.epoch_id) : null,
});

/** Public reads: epochs the settler closed and their manifests. */
export const settlement = new Hono<AppEnv>()
  .get("/epochs", async (c) => {
    const { results } = await c.env.DB.prepare(
      "SELECT * FROM settlement_epochs ORDER BY epoch_id DESC LIMIT 100",
    ).all<EpochListRow>();
    return c.json({ epochs: results.map((r) => epochView(c.env, r)) });
  })
  .get("/epochs/:id", validate("param", settlementEpochParamsSchema), async (c) => {
    const { id } = c.req.valid("param");
    const row = await c.env.DB.prepare("SELECT * FROM settlement_epochs WHERE epoch_id = ?")
      .bind(id)
      .first<EpochListRow>();
    if (!row) throw new AppError("not_found", `The settler has no epoch ${id}.`);
    const object = row.root ? await c.env.BUCKET.get(manifestKey(id)) : null;
    const manifest = object ? ((await object.json()) as { shortfalls: unknown[]; totals: unknown[] }) : null;
    return c.json({
      ...epochView(c.env, row),
      totals: manifest?.totals ?? [],
      shortfall_list: manifest?.shortfalls ?? [],
    });
  })
  .get("/epochs/:id/manifest", validate("param", settlementEpochParamsSchema), async (c) => {
    const { id } = c.req.valid("param");
    const object = await c.env.BUCKET.get(manifestKey(id));
    if (!object) throw new AppError("not_found", `Epoch ${id} has no manifest.`);
    return new Response(object.body, { headers: { "content-type": "application/json" } });
  });

/** `GET /payouts/:account`: per token the cumulative amount, what was claimed, what is claimable, and the proof. */
export const payouts = new Hono<AppEnv>().get("/:account", validate("param", payoutAccountParamsSchema), async (c) => {
  const { account } = c.req.valid("param");
  return c.json(await payoutsOf(c.env, account.toLowerCase() as `0x${string}`));
});
