// Chain sync: copies licenses, terms and escrow from the chain into the control D1 database, reorg-safe.
import { epochLedgerAbi } from "@tributary/schemas/abis";
import { createPublicClient, http, type PublicClient } from "viem";
import { AppError } from "../errors.ts";
import { clearRoutingCache } from "../gateway/routing.ts";
import { type ChainVars, chainConfig } from "./config.ts";
import { emptyTouched, readEvents, readState } from "./sync-read.ts";
import { touchedAfter, writeStep } from "./sync-write.ts";

/** Variables tuning the sync (strings, as wrangler passes them). */
export type SyncVars = ChainVars & {
  /** Blocks behind the head that are synced (default 0). */
  CHAIN_CONFIRMATIONS?: string;
  /** Blocks per `getLogs` range and per D1 transaction (default 2000). */
  CHAIN_SYNC_RANGE?: string;
  /** Blocks re-read when the cursor's block hash changed (default 64). */
  CHAIN_REORG_DEPTH?: string;
  /** First block to read when there is no cursor yet (default 0: the contracts' deployment block or earlier). */
  CHAIN_START_BLOCK?: string;
};

export type SyncEnv = SyncVars & { DB: D1Database };

export type SyncResult = {
  chainId: number;
  /** Block the D1 copy reflects after the run, or null when nothing was synced yet. */
  block: bigint | null;
  blockHash: string | null;
  /** First block read by this run (after a rewind: the first block re-read). */
  from: bigint;
  /** Set when the stored cursor's block was reorged out: the block the copy was rewound to. */
  rewoundTo: bigint | null;
  ranges: number;
  events: number;
};

/** Ranges per run; a run that falls further behind continues at the next trigger. */
const MAX_RANGES_PER_RUN = 50;
/** A run holds the lease this long; a crashed run is taken over after it. */
const LEASE_MS = 55_000;

const minOf = (a: bigint, b: bigint) => (a < b ? a : b);
const maxOf = (a: bigint, b: bigint) => (a > b ? a : b);

const numberVar = (value: string | undefined, fallback: number) => {
  const n = Number(value ?? fallback);
  return Number.isSafeInteger(n) && n >= 0 ? BigInt(n) : BigInt(fallback);
};

type Cursor = { block_number: number | null; block_hash: string | null };

async function lease(db: D1Database, chainId: string, now: number): Promise<Cursor | null> {
  return db
    .prepare(
      `INSERT INTO chain_sync (chain_id, block_number, block_hash, lease_until, updated_at) VALUES (?1, NULL, NULL, ?2, ?3)
       ON CONFLICT(chain_id) DO UPDATE SET lease_until = ?2 WHERE chain_sync.lease_until <= ?3
       RETURNING block_number, block_hash`,
    )
    .bind(chainId, now + LEASE_MS, now)
    .first<Cursor>();
}

/**
 * Syncs from the stored cursor up to `latest − CHAIN_CONFIRMATIONS`, one D1 transaction per range. If the cursor's
 * block hash is no longer on the chain, the copy is rewound CHAIN_REORG_DEPTH blocks and re-read from there.
 * Throws `conflict` when another run holds the lease.
 */
export async function syncChain(env: SyncEnv): Promise<SyncResult> {
  const config = chainConfig(env);
  const chainId = String(config.chain.id);
  const client = createPublicClient({ chain: config.chain, transport: http(config.rpcUrl, { batch: true }) });
  const cursor = await lease(env.DB, chainId, Date.now());
  if (!cursor) throw new AppError("conflict", "A chain sync is already running; try again in a minute.");
  try {
    return await run(env, client, config.contracts, chainId, cursor);
  } finally {
    await env.DB.prepare("UPDATE chain_sync SET lease_until = 0 WHERE chain_id = ?").bind(chainId).run();
    clearRoutingCache();
  }
}

async function run(
  env: SyncEnv,
  client: PublicClient,
  contracts: { licensing: `0x${string}`; epochLedger: `0x${string}` },
  chainId: string,
  cursor: Cursor,
): Promise<SyncResult> {
  const confirmations = numberVar(env.CHAIN_CONFIRMATIONS, 0);
  const rangeSize = numberVar(env.CHAIN_SYNC_RANGE, 2000) || 1n;
  const depth = numberVar(env.CHAIN_REORG_DEPTH, 64);
  const start = numberVar(env.CHAIN_START_BLOCK, 0);
  const latest = await client.getBlockNumber({ cacheTime: 0 });
  const head = latest - confirmations;
  let block = cursor.block_number === null ? null : BigInt(cursor.block_number);
  let blockHash = cursor.block_hash;
  let rewoundTo: bigint | null = null;
  if (block !== null && !(await onChain(client, block, blockHash))) {
    // Genesis never reorgs, so block 0 is the lowest cursor.
    const floor = start > 0n ? start - 1n : 0n;
    rewoundTo = maxOf(minOf(block - depth, head), floor);
  }
  const rewound = rewoundTo;
  let from = rewoundTo !== null ? rewoundTo + 1n : block === null ? start : block + 1n;
  const first = from;
  let ranges = 0;
  let events = 0;
  while ((from <= head || rewoundTo !== null) && ranges < MAX_RANGES_PER_RUN) {
    const end = minOf(from + rangeSize - 1n, head);
    // A rewind onto a chain that is not longer than the rewind point moves the cursor back without reading.
    const to = end >= from ? end : from - 1n;
    const touched = emptyTouched();
    if (rewoundTo !== null) await touchedAfter(env.DB, rewoundTo, touched);
    const read = await readEvents(client, contracts, from, to, touched);
    const { hash } = await client.getBlock({ blockNumber: to });
    const state = { block: to, ...(await readState(client, contracts, to, touched)), ...read };
    const [, ledgerTip] = await client.readContract({
      address: contracts.epochLedger,
      abi: epochLedgerAbi,
      functionName: "epochIds",
      blockNumber: to,
    });
    await writeStep(env.DB, { chainId, rewindTo: rewoundTo, state, blockHash: hash, ledgerTip });
    block = to;
    blockHash = hash;
    events += read.events;
    ranges += 1;
    rewoundTo = null;
    from = to + 1n;
  }
  return { chainId: Number(chainId), block, blockHash, from: first, rewoundTo: rewound, ranges, events };
}

/** Whether the block at `number` still has the hash the cursor stored. */
async function onChain(client: PublicClient, number: bigint, hash: string | null): Promise<boolean> {
  try {
    return (await client.getBlock({ blockNumber: number })).hash === hash;
  } catch {
    // The chain is now shorter than the cursor: its block was reorged out.
    return false;
  }
}
