// Owner routes: create a project, read it, add items (text or uploaded media), read its metrics.
import { createRoute, z } from "@hono/zod-openapi";
import {
  addItemsResponseSchema,
  addItemsSchema,
  addressSchema,
  createProjectSchema,
  MAX_MEDIA_BYTES,
  MEDIA_TYPES,
  mediaResponseSchema,
  metricsSchema,
  projectSchema,
} from "@tributary/schemas/tasks";
import { AppError } from "../../errors.ts";
import { addItems, uploadMedia } from "../items.ts";
import { projectMetrics } from "../metrics.ts";
import { createProject } from "../projects.ts";
import { getProject, type ProjectRow, requireOwner, requireReviewer, reviewersOf, toProject } from "../rows.ts";
import { tasksApp } from "../validation.ts";
import { authed, body, json, problems } from "./responses.ts";

const projectParams = z.object({ projectId: z.string().min(1).max(64) });

export const projects = tasksApp()
  .openapi(
    createRoute({
      method: "post",
      path: "/projects",
      tags: ["owner"],
      summary: "Create an annotation project for a dataset asset you own.",
      ...authed,
      request: { body: body(createProjectSchema) },
      responses: { 201: json(projectSchema, "The project."), ...problems },
    }),
    async (c) => c.json(await createProject(c.env.TASKS_DB, c.var.account, c.req.valid("json"), Date.now()), 201),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/projects",
      tags: ["annotator"],
      summary: "List projects, newest first; `owner` narrows to one owner's projects.",
      ...authed,
      request: {
        query: z.object({
          owner: addressSchema.optional(),
          limit: z.coerce.number().int().min(1).max(100).default(50),
        }),
      },
      responses: { 200: json(z.object({ projects: z.array(projectSchema) }), "The projects."), ...problems },
    }),
    async (c) => {
      const db = c.env.TASKS_DB;
      const { owner, limit } = c.req.valid("query");
      const { results } = await db
        .prepare("SELECT * FROM projects WHERE ?1 IS NULL OR owner = ?1 ORDER BY created_at DESC, rowid DESC LIMIT ?2")
        .bind(owner?.toLowerCase() ?? null, limit)
        .all<ProjectRow>();
      return c.json(
        { projects: await Promise.all(results.map(async (r) => toProject(r, await reviewersOf(db, r.id)))) },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/projects/{projectId}",
      tags: ["annotator"],
      summary: "Read a project: instructions, label schema, overlap, reward weight.",
      ...authed,
      request: { params: projectParams },
      responses: { 200: json(projectSchema, "The project."), ...problems },
    }),
    async (c) => {
      const row = await getProject(c.env.TASKS_DB, c.req.valid("param").projectId);
      return c.json(toProject(row, await reviewersOf(c.env.TASKS_DB, row.id)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/projects/{projectId}/items",
      tags: ["owner"],
      summary: "Add up to 100 items: inline text or objectKeys from the media endpoint; `gold` makes an item gold.",
      ...authed,
      request: { params: projectParams, body: body(addItemsSchema) },
      responses: { 201: json(addItemsResponseSchema, "The new item ids."), ...problems },
    }),
    async (c) => {
      const project = await getProject(c.env.TASKS_DB, c.req.valid("param").projectId);
      requireOwner(project, c.var.account);
      return c.json(await addItems(c.env, project, c.req.valid("json"), Date.now()), 201);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/projects/{projectId}/media",
      tags: ["owner"],
      summary: `Upload one image or audio payload (at most ${MAX_MEDIA_BYTES} bytes) to R2; reference it in an item batch.`,
      ...authed,
      request: {
        params: projectParams,
        body: {
          content: Object.fromEntries(
            MEDIA_TYPES.map((t) => [t, { schema: z.string().openapi({ format: "binary" }) }]),
          ),
          required: true,
        },
      },
      responses: {
        201: json(mediaResponseSchema, "The stored object."),
        ...problems,
        413: problems[400],
        415: problems[400],
      },
    }),
    async (c) => {
      const project = await getProject(c.env.TASKS_DB, c.req.valid("param").projectId);
      requireOwner(project, c.var.account);
      const declared = Number(c.req.header("content-length") ?? "0");
      if (declared > MAX_MEDIA_BYTES)
        throw new AppError("payload_too_large", `Media may be at most ${MAX_MEDIA_BYTES} bytes.`);
      const media = await uploadMedia(
        c.env.BUCKET,
        project.id,
        c.req.header("content-type") ?? "",
        await c.req.arrayBuffer(),
      );
      return c.json(media, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/projects/{projectId}/metrics",
      tags: ["reviewer"],
      summary: "Progress, label outcomes, Krippendorff's alpha, pairwise agreement and per-annotator accuracy.",
      ...authed,
      request: { params: projectParams },
      responses: { 200: json(metricsSchema, "The metrics."), ...problems },
    }),
    async (c) => {
      const project = await getProject(c.env.TASKS_DB, c.req.valid("param").projectId);
      await requireReviewer(c.env.TASKS_DB, project, c.var.account);
      return c.json(await projectMetrics(c.env.TASKS_DB, project), 200);
    },
  );
