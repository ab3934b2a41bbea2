// Shared by the settlement CLIs: the dev stack's URLs and chain from `.dev/stack.json`, and argument parsing.
import { readFileSync } from "node:fs";
import path from "node:path";
import { type Chain, createPublicClient, defineChain, http } from "viem";
import { repoRoot } from "./processes.ts";
import type { StackInfo } from "./stack.ts";

/** Reads `<STACK_DIR or .dev>/stack.json` written by `npm run dev`. */
export function readStack(): StackInfo {
  const file = path.join(process.env.STACK_DIR ?? path.join(repoRoot, ".dev"), "stack.json");
  try {
    return JSON.parse(readFileSync(file, "utf8")) as StackInfo;
  } catch {
    throw new Error(`${path.relative(repoRoot, file)} is missing: start the local stack with \`npm run dev\` first.`);
  }
}

export function stackChain(stack: StackInfo): Chain {
  return defineChain({
    id: stack.chainId,
    name: `chain-${stack.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [stack.rpcUrl] } },
  });
}

export function stackClient(stack: StackInfo) {
  return createPublicClient({ chain: stackChain(stack), transport: http(stack.rpcUrl) });
}

/** The ledger's address from the stack file. */
export function ledgerOf(stack: StackInfo): `0x${string}` {
  const address = stack.contracts.EpochLedger;
  if (!address) throw new Error("The stack file names no EpochLedger contract.");
  return address;
}

/** `--name value` options and positional arguments. */
export function parseArgs(argv: string[]): { options: Map<string, string>; positional: string[] } {
  const options = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg.startsWith("--")) {
      options.set(arg.slice(2), argv[i + 1] ?? "");
      i++;
    } else positional.push(arg);
  }
  return { options, positional };
}

/** Runs a CLI's main, printing an error's message (not its stack) and exiting 1 on failure. */
export function runCli(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
