// Reads the gateway's metering totals from the settler (`GET <settlerUrl>/admin/settlement/metering`).
import type { Hex } from "viem";
import { z } from "zod";
import type { MeteringReader, MeteringTotals } from "./types.ts";

const hex = z
  .string()
  .regex(/^0x[0-9a-fA-F]*$/, "must be 0x-prefixed hex")
  .transform((h) => h.toLowerCase() as Hex);
const amount = z.string().regex(/^\d+$/, "must be a decimal string of base units").transform(BigInt);
const records = z.number().int().nonnegative();

/** The settler's answer, as workers/src/settler/metering.ts writes it. */
export const meteringSchema = z.object({
  settled_watermark: z.number().nullable(),
  epochs: z.array(z.object({ epoch_id: z.number().int().positive(), payer: hex, token: hex, amount, records })),
  unsettled: z.array(z.object({ payer: hex, token: hex, amount, records, oldest_at: z.number() })),
});

/** Normalizes the settler's answer; `where` names the source in errors. */
export function toMeteringTotals(json: unknown, where: string): MeteringTotals {
  const parsed = meteringSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${where} is not a metering report: ${issue?.path.join(".") || "(root)"} ${issue?.message}.`);
  }
  return {
    epochs: parsed.data.epochs.map((e) => ({ ...e, epochId: BigInt(e.epoch_id) })),
    // The meter stamps records in unix milliseconds; reconciliation reports seconds.
    unsettled: parsed.data.unsettled.map((u) => ({ ...u, oldestAt: Math.floor(u.oldest_at / 1000) })),
  };
}

/** Metering from the settler's operator API; needs its admin token. */
export class HttpMeteringReader implements MeteringReader {
  readonly url: string;
  readonly adminToken: string;

  constructor(settlerUrl: string, adminToken: string) {
    this.url = `${settlerUrl.replace(/\/$/, "")}/admin/settlement/metering`;
    this.adminToken = adminToken;
  }

  async totals(): Promise<MeteringTotals> {
    const res = await fetch(this.url, {
      headers: { authorization: `Bearer ${this.adminToken}` },
      signal: AbortSignal.timeout(30_000),
    });
    if (!res.ok) throw new Error(`GET ${this.url} answered ${res.status}.`);
    return toMeteringTotals(await res.json(), this.url);
  }
}
