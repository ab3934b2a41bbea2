// The bare pass-through route the benchmarks compare the metered gateway with; absent unless the bench enables it.
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { AppError } from "../errors.ts";

/**
 * `ANY /bench/passthrough/:upstream/*` forwards the request to upstream number `:upstream` of the comma-separated
 * `BENCH_UPSTREAMS` var (base URLs) and returns its response unread and unmodified: no key, no database, no metering.
 * It measures what the runtime costs by itself. The var is set only by bench/ (bench/gateway/stack.ts), never in
 * wrangler.toml, and the route refuses to serve outside the `local` region, so deployments answer 404.
 */
export const bench = new Hono<AppEnv>().all("/passthrough/:upstream/*", async (c) => {
  const upstreams = c.env.REGION === "local" ? (c.env.BENCH_UPSTREAMS?.split(",") ?? []) : [];
  const base = upstreams[Number(c.req.param("upstream"))];
  if (!base) throw new AppError("not_found", `No route for ${c.req.method} ${c.req.path}.`);
  const rest = c.req.path.replace(/^\/bench\/passthrough\/[^/]+/, "");
  const res = await fetch(`${base}${rest}`, {
    method: c.req.method,
    headers: { "content-type": c.req.header("content-type") ?? "application/json" },
    body: c.req.method === "GET" || c.req.method === "HEAD" ? null : c.req.raw.body,
  });
  return new Response(res.body, { status: res.status, headers: res.headers });
});
