// Test helpers: seed a payer through the admin API, call the worker, await metering.
import { env, exports } from "cloudflare:workers";
import { p256 } from "@noble/curves/nist";
import { sha256 } from "@noble/hashes/sha2";
import type { PrivateKeyAccount } from "viem/accounts";
import { createSiweMessage } from "viem/siwe";
import { vi } from "vitest";
import { forgetLeases } from "../../src/gateway/lease.ts";
import { type ReceiptRecord, receiptOfRecord } from "../../src/gateway/meter.ts";
import { forgetRateLeases } from "../../src/gateway/rate-limit.ts";
import { receiptText } from "../../src/gateway/receipts.ts";

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const hex = (n: number, seed: string) => {
  let out = "";
  let x = 0;
  for (const ch of seed) x = (x * 31 + ch.charCodeAt(0)) >>> 0;
  while (out.length < n) {
    x = (x * 1103515245 + 12345) >>> 0;
    out += x.toString(16).padStart(8, "0");
  }
  return out.slice(0, n);
};

/** Calls the worker like a client would. */
export function call(
  path: string,
  init: RequestInit & { json?: unknown; key?: string; origin?: string } = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.key) headers.set("authorization", `Bearer ${init.key}`);
  if (init.json !== undefined) headers.set("content-type", "application/json");
  const body = init.json !== undefined ? JSON.stringify(init.json) : init.body;
  return exports.default.fetch(new Request(`${init.origin ?? "http://worker"}${path}`, { ...init, headers, body }));
}

/** Calls the operator admin API and fails the test on an error. */
export async function adminCall(method: string, path: string, json?: unknown): Promise<Response> {
  const res = await call(`/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` },
    ...(json === undefined ? {} : { json }),
  });
  if (!res.ok) throw new Error(`admin ${method} ${path}: ${res.status} ${await res.text()}`);
  return res;
}

/** The origin sign-in calls come from: its host is the domain the gateway expects in the EIP-4361 message. */
export const gatewayOrigin = "http://gateway.test";

/**
 * A fresh `/v1/auth` nonce and the EIP-4361 message for it that `signer` would sign (for `domain`, issued at
 * `issuedAt`).
 */
export async function payerSiweMessage(
  signer: PrivateKeyAccount,
  domain = "gateway.test",
  chainId = 31337,
  issuedAt = new Date(),
  expirationTime?: Date,
): Promise<string> {
  const { nonce } = (await (await call("/v1/auth/nonce", { origin: gatewayOrigin })).json()) as { nonce: string };
  return createSiweMessage({
    address: signer.address,
    chainId,
    domain,
    nonce,
    uri: gatewayOrigin,
    version: "1",
    issuedAt,
    ...(expirationTime ? { expirationTime } : {}),
  });
}

/** Signs in to `/v1/auth` as `signer` (a fresh nonce, an EIP-4361 message for the domain, its signature). */
export async function signInAs(signer: PrivateKeyAccount, overrides: { domain?: string } = {}): Promise<Response> {
  const message = await payerSiweMessage(signer, overrides.domain);
  const signature = await signer.signMessage({ message });
  return call("/v1/auth/verify", { method: "POST", origin: gatewayOrigin, json: { message, signature } });
}

export type RouteSpec = {
  upstreamModel: string;
  timeoutMs?: number;
  maxRetries?: number;
  slow?: boolean;
  maxTokensParam?: "max_tokens" | "max_completion_tokens";
};

export type SeedOptions = {
  kind?: "chat" | "embedding";
  pricePerMTokIn?: bigint;
  pricePerMTokOut?: bigint;
  escrow?: bigint;
  routes?: RouteSpec[];
  maxOutputTokens?: number;
  licenseExpiresAt?: string;
  key?: { models?: string[]; rpm?: number; tpm?: number; daily_spend_limit?: string; expires_at?: string };
};

export type Seeded = {
  model: string;
  payer: `0x${string}`;
  token: `0x${string}`;
  assetId: string;
  apiKey: string;
  keyId: string;
};

