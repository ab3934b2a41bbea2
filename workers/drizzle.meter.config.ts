// drizzle-kit: generates the meter database's D1 migrations from schemas/src/db/meter.ts.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "../schemas/src/db/meter.ts",
  out: "./migrations/meter",
});
