// Which surfaces browser apps on other origins may call, and the CORS answers they get (docs/decisions.md, "CORS").
import { cors } from "hono/cors";

/**
 * Surfaces a page on any origin may call: their credentials are bearer tokens (API keys, payer and annotator
 * sessions), never cookies, so allowing every origin lends a page nothing it does not already hold. Public reads
 * (settlement, payouts, the OpenAPI document) are included. `/admin` is not: no browser app should hold the
 * operator's token.
 */
export const CROSS_ORIGIN_PATHS = ["/v1/*", "/tasks/*", "/settlement/*", "/payouts/*", "/openapi.json"];

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
 * CORS for {@link CROSS_ORIGIN_PATHS}: any origin, no credentials. A preflight is answered here, before any route's
 * auth. It allows whichever request headers the preflight names: the openai SDK sends `authorization`,
 * `content-type`, `x-stainless-*` and `openai-*` headers whose set changes between versions, CORS has no prefix
 * wildcard, and `*` would not cover `authorization`; the gateway ignores headers it does not read.
 */
export const crossOriginCors = cors({
  origin: "*",
  allowMethods: ["GET", "POST", "DELETE"],
  exposeHeaders: EXPOSED_HEADERS,
  maxAge: 86_400,
});
