// Reviewer routes: the review queue of a project and verdicts/overrides on one item.
import { createRoute, z } from "@hono/zod-openapi";
import { reviewItemSchema, reviewRequestSchema } from "@tributary/schemas/tasks";
import { AppError } from "../../errors.ts";
import { loadReviewItem, reviewItem } from "../review.ts";
import { getProject, type ItemRow, requireReviewer } from "../rows.ts";
import { tasksApp } from "../validation.ts";
import { authed, body, json, problems } from "./responses.ts";

const id = z.string().min(1).max(64);

export const review = tasksApp()
  .openapi(
    createRoute({
      method: "get",
      path: "/projects/{projectId}/review",
      tags: ["reviewer"],
      summary: "Items waiting for review (consensus inconclusive) or, with status=done, decided items.",
      ...authed,
      request: {
        params: z.object({ projectId: id }),
        query: z.object({
          status: z.enum(["review", "done"]).default("review"),
          limit: z.coerce.number().int().min(1).max(100).default(20),
        }),
      },
      responses: { 200: json(z.object({ items: z.array(reviewItemSchema) }), "The queue."), ...problems },
    }),
    async (c) => {
      const db = c.env.TASKS_DB;
      const project = await getProject(db, c.req.valid("param").projectId);
      await requireReviewer(db, project, c.var.account);
      const { status, limit } = c.req.valid("query");
      const { results } = await db
        .prepare("SELECT * FROM items WHERE project_id = ? AND is_gold = 0 AND status = ? ORDER BY seq LIMIT ?")
        .bind(project.id, status, limit)
        .all<ItemRow>();
      return c.json({ items: await Promise.all(results.map((i) => loadReviewItem(db, i))) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/items/{itemId}/review",
      tags: ["reviewer"],
      summary: "Approve/reject labels of an item and/or override its answer.",
      ...authed,
      request: { params: z.object({ itemId: id }), body: body(reviewRequestSchema) },
      responses: { 200: json(reviewItemSchema, "The item after review."), ...problems },
    }),
    async (c) => {
      const db = c.env.TASKS_DB;
      const item = await db
        .prepare("SELECT * FROM items WHERE id = ?")
        .bind(c.req.valid("param").itemId)
        .first<ItemRow>();
      if (!item) throw new AppError("not_found", "No item with this id.", { param: "itemId" });
      const project = await getProject(db, item.project_id);
      await requireReviewer(db, project, c.var.account);
      return c.json(await reviewItem(db, project, item, c.var.account, c.req.valid("json"), Date.now()), 200);
    },
  );
