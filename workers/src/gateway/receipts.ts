// Signed usage receipts: a canonical JSON payload signed with EIP-191 (personal_sign) by the gateway's key.
import type { Hex } from "viem";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { AppError } from "../errors.ts";
import { PresignedSigner } from "./presign.ts";

/** What a receipt attests; money as a decimal string of base units of `token`. Keys are in this fixed order. */
export type ReceiptPayload = {
  v: 1;
  request_id: string;
  region: string;
  payer: string;
  key_id: string;
  model: string;
  model_asset: string;
  license_id: string;
  terms_id: string;
  token: string;
  input_tokens: number;
  output_tokens: number;
  cost: string;
  estimated: boolean;
  status: string;
  created_at: string;
};

export type SignedReceipt = { payload: string; signature: Hex; signer: `0x${string}` };

/** The isolate's signing key, its account and its signer with a pool of nonces: made once per key. */
type Signing = { key: string; account: PrivateKeyAccount; signer: PresignedSigner };

let cached: Signing | undefined;

/** Receipt nonces an isolate keeps ready. */
export const RECEIPT_NONCE_POOL = 16;

/**
 * Signing key used only when REGION is "local" and no GATEWAY_SIGNING_KEY is set, so `npm run dev` works without
 * secrets: anvil's well-known test account #1, whose key is public. Deployed regions must set the secret.
 */
export const LOCAL_DEV_SIGNING_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

/** Where the signing key comes from: the secret, or the public dev key in the local region only. */
export type SigningEnv = { GATEWAY_SIGNING_KEY?: string | undefined; REGION: string };

/** The signing key of `env`, checked (and its account and signer made) only when it differs from the last one. */
function signingOf(env: SigningEnv): Signing {
  const privateKey = env.GATEWAY_SIGNING_KEY ?? (env.REGION === "local" ? LOCAL_DEV_SIGNING_KEY : undefined);
  if (cached !== undefined && cached.key === privateKey) return cached;
  if (!privateKey || !/^0x[0-9a-fA-F]{64}$/.test(privateKey)) {
    throw new AppError("unavailable", "The gateway has no receipt signing key configured (GATEWAY_SIGNING_KEY).");
  }
  cached = {
    key: privateKey,
    account: privateKeyToAccount(privateKey as Hex),
    signer: new PresignedSigner(privateKey as Hex),
  };
  return cached;
}

/** The gateway's signing account. */
export function signerOf(env: SigningEnv): PrivateKeyAccount {
  return signingOf(env).account;
}

/** Nonces a refill makes at most: one refill per few requests keeps the pool full. */
export const RECEIPT_NONCE_BATCH = 4;

/** Whether the isolate's pool has room for a refill of RECEIPT_NONCE_BATCH nonces. */
export function receiptNoncesLow(env: SigningEnv): boolean {
  return signingOf(env).signer.prepared <= RECEIPT_NONCE_POOL - RECEIPT_NONCE_BATCH;
}

/**
 * Makes up to `max` receipt nonces while the isolate's pool holds fewer than `below` (each costs one secp256k1
 * point multiplication, the bulk of a signature). Called where the isolate would otherwise wait: while a
 * non-streaming request waits for its upstream, and once a request's metering writes are committed.
 */
export function prepareReceiptNonces(env: SigningEnv, max: number, below = RECEIPT_NONCE_POOL): void {
  const { signer } = signingOf(env);
  if (signer.prepared < below) signer.prepare(Math.min(below, RECEIPT_NONCE_POOL), max);
}

/** Signs the canonical JSON of a payload; verify with viem `verifyMessage({ address: signer, message: payload, signature })`. */
export async function signReceipt(env: SigningEnv, payload: ReceiptPayload): Promise<SignedReceipt> {
  const { account, signer } = signingOf(env);
  const text = JSON.stringify(payload);
  return { payload: text, signature: signer.signMessage(text), signer: account.address };
}

/** The receipt as one header value: base64url of the payload, a dot, the signature. */
export function receiptHeader(receipt: SignedReceipt): string {
  // Node's base64url (nodejs_compat) has no padding.
  return `${Buffer.from(receipt.payload, "utf8").toString("base64url")}.${receipt.signature}`;
}
