// SQL over HTTP answers errors as problem JSON: the middleware in front of Ponder's client(), against a stand-in
// that answers as Ponder's does (plain text, 500); indexer.test.ts checks the same against a real Ponder.
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { sqlProblems } from "../src/api/sql.ts";

/** Ponder's client() in miniature: parses `sql` like it does and answers a refusal as it does (text/plain 500). */
function app(answer: (sql: string) => Response | string) {
  return new Hono().use("/sql/*", sqlProblems, async (c) => {
    const { json } = JSON.parse(c.req.query("sql") ?? "") as { json: { sql: string } };
    const out = answer(json.sql);
    return typeof out === "string" ? c.text(out, 500) : out;
  });
}

const url = (sql: unknown) => `/sql/db?sql=${encodeURIComponent(JSON.stringify({ json: { sql, params: [] } }))}`;

async function problemOf(res: Response) {
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  return (await res.json()) as { status: number; title: string; detail: string; errors?: unknown[] };
}

describe("SQL over HTTP errors", () => {
  it("refuses a missing or unreadable sql parameter with 400 naming it, before Ponder reads it", async () => {
    const a = app(() => Response.json({ rows: [] }));
    for (const [path, message] of [
      ["/sql/db", "is required"],
      ["/sql/db?sql=garbage", "is not the superjson of { sql, params }"],
      ["/sql/db?sql=%7B%7D", "is not the superjson of { sql, params }"],
      [url(42), "is not the superjson of { sql, params }"],
    ] as const) {
      const res = await a.request(path);
      expect(res.status, path).toBe(400);
      const p = await problemOf(res);
      expect(p.errors, path).toEqual([{ parameter: "sql", message }]);
      expect(p.detail).not.toMatch(/node_modules|\.ts:/);
    }
    expect((await a.request(url("select 1 from epoch"))).status).toBe(200);
  });

  it("answers a refused or failing query with 400 problem JSON, and a database that cannot answer with 503", async () => {
    const a = app((sql) =>
      sql.startsWith("delete")
        ? "DeleteStmt not supported"
        : sql.startsWith("selec ")
          ? "[object Object]"
          : sql.includes("nope")
            ? 'column "nope" does not exist'
            : sql.includes("closed")
              ? 'column "closed_timeout" does not exist'
              : "Connection terminated unexpectedly",
    );
    const deleted = await a.request(url("delete from epoch"));
    expect(deleted.status).toBe(400);
    expect(await problemOf(deleted)).toMatchObject({
      status: 400,
      title: "Query refused",
      detail: "The query was refused: DeleteStmt not supported.",
      errors: [{ parameter: "sql", message: "DeleteStmt not supported" }],
    });
    const unparsable = await problemOf(await a.request(url("selec * from epoch")));
    expect(unparsable.detail).toBe("The query was refused: the query is not valid SQL.");
    const column = await a.request(url("select nope from epoch"));
    expect(column.status).toBe(400);
    expect((await problemOf(column)).detail).toBe('The query was refused: column "nope" does not exist.');
    // A column named like a connection failure is still the query's fault.
    const named = await a.request(url("select closed_timeout from epoch"));
    expect(named.status).toBe(400);
    expect((await problemOf(named)).detail).toBe('The query was refused: column "closed_timeout" does not exist.');
    const down = await a.request(url("select 1 from epoch"));
    expect(down.status).toBe(503);
    expect((await problemOf(down)).title).toBe("Unavailable");
  });
});
