// OpenAPI 3.1 paths of the worker's endpoints but the tasks' (/v1, /admin, /settlement, /payouts, /health), generated
// from the zod schemas that validate them.
import {
  adminCreateKeySchema,
  createKeySchema,
  escrowUpsertSchema,
  licenseUpsertSchema,
  modelUpsertSchema,
  routeUpsertSchema,
  siweVerifySchema,
  termsUpsertSchema,
  usageQuerySchema,
} from "@tributary/schemas/gateway";
import { chatCompletionRequestSchema, embeddingsRequestSchema, openAiErrorSchema } from "@tributary/schemas/openai";
import { payoutAccountParamsSchema, settlementEpochParamsSchema } from "@tributary/schemas/settlement";
import { problemSchema } from "@tributary/schemas/tasks";
import { z } from "zod";

type Operation = {
  summary: string;
  security?: "apiKey" | "session" | "admin";
  body?: z.ZodType;
  query?: z.ZodObject;
  /** A description of each `{name}` in the path; every one must have one. */
  params?: Record<string, string>;
  /** The schema the route validates its path parameters with; each `{name}` then has its schema from it. */
  paramsSchema?: z.ZodObject;
  /** The success status, when it is not 200. */
  status?: 201;
  /** What an empty 204 answer means, when the operation may give one instead. */
  noContent?: string;
  /** The error statuses the operation answers on purpose (docs/gateway.md), besides `default`. */
  errors?: number[];
  /** What an error status means for this operation, where the surface's usual description does not fit. */
  errorText?: Record<number, string>;
};

const jsonSchema = (schema: z.ZodType) => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  return rest;
};

/** A component schema: zod puts a schema with a meta id under `$defs` behind a `$ref`; a component is the schema. */
function componentSchema(schema: z.ZodType) {
  const { $ref, $defs, ...rest } = jsonSchema(schema) as { $ref?: string; $defs?: Record<string, object> };
  return ($ref && $defs?.[$ref.replace("#/$defs/", "")]) || rest;
}

const errorStatus: Record<number, string> = {
  400: "Invalid request: malformed JSON, a field that fails validation (`param` names it), or the wrong content type.",
  401: "Missing, unknown, revoked or expired credentials, or a refused sign-in.",
  402: "The request's worst-case cost exceeds the available escrow or the key's daily spend limit.",
  403: "No valid license on the model's asset.",
  404: "No such resource, or not the caller's.",
  409: "The X-Request-Id was already used by the same payer.",
  413: "The body exceeds 1 MiB.",
  429: "The key's rpm or tpm limit is reached (Retry-After, x-ratelimit-*).",
  502: "Every upstream route failed.",
};

/** What the operator API's refusals mean instead. */
const adminErrorStatus: Record<number, string> = {
  401: "A valid admin token is required.",
  403: "The admin API is disabled: ADMIN_TOKEN is not set.",
};

/** An error response in the shape of the path's surface: OpenAI's under /v1, RFC 9457 problem JSON elsewhere. */
function errorResponse(path: string, description: string) {
  return path.startsWith("/v1/")
    ? { description, content: { "application/json": { schema: { $ref: "#/components/schemas/OpenAIError" } } } }
    : { description, content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } };
}

/** The `{name}` expressions of a templated path, in order. */
const pathTemplateNames = (path: string) => [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);

function operation(path: string, op: Operation) {
  const validated = op.paramsSchema
    ? ((jsonSchema(op.paramsSchema) as { properties?: Record<string, object> }).properties ?? {})
    : {};
  const pathParameters = pathTemplateNames(path).map((name) => {
    const description = op.params?.[name];
    if (!description) throw new Error(`OpenAPI: ${path} needs a description of its path parameter ${name}.`);
    if (op.paramsSchema && !validated[name]) throw new Error(`OpenAPI: ${path}'s paramsSchema has no ${name}.`);
    return { name, in: "path", required: true, description, schema: validated[name] ?? { type: "string" } };
  });
  const queryParameters = op.query
    ? Object.entries((jsonSchema(op.query) as { properties?: Record<string, object> }).properties ?? {}).map(
        ([name, schema]) => ({ name, in: "query", required: false, schema }),
      )
    : [];
  const parameters = [...pathParameters, ...queryParameters];
  return {
    summary: op.summary,
    ...(op.security ? { security: [{ [op.security]: [] }] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(op.body
      ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(op.body) } } } }
      : {}),
    responses: {
      [String(op.status ?? 200)]: { description: "Success." },
      ...(op.noContent ? { "204": { description: op.noContent } } : {}),
      ...Object.fromEntries(
        (op.errors ?? []).map((status) => {
          const text =
            op.errorText?.[status] ??
            (path.startsWith("/admin/") ? adminErrorStatus[status] : undefined) ??
            errorStatus[status];
          return [String(status), errorResponse(path, text ?? "An error.")];
        }),
      ),
      default: errorResponse(path, "An unexpected error."),
    },
  };
}

