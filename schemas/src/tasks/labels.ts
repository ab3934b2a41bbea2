// Label schemas a project declares and the shapes of label values annotators submit.
import { z } from "zod";

/** Class or span/box label names: distinct, as labels name one of them and consensus counts votes per name. */
const classNames = z
  .array(z.string().min(1).max(64))
  .min(1)
  .max(100)
  .superRefine((names, ctx) => {
    const seen = new Set<string>();
    for (const [i, name] of names.entries()) {
      if (seen.has(name)) {
        ctx.addIssue({ code: "custom", message: `"${name}" is listed twice; names must be distinct.`, path: [i] });
      }
      seen.add(name);
    }
  });

/** What a project asks for; label values are validated against it (see workers/src/tasks/label-value.ts). */
export const labelSchemaSchema = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("classification"), multiple: z.boolean().default(false), classes: classNames }),
    z.object({ type: z.literal("text"), maxLength: z.number().int().min(1).max(10_000).default(1_000) }),
    z.object({ type: z.literal("spans"), labels: classNames }),
    z.object({ type: z.literal("boxes"), labels: classNames }),
  ])
  .meta({ id: "LabelSchema" });
export type LabelSchema = z.infer<typeof labelSchemaSchema>;

/** A character range [start, end) over the item's text. */
export const spanSchema = z.object({
  start: z.number().int().min(0),
  end: z.number().int().min(1),
  label: z.string(),
});
export type Span = z.infer<typeof spanSchema>;

/** A box in coordinates relative to the image, each in [0, 1]. */
export const boxSchema = z.object({
  x: z.number().min(0).max(1),
  y: z.number().min(0).max(1),
  width: z.number().gt(0).max(1),
  height: z.number().gt(0).max(1),
  label: z.string(),
});
export type Box = z.infer<typeof boxSchema>;

/** Any label value; which member is allowed depends on the project's label schema. */
export const labelValueSchema = z
  .union(
    [
      z.object({ choice: z.string() }).strict(),
      z.object({ choices: z.array(z.string()) }).strict(),
      z.object({ text: z.string() }).strict(),
      z.object({ spans: z.array(spanSchema).max(200) }).strict(),
      z.object({ boxes: z.array(boxSchema).max(200) }).strict(),
    ],
    {
      // Zod's own message for a value that fits no member is "Invalid input": name the shapes instead.
      error: (issue) =>
        issue.code === "invalid_union"
          ? 'Expected a label value: {"choice": "…"}, {"choices": ["…"]}, {"text": "…"}, ' +
            '{"spans": [{start, end, label}]} or {"boxes": [{x, y, width, height, label}]}, as the project\'s labelSchema says.'
          : undefined,
    },
  )
  .meta({ id: "LabelValue" });
export type LabelValue = z.infer<typeof labelValueSchema>;
