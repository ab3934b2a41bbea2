// Request validation: zod through @hono/zod-validator, failures thrown as AppError naming the offending parameter.
import { zValidator } from "@hono/zod-validator";
import type { MiddlewareHandler, ValidationTargets } from "hono";
import type { z } from "zod";
import { AppError } from "./errors.ts";

/** What Hono's JSON validator reads as JSON; any other body would be validated as an empty object. */
const JSON_CONTENT_TYPE = /^application\/([a-z-.]+\+)?json(\s*;|$)/i;

/**
 * Validates one part of the request; the handler reads the parsed value with `c.req.valid(target)`. A JSON body
 * must say so in its Content-Type: Hono would otherwise not read it at all, and the client (curl's `-d` sends a
 * form type) would be told that every field is missing.
 */
export function validate<T extends z.ZodType, Target extends keyof ValidationTargets>(target: Target, schema: T) {
  const validator = zValidator(target, schema, (result) => {
    if (result.success) return;
    const issue = result.error.issues[0];
    const param = issue?.path.map(String).join(".") || undefined;
    const message = issue ? `${param ? `${param}: ` : ""}${issue.message}` : "Invalid request.";
    throw new AppError("invalid_request", message, param ? { param } : {});
  });
  if (target !== "json") return validator;
  const checked: MiddlewareHandler = (c, next) => {
    const type = c.req.header("content-type");
    if (!type || !JSON_CONTENT_TYPE.test(type)) {
      throw new AppError(
        "invalid_request",
        `The request body must be JSON sent with the header Content-Type: application/json (got ${type ? `"${type}"` : "none"}).`,
      );
    }
    return validator(c, next);
  };
  return checked as typeof validator;
}
