// Zod wire schemas of the gateway's own endpoints: key management, sign-in, usage, and the operator's catalog sync.
import { z } from "zod";

/** An EVM address, normalised to lower case. */
export const addressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "Expected a 0x-prefixed 20-byte hex address.")
  .transform((a) => a.toLowerCase() as `0x${string}`);

/** Any non-negative integer amount, as a decimal string (or a safe integer) on the wire. */
export const uintSchema = z
  .union([z.string().regex(/^\d+$/, "Expected a non-negative integer as a decimal string."), z.int().nonnegative()])
  .transform((v) => BigInt(v));

/** Integer base units of a payment token that the gateway stores (prices, limits): at most 2^63 - 1. */
export const baseUnitsSchema = uintSchema.refine(
  (v) => v <= 9_223_372_036_854_775_807n,
  "Amounts must fit in a signed 64-bit integer.",
);

const bytes32Schema = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "Expected a 0x-prefixed 32-byte hex id.");

/**
 * An instant as a user types it: an RFC 3339 date-time with `Z` or an offset, or a plain date meaning 00:00 UTC of
 * that day (what `Date.parse` makes of it). Read it with `Date.parse`.
 */
export const instantSchema = z.union([z.iso.datetime({ offset: true }), z.iso.date()], {
  error:
    "Expected an RFC 3339 date-time with Z or an offset (2026-11-22T09:30:00Z, 2026-11-22T10:30:00+01:00) or a date " +
    "(2026-11-22, meaning 00:00 UTC).",
});

export const createKeySchema = z.object({
  name: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .describe("How the key is listed; omitted: its prefix (`trb_` and 8 hex characters)."),
  models: z
    .array(z.string().min(1))
    .min(1)
    .nullish()
    .describe("Model names the key may call, each registered at the gateway; omitted: every licensed model."),
  rpm: z.int().positive().nullish(),
  tpm: z.int().positive().nullish(),
  daily_spend_limit: baseUnitsSchema.nullish(),
  expires_at: instantSchema.nullish().describe("When the key stops working; must be in the future."),
});
export type CreateKey = z.infer<typeof createKeySchema>;

export const adminCreateKeySchema = createKeySchema.extend({ payer: addressSchema });

export const siweVerifySchema = z.object({
  message: z.string().min(1),
  signature: z.string().regex(/^0x[0-9a-fA-F]+$/),
});

/** At most this many values of one repeatable filter of `GET /v1/usage`. */
export const USAGE_FILTER_MAX_VALUES = 20;

/**
 * `GET /v1/usage`. Strict: a parameter it does not know is refused rather than ignored, so a mistyped filter cannot
 * pass for one that matched everything. `model` and `key_id` may be repeated (any of the values matches); the
 * validator hands them over as arrays and refuses any other parameter given twice.
 */
export const usageQuerySchema = z.strictObject({
  from: instantSchema.optional().describe("Records created at this instant or later."),
  to: instantSchema.optional().describe("Records created before this instant."),
  group_by: z.enum(["day", "model"]).optional(),
  model: z
    .array(z.string().min(1).max(200))
    .max(USAGE_FILTER_MAX_VALUES)
    .optional()
    .describe("Only these models' usage; repeat the parameter for several."),
  key_id: z
    .array(z.string().min(1).max(100))
    .max(USAGE_FILTER_MAX_VALUES)
    .optional()
    .describe("Only the usage of these keys of yours (`key_…`); repeat the parameter for several. Not with group_by."),
  limit: z.coerce.number().int().positive().max(1000).default(100),
  page: z
    .string()
    .min(1)
    .max(1000)
    .optional()
    .describe(
      "An opaque cursor for the next page: the `next_page` of the previous response with the same from, to, " +
        "group_by, model and key_id.",
    ),
});

export const modelUpsertSchema = z.object({
  name: z.string().min(1).max(200),
  asset_id: bytes32Schema,
  owned_by: z.string().default("tributary"),
  kind: z.enum(["chat", "embedding"]).default("chat"),
  max_output_tokens: z.int().positive().default(4096),
  active: z.boolean().default(true),
});

export const routeUpsertSchema = z.object({
  id: z.string().min(1).max(100),
  model: z.string().min(1),
  priority: z.int().nonnegative(),
  base_url: z.url(),
  /** Worker secret holding the upstream key; only UPSTREAM_* names, so a route can never send the gateway's own secrets. */
  secret_name: z
    .string()
    .regex(/^UPSTREAM_[A-Z0-9_]+$/, "Upstream secret names start with UPSTREAM_.")
    .nullish(),
  upstream_model: z.string().min(1),
  timeout_ms: z.int().positive().max(600_000).default(30_000),
  max_retries: z.int().nonnegative().max(5).default(1),
  /**
   * The field this upstream takes the output cap in; omitted: the field the client used (`max_tokens` when none).
   * OpenAI's reasoning models (o-series, gpt-5) refuse `max_tokens`: routes to them need `max_completion_tokens`.
   */
  max_tokens_param: z.enum(["max_tokens", "max_completion_tokens"]).nullish(),
});

export const termsUpsertSchema = z.object({
  id: z.string().min(1),
  asset_id: bytes32Schema,
  token: addressSchema,
  price_per_mtok_in: baseUnitsSchema,
  price_per_mtok_out: baseUnitsSchema,
});

export const licenseUpsertSchema = z.object({
  id: z.string().min(1),
  asset_id: bytes32Schema,
  terms_id: z.string().min(1),
  holder: addressSchema,
  expires_at: z.iso.datetime(),
});

export const escrowUpsertSchema = z.object({
  payer: addressSchema,
  token: addressSchema,
  /** The on-chain balance; balances beyond 2^63 - 1 are stored clamped, which can only refuse spend, never allow it. */
  balance: uintSchema,
  /** Charges created before this instant were debited on-chain and are already reflected in `balance`. */
  settled_before: z.iso.datetime().optional(),
});
