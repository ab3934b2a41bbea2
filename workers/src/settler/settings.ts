// Settlement parameters from the worker's variables: protocol fee, treasury, lineage depth, watermark lag.
import { isAddress } from "viem";
import type { ChainVars } from "../chain/config.ts";
import { AppError } from "../errors.ts";

export type SettlementSettings = {
  protocolFeeBps: number;
  treasury: `0x${string}`;
  maxDepth: number;
  /** The watermark trails the close by this much, so requests still running are left to the next epoch. */
  lagMs: number;
  /** First block whose license fees the first epoch attributes. */
  startBlock: number;
};

export type SettlementVars = {
  PROTOCOL_FEE_BPS?: string;
  TREASURY_ADDRESS?: string;
  SETTLEMENT_MAX_DEPTH?: string;
  SETTLEMENT_LAG_SECONDS?: string;
  CHAIN_START_BLOCK?: string;
};

const integer = (value: string | undefined, fallback: number, name: string, max: number) => {
  const n = value === undefined || value === "" ? fallback : Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw new AppError("unavailable", `The variable ${name} must be 0 to ${max}.`);
  return n;
};

export function settlementSettings(vars: SettlementVars): SettlementSettings {
  const treasury = vars.TREASURY_ADDRESS;
  if (!treasury || !isAddress(treasury)) {
    throw new AppError("unavailable", "Settlement is not configured: set the worker variable TREASURY_ADDRESS.");
  }
  // The protocol fee accrues to the treasury in the tree; a claim for the zero address reverts (an ERC-20 refuses
  // to transfer to it), so every fee would stay locked in the ledger for good. [env.settler] ships it as a placeholder.
  if (BigInt(treasury) === 0n) {
    throw new AppError(
      "unavailable",
      "Settlement is not configured: TREASURY_ADDRESS is the zero address, to which protocol fees could never be " +
        "claimed; set it to the treasury's address.",
    );
  }
  return {
    protocolFeeBps: integer(vars.PROTOCOL_FEE_BPS, 0, "PROTOCOL_FEE_BPS", 10_000),
    treasury: treasury.toLowerCase() as `0x${string}`,
    maxDepth: integer(vars.SETTLEMENT_MAX_DEPTH, 8, "SETTLEMENT_MAX_DEPTH", 64),
    lagMs: integer(vars.SETTLEMENT_LAG_SECONDS, 60, "SETTLEMENT_LAG_SECONDS", 86_400) * 1000,
    startBlock: integer(vars.CHAIN_START_BLOCK, 0, "CHAIN_START_BLOCK", Number.MAX_SAFE_INTEGER),
  };
}

/** The bindings, variables and secret the settler uses. */
export type SettlerEnv = Env &
  ChainVars &
  SettlementVars & {
    SETTLER_PRIVATE_KEY?: string;
    /** Base URL written into the on-chain manifest URI (default: a path on this worker). */
    SETTLEMENT_PUBLIC_URL?: string;
    SETTLEMENT_METER_BINDINGS?: string;
    /** Where each meter database's archived records go (settler/archive.ts `archiveBucketOf`). */
    SETTLEMENT_ARCHIVE_BUCKETS?: string;
  };
