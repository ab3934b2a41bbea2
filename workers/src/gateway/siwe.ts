// Sign-In with Ethereum for payers: single-use nonces, offline signature check, short-lived session tokens.
import { createMiddleware } from "hono/factory";
import { generateSiweNonce } from "viem/siwe";
import type { AppEnv } from "../env.ts";
import { AppError } from "../errors.ts";
import { checkSiweMessage, sessionEnd, siweRefusal } from "../siwe.ts";
import { bearerToken } from "./auth.ts";
import { randomHex, sha256Hex } from "./crypto.ts";

export const NONCE_TTL_MS = 10 * 60_000;
export const SESSION_TTL_MS = 60 * 60_000;
export const SESSION_PREFIX = "trs_";

export async function issueNonce(db: D1Database, now = Date.now()): Promise<{ nonce: string; expiresAt: number }> {
  const nonce = generateSiweNonce();
  const expiresAt = now + NONCE_TTL_MS;
  await db.batch([
    db.prepare("DELETE FROM siwe_nonces WHERE expires_at < ?").bind(now),
    db.prepare("INSERT INTO siwe_nonces (nonce, expires_at) VALUES (?, ?)").bind(nonce, expiresAt),
  ]);
  return { nonce, expiresAt };
}

/**
 * Checks an EIP-4361 message for this gateway's domain and its EOA signature (../siwe.ts), consumes its nonce, and
 * opens a session for the signing address until SESSION_TTL_MS from now or the message's Expiration Time, whichever
 * comes first. Returns the session token (shown once), the payer and when the session ends.
 */
export async function signIn(
  db: D1Database,
  p: { message: string; signature: `0x${string}`; domain: string; now?: number; chainId?: number | undefined },
): Promise<{ token: string; payer: `0x${string}`; expiresAt: number }> {
  const now = p.now ?? Date.now();
  const { address, nonce, expirationTime } = await checkSiweMessage({
    message: p.message,
    signature: p.signature,
    domain: p.domain,
    now,
    ...(p.chainId === undefined ? {} : { chainId: p.chainId }),
  });
  const consumed = await db
    .prepare("DELETE FROM siwe_nonces WHERE nonce = ? AND expires_at >= ? RETURNING nonce")
    .bind(nonce, now)
    .first<{ nonce: string }>();
  if (!consumed) throw siweRefusal("the nonce is unknown, used or expired.");
  const token = `${SESSION_PREFIX}${randomHex(24)}`;
  const payer = address.toLowerCase() as `0x${string}`;
  const expiresAt = sessionEnd(now, SESSION_TTL_MS, expirationTime);
  await db
    .prepare("INSERT INTO payer_sessions (token_hash, payer, expires_at) VALUES (?, ?, ?)")
    .bind(sha256Hex(token), payer, expiresAt)
    .run();
  return { token, payer, expiresAt };
}

/**
 * Deletes up to `limit` sessions that expired at or before `now` (the hourly housekeeping, gateway/prune.ts): the
 * middleware below accepts a session only while `expires_at > now`, so an expired one is never read again, and
 * nothing else deletes them. Sessions are inserted in time order and end at most SESSION_TTL_MS later, so the rowid
 * order meets the expired ones first (one cut short by its message's Expiration Time only expires sooner).
 */
export function deleteExpiredSessions(db: D1Database, now: number, limit: number): D1PreparedStatement {
  return db
    .prepare(
      "DELETE FROM payer_sessions WHERE rowid IN (SELECT rowid FROM payer_sessions WHERE expires_at <= ?1 LIMIT ?2)",
    )
    .bind(now, limit);
}

export type PayerSessionVariables = { payer: `0x${string}` };

/** Authenticates a payer by session token. */
export const payerSession = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearerToken(c.req.header("authorization"));
  if (!token?.startsWith(SESSION_PREFIX)) {
    throw new AppError("unauthorized", "Sign in with Ethereum first and send the session token as a Bearer token.");
  }
  const row = await c.env.DB.prepare("SELECT payer FROM payer_sessions WHERE token_hash = ? AND expires_at > ?")
    .bind(sha256Hex(token), Date.now())
    .first<{ payer: string }>();
  if (!row) throw new AppError("unauthorized", "The session is unknown or expired; sign in again.");
  c.set("payer", row.payer as `0x${string}`);
  await next();
});