/** The errors of a metered call. */
const metered = [400, 401, 402, 403, 404, 409, 413, 429, 502];
/** The errors of an operator write. */
const adminWrite = [400, 401, 403];
/** What a settlement job's own refusals mean (settler/settings.ts, chain/config.ts, settler/meters.ts). */
const settlerUnavailable =
  "Settlement is not configured here: a variable, secret or binding it needs is missing or malformed (the message " +
  "names it).";

const paths: Record<string, Record<string, Operation>> = {
  "/v1/chat/completions": {
    post: {
      summary: "OpenAI chat completion, streamed or not; metered and receipted.",
      security: "apiKey",
      body: chatCompletionRequestSchema,
      errors: metered,
    },
  },
  "/v1/embeddings": {
    post: {
      summary: "OpenAI embeddings; metered and receipted.",
      security: "apiKey",
      body: embeddingsRequestSchema,
      errors: metered,
    },
  },
  "/v1/models": { get: { summary: "Models this key may call now.", security: "apiKey", errors: [401] } },
  "/v1/models/{model}": {
    get: {
      summary: "One model this key may call now.",
      security: "apiKey",
      params: { model: "The model's name." },
      errors: [401, 404],
    },
  },
  "/v1/usage": {
    get: {
      summary: "The payer's usage records, or groups by day or model.",
      security: "apiKey",
      query: usageQuerySchema,
      errors: [400, 401],
    },
  },
  "/v1/usage/receipts/{id}": {
    get: {
      summary: "The signed usage receipt of a request.",
      security: "apiKey",
      params: {
        id: "The request id: the response's x-request-id (the caller's own X-Request-Id too), or the receipt's request_id.",
      },
      errors: [401, 404],
    },
  },
  "/v1/usage/signer": { get: { summary: "The public key that signs receipts (ECDSA P-256 over SHA-256)." } },
  "/v1/escrow": {
    get: {
      summary: "Escrow, unsettled charges, reservations and available spend per token.",
      security: "apiKey",
      errors: [401],
    },
  },
  "/v1/auth/nonce": { get: { summary: "A single-use Sign-In with Ethereum nonce." } },
  "/v1/auth/verify": {
    post: {
      summary: "Verify a signed EIP-4361 message; returns a session token.",
      body: siweVerifySchema,
      errors: [400, 401],
    },
  },
  "/v1/keys": {
    get: { summary: "The signed-in payer's API keys.", security: "session", errors: [401] },
    post: {
      summary: "Create an API key; the secret is shown once.",
      security: "session",
      body: createKeySchema,
      status: 201,
      errors: [400, 401],
    },
  },
  "/v1/keys/{id}": {
    delete: {
      summary: "Revoke one of the payer's keys.",
      security: "session",
      params: { id: "The key's id, key_…" },
      errors: [401, 404],
    },
  },
  "/admin/models": {
    put: {
      summary: "Upsert a model name and its model asset.",
      security: "admin",
      body: modelUpsertSchema,
      errors: adminWrite,
    },
  },
  "/admin/routes": {
    put: {
      summary: "Upsert an upstream route of a model.",
      security: "admin",
      body: routeUpsertSchema,
      errors: adminWrite,
    },
  },
  "/admin/routes/{id}": {
    delete: {
      summary: "Delete an upstream route.",
      security: "admin",
      params: { id: "The route's id." },
      errors: [401, 403, 404],
    },
  },
  "/admin/terms": {
    put: {
      summary: "Upsert license terms synced from the chain.",
      security: "admin",
      body: termsUpsertSchema,
      errors: adminWrite,
    },
  },
  "/admin/licenses": {
    put: {
      summary: "Upsert a license synced from the chain.",
      security: "admin",
      body: licenseUpsertSchema,
      errors: adminWrite,
    },
  },
  "/admin/escrow": {
    put: {
      summary: "Set an escrow balance synced from the chain.",
      security: "admin",
      body: escrowUpsertSchema,
      errors: adminWrite,
    },
  },
  "/admin/escrow/{payer}": {
    get: {
      summary: "A payer's escrow view.",
      security: "admin",
      params: { payer: "The payer's address, 0x…" },
      errors: [401, 403],
    },
  },
  "/admin/chain/sync": {
    post: { summary: "Run the chain sync now (the cron runs it every minute).", security: "admin", errors: [401, 403] },
  },
  "/admin/keys": {
    get: { summary: "List keys, optionally of one payer.", security: "admin", errors: [401, 403] },
    post: {
      summary: "Create a key for any payer.",
      security: "admin",
      body: adminCreateKeySchema,
      status: 201,
      errors: adminWrite,
    },
  },
  "/admin/keys/{id}": {
    delete: {
      summary: "Revoke any key.",
      security: "admin",
      params: { id: "The key's id, key_…" },
      errors: [401, 403, 404],
    },
  },
  "/admin/settlement/close": {
    post: {
      summary: "Close the next epoch now: attribute, post the Merkle root, record it (the cron runs the same).",
      security: "admin",
      noContent: "There was nothing to settle: no usage record and no license fee since the last epoch.",
      errors: [401, 403, 409, 503],
      errorText: {
        409: "The epoch's transaction reverted (it will be rebuilt), or the chain has the epoch with another root.",
        503: settlerUnavailable,
      },
    },
  },
  "/admin/settlement/metering": {
    get: {
      summary: "Metered totals per epoch, payer and token across the meter databases, for reconciliation.",
      security: "admin",
      errors: [401, 403, 503],
      errorText: { 503: settlerUnavailable },
    },
  },
  "/admin/settlement/archive": {
    post: {
      summary: "Archive the usage of final epochs past the retention to R2 now (the cron runs the same).",
      security: "admin",
      errors: [401, 403, 503],
      errorText: { 503: settlerUnavailable },
    },
  },
  "/settlement/epochs": { get: { summary: "The newest 100 epochs the settler closed, newest first." } },
  "/settlement/epochs/{id}": {
    get: {
      summary: "One epoch: its status, root, transaction, totals and shortfalls.",
      params: { id: "The epoch id." },
      paramsSchema: settlementEpochParamsSchema,
      errors: [400, 404],
      errorText: { 400: "The epoch id is not a positive integer.", 404: "The settler has no such epoch." },
    },
  },
  "/settlement/epochs/{id}/manifest": {
    get: {
      summary: "The epoch's manifest as posted (charges, accruals, the Merkle tree), to verify its root.",
      params: { id: "The epoch id." },
      paramsSchema: settlementEpochParamsSchema,
      errors: [400, 404],
      errorText: { 400: "The epoch id is not a positive integer.", 404: "The epoch has no manifest." },
    },
  },
  "/payouts/{account}": {
    get: {
      summary: "What an account can claim per token: cumulative, claimed, claimable, and the Merkle proof.",
      params: { account: "The account, a 0x address." },
      paramsSchema: payoutAccountParamsSchema,
      errors: [400, 503],
      errorText: { 400: "The account is not a 0x address.", 503: "The chain is not configured here." },
    },
  },
  "/health": {
    get: {
      summary: "Readiness: every D1 database answers, and R2 returns what was just written.",
      errors: [503],
      errorText: { 503: "R2 did not return what was just written." },
    },
  },
};

/** The gateway's paths, security schemes and error schemas, merged into the worker's one document by routes/docs.ts. */
export function gatewayOpenApi() {
  return {
    schemas: { OpenAIError: componentSchema(openAiErrorSchema), Problem: componentSchema(problemSchema) },
    securitySchemes: {
      apiKey: { type: "http", scheme: "bearer", description: "An API key, trb_…" },
      session: { type: "http", scheme: "bearer", description: "A payer session token from /v1/auth/verify, trs_…" },
      admin: { type: "http", scheme: "bearer", description: "The operator's ADMIN_TOKEN." },
    },
    paths: Object.fromEntries(
      Object.entries(paths).map(([path, ops]) => [
        path,
        Object.fromEntries(Object.entries(ops).map(([method, op]) => [method, operation(path, op)])),
      ]),
    ),
  };
}
