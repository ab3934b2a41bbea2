// Sign-In with Ethereum (EIP-4361): single-use nonces and message verification.
import type { Address, Hex } from "viem";
import { generateSiweNonce } from "viem/siwe";
import { checkSiweMessage, siweRefusal } from "../siwe.ts";

/** How long a nonce may wait for its signed message, milliseconds. */
export const NONCE_TTL_MS = 5 * 60 * 1000;
/** How old a message's Issued At may be, milliseconds (how far in the future: ../siwe.ts, SIWE_CLOCK_SKEW_MS). */
const MAX_MESSAGE_AGE_MS = NONCE_TTL_MS;

/** Stores a fresh nonce; `now` in unix milliseconds. */
export async function createNonce(db: D1Database, now: number): Promise<{ nonce: string; expiresAt: Date }> {
  const nonce = generateSiweNonce();
  const expiresAt = now + NONCE_TTL_MS;
  // Dropping long-expired nonces here keeps the table small without a cron.
  await db.batch([
    db.prepare("DELETE FROM siwe_nonces WHERE expires_at < ?").bind(now - NONCE_TTL_MS),
    db.prepare("INSERT INTO siwe_nonces (nonce, expires_at) VALUES (?, ?)").bind(nonce, expiresAt),
  ]);
  return { nonce, expiresAt: new Date(expiresAt) };
}

export type VerifySiweParameters = {
  message: string;
  signature: Hex;
  domain: string;
  now: number;
  chainId?: number | undefined;
};

/** The signed-in wallet (lower-cased) and the message's Expiration Time, past which its session must not last. */
export type VerifySiweReturnType = { address: Address; expirationTime: Date | undefined };

/**
 * Checks an EIP-4361 message for this domain, its time window and signature (../siwe.ts), then consumes its nonce
 * with one conditional UPDATE so the same message can sign in only once.
 */
export async function verifySiwe(db: D1Database, p: VerifySiweParameters): Promise<VerifySiweReturnType> {
  const { chainId, ...rest } = p;
  const { address, nonce, issuedAt, expirationTime } = await checkSiweMessage(
    chainId === undefined ? rest : { ...rest, chainId },
  );
  // checkSiweMessage refused a message without Issued At or issued in the future.
  if (issuedAt.getTime() < p.now - MAX_MESSAGE_AGE_MS) throw siweRefusal("the message was issued too long ago.");
  const consumed = await db
    .prepare(
      "UPDATE siwe_nonces SET used_at = ? WHERE nonce = ? AND used_at IS NULL AND expires_at > ? RETURNING nonce",
    )
    .bind(p.now, nonce, p.now)
    .first<{ nonce: string }>();
  if (!consumed) throw siweRefusal("the nonce is unknown, expired or already used.");
  return { address: address.toLowerCase() as Address, expirationTime };
}
