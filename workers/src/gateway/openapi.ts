// OpenAPI 3.1 paths of the gateway's endpoints (/v1, /admin), generated from the zod schemas that validate them.
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
import { chatCompletionRequestSchema, embeddingsRequestSchema } from "@tributary/schemas/openai";
import { z } from "zod";

type Operation = {
  summary: string;
  security?: "apiKey" | "session" | "admin";
  body?: z.ZodType;
  query?: z.ZodObject;
};

const jsonSchema = (schema: z.ZodType) => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  return rest;
};

const error = { description: "An error: OpenAI's shape under /v1, RFC 9457 problem JSON under /admin." };

function operation(op: Operation) {
  const parameters = op.query
    ? Object.entries((jsonSchema(op.query) as { properties?: Record<string, object> }).properties ?? {}).map(
        ([name, schema]) => ({ name, in: "query", required: false, schema }),
      )
    : undefined;
  return {
    summary: op.summary,
    ...(op.security ? { security: [{ [op.security]: [] }] } : {}),
    ...(parameters ? { parameters } : {}),
    ...(op.body
      ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(op.body) } } } }
      : {}),
    responses: { "200": { description: "Success." }, default: error },
  };
}

const paths: Record<string, Record<string, Operation>> = {
  "/v1/chat/completions": {
    post: {
      summary: "OpenAI chat completion, streamed or not; metered and receipted.",
      security: "apiKey",
      body: chatCompletionRequestSchema,
    },
  },
  "/v1/embeddings": {
    post: { summary: "OpenAI embeddings; metered and receipted.", security: "apiKey", body: embeddingsRequestSchema },
  },
  "/v1/models": { get: { summary: "Models this key may call now.", security: "apiKey" } },
  "/v1/usage": {
    get: {
      summary: "The payer's usage records, or groups by day or model.",
      security: "apiKey",
      query: usageQuerySchema,
    },
  },
  "/v1/usage/receipts/{id}": { get: { summary: "The signed usage receipt of a request.", security: "apiKey" } },
  "/v1/usage/signer": { get: { summary: "The public key that signs receipts (ECDSA P-256 over SHA-256)." } },
  "/v1/escrow": {
    get: { summary: "Escrow, unsettled charges, reservations and available spend per token.", security: "apiKey" },
  },
  "/v1/auth/nonce": { get: { summary: "A single-use Sign-In with Ethereum nonce." } },
  "/v1/auth/verify": {
    post: { summary: "Verify a signed EIP-4361 message; returns a session token.", body: siweVerifySchema },
  },
  "/v1/keys": {
    get: { summary: "The signed-in payer's API keys.", security: "session" },
    post: { summary: "Create an API key; the secret is shown once.", security: "session", body: createKeySchema },
  },
  "/v1/keys/{id}": { delete: { summary: "Revoke one of the payer's keys.", security: "session" } },
  "/admin/models": {
    put: { summary: "Upsert a model name and its model asset.", security: "admin", body: modelUpsertSchema },
  },
  "/admin/routes": {
    put: { summary: "Upsert an upstream route of a model.", security: "admin", body: routeUpsertSchema },
  },
  "/admin/routes/{id}": { delete: { summary: "Delete an upstream route.", security: "admin" } },
  "/admin/terms": {
    put: { summary: "Upsert license terms synced from the chain.", security: "admin", body: termsUpsertSchema },
  },
  "/admin/licenses": {
    put: { summary: "Upsert a license synced from the chain.", security: "admin", body: licenseUpsertSchema },
  },
  "/admin/escrow": {
    put: { summary: "Set an escrow balance synced from the chain.", security: "admin", body: escrowUpsertSchema },
  },
  "/admin/escrow/{payer}": { get: { summary: "A payer's escrow view.", security: "admin" } },
  "/admin/keys": {
    get: { summary: "List keys, optionally of one payer.", security: "admin" },
    post: { summary: "Create a key for any payer.", security: "admin", body: adminCreateKeySchema },
  },
  "/admin/keys/{id}": { delete: { summary: "Revoke any key.", security: "admin" } },
};

/** The gateway's paths and security schemes, merged into the worker's one document by routes/docs.ts. */
export function gatewayOpenApi() {
  return {
    securitySchemes: {
      apiKey: { type: "http", scheme: "bearer", description: "An API key, trb_…" },
      session: { type: "http", scheme: "bearer", description: "A payer session token from /v1/auth/verify, trs_…" },
      admin: { type: "http", scheme: "bearer", description: "The operator's ADMIN_TOKEN." },
    },
    paths: Object.fromEntries(
      Object.entries(paths).map(([path, ops]) => [
        path,
        Object.fromEntries(Object.entries(ops).map(([method, op]) => [method, operation(op)])),
      ]),
    ),
  };
}
