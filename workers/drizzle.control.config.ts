// drizzle-kit: generates the control database's D1 migrations from schemas/src/db/control.ts.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "../schemas/src/db/control.ts",
  out: "./migrations/control",
});
