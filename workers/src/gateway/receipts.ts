// Signed usage receipts: a canonical JSON payload signed with ECDSA over P-256 and SHA-256 by the gateway's key, in
// the runtime's own WebCrypto (no JavaScript curve arithmetic on the request path).
import { p256 } from "@noble/curves/nist";
import { AppError } from "../errors.ts";

/** What a receipt attests; money as a decimal string of base units of `token`. Signed as `receiptText(payload)`. */
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

/**
 * The payload's keys in their canonical order: the signed text is `JSON.stringify(payload, RECEIPT_KEYS)`, so a
 * payload rebuilt from a stored usage record in any key order (`GET /v1/usage/receipts/:id`) is the same text.
 */
const RECEIPT_KEYS: readonly (keyof ReceiptPayload)[] = [
  "v",
  "request_id",
  "region",
  "payer",
  "key_id",
  "model",
  "model_asset",
  "license_id",
  "terms_id",
  "token",
  "input_tokens",
  "output_tokens",
  "cost",
  "estimated",
  "status",
  "created_at",
];

/** The text a receipt signs: the payload's canonical JSON. */
export function receiptText(payload: ReceiptPayload): string {
  return JSON.stringify(payload, RECEIPT_KEYS as string[]);
}

/** `signature`: 0x-hex of r‖s (64 bytes, low s); `signer`: 0x-hex of the public key, uncompressed SEC1 (65 bytes). */
export type SignedReceipt = { payload: string; signature: `0x${string}`; signer: `0x${string}` };

/** The receipt signing scheme, as published at `GET /v1/usage/signer`. */
export const RECEIPT_SCHEME = "ecdsa-p256-sha256";

/** The gateway's receipt key: its public parts, and the private key in WebCrypto once imported. */
export type ReceiptSigner = {
  /** Uncompressed SEC1 public key (0x04‖x‖y) as 0x-hex. */
  publicKey: `0x${string}`;
  /** The public key as a JWK, for `crypto.subtle.importKey("jwk", …)`. */
  jwk: { kty: "EC"; crv: "P-256"; x: string; y: string };
};

/** A WebCrypto key, as both the worker's types and Node's (scripts/gen-receipt-fixture.ts) name it. */
type WebCryptoKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

/** The configured key: the secret as given, its scalar for the JWK, its public parts, and its WebCrypto key. */
type Signing = { privateKey: string; d: string; signer: ReceiptSigner; key?: WebCryptoKey };

let cached: Signing | undefined;

/**
 * Signing key used only when REGION is "local" and no GATEWAY_SIGNING_KEY is set, so `npm run dev` works without
 * secrets. It is public (anvil's test key #1, read as a P-256 scalar): deployed regions must set the secret.
 */
export const LOCAL_DEV_SIGNING_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

/** Where the signing key comes from: the secret, or the public dev key in the local region only. */
export type SigningEnv = { GATEWAY_SIGNING_KEY?: string | undefined; REGION: string };

/** P-256's group order n, and n / 2: a signature's s is kept at most n / 2, as OpenZeppelin's P256.verify requires. */
const N = p256.CURVE.n;
const HALF_N = N >> 1n;

const ECDSA_SHA256 = { name: "ECDSA", hash: "SHA-256" } as const;
const encoder = new TextEncoder();
const base64url = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");

/** The signing key of `env`, checked (and its public key derived) only when it differs from the last one. */
function signingOf(env: SigningEnv): Signing {
  const privateKey = env.GATEWAY_SIGNING_KEY ?? (env.REGION === "local" ? LOCAL_DEV_SIGNING_KEY : undefined);
  if (cached !== undefined && cached.privateKey === privateKey) return cached;
  const unconfigured = "The gateway has no valid receipt signing key configured (GATEWAY_SIGNING_KEY).";
  if (!privateKey || !/^0x[0-9a-fA-F]{64}$/.test(privateKey)) throw new AppError("unavailable", unconfigured);
  const scalar = Buffer.from(privateKey.slice(2), "hex");
  if (!p256.utils.isValidPrivateKey(scalar)) throw new AppError("unavailable", unconfigured);
  const point = p256.getPublicKey(scalar, false);
  const x = base64url(point.subarray(1, 33));
  const y = base64url(point.subarray(33, 65));
  cached = {
    privateKey,
    d: base64url(scalar),
    signer: { publicKey: `0x${Buffer.from(point).toString("hex")}`, jwk: { kty: "EC", crv: "P-256", x, y } },
  };
  return cached;
}

/** The gateway's receipt signer (its public key); throws `unavailable` when no valid signing key is configured. */
export function signerOf(env: SigningEnv): ReceiptSigner {
  return signingOf(env).signer;
}

/**
 * The public keys of earlier signing keys (`GATEWAY_PREVIOUS_SIGNERS`, comma-separated 0x-hex SEC1), published beside
 * the current one so that receipts signed before a rotation stay verifiable; lower-cased and uncompressed.
 */
export function previousSigners(env: { GATEWAY_PREVIOUS_SIGNERS?: string | undefined }): `0x${string}`[] {
  const listed = (env.GATEWAY_PREVIOUS_SIGNERS ?? "").split(",").map((k) => k.trim());
  return listed
    .filter((k) => k !== "")
    .map((key) => {
      try {
        if (!/^0x[0-9a-fA-F]+$/.test(key)) throw new Error("not hex");
        return `0x${p256.ProjectivePoint.fromHex(key.slice(2)).toHex(false)}` as const;
      } catch {
        throw new AppError(
          "unavailable",
          `GATEWAY_PREVIOUS_SIGNERS lists ${key.slice(0, 12)}…, which is not a P-256 public key (0x-hex SEC1).`,
        );
      }
    });
}

/** The private key in WebCrypto, imported once per isolate (a CryptoKey is plain data, shared by its requests). */
async function cryptoKeyOf(signing: Signing): Promise<WebCryptoKey> {
  signing.key ??= await crypto.subtle.importKey(
    "jwk",
    { ...signing.signer.jwk, d: signing.d },
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["sign"],
  );
  return signing.key;
}

/**
 * Signs the canonical JSON of a payload: ECDSA P-256 over SHA-256 of its UTF-8 bytes, s made low. Verify with
 * WebCrypto (`crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, r‖s, payload)`), any P-256 library, or
 * on-chain with the P256VERIFY precompile (EIP-7951) or OpenZeppelin's `P256.verify(sha256(payload), r, s, x, y)`.
 */
export async function signReceipt(env: SigningEnv, payload: ReceiptPayload): Promise<SignedReceipt> {
  const signing = signingOf(env);
  const text = receiptText(payload);
  const rs = Buffer.from(await crypto.subtle.sign(ECDSA_SHA256, await cryptoKeyOf(signing), encoder.encode(text)));
  const r = rs.toString("hex", 0, 32);
  let s = rs.toString("hex", 32, 64);
  const sValue = BigInt(`0x${s}`);
  if (sValue > HALF_N) s = (N - sValue).toString(16).padStart(64, "0");
  return { payload: text, signature: `0x${r}${s}`, signer: signing.signer.publicKey };
}

/** The receipt as one header value: base64url of the payload, a dot, the signature. */
export function receiptHeader(receipt: SignedReceipt): string {
  // Node's base64url (nodejs_compat) has no padding.
  return `${Buffer.from(receipt.payload, "utf8").toString("base64url")}.${receipt.signature}`;
}
