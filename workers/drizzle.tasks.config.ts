// drizzle-kit: generates the tasks database's D1 migrations from schemas/src/db/tasks.ts.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "../schemas/src/db/tasks.ts",
  out: "./migrations/tasks",
});
