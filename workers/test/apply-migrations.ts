// Applies the migrations the worker ships to the test databases, from the same SQL files wrangler applies.
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

await applyD1Migrations(env.DB, env.MIGRATIONS.control);
await applyD1Migrations(env.METER_DB, env.MIGRATIONS.meter);
await applyD1Migrations(env.TASKS_DB, env.MIGRATIONS.tasks);
