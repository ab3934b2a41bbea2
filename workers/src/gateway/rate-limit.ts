// Per-key rpm/tpm limits in fixed one-minute windows, answered like OpenAI (429, Retry-After, x-ratelimit-* headers).
// Each isolate leases a slice of a window's requests and tokens with one conditional upsert and counts in memory.
import { AppError } from "../errors.ts";
import type { ApiKey } from "./keys.ts";

const WINDOW_MS = 60_000;
/** The start of the window `now` falls in. */
const windowOf = (now: number) => Math.floor(now / WINDOW_MS) * WINDOW_MS;
/**
 * Windows before this one are never read again: an isolate counts in the window of its own clock, which may still be
 * the previous one for a moment after the minute turns (a slow clock, a top-up grant sent just before), so that one
 * stays. Deleting it would let such an isolate count the window again from zero, past the key's limits.
 */
const oldestCountedWindow = (now: number) => windowOf(now) - WINDOW_MS;
const UNLIMITED = Number.MAX_SAFE_INTEGER;
/** An isolate leases at most 1/RATE_SHARE of a key's per-minute limits at a time (at least one request's worth). */
const RATE_SHARE = 16;

/**
 * Counts `g` more requests and tokens in the key's window, each g = max(need, min(want, limit − counted)), and only
 * if the window then stays within both limits. The SELECT before it, in the same batch, reads the counts it started
 * from, so the isolate knows exactly what it was granted.
 */
const READ_SQL = "SELECT requests, tokens FROM rate_windows WHERE key_id = ?1 AND window = ?2";
const GRANT_SQL = `
INSERT INTO rate_windows (key_id, window, requests, tokens) VALUES (?1, ?2, min(?3, ?5), min(?4, ?6))
ON CONFLICT(key_id, window) DO UPDATE SET requests = requests + max(?7, min(?3, ?5 - requests)),
  tokens = tokens + max(?8, min(?4, ?6 - tokens))
WHERE requests + ?7 <= ?5 AND tokens + ?8 <= ?6
RETURNING requests, tokens`;

/** What the isolate holds of one key's window: leased but not yet used, and the window's counts at the last grant. */
type RateLease = {
  window: number;
  requests: number;
  tokens: number;
  countedRequests: number;
  countedTokens: number;
  /** Requests the next grant aims at: doubled when the last grant went within a second. */
  chunk: number;
  lastGrantAt: number;
  /** A background top-up is on its way (requests never wait for another request's grant). */
  refilling: boolean;
};

const windows = new Map<string, RateLease>();

/** The x-ratelimit-* headers of a key's limits. */
function headersOf(key: ApiKey, usedRequests: number, usedTokens: number, resetSeconds: number) {
  const rpm = key.rpm ?? UNLIMITED;
  const tpm = key.tpm ?? UNLIMITED;
  return {
    ...(key.rpm !== null && {
      "x-ratelimit-limit-requests": String(rpm),
      "x-ratelimit-remaining-requests": String(Math.max(0, rpm - usedRequests)),
      "x-ratelimit-reset-requests": `${resetSeconds}s`,
    }),
    ...(key.tpm !== null && {
      "x-ratelimit-limit-tokens": String(tpm),
      "x-ratelimit-remaining-tokens": String(Math.max(0, tpm - usedTokens)),
      "x-ratelimit-reset-tokens": `${resetSeconds}s`,
    }),
  };
}

/** Grants more of the window into the lease, sized in requests of `tokens` tokens; false when the window is full. */
async function grant(db: D1Database, key: ApiKey, lease: RateLease, tokens: number, background: boolean) {
  const rpm = key.rpm ?? UNLIMITED;
  const tpm = key.tpm ?? UNLIMITED;
  const needRequests = background ? 0 : 1;
  const wantRequests = Math.max(needRequests, Math.min(lease.chunk, Math.floor(rpm / RATE_SHARE)));
  const wantTokens = Math.max(tokens, Math.min(tokens * lease.chunk, Math.floor(tpm / RATE_SHARE)));
  const needTokens = background ? 0 : tokens;
  const [before, after] = await db.batch([
    db.prepare(READ_SQL).bind(key.id, lease.window),
    db.prepare(GRANT_SQL).bind(key.id, lease.window, wantRequests, wantTokens, rpm, tpm, needRequests, needTokens),
  ]);
  const counted = after?.results[0] as { requests: number; tokens: number } | undefined;
  if (!counted) return false;
  const old = before?.results[0] as { requests: number; tokens: number } | undefined;
  lease.requests += counted.requests - (old?.requests ?? 0);
  lease.tokens += counted.tokens - (old?.tokens ?? 0);
  lease.countedRequests = Math.max(lease.countedRequests, counted.requests);
  lease.countedTokens = Math.max(lease.countedTokens, counted.tokens);
  const now = Date.now();
  if (now - lease.lastGrantAt < 1_000) lease.chunk *= 2;
  lease.lastGrantAt = now;
  return true;
}

