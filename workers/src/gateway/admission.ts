// A metered request's admission (resolve, rate-limit, reserve) and completion (record, settle, log).
import type { Context } from "hono";
import type { AppEnv } from "../env.ts";
import { AppError } from "../errors.ts";
import { admitFromLease, keepAlive, keepHoldAlive, LEASE_SWEEP_AFTER_MS } from "./lease.ts";
import type { Metered, Outcome, Spend } from "./meter.ts";
import { recordUsage } from "./meter.ts";
import { costOf } from "./pricing.ts";
import { admitRate, RateLimitError } from "./rate-limit.ts";
import { receiptHeader, type SignedReceipt, signerOf } from "./receipts.ts";
import { clientRequestId, idsOfPayer, payerRequestId } from "./request-id.ts";
import { appendRequestLog } from "./request-log.ts";
import { resolveModel } from "./routing.ts";
import { reserve } from "./spend.ts";
import { type UpstreamAttempt, upstreamBoundMs } from "./upstream.ts";

export type AdmitParameters = {
  model: string;
  kind: "chat" | "embedding";
  endpoint: Metered["endpoint"];
  stream: boolean;
  /** Upper bound of the input tokens (for the reservation). */
  maxInputTokens: number;
  /** Estimate of the input tokens (for tpm). */
  inputEstimate: number;
  /** Output tokens the caller asked for, or null to use the model's cap. */
  maxOutputTokens: number | null;
};

/** An admitted request: metered, its worst case reserved; `maxOutputTokens` is what the upstream must be held to. */
export type Admitted = { metered: Metered; maxOutputTokens: number; headers: Record<string, string> };

/**
 * Resolves the model and license, applies the key's rate limits and holds the worst-case cost, in that order. In
 * the common case (cached key and model, leases with room) nothing here waits for the database.
 */
export async function admit(c: Context<AppEnv>, p: AdmitParameters): Promise<Admitted> {
  const key = c.get("apiKey");
  if (!key) throw new AppError("invalid_api_key", "You didn't provide an API key.");
  // A gateway that cannot sign receipts must refuse before reserving anything.
  signerOf(c.env);
  const now = Date.now();
  const resolved = await resolveModel(c.env.DB, key, p.model, p.kind);
  const maxOutputTokens =
    p.kind === "embedding" ? 0 : Math.min(p.maxOutputTokens ?? resolved.maxOutputTokens, resolved.maxOutputTokens);
  const reserved = costOf(p.maxInputTokens, maxOutputTokens, resolved.pricePerMTokIn, resolved.pricePerMTokOut);
  // A client's own id is its payer's: recorded as `<id>@<payer>`, so another payer's use of the same id is another id.
  const clientId = clientRequestId(c.req.header("x-request-id"), c.get("requestId"));
  const requestId = clientId === null ? c.get("requestId") : payerRequestId(clientId, key.payer);
  const hold = {
    requestId,
    clientRequestId: clientId,
    payer: key.payer,
    token: resolved.token,
    keyId: key.id,
    amount: reserved,
    dailyLimit: key.dailySpendLimit,
    now,
  };
  const waitUntil = (promise: Promise<unknown>) => c.executionCtx.waitUntil(promise);
  // Rate limit, then the worst case: both against the isolate's leases, in memory unless a lease runs out.
  let headers: Record<string, string>;
  try {
    headers = await admitRate(c.env.DB, key, p.inputEstimate + maxOutputTokens, now, waitUntil);
  } catch (err) {
    if (err instanceof RateLimitError) for (const [name, value] of Object.entries(err.headers)) c.header(name, value);
    throw err;
  }
  // A stream lasts as long as the upstream writes; a non-streaming call at most as long as its routes allow.
  const maxDurationMs = p.stream ? Number.POSITIVE_INFINITY : upstreamBoundMs(resolved.routes);
  let spend: Spend;
  if (clientId !== null) {
    // A client-chosen id may repeat: its own reservation row makes the database refuse the payer's second use (409).
    // It expires as a lease does, so the worst case of a request whose worker dies comes back to the payer.
    await reserve(c.env.DB, hold, now + LEASE_SWEEP_AFTER_MS).catch((err: unknown) =>
      explainReuse(c.env.METER_DB, key.payer, clientId, err),
    );
    const beating = { id: requestId, state: "reserved" } as const;
    spend = { kind: "hold", stopKeepAlive: keepHoldAlive(c.env.DB, beating, waitUntil, maxDurationMs) };
  } else {
    const lease = await admitFromLease(c.env.DB, hold, waitUntil);
    spend = { kind: "lease", lease, stopKeepAlive: keepAlive(c.env.DB, lease, waitUntil, maxDurationMs) };
  }
  const metered: Metered = {
    requestId,
    key,
    resolved,
    endpoint: p.endpoint,
    stream: p.stream,
    reserved,
    spend,
    startedAt: now,
    region: c.env.REGION,
  };
  return { metered, maxOutputTokens, headers };
}

