// Sign-In with Ethereum (EIP-4361) checks both sign-ins share: the payers' (/v1/auth) and the annotators' (/tasks/auth).
import { type Address, type Hex, verifyMessage } from "viem";
import { parseSiweMessage, validateSiweMessage } from "viem/siwe";
import { AppError } from "./errors.ts";

/** `chainId`: the chain this deployment settles on (`CHAIN_ID`), when it names one; the message must be for it. */
export type CheckSiweParameters = { message: string; signature: Hex; domain: string; now: number; chainId?: number };

/** The deployment's chain id from its `CHAIN_ID` variable, or undefined when it names none. */
export function deploymentChainId(vars: { CHAIN_ID?: string }): number | undefined {
  const id = Number(vars.CHAIN_ID);
  return Number.isInteger(id) && id > 0 ? id : undefined;
}

/** `expirationTime`: the message's Expiration Time, when it has one; a session opened with it must not outlive it. */
export type CheckSiweReturnType = {
  address: Address;
  nonce: string;
  issuedAt: Date;
  expirationTime: Date | undefined;
};

/**
 * When a session opened at `now` (unix ms) with `ttlMs` ends: its lifetime, or the signed message's Expiration Time
 * if that comes first. EIP-4361 makes the message invalid after it, so the session it opens ends then too.
 */
export function sessionEnd(now: number, ttlMs: number, expirationTime: Date | undefined): number {
  const end = now + ttlMs;
  return expirationTime ? Math.min(end, expirationTime.getTime()) : end;
}

/** How far ahead of the server's clock a message's Issued At may be (ms): a wallet's clock may run a little fast. */
export const SIWE_CLOCK_SKEW_MS = 60_000;

/** The 401 of a refused sign-in; `why` is a sentence, `param` the request field at fault. */
export const siweRefusal = (why: string, param: "message" | "signature" = "message") =>
  new AppError("unauthorized", `Sign-in refused: ${why}`, { param });

/**
 * Checks that `message` is an EIP-4361 message for `domain` (and for `chainId`, when given: a sign-in made for another
 * deployment on another chain does not open this one), valid at `now` (unix ms; expiration and not-before), not
 * issued after `now` (beyond SIWE_CLOCK_SKEW_MS), and signed by its address (EOA). Returns its fields; the caller
 * still consumes the nonce in its own table. Throws {@link siweRefusal} otherwise.
 */
export async function checkSiweMessage(p: CheckSiweParameters): Promise<CheckSiweReturnType> {
  const fields = parseSiweMessage(p.message);
  if (!fields.address || !fields.nonce) throw siweRefusal("the message is not an EIP-4361 message.");
  if (fields.domain !== p.domain) {
    throw siweRefusal(`the message is for ${fields.domain ?? "no domain"}, not ${p.domain}.`);
  }
  if (p.chainId !== undefined && fields.chainId !== p.chainId) {
    throw siweRefusal(`the message is for chain ${fields.chainId ?? "none"}, not ${p.chainId}.`);
  }
  // viem parses a malformed time as an invalid Date, which every comparison passes: an unreadable Expiration Time
  // would never expire. EIP-4361 requires Issued At.
  for (const [field, name] of [
    ["issuedAt", "Issued At"],
    ["expirationTime", "Expiration Time"],
    ["notBefore", "Not Before"],
  ] as const) {
    const value = fields[field];
    if ((value !== undefined || field === "issuedAt") && !(value instanceof Date && Number.isFinite(value.getTime()))) {
      throw siweRefusal(`the message's ${name} is not an RFC 3339 date-time.`);
    }
  }
  // viem's validation reads expirationTime and notBefore only; a message cannot have been issued after it arrived.
  if (fields.issuedAt && fields.issuedAt.getTime() > p.now + SIWE_CLOCK_SKEW_MS) {
    throw siweRefusal(
      `the message is dated in the future (Issued At ${fields.issuedAt.toISOString()}, more than a minute after ` +
        "this server's time); check the clock of the device that made it.",
    );
  }
  if (!validateSiweMessage({ message: fields, domain: p.domain, time: new Date(p.now) })) {
    throw siweRefusal("the message is expired or not yet valid.");
  }
  // viem throws, rather than answering false, on a signature it cannot parse (a wrong length, an invalid v, r or s
  // out of range); that is a signature that does not match either.
  const matches = await verifyMessage({ address: fields.address, message: p.message, signature: p.signature }).catch(
    () => false,
  );
  if (!matches) throw siweRefusal("the signature does not match the address.", "signature");
  return {
    address: fields.address,
    nonce: fields.nonce,
    // Checked above: present and a valid date.
    issuedAt: fields.issuedAt as Date,
    expirationTime: fields.expirationTime,
  };
}
