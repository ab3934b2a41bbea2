// SQL over HTTP (/sql/*, @ponder/client) with problem JSON errors instead of Ponder's plain-text ones.
import type { MiddlewareHandler } from "hono";
import { z } from "zod";
import { ProblemError, problem } from "./problem.ts";

/** The `sql` query parameter as @ponder/client sends it: superjson of `{ sql, params }`. */
const sqlParam = z.object({ json: z.object({ sql: z.string().min(1), params: z.array(z.unknown()).optional() }) });

const usage = 'Send sql as the superjson of { sql, params }, e.g. {"json":{"sql":"select * from epoch","params":[]}}.';

/** A failure of the database rather than of the query (Ponder answers both as plain-text 500s). */
const unavailable = /connect|terminat|timeout|ECONN|closed|shutting down/i;

/**
 * Put in front of Ponder's `client()`. Refuses a missing or unreadable `sql` parameter with 400 problem JSON (an
 * unreadable one reached Ponder's error handler, which answered 500 with the server's file path in the text), and
 * renders Ponder's plain-text errors as problem JSON. Those are 500s for everything; here a statement Ponder's
 * check refuses (writes, functions, schemas, several statements), one the parser cannot read, and one the database
 * refuses (an unknown column, division by zero) are 400, naming `sql`; a database that cannot answer is 503.
 */
export const sqlProblems: MiddlewareHandler = async (c, next) => {
  if (c.req.path === "/sql/db" || c.req.path === "/sql/live") {
    const raw = c.req.query("sql");
    let parsed: unknown;
    try {
      parsed = raw === undefined ? undefined : JSON.parse(raw);
    } catch {
      parsed = undefined;
    }
    if (!sqlParam.safeParse(parsed).success) {
      const message = raw === undefined ? "is required" : "is not the superjson of { sql, params }";
      const err = new ProblemError(400, "Invalid request", `Invalid sql (${message}). ${usage}`, [
        { parameter: "sql", message },
      ]);
      return problem(c, err);
    }
  }
  await next();
  const status = c.res.status;
  if (status < 400 || !(c.res.headers.get("content-type") ?? "").startsWith("text/plain")) return;
  const text = (await c.res.text()).trim();
  // Ponder stringifies the SQL parser's error object.
  const message = text === "[object Object]" ? "the query is not valid SQL" : text;
  c.res = undefined;
  c.res =
    // Identifiers the query named are quoted in the database's message (`column "closed" does not exist`): not a word
    // of the driver's about the connection.
    status === 503 || unavailable.test(message.replace(/"[^"]*"/g, '""'))
      ? problem(c, new ProblemError(503, "Unavailable", `The query could not run now: ${message}.`))
      : problem(
          c,
          new ProblemError(400, "Query refused", `The query was refused: ${message}.`, [{ parameter: "sql", message }]),
        );
};
