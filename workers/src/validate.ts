// Request validation: zod through @hono/zod-validator, failures thrown as AppError naming the offending parameter.
import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import type { z } from "zod";
import { AppError } from "./errors.ts";

/** Validates one part of the request; the handler reads the parsed value with `c.req.valid(target)`. */
export function validate<T extends z.ZodType, Target extends keyof ValidationTargets>(target: Target, schema: T) {
  return zValidator(target, schema, (result) => {
    if (result.success) return;
    const issue = result.error.issues[0];
    const param = issue?.path.map(String).join(".") || undefined;
    const message = issue ? `${param ? `${param}: ` : ""}${issue.message}` : "Invalid request.";
    throw new AppError("invalid_request", message, param ? { param } : {});
  });
}
