// RFC 9457 problem details for the REST API, and the zod validation hook that produces them.
import type { Context } from "hono";
import { replaceBigInts } from "ponder";
import type { core } from "zod";

/** An error the API answers with `application/problem+json`; `errors` lists invalid parameters. */
export class ProblemError extends Error {
  readonly status: 400 | 404 | 500 | 502 | 503;
  readonly title: string;
  readonly errors?: { parameter: string; message: string }[];

  constructor(
    status: ProblemError["status"],
    title: string,
    message: string,
    errors?: { parameter: string; message: string }[],
  ) {
    super(message);
    this.name = "ProblemError";
    this.status = status;
    this.title = title;
    this.errors = errors;
  }
}

/** Renders a problem (unknown errors become a 500 whose message is not echoed). */
export function problem(c: Context, err: unknown): Response {
  const p =
    err instanceof ProblemError
      ? err
      : new ProblemError(500, "Internal error", "The indexer could not answer this request; see its log.");
  if (!(err instanceof ProblemError)) console.error(`${c.req.method} ${c.req.path} failed:`, err);
  const body = {
    type: "about:blank",
    title: p.title,
    status: p.status,
    detail: p.message,
    instance: c.req.path,
    errors: p.errors,
  };
  return c.body(JSON.stringify(body), p.status, { "content-type": "application/problem+json" });
}

/** The `@hono/zod-validator` hook: invalid input throws a 400 problem naming each bad parameter. */
export function invalid(result: { success: boolean; error?: core.$ZodError }): void {
  if (result.success || !result.error) return;
  const errors = result.error.issues.map((i) => ({ parameter: i.path.join(".") || "(query)", message: i.message }));
  throw new ProblemError(
    400,
    "Invalid request",
    `Invalid ${errors.map((e) => `${e.parameter} (${e.message})`).join(", ")}.`,
    errors,
  );
}

/** JSON with every bigint as a decimal string (amounts are never floats). */
export function amounts<T>(c: Context, value: T): Response {
  return c.json(replaceBigInts(value, (v) => String(v)) as object);
}
