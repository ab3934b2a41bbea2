// Validates a label value against a project's label schema (and the item it labels) and canonicalizes it.
import type { LabelSchema, LabelValue } from "@tributary/schemas/tasks";
import { boxSchema, spanSchema } from "@tributary/schemas/tasks";
import { z } from "zod";
import { invalid } from "./validation.ts";

function oneOf(names: readonly string[]) {
  return z.string().refine((s) => names.includes(s), { message: `Expected one of: ${names.join(", ")}.` });
}

/** The zod schema of values allowed by `schema` for an item whose text has `textLength` characters. */
export function valueSchemaFor(schema: LabelSchema, textLength: number | null) {
  switch (schema.type) {
    case "classification":
      return schema.multiple
        ? z
            .object({ choices: z.array(oneOf(schema.classes)).max(schema.classes.length) })
            .strict()
            .refine((v) => new Set(v.choices).size === v.choices.length, { message: "Choices must be distinct." })
        : z.object({ choice: oneOf(schema.classes) }).strict();
    case "text":
      return z.object({ text: z.string().trim().min(1).max(schema.maxLength) }).strict();
    case "spans":
      return z
        .object({
          spans: z
            .array(
              spanSchema
                .extend({ label: oneOf(schema.labels) })
                .refine((s) => s.start < s.end, { message: "A span must end after it starts." })
                .refine((s) => textLength === null || s.end <= textLength, {
                  message: `A span must end within the text (${textLength ?? 0} characters).`,
                }),
            )
            .max(200),
        })
        .strict();
    case "boxes":
      return z
        .object({
          boxes: z
            .array(
              boxSchema
                .extend({ label: oneOf(schema.labels) })
                .refine((b) => b.x + b.width <= 1 && b.y + b.height <= 1, {
                  message: "A box must lie within the image.",
                }),
            )
            .max(200),
        })
        .strict();
  }
}

/**
 * Parses `value` for `schema`; throws problem JSON listing every failure. Multi-choice values come
 * back sorted and free text trimmed, so equal answers compare equal.
 */
export function parseLabelValue(
  schema: LabelSchema,
  value: unknown,
  textLength: number | null,
  path = "body.value",
): LabelValue {
  const parsed = valueSchemaFor(schema, textLength).safeParse(value);
  if (!parsed.success) invalid(`The label does not match the project's ${schema.type} schema.`, parsed.error, path);
  const v = parsed.data as LabelValue;
  if ("choices" in v) return { choices: [...v.choices].sort() };
  return v;
}
