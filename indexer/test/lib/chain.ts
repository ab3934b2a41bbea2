// viem clients for the test chain: one wallet per anvil account, sending transactions that must succeed.
import { assetRegistryAbi, epochLedgerAbi, licensingAbi, mockERC20Abi } from "@tributary/schemas/abis";
import type { Deployment } from "@tributary/schemas/deployment";
import {
  type Abi,
  type ContractFunctionArgs,
  type ContractFunctionName,
  createPublicClient,
  createTestClient,
  createWalletClient,
  type Hex,
  http,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { anvilKeys } from "../../../scripts/lib/chain.ts";

/** Addresses of the deployed contracts, as the scenario needs them. */
export type Contracts = { registry: Hex; licensing: Hex; ledger: Hex; token: Hex };

export function contractsOf(deployment: Deployment): Contracts {
  const address = (name: string) => {
    const c = deployment.contracts[name];
    if (!c) throw new Error(`The deployment has no ${name}.`);
    return c.address;
  };
  return {
    registry: address("AssetRegistry"),
    licensing: address("Licensing"),
    ledger: address("EpochLedger"),
    token: address("MockERC20"),
  };
}

export const abis = {
  registry: assetRegistryAbi,
  licensing: licensingAbi,
  ledger: epochLedgerAbi,
  token: mockERC20Abi,
} as const;

/** A chain session: public and test clients and a `send` per anvil account (0 deployer, 1 alice, 2 bob, 3 carol, 4 dave). */
export function connect(rpcUrl: string) {
  const transport = http(rpcUrl);
  const publicClient = createPublicClient({ chain: foundry, transport });
  const testClient = createTestClient({ chain: foundry, transport, mode: "anvil" });
  const accounts = anvilKeys.map((key) => privateKeyToAccount(key));
  const wallets = accounts.map((account) => createWalletClient({ account, chain: foundry, transport }));

  /** Sends a contract call from account `from` and waits for a successful receipt. */
  async function send<
    const abi extends Abi,
    name extends ContractFunctionName<abi, "nonpayable" | "payable">,
    args extends ContractFunctionArgs<abi, "nonpayable" | "payable", name>,
  >(from: number, call: { address: Hex; abi: abi; functionName: name; args: args }) {
    const wallet = wallets[from];
    if (!wallet) throw new Error(`No anvil account ${from}.`);
    // biome-ignore lint/suspicious/noExplicitAny: viem's writeContract overloads do not narrow through generics.
    const hash = await wallet.writeContract(call as any);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${call.functionName} reverted in ${hash}.`);
    return receipt;
  }

  /** Moves the chain's clock forward and mines a block at the new time. */
  async function advance(seconds: number) {
    await testClient.increaseTime({ seconds });
    await testClient.mine({ blocks: 1 });
  }

  return { publicClient, testClient, accounts, send, advance };
}

export type Chain = ReturnType<typeof connect>;
