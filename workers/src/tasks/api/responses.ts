// Shared OpenAPI fragments of the tasks routes: JSON bodies, problem responses, the bearer scheme.
import { problemSchema } from "@tributary/schemas/tasks";
import type { z } from "zod";
import { requireSession } from "../session.ts";

/** A JSON response of `schema`. */
export function json<T extends z.ZodType>(schema: T, description: string) {
  return { content: { "application/json": { schema } }, description };
}

/** A required JSON request body of `schema`. */
export function body<T extends z.ZodType>(schema: T) {
  return { content: { "application/json": { schema } }, required: true };
}

const problem = (description: string) => ({
  content: { "application/problem+json": { schema: problemSchema } },
  description,
});

/** The problem responses every authenticated route may give. */
export const problems = {
  400: problem("Invalid input (problem JSON with an `errors` list)."),
  401: problem("Missing or invalid session token."),
  403: problem("Signed in, but not allowed."),
  404: problem("No such resource."),
  409: problem("The state does not allow this (lease ended, already decided, …)."),
} as const;

/** Route fields of a route that needs a session. */
export const authed = { middleware: requireSession, security: [{ bearer: [] }] };