/** A fresh model, payer, license, escrow and key, all unique to the calling test. */
export async function seed(o: SeedOptions = {}): Promise<Seeded> {
  const id = unique();
  const model = `model-${id}`;
  const assetId = `0x${hex(64, `asset${id}`)}`;
  const payer = `0x${hex(40, `payer${id}`)}` as `0x${string}`;
  const token = `0x${hex(40, "token")}` as `0x${string}`;
  await adminCall("PUT", "/models", {
    name: model,
    asset_id: assetId,
    kind: o.kind ?? "chat",
    max_output_tokens: o.maxOutputTokens ?? 64,
  });
  const routes = o.routes ?? [{ upstreamModel: o.kind === "embedding" ? "embed" : "echo" }];
  for (const [i, r] of routes.entries()) {
    await adminCall("PUT", "/routes", {
      id: `${model}-r${i}`,
      model,
      priority: i,
      base_url: r.slow ? env.SLOW_UPSTREAM_URL : env.UPSTREAM_URL,
      secret_name: "UPSTREAM_KEY",
      upstream_model: r.upstreamModel,
      timeout_ms: r.timeoutMs ?? 5000,
      max_retries: r.maxRetries ?? 0,
      ...(r.maxTokensParam ? { max_tokens_param: r.maxTokensParam } : {}),
    });
  }
  await adminCall("PUT", "/terms", {
    id: `terms-${id}`,
    asset_id: assetId,
    token,
    price_per_mtok_in: (o.pricePerMTokIn ?? 1_000_000n).toString(),
    price_per_mtok_out: (o.pricePerMTokOut ?? 2_000_000n).toString(),
  });
  await adminCall("PUT", "/licenses", {
    id: `license-${id}`,
    asset_id: assetId,
    terms_id: `terms-${id}`,
    holder: payer,
    expires_at: o.licenseExpiresAt ?? new Date(Date.now() + 86_400_000).toISOString(),
  });
  await adminCall("PUT", "/escrow", { payer, token, balance: (o.escrow ?? 10n ** 12n).toString() });
  const res = await adminCall("POST", "/keys", { payer, name: "test", ...o.key });
  const key = (await res.json()) as { id: string; secret: string };
  return { model, payer, token, assetId, apiKey: key.secret, keyId: key.id };
}

export type UsageRow = {
  request_id: string;
  input_tokens: number;
  output_tokens: number;
  cost: string;
  reserved: string;
  status: string;
  estimated: number;
  route_id: string | null;
  /** When it was metered (ms since 1970). */
  created_at: number;
  /** The receipt payload rebuilt from the record's columns (what `/v1/usage/receipts/:id` serves). */
  receipt: string;
  signature: string;
  signer: string | null;
};

/**
 * Waits for a request to be metered: its usage record, and its charge in the spend ledger (both written under
 * waitUntil, through the write-behind queues).
 */
