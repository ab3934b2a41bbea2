// `npm run claim -- --account 0x… [--private-key 0x…]`: claims an account's payouts on the dev stack.
import { epochLedgerAbi } from "@tributary/schemas/abis";
import { createWalletClient, type Hex, http, isAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { anvilKeys } from "./lib/chain.ts";
import { ledgerOf, parseArgs, readStack, runCli, stackChain, stackClient } from "./lib/settlement.ts";

type Payouts = {
  claimableEpochId: number;
  payouts: { token: Hex; cumulative: string; claimable: string; proof: Hex[] }[];
  pending: { epochId: number; token: Hex; cumulative: string }[];
};

runCli(async () => {
  const { options } = parseArgs(process.argv.slice(2));
  const key = (options.get("private-key") ?? anvilKeys[0]) as Hex;
  const sender = privateKeyToAccount(key);
  const account = (options.get("account") ?? sender.address).toLowerCase();
  if (!isAddress(account)) throw new Error(`--account must be a 0x address, got ${account}.`);
  const stack = readStack();
  const client = stackClient(stack);
  const wallet = createWalletClient({ account: sender, chain: stackChain(stack), transport: http(stack.rpcUrl) });
  const ledger = ledgerOf(stack);

  // Anyone may finalize epochs whose challenge period ended; do it so the newest root is claimable.
  const [last, , claimable] = await client.readContract({
    address: ledger,
    abi: epochLedgerAbi,
    functionName: "epochIds",
  });
  if (claimable < last) {
    await client.waitForTransactionReceipt({
      hash: await wallet.writeContract({ address: ledger, abi: epochLedgerAbi, functionName: "finalize" }),
    });
  }
  const res = await fetch(`${stack.gatewayUrl}/payouts/${account}`);
  if (!res.ok) throw new Error(`GET /payouts/${account} answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as Payouts;
  const due = body.payouts.filter((p) => BigInt(p.claimable) > 0n);
  if (due.length === 0) {
    console.log(`Nothing to claim for ${account} (claimable epoch ${body.claimableEpochId}).`);
    for (const p of body.pending) {
      console.log(
        `Epoch ${p.epochId} (cumulative ${p.cumulative} of ${p.token}) is still in its challenge period; claim after it ends.`,
      );
    }
    return;
  }
  const requests = due.map((p) => ({
    account: account as Hex,
    token: p.token,
    cumulativeAmount: BigInt(p.cumulative),
    proof: p.proof,
  }));
  const { request } = await client.simulateContract({
    account: sender,
    address: ledger,
    abi: epochLedgerAbi,
    functionName: "claimBatch",
    args: [requests],
  });
  const receipt = await client.waitForTransactionReceipt({ hash: await wallet.writeContract(request) });
  if (receipt.status !== "success") throw new Error(`The claim transaction ${receipt.transactionHash} reverted.`);
  for (const p of due) console.log(`Claimed ${p.claimable} base units of ${p.token} for ${account}.`);
  console.log(`Transaction ${receipt.transactionHash}.`);
});
