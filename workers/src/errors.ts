// The single error type of the worker and its mapping to HTTP status codes.
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Error codes the worker raises on purpose; anything else is an internal error. */
export const errorStatus = {
  invalid_request: 400,
  unauthorized: 401,
  invalid_api_key: 401,
  insufficient_quota: 402,
  forbidden: 403,
  not_found: 404,
  model_not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  rate_limit_exceeded: 429,
  upstream_error: 502,
  unavailable: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof errorStatus;

/** One failed check of a request, for the `errors` list of problem JSON. */
export type FieldError = { path: string; message: string };

/**
 * What a client may act on: the offending parameter, when to retry, every failed check; and the OpenAI error `type`
 * when it is not the code's usual one (a 429 for tokens per minute is `tokens`, not `requests`).
 */
export type AppErrorDetails = { param?: string; retryAfterSeconds?: number; errors?: FieldError[]; type?: string };

/** An error meant for the client: its message is shown, its cause only logged. */
export class AppError extends Error {
  override readonly name = "AppError";
  readonly code: ErrorCode;
  readonly details: AppErrorDetails;

  constructor(code: ErrorCode, message: string, details: AppErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  get status(): ContentfulStatusCode {
    return errorStatus[this.code];
  }
}
