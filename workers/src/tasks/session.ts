// Session tokens for signed-in wallets (HS256 JWT) and the middleware that requires one.
import { createMiddleware } from "hono/factory";
import { sign, verify } from "hono/jwt";
import type { Address } from "viem";
import { AppError } from "../errors.ts";
import { sessionEnd } from "../siwe.ts";

/** Lifetime of a session token, seconds: short, so a leaked token is worth little. */
export const SESSION_TTL_SECONDS = 60 * 60;
const DEV_SECRET = "local-dev-session-secret";
const AUDIENCE = "tributary-tasks";

/** Variables set by `requireSession`: the signed-in wallet, lower-cased. */
export type SessionVariables = { account: Address };

type SessionEnv = { Bindings: Env; Variables: SessionVariables };

function secretOf(env: Env): string {
  const secret: string | undefined = env.SESSION_SECRET;
  if (!secret || (secret === DEV_SECRET && env.REGION !== "local")) {
    throw new AppError("unavailable", "Sessions are not configured on this deployment.");
  }
  return secret;
}

/**
 * Issues a session token for `address`; `now` in unix milliseconds. It lives SESSION_TTL_SECONDS, or ends at
 * `notAfter` (the sign-in message's Expiration Time) when that comes first; a JWT's `exp` is whole seconds, rounded
 * down so the token never outlives it.
 */
export async function issueSession(
  env: Env,
  address: Address,
  now = Date.now(),
  notAfter?: Date,
): Promise<{ token: string; expiresAt: Date }> {
  const iat = Math.floor(now / 1000);
  const exp = Math.floor(sessionEnd(iat * 1000, SESSION_TTL_SECONDS * 1000, notAfter) / 1000);
  const token = await sign({ sub: address.toLowerCase(), aud: AUDIENCE, iat, exp }, secretOf(env), "HS256");
  return { token, expiresAt: new Date(exp * 1000) };
}

/** Requires `Authorization: Bearer <session token>` and sets `account`. */
export const requireSession = createMiddleware<SessionEnv>(async (c, next) => {
  const header = c.req.header("authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1])
    throw new AppError("unauthorized", "Sign in with Ethereum and send the session token as a Bearer token.");
  let sub: unknown;
  try {
    ({ sub } = await verify(match[1], secretOf(c.env), { alg: "HS256", aud: AUDIENCE }));
  } catch (cause) {
    if (cause instanceof AppError) throw cause;
    throw new AppError("unauthorized", "The session token is invalid or expired.", {}, { cause });
  }
  if (typeof sub !== "string" || !/^0x[0-9a-f]{40}$/.test(sub)) {
    throw new AppError("unauthorized", "The session token has no wallet subject.");
  }
  c.set("account", sub as Address);
  await next();
});
