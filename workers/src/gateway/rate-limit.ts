// Per-key rpm/tpm limits in fixed one-minute windows, answered like OpenAI (429, Retry-After, x-ratelimit-* headers).
import { AppError } from "../errors.ts";
import type { ApiKey } from "./keys.ts";

const WINDOW_MS = 60_000;
const UNLIMITED = Number.MAX_SAFE_INTEGER;

/** Counts the request and its token estimate in one conditional upsert; the counters never pass the limits. */
const COUNT_SQL = `
INSERT INTO rate_windows (key_id, window, requests, tokens) VALUES (?1, ?2, 1, ?3)
ON CONFLICT(key_id, window) DO UPDATE SET requests = requests + 1, tokens = tokens + excluded.tokens
WHERE requests + 1 <= ?4 AND tokens + excluded.tokens <= ?5
RETURNING requests, tokens`;

/** The x-ratelimit-* headers, and the pruning of the key's past windows when this request opened a new one. */
export type RateLimitResult = { headers: Record<string, string>; prune?: Promise<unknown> };

/** The counting statement of a request, and how to read its result (throws `rate_limit_exceeded`). */
export type RateLimitPlan = {
  statement: D1PreparedStatement;
  admit: (row: { requests: number; tokens: number } | undefined) => RateLimitResult;
};

/**
 * Plans admitting a request estimated at `tokens` tokens (prompt estimate + max output, as OpenAI counts): null for
 * keys without limits (no database work), else one conditional upsert to run, possibly batched with the reservation.
 * Throws at once when the request alone exceeds the key's tpm.
 */
export function planRateLimit(db: D1Database, key: ApiKey, tokens: number, now: number): RateLimitPlan | null {
  if (key.rpm === null && key.tpm === null) return null;
  const window = Math.floor(now / WINDOW_MS) * WINDOW_MS;
  const resetSeconds = Math.max(1, Math.ceil((window + WINDOW_MS - now) / 1000));
  const rpm = key.rpm ?? UNLIMITED;
  const tpm = key.tpm ?? UNLIMITED;
  const headers = (requests: number, used: number): Record<string, string> => ({
    ...(key.rpm !== null && {
      "x-ratelimit-limit-requests": String(rpm),
      "x-ratelimit-remaining-requests": String(Math.max(0, rpm - requests)),
      "x-ratelimit-reset-requests": `${resetSeconds}s`,
    }),
    ...(key.tpm !== null && {
      "x-ratelimit-limit-tokens": String(tpm),
      "x-ratelimit-remaining-tokens": String(Math.max(0, tpm - used)),
      "x-ratelimit-reset-tokens": `${resetSeconds}s`,
    }),
  });
  if (tokens > tpm) {
    throw new AppError(
      "rate_limit_exceeded",
      `Request too large: it may use ${tokens} tokens but the key allows ${tpm} per minute.`,
      {
        param: "max_tokens",
      },
    );
  }
  return {
    statement: db.prepare(COUNT_SQL).bind(key.id, window, tokens, rpm, tpm),
    admit: (row) => {
      if (row?.requests === 1) {
        const prune = db.prepare("DELETE FROM rate_windows WHERE key_id = ? AND window < ?").bind(key.id, window).run();
        return { headers: headers(row.requests, row.tokens), prune };
      }
      if (row) return { headers: headers(row.requests, row.tokens) };
      throw new RateLimitError(
        `Rate limit reached for key ${key.prefix}…: limits are ${key.rpm ?? "unlimited"} requests and ` +
          `${key.tpm ?? "unlimited"} tokens per minute. Please try again in ${resetSeconds}s.`,
        resetSeconds,
        headers(rpm, tpm),
      );
    },
  };
}

/** A 429 that also carries the x-ratelimit-* headers. */
export class RateLimitError extends AppError {
  readonly headers: Record<string, string>;
  constructor(message: string, retryAfterSeconds: number, headers: Record<string, string>) {
    super("rate_limit_exceeded", message, { retryAfterSeconds });
    this.headers = headers;
  }
}
