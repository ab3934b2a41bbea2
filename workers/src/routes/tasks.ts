// The annotation tasks surface (/tasks): sign-in, projects, the annotator loop, review, dataset exports.
import { OpenAPIHono } from "@hono/zod-openapi";
import { auth } from "../tasks/api/auth.ts";
import { datasets } from "../tasks/api/datasets.ts";
import { projects } from "../tasks/api/projects.ts";
import { review } from "../tasks/api/review.ts";
import { work } from "../tasks/api/work.ts";
import type { TasksEnv } from "../tasks/validation.ts";

export const tasks = new OpenAPIHono<TasksEnv>()
  .route("/", auth)
  .route("/", projects)
  .route("/", work)
  .route("/", review)
  .route("/", datasets);
