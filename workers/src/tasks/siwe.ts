// Sign-In with Ethereum (EIP-4361): single-use nonces and message verification.
import { type Address, type Hex, verifyMessage } from "viem";
import { generateSiweNonce, parseSiweMessage, validateSiweMessage } from "viem/siwe";
import { AppError } from "../errors.ts";

/** How long a nonce may wait for its signed message, milliseconds. */
export const NONCE_TTL_MS = 5 * 60 * 1000;
/** How old a message's Issued At may be, milliseconds (and how far in the future, for clock skew). */
const MAX_MESSAGE_AGE_MS = NONCE_TTL_MS;
const CLOCK_SKEW_MS = 60 * 1000;

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

export type VerifySiweParameters = { message: string; signature: Hex; domain: string; now: number };

/**
 * Checks an EIP-4361 message for this domain, its time window and signature, then consumes its
 * nonce with one conditional UPDATE so the same message can sign in only once.
 */
export async function verifySiwe(db: D1Database, p: VerifySiweParameters): Promise<Address> {
  const fields = parseSiweMessage(p.message);
  const refuse = (why: string): never => {
    throw new AppError("unauthorized", `Sign-in refused: ${why}`);
  };
  if (!fields.address || !fields.nonce || !fields.issuedAt) refuse("the message is not an EIP-4361 message.");
  if (fields.domain !== p.domain) refuse(`the message is for ${fields.domain ?? "no domain"}, not ${p.domain}.`);
  if (!validateSiweMessage({ message: fields, domain: p.domain, time: new Date(p.now) })) {
    refuse("the message is expired or not yet valid.");
  }
  const issuedAt = fields.issuedAt?.getTime() ?? 0;
  if (issuedAt < p.now - MAX_MESSAGE_AGE_MS || issuedAt > p.now + CLOCK_SKEW_MS) {
    refuse("the message was issued too long ago.");
  }
  const address = fields.address as Address;
  const valid = await verifyMessage({ address, message: p.message, signature: p.signature }).catch(() => false);
  if (!valid) refuse("the signature does not match the address.");
  const consumed = await db
    .prepare(
      "UPDATE siwe_nonces SET used_at = ? WHERE nonce = ? AND used_at IS NULL AND expires_at > ? RETURNING nonce",
    )
    .bind(p.now, fields.nonce, p.now)
    .first<{ nonce: string }>();
  if (!consumed) refuse("the nonce is unknown, expired or already used.");
  return address.toLowerCase() as Address;
}
