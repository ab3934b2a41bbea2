// Chain-sync test helpers: real transactions on the private test chain from fresh funded accounts.

import { env } from "cloudflare:workers";
import { assetRegistryAbi, epochLedgerAbi, licensingAbi, mockERC20Abi } from "@tributary/schemas/abis";
import {
  type Abi,
  type Address,
  createPublicClient,
  createTestClient,
  createWalletClient,
  type Hex,
  http,
  keccak256,
  parseEventLogs,
  toHex,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { syncChain } from "../../src/chain/sync.ts";

const transport = () => http(env.SYNC_CHAIN_RPC_URL);
/** No caching: block numbers move under the tests (cacheTime 0). */
export const publicClient = createPublicClient({ chain: foundry, transport: transport(), cacheTime: 0 });
export const testClient = createTestClient({ chain: foundry, mode: "anvil", transport: transport() });

export const addresses = {
  registry: env.ASSET_REGISTRY_ADDRESS as Address,
  licensing: env.LICENSING_ADDRESS as Address,
  ledger: env.EPOCH_LEDGER_ADDRESS as Address,
  token: env.PAYMENT_TOKEN_ADDRESS as Address,
};

/** The worker environment pointed at the private chain. */
export const syncEnv = () => ({ ...env, CHAIN_RPC_URL: env.SYNC_CHAIN_RPC_URL });

/** Runs the sync as the cron job does. */
export const sync = () => syncChain(syncEnv());

/** A fresh account with 100 ETH that sends real transactions and waits for them to be mined. */
export async function account(privateKey: Hex = generatePrivateKey()) {
  const acct = privateKeyToAccount(privateKey);
  await testClient.setBalance({ address: acct.address, value: 10n ** 20n });
  const wallet = createWalletClient({ account: acct, chain: foundry, transport: transport() });
  const send = async (address: Address, abi: Abi, functionName: string, args: unknown[]) => {
    const hash = await wallet.writeContract({ address, abi, functionName, args } as never);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${functionName} reverted`);
    return receipt;
  };
  return { address: acct.address, send };
}

export type Account = Awaited<ReturnType<typeof account>>;

/** Registers a model asset owned by `owner`; returns its id. */
export async function registerModel(owner: Account, label: string): Promise<Hex> {
  const salt = keccak256(toHex(`${label}-${Math.random()}`));
  await owner.send(addresses.registry, assetRegistryAbi, "register", [
    salt,
    1,
    keccak256(toHex(label)),
    `ipfs://${label}`,
  ]);
  return (await publicClient.readContract({
    address: addresses.registry,
    abi: assetRegistryAbi,
    functionName: "assetIdOf",
    args: [owner.address, salt],
  })) as Hex;
}

/** Publishes free perpetual terms with the given prices; returns the terms id. */
export async function publishTerms(owner: Account, assetId: Hex, pIn: bigint, pOut: bigint): Promise<bigint> {
  const receipt = await owner.send(addresses.licensing, licensingAbi, "publishTerms", [
    {
      assetId,
      token: addresses.token,
      pricePerMTokIn: pIn,
      pricePerMTokOut: pOut,
      upfrontFee: 0n,
      duration: 0n,
      commercial: true,
      derivatives: false,
      transferable: true,
      active: true,
    },
  ]);
  const [log] = parseEventLogs({ abi: licensingAbi, logs: receipt.logs, eventName: "TermsPublished" });
  if (!log) throw new Error("no TermsPublished");
  return log.args.termsId;
}

/** Mints a license under `termsId` to the sender; returns its id. */
export async function mintLicense(holder: Account, termsId: bigint): Promise<bigint> {
  const receipt = await holder.send(addresses.licensing, licensingAbi, "mintLicense", [termsId, holder.address]);
  const [log] = parseEventLogs({ abi: licensingAbi, logs: receipt.logs, eventName: "LicenseMinted" });
  if (!log) throw new Error("no LicenseMinted");
  return log.args.licenseId;
}

/** Mints `amount` of the payment token to the payer and deposits it into its escrow. */
export async function deposit(payer: Account, amount: bigint): Promise<void> {
  await payer.send(addresses.token, mockERC20Abi, "mint", [payer.address, amount]);
  await payer.send(addresses.token, mockERC20Abi, "approve", [addresses.ledger, amount]);
  await payer.send(addresses.ledger, epochLedgerAbi, "deposit", [payer.address, addresses.token, amount]);
}

/** Escrow rows as D1 holds them. */
export async function escrowRow(payer: string) {
  return env.DB.prepare(
    `SELECT CAST(balance AS TEXT) AS balance, CAST(withdrawal AS TEXT) AS withdrawal, block_number
     FROM escrow_balances WHERE payer = ? AND token = ?`,
  )
    .bind(payer.toLowerCase(), addresses.token.toLowerCase())
    .first<{ balance: string; withdrawal: string; block_number: number }>();
}