/**
 * Admits a request estimated at `tokens` tokens (prompt estimate + max output, as OpenAI counts) under the key's
 * rpm/tpm, and returns its x-ratelimit-* headers; throws `rate_limit_exceeded` (429) otherwise. Keys without limits
 * cost nothing. Counting is in memory against the isolate's lease of the window; the database is asked only when
 * the lease runs out, and with one request's worth when the window is nearly full, so a key never exceeds its
 * limits (an isolate may leave up to 1/16 of them unused in a window, never more than that).
 */
export async function admitRate(
  db: D1Database,
  key: ApiKey,
  tokens: number,
  now: number,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<Record<string, string>> {
  if (key.rpm === null && key.tpm === null) return {};
  const rpm = key.rpm ?? UNLIMITED;
  const tpm = key.tpm ?? UNLIMITED;
  const window = windowOf(now);
  const resetSeconds = Math.max(1, Math.ceil((window + WINDOW_MS - now) / 1000));
  if (tokens > tpm) {
    throw new AppError(
      "rate_limit_exceeded",
      `Request too large: it may use ${tokens} tokens but the key allows ${tpm} per minute.`,
      { param: "max_tokens", type: "tokens" },
    );
  }
  let lease = windows.get(key.id);
  if (!lease || lease.window !== window) {
    const previous = lease;
    lease = {
      window,
      requests: 0,
      tokens: 0,
      countedRequests: 0,
      countedTokens: 0,
      chunk: previous?.chunk ?? 1,
      lastGrantAt: 0,
      refilling: false,
    };
    if (windows.size >= 10_000) windows.clear();
    windows.set(key.id, lease);
    waitUntil(prune(db, key.id, now));
  }
  for (;;) {
    if (lease.requests >= 1 && lease.tokens >= tokens) {
      lease.requests -= 1;
      lease.tokens -= tokens;
      const low = lease.requests < lease.chunk / 2 || lease.tokens < (tokens * lease.chunk) / 2;
      if (low && !lease.refilling) {
        lease.refilling = true;
        const current = lease;
        const topUp = grant(db, key, current, tokens, true).finally(() => {
          current.refilling = false;
        });
        waitUntil(topUp.catch(() => false));
      }
      const usedRequests = lease.countedRequests - lease.requests;
      const usedTokens = lease.countedTokens - lease.tokens;
      return headersOf(key, usedRequests, usedTokens, resetSeconds);
    }
    if (!(await grant(db, key, lease, tokens, false))) break;
  }
  throw new RateLimitError(
    `Rate limit reached for key ${key.prefix}…: limits are ${key.rpm ?? "unlimited"} requests and ` +
      `${key.tpm ?? "unlimited"} tokens per minute. Please try again in ${resetSeconds}s.`,
    resetSeconds,
    headersOf(key, rpm, tpm, resetSeconds),
  );
}

/** Deletes the key's windows that are no longer counted, when the key starts a new window. */
function prune(db: D1Database, keyId: string, now: number): Promise<unknown> {
  return db
    .prepare("DELETE FROM rate_windows WHERE key_id = ? AND window < ?")
    .bind(keyId, oldestCountedWindow(now))
    .run()
    .catch(() => undefined);
}

/**
 * Deletes up to `limit` windows of any key that are no longer counted (the hourly housekeeping, gateway/prune.ts):
 * `prune` takes a key's old windows only when the key is used again, so an idle, revoked or expired key would keep
 * its last ones for good. What stays is at most two windows per key in use, so the scan stays short.
 */
export function deleteOldRateWindows(db: D1Database, now: number, limit: number): D1PreparedStatement {
  return db
    .prepare("DELETE FROM rate_windows WHERE rowid IN (SELECT rowid FROM rate_windows WHERE window < ?1 LIMIT ?2)")
    .bind(oldestCountedWindow(now), limit);
}

/** Forgets the isolate's leased windows as if it were a new isolate (tests); what they leased stays counted. */
export function forgetRateLeases(): void {
  windows.clear();
}

/** A 429 that also carries the x-ratelimit-* headers. */
export class RateLimitError extends AppError {
  readonly headers: Record<string, string>;
  constructor(message: string, retryAfterSeconds: number, headers: Record<string, string>) {
    super("rate_limit_exceeded", message, { retryAfterSeconds });
    this.headers = headers;
  }
}
