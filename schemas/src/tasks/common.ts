// Shared wire primitives of the tasks API: addresses, asset ids, problem JSON.
import { z } from "zod";

/** A 0x EVM address; the API stores and returns it lower-cased. */
export const addressSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "Expected a 0x-prefixed 20-byte hex address.");

/** A bytes32 asset id as 0x hex (the dataset's id in the on-chain asset registry). */
export const bytes32Schema = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "Expected a 0x-prefixed 32-byte hex string.");

/** Opaque ids minted by the server (UUIDs). */
export const idSchema = z.string().min(1).max(64);

/** Basis points, 0–10000. */
export const bpsSchema = z.number().int().min(0).max(10_000);

/** RFC 9457 problem details as rendered by the worker for every error outside /v1. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    requestId: z.string(),
    param: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: "Problem" });
export type Problem = z.infer<typeof problemSchema>;
