// Epoch close: the crash-safe state machine assigned → built → posted → settled, persisted in settlement_epochs.
import { epochLedgerAbi } from "@tributary/schemas/abis";
import type { Hex, PublicClient } from "viem";
import { type ChainConfig, chainClient, chainConfig } from "../chain/config.ts";
import { AppError } from "../errors.ts";
import { UsageAggregate } from "./aggregate.ts";
import { buildEpoch, manifestKey, readManifest } from "./build.ts";
import { licenseFeesIn } from "./chain-reads.ts";
import type { Manifest } from "./manifest.ts";
import { type MeterDb, meterDatabases, scanRecords, tagRecords } from "./meters.ts";
import { postedEpoch, SettleRejected, sendSettle, settleArgs, settledLog } from "./post.ts";
import { markSettled } from "./record.ts";
import { type SettlementSettings, type SettlerEnv, settlementSettings } from "./settings.ts";
import { reopenVetoed } from "./veto.ts";

export type EpochRow = {
  epoch_id: number;
  status: "assigned" | "built" | "posted" | "settled" | "vetoed";
  watermark: number;
  from_block: number;
  to_block: number;
  root: string | null;
  tx_hash: string | null;
  error: string | null;
};

export type CloseOptions = {
  now?: number;
  /** Test hook run right after the transaction is sent and before it is recorded (crash injection). */
  afterSend?: (txHash: Hex) => Promise<void> | void;
};

export type CloseResult = { epochId: number; status: EpochRow["status"]; txHash: string | null; manifest: Manifest };

type Ctx = {
  env: SettlerEnv;
  config: ChainConfig;
  client: PublicClient;
  settings: SettlementSettings;
  meters: MeterDb[];
  options: CloseOptions;
};

/**
 * Closes the next epoch, or finishes an unfinished one first. Returns null when there is nothing to settle.
 * Every step is guarded by the row's status, so concurrent or repeated runs never post an epoch twice.
 */
export async function closeEpoch(env: Ctx["env"], options: CloseOptions = {}): Promise<CloseResult | null> {
  const config = chainConfig(env);
  const ctx: Ctx = {
    env,
    config,
    client: chainClient(config),
    settings: settlementSettings(env),
    meters: meterDatabases(env as unknown as Record<string, unknown>),
    options,
  };
  await reopenVetoed(env, ctx.client, config.contracts.epochLedger, ctx.meters);
  const row = (await unfinishedEpoch(env.DB)) ?? (await openEpoch(ctx));
  if (!row) return null;
  return drive(ctx, row);
}

async function unfinishedEpoch(db: D1Database): Promise<EpochRow | null> {
  return db
    .prepare("SELECT * FROM settlement_epochs WHERE status NOT IN ('settled', 'vetoed') ORDER BY epoch_id LIMIT 1")
    .first<EpochRow>();
}

/** Opens epoch chain.last + 1 if there is usage or a license fee to settle; null otherwise. */
async function openEpoch(ctx: Ctx): Promise<EpochRow | null> {
  const { env, client, config, settings } = ctx;
  const now = ctx.options.now ?? Date.now();
  const watermark = now - settings.lagMs;
  const [[last], toBlock, previous] = await Promise.all([
    client.readContract({ address: config.contracts.epochLedger, abi: epochLedgerAbi, functionName: "epochIds" }),
    client.getBlockNumber(),
    // Vetoed epochs' fees went back to the held pool, so the range starts after the last live epoch.
    env.DB.prepare("SELECT max(to_block) AS b FROM settlement_epochs WHERE status != 'vetoed'").first<{
      b: number | null;
    }>(),
  ]);
  const fromBlock = previous?.b == null ? settings.startBlock : previous.b + 1;
  const pending = await Promise.all(
    ctx.meters.map(({ db }) =>
      db
        .prepare("SELECT 1 AS n FROM usage_records WHERE epoch_id IS NULL AND created_at < ? LIMIT 1")
        .bind(watermark)
        .first(),
    ),
  );
  const hasUsage = pending.some((r) => r !== null);
  const hasFees =
    !hasUsage &&
    BigInt(fromBlock) <= toBlock &&
    (await licenseFeesIn(client, config.contracts.epochLedger, BigInt(fromBlock), toBlock)).length > 0;
  if (!hasUsage && !hasFees) return null;
  const epochId = Number(last) + 1;
  const inserted = await env.DB.prepare(
    `INSERT INTO settlement_epochs (epoch_id, status, watermark, from_block, to_block, created_at, updated_at)
     SELECT ?1, 'assigned', ?2, ?3, ?4, ?5, ?5 WHERE NOT EXISTS (SELECT 1 FROM settlement_epochs WHERE status NOT IN ('settled', 'vetoed'))
     ON CONFLICT(epoch_id) DO NOTHING RETURNING *`,
  )
    .bind(epochId, watermark, fromBlock, Number(toBlock), now)
    .first<EpochRow>();
  return inserted ?? unfinishedEpoch(env.DB);
}

