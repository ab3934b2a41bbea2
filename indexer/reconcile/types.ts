// What reconciliation compares: the chain as indexed, settlement manifests and gateway metering, and its report.
import type { Hex } from "viem";

/** One settled epoch as the indexer saw it on-chain. */
export type ChainEpoch = {
  chainId: number;
  epochId: bigint;
  status: "pending" | "vetoed" | "final";
  root: Hex;
  usageDigest: Hex;
  manifestUri: string;
  payerCount: bigint;
  charges: { payer: Hex; token: Hex; amount: bigint; refunded: bigint }[];
  totals: { token: Hex; charged: bigint; licenseFees: bigint }[];
};

/** The indexed chain: epochs in id order and what each account claimed per token. */
export type ChainData = { epochs: ChainEpoch[]; claimed: { account: Hex; token: Hex; claimed: bigint }[] };

/**
 * What reconciliation needs from one epoch's settlement manifest, normalized. `accruals` are the
 * cumulative leaves of the epoch's tree. A `ManifestReader` adapts the settler's real manifest to this.
 */
export type EpochManifest = {
  epochId: bigint;
  root: Hex;
  usageDigest?: Hex;
  charges: { payer: Hex; token: Hex; amount: bigint }[];
  /** `amount`: what this epoch added to the account (when the manifest says; else derived from the parent). */
  accruals: { account: Hex; token: Hex; cumulativeAmount: bigint; amount?: bigint }[];
  /** Charges the settler carried over instead of posting (escrow too low, or an asset it cannot attribute). */
  shortfalls?: { payer: Hex; token: Hex; amount: bigint; records: number; reason: string }[];
};

/** Reads the manifest an epoch names (its `manifestURI`); null when it does not exist. */
export interface ManifestReader {
  read(epoch: { epochId: bigint; manifestUri: string }): Promise<EpochManifest | null>;
}

/** Gateway metering summed per payer and token: per settled epoch, and what no epoch has settled yet. */
export type MeteringTotals = {
  epochs: { epochId: bigint; payer: Hex; token: Hex; amount: bigint; records: number }[];
  unsettled: { payer: Hex; token: Hex; amount: bigint; records: number; oldestAt: number }[];
};

/** Reads the gateway's metering totals (the settler exposes them). */
export interface MeteringReader {
  totals(): Promise<MeteringTotals>;
}

/** Each kind of drift reconciliation reports. */
export type MismatchKind =
  | "epoch_missing_onchain"
  | "epoch_missing_manifest"
  | "epoch_missing_metering"
  | "charge_mismatch"
  | "charge_total_mismatch"
  | "payer_count_mismatch"
  | "veto_not_refunded"
  | "root_mismatch"
  | "usage_digest_mismatch"
  | "accrual_total_mismatch"
  | "claimed_exceeds_accrued"
  | "unsettled_usage";

/**
 * One mismatch with what each side holds, keyed by source (`chain`, `manifest`, `metering`) or, for checks
 * within one source, by what was compared (e.g. `declaredTotal` and `sumOfCharges`). null = that side has nothing.
 */
export type Mismatch = {
  kind: MismatchKind;
  epochId?: bigint;
  payer?: Hex;
  account?: Hex;
  token?: Hex;
  amounts: Record<string, bigint | string | null>;
  message: string;
};

export type ReconciliationReport = {
  ok: boolean;
  sources: { chain: "indexed"; manifests: "checked" | "not configured"; metering: "checked" | "not configured" };
  epochs: { epochId: bigint; status: string; ok: boolean }[];
  mismatches: Mismatch[];
};
