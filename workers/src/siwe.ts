// Sign-In with Ethereum (EIP-4361) checks both sign-ins share: the payers' (/v1/auth) and the annotators' (/tasks/auth).
import { type Address, type Hex, verifyMessage } from "viem";
import { parseSiweMessage, validateSiweMessage } from "viem/siwe";
import { AppError } from "./errors.ts";

export type CheckSiweParameters = { message: string; signature: Hex; domain: string; now: number };

export type CheckSiweReturnType = { address: Address; nonce: string; issuedAt: Date | undefined };

/** The 401 of a refused sign-in; `why` is a sentence, `param` the request field at fault. */
export const siweRefusal = (why: string, param: "message" | "signature" = "message") =>
  new AppError("unauthorized", `Sign-in refused: ${why}`, { param });

/**
 * Checks that `message` is an EIP-4361 message for `domain`, valid at `now` (unix ms; expiration and not-before), and
 * signed by its address (EOA). Returns its fields; the caller still consumes the nonce in its own table. Throws
 * {@link siweRefusal} otherwise.
 */
export async function checkSiweMessage(p: CheckSiweParameters): Promise<CheckSiweReturnType> {
  const fields = parseSiweMessage(p.message);
  if (!fields.address || !fields.nonce) throw siweRefusal("the message is not an EIP-4361 message.");
  if (fields.domain !== p.domain) {
    throw siweRefusal(`the message is for ${fields.domain ?? "no domain"}, not ${p.domain}.`);
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
  return { address: fields.address, nonce: fields.nonce, issuedAt: fields.issuedAt };
}