/**
 * A reused `X-Request-Id` is refused (409), but when the payer's request that used it failed upstream and was charged
 * nothing, it answers that failure again: clients such as the openai SDK retry a 5xx with the same headers, and a 409
 * would hide the upstream's error behind "already processed". The id stays used either way (its usage record exists).
 */
async function explainReuse(meterDb: D1Database, payer: string, clientId: string, err: unknown): Promise<never> {
  if (!(err instanceof AppError) || err.code !== "conflict") throw err;
  // The payer's request named so: since client ids are scoped, or, recorded before, under the client's id as it is.
  const earlier = await meterDb
    .prepare("SELECT status, http_status FROM usage_records WHERE request_id IN (?, ?) AND payer = ? LIMIT 1")
    .bind(...idsOfPayer(clientId, payer), payer)
    .first<{ status: string; http_status: number }>();
  if (earlier?.status !== "upstream_error") throw err;
  throw new AppError(
    earlier.http_status === 429 ? "rate_limit_exceeded" : "upstream_error",
    `The request with id ${clientId} already failed upstream (HTTP ${earlier.http_status}) and was not charged; ` +
      "an id is used once, so send a new X-Request-Id to try again.",
    {},
    { cause: err },
  );
}

export type CompleteParameters = { attempts: UpstreamAttempt[]; request?: unknown; response?: unknown };

/**
 * Meters a finished request: signs its receipt, writes its usage record, settles its hold and logs it to R2.
 * The writes run under `waitUntil`, so they finish even when the client is gone; `settled` is when they did.
 */
export async function complete(
  c: Context<AppEnv>,
  m: Metered,
  o: Outcome,
  extra: CompleteParameters,
): Promise<{ receipt: SignedReceipt; settled: Promise<unknown> }> {
  const { receipt, cost, written } = await recordUsage(c.env, m, o);
  c.executionCtx.waitUntil(written);
  const logBodies = String(c.env.LOG_BODIES) === "true";
  const flushed = appendRequestLog(
    c.env.BUCKET,
    {
      request_id: m.requestId,
      at: new Date(m.startedAt).toISOString(),
      region: m.region,
      key_id: m.key.id,
      payer: m.key.payer,
      model: m.resolved.model,
      endpoint: m.endpoint,
      stream: m.stream,
      status: o.status,
      http_status: o.httpStatus,
      route_id: o.routeId,
      attempts: extra.attempts,
      input_tokens: o.inputTokens,
      output_tokens: o.outputTokens,
      estimated: o.estimated,
      cost: cost.toString(),
      reserved: m.reserved.toString(),
      latency_ms: Date.now() - m.startedAt,
      ...(logBodies ? { request: extra.request, response: extra.response } : {}),
    },
    {
      region: m.region,
      maxLines: Number(c.env.LOG_BATCH_MAX_LINES ?? 1000),
      maxAgeMs: Number(c.env.LOG_BATCH_MAX_AGE_MS ?? 10_000),
    },
  );
  if (flushed) c.executionCtx.waitUntil(flushed);
  return { receipt, settled: Promise.all([written, flushed]) };
}

/**
 * Runs the metered part of a request so that a client disconnect cannot cut it short: the runtime cancels a
 * request's pending work when its client goes away, except what is registered with waitUntil. Everything from the
 * reservation to the usage record therefore runs inside one waitUntil'd promise, which the handler also awaits.
 */
export function untilMetered<T>(c: Context<AppEnv>, work: () => Promise<T>): Promise<T> {
  const running = work();
  c.executionCtx.waitUntil(
    running.then(
      () => undefined,
      () => undefined,
    ),
  );
  return running;
}

/** Response headers carrying a receipt. */
export function receiptHeaders(receipt: SignedReceipt): Record<string, string> {
  return { "x-tributary-receipt": receiptHeader(receipt), "x-tributary-receipt-signer": receipt.signer };
}