async function drive(ctx: Ctx, row: EpochRow): Promise<CloseResult | null> {
  let status = row.status;
  let txHash = row.tx_hash;
  if (status === "assigned") {
    await tagRecords(ctx.meters, row.epoch_id, row.watermark);
    const built = await buildEpoch({
      ...ctx,
      epoch: { epochId: row.epoch_id, watermark: row.watermark, fromBlock: row.from_block, toBlock: row.to_block },
    });
    const m = built.manifest;
    if (m.charges.length === 0 && m.licenseFees.length === 0) {
      // Everything was carried over: nothing to post. The records are untagged already.
      await ctx.env.DB.prepare("DELETE FROM settlement_epochs WHERE epoch_id = ? AND status = 'assigned'")
        .bind(row.epoch_id)
        .run();
      console.warn(
        JSON.stringify({ level: "warn", job: "settlement", epochId: row.epoch_id, shortfalls: m.shortfalls }),
      );
      return null;
    }
    await ctx.env.BUCKET.put(manifestKey(row.epoch_id), JSON.stringify(m), {
      httpMetadata: { contentType: "application/json" },
    });
    await update(ctx.env.DB, row.epoch_id, "assigned", {
      status: "built",
      manifest_key: manifestKey(row.epoch_id),
      root: m.root,
      usage_digest: m.usage.digest,
      record_count: m.usage.recordCount,
      payer_count: m.charges.length,
      shortfall_count: m.shortfalls.length,
    });
    status = "built";
  }
  const manifest = await readManifest(ctx.env, row.epoch_id);
  if (status === "built") {
    txHash = await post(ctx, row, manifest);
    status = "posted";
  }
  if (status === "posted" && txHash) {
    const receipt = await ctx.client.waitForTransactionReceipt({ hash: txHash as Hex });
    if (receipt.status !== "success") {
      await update(ctx.env.DB, row.epoch_id, "posted", {
        status: "built",
        tx_hash: null,
        error: `transaction ${txHash} reverted`,
      });
      throw new AppError(
        "conflict",
        `The settlement transaction ${txHash} of epoch ${row.epoch_id} reverted; it will be rebuilt.`,
      );
    }
    const ids = await taggedIds(ctx.meters, row.epoch_id);
    await markSettled(ctx.env.DB, ctx.client, ctx.config.contracts.epochLedger, manifest, ids);
    await update(ctx.env.DB, row.epoch_id, "posted", {
      status: "settled",
      block_number: Number(receipt.blockNumber),
      error: null,
    });
    status = "settled";
  }
  return { epochId: row.epoch_id, status, txHash, manifest };
}

/** Sends the epoch unless the chain already has it; returns the transaction hash and records it. */
async function post(ctx: Ctx, row: EpochRow, manifest: Manifest): Promise<string> {
  const ledger = ctx.config.contracts.epochLedger;
  const recover = async () => {
    const onChain = await postedEpoch(ctx.client, ledger, row.epoch_id);
    if (!onChain) return null;
    if (onChain.root.toLowerCase() !== manifest.root.toLowerCase()) {
      await update(ctx.env.DB, row.epoch_id, "built", {
        error: `epoch ${row.epoch_id} on-chain has root ${onChain.root}`,
      });
      throw new AppError(
        "conflict",
        `Epoch ${row.epoch_id} was posted on-chain with another root (${onChain.root}); an operator must look.`,
      );
    }
    const log = await settledLog(ctx.client, ledger, row.epoch_id, BigInt(row.to_block));
    await update(ctx.env.DB, row.epoch_id, "built", { status: "posted", tx_hash: log.txHash });
    return log.txHash;
  };
  const recovered = await recover();
  if (recovered) return recovered;
  let hash: Hex;
  try {
    hash = await sendSettle(
      ctx.config,
      ctx.client,
      ctx.env.SETTLER_PRIVATE_KEY,
      settleArgs(manifest, manifestUri(ctx.env, row.epoch_id)),
    );
  } catch (err) {
    const raced = await recover();
    if (raced) return raced;
    // A rejected simulation broadcast nothing (e.g. escrow lowered by a withdrawal): rebuild from fresh chain
    // state next time. A broadcast failure may still mine: keep the manifest, the next run checks the chain.
    const rebuild = err instanceof SettleRejected;
    await update(ctx.env.DB, row.epoch_id, "built", {
      ...(rebuild ? { status: "assigned" } : {}),
      error: String(err).slice(0, 500),
    });
    throw err;
  }
  await ctx.options.afterSend?.(hash);
  await update(ctx.env.DB, row.epoch_id, "built", { status: "posted", tx_hash: hash });
  return hash;
}

/** The manifest URI posted on-chain for an epoch: `SETTLEMENT_PUBLIC_URL` (this worker's base URL) and its path. */
export function manifestUri(env: SettlerEnv, epochId: number): string {
  const base = env.SETTLEMENT_PUBLIC_URL?.replace(/\/+$/, "") ?? "";
  return `${base}/settlement/epochs/${epochId}/manifest`;
}

async function taggedIds(meters: MeterDb[], epochId: number): Promise<string[]> {
  const aggregate = new UsageAggregate();
  await scanRecords(meters, epochId, aggregate);
  return [...aggregate.groups.values()].flatMap((g) => g.ids);
}

/** Moves the row on only if it is still in `from` (a concurrent run that got there first wins). */
async function update(
  db: D1Database,
  epochId: number,
  from: EpochRow["status"],
  set: Record<string, string | number | null>,
) {
  const columns = Object.keys(set);
  await db
    .prepare(
      `UPDATE settlement_epochs SET ${columns.map((c, i) => `${c} = ?${i + 3}`).join(", ")}, updated_at = ?${columns.length + 3}
       WHERE epoch_id = ?1 AND status = ?2`,
    )
    .bind(epochId, from, ...Object.values(set), Date.now())
    .run();
}
