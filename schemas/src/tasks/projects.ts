// Wire schemas of annotation projects and their items.
import { z } from "zod";
import { addressSchema, bpsSchema, bytes32Schema, idSchema } from "./common.ts";
import { labelSchemaSchema, labelValueSchema } from "./labels.ts";

/** Largest media payload accepted per item, bytes (10 MiB). */
export const MAX_MEDIA_BYTES = 10 * 1024 * 1024;
/** Largest inline text payload per item, characters. */
export const MAX_TEXT_CHARS = 20_000;
/** Most items per batch request (keeps one D1 batch small). */
export const MAX_ITEMS_PER_BATCH = 100;
/** Media types accepted as R2 item payloads. */
export const MEDIA_TYPES = [
  "image/png",
  "image/jpeg",
  "image/webp",
  "image/gif",
  "audio/mpeg",
  "audio/wav",
  "audio/ogg",
  "audio/flac",
] as const;

export const qualificationSchema = z.object({
  /** Gold items an annotator answers before any regular item. */
  goldItems: z.number().int().min(1).max(50),
  /** Accuracy on those gold items needed to continue, basis points. */
  minAccuracyBps: bpsSchema,
});

export const createProjectSchema = z
  .object({
    datasetId: bytes32Schema,
    name: z.string().min(1).max(200),
    instructions: z.string().max(20_000).default(""),
    labelSchema: labelSchemaSchema,
    /** Distinct annotators per regular item. */
    overlap: z.number().int().min(1).max(9),
    /** Share of claims that serve a gold item, basis points (at most half). */
    goldRatioBps: z.number().int().min(0).max(5_000).default(0),
    leaseTtlSeconds: z.number().int().min(30).max(86_400).default(600),
    /** Weight units per accepted label, before the quality factor. */
    rewardWeight: z.number().int().min(1).max(1_000_000),
    qualification: qualificationSchema.optional(),
    /** Pairwise agreement needed to accept a span/box label, basis points. */
    agreementBps: bpsSchema.default(5_000),
    reviewers: z.array(addressSchema).max(50).default([]),
  })
  .meta({ id: "CreateProject" });
export type CreateProject = z.infer<typeof createProjectSchema>;

export const projectSchema = z
  .object({
    id: idSchema,
    owner: addressSchema,
    datasetId: bytes32Schema,
    name: z.string(),
    instructions: z.string(),
    labelSchema: labelSchemaSchema,
    overlap: z.number().int(),
    goldRatioBps: z.number().int(),
    leaseTtlSeconds: z.number().int(),
    rewardWeight: z.number().int(),
    qualification: qualificationSchema.nullable(),
    agreementBps: z.number().int(),
    reviewers: z.array(addressSchema),
    createdAt: z.string(),
  })
  .meta({ id: "Project" });
export type Project = z.infer<typeof projectSchema>;

/** One item of a batch: inline text, or an object uploaded before through the media endpoint. */
export const itemInputSchema = z
  .object({
    externalId: z.string().max(200).optional(),
    text: z.string().min(1).max(MAX_TEXT_CHARS).optional(),
    objectKey: z.string().max(500).optional(),
    /** The expected label: makes this a gold item. */
    gold: labelValueSchema.optional(),
  })
  .refine((i) => (i.text === undefined) !== (i.objectKey === undefined), {
    message: "Give exactly one of text or objectKey.",
  });
export type ItemInput = z.infer<typeof itemInputSchema>;

export const addItemsSchema = z.object({ items: z.array(itemInputSchema).min(1).max(MAX_ITEMS_PER_BATCH) });
export type AddItems = z.infer<typeof addItemsSchema>;

export const addItemsResponseSchema = z.object({ ids: z.array(idSchema), gold: z.number().int() });

export const mediaResponseSchema = z.object({
  objectKey: z.string(),
  contentType: z.string(),
  size: z.number().int(),
});

export const itemViewSchema = z
  .object({
    id: idSchema,
    externalId: z.string().nullable(),
    text: z.string().nullable(),
    contentType: z.string().nullable(),
    /** Path of the payload (GET with the session token) for media items. */
    payloadUrl: z.string().nullable(),
  })
  .meta({ id: "Item" });
export type ItemView = z.infer<typeof itemViewSchema>;
