// Readiness: every D1 database answers and R2 accepts a write and a read.
import { Hono } from "hono";
import type { AppEnv } from "../env.ts";
import { AppError } from "../errors.ts";

export const health = new Hono<AppEnv>().get("/", async (c) => {
  const databases = { control: c.env.DB, meter: c.env.METER_DB, tasks: c.env.TASKS_DB };
  const tables: Record<string, number> = {};
  for (const [name, db] of Object.entries(databases)) {
    const row = await db
      .prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'")
      .first<{ n: number }>();
    tables[name] = row?.n ?? 0;
  }
  // One key per region keeps within R2's one-write-per-second-per-key limit only if probes are rare;
  // readiness is polled at most every few seconds.
  const key = `health/${c.env.REGION}`;
  const stamp = new Date().toISOString();
  await c.env.BUCKET.put(key, stamp);
  const read = await (await c.env.BUCKET.get(key))?.text();
  if (read !== stamp) throw new AppError("unavailable", "R2 did not return what was just written.");
  return c.json({ ok: true, region: c.env.REGION, tables, r2: true });
});
