// Renders every error in the shape its client expects: OpenAI's on /v1, RFC 9457 problem JSON elsewhere.
import type { OpenAIError } from "@tributary/schemas/openai";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./env.ts";
import { AppError, type ErrorCode } from "./errors.ts";

const openAiType: Record<ErrorCode, string> = {
  invalid_request: "invalid_request_error",
  unauthorized: "invalid_request_error",
  invalid_api_key: "invalid_request_error",
  insufficient_quota: "insufficient_quota",
  forbidden: "invalid_request_error",
  not_found: "invalid_request_error",
  model_not_found: "invalid_request_error",
  conflict: "invalid_request_error",
  payload_too_large: "invalid_request_error",
  unsupported_media_type: "invalid_request_error",
  rate_limited: "requests",
  rate_limit_exceeded: "requests",
  upstream_error: "server_error",
  unavailable: "server_error",
};

function toAppError(err: Error, requestId: string): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof HTTPException && err.status < 500) {
    const byStatus: Partial<Record<number, ErrorCode>> = {
      401: "unauthorized",
      413: "payload_too_large",
      415: "unsupported_media_type",
    };
    return new AppError(byStatus[err.status] ?? "invalid_request", err.message, {}, { cause: err });
  }
  console.error(JSON.stringify({ level: "error", requestId, message: err.message, stack: err.stack }));
  return new InternalError(err);
}

class InternalError extends AppError {
  constructor(cause: unknown) {
    super("unavailable", "The server had an error while processing your request.", {}, { cause });
  }
  override get status() {
    return 500 as const;
  }
}

export function renderError(err: Error, c: Context<AppEnv>): Response {
  const requestId = c.get("requestId") ?? "";
  const error = toAppError(err, requestId);
  const headers: Record<string, string> = { "x-request-id": requestId };
  if (error.details.retryAfterSeconds !== undefined) headers["retry-after"] = String(error.details.retryAfterSeconds);
  if (c.req.path === "/v1" || c.req.path.startsWith("/v1/")) {
    const body: OpenAIError = {
      error: {
        message: error.message,
        type: error instanceof InternalError ? "server_error" : (error.details.type ?? openAiType[error.code]),
        param: error.details.param ?? null,
        code: error instanceof InternalError ? "internal_error" : error.code,
      },
    };
    return c.json(body, error.status, headers);
  }
  const problem = {
    type: `https://tributary.dev/problems/${error instanceof InternalError ? "internal" : error.code}`,
    title: error.code.replaceAll("_", " "),
    status: error.status,
    detail: error.message,
    instance: c.req.path,
    requestId,
    ...(error.details.param ? { param: error.details.param } : {}),
    ...(error.details.errors ? { errors: error.details.errors } : {}),
  };
  return c.body(JSON.stringify(problem), error.status, { ...headers, "content-type": "application/problem+json" });
}
