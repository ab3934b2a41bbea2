// Test helpers for settlement: funded fresh accounts and the on-chain setup of assets, splits, terms, licenses, escrow.
import { env } from "cloudflare:workers";
import { assetRegistryAbi, epochLedgerAbi, licensingAbi, mockERC20Abi } from "@tributary/schemas/abis";
import {
  type Abi,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  toHex,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { chainConfig } from "../../src/chain/config.ts";

export const config = chainConfig(env);
export const client = createPublicClient({ chain: config.chain, transport: http(config.rpcUrl) });
export const token = env.PAYMENT_TOKEN_ADDRESS.toLowerCase() as Address;
export const { assetRegistry: registry, licensing, epochLedger: ledger } = config.contracts;

/** A fresh account with 100 ETH for gas, used by this test file only. */
export async function fundedAccount(privateKey: Hex = generatePrivateKey()) {
  const account = privateKeyToAccount(privateKey);
  await client.request({
    method: "anvil_setBalance" as never,
    params: [account.address, "0x56BC75E2D63100000"] as never,
  });
  const wallet = createWalletClient({ account, chain: config.chain, transport: http(config.rpcUrl) });
  /** Simulates, sends and waits for a contract call; returns the simulated result. */
  async function send<
    const A extends Abi,
    N extends ContractFunctionName<A, "nonpayable" | "payable">,
    const Args extends ContractFunctionArgs<A, "nonpayable" | "payable", N>,
  >(address: Address, abi: A, functionName: N, args: Args) {
    const { request, result } = await client.simulateContract({ account, address, abi, functionName, args } as never);
    const hash = await wallet.writeContract(request as never);
    const receipt = await client.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${String(functionName)} reverted`);
    return result as unknown;
  }
  return { address: account.address.toLowerCase() as Address, privateKey, send };
}

export type Funded = Awaited<ReturnType<typeof fundedAccount>>;

/** Registers an asset (0 dataset, 1 model) owned by `owner`; returns its id. */
export async function registerAsset(owner: Funded, kind: 0 | 1): Promise<Hex> {
  const salt = toHex(crypto.getRandomValues(new Uint8Array(32)));
  await owner.send(registry, assetRegistryAbi, "register", [salt, kind, toHex(new Uint8Array(32)), "test://asset"]);
  const id = await client.readContract({
    address: registry,
    abi: assetRegistryAbi,
    functionName: "assetIdOf",
    args: [owner.address, salt],
  });
  return id.toLowerCase() as Hex;
}

/** Publishes terms on `assetId` in the test token; returns the terms id. */
export async function publishTerms(owner: Funded, assetId: Hex, p: { pIn: bigint; pOut: bigint; fee: bigint }) {
  const terms = {
    assetId,
    token,
    pricePerMTokIn: p.pIn,
    pricePerMTokOut: p.pOut,
    upfrontFee: p.fee,
    duration: 0n,
    commercial: true,
    derivatives: true,
    transferable: false,
    active: true,
  };
  return (await owner.send(licensing, licensingAbi, "publishTerms", [terms])) as bigint;
}

/** Mints tokens to `payer`, buys a license on `termsId` and deposits `escrow`; returns the license id. */
export async function licenseAndDeposit(payer: Funded, termsId: bigint, fee: bigint, escrow: bigint) {
  await payer.send(token, mockERC20Abi, "mint", [payer.address, fee + escrow]);
  await payer.send(token, mockERC20Abi, "approve", [licensing, fee]);
  const licenseId = (await payer.send(licensing, licensingAbi, "mintLicense", [termsId, payer.address])) as bigint;
  if (escrow > 0n) {
    await payer.send(token, mockERC20Abi, "approve", [ledger, escrow]);
    await payer.send(ledger, epochLedgerAbi, "deposit", [payer.address, token, escrow]);
  }
  return licenseId;
}

export async function balanceOf(account: Address): Promise<bigint> {
  return client.readContract({ address: token, abi: mockERC20Abi, functionName: "balanceOf", args: [account] });
}

export async function epochIds() {
  const [last, tip, claimable] = await client.readContract({
    address: ledger,
    abi: epochLedgerAbi,
    functionName: "epochIds",
  });
  return { last: Number(last), tip: Number(tip), claimable: Number(claimable) };
}

/** Moves chain time past the challenge period (60 s on anvil) and mines a block. */
export async function passChallengePeriod(): Promise<void> {
  await client.request({ method: "evm_increaseTime" as never, params: [61] as never });
  await client.request({ method: "evm_mine" as never, params: [] as never });
}
