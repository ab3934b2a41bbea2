// Signed usage receipts: a canonical JSON payload signed with EIP-191 (personal_sign) by the gateway's key.
import type { Hex } from "viem";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";
import { AppError } from "../errors.ts";

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

let cached: { key: string; account: PrivateKeyAccount } | undefined;

/** The gateway's signing account, from the GATEWAY_SIGNING_KEY secret. */
export function signerOf(privateKey: string | undefined): PrivateKeyAccount {
  if (!privateKey || !/^0x[0-9a-fA-F]{64}$/.test(privateKey)) {
    throw new AppError("unavailable", "The gateway has no receipt signing key configured (GATEWAY_SIGNING_KEY).");
  }
  if (cached?.key !== privateKey) cached = { key: privateKey, account: privateKeyToAccount(privateKey as Hex) };
  return cached.account;
}

/** Signs the canonical JSON of a payload; verify with viem `verifyMessage({ address: signer, message: payload, signature })`. */
export async function signReceipt(privateKey: string | undefined, payload: ReceiptPayload): Promise<SignedReceipt> {
  const account = signerOf(privateKey);
  const text = JSON.stringify(payload);
  return { payload: text, signature: await account.signMessage({ message: text }), signer: account.address };
}

/** The receipt as one header value: base64url of the payload, a dot, the signature. */
export function receiptHeader(receipt: SignedReceipt): string {
  const b64 = btoa(String.fromCharCode(...new TextEncoder().encode(receipt.payload)));
  return `${b64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "")}.${receipt.signature}`;
}
