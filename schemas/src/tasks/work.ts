// Wire schemas of the annotator loop (claim, submit, release) and of review and metrics.
import { z } from "zod";
import { addressSchema, idSchema } from "./common.ts";
import { labelSchemaSchema, labelValueSchema } from "./labels.ts";
import { itemViewSchema } from "./projects.ts";

export const claimResponseSchema = z
  .object({
    assignment: z.object({ id: idSchema, itemId: idSchema, expiresAt: z.string() }),
    item: itemViewSchema,
    instructions: z.string(),
    labelSchema: labelSchemaSchema,
  })
  .meta({ id: "Claim" });
export type ClaimResponse = z.infer<typeof claimResponseSchema>;

export const submitRequestSchema = z.object({ value: labelValueSchema });
export type SubmitRequest = z.infer<typeof submitRequestSchema>;

export const labelStatusSchema = z.enum(["gold", "pending", "accepted", "rejected"]);

export const labelViewSchema = z
  .object({
    id: idSchema,
    assignmentId: idSchema,
    itemId: idSchema,
    annotator: addressSchema,
    value: labelValueSchema,
    status: labelStatusSchema,
    /** For gold items: whether the label matched the gold answer. */
    goldCorrect: z.boolean().nullable(),
    decidedBy: z.enum(["consensus", "review"]).nullable(),
    submittedAt: z.string(),
  })
  .meta({ id: "Label" });
export type LabelView = z.infer<typeof labelViewSchema>;

export const releaseRequestSchema = z.object({
  /** skip: never offer this item to me again; release (default): it may come back. */
  skip: z.boolean().default(false),
});

export const reviewRequestSchema = z
  .object({
    /** The correct label: every label of the item is re-judged against it. */
    override: labelValueSchema.optional(),
    /** Individual verdicts, applied after any override. */
    decisions: z
      .array(z.object({ labelId: idSchema, status: z.enum(["accepted", "rejected"]) }))
      .max(9)
      .default([]),
  })
  .refine((r) => r.override !== undefined || r.decisions.length > 0, {
    message: "Give an override, decisions, or both.",
  });
export type ReviewRequest = z.infer<typeof reviewRequestSchema>;

export const reviewItemSchema = z
  .object({
    item: itemViewSchema.extend({
      status: z.enum(["open", "review", "done"]),
      finalValue: labelValueSchema.nullable(),
      decidedBy: z.enum(["consensus", "review"]).nullable(),
    }),
    labels: z.array(labelViewSchema),
  })
  .meta({ id: "ReviewItem" });
export type ReviewItem = z.infer<typeof reviewItemSchema>;

export const annotatorStatsSchema = z.object({
  address: addressSchema,
  submitted: z.number().int(),
  accepted: z.number().int(),
  rejected: z.number().int(),
  goldAnswered: z.number().int(),
  goldCorrect: z.number().int(),
  /** floor(goldCorrect × 10000 / goldAnswered); 10000 when no gold was answered. */
  qualityBps: z.number().int(),
});

export const metricsSchema = z
  .object({
    items: z.number().int(),
    goldItems: z.number().int(),
    open: z.number().int(),
    inReview: z.number().int(),
    done: z.number().int(),
    labels: z.object({
      pending: z.number().int(),
      accepted: z.number().int(),
      rejected: z.number().int(),
      gold: z.number().int(),
    }),
    /** Krippendorff's alpha (nominal) over items with ≥ 2 labels; null for spans/boxes or too little data. */
    krippendorffAlpha: z.number().nullable(),
    /** Mean pairwise agreement between labels of the same item, basis points. */
    meanPairwiseAgreementBps: z.number().int().nullable(),
    annotators: z.array(annotatorStatsSchema),
  })
  .meta({ id: "Metrics" });
export type Metrics = z.infer<typeof metricsSchema>;
