// Vetoed epochs: give their records back to the next epoch and undo their effect on the gateway's spend ledger.
import { epochLedgerAbi } from "@tributary/schemas/abis";
import type { Address, PublicClient } from "viem";
import { UsageAggregate } from "./aggregate.ts";
import { readManifest } from "./build.ts";
import { EPOCH_STATUS } from "./chain-reads.ts";
import { type MeterDb, scanRecords } from "./meters.ts";
import { refreshBalances, setHoldsSettled } from "./record.ts";

/**
 * Finds settled epochs the guardian vetoed (the chain refunded their charges and fees) and reopens their
 * records: holds become unsettled again first (under-counting `available` for a moment), then balances are
 * read back from the chain, then the records lose their epoch tag so the next close takes them. The fees
 * return to the held pool on-chain; the next epoch's block range starts after the last live epoch, so it
 * attributes them again. Idempotent: the row is marked `vetoed` last.
 */
export async function reopenVetoed(
  env: Env,
  client: PublicClient,
  ledger: Address,
  meters: MeterDb[],
): Promise<number[]> {
  const [, tip] = await client.readContract({ address: ledger, abi: epochLedgerAbi, functionName: "epochIds" });
  const { results } = await env.DB.prepare(
    "SELECT epoch_id FROM settlement_epochs WHERE status = 'settled' AND epoch_id > ? ORDER BY epoch_id DESC",
  )
    .bind(Number(tip))
    .all<{ epoch_id: number }>();
  const reopened: number[] = [];
  for (const { epoch_id: epochId } of results) {
    const epoch = await client.readContract({
      address: ledger,
      abi: epochLedgerAbi,
      functionName: "epochOf",
      args: [BigInt(epochId)],
    });
    if (epoch.status !== EPOCH_STATUS.vetoed) continue;
    const aggregate = new UsageAggregate();
    await scanRecords(meters, epochId, aggregate);
    const ids = [...aggregate.groups.values()].flatMap((g) => g.ids);
    await setHoldsSettled(env.DB, ids, null);
    await refreshBalances(env.DB, client, ledger, (await readManifest(env, epochId)).charges);
    await Promise.all(
      meters.map(({ db }) =>
        db.prepare("UPDATE usage_records SET epoch_id = NULL WHERE epoch_id = ?").bind(epochId).run(),
      ),
    );
    await env.DB.prepare(
      "UPDATE settlement_epochs SET status = 'vetoed', updated_at = ? WHERE epoch_id = ? AND status = 'settled'",
    )
      .bind(Date.now(), epochId)
      .run();
    reopened.push(epochId);
  }
  return reopened;
}
