// Request validation: zod through @hono/zod-validator, failures thrown as AppError naming the offending parameter.
import { zValidator } from "@hono/zod-validator";
import type { MiddlewareHandler, ValidationTargets } from "hono";
import type { z } from "zod";
import { AppError } from "./errors.ts";

/** What Hono's JSON validator reads as JSON; any other body would be validated as an empty object. */
const JSON_CONTENT_TYPE = /^application\/([a-z-.]+\+)?json(\s*;|$)/i;

type Query = Record<string, string | string[]>;

/** The fields of an object schema (none for any other schema). */
const shapeOf = (schema: z.ZodType): Record<string, z.ZodType> =>
  schema._zod.def.type === "object" ? (schema as unknown as z.ZodObject).shape : {};

/** Whether a field takes a list, under any optional, default or nullable wrappers. */
function takesList(field: z.ZodType | undefined): boolean {
  let def = field?._zod.def;
  while (def && (def.type === "optional" || def.type === "default" || def.type === "nullable"))
    def = (def as unknown as { innerType: z.ZodType }).innerType._zod.def;
  return def?.type === "array";
}

/**
 * The query as its schema reads it. Hono gives a parameter given once as a string and a repeated one as an array;
 * a list parameter becomes an array either way, and any other parameter given more than once is refused here, by
 * name, rather than failing its type check with a message about arrays or NaN.
 */
function queryFor(schema: z.ZodType, query: Query): Query {
  const shape = shapeOf(schema);
  const out: Query = {};
  for (const [name, value] of Object.entries(query)) {
    if (takesList(shape[name])) out[name] = Array.isArray(value) ? value : [value];
    else if (Array.isArray(value))
      throw new AppError("invalid_request", `${name}: given ${value.length} times; give it once.`, { param: name });
    else out[name] = value;
  }
  return out;
}

/** The client-facing parameter and message of a validation issue. */
function describeIssue(
  issue: z.core.$ZodIssue | undefined,
  target: keyof ValidationTargets,
  schema: z.ZodType,
): { param: string | undefined; message: string } {
  if (!issue) return { param: undefined, message: "Invalid request." };
  if (issue.code === "unrecognized_keys" && issue.path.length === 0 && target === "query") {
    const param = String(issue.keys[0]);
    const known = Object.keys(shapeOf(schema)).join(", ");
    return { param, message: `${param}: not a parameter of this endpoint, which takes ${known}.` };
  }
  const param = issue.path.map(String).join(".") || undefined;
  return { param, message: `${param ? `${param}: ` : ""}${issue.message}` };
}

/**
 * Validates one part of the request; the handler reads the parsed value with `c.req.valid(target)`. A JSON body
 * must say so in its Content-Type: Hono would otherwise not read it at all, and the client (curl's `-d` sends a
 * form type) would be told that every field is missing.
 */
export function validate<T extends z.ZodType, Target extends keyof ValidationTargets>(target: Target, schema: T) {
  const validator = zValidator(
    target,
    schema,
    (result) => {
      if (result.success) return;
      const { param, message } = describeIssue(result.error.issues[0], target, schema);
      throw new AppError("invalid_request", message, param ? { param } : {});
    },
    // Cast: the option's type does not follow a generic schema's parse result.
    target === "query"
      ? { validationFunction: (s: T, value: unknown) => s.safeParseAsync(queryFor(s, value as Query)) as never }
      : undefined,
  );
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
