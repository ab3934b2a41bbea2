// Payer self-service under /v1: Sign-In with Ethereum, then create, list and revoke the payer's own API keys.
import { createKeySchema, siweVerifySchema } from "@tributary/schemas/gateway";
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { AppError } from "../errors.ts";
import { DEFAULT_KEY_CACHE_TTL_SECONDS } from "../gateway/auth.ts";
import { createKey, keyView, listKeys, revokeKey } from "../gateway/keys.ts";
import { issueNonce, payerSession, signIn } from "../gateway/siwe.ts";
import { deploymentChainId } from "../siwe.ts";
import { validate } from "../validate.ts";

function payerOf(c: { get: (k: "payer") => `0x${string}` | undefined }): `0x${string}` {
  const payer = c.get("payer");
  if (!payer) throw new AppError("unauthorized", "Sign in with Ethereum first.");
  return payer;
}

export const keys = new Hono<AppEnv>()
  .get("/auth/nonce", async (c) => {
    const { nonce, expiresAt } = await issueNonce(c.env.DB);
    return c.json({ nonce, domain: new URL(c.req.url).host, expires_at: new Date(expiresAt).toISOString() });
  })
  .post("/auth/verify", validate("json", siweVerifySchema), async (c) => {
    const { message, signature } = c.req.valid("json");
    const session = await signIn(c.env.DB, {
      message,
      signature: signature as `0x${string}`,
      domain: new URL(c.req.url).host,
      chainId: deploymentChainId(c.env),
    });
    return c.json({
      token: session.token,
      payer: session.payer,
      expires_at: new Date(session.expiresAt).toISOString(),
    });
  })
  .get("/keys", payerSession, async (c) => {
    const data = (await listKeys(c.env.DB, payerOf(c))).map(keyView);
    return c.json({ object: "list", data });
  })
  .post("/keys", payerSession, validate("json", createKeySchema), async (c) => {
    const body = c.req.valid("json");
    const payer = payerOf(c);
    const { key, secret } = await createKey(c.env.DB, {
      payer,
      name: body.name,
      models: body.models,
      rpm: body.rpm,
      tpm: body.tpm,
      dailySpendLimit: body.daily_spend_limit,
      expiresAt: body.expires_at ? Date.parse(body.expires_at) : null,
      createdBy: payer,
    });
    return c.json({ ...keyView(key), secret }, 201);
  })
  .delete("/keys/:id", payerSession, async (c) => {
    const key = await revokeKey(c.env.DB, c.req.param("id"), payerOf(c));
    if (!key) throw new AppError("not_found", `No key ${c.req.param("id")} of yours.`);
    const bound = Number(c.env.KEY_CACHE_TTL_SECONDS ?? DEFAULT_KEY_CACHE_TTL_SECONDS);
    return c.json({ ...keyView(key), revocation_bound_seconds: bound });
  });
