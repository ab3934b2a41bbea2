// Zod wire schemas of the settlement reads: the path parameters of the public epochs and of payouts.
import { z } from "zod";

/** `/settlement/epochs/:id`: an epoch id as the settler numbers them, from 1. */
export const settlementEpochParamsSchema = z.object({ id: z.coerce.number().int().positive() });

/** `/payouts/:account`: the account whose payouts to read, a 0x-prefixed 20-byte hex address in any case. */
export const payoutAccountParamsSchema = z.object({
  account: z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x address"),
});
