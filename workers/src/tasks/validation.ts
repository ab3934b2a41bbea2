// Turns zod validation failures into AppErrors rendered as problem JSON with an `errors` list.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { z } from "zod";
import type { AppEnv } from "../env.ts";
import { AppError, type FieldError } from "../errors.ts";
import type { SessionVariables } from "./session.ts";

/** Environment of task sub-apps whose routes sit behind `requireSession`. */
export type TasksEnv = { Bindings: Env; Variables: AppEnv["Variables"] & SessionVariables };

/** The issues of a zod error as `{ path, message }`, paths as JSON-pointer-like dotted strings. */
export function fieldErrors(error: z.ZodError, prefix = ""): FieldError[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join("."),
    message: issue.message,
  }));
}

/** Throws one `invalid_request` AppError carrying every failed check. */
export function invalid(message: string, error: z.ZodError, prefix = ""): never {
  const errors = fieldErrors(error, prefix);
  throw new AppError("invalid_request", message, { errors, ...(errors[0]?.path ? { param: errors[0].path } : {}) });
}

/** A task sub-app whose request validation failures become problem JSON. */
export function tasksApp(): OpenAPIHono<TasksEnv> {
  return new OpenAPIHono<TasksEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const where = result.target === "json" ? "body" : result.target;
        invalid(`The request ${where} is invalid.`, result.error, where);
      }
    },
  });
}
