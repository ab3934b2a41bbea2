// Operator API under /admin (ADMIN_TOKEN): models, routes, synced terms/licenses/escrow, chain sync, any payer's keys.
import {
  adminCreateKeySchema,
  escrowUpsertSchema,
  licenseUpsertSchema,
  modelUpsertSchema,
  routeUpsertSchema,
  termsUpsertSchema,
} from "@tributary/schemas/gateway";
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { syncChain } from "../chain/sync.ts";
import type { AppEnv } from "../env.ts";
import { AppError } from "../errors.ts";
import { bearerToken } from "../gateway/auth.ts";
import {
  deleteRoute,
  escrowStatus,
  upsertEscrow,
  upsertLicense,
  upsertModel,
  upsertRoute,
  upsertTerms,
} from "../gateway/catalog.ts";
import { timingSafeEqual } from "../gateway/crypto.ts";
import { createKey, keyView, listKeys, revokeKey } from "../gateway/keys.ts";
import { validate } from "../validate.ts";

/** Requires `Authorization: Bearer $ADMIN_TOKEN`. */
export const adminAuth = createMiddleware<AppEnv>(async (c, next) => {
  const expected = c.env.ADMIN_TOKEN;
  if (!expected) throw new AppError("forbidden", "The admin API is disabled: ADMIN_TOKEN is not set.");
  const token = bearerToken(c.req.header("authorization"));
  if (!token || !timingSafeEqual(token, expected))
    throw new AppError("unauthorized", "A valid admin token is required.");
  await next();
});

export const admin = new Hono<AppEnv>()
  .use(adminAuth)
  .put("/models", validate("json", modelUpsertSchema), async (c) => {
    const m = c.req.valid("json");
    await upsertModel(c.env.DB, {
      name: m.name,
      assetId: m.asset_id,
      ownedBy: m.owned_by,
      kind: m.kind,
      maxOutputTokens: m.max_output_tokens,
      active: m.active,
    });
    return c.json({ ok: true, name: m.name });
  })
  .put("/routes", validate("json", routeUpsertSchema), async (c) => {
    const r = c.req.valid("json");
    await upsertRoute(c.env.DB, {
      id: r.id,
      model: r.model,
      priority: r.priority,
      baseUrl: r.base_url,
      secretName: r.secret_name ?? null,
      upstreamModel: r.upstream_model,
      timeoutMs: r.timeout_ms,
      maxRetries: r.max_retries,
      maxTokensParam: r.max_tokens_param ?? null,
    });
    return c.json({ ok: true, id: r.id });
  })
  .delete("/routes/:id", async (c) => {
    if (!(await deleteRoute(c.env.DB, c.req.param("id")))) throw new AppError("not_found", "No such route.");
    return c.json({ ok: true });
  })
  .put("/terms", validate("json", termsUpsertSchema), async (c) => {
    const t = c.req.valid("json");
    await upsertTerms(c.env.DB, {
      id: t.id,
      assetId: t.asset_id,
      token: t.token,
      pricePerMTokIn: t.price_per_mtok_in,
      pricePerMTokOut: t.price_per_mtok_out,
    });
    return c.json({ ok: true, id: t.id });
  })
  .put("/licenses", validate("json", licenseUpsertSchema), async (c) => {
    const l = c.req.valid("json");
    await upsertLicense(c.env.DB, {
      id: l.id,
      assetId: l.asset_id,
      termsId: l.terms_id,
      holder: l.holder,
      expiresAt: Date.parse(l.expires_at),
    });
    return c.json({ ok: true, id: l.id });
  })
  .put("/escrow", validate("json", escrowUpsertSchema), async (c) => {
    const e = c.req.valid("json");
    await upsertEscrow(c.env.DB, {
      payer: e.payer,
      token: e.token,
      balance: e.balance,
      settledBefore: e.settled_before ? Date.parse(e.settled_before) : undefined,
    });
    return c.json({ ok: true, escrow: await escrowStatus(c.env.DB, e.payer) });
  })
  .post("/chain/sync", async (c) => {
    const r = await syncChain(c.env);
    return c.json({
      chain_id: r.chainId,
      block: r.block?.toString() ?? null,
      block_hash: r.blockHash,
      from: r.from.toString(),
      rewound_to: r.rewoundTo?.toString() ?? null,
      ranges: r.ranges,
      events: r.events,
    });
  })
  .get("/escrow/:payer", async (c) =>
    c.json({ payer: c.req.param("payer"), escrow: await escrowStatus(c.env.DB, c.req.param("payer")) }),
  )
  .post("/keys", validate("json", adminCreateKeySchema), async (c) => {
    const body = c.req.valid("json");
    const { key, secret } = await createKey(c.env.DB, {
      payer: body.payer,
      name: body.name,
      models: body.models,
      rpm: body.rpm,
      tpm: body.tpm,
      dailySpendLimit: body.daily_spend_limit,
      expiresAt: body.expires_at ? Date.parse(body.expires_at) : null,
      createdBy: "admin",
    });
    return c.json({ ...keyView(key), secret }, 201);
  })
  .get("/keys", validate("query", z.object({ payer: z.string().optional() })), async (c) => {
    const { payer } = c.req.valid("query");
    return c.json({ object: "list", data: (await listKeys(c.env.DB, payer?.toLowerCase())).map(keyView) });
  })
  .delete("/keys/:id", async (c) => {
    const key = await revokeKey(c.env.DB, c.req.param("id"));
    if (!key) throw new AppError("not_found", "No such key.");
    return c.json(keyView(key));
  });
