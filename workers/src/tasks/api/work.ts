// Annotator routes: claim the next slot, fetch a media payload, submit a label, release or skip.
import { createRoute, z } from "@hono/zod-openapi";
import {
  claimResponseSchema,
  labelViewSchema,
  releaseRequestSchema,
  submitRequestSchema,
} from "@tributary/schemas/tasks";
import { AppError } from "../../errors.ts";
import { claim } from "../lease.ts";
import { release } from "../release.ts";
import { getProject, type ItemRow, labelSchemaOf, requireReviewer, toItemView } from "../rows.ts";
import { submit } from "../submit.ts";
import { tasksApp } from "../validation.ts";
import { authed, body, json, problems } from "./responses.ts";

const id = z.string().min(1).max(64);

export const work = tasksApp()
  .openapi(
    createRoute({
      method: "post",
      path: "/projects/{projectId}/claim",
      tags: ["annotator"],
      summary: "Lease the next eligible item slot for the signed-in annotator; 204 when nothing is left.",
      ...authed,
      request: { params: z.object({ projectId: id }) },
      responses: {
        201: json(claimResponseSchema, "The lease."),
        204: { description: "Nothing to claim." },
        ...problems,
      },
    }),
    async (c) => {
      const project = await getProject(c.env.TASKS_DB, c.req.valid("param").projectId);
      const lease = await claim(c.env.TASKS_DB, project, c.var.account, Date.now());
      if (!lease) return c.body(null, 204);
      return c.json(
        {
          assignment: {
            id: lease.assignmentId,
            itemId: lease.item.id,
            expiresAt: new Date(lease.expiresAt).toISOString(),
          },
          item: toItemView(lease.item),
          instructions: project.instructions,
          labelSchema: labelSchemaOf(project),
        },
        201,
      );
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/assignments/{assignmentId}/submit",
      tags: ["annotator"],
      summary: "Submit a label within the lease. Idempotent by the Idempotency-Key header.",
      ...authed,
      request: {
        params: z.object({ assignmentId: id }),
        headers: z.object({ "idempotency-key": z.string().min(1).max(128) }),
        body: body(submitRequestSchema),
      },
      responses: {
        201: json(labelViewSchema, "The label was recorded."),
        200: json(labelViewSchema, "A replay: the label recorded before under this key."),
        ...problems,
      },
    }),
    async (c) => {
      const { label, replayed } = await submit(c.env.TASKS_DB, {
        assignmentId: c.req.valid("param").assignmentId,
        annotator: c.var.account,
        idempotencyKey: c.req.valid("header")["idempotency-key"],
        value: c.req.valid("json").value,
        now: Date.now(),
      });
      if (replayed) c.header("idempotent-replayed", "true");
      // Gold stays a trap question: the annotator is not told which items were gold or how they did.
      const view = label.status === "gold" ? { ...label, status: "pending" as const, goldCorrect: null } : label;
      return c.json(view, replayed ? 200 : 201);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/assignments/{assignmentId}/release",
      tags: ["annotator"],
      summary: "Give a live lease back; `skip: true` also keeps the item away from you for good.",
      ...authed,
      request: { params: z.object({ assignmentId: id }), body: { ...body(releaseRequestSchema), required: false } },
      responses: { 204: { description: "Released." }, ...problems },
    }),
    async (c) => {
      await release(
        c.env.TASKS_DB,
        c.req.valid("param").assignmentId,
        c.var.account,
        c.req.valid("json").skip ?? false,
        Date.now(),
      );
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/items/{itemId}/payload",
      tags: ["annotator"],
      summary: "Stream an item's media from R2 (to its lease holders, annotators who did it, owner and reviewers).",
      ...authed,
      request: { params: z.object({ itemId: id }) },
      responses: { 200: { description: "The media bytes with their content type." }, ...problems },
    }),
    async (c) => {
      const db = c.env.TASKS_DB;
      const item = await db
        .prepare("SELECT * FROM items WHERE id = ?")
        .bind(c.req.valid("param").itemId)
        .first<ItemRow>();
      if (!item?.object_key) throw new AppError("not_found", "No media item with this id.", { param: "itemId" });
      // A lease that has expired no longer holds the item (the slot may be someone else's now), like on submit.
      const holder = await db
        .prepare(
          `SELECT 1 AS ok FROM assignments WHERE item_id = ? AND annotator = ?
             AND (state = 'submitted' OR (state = 'leased' AND expires_at > ?))`,
        )
        .bind(item.id, c.var.account, Date.now())
        .first();
      if (!holder) {
        await requireReviewer(db, await getProject(db, item.project_id), c.var.account).catch((cause: unknown) => {
          throw cause instanceof AppError && cause.code === "forbidden"
            ? new AppError(
                "forbidden",
                "Only the item's lease holder, annotators who labelled it, the project owner and its reviewers may read its media.",
                {},
                { cause },
              )
            : cause;
        });
      }
      const object = await c.env.BUCKET.get(item.object_key);
      if (!object) throw new AppError("not_found", "The media of this item is missing from storage.");
      return c.body(object.body, 200, {
        "content-type": item.content_type ?? "application/octet-stream",
        "cache-control": "private, max-age=300",
      });
    },
  );
