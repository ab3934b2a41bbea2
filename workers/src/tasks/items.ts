// Adding items: inline text or previously uploaded R2 media, gold answers validated, all in one batch.
import type { AddItems } from "@tributary/schemas/tasks";
import { MAX_MEDIA_BYTES, MEDIA_TYPES } from "@tributary/schemas/tasks";
import { AppError } from "../errors.ts";
import { newId } from "../ids.ts";
import { parseLabelValue } from "./label-value.ts";
import { labelSchemaOf, type ProjectRow } from "./rows.ts";

/** R2 prefix of a project's uploaded media; item object keys must sit under it. */
export function mediaPrefix(projectId: string): string {
  return `tasks/projects/${projectId}/media/`;
}

/** Stores one media payload in R2 and returns its key; refuses unknown types and oversize bodies. */
export async function uploadMedia(
  bucket: R2Bucket,
  projectId: string,
  contentType: string,
  body: ArrayBuffer,
): Promise<{ objectKey: string; contentType: string; size: number }> {
  const type = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  if (!(MEDIA_TYPES as readonly string[]).includes(type)) {
    throw new AppError("unsupported_media_type", `Media must be one of ${MEDIA_TYPES.join(", ")}.`, {
      param: "content-type",
    });
  }
  if (body.byteLength === 0) throw new AppError("invalid_request", "The media body is empty.");
  if (body.byteLength > MAX_MEDIA_BYTES) {
    throw new AppError("payload_too_large", `Media may be at most ${MAX_MEDIA_BYTES} bytes.`);
  }
  const objectKey = `${mediaPrefix(projectId)}${crypto.randomUUID()}`;
  await bucket.put(objectKey, body, { httpMetadata: { contentType: type } });
  return { objectKey, contentType: type, size: body.byteLength };
}

/** Adds a batch of items in one D1 batch: either all are stored or none. */
export async function addItems(
  env: Env,
  project: ProjectRow,
  batch: AddItems,
  now: number,
): Promise<{ ids: string[]; gold: number }> {
  const schema = labelSchemaOf(project);
  const prepared = await Promise.all(
    batch.items.map(async (input, i) => {
      let contentType: string | null = null;
      if (input.objectKey !== undefined) {
        if (!input.objectKey.startsWith(mediaPrefix(project.id))) {
          throw new AppError("invalid_request", "objectKey must come from this project's media endpoint.", {
            param: `body.items.${i}.objectKey`,
          });
        }
        const head = await env.BUCKET.head(input.objectKey);
        if (!head)
          throw new AppError("invalid_request", `No uploaded media at ${input.objectKey}.`, {
            param: `body.items.${i}.objectKey`,
          });
        contentType = head.httpMetadata?.contentType ?? null;
      }
      if (schema.type === "spans" && input.text === undefined) {
        throw new AppError("invalid_request", "Span projects label text: give text.", {
          param: `body.items.${i}.text`,
        });
      }
      if (schema.type === "boxes" && !contentType?.startsWith("image/")) {
        throw new AppError("invalid_request", "Box projects label images: give an uploaded image.", {
          param: `body.items.${i}.objectKey`,
        });
      }
      const gold =
        input.gold === undefined
          ? null
          : parseLabelValue(schema, input.gold, input.text?.length ?? null, `body.items.${i}.gold`);
      return { id: newId(), input, contentType, gold };
    }),
  );
  await env.TASKS_DB.batch(
    prepared.map(({ id, input, contentType, gold }) =>
      env.TASKS_DB.prepare(
        `INSERT INTO items (id, project_id, seq, external_id, text, object_key, content_type, is_gold, gold_value, created_at)
         VALUES (?1, ?2, (SELECT coalesce(max(seq), 0) + 1 FROM items WHERE project_id = ?2), ?3, ?4, ?5, ?6, ?7, ?8, ?9)`,
      ).bind(
        id,
        project.id,
        input.externalId ?? null,
        input.text ?? null,
        input.objectKey ?? null,
        contentType,
        gold ? 1 : 0,
        gold ? JSON.stringify(gold) : null,
        now,
      ),
    ),
  );
  return { ids: prepared.map((p) => p.id), gold: prepared.filter((p) => p.gold).length };
}
