// zod schemas of the REST API's path and query parameters.
import { z } from "zod";

export const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte hex address")
  .transform((a) => a.toLowerCase() as `0x${string}`);

export const bytes32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex id")
  .transform((a) => a.toLowerCase() as `0x${string}`);

/** A UTC day that exists: 2026-02-30 or 2026-13-01 would filter on a day no row has, answering nothing instead of 400. */
const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a UTC day YYYY-MM-DD")
  .refine((d) => {
    const t = Date.parse(`${d}T00:00:00Z`);
    return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === d;
  }, "must be a day of the calendar");
const chainId = z.coerce.number().int().positive().optional();
const limit = z.coerce.number().int().min(1, "must be at least 1").max(1000, "must be at most 1000").default(20);
const offset = z.coerce.number().int().min(0).default(0);

export const assetParam = z.object({ assetId: bytes32 });
export const accountParam = z.object({ account: address });

export const revenueQuery = z
  .object({ chainId, token: address.optional(), from: day.optional(), to: day.optional() })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: "from must not be after to", path: ["from"] });

export const payoutsQuery = z.object({ chainId, token: address.optional(), limit, offset });

export const topQuery = z.object({ chainId, token: address.optional(), limit: limit.default(10) });

export const epochsQuery = z.object({
  chainId,
  status: z.enum(["pending", "vetoed", "final"]).optional(),
  limit,
  offset,
});

export const licensesQuery = z.object({
  chainId,
  /** Unix seconds at which `expired` is judged; default now. */
  at: z.coerce.number().int().nonnegative().optional(),
  active: z.enum(["true", "false"]).optional(),
  limit,
  offset,
});
