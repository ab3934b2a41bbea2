// Wire schemas of Sign-In with Ethereum (EIP-4361) for annotators, owners and reviewers.
import { z } from "zod";
import { addressSchema } from "./common.ts";

export const nonceResponseSchema = z.object({
  nonce: z.string(),
  /** ISO 8601; the signed message must be verified before then. */
  expiresAt: z.string(),
});
export type NonceResponse = z.infer<typeof nonceResponseSchema>;

export const verifyRequestSchema = z.object({
  /** The full EIP-4361 message text that was signed. */
  message: z.string().min(1).max(4096),
  /** 0x personal_sign signature of `message`. */
  signature: z.string().regex(/^0x[0-9a-fA-F]+$/),
});
export type VerifyRequest = z.infer<typeof verifyRequestSchema>;

export const sessionSchema = z
  .object({
    /** Bearer token for `Authorization: Bearer …` (HS256 JWT). */
    token: z.string(),
    address: addressSchema,
    /** ISO 8601 expiry of the token. */
    expiresAt: z.string(),
  })
  .meta({ id: "Session" });
export type Session = z.infer<typeof sessionSchema>;
