// Compiles bench/BulkEmitter.sol with solc-js, deploys it and emits N AssetRegistry events through it.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import {
  type Abi,
  createPublicClient,
  createTestClient,
  createWalletClient,
  type Hex,
  http,
  keccak256,
  numberToHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { anvilKeys } from "../../scripts/lib/chain.ts";

type Solc = { compile: (input: string) => string };
type Output = {
  errors?: { severity: string; formattedMessage: string }[];
  contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
};

/** The BulkEmitter's ABI and creation bytecode, compiled from source with the solc-js the repository pins. */
export function compileEmitter(): { abi: Abi; bytecode: Hex } {
  const solc = createRequire(import.meta.url)("solc") as Solc;
  const source = readFileSync(path.join(import.meta.dirname, "../BulkEmitter.sol"), "utf8");
  const input = {
    language: "Solidity",
    sources: { "BulkEmitter.sol": { content: source } },
    settings: {
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as Output;
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length)
    throw new Error(`BulkEmitter.sol does not compile:\n${errors.map((e) => e.formattedMessage).join("\n")}`);
  const contract = output.contracts["BulkEmitter.sol"]?.BulkEmitter;
  if (!contract) throw new Error("solc produced no BulkEmitter.");
  return { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
}

/** Events per transaction: ~12k gas each keeps a transaction well under anvil's 30M block gas limit. */
const PER_TX = 1_500;

/**
 * Emits `events` AssetRegistry events (one AssetRegistered per transaction, the rest AssetMetadataUpdated),
 * then mines `settle` empty blocks so every event is final for Ponder. Returns the block range used.
 */
export async function emitEvents(rpcUrl: string, registry: Hex, events: number, settle = 40) {
  const transport = http(rpcUrl);
  const account = privateKeyToAccount(anvilKeys[0]);
  // anvil mines on every transaction: poll receipts often instead of viem's default 4 s.
  const wallet = createWalletClient({ account, chain: foundry, transport, pollingInterval: 20 });
  const client = createPublicClient({ chain: foundry, transport, pollingInterval: 20 });
  const test = createTestClient({ chain: foundry, transport, mode: "anvil" });
  const { abi, bytecode } = compileEmitter();
  const deployed = await client.waitForTransactionReceipt({ hash: await wallet.deployContract({ abi, bytecode }) });
  const emitter = deployed.contractAddress as Hex;
  const fromBlock = deployed.blockNumber;
  let left = events;
  for (let batch = 0; left > 0; batch++) {
    const updates = Math.min(PER_TX, left) - 1;
    const hash = await wallet.writeContract({
      address: emitter,
      abi,
      functionName: "emitMany",
      args: [registry, keccak256(numberToHex(batch, { size: 32 })), BigInt(updates)],
      gas: 29_000_000n,
    });
    const receipt = await client.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`emitMany reverted in ${hash}.`);
    left -= updates + 1;
  }
  await test.mine({ blocks: settle });
  return { fromBlock, toBlock: await client.getBlockNumber({ cacheTime: 0 }) };
}