export async function usageRecord(requestId: string, timeoutMs = 3000): Promise<UsageRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await env.METER_DB.prepare(
      "SELECT *, CAST(cost AS TEXT) AS cost, CAST(reserved AS TEXT) AS reserved FROM usage_records WHERE request_id = ?",
    )
      .bind(requestId)
      .first<Omit<UsageRow, "receipt"> & ReceiptRecord>();
    const charged = await env.DB.prepare("SELECT 1 AS n FROM spend_holds WHERE request_id = ? AND state <> 'reserved'")
      .bind(requestId)
      .first();
    if (row && charged) return { ...row, receipt: receiptText(receiptOfRecord(row)) };
    if (Date.now() > deadline) throw new Error(`no usage record for ${requestId}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

type HoldRow = { request_id: string; state: string; amount: string; reserved: string };

/** The per-request holds of a payer (not the isolates' escrow leases), as the spend-control ledger sees them. */
export async function holds(payer: string) {
  const { results } = await env.DB.prepare(
    `SELECT request_id, state, CAST(amount AS TEXT) AS amount, CAST(reserved AS TEXT) AS reserved FROM spend_holds
     WHERE payer = ? AND request_id NOT LIKE 'lease:%'`,
  )
    .bind(payer)
    .all<HoldRow>();
  return results;
}

/** The escrow leases of a payer: `reserved` is what was granted into each, `amount` what it still holds. */
export async function leases(payer: string) {
  const { results } = await env.DB.prepare(
    `SELECT request_id, state, CAST(amount AS TEXT) AS amount, CAST(reserved AS TEXT) AS reserved FROM spend_holds
     WHERE payer = ? AND request_id LIKE 'lease:%'`,
  )
    .bind(payer)
    .all<HoldRow>();
  return results;
}

/** The trigger-kept `held` counter of a payer, and the sum it must equal: every unsettled hold, leases included. */
export async function ledger(payer: string) {
  const row = await env.DB.prepare(
    `SELECT CAST(e.held AS TEXT) AS held, CAST(e.balance AS TEXT) AS balance,
       CAST((SELECT coalesce(sum(amount), 0) FROM spend_holds h WHERE h.payer = e.payer AND h.token = e.token
         AND h.settled_at IS NULL) AS TEXT) AS summed
     FROM escrow_balances e WHERE e.payer = ?`,
  )
    .bind(payer)
    .first<{ held: string; balance: string; summed: string }>();
  if (!row) throw new Error(`no escrow for ${payer}`);
  return { held: BigInt(row.held), balance: BigInt(row.balance), summed: BigInt(row.summed) };
}

/** Waits until `n` requests of the payer are charged (their hold rows are written under waitUntil). */
export async function charged(payer: string, n: number) {
  const deadline = Date.now() + 3000;
  for (;;) {
    const rows = (await holds(payer)).filter((h) => h.state !== "reserved");
    if (rows.length >= n) return rows;
    if (Date.now() > deadline) throw new Error(`only ${rows.length} of ${n} requests charged`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One base unit per token: a request of `complete` reserves 28 (18 prompt tokens worst case + 10 output), costs 8. */
export const prices = { pricePerMTokIn: 1_000_000n, pricePerMTokOut: 1_000_000n };

/** The payload of a non-streaming response's receipt header, or null when it has none. */
export function receiptOf(res: Response): { request_id: string; payer: string; cost: string } | null {
  const header = res.headers.get("x-tributary-receipt");
  if (!header) return null;
  return JSON.parse(Buffer.from(header.split(".")[0] ?? "", "base64url").toString("utf8"));
}

/**
 * The id a response's request is recorded under: its receipt's `request_id`, which for a client's own X-Request-Id is
 * the payer's `<id>@<payer>`; else the id of the receipt URL (streams), else `x-request-id`.
 */
export function recordIdOf(res: Response): string {
  const receipt = receiptOf(res);
  if (receipt) return receipt.request_id;
  const url = res.headers.get("x-tributary-receipt-url");
  if (url) return decodeURIComponent(url.slice(url.lastIndexOf("/") + 1));
  return res.headers.get("x-request-id") ?? "";
}

/** One small chat completion, awaited until metered when it succeeds. */
export async function complete(apiKey: string, model: string, headers: Record<string, string> = {}) {
  const res = await call("/v1/chat/completions", {
    method: "POST",
    key: apiKey,
    headers,
    json: chat(model, "hi", { max_tokens: 10 }),
  });
  const requestId = recordIdOf(res);
  if (res.status === 200) await usageRecord(requestId);
  else await res.text();
  return { status: res.status, requestId };
}

export const chat = (model: string, content: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: "user", content }],
  ...extra,
});

/**
 * Whether `signature` is a valid receipt signature of `payload` by `publicKey` (0x-hex SEC1), checked two ways as a
 * client might: WebCrypto's ECDSA P-256 / SHA-256, and @noble/curves with low s required (as OpenZeppelin's
 * P256.verify does on-chain). Both must agree.
 */
export async function verifyReceipt(publicKey: string, payload: string, signature: string): Promise<boolean> {
  const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/^0x/, ""), "hex"));
  const key = await crypto.subtle.importKey("raw", bytes(publicKey), { name: "ECDSA", namedCurve: "P-256" }, false, [
    "verify",
  ]);
  const message = new TextEncoder().encode(payload);
  const web = await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, bytes(signature), message);
  const noble = p256.verify(bytes(signature), sha256(message), bytes(publicKey), { lowS: true, prehash: false });
  if (web !== noble) throw new Error(`WebCrypto says ${web}, @noble/curves with low s says ${noble}.`);
  return web;
}

/** Back to a fresh isolate after a test: real timers, no escrow or rate-limit leases in memory (their rows stay). */
export function forgetIsolate(): void {
  vi.useRealTimers();
  forgetLeases();
  forgetRateLeases();
}
