// Upstream client: ordered routes, retries on 429/5xx/timeouts honoring Retry-After, per-route timeouts, fallbacks.
import { AppError } from "../errors.ts";
import type { Route } from "./routing.ts";

/** Longest Retry-After we wait for on one route before falling back to the next one, in milliseconds. */
export const MAX_RETRY_WAIT_MS = 2_000;
const BASE_BACKOFF_MS = 50;

export type UpstreamAttempt = { routeId: string; status: number | "timeout" | "network_error"; ms: number };

export type UpstreamResult = {
  route: Route;
  response: Response;
  /** The body, already read within the route's timeout, when `readBody` was asked for. */
  text: string | null;
  attempts: UpstreamAttempt[];
};

export type CallUpstreamParameters = {
  routes: Route[];
  /** Path below the route's base URL, e.g. "/chat/completions" (base URLs end in /v1). */
  path: string;
  /** The JSON body for a route (each route has its own upstream model id). */
  body: (route: Route) => unknown;
  /** Read the whole body within the timeout (non-streaming); streams only wait for the headers. */
  readBody: boolean;
  secrets: Record<string, unknown>;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retry-After in milliseconds, from delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  if (/^\d+(\.\d+)?$/.test(header.trim())) return Math.round(Number(header) * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const retryable = (status: number) => status === 429 || status >= 500;

/**
 * The longest `callUpstream` can take with `readBody` (the body is read within each attempt's timeout): every
 * attempt of every route timing out, with the longest wait before each retry.
 */
export function upstreamBoundMs(routes: readonly Route[]): number {
  let bound = 0;
  for (const route of routes) {
    for (let attempt = 0; attempt <= route.maxRetries; attempt++) {
      bound += route.timeoutMs;
      if (attempt < route.maxRetries) bound += Math.max(BASE_BACKOFF_MS * 2 ** attempt, MAX_RETRY_WAIT_MS);
    }
  }
  return bound;
}

/**
 * Calls the routes in order until one answers. A route is retried up to its `maxRetries` on 429, 5xx, timeouts
 * and network errors, waiting max(backoff, Retry-After); a Retry-After above MAX_RETRY_WAIT_MS moves on to the next
 * route at once. A non-retryable answer (4xx) is returned as is: the request itself is at fault. When every attempt
 * was refused with 429 the request fails as rate-limited (429, with the soonest Retry-After seen), else with 502.
 */
export async function callUpstream(p: CallUpstreamParameters): Promise<UpstreamResult> {
  const attempts: UpstreamAttempt[] = [];
  /** The shortest Retry-After of the 429s seen (ms). */
  let soonestRetry: number | undefined;
  for (const route of p.routes) {
    const secret = route.secretName ? p.secrets[route.secretName] : undefined;
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (typeof secret === "string") headers.authorization = `Bearer ${secret}`;
    const body = JSON.stringify(p.body(route));
    for (let attempt = 0; attempt <= route.maxRetries; attempt++) {
      const started = Date.now();
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), route.timeoutMs);
      let wait = BASE_BACKOFF_MS * 2 ** attempt;
      try {
        const response = await fetch(`${route.baseUrl}${p.path}`, {
          method: "POST",
          headers,
          body,
          signal: controller.signal,
        });
        const text = p.readBody || !response.ok ? await response.text() : null;
        attempts.push({ routeId: route.id, status: response.status, ms: Date.now() - started });
        if (!retryable(response.status)) {
          return { route, response, text, attempts };
        }
        const after = retryAfterMs(response.headers.get("retry-after"));
        if (after !== undefined) wait = Math.max(after, 0);
        if (response.status === 429 && after !== undefined) soonestRetry = Math.min(soonestRetry ?? after, after);
        if (after !== undefined && after > MAX_RETRY_WAIT_MS) break;
      } catch (err) {
        const status = controller.signal.aborted ? "timeout" : "network_error";
        attempts.push({ routeId: route.id, status, ms: Date.now() - started });
        if (!controller.signal.aborted && !(err instanceof Error)) throw err;
      } finally {
        clearTimeout(timer);
      }
      if (attempt < route.maxRetries) await sleep(wait);
    }
  }
  const summary = attempts.map((a) => `${a.routeId}: ${a.status}`).join(", ");
  if (attempts.length > 0 && attempts.every((a) => a.status === 429)) {
    // Rate-limited everywhere: the client may retry, when the soonest upstream said it could.
    const retryAfterSeconds = soonestRetry === undefined ? undefined : Math.max(1, Math.ceil(soonestRetry / 1000));
    throw new AppError(
      "rate_limit_exceeded",
      `Every upstream route is rate-limited (${summary}); please try again${retryAfterSeconds ? ` in ${retryAfterSeconds}s` : " later"}.`,
      retryAfterSeconds === undefined ? {} : { retryAfterSeconds },
      { cause: attempts },
    );
  }
  throw new AppError("upstream_error", `Every upstream route failed (${summary}).`, {}, { cause: attempts });
}
