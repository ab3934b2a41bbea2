// Posting an epoch with the settler key, and finding out from the chain whether it was already posted.
import { epochLedgerAbi } from "@tributary/schemas/abis";
import { type Address, createWalletClient, getAbiItem, type Hex, http, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { ChainConfig } from "../chain/config.ts";
import { AppError } from "../errors.ts";
import type { Manifest } from "./manifest.ts";

/** The arguments of `settleEpoch` as the manifest fixes them. */
export function settleArgs(m: Manifest, manifestURI: string) {
  return [
    BigInt(m.epochId),
    m.root,
    m.charges.map((c) => ({ payer: c.payer as Address, token: c.token as Address, amount: BigInt(c.amount) })),
    m.totals.map((t) => ({
      token: t.token as Address,
      charged: BigInt(t.charged),
      licenseFees: BigInt(t.licenseFees),
    })),
    m.usage.digest,
    manifestURI,
  ] as const;
}

/** What the chain says about epoch `epochId`: absent, or posted with `root` (and in which transaction). */
export async function postedEpoch(
  client: PublicClient,
  ledger: Address,
  epochId: number,
): Promise<{ root: Hex; status: number } | null> {
  const [last] = await client.readContract({ address: ledger, abi: epochLedgerAbi, functionName: "epochIds" });
  if (BigInt(epochId) > last) return null;
  const epoch = await client.readContract({
    address: ledger,
    abi: epochLedgerAbi,
    functionName: "epochOf",
    args: [BigInt(epochId)],
  });
  return { root: epoch.root, status: epoch.status };
}

const settledEvent = getAbiItem({ abi: epochLedgerAbi, name: "EpochSettled" });

/** The `EpochSettled` log of `epochId` (its transaction and block), searched from `fromBlock`. */
export async function settledLog(client: PublicClient, ledger: Address, epochId: number, fromBlock: bigint) {
  const logs = await client.getLogs({
    address: ledger,
    event: settledEvent,
    args: { epochId: BigInt(epochId) },
    fromBlock,
    toBlock: "latest",
  });
  const log = logs[0];
  if (!log) throw new AppError("unavailable", `Epoch ${epochId} is on-chain but its EpochSettled event was not found.`);
  return { txHash: log.transactionHash, blockNumber: log.blockNumber };
}

/** Thrown when `settleEpoch` would revert: nothing was broadcast, so the epoch may be rebuilt. */
export class SettleRejected extends Error {
  override readonly name = "SettleRejected";
}

/**
 * Simulates then sends `settleEpoch`; returns the transaction hash. A failed simulation throws SettleRejected;
 * a failure while broadcasting throws as is (the transaction may or may not be on its way).
 */
export async function sendSettle(
  config: ChainConfig,
  client: PublicClient,
  privateKey: string | undefined,
  args: ReturnType<typeof settleArgs>,
): Promise<Hex> {
  if (!privateKey || !/^0x[0-9a-fA-F]{64}$/.test(privateKey)) {
    throw new AppError("unavailable", "The settler key is not configured: set the secret SETTLER_PRIVATE_KEY.");
  }
  const account = privateKeyToAccount(privateKey as Hex);
  const simulated = await client
    .simulateContract({
      account,
      address: config.contracts.epochLedger,
      abi: epochLedgerAbi,
      functionName: "settleEpoch",
      args,
    })
    .catch((err: unknown) => {
      const reason = (err as { shortMessage?: string }).shortMessage ?? String(err);
      throw new SettleRejected(`settleEpoch(${args[0]}) would revert: ${reason}`, { cause: err });
    });
  const wallet = createWalletClient({ account, chain: config.chain, transport: http(config.rpcUrl) });
  return wallet.writeContract(simulated.request);
}
