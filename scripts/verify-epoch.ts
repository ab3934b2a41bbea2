// `npm run verify-epoch -- <id>`: recomputes an epoch's root from its manifest and compares it with the chain.
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { epochLedgerAbi } from "@tributary/schemas/abis";
import { ledgerOf, parseArgs, readStack, runCli, stackClient } from "./lib/settlement.ts";
import { checkManifest, epochStatusLine, type ManifestLike } from "./lib/verify-manifest.ts";

runCli(async () => {
  const { positional, options } = parseArgs(process.argv.slice(2));
  const id = Number(positional[0]);
  if (!Number.isInteger(id) || id <= 0)
    throw new Error("Usage: npm run verify-epoch -- <epoch id> [--manifest-url URL]");
  const stack = readStack();
  const url = options.get("manifest-url") ?? `${stack.gatewayUrl}/settlement/epochs/${id}/manifest`;
  const res = await fetch(url);
  if (!res.ok) throw new Error(`Fetching the manifest at ${url} answered ${res.status}.`);
  const manifest = (await res.json()) as ManifestLike;
  const problems = checkManifest(manifest, id);
  const rebuilt = StandardMerkleTree.of(
    manifest.accruals.map((a) => [a.account, a.token, a.cumulative]),
    ["address", "address", "uint256"],
  ).root;
  if (rebuilt !== manifest.root)
    problems.push(`the accruals rebuild root ${rebuilt}, the manifest says ${manifest.root}`);
  const epoch = await stackClient(stack).readContract({
    address: ledgerOf(stack),
    abi: epochLedgerAbi,
    functionName: "epochOf",
    args: [BigInt(id)],
  });
  if (epoch.root !== rebuilt)
    problems.push(`the chain has root ${epoch.root} for epoch ${id}, the manifest rebuilds ${rebuilt}`);
  if (problems.length > 0) {
    for (const p of problems) console.error(`✗ ${p}`);
    process.exit(1);
  }
  console.log(`✓ epoch ${id}: ${manifest.accruals.length} accruals rebuild root ${rebuilt}, equal to the chain's.`);
  // The root of a vetoed epoch still rebuilds; say so, or a ✓ reads as "this epoch pays".
  console.log(`  On-chain it is ${epochStatusLine(epoch.status, epoch.claimableAt)}`);
});
