// Middleware that authenticates a caller by API key and refuses revoked or expired keys the way OpenAI does.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.ts";
import { AppError } from "../errors.ts";
import { type ApiKey, findKeyBySecret } from "./keys.ts";

export type ApiKeyVariables = { apiKey: ApiKey };

/** Default bound, in seconds, on how long a key revoked elsewhere may still be accepted by a warm isolate. */
export const DEFAULT_KEY_CACHE_TTL_SECONDS = 30;

export function bearerToken(header: string | undefined): string | undefined {
  const match = header && /^Bearer\s+(\S+)$/i.exec(header);
  return match ? match[1] : undefined;
}

export const apiKeyAuth = createMiddleware<AppEnv>(async (c, next) => {
  const secret = bearerToken(c.req.header("authorization"));
  if (!secret) {
    throw new AppError(
      "invalid_api_key",
      "You didn't provide an API key. Provide it in the Authorization header as 'Bearer YOUR_KEY'.",
    );
  }
  const ttl = Number(c.env.KEY_CACHE_TTL_SECONDS ?? DEFAULT_KEY_CACHE_TTL_SECONDS) * 1000;
  const key = await findKeyBySecret(c.env.DB, secret, ttl);
  const shown = `${secret.slice(0, 8)}…${secret.slice(-4)}`;
  if (!key) throw new AppError("invalid_api_key", `Incorrect API key provided: ${shown}.`);
  if (key.revokedAt !== null && key.revokedAt <= Date.now()) {
    throw new AppError("invalid_api_key", `The API key ${key.prefix}… has been revoked.`);
  }
  if (key.expiresAt !== null && key.expiresAt <= Date.now()) {
    throw new AppError("invalid_api_key", `The API key ${key.prefix}… has expired.`);
  }
  c.set("apiKey", key);
  await next();
});
