// Which surfaces browser apps on other origins may call, and the CORS answers they get (docs/decisions.md, "CORS").
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";

/**
 * Surfaces a page on any origin may call: their credentials are bearer tokens (API keys, payer and annotator
 * sessions), never cookies, so allowing every origin lends a page nothing it does not already hold. Public reads
 * (settlement, payouts, the OpenAPI document) are included. `/admin` is not: no browser app should hold the
 * operator's token.
 */
export const CROSS_ORIGIN_PATHS = ["/v1/*", "/tasks/*", "/settlement/*", "/payouts/*", "/openapi.json"];

/** CROSS_ORIGIN_PATHS as exact paths and prefixes (a `/*` entry is its path and everything under it). */
const EXACT = new Set(CROSS_ORIGIN_PATHS.map((p) => (p.endsWith("/*") ? p.slice(0, -2) : p)));
const PREFIXES = CROSS_ORIGIN_PATHS.filter((p) => p.endsWith("/*")).map((p) => p.slice(0, -1));

/** Whether `path` is one of CROSS_ORIGIN_PATHS; runs on every request, so it only compares strings. */
export function isCrossOriginPath(path: string): boolean {
  return EXACT.has(path) || PREFIXES.some((prefix) => path.startsWith(prefix));
}

/** Response headers a client reads besides the CORS-safelisted ones. */
export const EXPOSED_HEADERS = [
  "x-request-id",
  "x-ratelimit-limit-requests",
  "x-ratelimit-remaining-requests",
  "x-ratelimit-reset-requests",
  "x-ratelimit-limit-tokens",
  "x-ratelimit-remaining-tokens",
  "x-ratelimit-reset-tokens",
  "retry-after",
  "x-tributary-receipt",
  "x-tributary-receipt-signer",
  "x-tributary-receipt-url",
];

/**
 * Hono's CORS middleware for preflights: any origin, no credentials. It allows whichever request headers the
 * preflight names: the openai SDK sends `authorization`, `content-type`, `x-stainless-*` and `openai-*` headers whose
 * set changes between versions, CORS has no prefix wildcard, and `*` would not cover `authorization`; the gateway
 * ignores headers it does not read.
 */
const preflightCors = cors({
  origin: "*",
  allowMethods: ["GET", "POST", "DELETE"],
  exposeHeaders: EXPOSED_HEADERS,
  maxAge: 86_400,
});

const exposed = EXPOSED_HEADERS.join(",");

/**
 * CORS for {@link CROSS_ORIGIN_PATHS}: a preflight is answered here, before any route's auth (Hono's middleware);
 * every other answer gets its two headers once it is made, errors included. Hono's middleware sets them before the
 * handler runs, on a placeholder response that each answer is then copied over: two more responses per call, about
 * 60–100 µs of CPU in workerd (measured on the bench), for the same two headers.
 */
export const crossOriginCors: MiddlewareHandler = async (c, next) => {
  if (c.req.method === "OPTIONS") return preflightCors(c, next);
  await next();
  c.res.headers.set("Access-Control-Allow-Origin", "*");
  c.res.headers.set("Access-Control-Expose-Headers", exposed);
};

const sameOriginHeaders = secureHeaders();
const crossOriginHeaders = secureHeaders({ crossOriginResourcePolicy: "cross-origin" });

/**
 * Security headers for every response, with `Cross-Origin-Resource-Policy: same-origin` except on
 * CROSS_ORIGIN_PATHS, which get `cross-origin` and CORS ({@link crossOriginCors}, preflights answered here).
 */
export const headersByOrigin: MiddlewareHandler = (c, next) => {
  if (!isCrossOriginPath(c.req.path)) return sameOriginHeaders(c, next);
  return crossOriginHeaders(c, async () => {
    // A preflight's answer is returned, not set, by the CORS middleware: what Hono's own chaining would set.
    const preflight = await crossOriginCors(c, next);
    if (preflight) c.res = preflight;
  });
};
