// The indexer's HTTP API: GraphQL at / and /graphql, SQL over HTTP at /sql, REST under /api, the dashboard at /dashboard.
import { db } from "ponder:api";
import schema from "ponder:schema";
import { Hono } from "hono";
import { client, graphql } from "ponder";
import { dashboardHtml } from "./dashboard.ts";
import { rest } from "./rest.ts";
import { sqlProblems } from "./sql.ts";

const app = new Hono();

app.use("/sql/*", sqlProblems, client({ db, schema }));
app.use("/", graphql({ db, schema }));
app.use("/graphql", graphql({ db, schema }));
app.route("/api", rest);
app.get("/dashboard", (c) => c.html(dashboardHtml));

export default app;
